"""Packet workers start warm: a fictional sample packet rendered before any patient's."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tpi_forms.definitions.clinic import sample_clinic
from tpi_forms.kiosk import app as app_module
from tpi_forms.kiosk.config import KioskConfig
from tpi_forms.kiosk.packets import PacketQueue, render_record_json
from tpi_forms.kiosk.store import KioskStore
from tpi_forms.kiosk.warm_up import SampleRecord, warm
from tpi_forms.record.model import ConsentRecord
from tpi_forms.screening.scenarios import example_answers

from .conftest import close_logs, make_app, svc
from .render_log import FAKE_PDF, FixedSample, LoggingRender
from .test_packets import signed

SAMPLE = SampleRecord()()
"""The JSON of the sample record (made once for the module)."""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KioskStore]:
    s = KioskStore(tmp_path / "data")
    yield s
    s.close()


class Recorder:
    """A renderer noting, for each record, whether it was the sample and whether the queue
    said it was warm at that moment."""

    def __init__(self, fail_sample: bool = False) -> None:
        self.queue: PacketQueue | None = None
        self.calls: list[tuple[str, bool]] = []
        self.fail_sample = fail_sample

    def __call__(self, record_json: bytes) -> bytes:
        assert self.queue is not None
        kind = "sample" if record_json == SAMPLE else "patient"
        self.calls.append((kind, self.queue.warmed.is_set()))
        if kind == "sample" and self.fail_sample:
            raise RuntimeError("no fonts")
        return FAKE_PDF


def test_the_sample_is_the_fictional_patient_for_the_kiosk_clinic() -> None:
    clinic = sample_clinic()
    record = ConsentRecord.from_json(SampleRecord(clinic)())
    assert record.answers["patient_name"] == example_answers("clear")["patient_name"]
    assert record.locale == clinic.default_locale
    assert [s.role for s in record.signatures] == ["patient", "practitioner"]
    assert record.signatures[0].image_png is not None  # a drawn one, as most patients sign
    assert ConsentRecord.from_json(SampleRecord(clinic, "es")()).locale == "es"


def test_warm_renders_a_real_packet_and_reports_failure_without_raising() -> None:
    made: list[bytes] = []

    def keep(record_json: bytes) -> bytes:
        pdf = render_record_json(record_json)
        made.append(pdf)
        return pdf

    assert warm(keep, FixedSample(SAMPLE)) is True
    assert made[0].startswith(b"%PDF")

    def broken(record_json: bytes) -> bytes:
        raise OSError("no fonts")

    assert warm(broken, FixedSample(SAMPLE)) is False


def test_the_thread_warms_up_before_the_first_packet(store: KioskStore) -> None:
    checkin_id, _ = signed(store)  # pending when the queue starts, as after a restart
    render = Recorder()
    queue = PacketQueue(store, "consent", render=render, warm=FixedSample(SAMPLE))
    render.queue = queue
    assert not queue.warmed.is_set()
    queue.start()
    try:
        assert queue.wait_idle(30)
    finally:
        queue.close()
    assert queue.warmed.is_set()
    assert render.calls == [("sample", False), ("patient", True)]
    assert store.read_packet(checkin_id) == FAKE_PDF
    assert len(store.submissions()) == 1  # the sample is never stored


def test_a_failed_warm_up_leaves_the_queue_working(store: KioskStore) -> None:
    checkin_id, _ = signed(store)
    render = Recorder(fail_sample=True)
    queue = PacketQueue(store, "consent", render=render, warm=FixedSample(SAMPLE))
    render.queue = queue
    queue.start()
    try:
        assert queue.wait_idle(30)
    finally:
        queue.close()
    assert queue.warmed.is_set() and queue.failures == 0
    assert render.calls == [("sample", False), ("patient", True)]
    assert [e.kind for e in store.events(checkin_id)] == ["opened", "packet_generated"]


def test_without_warm_up_the_queue_is_warm_at_once(store: KioskStore) -> None:
    render = Recorder()
    queue = PacketQueue(store, "consent", render=render)
    render.queue = queue
    assert queue.warmed.is_set()
    queue.close()
    assert render.calls == []


def test_each_worker_process_renders_the_sample_before_its_first_packet(
    store: KioskStore, tmp_path: Path
) -> None:
    made = [signed(store)[0] for _ in range(4)]
    log = tmp_path / "renders.log"
    queue = PacketQueue(
        store, "consent", 2, render=LoggingRender(log, SAMPLE), warm=FixedSample(SAMPLE)
    )
    queue.start()
    try:
        assert queue.wait_idle(180)
        assert queue.warmed.is_set()
    finally:
        queue.close()
    first: dict[str, str] = {}
    kinds: list[str] = []
    for line in log.read_text(encoding="utf-8").splitlines():
        pid, kind = line.split()
        first.setdefault(pid, kind)
        kinds.append(kind)
    assert sorted(first.values()) == ["sample", "sample"]  # two processes, each warm first
    assert kinds.count("patient") == 4
    assert all(store.read_packet(c) == FAKE_PDF for c in made)


def test_the_kiosk_answers_while_its_packet_worker_warms_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    class SlowSample(SampleRecord):
        def __call__(self) -> bytes:
            assert release.wait(30)
            return SAMPLE

    monkeypatch.setattr(app_module, "SampleRecord", SlowSample)
    app = make_app(tmp_path / "data", warm_packets=True)
    services = svc(app)
    try:
        assert not services.packets.warmed.is_set()
        assert app.test_client().get("/").status_code == 200  # not waiting for the warm-up
        assert not services.packets.warmed.is_set()
        release.set()
        assert services.packets.warmed.wait(60)
    finally:
        release.set()
        services.close()
        close_logs()


def test_the_kiosk_warms_its_packet_worker_by_default(tmp_path: Path) -> None:
    app = make_app(tmp_path / "data", warm_packets=True, seal_packets=False)
    services = svc(app)
    try:
        assert services.packets.sample == SampleRecord(services.clinic)
        assert services.packets.warmed.wait(120)
    finally:
        services.close()
        close_logs()
    assert KioskConfig(data_dir=tmp_path).warm_packets is True
