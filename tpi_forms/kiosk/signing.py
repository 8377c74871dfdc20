"""The signatures of one check-in, one at a time, and the record made after the last one.

The patient (or their representative) signs first, on the tablet: that signing is stored as it
is (signatures, the evidence of reading, the consent shown) with its own ``signed`` event, and
the check-in then awaits the practitioner. A witness and an interpreter may sign next; the
practitioner signs last, after the discussion, with their own account. Each signature is its own
submission with its own ``signed`` event at its own time. Only when the practitioner's signature
is in is the record made (with the clinician's decision and the patient's certification) and
stored, and its packet rendered.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from ..consent.document import ConsentDocument
from ..consent.signing import ConsentSubmission
from ..errors import ConflictError
from ..record.assemble import build_record
from ..record.model import AuditEvent, ConsentRecord, Signature
from ..record.review import Certification, ReviewDecision
from ..screening.procedure import PlannedProcedure
from . import flow
from .review_store import Decision, StoredCertification, certification, latest_decision
from .services import KioskServices
from .state import (
    CONSENT,
    PATIENT_SIGNING,
    SCREENING,
    SIGNATURE,
    CheckInState,
    checkin_state,
    guard_may_countersign,
    guard_may_finish,
    guard_may_sign,
)
from .store import Event, new_token

log = logging.getLogger("tpi_forms.kiosk")

PRACTITIONER = "practitioner"
"""The role whose signature makes the record final."""
COUNTERSIGNERS = ("interpreter", "witness", PRACTITIONER)
"""Roles that sign after the patient, in the order they sign (the practitioner last)."""
REPLACED_KIOSK_EVENTS = ("signed", "review_decided", "answers_certified", "section_viewed")
"""Kiosk events the record carries as its own events (with the signature or decision)."""


def store_patient_signing(
    svc: KioskServices,
    state: CheckInState,
    document: ConsentDocument,
    token: str,
    signing: ConsentSubmission,
) -> None:
    """Store the patient's signing; `ConflictError` when the guard refuses it."""
    roles = [s.role for s in signing.signatures]
    payload = {
        "signatures": [s.to_dict() for s in signing.signatures],
        "events": [e.to_dict() for e in signing.events],
        "consent": document.to_dict(),
        "locale": document.locale,
    }
    method = signing.signatures[0].method if signing.signatures else ""
    svc.store.submit(
        token,
        state.checkin.id,
        PATIENT_SIGNING,
        payload,
        {"signed": True, "consent_hash": document.content_hash, "roles": roles},
        event=("signed", {"role": roles[0], "method": method, "device": svc.config.device_id}),
        guard=guard_may_sign(state.checkin.id),
    )


def store_countersignature(
    svc: KioskServices,
    checkin_id: str,
    token: str,
    signature: Signature,
    who: Mapping[str, str],
) -> bool:
    """Store a signature after the patient's (``who``: the account that recorded it) and, for
    the practitioner's, the final record. Returns whether the record was made now.

    Raises `ConflictError` when the guard refuses (not signed by the patient, final, signed).
    """
    device = svc.config.device_id
    if signature.role == PRACTITIONER:  # the record must be possible before anything is stored
        assemble(svc, checkin_id, extra=((signature, None),))
    detail = {"role": signature.role, "method": signature.method, "device": device}
    if signature.role == "interpreter":  # signed by the interpreter, recorded by staff
        detail["recorded_by_name"] = who["by_name"]
    else:  # the signer's own account
        detail |= {"by": who["by"], "by_name": who["by_name"]}
    event = AuditEvent(signature.signed_at, "signed", detail, device)
    svc.store.submit(
        token,
        checkin_id,
        SIGNATURE,
        {"signature": signature.to_dict(), "event": event.to_dict()},
        {"role": signature.role},
        event=("signed", detail),
        guard=guard_may_countersign(checkin_id, signature.role),
    )
    if signature.role != PRACTITIONER:
        return False
    finish(svc, checkin_id)
    return True


def plan_of(patient: Mapping[str, Any], decision: Decision | None) -> PlannedProcedure:
    """The plan the consent is for: the clinician's changed plan, else the one entered."""
    if decision is not None and decision.changed_plan is not None:
        return flow.planned_procedure({"plan": decision.changed_plan})
    return flow.planned_procedure(patient)


