"""Where a check-in stands, worked out from its append-only submissions and events."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..definitions.questionnaire import load_questionnaire
from ..errors import ConflictError
from .review_store import DECIDED, NEEDS_REVIEW, Decision, certification, latest_decision
from .store import CheckIn, Event, KioskStore, Packet

SCREENING = "screening"
CONSENT = "consent"
"""The final record, made once the last required signature is in (its packet follows)."""
PATIENT_SIGNING = "patient_signing"
"""The patient's (or their representative's) signing: signatures, review events, consent."""
SIGNATURE = "signature"
"""One more signature after the patient's: practitioner, witness or interpreter."""

STEP_SCREENING = "screening"
STEP_CERTIFY = "certify"
STEP_WAIT = "wait"
STEP_CONSENT = "consent"
STEP_DONE = "done"
STEP_STOPPED = "stopped"

PACKET_FAILED = "packet_failed"
"""Event: one try to render the packet failed (the kiosk tries again)."""
PACKET_GAVE_UP = "packet_gave_up"
"""Event: the kiosk stopped trying to render the packet; staff see why and may try again."""
PACKET_RETRY = "packet_retry_requested"
"""Event: staff asked the kiosk to try the packet again."""


@dataclass(frozen=True)
class CheckInState:
    """A check-in with everything staff and the tablet need to know about it."""

    checkin: CheckIn
    """The check-in as opened."""
    answers: dict[str, Any] | None
    """The validated answers, once screened."""
    screening: dict[str, Any] | None
    """The screening result (``ScreeningResult.to_dict()``), once screened."""
    cleared: bool
    """Staff cleared the patient for the consent step (a later ``stopped`` wins)."""
    stopped: bool
    """Staff stopped the check-in: no consent today."""
    signed: bool
    """The patient signed: the record is stored (its packet may still be rendering)."""
    packet: Packet | None
    """The packet PDF, once rendered."""
    copy_requested: bool
    """The patient asked for a paper copy that staff has not yet marked as given."""
    packet_failure: dict[str, Any] | None = None
    """Why the packet could not be made (``error``, ``reason``, ``attempts``), once the kiosk
    stopped trying and until staff ask it to try again; None otherwise."""
    certified: bool = False
    """The patient certified the answers of the latest screening."""
    decision: Decision | None = None
    """The clinician's decision on the latest screening (the last one made), if any."""
    patient_signed: bool = False
    """The patient (or their representative) signed the consent."""
    signed_roles: tuple[str, ...] = ()
    """Roles that signed after the patient (practitioner, witness, interpreter)."""

    @property
    def needs_review(self) -> bool:
        """The screening needs a clinician's decision before the consent."""
        return self.status in NEEDS_REVIEW

    @property
    def awaiting_practitioner(self) -> bool:
        """The patient signed; the practitioner has not yet (the packet is not final)."""
        return self.patient_signed and not self.signed

    @property
    def status(self) -> str | None:
        """``clear``, ``review`` or ``contraindicated`` once screened."""
        return None if self.screening is None else str(self.screening["status"])

    @property
    def step(self) -> str:
        """What the tablet shows now: screening, wait, consent, done or stopped."""
        if self.signed or self.patient_signed:
            return STEP_DONE
        if self.stopped:
            return STEP_STOPPED
        if self.screening is None:
            return STEP_SCREENING
        if not self.certified:
            return STEP_CERTIFY
        if self.needs_review:
            going = self.decision is not None and self.decision.goes_ahead
            return STEP_CONSENT if going else STEP_WAIT
        return STEP_CONSENT

    @property
    def display_name(self) -> str:
        """The patient's name as staff entered it, or as the patient answered it."""
        return self._identity("name")

    @property
    def date_of_birth(self) -> str:
        """The date of birth as staff entered it, or as the patient answered it."""
        return self._identity("date_of_birth")

    def _identity(self, part: str) -> str:
        identity = load_questionnaire().identity
        answered = (self.answers or {}).get(getattr(identity, part)) if identity else None
        return str(self.checkin.patient.get(part) or answered or "")


