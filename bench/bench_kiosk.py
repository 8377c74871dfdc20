"""Load test of the kiosk: simulated tablets run check-in → screening → signing → packet at once.

Starts ``tpi-forms kiosk`` (waitress) on 127.0.0.1 with a temporary data folder, drives N
concurrent kiosks (threads, ``http.client``, one cookie per kiosk) for a bounded time, then
checks the store: every acknowledged submission must be there, one per check-in, with its
packet. Some submits are sent twice on purpose (a double tap), which must store one record.

    python3 bench/bench_kiosk.py --kiosks 50 --seconds 20

Prints requests/s, p50/p99 latency, packets generated, errors and lost submissions; exits 1 if
there were errors or lost submissions.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
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

from tpi_forms.kiosk.store import KioskStore
from tpi_forms.screening.scenarios import example_answers
from tpi_forms.web.forms import to_formdata

HARD_LIMIT = 60.0
"""No run lasts longer than this many seconds, whatever is asked."""
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
HIDDEN = r'name="{name}"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="{name}"'
RISK = re.compile(r'name="(risk-[^"]+)"')
COOKIE = re.compile(r"tpi_kiosk=([^;]*)")


@dataclass
class Results:
    """What every kiosk measured, merged under a lock."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    screening_acks: list[str] = field(default_factory=list)
    consent_acks: list[str] = field(default_factory=list)
    double_taps: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Kiosk:
    """One simulated tablet: one connection, one session cookie."""

    def __init__(self, port: int, results: Results, rng: random.Random, think: float = 0) -> None:
        self.think = think
        self.port = port
        self.results = results
        self.rng = rng
        self.cookie = ""
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(
        self, method: str, path: str, form: list[tuple[str, str]] | None = None
    ) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(form or []) if method == "POST" else None
        headers = {"Cookie": f"tpi_kiosk={self.cookie}"} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            raise
        elapsed = time.perf_counter() - started
        with self.results.lock:
            self.results.latencies.append(elapsed)
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
    ) -> str:
        if self.think:
            time.sleep(self.rng.uniform(0.5, 1.5) * self.think)  # a person reading, tapping
        code, where, text = self.request(method, path, form)
        if code != status or (location is not None and where != location):
            raise RuntimeError(
                f"{method} {path}: {code} {where} (expected {status} {location or ''})"
            )
        return text

    def one_patient(self) -> None:
        start = self.expect("GET", "/", 200)
        self.expect(
            "POST",
            "/kiosk/self",
            302,
            [("csrf_token", csrf(start)), ("locale", "en")],
            "/kiosk/next",
        )
        page = self.expect("GET", "/kiosk/screening", 200)
        token = secrets.token_urlsafe(16)  # client-generated submission token
        answers = example_answers("clear")
        answers["patient_name"] = f"Bench Patient {secrets.token_hex(4)}"
        form = [("csrf_token", csrf(page)), ("submission_token", token), *to_formdata(answers)]
        self.expect("POST", "/kiosk/screening", 302, form, "/kiosk/next")
        if self.rng.random() < 0.1:  # a double tap: the same submission again
            self.expect("POST", "/kiosk/screening", 302, form, "/kiosk/next")
            with self.results.lock:
                self.results.double_taps += 1
        with self.results.lock:
            self.results.screening_acks.append(token)
        page = self.expect("GET", "/kiosk/consent", 200)
        token = secrets.token_urlsafe(16)
        form = [
            ("csrf_token", csrf(page)),
            ("submission_token", token),
            ("consent_hash", hidden(page, "consent_hash")),
            *((risk, "yes") for risk in sorted(set(RISK.findall(page)))),
            ("esign_consent", "yes"),
            ("patient-signer", "patient"),
            ("patient-printed_name", str(answers["patient_name"])),
            ("patient-method", "typed"),
            ("patient-intent", "yes"),
        ]
        self.expect("POST", "/kiosk/consent", 302, form, "/kiosk/next")
        with self.results.lock:
            self.results.consent_acks.append(token)
        done = self.expect("GET", "/kiosk/done", 200)
        self.expect("POST", "/kiosk/finish", 302, [("csrf_token", csrf(done))], "/")

    def run(self, until: float) -> None:
        while time.monotonic() < until:
            try:
                self.one_patient()
            except Exception as exc:  # every failure is counted, none stops the others
                with self.results.lock:
                    self.results.errors.append(f"{type(exc).__name__}: {exc}")
                self.cookie = ""
        self.conn.close()


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


