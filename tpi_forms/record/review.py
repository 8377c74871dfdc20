"""The clinician's decision on a screening and the patient's certification of their answers.

A ``review`` or ``contraindicated`` screening needs a named clinician's decision (who, when,
what, why) before the procedure (AMA Code of Medical Ethics 2.1.1; 21 CFR Part 11 §11.100: a
signature is unique to one person). A `ReviewDecision` records it; a `Certification` records
that the patient saw their own answers and ticked that they are true (as REDCap's e-Consent
certification step does), with the SHA-256 of the answers certified. Both are part of the
`ConsentRecord`; records written without them (0.1.0) read and hash as before.

>>> import datetime as dt
>>> at = dt.datetime(2026, 3, 2, 15, 20, tzinfo=dt.UTC)
>>> decision = ReviewDecision("proceed", "Casey Clinician", "MD", at, findings=("blood_thinner",))
>>> decision.clinician
'Casey Clinician, MD'
>>> certify({"pain_score": 4}, "These answers are true.", at).answers_sha256[:12]
'e257d992f4bf'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .._text import hidden_character, nfc
from ..definitions.consent import consenting_roles
from ..errors import RecordError
from ..screening.procedure import PlannedProcedure
from . import model as _model
from .model import (
    MAX_MEANING,
    MAX_NAME,
    PROCESS_FORMAT,
    RECORD_FORMAT,
    AuditEvent,
    Signature,
    _aware,
    _parse_time,
    canonical_json,
    sha256_hex,
)
from .signers import _signer_roles

REVIEW_OUTCOMES = ("proceed", "proceed_with_changes", "no_procedure")
"""What a clinician may decide: go ahead, go ahead with a changed plan, no procedure today."""
GO_AHEAD = ("proceed", "proceed_with_changes")
"""The outcomes under which the procedure takes place."""
NEEDS_REVIEW = ("review", "contraindicated")
"""Screening statuses (and finding severities) that a clinician decides on."""
MAX_NOTE = 2000
"""Longest decision note, in characters."""
MAX_FINDINGS = 200
"""Most finding ids one decision names."""
REVIEW_EVENT = "review_decided"
"""Audit event id of a clinician's decision (details: outcome, by_name, role, by)."""
CERTIFY_EVENT = "answers_certified"
"""Audit event id of the patient's certification of their answers (detail: answers_sha256)."""