def checkin_state(store: KioskStore, checkin: CheckIn) -> CheckInState:
    """The state of ``checkin`` from its stored submissions and events."""
    screening = store.latest_submission(checkin.id, SCREENING)
    cleared = stopped = copy = False
    events = store.events(checkin.id)
    for event in events:
        if event.kind == "cleared":
            cleared, stopped = True, False
        elif event.kind == "stopped":
            stopped = True
        elif event.kind == DECIDED:
            stopped = event.detail.get("outcome") == "no_procedure"
        elif event.kind == "copy_requested":
            copy = True
        elif event.kind == "copy_given":
            copy = False
    certified = certification(store, checkin.id)
    decision = latest_decision(store, checkin.id)
    token = None if screening is None else screening.token
    signatures = [s for s in store.submissions(checkin.id) if s.kind == SIGNATURE]
    return CheckInState(
        certified=certified is not None and certified.screening_token == token,
        decision=decision if decision is not None and decision.screening_token == token else None,
        patient_signed=store.latest_submission(checkin.id, PATIENT_SIGNING) is not None,
        signed_roles=tuple(str(s.result.get("role")) for s in signatures),
        checkin=checkin,
        answers=None if screening is None else screening.payload,
        screening=None if screening is None else screening.result,
        cleared=cleared,
        stopped=stopped,
        signed=store.latest_submission(checkin.id, CONSENT) is not None,
        packet=store.packet(checkin.id),
        copy_requested=copy,
        packet_failure=packet_failure(events),
    )


def packet_failure(events: Sequence[Event]) -> dict[str, Any] | None:
    """The detail of the last `PACKET_GAVE_UP` event not followed by a retry or a packet."""
    failure: dict[str, Any] | None = None
    for event in events:
        if event.kind == PACKET_GAVE_UP:
            failure = dict(event.detail)
        elif event.kind in (PACKET_RETRY, "packet_generated"):
            failure = None
    return failure


def _latest_screening(conn: sqlite3.Connection, checkin_id: str) -> tuple[str, str] | None:
    """(token, status) of the check-in's latest screening, or None."""
    row = conn.execute(
        "SELECT token, result_json FROM submissions WHERE checkin_id = ? AND kind = ? "
        "ORDER BY created_at DESC, rowid DESC LIMIT 1",
        (checkin_id, SCREENING),
    ).fetchone()
    return None if row is None else (row[0], str(json.loads(row[1]).get("status")))


def _certified(conn: sqlite3.Connection, checkin_id: str, token: str) -> bool:
    row = conn.execute(
        "SELECT screening_token FROM certifications WHERE checkin_id = ? ORDER BY seq DESC LIMIT 1",
        (checkin_id,),
    ).fetchone()
    return row is not None and row[0] == token


def _any_certified(conn: sqlite3.Connection, checkin_id: str) -> bool:
    row = conn.execute("SELECT 1 FROM certifications WHERE checkin_id = ?", (checkin_id,))
    return row.fetchone() is not None


def _is_stopped(conn: sqlite3.Connection, checkin_id: str) -> bool:
    """Whether the last of stop, clear and decision stopped the check-in."""
    last = conn.execute(
        "SELECT kind, detail_json FROM events WHERE checkin_id = ? "
        "AND kind IN ('cleared', 'stopped', ?) ORDER BY seq DESC LIMIT 1",
        (checkin_id, DECIDED),
    ).fetchone()
    if last is None:
        return False
    if last[0] == DECIDED:
        return bool(json.loads(last[1]).get("outcome") == "no_procedure")
    return bool(last[0] == "stopped")


def _goes_ahead(conn: sqlite3.Connection, checkin_id: str, token: str) -> bool:
    row = conn.execute(
        "SELECT outcome, screening_token FROM review_decisions WHERE checkin_id = ? "
        "ORDER BY seq DESC LIMIT 1",
        (checkin_id,),
    ).fetchone()
    return row is not None and row[1] == token and row[0] in ("proceed", "proceed_with_changes")


def _has(conn: sqlite3.Connection, checkin_id: str, kind: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM submissions WHERE checkin_id = ? AND kind = ?", (checkin_id, kind)
    ).fetchone()
    return row is not None


def _signed(conn: sqlite3.Connection, checkin_id: str) -> bool:
    """The patient signed (the record may still wait for the practitioner)."""
    return _has(conn, checkin_id, PATIENT_SIGNING) or _has(conn, checkin_id, CONSENT)


