"""Restoring an older database never loses a signed packet: unknown PDFs go to quarantine."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

from tpi_forms.kiosk.store import DATABASE_NAME, KioskStore, new_token
from tpi_forms.pdf.packet import build_record, render_packet
from tpi_forms.record.model import Signature
from tpi_forms.screening.scenarios import example_answers


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
    finally:
        store.close()