_RULE_ID = re.compile(r"[a-z0-9][a-z0-9_]{0,99}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _text(value: Any, what: str, limit: int, *, required: bool, multiline: bool = False) -> str:
    if not isinstance(value, str):
        raise RecordError(f"{what} must be text")
    if hidden_character(value, multiline=multiline):
        raise RecordError(f"{what} has a hidden or control character")
    text = nfc(value.strip())
    if required and not text:
        raise RecordError(f"{what} must not be empty")
    if len(text) > limit:
        raise RecordError(f"{what} is longer than {limit} characters")
    return text


def _optional(value: Any, what: str) -> str | None:
    if value is None:
        return None
    return _text(value, what, MAX_NAME, required=False) or None


def plan_to_dict(plan: PlannedProcedure) -> dict[str, Any]:
    """A plan as JSON: ``{"sites": [...] or None, "local_anesthetic": …, "corticosteroid": …}``."""
    return {
        "sites": None if plan.sites is None else list(plan.sites),
        "local_anesthetic": plan.local_anesthetic,
        "corticosteroid": plan.corticosteroid,
    }


def plan_from_dict(data: Mapping[str, Any]) -> PlannedProcedure:
    sites = data["sites"]
    if sites is not None and (isinstance(sites, str) or not all(isinstance(s, str) for s in sites)):
        raise RecordError("the changed plan's sites must be a list of site ids")
    anesthetic, steroid = data["local_anesthetic"], data["corticosteroid"]
    if not isinstance(anesthetic, str) or not isinstance(steroid, bool):
        raise RecordError("the changed plan has a wrong type of medicine")
    return PlannedProcedure(
        sites=None if sites is None else tuple(sites),
        local_anesthetic=anesthetic,
        corticosteroid=steroid,
    )


@dataclass(frozen=True)
class ReviewDecision:
    """A named clinician's decision on a screening that needs one."""

    outcome: str
    """One of `REVIEW_OUTCOMES`: ``proceed``, ``proceed_with_changes`` or ``no_procedure``."""
    clinician_name: str
    """The deciding clinician's name as printed (NFC; no hidden characters)."""
    clinician_credentials: str | None
    """Their credentials (``MD``, ``NP``), printed after the name; None when not known."""
    decided_at: datetime
    """When they decided (timezone-aware)."""
    note: str = ""
    """Why (NFC, at most `MAX_NOTE` characters, line breaks allowed); may be empty only for
    ``proceed``."""
    changed_procedure: PlannedProcedure | None = None
    """The changed plan (sites, medicines); given exactly when the outcome is
    ``proceed_with_changes``."""
    findings: tuple[str, ...] = ()
    """Ids of the findings (screening rules) the clinician reviewed."""
    staff_account: str | None = None
    """The kiosk staff account that recorded the decision (its id or username)."""

    def __post_init__(self) -> None:
        if self.outcome not in REVIEW_OUTCOMES:
            raise RecordError(
                f"unknown review outcome '{str(self.outcome)[:40]}'"
                f" (expected one of: {', '.join(REVIEW_OUTCOMES)})"
            )
        name = _text(self.clinician_name, "the clinician's name", MAX_NAME, required=True)
        object.__setattr__(self, "clinician_name", name)
        credentials = _optional(self.clinician_credentials, "the clinician's credentials")
        object.__setattr__(self, "clinician_credentials", credentials)
        _aware(self.decided_at, "review decision time")
        required = self.outcome != "proceed"
        note = _text(self.note, "the decision note", MAX_NOTE, required=False, multiline=True)
        if required and not note:
            raise RecordError(f"a '{self.outcome}' decision needs a note saying why")
        object.__setattr__(self, "note", note)
        changed = self.changed_procedure
        if changed is not None and not isinstance(changed, PlannedProcedure):
            raise RecordError("the changed plan must be a PlannedProcedure")
        if (changed is not None) != (self.outcome == "proceed_with_changes"):
            raise RecordError("a changed plan goes with a 'proceed_with_changes' decision only")
        if isinstance(self.findings, str) or not isinstance(self.findings, Sequence):
            raise RecordError("the reviewed findings must be a list of rule ids")
        findings = tuple(self.findings)
        if len(findings) > MAX_FINDINGS:
            raise RecordError(f"a decision names at most {MAX_FINDINGS} findings")
        for rule in findings:
            if not isinstance(rule, str) or not _RULE_ID.fullmatch(rule):
                raise RecordError("a reviewed finding is a rule id of a-z, 0-9 and _")
        if len(set(findings)) != len(findings):
            raise RecordError("a reviewed finding is named twice")
        object.__setattr__(self, "findings", findings)
        object.__setattr__(self, "staff_account", _optional(self.staff_account, "staff account"))

    @property
    def clinician(self) -> str:
        """Name and credentials as printed: "Casey Clinician, MD"."""
        if self.clinician_credentials:
            return f"{self.clinician_name}, {self.clinician_credentials}"
        return self.clinician_name

    @property
    def goes_ahead(self) -> bool:
        """Whether the procedure takes place under this decision."""
        return self.outcome in GO_AHEAD

    def event(self, device_id: str | None = None) -> AuditEvent:
        """The audit event of this decision, at its time, naming the clinician."""
        detail: dict[str, str | int] = {
            "outcome": self.outcome,
            "by_name": self.clinician,
            "role": "clinician",
        }
        if self.staff_account:
            detail["by"] = self.staff_account
        return AuditEvent(self.decided_at, REVIEW_EVENT, detail, device_id)

    def to_dict(self) -> dict[str, object]:
        changed = self.changed_procedure
        return {
            "outcome": self.outcome,
            "clinician_name": self.clinician_name,
            "clinician_credentials": self.clinician_credentials,
            "decided_at": self.decided_at.isoformat(),
            "note": self.note,
            "changed_procedure": None if changed is None else plan_to_dict(changed),
            "findings": list(self.findings),
            "staff_account": self.staff_account,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ReviewDecision:
        """Read `to_dict`'s form; each value is checked as the decision is made."""
        raw: Mapping[str, Any] = data
        try:
            changed = raw.get("changed_procedure")
            return cls(
                outcome=raw["outcome"],
                clinician_name=raw["clinician_name"],
                clinician_credentials=raw.get("clinician_credentials"),
                decided_at=_parse_time(raw["decided_at"], "review decision time"),
                note=raw.get("note", ""),
                changed_procedure=None if changed is None else plan_from_dict(changed),
                findings=tuple(raw.get("findings") or ()),
                staff_account=raw.get("staff_account"),
            )
        except (KeyError, TypeError, AttributeError):
            raise RecordError("the review decision misses a field or has a wrong type") from None


def answers_sha256(answers: Mapping[str, object]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``answers``: what a `Certification` certifies."""
    return sha256_hex(canonical_json(dict(answers)))


@dataclass(frozen=True)
class Certification:
    """The patient certified their own answers, shown to them in words, before signing."""

    certified_at: datetime
    """When they ticked the statement (timezone-aware)."""
    statement: str
    """The statement they ticked, in their language ("These answers are true …")."""
    answers_sha256: str
    """SHA-256 (hex) of the canonical JSON of the answers certified (`answers_sha256`)."""

    def __post_init__(self) -> None:
        _aware(self.certified_at, "certification time")
        statement = _text(self.statement, "the certification statement", MAX_MEANING, required=True)
        object.__setattr__(self, "statement", statement)
        if not isinstance(self.answers_sha256, str) or not _SHA256.fullmatch(self.answers_sha256):
            raise RecordError("the certified answers' SHA-256 must be 64 lowercase hex digits")

    def event(self, device_id: str | None = None) -> AuditEvent:
        """The audit event of this certification, at its time."""
        detail: dict[str, str | int] = {"answers_sha256": self.answers_sha256}
        return AuditEvent(self.certified_at, CERTIFY_EVENT, detail, device_id)

    def to_dict(self) -> dict[str, object]:
        return {
            "certified_at": self.certified_at.isoformat(),
            "statement": self.statement,
            "answers_sha256": self.answers_sha256,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Certification:
        """Read `to_dict`'s form; each value is checked as the certification is made."""
        raw: Mapping[str, Any] = data
        try:
            return cls(
                certified_at=_parse_time(raw["certified_at"], "certification time"),
                statement=raw["statement"],
                answers_sha256=raw["answers_sha256"],
            )
        except (KeyError, TypeError, AttributeError):
            raise RecordError("the certification is missing a field or has a wrong type") from None


def certify(answers: Mapping[str, object], statement: str, at: datetime) -> Certification:
    """The patient's certification of ``answers`` (the validated answers the record keeps)."""
    return Certification(at, statement, answers_sha256(answers))


def record_format(given: str, review: object, certification: object) -> str:
    """The format id of a record with this decision and certification: `PROCESS_FORMAT` with
    either, else `RECORD_FORMAT` (so records without them read and hash as 0.1.0 wrote them).

    :raises RecordError: ``given`` is no format this version reads, or a part has a wrong type.
    """
    if given not in (RECORD_FORMAT, PROCESS_FORMAT):
        raise RecordError(f"unknown record format (this version reads up to '{PROCESS_FORMAT}')")
    if not isinstance(review, ReviewDecision | None):
        raise RecordError("record field 'review' must be a ReviewDecision or None")
    if not isinstance(certification, Certification | None):
        raise RecordError("record field 'certification' must be a Certification or None")
    return PROCESS_FORMAT if review is not None or certification is not None else RECORD_FORMAT


def consenting_of(consent: Mapping[str, Any]) -> tuple[str, ...]:
    """The roles of ``consent`` (a record's consent) of which one signs as the person consenting."""
    return consenting_roles(tuple(_signer_roles(consent).values()))


def signer_event_problem(
    signatures: Sequence[Signature], audit: Sequence[AuditEvent], *, every_signer: bool
) -> str | None:
    """Why the ``signed`` events and the signatures disagree, or None when they agree.

    Every ``signed`` event naming a role must be at the signing time of that role's signature.
    With ``every_signer``, every signature also needs its own such event.
    """
    events: dict[str, list[datetime]] = {}
    for e in audit:
        role = e.detail.get("role")
        if e.event == "signed" and isinstance(role, str):
            events.setdefault(role, []).append(e.at)
    signed: dict[str, set[datetime]] = {}
    for s in signatures:
        signed.setdefault(s.role, set()).add(s.signed_at)
    for role, times in events.items():
        if role not in signed:
            return f"a 'signed' event names the role '{role}', which has no signature"
        if any(at not in signed[role] for at in times):
            return f"the '{role}' signature's 'signed' event is not at its signing time"
    if every_signer:
        missing = [s.role for s in signatures if s.signed_at not in events.get(s.role, ())]
        if missing:
            return f"no 'signed' event of its own for: {', '.join(dict.fromkeys(missing))}"
    return None


def check_process(
    review: ReviewDecision | None,
    certification: Certification | None,
    *,
    answers: Mapping[str, Any],
    screening: Mapping[str, Any],
    signatures: Sequence[Signature],
    consenting: Sequence[str],
    created_at: datetime,
    rule_ids: Sequence[str],
    require_review: bool = False,
) -> None:
    """Refuse (`RecordError`) a decision or certification that contradicts the record.

    * the certification must be of ``answers`` (their SHA-256), made before the consenting
      signature and not after the record;
    * the decision must name rules of the questionnaire and be made before the record;
    * a ``no_procedure`` decision made before the consenting signature is refused: the patient
      would have consented to a procedure the clinician had already called off. Made after it
      (the clinician stops after the discussion), it is kept with the signature, as evidence;
    * with ``require_review``, a ``review`` or ``contraindicated`` screening needs a go-ahead
      decision (``proceed`` or ``proceed_with_changes``) that names every such finding.
    """
    consent_times = [s.signed_at for s in signatures if s.role in consenting]
    first_consent = min(consent_times) if consent_times else None
    if certification is not None:
        if certification.answers_sha256 != answers_sha256(answers):
            raise RecordError("the certification is of other answers than the record's")
        if first_consent is not None and certification.certified_at > first_consent:
            raise RecordError("the answers were certified after the consent was signed")
        if certification.certified_at > created_at:
            raise RecordError("the certification is later than the record")
    status = str(screening.get("status", ""))
    flagged = [
        str(f.get("rule_id"))
        for f in screening.get("findings", ())
        if isinstance(f, Mapping) and f.get("severity") in NEEDS_REVIEW
    ]
    if review is None:
        if require_review and status in NEEDS_REVIEW:
            raise RecordError(f"a '{status}' screening needs a clinician's decision")
        return
    unknown = [r for r in review.findings if r not in rule_ids]
    if unknown:
        raise RecordError(f"the decision names an unknown finding '{unknown[0]}'")
    if review.decided_at > created_at:
        raise RecordError("the clinician's decision is later than the record")
    if (
        review.outcome == "no_procedure"
        and first_consent is not None
        and review.decided_at <= first_consent
    ):
        raise RecordError("a consent signed after a 'no procedure today' decision is refused")
    if require_review and status in NEEDS_REVIEW:
        if not review.goes_ahead:
            raise RecordError(f"a '{status}' screening needs a decision to go ahead")
        missed = [r for r in flagged if r not in review.findings]
        if missed:
            raise RecordError(f"the clinician's decision does not name the finding '{missed[0]}'")


# `model.ConsentRecord` names these classes in its annotations but can only import them for type
# checkers (this module imports `model`); give its namespace the classes so that
# `typing.get_type_hints` resolves the public signatures at run time too.
vars(_model).setdefault("Certification", Certification)
vars(_model).setdefault("ReviewDecision", ReviewDecision)
