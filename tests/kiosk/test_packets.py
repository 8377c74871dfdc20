"""Background packets: a signed record committed without its PDF gets it, even after a restart."""

from __future__ import annotations

import datetime as dt
import errno
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest

from tpi_forms.errors import PacketError, TpiFormsError
from tpi_forms.kiosk.config import RetryPolicy
from tpi_forms.kiosk.packets import REASONS, PacketQueue
from tpi_forms.kiosk.state import checkin_state
from tpi_forms.kiosk.store import KioskStore, new_token
from tpi_forms.kiosk.text import KIOSK_TEXT, kiosk_text
from tpi_forms.pdf.packet import build_record
from tpi_forms.record.model import Signature
from tpi_forms.screening.scenarios import example_answers

from .conftest import close_logs, make_app, svc
from .kiosk_client import csrf, handover, open_checkin, page, sign, staff_login, submit_screening


def signed_record() -> dict[str, object]:
    when = dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC)
    signature = Signature(
        role="patient",
        printed_name="Alex Example",
        signed_at=when,
        meaning="I agree to the shot.",
        method="typed",
    )
    return build_record(example_answers("clear"), [signature], created_at=when).to_dict()


@pytest.fixture
def store(tmp_path: Path) -> KioskStore:
    s = KioskStore(tmp_path / "data")
    yield s
    s.close()


@pytest.mark.parametrize("workers", [0, 1], ids=["thread", "process"])
def test_pending_records_get_their_packet_at_start(store: KioskStore, workers: int) -> None:
    checkins = [store.create_checkin({"name": None}, mode="self") for _ in range(2)]
    tokens = [new_token() for _ in checkins]
    for checkin, token in zip(checkins, tokens, strict=True):
        store.submit(token, checkin.id, "consent", signed_record(), {"signed": True})
    assert len(store.pending_packets("consent")) == 2
    queue = PacketQueue(store, "consent", workers)
    queue.start()  # as after a restart: what was pending is rendered now
    try:
        assert queue.wait_idle(180)
    finally:
        queue.close()
    assert store.pending_packets("consent") == []
    for checkin, token in zip(checkins, tokens, strict=True):
        packet = store.packet(checkin.id)
        assert packet is not None and packet.submission_token == token
        data = store.read_packet(checkin.id)
        assert data is not None and data.startswith(b"%PDF")
        assert [e.kind for e in store.events(checkin.id)] == ["opened", "packet_generated"]


FAST = RetryPolicy(attempts=3, transient_attempts=5, first_wait=0.01, max_wait=0.04)
"""Short waits so the retry tests take well under a second."""
FAKE_PDF = b"%PDF-1.7 fake"


def signed(store: KioskStore, payload: object = None) -> tuple[str, str]:
    """A stored signed submission (a record by default); returns (check-in id, token)."""
    checkin = store.create_checkin({"name": None}, mode="self")
    token = new_token()
    store.submit(token, checkin.id, "consent", payload or signed_record(), {"signed": True})
    return checkin.id, token


def run_queue(
    store: KioskStore, render: Callable[[bytes], bytes], timeout: float = 30
) -> PacketQueue:
    queue = PacketQueue(store, "consent", retry=FAST, render=render)
    queue.start()
    try:
        assert queue.wait_idle(timeout)
        assert all(thread.is_alive() for thread in queue._threads)
    finally:
        queue.close()
    return queue


class Flaky:
    """A renderer that raises ``error`` the first ``failures`` times, then makes a PDF."""

    def __init__(self, failures: int, error: BaseException) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    def __call__(self, record_json: bytes) -> bytes:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return FAKE_PDF


def test_a_record_the_renderer_refuses_keeps_the_record_and_says_so(store: KioskStore) -> None:
    checkin_id, token = signed(store, {"not": "a record"})
    queue = PacketQueue(store, "consent", retry=FAST)  # the real renderer: RecordError
    queue.start()
    try:
        assert queue.wait_idle(60)
    finally:
        queue.close()
    assert queue.failures == FAST.attempts
    assert store.packet(checkin_id) is None
    assert store.submission(token) is not None
    kinds = [e.kind for e in store.events(checkin_id)]
    assert kinds == ["opened", "packet_failed", "packet_failed", "packet_gave_up"]
    assert [s.token for s in store.pending_packets("consent")] == [token]


