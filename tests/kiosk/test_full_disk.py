"""A full disk while packets are made: the worker waits and tries again; space again, all made."""

from __future__ import annotations

import errno
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tpi_forms.kiosk.config import RetryPolicy
from tpi_forms.kiosk.state import CONSENT

from .conftest import close_logs, make_app, svc
from .kiosk_client import handover, open_checkin, page, sign, staff_login, submit_screening

PATIENT_WAIT = RetryPolicy(attempts=3, transient_attempts=1000, first_wait=0.02, max_wait=0.1)
"""Short waits, and many tries for a failure that may pass (as in production, only faster)."""


def test_full_disk_then_space_again_makes_every_packet_without_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17, attack 4: a full disk stopped packet rendering until the server restarted."""
    app = make_app(tmp_path / "data", packet_workers=0, packet_retry=PATIENT_WAIT)
    full = threading.Event()
    real_fsync = os.fsync

    def fsync(fd: int) -> None:  # every packet file is fsynced before it is renamed into place
        if full.is_set():
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    queue = svc(app).packets
    made: list[int] = []
    render = queue.render

    def counted(record_json: bytes) -> bytes:
        made.append(1)
        return render(record_json)

    queue.render = counted

    try:
        full.set()
        client = app.test_client()
        checkins = []
        for name in ("Ana Full", "Ben Full"):
            staff_login(client)
            url = open_checkin(client, name=name)
            handover(client, url)
            assert submit_screening(client).status_code == 302
            assert sign(client, name).status_code == 302  # the record is saved all the same
            checkins.append(url.rsplit("/", 1)[1])
            client.post("/kiosk/finish", data={"csrf_token": _csrf(client)})
        deadline = time.monotonic() + 120
        while queue.failures < 6 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert queue.failures >= 6, "both packets were tried again and again"
        assert len(made) == 2, "made once each: only storing them is tried again"
        assert all(thread.is_alive() for thread in queue._threads)
        staff_login(client)
        for checkin_id in checkins:
            staff_page = page(client, f"/staff/checkins/{checkin_id}")
            assert "being made" in staff_page  # not given up: it is waiting for space
        store = svc(app).store
        assert [store.packet(c) for c in checkins] == [None, None]
        assert store.events(kinds=("packet_gave_up",)) == []

        full.clear()  # space again: no restart, no staff action
        assert queue.wait_idle(60)
        for checkin_id in checkins:
            data = store.read_packet(checkin_id)
            assert data is not None and data.startswith(b"%PDF")
            assert store.latest_submission(checkin_id, CONSENT) is not None
        reasons = {e.detail["reason"] for e in store.events(kinds=("packet_failed",))}
        assert reasons == {"disk_full"}
    finally:
        full.clear()
        svc(app).close()
        close_logs()


def _csrf(client: Any) -> str:
    from .kiosk_client import csrf

    return csrf(page(client, "/kiosk/done"))
