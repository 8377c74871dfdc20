"""Restoring an older database never loses a signed packet: unknown PDFs go to quarantine."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
from pathlib import Path

from tpi_forms.kiosk.store import DATABASE_NAME, KioskStore, new_token
from tpi_forms.pdf.packet import build_record, render_packet
from tpi_forms.record.model import Signature
from tpi_forms.screening.scenarios import example_answers

from .conftest import close_logs, make_app, svc
from .kiosk_client import page, staff_login


def signed_packet(store: KioskStore, name: str, day: int) -> bytes:
    """A check-in signed by ``name``, stored with its rendered packet; returns the PDF."""
    when = dt.datetime(2026, 3, day, 15, 30, tzinfo=dt.UTC)
    answers = {**example_answers("clear"), "patient_name": name}
    signature = Signature(
        role="patient", printed_name=name, signed_at=when, meaning="I agree.", method="typed"
    )
    record = build_record(answers, [signature], created_at=when)
    pdf = render_packet(record)
    checkin = store.create_checkin({"name": name}, mode="staff")
    sha = hashlib.sha256(pdf).hexdigest()
    store.submit(new_token(), checkin.id, "consent", record.to_dict(), {}, packet=(pdf, sha))
    return pdf


def all_bytes(folder: Path) -> set[str]:
    """SHA-256 of every file under ``folder``."""
    return {hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


def backup_database(store: KioskStore, target: Path) -> None:
    """What the README said to do: ``sqlite3 kiosk.sqlite3 ".backup copy.sqlite3"``."""
    copy = sqlite3.connect(target)
    try:
        store._conn().backup(copy)
    finally:
        copy.close()


def test_restoring_an_older_database_deletes_no_signed_packet(tmp_path: Path) -> None:
    """Issue 17, attack 2: the start-up sweep deleted the packets the old database did not name."""
    data = tmp_path / "data"
    store = KioskStore(data)
    first = signed_packet(store, "Ana Before", 2)
    backup_database(store, tmp_path / "copy.sqlite3")
    later = [signed_packet(store, "Bea After", 3), signed_packet(store, "Cy After", 4)]
    store.close()
    for suffix in ("", "-wal", "-shm"):
        (data / f"{DATABASE_NAME}{suffix}").unlink(missing_ok=True)
    (tmp_path / "copy.sqlite3").rename(data / DATABASE_NAME)

    store = KioskStore(data)  # the start-up sweep runs here
    try:
        kept = all_bytes(data)
        for pdf in (first, *later):
            assert hashlib.sha256(pdf).hexdigest() in kept, "a signed packet was deleted"
        quarantined = store.quarantined()
        assert sorted(
            (q.patient_name, q.date_of_birth, (q.signed_at or "")[:10]) for q in quarantined
        ) == [
            ("Bea After", "1980-04-12", "2026-03-03"),
            ("Cy After", "1980-04-12", "2026-03-04"),
        ]
        assert {store.read_quarantined(q.filename) for q in quarantined} == set(later)
        assert all(q.problem is None and q.checkin_id for q in quarantined)
        assert [e.kind for e in store.events(kinds=("packet_quarantined",))] == [
            "packet_quarantined"
        ] * 2
        assert sorted(p.name for p in store.packet_folder.iterdir()) == [
            p.path.name for p in map(store.packet, [c.id for c in store.checkins()]) if p
        ]
    finally:
        store.close()
    store = KioskStore(data)  # a second start indexes nothing twice
    try:
        assert len(store.quarantined()) == 2
    finally:
        store.close()


def test_a_pdf_without_a_record_is_quarantined_too(tmp_path: Path) -> None:
    data = tmp_path / "data"
    KioskStore(data).close()
    (data / "packets" / "stray.pdf").write_bytes(b"%PDF-1.7 not a packet")
    store = KioskStore(data)
    try:
        (entry,) = store.quarantined()
        assert (entry.filename, entry.problem, entry.patient_name) == (
            "stray.pdf",
            "no_record",
            None,
        )
        assert store.read_quarantined("stray.pdf") == b"%PDF-1.7 not a packet"
        assert store.read_quarantined("../kiosk.sqlite3") is None
    finally:
        store.close()


def test_a_file_moved_just_before_a_crash_is_indexed_at_the_next_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    KioskStore(data).close()
    (data / "quarantine").mkdir()
    (data / "quarantine" / "moved.pdf").write_bytes(b"%PDF-1.7")
    store = KioskStore(data)
    try:
        assert [q.filename for q in store.quarantined()] == ["moved.pdf"]
    finally:
        store.close()


def test_staff_see_quarantined_packets_with_name_and_date_and_open_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = KioskStore(data)
    pdf = signed_packet(store, "Dee Quarantined", 5)
    store.close()
    (data / DATABASE_NAME).unlink()  # as if an older (here: empty) database was restored
    for suffix in ("-wal", "-shm"):
        (data / f"{DATABASE_NAME}{suffix}").unlink(missing_ok=True)
    app = make_app(data)
    try:
        client = app.test_client()
        assert client.get("/staff/quarantine").status_code == 302  # staff only
        staff_login(client)
        dashboard = page(client, "/staff/")
        assert "Packets found without a database record: 1." in dashboard
        listing = page(client, "/staff/quarantine")
        assert "Dee Quarantined" in listing and "1980-04-12" in listing
        assert "2026-03-05" in listing  # the signing day, in the clinic's time zone
        (link,) = re.findall(r'href="(/staff/quarantine/[^"]+)"', listing)
        response = client.get(link)
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.data == pdf
        assert client.get("/staff/quarantine/nothing.pdf").status_code == 404
        spanish = page(client, "/staff/quarantine?lang=es")
        assert "Paquetes encontrados sin registro" in spanish and "Dee Quarantined" in spanish
    finally:
        svc(app).close()
        close_logs()
