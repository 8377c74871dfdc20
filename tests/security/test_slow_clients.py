"""The real kiosk server (waitress) keeps answering while slow clients hold many connections."""

from __future__ import annotations

import http.client
import re
import socket
import subprocess
import threading
import time
from pathlib import Path

from cold_kiosk import cold_kiosk

SLOW_CLIENTS = 120
"""More than waitress's default connection limit (100)."""
HOLD_SECONDS = 6.0


def start_server(data: Path) -> tuple[subprocess.Popen[str], int]:
    """A kiosk server on a free port, and that port, once it says it is serving."""
    command, env = cold_kiosk(["--data", str(data), "--port", "0"])
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if found := re.search(r"Serving the kiosk on http://127\.0\.0\.1:(\d+)/", line):
            return proc, int(found[1])
    proc.kill()
    raise AssertionError("the kiosk server did not start serving")


def timed_get(port: int, path: str = "/") -> tuple[int, float]:
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        status = conn.getresponse().status
    finally:
        conn.close()
    return status, time.monotonic() - started


def first_get(port: int) -> int:
    """The status of ``/`` once the server listens (it prints its address just before)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            return timed_get(port)[0]
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def slowloris(port: int, stop: threading.Event, opened: list[socket.socket]) -> None:
    """Open the slow connections, then send one more header byte on each every second."""
    for number in range(SLOW_CLIENTS):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(f"GET /?slow={number} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".encode())
        opened.append(sock)
    while not stop.wait(1.0):
        for sock in opened:
            try:
                sock.sendall(b"a")
            except OSError:
                pass  # closed by the server: that is allowed


def test_slow_clients_do_not_block_a_normal_request(tmp_path: Path) -> None:
    """Issue 17, attack 7: 120 slow connections exhausted waitress's 100."""
    proc, port = start_server(tmp_path / "data")
    stop = threading.Event()
    opened: list[socket.socket] = []
    attacker = threading.Thread(target=slowloris, args=(port, stop, opened), daemon=True)
    try:
        assert first_get(port) == 200
        attacker.start()
        deadline = time.monotonic() + 20
        while len(opened) < SLOW_CLIENTS and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(opened) == SLOW_CLIENTS
        time.sleep(HOLD_SECONDS / 2)
        for _ in range(3):
            try:
                status, took = timed_get(port)
            except (TimeoutError, OSError) as exc:
                raise AssertionError(f"a normal GET got no answer ({type(exc).__name__})") from None
            assert status == 200 and took < 1.0, (status, took)
            time.sleep(HOLD_SECONDS / 6)
    finally:
        stop.set()
        if attacker.is_alive():
            attacker.join(timeout=10)
        for sock in opened:
            sock.close()
        proc.terminate()
        proc.wait(timeout=30)
        assert proc.stdout is not None
        proc.stdout.close()
