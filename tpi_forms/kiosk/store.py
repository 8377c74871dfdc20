"""Durable kiosk storage: append-only SQLite tables and atomically written packet PDFs.

No web dependency. One `KioskStore` per data folder::

    >>> import tempfile
    >>> store = KioskStore(tempfile.mkdtemp())
    >>> checkin = store.create_checkin({"name": "Ana", "date_of_birth": "1980-01-02"}, mode="staff")
    >>> first = store.submit("t" * 22, checkin.id, "screening", {"a": 1}, {"status": "clear"})
    >>> again = store.submit("t" * 22, checkin.id, "screening", {"a": 2}, {"status": "review"})
    >>> (first.stored, again.stored, again.result)
    (True, False, {'status': 'clear'})
    >>> store.close()

Guarantees:

- The database runs in WAL mode with ``synchronous=FULL``: a function that stores something has
  committed it to disk when it returns.
- Check-ins, submissions, events and packets are append-only: SQLite triggers abort any UPDATE or
  DELETE. A correction is a new event.
- A submission is keyed by a token the client generates; submitting the same token again stores
  nothing and returns the first result (a double tap or a retry after a dropped connection).
- A packet PDF is written to a temporary file in the same folder, fsynced, renamed, and the folder
  fsynced, before its row is committed. A start-up sweep removes temporary files and moves PDFs
  that no row names to the quarantine folder, indexed from their embedded records: a signed
  packet is never deleted, even after an older database is restored (`.packet_files`).
- The schema is versioned with ``PRAGMA user_version`` and upgraded in order (`.schema`).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import ConflictError, StoreError
from .packet_files import (
    PACKET_FOLDER,
    QUARANTINE_FOLDER,
    TEMP_PREFIX,
    QuarantinedPacket,
    QuarantineIndex,
    fsync_folder,
    packet_filename,
    write_atomic,
)
from .rows import (
    CheckIn,
    Event,
    Packet,
    Submission,
    checkin_row,
    new_token,
    now_utc,
    parse_time,
    submission_row,
    to_json,
)
from .schema import LOCK_NAME, check_integrity, connect, damaged, migrate

__all__ = [
    "DATABASE_NAME",
    "PACKET_FOLDER",
    "QUARANTINE_FOLDER",
    "TEMP_PREFIX",
    "CheckIn",
    "Event",
    "KioskStore",
    "Packet",
    "QuarantinedPacket",
    "Submission",
    "fsync_folder",
    "new_token",
    "now_utc",
    "write_atomic",
]

DATABASE_NAME = "kiosk.sqlite3"
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
"""A submission token: 16 to 64 URL-safe characters, chosen by the client."""
CHECKIN_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{22,64}")
MODES = ("staff", "self")


def lock_folder(path: Path) -> int:
    """Hold an exclusive lock on ``path`` (released when the descriptor closes or we die)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise StoreError(
            f"another kiosk server is using the data folder {path.parent}; stop it first"
        ) from None
    return fd


