"""The clinician's decisions and the patients' certifications, kept in the kiosk store.

A decision (proceed, proceed with changes, no procedure today) and a certification ("these
answers are true") each name the screening submission they are about, and are stored with their
audit event in one write transaction, after a guard has checked the check-in may take them. Both
tables are append-only: a new decision is a new row, and the latest one wins.

The note and a changed plan may hold patient data, so they stay in the table; the audit event
names the outcome, the person, their role and the device only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import ConflictError
from ..record.review import CERTIFY_EVENT, GO_AHEAD, MAX_NOTE, NEEDS_REVIEW, REVIEW_EVENT
from ..record.review import REVIEW_OUTCOMES as OUTCOMES
from .accounts import StaffUser
from .rows import now_utc, parse_time, to_json
from .store import KioskStore

DECIDED = REVIEW_EVENT
"""Event of a clinician's decision (details: outcome, by, by_name, role, device)."""
CERTIFIED = CERTIFY_EVENT
"""Event of the patient's certification of their answers (details: answers_sha256, device)."""

Guard = Callable[[sqlite3.Connection], None]


@dataclass(frozen=True)
class Decision:
    """A clinician's decision on one check-in's screening, as stored."""

    seq: int
    checkin_id: str
    screening_token: str
    """The screening submission decided on."""
    decided_at: datetime
    outcome: str
    """One of `OUTCOMES`."""
    note: str
    changed_plan: Mapping[str, Any] | None
    """The changed plan (``sites``, ``local_anesthetic``, ``corticosteroid``) when the outcome
    is ``proceed_with_changes``."""
    findings: tuple[str, ...]
    """Rule ids of the findings the clinician saw when deciding."""
    staff_user: str
    """The deciding account's id."""
    staff_name: str
    staff_credentials: str
    device: str

    @property
    def goes_ahead(self) -> bool:
        return self.outcome in GO_AHEAD

    @property
    def clinician(self) -> str:
        """Name and credentials, e.g. "Casey Clinician, MD"."""
        if self.staff_credentials:
            return f"{self.staff_name}, {self.staff_credentials}"
        return self.staff_name


@dataclass(frozen=True)
class StoredCertification:
    """The patient's certification of one screening's answers, as stored."""

    seq: int
    checkin_id: str
    screening_token: str
    certified_at: datetime
    statement: str
    """The statement the patient ticked, in their language."""
    answers_sha256: str
    device: str


_DECISION_SQL = (
    "SELECT seq, checkin_id, screening_token, decided_at, outcome, note, changed_plan_json, "
    "findings_json, staff_user, staff_name, staff_credentials, device FROM review_decisions"
)
_CERT_SQL = (
    "SELECT seq, checkin_id, screening_token, certified_at, statement, answers_sha256, device "
    "FROM certifications"
)


def _decision(row: Sequence[Any]) -> Decision:
    seq, cid, token, at, outcome, note, plan, findings, user, name, creds, device = row
    return Decision(
        seq,
        cid,
        token,
        parse_time(at),
        outcome,
        note,
        None if plan is None else json.loads(plan),
        tuple(json.loads(findings)),
        user,
        name,
        creds,
        device,
    )


def _certification(row: Sequence[Any]) -> StoredCertification:
    seq, cid, token, at, statement, sha, device = row
    return StoredCertification(seq, cid, token, parse_time(at), statement, sha, device)


def decisions(store: KioskStore, checkin_id: str) -> list[Decision]:
    """Every decision on a check-in, oldest first (the last one counts)."""
    sql = _DECISION_SQL + " WHERE checkin_id = ? ORDER BY seq"
    rows = store._conn().execute(sql, (checkin_id,))
    return [_decision(row) for row in rows]


def latest_decision(store: KioskStore, checkin_id: str) -> Decision | None:
    """The decision that counts now, or None."""
    found = decisions(store, checkin_id)
    return found[-1] if found else None


def certification(store: KioskStore, checkin_id: str) -> StoredCertification | None:
    """The latest certification of a check-in's answers, or None."""
    row = (
        store._conn()
        .execute(_CERT_SQL + " WHERE checkin_id = ? ORDER BY seq DESC LIMIT 1", (checkin_id,))
        .fetchone()
    )
    return None if row is None else _certification(row)


def record_decision(
    store: KioskStore,
    checkin_id: str,
    screening_token: str,
    *,
    outcome: str,
    note: str,
    changed_plan: Mapping[str, Any] | None,
    findings: Sequence[str],
    user: StaffUser,
    device: str,
    guard: Guard,
    at: datetime | None = None,
) -> Decision:
    """Store a decision made ``at`` (default now) and its ``review_decided`` event, if
    ``guard`` allows it."""
    if outcome not in OUTCOMES:
        raise ConflictError("unknown decision")
    at = at or now_utc()
    with store._write() as conn:
        guard(conn)
        cursor = conn.execute(
            "INSERT INTO review_decisions (checkin_id, screening_token, decided_at, outcome, note, "
            "changed_plan_json, findings_json, staff_user, staff_name, staff_credentials, device) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                checkin_id,
                screening_token,
                at.isoformat(),
                outcome,
                note,
                None if changed_plan is None else to_json(dict(changed_plan)),
                to_json(list(findings)),
                user.id,
                user.name,
                user.credentials,
                device,
            ),
        )
        detail = {"outcome": outcome, **user.actor.detail(), "device": device}
        store._insert_event(conn, checkin_id, DECIDED, detail, at)
    row = store._conn().execute(_DECISION_SQL + " WHERE seq = ?", (cursor.lastrowid,)).fetchone()
    return _decision(row)


def record_certification(
    store: KioskStore,
    checkin_id: str,
    screening_token: str,
    *,
    statement: str,
    answers_sha256: str,
    device: str,
    guard: Guard,
    at: datetime | None = None,
) -> StoredCertification:
    """Store the patient's certification made ``at`` (default now) and its
    ``answers_certified`` event, if allowed."""
    at = at or now_utc()
    with store._write() as conn:
        guard(conn)
        cursor = conn.execute(
            "INSERT INTO certifications (checkin_id, screening_token, certified_at, statement, "
            "answers_sha256, device) VALUES (?, ?, ?, ?, ?, ?)",
            (checkin_id, screening_token, at.isoformat(), statement, answers_sha256, device),
        )
        detail = {"answers_sha256": answers_sha256, "device": device}
        store._insert_event(conn, checkin_id, CERTIFIED, detail, at)
    row = store._conn().execute(_CERT_SQL + " WHERE seq = ?", (cursor.lastrowid,)).fetchone()
    return _certification(row)


__all__ = [
    "CERTIFIED",
    "MAX_NOTE",
    "DECIDED",
    "GO_AHEAD",
    "NEEDS_REVIEW",
    "OUTCOMES",
    "Decision",
    "StoredCertification",
    "certification",
    "decisions",
    "latest_decision",
    "record_certification",
    "record_decision",
]
