"""Where a check-in stands, worked out from its append-only submissions and events."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConflictError
from .store import CheckIn, Event, KioskStore, Packet

SCREENING = "screening"
CONSENT = "consent"

STEP_SCREENING = "screening"
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

    @property
    def status(self) -> str | None:
        """``clear``, ``review`` or ``contraindicated`` once screened."""
        return None if self.screening is None else str(self.screening["status"])

    @property
    def step(self) -> str:
        """What the tablet shows now: screening, wait, consent, done or stopped."""
        if self.signed:
            return STEP_DONE
        if self.stopped:
            return STEP_STOPPED
        if self.screening is None:
            return STEP_SCREENING
        if self.cleared or self.status == "clear":
            return STEP_CONSENT
        return STEP_WAIT

    @property
    def display_name(self) -> str:
        """The patient's name as staff entered it, or as the patient answered it."""
        name = self.checkin.patient.get("name") or (self.answers or {}).get("patient_name")
        return str(name or "")

    @property
    def date_of_birth(self) -> str:
        """The date of birth as staff entered it, or as the patient answered it."""
        dob = self.checkin.patient.get("date_of_birth") or (self.answers or {}).get("date_of_birth")
        return str(dob or "")


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
        elif event.kind == "copy_requested":
            copy = True
        elif event.kind == "copy_given":
            copy = False
    return CheckInState(
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


def guard_first_screening(checkin_id: str) -> Any:
    """A store guard: refuse a second screening submission for one check-in."""

    def guard(conn: sqlite3.Connection) -> None:
        row = conn.execute(
            "SELECT 1 FROM submissions WHERE checkin_id = ? AND kind = ?", (checkin_id, SCREENING)
        ).fetchone()
        if row is not None:
            raise ConflictError("this check-in has been screened already")

    return guard


def guard_may_sign(checkin_id: str) -> Any:
    """A store guard: signing needs a screening that is clear or cleared, not stopped or signed."""

    def guard(conn: sqlite3.Connection) -> None:
        row = conn.execute(
            "SELECT result_json FROM submissions WHERE checkin_id = ? AND kind = ? "
            "ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (checkin_id, SCREENING),
        ).fetchone()
        if row is None:
            raise ConflictError("this check-in has not been screened")
        last = conn.execute(
            "SELECT kind FROM events WHERE checkin_id = ? AND kind IN ('cleared', 'stopped') "
            "ORDER BY seq DESC LIMIT 1",
            (checkin_id,),
        ).fetchone()
        if last is not None and last[0] == "stopped":
            raise ConflictError("staff stopped this check-in")
        if json.loads(row[0]).get("status") != "clear" and last is None:
            raise ConflictError("staff has not cleared this check-in")
        signed = conn.execute(
            "SELECT 1 FROM submissions WHERE checkin_id = ? AND kind = ?", (checkin_id, CONSENT)
        ).fetchone()
        if signed is not None:
            raise ConflictError("this check-in has been signed already")

    return guard
