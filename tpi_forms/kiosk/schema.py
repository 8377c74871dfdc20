"""The kiosk database's schema: versioned migrations, and connections in the right mode.

The schema version is SQLite's ``PRAGMA user_version``; `MIGRATIONS` lists the steps in
order, and `migrate` applies the missing ones, each in its own transaction, so an upgrade never
loses records. Every table holding patient data or staff accounts is append-only: triggers abort
UPDATE and DELETE.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from ..errors import StoreError

LOCK_NAME = "kiosk.lock"


def _append_only(table: str) -> str:
    return f"""
    CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
    BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;
    CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
    BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;
    """


MIGRATION_1 = (
    """
    CREATE TABLE checkins (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('staff', 'self')),
        patient_json TEXT NOT NULL
    );
    CREATE TABLE submissions (
        token TEXT PRIMARY KEY,
        checkin_id TEXT NOT NULL REFERENCES checkins(id),
        kind TEXT NOT NULL,
        created_at TEXT NOT NULL,
        payload_json TEXT NOT NULL,
        result_json TEXT NOT NULL
    );
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        checkin_id TEXT REFERENCES checkins(id),
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        detail_json TEXT NOT NULL
    );
    """
    + _append_only("checkins")
    + _append_only("submissions")
    + _append_only("events")
)

MIGRATION_2 = """
    CREATE TABLE packets (
        checkin_id TEXT PRIMARY KEY REFERENCES checkins(id),
        submission_token TEXT NOT NULL UNIQUE REFERENCES submissions(token),
        filename TEXT NOT NULL UNIQUE,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX events_by_checkin ON events(checkin_id, seq);
    CREATE INDEX submissions_by_checkin ON submissions(checkin_id, created_at);
    """ + _append_only("packets")

MIGRATION_STAFF_ACCOUNTS = (
    """
    CREATE TABLE staff_users (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        name TEXT NOT NULL,
        credentials TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('clinician', 'front_desk', 'admin')),
        secret_hash TEXT NOT NULL,
        created_by TEXT NOT NULL
    );
    CREATE TABLE staff_user_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id TEXT NOT NULL REFERENCES staff_users(id),
        at TEXT NOT NULL,
        change TEXT NOT NULL CHECK (change IN ('disabled', 'enabled', 'secret')),
        secret_hash TEXT CHECK ((change = 'secret') = (secret_hash IS NOT NULL)),
        by TEXT NOT NULL
    );
    CREATE INDEX staff_user_changes_by_user ON staff_user_changes(user_id, seq);
    """
    + _append_only("staff_users")
    + _append_only("staff_user_changes")
)
"""Staff accounts, one per person: a change (disable, enable, new secret) is a new row."""


MIGRATION_QUARANTINE = """
    CREATE TABLE quarantine (
        filename TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        found_at TEXT NOT NULL,
        checkin_id TEXT,
        patient_name TEXT,
        date_of_birth TEXT,
        signed_at TEXT,
        record_sha256 TEXT,
        problem TEXT
    );
    """ + _append_only("quarantine")
"""The index of packet PDFs found without a row (e.g. after a database restore), read from
their embedded records; ``checkin_id`` has no foreign key: the check-in may be unknown here."""

MIGRATION_REVIEW = (
    """
    CREATE TABLE review_decisions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        checkin_id TEXT NOT NULL REFERENCES checkins(id),
        screening_token TEXT NOT NULL REFERENCES submissions(token),
        decided_at TEXT NOT NULL,
        outcome TEXT NOT NULL
            CHECK (outcome IN ('proceed', 'proceed_with_changes', 'no_procedure')),
        note TEXT NOT NULL,
        changed_plan_json TEXT,
        findings_json TEXT NOT NULL,
        staff_user TEXT NOT NULL,
        staff_name TEXT NOT NULL,
        staff_credentials TEXT NOT NULL,
        device TEXT NOT NULL
    );
    CREATE INDEX review_decisions_by_checkin ON review_decisions(checkin_id, seq);
    CREATE TABLE certifications (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        checkin_id TEXT NOT NULL REFERENCES checkins(id),
        screening_token TEXT NOT NULL REFERENCES submissions(token),
        certified_at TEXT NOT NULL,
        statement TEXT NOT NULL,
        answers_sha256 TEXT NOT NULL,
        device TEXT NOT NULL
    );
    CREATE INDEX certifications_by_checkin ON certifications(checkin_id, seq);
    """
    + _append_only("review_decisions")
    + _append_only("certifications")
)
"""A clinician's decisions on screenings (the latest wins) and the patients' certifications of
their answers, each naming the screening submission it is about. The note and a changed plan
may hold patient data: they live here, and the audit event names only the outcome and who."""

MIGRATIONS: tuple[str, ...] = (
    MIGRATION_1,
    MIGRATION_2,
    MIGRATION_STAFF_ACCOUNTS,
    MIGRATION_QUARANTINE,
    MIGRATION_REVIEW,
)
"""Schema steps in order; step ``n`` (1-based) upgrades ``user_version`` ``n - 1`` to ``n``."""
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode, WAL journal, ``synchronous=FULL``, foreign keys on."""
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
    except BaseException:
        conn.close()
        raise
    return conn


def damaged(path: Path, reason: str | BaseException) -> StoreError:
    """The one-line error for a damaged database: the file, and how to recover what it holds.

    ``reason`` is SQLite's own message (never patient data), or an exception carrying it.
    """
    if isinstance(reason, BaseException):
        reason = (str(reason).splitlines() or ["unreadable"])[0]
    return StoreError(
        f"the kiosk database {path} is damaged ({reason}); stop the kiosk, keep a copy of the "
        f'file, recover what it holds with: sqlite3 {path} ".recover" | sqlite3 new.sqlite3 '
        f"and put new.sqlite3 in its place (or restore a backup)"
    )


def check_integrity(conn: sqlite3.Connection, path: Path) -> None:
    """Run ``PRAGMA integrity_check``; `damaged` unless SQLite finds the database whole."""
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise damaged(path, exc) from None
    if [tuple(row) for row in rows] != [("ok",)]:
        raise damaged(path, "its integrity check failed")


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Apply the missing `MIGRATIONS` up to ``target``, each in its own transaction.

    Returns the version the database had before. A database newer than this code is refused.
    """
    (before,) = conn.execute("PRAGMA user_version").fetchone()
    if before > SCHEMA_VERSION:
        raise StoreError(
            f"the kiosk database has schema version {before}; this version of tpi_forms reads "
            f"up to {SCHEMA_VERSION}: upgrade tpi_forms"
        )
    for version in range(before + 1, target + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            (current,) = conn.execute("PRAGMA user_version").fetchone()
            if current < version:  # another process may have migrated meanwhile
                for statement in _statements(MIGRATIONS[version - 1]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version={version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return int(before)


def _statements(script: str) -> Iterator[str]:
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
    if buffer.strip():
        raise StoreError("incomplete statement in a schema migration")
