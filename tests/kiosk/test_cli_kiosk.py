"""``tpi-forms kiosk``: options, first-start set-up PIN, staff accounts, and a real server."""

from __future__ import annotations

import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from cold_kiosk import cold_kiosk

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
        ["kiosk", "--consent-layout", "scroll"],
    ],
)
def test_bad_options_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_short_pin_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cold_kiosk import cold_config

    from tpi_forms.kiosk import config

    monkeypatch.setattr(config, "KioskConfig", cold_config())  # the close waits for no warm-up
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


def serve(data: Path, port: int = 0) -> tuple[subprocess.Popen[str], list[str]]:
    """`serve_with` on ``port``; 0, the default, lets the server take a free port (`port_of`)."""
    return serve_with(["--data", str(data), "--port", str(port)])


def port_of(lines: list[str]) -> int:
    """The port a kiosk server says it is serving on."""
    (line,) = [line for line in lines if "Serving the kiosk on " in line]
    found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    assert found, line
    return int(found[1])


def serve_with(options: list[str]) -> tuple[subprocess.Popen[str], list[str]]:
    """A kiosk server process (``tpi-forms kiosk options``) once it says it is serving, and
    what it printed; its packet workers start cold (`cold_kiosk`)."""
    command, env = cold_kiosk(options)
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
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