def review_of(decision: Decision | None) -> ReviewDecision | None:
    """The stored decision as the record's `ReviewDecision`."""
    if decision is None:
        return None
    changed = None
    if decision.changed_plan is not None:
        changed = flow.planned_procedure({"plan": decision.changed_plan})
    return ReviewDecision(
        decision.outcome,
        decision.staff_name,
        decision.staff_credentials or None,
        decision.decided_at,
        note=decision.note,
        changed_procedure=changed,
        findings=decision.findings,
        staff_account=decision.staff_user,
    )


def certification_of(stored: StoredCertification | None) -> Certification | None:
    """The stored certification as the record's `Certification`."""
    if stored is None:
        return None
    return Certification(stored.certified_at, stored.statement, stored.answers_sha256)


def at_viewed(event: AuditEvent, viewed: Mapping[str, dt.datetime]) -> AuditEvent:
    """A ``section_viewed`` event of the signed form at the time the kiosk saw it on screen
    (when it did, and before the signature); any other event as it is."""
    if event.event != "section_viewed":
        return event
    at = viewed.get(str(event.detail.get("section")))
    if at is None or at > event.at:
        return event
    return AuditEvent(at, event.event, event.detail, event.device_id)


def kiosk_trail(events: Sequence[Event], device_id: str) -> list[AuditEvent]:
    """The kiosk's events as record events, less those the record carries itself."""
    kept = [e for e in events if e.kind not in REPLACED_KIOSK_EVENTS]
    return flow.audit_trail(kept, device_id)


def assemble(
    svc: KioskServices,
    checkin_id: str,
    extra: Sequence[tuple[Signature, AuditEvent | None]] = (),
) -> ConsentRecord:
    """The final record from what is stored (and ``extra`` signatures not stored yet, with
    their events); raises `RecordError` when the record would be refused."""
    store = svc.store
    checkin = store.checkin(checkin_id)
    assert checkin is not None
    state = checkin_state(store, checkin)
    patient = store.latest_submission(checkin_id, PATIENT_SIGNING)
    screening = store.latest_submission(checkin_id, SCREENING)
    if patient is None or screening is None:
        raise ConflictError("the patient has not signed")
    device = svc.config.device_id
    decision = latest_decision(store, checkin_id)
    if decision is not None and decision.screening_token != screening.token:
        decision = None
    signatures = [Signature.from_dict(s) for s in patient.payload["signatures"]]
    viewed = {
        str(e.detail.get("section")): e.at
        for e in store.events(checkin_id, kinds=["section_viewed"])
    }
    audit = [at_viewed(AuditEvent.from_dict(e), viewed) for e in patient.payload["events"]]
    for sub in store.submissions(checkin_id):
        if sub.kind == SIGNATURE:
            signatures.append(Signature.from_dict(sub.payload["signature"]))
            audit.append(AuditEvent.from_dict(sub.payload["event"]))
    for signature, event in extra:
        signatures.append(signature)
        detail: dict[str, str | int] = {"role": signature.role, "method": signature.method}
        audit.append(event or AuditEvent(signature.signed_at, "signed", detail, device))
    review = review_of(decision)
    cert = certification_of(certification(store, checkin_id))
    audit += [x.event(device) for x in (review, cert) if x is not None]
    audit += kiosk_trail(store.events(checkin_id), device)
    audit.sort(key=lambda e: e.at)
    now = svc.now()
    screened_on = (state.screening or {}).get("as_of")
    return build_record(
        state.answers or {},
        signatures,
        procedure=plan_of(checkin.patient, decision),
        clinic=svc.clinic,
        locale=str(patient.payload["locale"]),
        audit=audit,
        device_id=device,
        created_at=now,
        consent=patient.payload["consent"],
        as_of=dt.date.fromisoformat(screened_on) if screened_on else None,
        review=review,
        certification=cert,
        require_review=state.needs_review,
    )


def finish(svc: KioskServices, checkin_id: str) -> ConsentRecord | None:
    """Make and store the final record once the practitioner signed, then queue its packet.

    Returns the record, or None when it was made already (another request got there first).
    """
    store = svc.store
    record = assemble(svc, checkin_id)
    signatures = record.signatures
    device = svc.config.device_id
    token = new_token()
    try:
        store.submit(
            token,
            checkin_id,
            CONSENT,
            record.to_dict(),
            {"signed": True, "roles": [s.role for s in signatures]},
            event=("record_made", {"signatures": len(signatures), "device": device}),
            guard=guard_may_finish(checkin_id),
        )
    except ConflictError:
        return None
    svc.packets.enqueue(token)
    log.info("record made after the last signature")
    return record