def test_a_renderer_that_always_fails_is_tried_a_few_times_then_given_up(
    store: KioskStore,
) -> None:
    checkin_id, token = signed(store)
    secret = "Alex Example's record"  # an exception message could hold patient text
    render = Flaky(1000, PacketError(f"cannot print {secret}"))
    run_queue(store, render)
    assert render.calls == FAST.attempts == 3
    failed = store.events(checkin_id, kinds=("packet_failed",))
    assert [e.detail for e in failed] == [
        {"attempt": 1, "of": 3, "error": "PacketError", "reason": "render", "retry_in": 0.01},
        {"attempt": 2, "of": 3, "error": "PacketError", "reason": "render", "retry_in": 0.02},
    ]  # the wait doubles
    (gave_up,) = store.events(checkin_id, kinds=("packet_gave_up",))
    assert gave_up.detail == {"attempts": 3, "error": "PacketError", "reason": "render"}
    assert all("Alex" not in json.dumps(e.detail) for e in store.events(checkin_id))
    state = checkin_state(store, store.checkin(checkin_id))  # type: ignore[arg-type]
    assert state.packet_failure == gave_up.detail

    # After a restart nothing happens by itself (no event per start for ever) ...
    again = Flaky(0, OSError())
    run_queue(store, again)
    assert again.calls == 0 and len(store.events(checkin_id)) == 4
    # ... until staff ask: then it is made.
    store.add_event(checkin_id, "packet_retry_requested", {"by": "staff"})
    queue = PacketQueue(store, "consent", retry=FAST, render=again)
    queue.start()
    try:
        queue.retry(token)
        assert queue.wait_idle(30)
    finally:
        queue.close()
    assert store.read_packet(checkin_id) == FAKE_PDF
    state = checkin_state(store, store.checkin(checkin_id))  # type: ignore[arg-type]
    assert state.packet_failure is None and state.packet is not None


def test_a_renderer_that_fails_twice_then_works_makes_the_packet(store: KioskStore) -> None:
    checkin_id, _ = signed(store)
    render = Flaky(2, PacketError("once"))
    queue = run_queue(store, render)
    assert render.calls == 3 and queue.failures == 2
    kinds = [e.kind for e in store.events(checkin_id)]
    assert kinds == ["opened", "packet_failed", "packet_failed", "packet_generated"]
    assert store.read_packet(checkin_id) == FAKE_PDF


@pytest.mark.parametrize(
    ("error", "reason", "tries"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "disk_full", 5),
        (sqlite3.OperationalError("database or disk is full"), "storage", 5),
        (OSError(errno.EIO, "I/O error"), "storage", 5),
        (BrokenProcessPool("a worker died"), "worker_stopped", 5),
        (TimeoutError(), "timeout", 3),
        (ValueError("bad"), "render", 3),
    ],
)
def test_failures_that_may_pass_are_tried_longer(
    store: KioskStore, error: BaseException, reason: str, tries: int
) -> None:
    checkin_id, _ = signed(store)
    render = Flaky(1000, error)
    run_queue(store, render)
    assert render.calls == tries
    (gave_up,) = store.events(checkin_id, kinds=("packet_gave_up",))
    assert gave_up.detail == {"attempts": tries, "error": type(error).__name__, "reason": reason}


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(attempts=3, transient_attempts=40, first_wait=5, max_wait=600)
    assert [policy.wait(n) for n in range(1, 10)] == [5, 10, 20, 40, 80, 160, 320, 600, 600]
    assert policy.wait(1000) == 600
    assert (policy.limit(transient=False), policy.limit(transient=True)) == (3, 40)
    with pytest.raises(TpiFormsError):
        RetryPolicy(attempts=0)
    with pytest.raises(TpiFormsError):
        RetryPolicy(first_wait=10, max_wait=5)


