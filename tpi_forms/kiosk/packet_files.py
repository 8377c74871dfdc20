"""Packet PDF files on disk: atomic writes, and the quarantine of PDFs the database does not name.

Packets are self-describing: each carries its `ConsentRecord` as the ``record.json``
attachment. A PDF in the packet folder that no database row names is never deleted (after a
database restore it may be the only copy of a signed consent): the start-up sweep moves it to
the quarantine folder and indexes it from its embedded record, so staff can see and open it.
Only temporary files, which are never complete, are removed.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import sqlite3
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import StoreError

PACKET_FOLDER = "packets"
QUARANTINE_FOLDER = "quarantine"
TEMP_PREFIX = ".tmp-"
MAX_INDEXED_SIZE = 64 * 1024 * 1024
"""Largest quarantined PDF whose record is read for the index (larger ones are listed unread)."""
MAX_RECORD_SIZE = 8 * 1024 * 1024
"""Largest embedded record read for the index."""
_PACKET_NAME = re.compile(r"(?P<checkin>[A-Za-z0-9_-]{22,64})-(?P<sha>[0-9a-f]{32})\.pdf")


@dataclass(frozen=True)
class QuarantinedPacket:
    """A packet PDF found without a database row, moved to the quarantine folder."""

    filename: str
    """Its file name in the quarantine folder."""
    sha256: str
    """SHA-256 of its bytes, hex."""
    size: int
    """Size in bytes."""
    found_at: str
    """When the sweep moved it (UTC, ISO 8601)."""
    checkin_id: str | None
    """The check-in its original file name names, if it followed the packet naming."""
    patient_name: str | None
    """The patient's name from the embedded record (None when it could not be read)."""
    date_of_birth: str | None
    """The patient's date of birth from the embedded record."""
    signed_at: str | None
    """When the first signer signed, from the embedded record (ISO 8601)."""
    record_sha256: str | None
    """SHA-256 of the embedded record, hex."""
    problem: str | None
    """Why the record could not be read (a reason key: ``too_large``, ``no_record``,
    ``not_a_record``), or None."""


def packet_filename(checkin_id: str, sha256: str) -> str:
    """The file name of a check-in's packet with this SHA-256."""
    return f"{checkin_id}-{sha256[:32]}.pdf"


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename or a new file) to disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that it is either absent or complete, even after a crash."""
    folder = path.parent
    tmp = folder / f"{TEMP_PREFIX}{secrets.token_urlsafe(16)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_folder(folder)


def remove_temporary(folders: tuple[Path, ...]) -> list[Path]:
    """Remove the temporary files a crash left in ``folders`` (never complete, never named)."""
    removed: list[Path] = []
    for folder in folders:
        for path in folder.iterdir():
            if path.is_file() and path.name.startswith(TEMP_PREFIX):
                path.unlink()
                removed.append(path)
        if removed:
            fsync_folder(folder)
    return removed


def unnamed_pdfs(packet_folder: Path, named: set[str]) -> list[Path]:
    """Files in the packet folder that no database row names."""
    return sorted(
        path
        for path in packet_folder.iterdir()
        if path.is_file() and not path.name.startswith(TEMP_PREFIX) and path.name not in named
    )


def move_to_quarantine(path: Path, quarantine: Path) -> Path:
    """Move ``path`` into ``quarantine`` under a name no file there has; durable on return."""
    quarantine.mkdir(exist_ok=True, mode=0o700)
    target = quarantine / path.name
    number = 1
    while target.exists():  # the caller holds the data folder lock: nothing else writes here
        number += 1
        target = quarantine / f"{path.stem}-{number}{path.suffix}"
    os.replace(path, target)  # one atomic rename: the file is always in one of the two folders
    fsync_folder(quarantine)
    fsync_folder(path.parent)
    return target


def describe(path: Path, original_name: str) -> dict[str, Any]:
    """What the quarantine index keeps of a packet file: its ids, and the record's patient and date.

    The file name is the one it had in the packet folder (it names the check-in).
    """
    found = _PACKET_NAME.fullmatch(original_name)
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    size = path.stat().st_size
    summary: dict[str, Any] = {
        "sha256": digest.hexdigest(),
        "size": size,
        "checkin_id": found["checkin"] if found else None,
        "patient_name": None,
        "date_of_birth": None,
        "signed_at": None,
        "record_sha256": None,
        "problem": None,
    }
    if size > MAX_INDEXED_SIZE:
        summary["problem"] = "too_large"
        return summary
    record = _embedded_record(path.read_bytes())
    if record is None:
        summary["problem"] = "no_record"
        return summary
    summary["record_sha256"] = hashlib.sha256(record).hexdigest()
    try:
        from ..record.model import ConsentRecord

        parsed = ConsentRecord.from_json(record)
    except Exception:  # any record this version cannot read: listed, with the reason
        summary["problem"] = "not_a_record"
        return summary
    name = parsed.answers.get("patient_name")
    dob = parsed.answers.get("date_of_birth")
    summary["patient_name"] = str(name)[:200] if name else None
    summary["date_of_birth"] = str(dob)[:40] if dob else None
    if parsed.signatures:
        summary["signed_at"] = parsed.signatures[0].signed_at.isoformat()
    return summary


def _embedded_record(data: bytes) -> bytes | None:
    """The single ``record.json`` attachment of a PDF, or None (damaged, absent, too large)."""
    try:
        import pypdf

        from ..record.model import RECORD_ATTACHMENT

        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        found = reader.attachments.get(RECORD_ATTACHMENT)
    except Exception:  # a damaged PDF: pypdf raises many types
        return None
    if not found or len(found) != 1 or len(found[0]) > MAX_RECORD_SIZE:
        return None
    record: bytes = found[0]
    return record


QUARANTINE_FIELDS = (
    "sha256",
    "size",
    "checkin_id",
    "patient_name",
    "date_of_birth",
    "signed_at",
    "record_sha256",
    "problem",
)
"""The quarantine index's columns after ``filename`` and ``found_at``, as `describe` names them."""


