"""The real server (``tpi-forms kiosk``, waitress) killed with SIGKILL while tablets submit.

Every screening or signature the server acknowledged (its redirect arrived) must be in the
store after a restart, once, and every signed record must get its packet.
"""

from __future__ import annotations

import http.client
import random
import re
import secrets
import signal
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from tpi_forms.kiosk.store import TEMP_PREFIX, KioskStore
from tpi_forms.screening.scenarios import example_answers
from tpi_forms.web.forms import to_formdata

from .test_cli_kiosk import port_of, serve

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HIDDEN = re.compile(r'name="consent_hash" value="([^"]+)"')
RISK = re.compile(r'name="(risk-[^"]+)"')


class Tablet:
    """A minimal browser: one cookie, form posts, no redirects followed."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""

    def call(
        self, method: str, path: str, form: list[tuple[str, str]] | None = None
    ) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {"Cookie": f"tpi_kiosk={self.cookie}"} if self.cookie else {}
            body = None
            if form is not None:
                body = urllib.parse.urlencode(form)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            for value in response.headers.get_all("Set-Cookie") or []:
                if value.startswith("tpi_kiosk="):
                    self.cookie = value.split(";", 1)[0].split("=", 1)[1]
            return response.status, text
        finally:
            conn.close()


def patient(port: int, acked: list[tuple[str, str]], stop: threading.Event) -> None:
    while not stop.is_set():
        tablet = Tablet(port)
        try:
            _, start = tablet.call("GET", "/")
            tablet.call(
                "POST", "/kiosk/self", [("csrf_token", CSRF.findall(start)[0]), ("locale", "en")]
            )
            _, form = tablet.call("GET", "/kiosk/screening")
            token = secrets.token_urlsafe(16)
            data = [("csrf_token", CSRF.findall(form)[0]), ("submission_token", token)]
            status, _ = tablet.call(
                "POST", "/kiosk/screening", data + to_formdata(example_answers("clear"))
            )
            if status != 302:
                continue
            acked.append(("screening", token))
            _, page = tablet.call("GET", "/kiosk/consent")
            token = secrets.token_urlsafe(16)
            sign = [
                ("csrf_token", CSRF.findall(page)[0]),
                ("submission_token", token),
                ("consent_hash", HIDDEN.findall(page)[0]),
                *((r, "yes") for r in sorted(set(RISK.findall(page)))),
                ("esign_consent", "yes"),
                ("patient-signer", "patient"),
                ("patient-printed_name", "Alex Example"),
                ("patient-method", "typed"),
                ("patient-intent", "yes"),
            ]
            status, _ = tablet.call("POST", "/kiosk/consent", sign)
            if status == 302:
                acked.append(("consent", token))
        except (OSError, http.client.HTTPException, IndexError):
            time.sleep(0.05)  # the server is down or restarting: start over


@pytest.mark.slow
def test_killed_server_loses_no_acknowledged_submission(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc, lines = serve(data)  # a free port, which the restarts keep
    port = port_of(lines)
    rng = random.Random(7)
    acked: list[tuple[str, str]] = []
    stop = threading.Event()
    tablets = [threading.Thread(target=patient, args=(port, acked, stop)) for _ in range(3)]
    for t in tablets:
        t.start()
    try:
        for _ in range(5):
            time.sleep(rng.uniform(0.7, 2.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            assert proc.stdout is not None
            proc.stdout.close()
            proc, _ = serve(data, port)
        time.sleep(1.0)
    finally:
        stop.set()
        for t in tablets:
            t.join(timeout=60)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        assert proc.stdout is not None
        proc.stdout.close()
    assert len(acked) >= 5, "the tablets should get answers between kills"
    store = KioskStore(data)
    try:
        assert store._conn().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for kind, token in acked:
            sub = store.submission(token)
            assert sub is not None and sub.kind == kind
        per_checkin = [(s.checkin_id, s.kind) for s in store.submissions()]
        assert len(per_checkin) == len(set(per_checkin)), (
            "one screening and one signing per check-in"
        )
        leftovers = [
            p
            for p in (*data.iterdir(), *store.packet_folder.iterdir())
            if p.name.startswith(TEMP_PREFIX)
        ]
        assert leftovers == []
        for packet_file in store.packet_folder.iterdir():
            checkin_id = packet_file.name[:22]
            assert store.read_packet(checkin_id) is not None  # every file is a whole, named packet
    finally:
        store.close()
