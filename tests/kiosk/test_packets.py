"""Background packets: a signed record committed without its PDF gets it, even after a restart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tpi_forms.kiosk.packets import PacketQueue
from tpi_forms.kiosk.store import KioskStore, new_token
from tpi_forms.pdf.packet import build_record
from tpi_forms.record.model import Signature
from tpi_forms.screening.scenarios import example_answers


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


def test_a_failed_render_keeps_the_record_and_says_so(store: KioskStore) -> None:
    checkin = store.create_checkin({"name": None}, mode="self")
    token = new_token()
    store.submit(token, checkin.id, "consent", {"not": "a record"}, {"signed": True})
    queue = PacketQueue(store, "consent")
    queue.start()
    try:
        assert queue.wait_idle(60)
    finally:
        queue.close()
    assert queue.failures == 1
    assert store.packet(checkin.id) is None
    assert store.submission(token) is not None
    assert store.events(checkin.id)[-1].kind == "packet_failed"
    assert [s.token for s in store.pending_packets("consent")] == [token]


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
