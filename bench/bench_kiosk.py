"""Load test of the kiosk: tablets check patients in, screen, consent and sign at a person's pace.

Starts ``tpi-forms kiosk`` (waitress, its default packet workers) on 127.0.0.1 with a temporary
data folder and one clinician account, then drives ``--kiosks`` tablets (20) at once, each a
thread with its own connection, cookie and address (127.0.0.x, as real tablets have their own):
self check-in, the screening (now and then sent twice, a double tap), "these answers are true",
the paged consent with its understanding check, the patient's signature; then the practitioner
logs in from a desk of their own and countersigns, which makes the record final and queues its
packet. Before each tap the person thinks for ``--think`` seconds on average (3; uniform between
half and one and a half times it); a page that follows a tap loads at once. A patient takes
minutes in a clinic; the bench scales that to about a minute. Tablets start spread over the
first ``--ramp`` seconds. New patients start for ``--seconds``; those under way finish; then the
bench waits up to ``--drain`` seconds for the last packets.

    python3 bench/bench_kiosk.py                      # 20 tablets, 3 s think, 120 s
    python3 bench/bench_kiosk.py --kiosks 3 --think 0.5 --seconds 20   # while developing

Prints the load average at start, requests and their p50/p99/max latency, patients, packets
rendered and still pending, errors, lost submissions, and the CPU time of the server (with its
packet workers) and of the load generator. Exits 1 on any error, lost or duplicated submission,
or packet still pending at the end. Goals: 0 errors, 0 pending, p99 ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from tpi_forms.definitions.quiz import load_quiz
from tpi_forms.kiosk.accounts import COMMAND_LINE, StaffAccounts
from tpi_forms.kiosk.store import KioskStore
from tpi_forms.screening.scenarios import example_answers
from tpi_forms.web.forms import to_formdata

PRACTITIONER = "Bench Practitioner"
PIN = "468024"
"""The bench clinician's PIN (made up for the temporary data folder)."""
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
HIDDEN = r'name="{name}"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="{name}"'
RISK = re.compile(r'name="(risk-[^"]+)"')
OPTION = re.compile(r'<option\b[^>]*value="([^"]+)"[^>]*>([^<]*)</option>')
PART = re.compile(r"/kiosk/consent/part/\d+$")
PART_ID = re.compile(r'data-tpi-part-id="([^"]+)"')
CHOICE = re.compile(r'name="choice" value="([^"]+)"')
COOKIE = re.compile(r"tpi_kiosk=([^;]*)")
ROUTE_ID = re.compile(r"/(?:[0-9]+|[A-Za-z0-9_-]{20,})(?=/|$)")
QUIZ_ANSWERS = {q.id: q.answer for q in load_quiz().questions}
"""The right answer of each understanding-check question (the patient understood)."""


@dataclass
class Results:
    """What every tablet measured, merged under a lock."""

    latencies: list[float] = field(default_factory=list)
    by_client: dict[str, list[float]] = field(default_factory=dict)
    """Latencies of the tablets' requests and of the practitioners' desks'."""
    by_route: dict[str, list[float]] = field(default_factory=dict)
    """Latencies by method and path, ids left out (``POST /staff/checkins/<id>/sign/…``)."""
    errors: list[str] = field(default_factory=list)
    acks: list[str] = field(default_factory=list)
    """Submission tokens the kiosk acknowledged (screening, patient signing)."""
    completed: list[str] = field(default_factory=list)
    """Check-ins whose record the practitioner's signature made final (each needs a packet)."""
    double_taps: int = 0
    reconnects: int = 0
    """Requests sent again on a new connection because the server had closed an idle one."""
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client:
    """One browser: one connection from its own address, one session cookie."""

    def __init__(self, port: int, address: str, results: Results, kind: str) -> None:
        self.kind = kind
        self.port = port
        self.address = address
        self.results = results
        self.cookie = ""
        self.conn = self._connect()
        self.reused = False
        """Whether the connection has answered a request (the server may have closed it since)."""

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=60, source_address=(self.address, 0)
        )

    def request(
        self, method: str, path: str, form: list[tuple[str, str]] | None = None
    ) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(form or []) if method == "POST" else None
        headers = {"Cookie": f"tpi_kiosk={self.cookie}"} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                if not self.reused:
                    raise
                # The server closed the connection while it sat idle (waitress closes one
                # after 30 s): like a browser, send the request again on a new connection.
                self.conn.close()
                self.conn = self._connect()
                with self.results.lock:
                    self.results.reconnects += 1
                started = time.perf_counter()
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = self._connect()
            self.reused = False
            raise
        self.reused = not response.will_close
        elapsed = time.perf_counter() - started
        route = f"{method} {ROUTE_ID.sub('/<id>', path.split('?')[0])}"
        with self.results.lock:
            self.results.latencies.append(elapsed)
            self.results.by_client.setdefault(self.kind, []).append(elapsed)
            self.results.by_route.setdefault(route, []).append(elapsed)
        for value in response.headers.get_all("Set-Cookie") or []:
            match = COOKIE.match(value)
            if match:
                self.cookie = match.group(1)
        return response.status, response.headers.get("Location", ""), text

    def expect(
        self,
        method: str,
        path: str,
        status: int,
        form: list[tuple[str, str]] | None = None,
        location: str | None = None,
    ) -> tuple[str, str]:
        """The page (and redirect target) of a request that must answer ``status``."""
        code, where, text = self.request(method, path, form)
        if code != status or (location is not None and where != location):
            raise RuntimeError(
                f"{method} {path}: {code} {where} (expected {status} {location or ''})"
            )
        return text, where

    def close(self) -> None:
        self.conn.close()


