"""A full disk while packets are made: the packet threads try again; space again, all made."""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tpi_forms.kiosk.config import RetryPolicy
from tpi_forms.kiosk.state import CONSENT
from tpi_forms.kiosk.store import KioskStore

from .conftest import close_logs, make_app, svc
from .kiosk_client import csrf, handover, open_checkin, page, sign, staff_login, submit_screening

SHORT_WAIT = RetryPolicy(attempts=3, transient_attempts=1000, first_wait=0.02, max_wait=0.1)
"""Short waits, and many tries for a failure that may pass (as in production, only faster)."""


def test_full_disk_then_space_again_makes_every_packet_without_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17, attack 4: a full disk stopped packet rendering until the server restarted.

    While the disk is full, everything the packet threads write fails as it does on a full
    disk: the PDF file (ENOSPC) and the store's transactions, the failure's own event among them
    (SQLITE_FULL). The patients' signed records, committed by their requests, are saved.
    """
    app = make_app(tmp_path / "data", packet_workers=0, packet_retry=SHORT_WAIT)
    full = threading.Event()

    def disk_full() -> bool:
        return full.is_set() and threading.current_thread().name.startswith("tpi-packets")

    real_fsync = os.fsync

    def fsync(fd: int) -> None:  # every packet file is fsynced before it is renamed into place
        if disk_full():
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    real_write = KioskStore._write

    @contextmanager
    def write(self: KioskStore) -> Iterator[sqlite3.Connection]:
        with real_write(self) as conn:  # rolled back when the commit cannot be written
            yield conn
            if disk_full():
                error = sqlite3.OperationalError("database or disk is full")
                error.sqlite_errorcode = sqlite3.SQLITE_FULL  # type: ignore[attr-defined]
                error.sqlite_errorname = "SQLITE_FULL"  # type: ignore[attr-defined]
                raise error

    died: list[str] = []

    def excepthook(args: Any) -> None:
        died.append(f"{getattr(args.thread, 'name', '?')} died of {args.exc_type.__name__}")

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(KioskStore, "_write", write)
    monkeypatch.setattr(threading, "excepthook", excepthook)
    queue = svc(app).packets
    store = svc(app).store
    try:
        full.set()
        client = app.test_client()
        checkins = []
        for name in ("Ana Example", "Ben Example"):
            staff_login(client)
            url = open_checkin(client, name=name)
            handover(client, url)
            assert submit_screening(client).status_code == 302
            assert sign(client, name).status_code == 302  # the record is saved all the same
            checkins.append(url.rsplit("/", 1)[1])
            client.post("/kiosk/finish", data={"csrf_token": csrf(page(client, "/kiosk/done"))})
        for checkin_id in checkins:
            assert store.latest_submission(checkin_id, CONSENT) is not None

        def alive() -> bool:
            return all(thread.is_alive() for thread in queue._threads)

        deadline = time.monotonic() + 60
        while queue.failures < 4 and alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert alive(), f"a packet thread died on the full disk: {died}"
        assert queue.failures >= 4, f"both packets were tried again and again ({queue.failures})"
        staff_login(client)
        for checkin_id in checkins:
            assert "being made" in page(client, f"/staff/checkins/{checkin_id}")
        assert [store.packet(c) for c in checkins] == [None, None]

        full.clear()  # space again: no restart, no staff action
        assert queue.wait_idle(60), "packets still not made 60 s after the disk had space"
        assert alive(), f"a packet thread died: {died}"
        assert died == []
        for checkin_id in checkins:
            data = store.read_packet(checkin_id)
            assert data is not None and data.startswith(b"%PDF")
    finally:
        full.clear()
        svc(app).close()
        close_logs()