def test_a_full_disk_while_recording_a_failure_does_not_stop_the_queue(
    store: KioskStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17: ENOSPC raised while recording the failure killed the packet thread."""
    disk_full = threading.Event()
    disk_full.set()
    add_event, add_packet = store.add_event, store.add_packet

    def full() -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def event(*args: Any, **kwargs: Any) -> Any:
        return full() if disk_full.is_set() else add_event(*args, **kwargs)

    def packet(*args: Any, **kwargs: Any) -> Any:
        return full() if disk_full.is_set() else add_packet(*args, **kwargs)

    monkeypatch.setattr(store, "add_event", event)
    monkeypatch.setattr(store, "add_packet", packet)
    checkin_id, _ = signed(store)
    queue = PacketQueue(store, "consent", retry=FAST, render=Flaky(0, OSError()))
    queue.start()
    try:
        deadline = time.monotonic() + 10
        while queue.failures < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert queue.failures >= 3  # tried again although nothing could be recorded
        assert all(thread.is_alive() for thread in queue._threads)
        disk_full.clear()  # space again: the packet is made without a restart
        later_id, later_token = signed(store)
        queue.enqueue(later_token)
        assert queue.wait_idle(30)
        assert all(thread.is_alive() for thread in queue._threads)
    finally:
        queue.close()
    assert store.read_packet(checkin_id) == FAKE_PDF
    assert store.read_packet(later_id) == FAKE_PDF


def test_an_error_outside_the_render_does_not_stop_the_queue(
    store: KioskStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkin_id, token = signed(store)
    broken = threading.Event()
    broken.set()
    submission = store.submission

    def unreadable(token: str) -> Any:
        if broken.is_set():
            raise sqlite3.OperationalError("disk I/O error")
        return submission(token)

    monkeypatch.setattr(store, "submission", unreadable)
    queue = PacketQueue(store, "consent", retry=FAST, render=Flaky(0, OSError()))
    queue.start()
    try:
        deadline = time.monotonic() + 10
        while queue.attempts(token) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert queue.attempts(token) >= 2
        broken.clear()
        assert queue.wait_idle(30)
        assert all(thread.is_alive() for thread in queue._threads)
    finally:
        queue.close()
    assert store.read_packet(checkin_id) == FAKE_PDF


def test_close_cancels_waiting_retries(store: KioskStore) -> None:
    signed(store)
    slow = RetryPolicy(attempts=3, first_wait=60, max_wait=60)
    render = Flaky(1000, PacketError("no"))
    queue = PacketQueue(store, "consent", retry=slow, render=render)
    queue.start()
    deadline = time.monotonic() + 10
    while render.calls < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not queue.wait_idle(0.2)  # a retry is waiting: not idle
    started = time.monotonic()
    queue.close()
    assert time.monotonic() - started < 5 and render.calls == 1


def test_add_packet_refuses_a_second_packet(store: KioskStore) -> None:
    from tpi_forms.kiosk.store import ConflictError

    checkin = store.create_checkin({"name": None}, mode="self")
    token = new_token()
    store.submit(token, checkin.id, "consent", {}, {})
    store.add_packet(checkin.id, token, b"%PDF-1.7 one")
    with pytest.raises(ConflictError):
        store.add_packet(checkin.id, token, b"%PDF-1.7 two")
    assert store.read_packet(checkin.id) == b"%PDF-1.7 one"
    assert len(list(store.packet_folder.iterdir())) == 1


# -- what staff see ------------------------------------------------------------------------------


def test_staff_see_a_packet_that_could_not_be_made_and_try_again(tmp_path: Path) -> None:
    app = make_app(tmp_path / "data", packet_retry=FAST)
    services = svc(app)
    try:
        services.packets.render = Flaky(1000, PacketError("Alex Example cannot be printed"))
        client = app.test_client()
        staff_login(client)
        url = open_checkin(client)
        handover(client, url)
        submit_screening(client)
        assert sign(client).location == "/kiosk/next"
        assert services.packets.wait_idle(30)

        staff_login(client)
        detail = page(client, url)
        words = kiosk_text("en")
        assert 'id="kiosk-packet-failed"' in detail and 'role="alert"' in detail
        assert words["staff_packet_failed_title"] in detail
        assert words["staff_packet_reason_render"] in detail and "PacketError" in detail
        assert words["staff_packet_failed_text"].format(attempts=3) in detail
        assert "cannot be printed" not in detail  # the exception's message is never shown
        assert 'http-equiv="refresh"' not in detail  # nothing to wait for
        assert "kiosk-packet-pending" not in detail
        dashboard = page(client, "/staff/")
        assert words["staff_packet_failed_note"] in dashboard

        services.packets.render = Flaky(0, OSError())
        retry = client.post(f"{url}/packet/retry", data={"csrf_token": csrf(detail)})
        assert retry.status_code == 302 and retry.location == url.removeprefix("http://localhost")
        assert services.packets.wait_idle(30)
        detail = page(client, url)
        assert "View or print" in detail and "kiosk-packet-failed" not in detail
        kinds = [e.kind for e in services.store.events(services.store.checkins()[0].id)]
        assert kinds[-3:] == ["packet_gave_up", "packet_retry_requested", "packet_generated"]
        again = client.post(f"{url}/packet/retry", data={"csrf_token": csrf(detail)})
        assert again.status_code == 409  # nothing to try again
    finally:
        services.close()
        close_logs()


def test_retry_needs_staff(tmp_path: Path) -> None:
    app = make_app(tmp_path / "data", csrf=False)
    try:
        client = app.test_client()
        response = client.post("/staff/checkins/" + "x" * 22 + "/packet/retry")
        assert response.status_code == 302 and response.location.endswith("/staff/login")
    finally:
        svc(app).close()
        close_logs()


def test_every_kiosk_language_has_every_word() -> None:
    keys = {locale: set(words) for locale, words in KIOSK_TEXT.items()}
    assert set(keys) >= {"en", "es"}
    assert all(k == keys["en"] for k in keys.values())
    assert {f"staff_packet_reason_{reason}" for reason in REASONS} <= keys["en"]