class Tablet:
    """One simulated tablet and the practitioner's desk that countersigns its patients."""

    def __init__(self, number: int, port: int, results: Results, think: float) -> None:
        self.rng = random.Random(number)
        self.think_seconds = think
        self.results = results
        self.tablet = Client(port, f"127.0.0.{10 + number % 240}", results, "tablet")
        self.desk = Client(port, f"127.0.1.{10 + number % 240}", results, "desk")

    def think(self) -> None:
        """A person reading and reaching for the screen before the next tap."""
        if self.think_seconds > 0:
            time.sleep(self.rng.uniform(0.5, 1.5) * self.think_seconds)

    def tap(
        self, client: Client, path: str, form: list[tuple[str, str]], location: str | None = None
    ) -> str:
        """Think, then post a form; it must redirect (to ``location`` when given)."""
        self.think()
        return client.expect("POST", path, 302, form, location)[1]

    def one_patient(self) -> None:
        t = self.tablet
        t.cookie = ""
        start, _ = t.expect("GET", "/", 200)
        self.tap(t, "/kiosk/self", [("csrf_token", csrf(start)), ("locale", "en")], "/kiosk/next")
        page, _ = t.expect("GET", "/kiosk/screening", 200)
        name = f"Bench Patient {secrets.token_hex(4)}"
        answers = example_answers("clear")
        answers["patient_name"] = name
        token = hidden(page, "submission_token")
        form = [("csrf_token", csrf(page)), ("submission_token", token), *to_formdata(answers)]
        self.tap(t, "/kiosk/screening", form, "/kiosk/next")
        if self.rng.random() < 0.1:  # a double tap: the same submission again
            t.expect("POST", "/kiosk/screening", 302, form)
            with self.results.lock:
                self.results.double_taps += 1
        with self.results.lock:
            self.results.acks.append(token)
        check, _ = t.expect("GET", "/kiosk/check", 200)
        self.tap(t, "/kiosk/check", [("csrf_token", csrf(check)), ("answers_true", "yes")])
        self.read_consent()
        page, _ = t.expect("GET", "/kiosk/consent", 200)
        token = hidden(page, "submission_token")
        form = [
            ("csrf_token", csrf(page)),
            ("submission_token", token),
            ("consent_hash", hidden(page, "consent_hash")),
            *((risk, "yes") for risk in sorted(set(RISK.findall(page)))),
            ("esign_consent", "yes"),
            ("patient-signer", "patient"),
            ("patient-printed_name", name),
            ("patient-method", "typed"),
            ("patient-intent", "yes"),
        ]
        self.tap(t, "/kiosk/consent", form, "/kiosk/next")
        with self.results.lock:
            self.results.acks.append(token)
        done, _ = t.expect("GET", "/kiosk/done", 200)
        checkin_id = self.countersign(name)
        with self.results.lock:
            self.results.completed.append(checkin_id)
        self.tap(t, "/kiosk/finish", [("csrf_token", csrf(done))], "/")

    def read_consent(self) -> None:
        """Each section of the paged consent: next, the risks acknowledged, the quiz answered."""
        t = self.tablet
        _, where = t.expect("GET", "/kiosk/consent", 302)
        for _ in range(100):
            path = urllib.parse.urlsplit(where).path
            if not PART.search(path):
                return
            text, _ = t.expect("GET", path, 200)
            form = [("csrf_token", csrf(text))]
            if 'data-tpi-consent-part="quiz"' in text:
                question = PART_ID.search(text)
                if question is None:
                    raise RuntimeError("a quiz page without its question")
                right = QUIZ_ANSWERS[question.group(1)]
                if right not in CHOICE.findall(text):
                    raise RuntimeError("the quiz's right answer is not offered")
                form += [("attempt", hidden(text, "attempt")), ("choice", right)]
            elif 'data-tpi-consent-part="risks"' in text:
                form.append(("go", "ack"))
            else:
                form.append(("go", "next"))
            where = self.tap(t, path, form)
        raise RuntimeError("the consent's sections never ended")

    def log_in(self) -> None:
        """The practitioner logs in at the desk (once; again when the session timed out)."""
        d = self.desk
        d.cookie = ""
        login, _ = d.expect("GET", "/staff/login", 200)
        (account,) = [v for v, label in OPTION.findall(login) if label.startswith(PRACTITIONER)]
        form = [("csrf_token", csrf(login)), ("account", account), ("pin", PIN)]
        self.tap(d, "/staff/login", form)

    def countersign(self, name: str) -> str:
        """The practitioner, logged in at the desk, signs with the PIN; returns the check-in."""
        d = self.desk
        self.think()
        code, _, dashboard = d.request("GET", "/staff/")
        if code == 302:
            self.log_in()
            dashboard, _ = d.expect("GET", "/staff/", 200)
        elif code != 200:
            raise RuntimeError(f"GET /staff/: {code}")
        found = re.search(r'href="/staff/checkins/([^"/]+)">' + re.escape(name) + "<", dashboard)
        if found is None:
            raise RuntimeError("the patient is not on the staff page")
        checkin_id = found.group(1)
        url = f"/staff/checkins/{checkin_id}/sign/practitioner"
        page, _ = d.expect("GET", url, 200)
        token = hidden(page, "submission_token")
        form = [
            ("csrf_token", csrf(page)),
            ("submission_token", token),
            ("intent", "y"),
            ("pin", PIN),
        ]
        self.tap(d, url, form)
        with self.results.lock:
            self.results.acks.append(token)
        return checkin_id

    def run(self, start_after: float, until: float) -> None:
        time.sleep(max(0.0, start_after - time.monotonic()))
        while time.monotonic() < until:
            try:
                self.one_patient()
            except Exception as exc:  # every failure is counted, none stops the others
                with self.results.lock:
                    self.results.errors.append(f"{type(exc).__name__}: {exc}")
                self.think()  # and then the next patient, not a burst of retries
        self.tablet.close()
        self.desk.close()