class KioskStore(QuarantineIndex):
    """The kiosk's database and packet files in one data folder; safe to share between threads.

    Each thread gets its own SQLite connection; write transactions use ``BEGIN IMMEDIATE``.
    """

    def __init__(self, folder: str | Path, *, exclusive: bool = True) -> None:
        """Open (and create or upgrade) the store in ``folder``.

        ``exclusive`` (the server) locks the folder against a second server and sweeps
        leftovers of a crash; ``exclusive=False`` opens it alongside a running server (to read,
        e.g. for a report), without the sweep.
        """
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.packet_folder = self.folder / PACKET_FOLDER
        self.packet_folder.mkdir(exist_ok=True, mode=0o700)
        self.quarantine_folder = self.folder / QUARANTINE_FOLDER
        self.database = self.folder / DATABASE_NAME
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._lock_file: int | None = None
        if exclusive:
            self._lock_file = lock_folder(self.folder / LOCK_NAME)
        try:
            try:
                conn = self._conn()
                if exclusive:
                    check_integrity(conn, self.database)
                migrate(conn)
            except sqlite3.DatabaseError as exc:  # not a database, or damaged past reading
                raise damaged(self.database, exc) from None
            os.chmod(self.database, 0o600)  # patient data: owner only (copied to -wal/-shm)
            if exclusive:
                self.sweep()
        except BaseException:
            self.close()
            raise

    # -- connections and transactions ---------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.database)
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close every connection this store opened (call once, when no thread uses it)."""
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
        if self._lock_file is not None:
            os.close(self._lock_file)  # releases the folder lock
            self._lock_file = None

    def schema_version(self) -> int:
        """The database's ``PRAGMA user_version``."""
        return int(self._conn().execute("PRAGMA user_version").fetchone()[0])

    # -- check-ins ----------------------------------------------------------------------------

    def create_checkin(
        self, patient: Mapping[str, Any], *, mode: str, detail: Mapping[str, Any] | None = None
    ) -> CheckIn:
        """Store a new check-in with a random id, and its ``opened`` event (with ``detail``,
        e.g. the staff member who opened it)."""
        if mode not in MODES:
            raise StoreError(f"check-in mode must be one of {', '.join(MODES)}")
        checkin = CheckIn(new_token(), now_utc(), mode, dict(patient))
        with self._write() as conn:
            conn.execute(
                "INSERT INTO checkins (id, created_at, mode, patient_json) VALUES (?, ?, ?, ?)",
                (checkin.id, checkin.created_at.isoformat(), mode, to_json(dict(patient))),
            )
            self._insert_event(conn, checkin.id, "opened", {**(detail or {}), "mode": mode})
        return checkin

    def checkin(self, checkin_id: str) -> CheckIn | None:
        """The check-in with this id, or None."""
        if not CHECKIN_ID_PATTERN.fullmatch(checkin_id):
            return None
        row = (
            self._conn()
            .execute(
                "SELECT id, created_at, mode, patient_json FROM checkins WHERE id = ?",
                (checkin_id,),
            )
            .fetchone()
        )
        return None if row is None else checkin_row(row)

    def checkins(self, limit: int = 200, *, unanswered_self: bool | None = None) -> list[CheckIn]:
        """The latest check-ins, newest first.

        :param unanswered_self: True: only self check-ins with no submission yet; False: all
            but those (staff check-ins and self check-ins with answers); None: all.
        """
        where = ""
        if unanswered_self is not None:
            unanswered = (
                "(mode = 'self' AND NOT EXISTS "
                "(SELECT 1 FROM submissions s WHERE s.checkin_id = checkins.id))"
            )
            where = f"WHERE {'' if unanswered_self else 'NOT '}{unanswered} "
        rows = self._conn().execute(
            "SELECT id, created_at, mode, patient_json FROM checkins "
            f"{where}ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (limit,),
        )
        return [checkin_row(row) for row in rows]

    def count_unanswered_self(self) -> int:
        """How many self check-ins have no submission yet."""
        row = self._conn().execute(
            "SELECT count(*) FROM checkins c WHERE mode = 'self' AND NOT EXISTS "
            "(SELECT 1 FROM submissions s WHERE s.checkin_id = c.id)"
        )
        return int(row.fetchone()[0])

    # -- submissions --------------------------------------------------------------------------

    def submit(
        self,
        token: str,
        checkin_id: str,
        kind: str,
        payload: Any,
        result: Any,
        *,
        event: tuple[str, Mapping[str, Any]] | None = None,
        packet: tuple[bytes, str] | None = None,
        guard: Callable[[sqlite3.Connection], None] | None = None,
    ) -> Submission:
        """Store a submission once per token, committed before returning.

        :param event: an audit event ``(kind, detail)`` stored in the same transaction.
        :param packet: ``(pdf_bytes, sha256)`` written atomically and committed with the row.
        :param guard: called inside the write transaction before storing a new submission; it
            raises `ConflictError` when the step may not be stored (e.g. already signed).
        A token already stored returns the first submission (``stored=False``); a token stored for
        another check-in or kind raises `ConflictError`.
        """
        if not TOKEN_PATTERN.fullmatch(token):
            raise StoreError("a submission token is 16 to 64 URL-safe characters")
        earlier = self.submission(token)
        if earlier is not None:
            return self._same(earlier, checkin_id, kind)
        path: Path | None = None
        if packet is not None:
            data, sha = packet
            path = self.packet_folder / packet_filename(checkin_id, sha)
            write_atomic(path, data)
        created = now_utc()
        try:
            with self._write() as conn:
                row = conn.execute(
                    "SELECT checkin_id, kind FROM submissions WHERE token = ?", (token,)
                ).fetchone()
                if row is None:
                    if guard is not None:
                        guard(conn)
                    conn.execute(
                        "INSERT INTO submissions (token, checkin_id, kind, created_at, "
                        "payload_json, result_json) VALUES (?, ?, ?, ?, ?, ?)",
                        (
                            token,
                            checkin_id,
                            kind,
                            created.isoformat(),
                            to_json(payload),
                            to_json(result),
                        ),
                    )
                    if packet is not None and path is not None:
                        conn.execute(
                            "INSERT INTO packets (checkin_id, submission_token, filename, sha256, "
                            "size, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                            (
                                checkin_id,
                                token,
                                path.name,
                                packet[1],
                                len(packet[0]),
                                created.isoformat(),
                            ),
                        )
                    if event is not None:
                        self._insert_event(conn, checkin_id, event[0], event[1], created)
        except sqlite3.IntegrityError as exc:
            self._drop_unnamed(path)
            raise ConflictError("this check-in cannot take that submission") from exc
        except BaseException:
            self._drop_unnamed(path)
            raise
        stored = self.submission(token)
        assert stored is not None
        if row is not None:
            self._drop_unnamed(path)
            return self._same(stored, checkin_id, kind)
        return replace(stored, stored=True)

    def _drop_unnamed(self, path: Path | None) -> None:
        if path is None:
            return
        row = self._conn().execute("SELECT 1 FROM packets WHERE filename = ?", (path.name,))
        if row.fetchone() is None:
            path.unlink(missing_ok=True)

    @staticmethod
    def _same(earlier: Submission, checkin_id: str, kind: str) -> Submission:
        if earlier.checkin_id != checkin_id or earlier.kind != kind:
            raise ConflictError("this submission token was used for another step")
        return earlier

    def submission(self, token: str) -> Submission | None:
        """The stored submission for a token, or None."""
        row = (
            self._conn()
            .execute(
                "SELECT token, checkin_id, kind, created_at, payload_json, result_json "
                "FROM submissions WHERE token = ?",
                (token,),
            )
            .fetchone()
        )
        return None if row is None else submission_row(row)

    def submissions(self, checkin_id: str | None = None) -> list[Submission]:
        """Submissions of one check-in (or all), oldest first."""
        sql = (
            "SELECT token, checkin_id, kind, created_at, payload_json, result_json FROM submissions"
        )
        params: tuple[str, ...] = ()
        if checkin_id is not None:
            sql += " WHERE checkin_id = ?"
            params = (checkin_id,)
        rows = self._conn().execute(sql + " ORDER BY created_at, rowid", params)
        return [submission_row(row) for row in rows]

    def latest_submission(self, checkin_id: str, kind: str) -> Submission | None:
        """The latest submission of one kind for a check-in."""
        found = [s for s in self.submissions(checkin_id) if s.kind == kind]
        return found[-1] if found else None

    # -- events -------------------------------------------------------------------------------

    def add_event(
        self, checkin_id: str | None, kind: str, detail: Mapping[str, Any] | None = None
    ) -> Event:
        """Append an audit event (never patient data in ``detail``)."""
        with self._write() as conn:
            return self._insert_event(conn, checkin_id, kind, detail or {})

    def add_event_if(
        self,
        checkin_id: str,
        kind: str,
        detail: Mapping[str, Any] | None,
        guard: Callable[[sqlite3.Connection], None],
    ) -> Event:
        """Append an event only if ``guard`` allows it, deciding inside the same write transaction.

        ``guard`` runs after ``BEGIN IMMEDIATE``, so no other write (a signature) can land between
        its check and the event; it raises `ConflictError` to refuse.
        """
        with self._write() as conn:
            guard(conn)
            return self._insert_event(conn, checkin_id, kind, detail or {})

    def _insert_event(
        self,
        conn: sqlite3.Connection,
        checkin_id: str | None,
        kind: str,
        detail: Mapping[str, Any],
        at: datetime | None = None,
    ) -> Event:
        when = at or now_utc()
        cursor = conn.execute(
            "INSERT INTO events (checkin_id, at, kind, detail_json) VALUES (?, ?, ?, ?)",
            (checkin_id, when.isoformat(), kind, to_json(dict(detail))),
        )
        assert cursor.lastrowid is not None
        return Event(cursor.lastrowid, checkin_id, when, kind, dict(detail))

    def events(self, checkin_id: str | None = None, kinds: Sequence[str] = ()) -> list[Event]:
        """Events of one check-in (or all), oldest first, optionally of some kinds only."""
        sql = "SELECT seq, checkin_id, at, kind, detail_json FROM events"
        clauses: list[str] = []
        params: list[str] = []
        if checkin_id is not None:
            clauses.append("checkin_id = ?")
            params.append(checkin_id)
        if kinds:
            clauses.append(f"kind IN ({', '.join('?' for _ in kinds)})")
            params.extend(kinds)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        rows = self._conn().execute(sql + " ORDER BY seq", params)
        return [Event(s, c, parse_time(a), k, json.loads(d)) for s, c, a, k, d in rows]

    # -- packets ------------------------------------------------------------------------------

    def add_packet(self, checkin_id: str, submission_token: str, data: bytes) -> Packet:
        """Store the packet PDF made from a stored submission, with a ``packet_generated`` event.

        The file is written atomically before its row is committed; a check-in has one packet.
        """
        sha = hashlib.sha256(data).hexdigest()
        path = self.packet_folder / packet_filename(checkin_id, sha)
        write_atomic(path, data)
        created = now_utc()
        try:
            with self._write() as conn:
                conn.execute(
                    "INSERT INTO packets (checkin_id, submission_token, filename, sha256, size, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (checkin_id, submission_token, path.name, sha, len(data), created.isoformat()),
                )
                self._insert_event(
                    conn, checkin_id, "packet_generated", {"packet_sha256": sha}, created
                )
        except sqlite3.IntegrityError as exc:
            self._drop_unnamed(path)
            raise ConflictError("this check-in has a packet already") from exc
        except BaseException:
            self._drop_unnamed(path)
            raise
        packet = self.packet(checkin_id)
        assert packet is not None
        return packet

    def pending_packets(self, kind: str) -> list[Submission]:
        """Submissions of ``kind`` whose check-in has no packet yet, oldest first."""
        rows = self._conn().execute(
            "SELECT token, checkin_id, kind, created_at, payload_json, result_json "
            "FROM submissions s WHERE kind = ? AND NOT EXISTS "
            "(SELECT 1 FROM packets p WHERE p.checkin_id = s.checkin_id) "
            "ORDER BY created_at, rowid",
            (kind,),
        )
        return [submission_row(row) for row in rows]

    def packet(self, checkin_id: str) -> Packet | None:
        """The stored packet of a check-in, or None."""
        row = (
            self._conn()
            .execute(
                "SELECT checkin_id, submission_token, filename, sha256, size, created_at "
                "FROM packets WHERE checkin_id = ?",
                (checkin_id,),
            )
            .fetchone()
        )
        if row is None:
            return None
        cid, token, filename, sha, size, created = row
        return Packet(cid, token, self.packet_folder / filename, sha, size, parse_time(created))

    def read_packet(self, checkin_id: str) -> bytes | None:
        """The packet PDF bytes, checked against the stored SHA-256."""
        packet = self.packet(checkin_id)
        if packet is None:
            return None
        data = packet.path.read_bytes()
        if hashlib.sha256(data).hexdigest() != packet.sha256:
            raise StoreError("a stored packet does not match its recorded SHA-256")
        return data
