"""``tpi-forms kiosk``: options, first-start PIN, and a real server answering on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tpi_forms.cli import main
from tpi_forms.kiosk.security import PIN_FILE, StaffPin


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["kiosk", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--host", "--port", "--data", "--idle-timeout", "--staff-pin-file"):
        assert option in out
    for option in ("--allowed-host", "--seal-key", "--seal-cert", "backup", "restore"):
        assert option in out


def test_the_hosts_allowed_are_loopback_the_listening_address_and_those_named() -> None:
    from tpi_forms.cli.kiosk import allowed_hosts

    assert allowed_hosts("127.0.0.1", []) == ("127.0.0.1", "localhost", "::1")
    assert allowed_hosts("192.168.1.5", ["kiosk.lan"]) == (
        "127.0.0.1",
        "localhost",
        "::1",
        "192.168.1.5",
        "kiosk.lan",
    )
    assert "0.0.0.0" not in allowed_hosts("0.0.0.0", [])


@pytest.mark.parametrize(
    "argv",
    [
        ["kiosk", "--port", "http"],
        ["kiosk", "--port", "70000"],
        ["kiosk", "--idle-timeout", "1"],
        ["kiosk", "--idle-timeout", "soon"],
        ["kiosk", "--no-such-option"],
    ],
)
def test_bad_options_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_short_pin_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pin_file = tmp_path / "pin.txt"
    pin_file.write_text("123\n", "utf-8")
    code = main(["kiosk", "--data", str(tmp_path / "d"), "--staff-pin-file", str(pin_file)])
    assert code == 2 and "6 to 128" in capsys.readouterr().err


def test_a_folder_in_use_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tpi_forms.kiosk.store import KioskStore

    running = KioskStore(tmp_path)
    try:
        assert main(["kiosk", "--data", str(tmp_path)]) == 2
    finally:
        running.close()
    assert "another kiosk server" in capsys.readouterr().err
    assert not StaffPin(tmp_path).is_set()  # no PIN made that nobody saw


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(data: Path, port: int) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tpi_forms", "kiosk", "--data", str(data), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    lines = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if "Serving the kiosk" in line or not line:
            break
    return proc, lines


def fetch(url: str) -> Any:
    """GET ``url`` directly (no proxy), retrying while the server starts listening."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 20
    while True:
        try:
            return opener.open(url, timeout=10)
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=30)
    assert proc.stdout is not None
    proc.stdout.close()


def test_first_start_prints_a_pin_once_and_serves(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = free_port()
    proc, lines = serve(data, port)
    try:
        (pin_line,) = [line for line in lines if "Staff PIN" in line]
        (seal_line,) = [line for line in lines if "verify --trust" in line]
        assert str(data / "seal" / "clinic-seal-cert.pem") in seal_line and "made now" in seal_line
        pin = pin_line.rsplit(" ", 1)[1].strip()
        with fetch(f"http://127.0.0.1:{port}/") as response:
            assert response.status == 200
            assert response.headers["X-Frame-Options"] == "DENY"
            assert "Welcome" in response.read().decode()
    finally:
        stop(proc)
    assert StaffPin(data).verify(pin)
    assert pin not in (data / PIN_FILE).read_text("ascii")
    assert pin not in (data / "kiosk.log").read_text("utf-8")
    proc, lines = serve(data, port)
    stop(proc)
    assert not any("Staff PIN" in line for line in lines)
