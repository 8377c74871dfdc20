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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