class QuarantineIndex:
    """The start-up sweep and the quarantine index, as methods of `KioskStore`."""

    folder: Path
    packet_folder: Path
    quarantine_folder: Path

    def _conn(self) -> sqlite3.Connection:
        raise NotImplementedError

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _insert_event(
        self,
        conn: sqlite3.Connection,
        checkin_id: str | None,
        kind: str,
        detail: Mapping[str, Any],
        at: datetime | None = None,
    ) -> Any:
        raise NotImplementedError

    def sweep(self) -> list[Path]:
        """Remove temporary files; quarantine the packet PDFs no row names. Returns both lists.

        A temporary file is never complete. A PDF no row names was either left by a crash before
        its row was committed, or signed after the backup this database was restored from: it
        may be the only copy of a signed consent, so it is moved to the quarantine folder, never
        deleted, and indexed from its embedded record (`quarantined`).
        """
        named = {row[0] for row in self._conn().execute("SELECT filename FROM packets")}
        folders = (self.folder, self.packet_folder, self.quarantine_folder)
        found = remove_temporary(tuple(f for f in folders if f.is_dir()))
        for path in unnamed_pdfs(self.packet_folder, named):
            move_to_quarantine(path, self.quarantine_folder)
            found.append(path)
        self._index_quarantine()
        return found

    def _index_quarantine(self) -> None:
        """Index every quarantined file not indexed yet (also one moved just before a crash)."""
        if not self.quarantine_folder.is_dir():
            return
        indexed = {row[0] for row in self._conn().execute("SELECT filename FROM quarantine")}
        for path in sorted(self.quarantine_folder.iterdir()):
            if not path.is_file() or path.name in indexed or path.name.startswith(TEMP_PREFIX):
                continue
            entry = describe(path, path.name)
            with self._write() as conn:
                conn.execute(
                    "INSERT INTO quarantine (filename, found_at, sha256, size, checkin_id, "
                    "patient_name, date_of_birth, signed_at, record_sha256, problem) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        path.name,
                        datetime.now(UTC).isoformat(),
                        *(entry[k] for k in QUARANTINE_FIELDS),
                    ),
                )
                detail = {"file": path.name, "packet_sha256": entry["sha256"]}
                self._insert_event(conn, None, "packet_quarantined", detail)

    def quarantined(self) -> list[QuarantinedPacket]:
        """The quarantined packet PDFs, as indexed from their records, oldest first."""
        rows = self._conn().execute(
            "SELECT filename, sha256, size, found_at, checkin_id, patient_name, date_of_birth, "
            "signed_at, record_sha256, problem FROM quarantine ORDER BY found_at, rowid"
        )
        return [QuarantinedPacket(*row) for row in rows]

    def read_quarantined(self, filename: str) -> bytes | None:
        """A quarantined PDF's bytes, checked against its indexed SHA-256; None if unknown."""
        row = (
            self._conn()
            .execute("SELECT sha256 FROM quarantine WHERE filename = ?", (filename,))
            .fetchone()
        )
        path = self.quarantine_folder / filename
        if row is None or path.parent != self.quarantine_folder or not path.is_file():
            return None
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != row[0]:
            raise StoreError("a quarantined packet does not match its recorded SHA-256")
        return data
