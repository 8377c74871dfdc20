"""Back up and restore a kiosk data folder: the database and the packets it names, consistently.

`backup` runs beside a running server: SQLite's online backup API copies one consistent
snapshot of the database, then every packet PDF that snapshot names is copied and checked
against its recorded SHA-256 (packets are written before their rows, and never removed, so
each one is there). A manifest lists every file with its SHA-256; the backup folder appears
whole or not at all.

`restore` refuses a data folder a server is using (the folder lock). It never deletes anything:
the database in use is moved to ``before-restore-<time>/``, packets already in the folder stay,
and at the end the store's start-up sweep moves the packets the restored database does not
name (those signed after the backup) to the quarantine folder, where staff see them.

No web dependency: the CLI runs these without the kiosk's Flask app.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..errors import StoreError
from .packet_files import PACKET_FOLDER, QUARANTINE_FOLDER, fsync_folder, write_atomic
from .schema import LOCK_NAME
from .store import DATABASE_NAME, KioskStore, lock_folder

MANIFEST = "backup.json"
FORMAT = "tpi-forms-kiosk-backup/1"
SETTINGS_FILES = ("secret_key", "staff_pin.argon2")
"""Files of the data folder kept with the database (`.security`'s secret key and PIN hash)."""
SETTINGS_FOLDERS = ("seal",)
"""Folders of the data folder kept with it (the clinic seal's key and certificate)."""
_CHUNK = 1 << 20


@dataclass(frozen=True)
class BackupReport:
    """What `backup` copied."""

    folder: Path
    """The backup folder."""
    checkins: int
    """Check-ins in the database snapshot."""
    packets: int
    """Packet PDFs copied (every one the snapshot names)."""
    quarantined: int
    """Quarantined packet PDFs copied."""


@dataclass(frozen=True)
class RestoreReport:
    """What `restore` did."""

    checkins: int
    """Check-ins in the restored database."""
    packets_copied: int
    """Packet PDFs copied from the backup (those missing from the data folder)."""
    kept_aside: Path | None
    """Where the database that was in use was moved, or None when there was none."""
    quarantined: int
    """Packet PDFs the restored database does not name, moved to quarantine by the sweep."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _copy(source: Path, target: Path) -> str:
    """Copy a file durably (fsynced); returns the SHA-256 of what was copied."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    digest = hashlib.sha256()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with source.open("rb") as src, os.fdopen(fd, "wb") as dst:
        for chunk in iter(lambda: src.read(_CHUNK), b""):
            digest.update(chunk)
            dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    return digest.hexdigest()


def _snapshot(database: Path, target: Path) -> None:
    """Copy ``database`` to ``target`` with SQLite's online backup API (one consistent state)."""
    source = sqlite3.connect(database, timeout=30.0)  # reads only; a WAL reader needs -shm
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot back up the database {database} ({exc})") from None
    finally:
        source.close()
    os.chmod(target, 0o600)


def _named_files(database: Path) -> tuple[int, list[tuple[str, str]], list[tuple[str, str]]]:
    """Check-ins, and (file, SHA-256) of the packets and quarantined packets a database names."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if not {"checkins", "packets"} <= tables:
            raise StoreError(f"{database} is not a kiosk database")
        (checkins,) = conn.execute("SELECT count(*) FROM checkins").fetchone()
        packets = list(conn.execute("SELECT filename, sha256 FROM packets ORDER BY rowid"))
        quarantined = []
        if "quarantine" in tables:
            quarantined = list(conn.execute("SELECT filename, sha256 FROM quarantine"))
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot read the database {database} ({exc})") from None
    finally:
        conn.close()
    return int(checkins), packets, quarantined


def backup(data_dir: str | Path, target: str | Path) -> BackupReport:
    """Copy the data folder's database, packets and settings to the new folder ``target``.

    Safe while a server runs. ``target`` must not exist, or be an empty folder.
    :raises StoreError: no kiosk database in ``data_dir``, a packet missing or changed, or a
        ``target`` that holds files.
    """
    data, target = Path(data_dir), Path(target)
    database = data / DATABASE_NAME
    if not database.is_file():
        raise StoreError(f"no kiosk database in {data}")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise StoreError(f"the backup folder {target} is not empty; choose a new folder")
    work = target.parent / f".{target.name}.partial-{os.getpid()}"
    if work.exists():
        shutil.rmtree(work)  # our own leftover from an interrupted backup
    work.mkdir(parents=True, mode=0o700)
    try:
        _snapshot(database, work / DATABASE_NAME)
        checkins, packets, quarantined = _named_files(work / DATABASE_NAME)
        files = {DATABASE_NAME: _sha256(work / DATABASE_NAME)}
        for folder, named in ((PACKET_FOLDER, packets), (QUARANTINE_FOLDER, quarantined)):
            for filename, sha in named:
                source = data / folder / filename
                if not source.is_file():
                    raise StoreError(f"the packet {source} named by the database is missing")
                if _copy(source, work / folder / filename) != sha:
                    raise StoreError(f"the packet {source} does not match its recorded SHA-256")
                files[f"{folder}/{filename}"] = sha
        for name in SETTINGS_FILES:
            if (data / name).is_file():
                files[name] = _copy(data / name, work / name)
        for folder in SETTINGS_FOLDERS:
            for path in sorted((data / folder).glob("*")) if (data / folder).is_dir() else ():
                if path.is_file():
                    files[f"{folder}/{path.name}"] = _copy(path, work / folder / path.name)
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(),
            "checkins": checkins,
            "files": files,
        }
        write_atomic(work / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
        for written in {work / name.rsplit("/", 1)[0] for name in files if "/" in name}:
            fsync_folder(written)
        if target.exists():
            target.rmdir()
        work.rename(target)
        fsync_folder(target.parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return BackupReport(target, checkins, len(packets), len(quarantined))


def read_manifest(source: str | Path) -> dict[str, str]:
    """The files of a backup folder with their SHA-256, each checked; `StoreError` if not whole."""
    folder = Path(source)
    try:
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        raise StoreError(f"{folder} is not a kiosk backup (no readable {MANIFEST})") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if manifest.get("format") != FORMAT or not isinstance(files, dict):
        raise StoreError(f"{folder} is not a kiosk backup of a format this version reads")
    for name, sha in files.items():
        path = folder / name
        if ".." in Path(name).parts or not isinstance(sha, str):
            raise StoreError(f"the backup manifest in {folder} names a file outside it")
        if not path.is_file() or _sha256(path) != sha:
            raise StoreError(f"the backup file {path} is missing or changed since the backup")
    if DATABASE_NAME not in files:
        raise StoreError(f"the backup in {folder} holds no database")
    return {str(k): str(v) for k, v in files.items()}


def restore(data_dir: str | Path, source: str | Path) -> RestoreReport:
    """Restore the backup in ``source`` into ``data_dir``, deleting nothing.

    :raises StoreError: a server uses ``data_dir``; ``source`` is not a whole kiosk backup.
    """
    data, source = Path(data_dir), Path(source)
    files = read_manifest(source)
    data.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = lock_folder(data / LOCK_NAME)  # refuses a folder a server is using
    try:
        kept_aside = _set_aside_database(data)
        _copy(source / DATABASE_NAME, data / f".restoring-{DATABASE_NAME}")
        os.replace(data / f".restoring-{DATABASE_NAME}", data / DATABASE_NAME)
        copied = 0
        for name in files:
            if name in (DATABASE_NAME, MANIFEST):
                continue
            target = data / name
            if target.exists():
                continue  # packets are named by their hash; settings in use are kept
            _copy(source / name, target)
            copied += name.startswith(f"{PACKET_FOLDER}/")
        for folder in (data, data / PACKET_FOLDER, data / QUARANTINE_FOLDER):
            if folder.is_dir():
                fsync_folder(folder)
    finally:
        os.close(lock)
    before = _quarantine_count(data)
    store = KioskStore(data)  # upgrades the schema, then the sweep quarantines unnamed packets
    try:
        checkins = len(store.checkins(limit=-1))
        quarantined = len(store.quarantined()) - before
    finally:
        store.close()
    return RestoreReport(checkins, copied, kept_aside, max(0, quarantined))


def _quarantine_count(data: Path) -> int:
    conn = sqlite3.connect(f"file:{data / DATABASE_NAME}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if "quarantine" not in tables:
            return 0
        return int(conn.execute("SELECT count(*) FROM quarantine").fetchone()[0])
    finally:
        conn.close()


def _set_aside_database(data: Path) -> Path | None:
    """Move the database in use (with its WAL files) to ``before-restore-<time>/``."""
    present = [data / f"{DATABASE_NAME}{s}" for s in ("", "-wal", "-shm")]
    present = [p for p in present if p.exists()]
    if not present:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    aside = data / f"before-restore-{stamp}"
    aside.mkdir(mode=0o700)
    for path in present:
        os.replace(path, aside / path.name)
    fsync_folder(aside)
    fsync_folder(data)
    return aside
