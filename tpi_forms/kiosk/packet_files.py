"""Packet PDF files on disk: names, atomic writes, and the temporary files a crash leaves."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PACKET_FOLDER = "packets"
TEMP_PREFIX = ".tmp-"


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