def csrf(page: str) -> str:
    match = CSRF.search(page)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1) or match.group(2)


def hidden(page: str, name: str) -> str:
    match = re.search(HIDDEN.format(name=re.escape(name)), page)
    if not match:
        raise RuntimeError(f"no {name} on the page")
    return match.group(1) or match.group(2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def add_practitioner(data: Path) -> None:
    """The clinician account the desks log in with (before the server opens the folder)."""
    store = KioskStore(data)
    try:
        StaffAccounts(store).create(
            PRACTITIONER, "clinician", PIN, credentials="MD", by=COMMAND_LINE
        )
    finally:
        store.close()


def start_server(
    data: Path, port: int, threads: int, workers: int | None
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "tpi_forms",
        "kiosk",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data",
        str(data),
        "--threads",
        str(threads),
    ]
    if workers is not None:
        command += ["--packet-workers", str(workers)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the kiosk server did not start")


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and every live descendant (and the ones they reaped)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()  # after "pid (name) "
        ppid = int(fields[1])
        cpu = sum(int(x) for x in fields[11:15]) / tick  # utime stime cutime cstime
        stats[int(entry.name)] = (ppid, cpu)
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        if current in stats:
            total += stats[current][1]
        todo += [p for p, (ppid, _) in stats.items() if ppid == current]
    return total


def pending_packets(data: Path) -> int:
    """Signed records still without their packet (read beside the running server)."""
    store = KioskStore(data, exclusive=False)
    try:
        return len(store.pending_packets("consent"))
    finally:
        store.close()


def wait_for_packets(data: Path, deadline: float) -> bool:
    """Wait until the server has rendered every signed record's packet, or the deadline."""
    while time.monotonic() < deadline:
        if not pending_packets(data):
            return True
        time.sleep(0.25)
    return not pending_packets(data)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def slowest(by_route: dict[str, list[float]], n: int = 6) -> list[tuple[str, float, int]]:
    """The ``n`` routes with the highest p99 latency (ms), with their request counts."""
    rows = [(route, percentile(v, 0.99) * 1000, len(v)) for route, v in by_route.items()]
    return sorted(rows, key=lambda row: -row[1])[:n]


def check_store(data: Path, results: Results) -> dict[str, int]:
    store = KioskStore(data)
    try:
        lost = sum(1 for token in results.acks if store.submission(token) is None)
        packets = 0
        for checkin_id in results.completed:
            if store.read_packet(checkin_id) is not None:
                packets += 1  # read_packet checks the PDF against its SHA-256
        per_checkin: dict[str, int] = {}
        for sub in store.submissions():
            key = f"{sub.checkin_id}/{sub.kind}"
            per_checkin[key] = per_checkin.get(key, 0) + 1
        duplicates = sum(1 for n in per_checkin.values() if n > 1)
        return {
            "lost": lost,
            "packets": packets,
            "duplicates": duplicates,
            "pending": len(store.pending_packets("consent")),
        }
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", type=int, default=20, help="tablets at once (default 20)")
    parser.add_argument(
        "--think", type=float, default=3.0, help="mean seconds before each tap (default 3)"
    )
    parser.add_argument(
        "--seconds", type=float, default=120, help="time to start new patients (default 120)"
    )
    parser.add_argument(
        "--ramp", type=float, default=None, help="tablets start over this time (default 10 × think)"
    )
    parser.add_argument(
        "--drain", type=float, default=60, help="wait for the last packets (default 60 s)"
    )
    parser.add_argument("--threads", type=int, default=8, help="server threads (default 8)")
    parser.add_argument(
        "--packet-workers", type=int, default=None, help="server packet workers (its default)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    kiosks = max(1, min(args.kiosks, 200))
    ramp = args.ramp if args.ramp is not None else 10 * args.think
    load = os.getloadavg()
    results = Results()
    with tempfile.TemporaryDirectory(prefix="tpi-kiosk-bench-") as tmp:
        data = Path(tmp) / "data"
        add_practitioner(data)
        port = free_port()
        server = start_server(data, port, args.threads, args.packet_workers)
        client_cpu = resource.getrusage(resource.RUSAGE_SELF)
        try:
            started = time.monotonic()
            until = started + args.seconds
            tablets = [Tablet(i, port, results, args.think) for i in range(kiosks)]
            threads = [
                threading.Thread(target=t.run, args=(started + ramp * i / kiosks, until))
                for i, t in enumerate(tablets)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            signed_by = time.monotonic() - started
            drained = wait_for_packets(data, time.monotonic() + args.drain)
            elapsed = time.monotonic() - started
            server_cpu = tree_cpu_seconds(server.pid)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        used = resource.getrusage(resource.RUSAGE_SELF)
        stored = check_store(data, results)
    lat = results.latencies
    figures = {
        "load_average_at_start": [round(x, 2) for x in load],
        "cpus": os.cpu_count() or 1,
        "kiosks": kiosks,
        "think_seconds": args.think,
        "seconds_signing": round(signed_by, 1),
        "seconds_until_all_packets": round(elapsed, 1) if drained else None,
        "requests": len(lat),
        "requests_per_second": round(len(lat) / signed_by, 1),
        "p50_ms": round(percentile(lat, 0.50) * 1000, 1),
        "p99_ms": round(percentile(lat, 0.99) * 1000, 1),
        "max_ms": round(max(lat, default=0) * 1000, 1),
        **{
            f"{kind}_p{share}_ms": round(
                percentile(results.by_client.get(kind, []), share / 100) * 1000, 1
            )
            for kind in ("tablet", "desk")
            for share in (50, 99)
        },
        "mean_ms": round(statistics.fmean(lat) * 1000, 1) if lat else 0,
        "patients_completed": len(results.completed),
        "packets_rendered": stored["packets"],
        "packets_pending": stored["pending"],
        "double_taps": results.double_taps,
        "idle_reconnects": results.reconnects,
        "duplicate_records": stored["duplicates"],
        "errors": len(results.errors),
        "lost_submissions": stored["lost"],
        "server_cpu_seconds": round(server_cpu, 1),
        "client_cpu_seconds": round(
            used.ru_utime - client_cpu.ru_utime + used.ru_stime - client_cpu.ru_stime, 1
        ),
    }
    if args.json:
        print(json.dumps({**figures, "error_lines": results.errors[:20]}, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:>25}: {value}")
        print("slowest requests (p99 ms, count):")
        for route, p99, count in slowest(results.by_route):
            print(f"{p99:>10.1f} {count:>6}  {route}")
        for error in results.errors[:20]:
            print(f"error: {error}")
    missing = len(results.completed) - stored["packets"]
    bad = results.errors or stored["lost"] or stored["duplicates"] or stored["pending"] or missing
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