def start_server(data: Path, port: int, threads: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
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
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the kiosk server did not start")


def wait_for_packets(data: Path, deadline: float) -> bool:
    """Wait until the server has rendered every signed record's packet, or the deadline."""
    store = KioskStore(data, exclusive=False)  # beside the running server
    try:
        while time.monotonic() < deadline:
            if not store.pending_packets("consent"):
                return True
            time.sleep(0.25)
        return not store.pending_packets("consent")
    finally:
        store.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def check_store(data: Path, results: Results) -> dict[str, int]:
    store = KioskStore(data)
    try:
        lost = 0
        for token in results.screening_acks + results.consent_acks:
            if store.submission(token) is None:
                lost += 1
        packets = 0
        for token in results.consent_acks:
            sub = store.submission(token)
            if sub is not None and store.read_packet(sub.checkin_id) is not None:
                packets += 1  # read_packet checks the PDF against its SHA-256
        per_checkin: dict[str, int] = {}
        for sub in store.submissions():
            per_checkin[f"{sub.checkin_id}/{sub.kind}"] = (
                per_checkin.get(f"{sub.checkin_id}/{sub.kind}", 0) + 1
            )
        duplicates = sum(1 for n in per_checkin.values() if n > 1)
        return {
            "lost": lost,
            "packets": packets,
            "duplicates": duplicates,
            "stored_submissions": len(store.submissions()),
        }
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", type=int, default=50, help="concurrent kiosks (default 50)")
    parser.add_argument(
        "--seconds", type=float, default=20, help="time to start new patients (default 20)"
    )
    parser.add_argument("--threads", type=int, default=16, help="server threads (default 16)")
    parser.add_argument(
        "--think", type=float, default=0, help="mean pause before each request (default 0)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    kiosks = max(1, min(args.kiosks, 200))
    seconds = max(1.0, min(args.seconds, HARD_LIMIT - 20))
    results = Results()
    with tempfile.TemporaryDirectory(prefix="tpi-kiosk-bench-") as tmp:
        data = Path(tmp) / "data"
        port = free_port()
        server = start_server(data, port, args.threads)
        try:
            started = time.monotonic()
            until = started + seconds
            workers = [
                threading.Thread(
                    target=Kiosk(port, results, random.Random(i), args.think).run, args=(until,)
                )
                for i in range(kiosks)
            ]
            for w in workers:
                w.start()
            for w in workers:
                w.join(timeout=max(0.1, started + HARD_LIMIT - time.monotonic()))
            if any(w.is_alive() for w in workers):
                results.errors.append("kiosks still busy at the hard time limit")
            signed_by = time.monotonic() - started
            drained = wait_for_packets(data, started + HARD_LIMIT)
            elapsed = time.monotonic() - started
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        stored = check_store(data, results)
    figures = {
        "kiosks": kiosks,
        "think_seconds": args.think,
        "seconds_signing": round(signed_by, 1),
        "seconds_until_all_packets": round(elapsed, 1) if drained else None,
        "requests": len(results.latencies),
        "requests_per_second": round(len(results.latencies) / signed_by, 1),
        "p50_ms": round(percentile(results.latencies, 0.50) * 1000, 1),
        "p99_ms": round(percentile(results.latencies, 0.99) * 1000, 1),
        "mean_ms": round(statistics.fmean(results.latencies) * 1000, 1) if results.latencies else 0,
        "patients_completed": len(results.consent_acks),
        "packets_generated": stored["packets"],
        "packets_per_second": round(stored["packets"] / elapsed, 2),
        "packets_pending": len(results.consent_acks) - stored["packets"],
        "double_taps": results.double_taps,
        "duplicate_records": stored["duplicates"],
        "errors": len(results.errors),
        "lost_submissions": stored["lost"],
        "cpus": os.cpu_count() or 1,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:>20}: {value}")
        for error in results.errors[:10]:
            print(f"error: {error}")
    bad = results.errors or stored["lost"] or stored["duplicates"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