def guard_first_screening(checkin_id: str) -> Any:
    """A store guard for a screening: the first one, or a changed one until the patient
    certified the answers (the "change" links of the certification page)."""

    def guard(conn: sqlite3.Connection) -> None:
        if _any_certified(conn, checkin_id) or _signed(conn, checkin_id):
            raise ConflictError("this check-in's answers have been certified already")
        if _is_stopped(conn, checkin_id):
            raise ConflictError("staff stopped this check-in")

    return guard


def guard_may_certify(checkin_id: str, token: str) -> Any:
    """A store guard for the patient's certification of the screening ``token``."""

    def guard(conn: sqlite3.Connection) -> None:
        latest = _latest_screening(conn, checkin_id)
        if latest is None or latest[0] != token:
            raise ConflictError("these are not the check-in's latest answers")
        if _any_certified(conn, checkin_id):
            raise ConflictError("the answers have been certified already")
        if _is_stopped(conn, checkin_id):
            raise ConflictError("staff stopped this check-in")

    return guard


def guard_may_sign(checkin_id: str) -> Any:
    """A store guard for the patient's signature: a certified screening that is clear, or that
    a clinician decided to go ahead with; not stopped, not signed already."""

    def guard(conn: sqlite3.Connection) -> None:
        latest = _latest_screening(conn, checkin_id)
        if latest is None:
            raise ConflictError("this check-in has not been screened")
        token, status = latest
        if _is_stopped(conn, checkin_id):
            raise ConflictError("staff stopped this check-in")
        if not _certified(conn, checkin_id, token):
            raise ConflictError("the patient has not certified the answers")
        if status != "clear" and not _goes_ahead(conn, checkin_id, token):
            raise ConflictError("a clinician has not decided to go ahead")
        if _signed(conn, checkin_id):
            raise ConflictError("this check-in has been signed already")

    return guard


def guard_may_decide(checkin_id: str, token: str) -> Any:
    """A store guard for a clinician's decision on the screening ``token``: the latest one,
    certified, needing review, and the patient has not signed."""

    def guard(conn: sqlite3.Connection) -> None:
        latest = _latest_screening(conn, checkin_id)
        if latest is None or latest[0] != token:
            raise ConflictError("these are not the check-in's latest answers")
        if latest[1] not in NEEDS_REVIEW:
            raise ConflictError("this screening needs no decision")
        if not _certified(conn, checkin_id, token):
            raise ConflictError("the patient has not certified the answers")
        if _signed(conn, checkin_id):
            raise ConflictError("this check-in has been signed already")

    return guard


def guard_may_countersign(checkin_id: str, role: str) -> Any:
    """A store guard for a signature after the patient's: the patient signed, the record is not
    final yet, and ``role`` has not signed."""

    def guard(conn: sqlite3.Connection) -> None:
        if not _has(conn, checkin_id, PATIENT_SIGNING):
            raise ConflictError("the patient has not signed")
        if _has(conn, checkin_id, CONSENT):
            raise ConflictError("the record is final already")
        rows = conn.execute(
            "SELECT result_json FROM submissions WHERE checkin_id = ? AND kind = ?",
            (checkin_id, SIGNATURE),
        )
        if any(json.loads(r[0]).get("role") == role for r in rows):
            raise ConflictError("this role has signed already")

    return guard


def guard_may_finish(checkin_id: str) -> Any:
    """A store guard for the final record: the practitioner signed, no record yet."""

    def guard(conn: sqlite3.Connection) -> None:
        if _has(conn, checkin_id, CONSENT):
            raise ConflictError("the record is final already")

    return guard


def guard_may_stop(checkin_id: str) -> Any:
    """A store guard for staff's "stop": refused once the patient has signed."""

    def guard(conn: sqlite3.Connection) -> None:
        if _signed(conn, checkin_id):
            raise ConflictError("this check-in has been signed already")

    return guard


def guard_may_clear(checkin_id: str) -> Any:
    """A store guard for staff's "clear": needs a screening, refused once signed."""

    def guard(conn: sqlite3.Connection) -> None:
        if _latest_screening(conn, checkin_id) is None:
            raise ConflictError("this check-in has not been screened")
        if _signed(conn, checkin_id):
            raise ConflictError("this check-in has been signed already")

    return guard
