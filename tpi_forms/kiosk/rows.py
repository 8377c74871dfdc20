"""The kiosk store's rows as frozen dataclasses, and how they are read from SQLite."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class CheckIn:
    """One patient's visit to the kiosk, as opened by staff or by the patient."""

    id: str
    """Random, unguessable id (URL-safe)."""
    created_at: datetime
    """When it was opened (UTC)."""
    mode: str
    """``staff`` (opened by staff) or ``self`` (patient self check-in)."""
    patient: Mapping[str, Any]
    """Name, date of birth, planned procedure and locale, as given when it was opened."""


@dataclass(frozen=True)
class Submission:
    """A stored submission and what the server answered to it the first time."""

    token: str
    """The client's submission token."""
    checkin_id: str
    """The check-in it belongs to."""
    kind: str
    """What was submitted, e.g. ``screening`` or ``consent``."""
    created_at: datetime
    """When it was first stored (UTC)."""
    payload: Any
    """What was submitted (validated data)."""
    result: Any
    """What the server answered."""
    stored: bool
    """True when this call stored it; False when the token had been stored before."""


@dataclass(frozen=True)
class Event:
    """One audit event; events are never changed, a correction is a later event."""

    seq: int
    """Order of events in the whole store."""
    checkin_id: str | None
    """The check-in, or None for events of the kiosk itself (e.g. staff log-in)."""
    at: datetime
    """When it happened (UTC)."""
    kind: str
    """What happened, e.g. ``opened``, ``screened``, ``cleared``, ``signed``."""
    detail: Mapping[str, Any]
    """Details that are not patient data (ids, status, counts)."""


@dataclass(frozen=True)
class Packet:
    """A stored packet PDF."""

    checkin_id: str
    """The check-in it belongs to."""
    submission_token: str
    """The signing submission that produced it."""
    path: Path
    """Where the PDF is."""
    sha256: str
    """SHA-256 of the PDF bytes, hex."""
    size: int
    """Size in bytes."""
    created_at: datetime
    """When it was stored (UTC)."""


def new_token() -> str:
    """A fresh random id or submission token (22 URL-safe characters, 128 bits)."""
    return secrets.token_urlsafe(16)


def now_utc() -> datetime:
    """The current time, UTC, to the microsecond."""
    return datetime.now(UTC)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def to_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def checkin_row(row: tuple[str, str, str, str]) -> CheckIn:
    cid, created, mode, patient = row
    return CheckIn(cid, parse_time(created), mode, json.loads(patient))


def submission_row(row: tuple[str, str, str, str, str, str]) -> Submission:
    token, cid, kind, created, payload, result = row
    return Submission(
        token, cid, kind, parse_time(created), json.loads(payload), json.loads(result), False
    )