@pytest.mark.slow
def test_first_start_prints_a_pin_once_and_serves(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc, lines = serve(data)
    port = port_of(lines)
    try:
        (pin_line,) = [line for line in lines if "Set-up PIN" in line]
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
    proc, lines = serve(data)
    stop(proc)
    assert not any("Set-up PIN" in line for line in lines)


# -- staff accounts ---------------------------------------------------------------------------------


def accounts_in(data: Path) -> Any:
    from tpi_forms.kiosk.accounts import StaffAccounts
    from tpi_forms.kiosk.store import KioskStore

    return StaffAccounts(KioskStore(data, exclusive=False))


def test_add_user_prints_a_generated_pin_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    argv = ["kiosk", "add-user", "--data", str(data), "--name", "Ana Ruiz", "--role", "clinician"]
    assert main([*argv, "--credentials", "MD"]) == 0
    out = capsys.readouterr().out
    assert "Added Ana Ruiz, MD (clinician)." in out
    (pin_line,) = [line for line in out.splitlines() if "shown once" in line]
    pin = pin_line.rsplit(" ", 1)[1]
    assert pin.isdigit() and len(pin) == 8
    accounts = accounts_in(data)
    try:
        (user,) = accounts.users()
        assert (user.name, user.credentials, user.role, user.active) == (
            "Ana Ruiz",
            "MD",
            "clinician",
            True,
        )
        assert accounts.verify(user.id, pin) == user
        (event,) = accounts.store.events(kinds=["staff_user_created"])
        assert event.detail["by"] == "command_line" and event.detail["first_account"] == 1
        assert event.detail["user"] == user.id
    finally:
        accounts.store.close()
    assert pin not in (data / "kiosk.sqlite3").read_bytes().decode("utf-8", "replace")
    assert main(argv) == 2  # the name is taken
    assert "already a staff account with this name" in capsys.readouterr().err


def test_add_user_reads_a_secret_file_and_checks_its_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    secret = tmp_path / "secret.txt"
    secret.write_text("correct horse battery\n", "utf-8")
    base = ["kiosk", "add-user", "--data", str(data), "--role", "front_desk"]
    assert main([*base, "--name", "Frankie Desk", "--secret-file", str(secret)]) == 0
    out = capsys.readouterr().out
    assert "shown once" not in out and "correct horse" not in out
    secret.write_text("123\n", "utf-8")
    assert main([*base, "--name", "Short Pin", "--secret-file", str(secret)]) == 2
    assert "6 to 128" in capsys.readouterr().err
    assert main([*base, "--name", "No File", "--secret-file", str(tmp_path / "none")]) == 2
    assert "error:" in capsys.readouterr().err
    assert main([*base, "--name", "Bad\u202eName", "--secret-file", str(secret)]) == 2
    assert "invisible character" in capsys.readouterr().err
    accounts = accounts_in(data)
    try:
        (user,) = accounts.users()
        assert user.role == "front_desk" and accounts.verify(user.id, "correct horse battery")
    finally:
        accounts.store.close()


def test_list_disable_and_enable_users(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    add = ["kiosk", "add-user", "--data", data]
    assert main([*add, "--name", "Ada Admin", "--role", "admin"]) == 0
    assert main([*add, "--name", "Bo Desk", "--role", "front_desk"]) == 0
    capsys.readouterr()
    assert main(["kiosk", "list-users", "--data", data]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[0] for line in lines] == ["Ada Admin", "Bo Desk"]
    assert "front desk" in lines[1] and "active" in lines[1]
    assert main(["kiosk", "disable-user", "--data", data, "--name", "bo desk"]) == 0
    assert "Bo Desk is disabled." in capsys.readouterr().out
    assert main(["kiosk", "--data", data, "list-users"]) == 0  # --data before the action too
    assert "disabled" in capsys.readouterr().out.splitlines()[1]
    assert main(["kiosk", "disable-user", "--data", data, "--name", "Ada Admin"]) == 2
    assert "last active admin" in capsys.readouterr().err
    assert main(["kiosk", "disable-user", "--data", data, "--name", "Nobody"]) == 2
    assert "no staff account with this name" in capsys.readouterr().err
    elsewhere = tmp_path / "elsewhere"
    assert main(["kiosk", "list-users", "--data", str(elsewhere)]) == 2
    assert "no kiosk database in" in capsys.readouterr().err and not elsewhere.exists()
    assert main(["kiosk", "enable-user", "--data", data, "--name", "Bo Desk"]) == 0
    assert "Bo Desk is enabled." in capsys.readouterr().out
    accounts = accounts_in(Path(data))
    try:
        assert all(u.active for u in accounts.users())
        kinds = [e.kind for e in accounts.store.events()]
        assert kinds.count("staff_user_created") == 2
        assert kinds[-2:] == ["staff_user_disabled", "staff_user_enabled"]
    finally:
        accounts.store.close()


def test_account_actions_in_help_and_bad_role(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["kiosk", "--help"])
    out = capsys.readouterr().out
    for action in ("add-user", "list-users", "disable-user", "enable-user"):
        assert action in out
    with pytest.raises(SystemExit) as exit_info:
        main(["kiosk", "add-user", "--name", "X Y", "--role", "doctor"])
    assert exit_info.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_add_user_retires_the_shared_pin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    StaffPin(data).set("135791")
    code = main(
        ["kiosk", "add-user", "--data", str(data), "--name", "Ada Admin", "--role", "admin"]
    )
    assert code == 0
    assert "shared staff PIN no longer logs in" in capsys.readouterr().out
    assert not StaffPin(data).is_set()
    pin_file = tmp_path / "pin.txt"
    pin_file.write_text("246813\n", "utf-8")
    argv = ["--data", str(data), "--port", "0", "--staff-pin-file", str(pin_file)]
    proc, lines = serve_with(argv)
    stop(proc)  # a 0.1.0 service file still naming a PIN file starts, with a warning
    assert any("--staff-pin-file is ignored" in line for line in lines)
    assert any("Serving the kiosk" in line for line in lines)
    assert not StaffPin(data).is_set()


def test_a_port_in_use_is_one_line_naming_it_and_shows_no_set_up_pin(tmp_path: Path) -> None:
    """The kiosk listens before it makes its data folder: a start that cannot listen prints one
    line naming the address, exit 2, and the start that serves shows the PIN and the new seal."""
    data = tmp_path / "data"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        command, env = cold_kiosk(["--data", str(data), "--port", str(port)])
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"tpi-forms kiosk: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]
    assert "Set-up PIN" not in done.stdout and "Serving" not in done.stdout
    assert not data.exists()  # no database, seal or PIN made that nobody was told of
    proc, lines = serve(data)
    stop(proc)
    assert len([line for line in lines if "Set-up PIN" in line]) == 1
    assert any("verify --trust" in line and "made now" in line for line in lines)
