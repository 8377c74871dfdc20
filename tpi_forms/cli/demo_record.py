"""The demo's signed record: a ``review`` screening (a blood thinner) through the whole process.

The clinician reviews the finding and decides to go ahead; the patient certifies their answers,
reads the consent and signs; after the discussion the practitioner signs; the packet is made
after the last signature. Every event is at the time it happened, oldest first, and each signer
has their own ``signed`` event. The times are fixed, so the record is the same on every run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..consent.document import ConsentDocument
from ..definitions.clinic import Clinic
from ..definitions.words import words
from ..record.model import AuditEvent, ConsentRecord, Signature
from ..record.review import ReviewDecision, certify
from ..screening.procedure import PlannedProcedure

TABLET = "demo-tablet"
DESK = "demo-desk"
DECISION_NOTE = (
    "Apixaban 5 mg twice a day, last dose this morning. Trigger point injections carry a low"
    " bleeding risk: no pause. Press on each site for 5 minutes."
)
"""What the demo clinician typed: sample data, like the demo patient's answers."""


def demo_record(
    answers: Mapping[str, Any],
    plan: PlannedProcedure,
    clinic: Clinic,
    consent: ConsentDocument,
    signed_at: dt.datetime,
    locale: str = "en",
) -> tuple[ConsentRecord, dt.datetime]:
    """The review-scenario record signed by the patient at ``signed_at``, and when its packet
    is made (a minute after the practitioner's signature)."""
    from ..pdf.packet import build_record
    from ..screening.engine import screen

    clinician = clinic.practitioners[0]
    screened = screen(answers, plan, locale=locale, today=signed_at.date())
    review = ReviewDecision(
        outcome="proceed",
        clinician_name=clinician.name,
        clinician_credentials=clinician.credentials,
        decided_at=signed_at - dt.timedelta(minutes=25),
        note=DECISION_NOTE,
        findings=tuple(f.rule_id for f in screened.findings if f.severity != "info"),
        staff_account=clinician.id,
    )
    certification = certify(
        answers, words("packet", locale)["certify_statement"], signed_at - dt.timedelta(minutes=12)
    )
    practitioner_at = signed_at + dt.timedelta(minutes=6)
    signatures = [
        Signature(
            role="patient",
            printed_name=str(answers["patient_name"]),
            signed_at=signed_at,
            meaning=consent.signer_role("patient").meaning,
            image_png=_signature_png(),
        ),
        Signature(
            role="practitioner",
            printed_name=f"{clinician.name}, {clinician.credentials}",
            signed_at=practitioner_at,
            meaning=consent.signer_role("practitioner").meaning,
            method="typed",
        ),
    ]
    audit = [
        AuditEvent(signed_at - dt.timedelta(minutes=40), "form_opened", {}, TABLET),
        review.event(DESK),
        certification.event(TABLET),
        AuditEvent(
            signed_at - dt.timedelta(minutes=9), "section_viewed", {"section": "plan"}, TABLET
        ),
        AuditEvent(
            signed_at - dt.timedelta(minutes=6),
            "section_viewed",
            {"section": "alternatives"},
            TABLET,
        ),
        AuditEvent(
            signed_at - dt.timedelta(seconds=20), "consent_time_on_page", {"seconds": 184}, TABLET
        ),
        AuditEvent(signed_at - dt.timedelta(seconds=5), "esign_consent", {"given": "yes"}, TABLET),
        *(AuditEvent(s.signed_at, "signed", {"role": s.role}, TABLET) for s in signatures),
    ]
    record = build_record(
        answers,
        signatures,
        procedure=plan,
        clinic=clinic,
        locale=locale,
        audit=audit,
        device_id=TABLET,
        created_at=practitioner_at,
        consent=consent.to_dict(),
        as_of=signed_at.date(),
        review=review,
        certification=certification,
        require_review=True,
    )
    return record, practitioner_at + dt.timedelta(minutes=1)


def _signature_png() -> bytes:
    from ..screening.scenarios import example_signature_png

    return example_signature_png()
