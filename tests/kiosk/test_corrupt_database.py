"""A damaged kiosk database: one line naming the file and the way out, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tpi_forms.kiosk.store import DATABASE_NAME, KioskStore


def garbage(database: Path) -> None:
    database.write_bytes(b"this is not a database\n" * 400)


def truncated(database: Path) -> None:
    store = KioskStore(database.parent)
    for number in range(400):
        store.create_checkin({"name": f"Patient {number}", "note": "x" * 200}, mode="staff")
    store.close()  # the last connection checkpoints the WAL into the file
    size = database.stat().st_size
    with database.open("r+b") as fh:
        fh.truncate(size * 3 // 5)


@pytest.mark.parametrize("damage", [garbage, truncated], ids=["garbage", "truncated"])
def test_the_kiosk_refuses_a_damaged_database_in_one_line(tmp_path: Path, damage: object) -> None:
    """Issue 17, attack 8: a traceback, or a server that started and answered 500."""
    data = tmp_path / "data"
    data.mkdir()
    database = data / DATABASE_NAME
    damage(database)  # type: ignore[operator]
    damaged = database.read_bytes()
    proc = subprocess.run(
        [sys.executable, "-m", "tpi_forms", "kiosk", "--data", str(data), "--port", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Serving the kiosk" not in proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert str(database) in lines[0]
    assert f'sqlite3 {database} ".recover" | sqlite3 new.sqlite3' in lines[0]
    assert "Traceback" not in proc.stderr
    assert database.read_bytes() == damaged, "the damaged file is left as it was, for recovery"


def test_the_store_checks_integrity_at_start(tmp_path: Path) -> None:
    from tpi_forms.errors import StoreError

    data = tmp_path / "data"
    data.mkdir()
    truncated(data / DATABASE_NAME)
    with pytest.raises(StoreError, match="is damaged"):
        KioskStore(data)
