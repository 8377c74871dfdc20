"""Records with a clinician's decision and a certification, shared by the review tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from packet_fixtures import SIGNED, signature_png

from tpi_forms.definitions.clinic import Clinic, sample_clinic
from tpi_forms.pdf.packet import assemble_consent, build_record
from tpi_forms.record.model import AuditEvent, ConsentRecord, Signature
from tpi_forms.record.review import Certification, ReviewDecision, certify
from tpi_forms.screening.procedure import PlannedProcedure
from tpi_forms.screening.scenarios import example_answers

PLAN = PlannedProcedure(sites=("neck", "upper_back"), corticosteroid=True)
DECIDED = SIGNED - dt.timedelta(minutes=20)
CERTIFIED = SIGNED - dt.timedelta(minutes=8)
STATEMENT = "These answers are true to the best of my knowledge."
NOTE = "Apixaban: low bleeding risk for trigger points; press on each site for 5 minutes."


def decision(outcome: str = "proceed", **changes: Any) -> ReviewDecision:
    """A decision by Casey Clinician, MD on the review scenario's blood thinner finding."""
    fields: dict[str, Any] = {
        "outcome": outcome,
        "clinician_name": "Casey Clinician",
        "clinician_credentials": "MD",
        "decided_at": DECIDED,
        "note": NOTE,
        "findings": ("blood_thinner",),
        "staff_account": "casey",
    }
    if outcome == "proceed_with_changes":
        fields["changed_procedure"] = PlannedProcedure(sites=("neck",), corticosteroid=False)
    fields.update(changes)
    return ReviewDecision(**fields)


def signatures(locale: str = "en") -> list[Signature]:
    """The patient, then the practitioner after the discussion."""
    return [
        Signature(
            role="patient",
            printed_name="Alex Example",
            signed_at=SIGNED,
            meaning="I agree to the shot.",
            image_png=signature_png(1),
        ),
        Signature(
            role="practitioner",
            printed_name="Casey Clinician, MD",
            signed_at=SIGNED + dt.timedelta(minutes=6),
            meaning="I explained the risks, benefits and other choices.",
            image_png=signature_png(3),
        ),
    ]


def review_record(
    locale: str = "en",
    *,
    review: ReviewDecision | None = None,
    certification: Certification | None = None,
    signers: list[Signature] | None = None,
    require_review: bool = True,
    clinic: Clinic | None = None,
) -> ConsentRecord:
    """The review scenario, decided, certified and signed by patient and practitioner."""
    answers = example_answers("review")
    review = review or decision()
    certification = certification or certify(answers, STATEMENT, CERTIFIED)
    signers = signers if signers is not None else signatures(locale)
    plan = review.changed_procedure or PLAN
    audit = [
        AuditEvent(SIGNED - dt.timedelta(minutes=30), "form_opened", {}, "kiosk-7"),
        review.event("desk-1"),
        AuditEvent(
            SIGNED - dt.timedelta(minutes=4), "consent_time_on_page", {"seconds": 184}, "kiosk-7"
        ),
        certification.event("kiosk-7"),
        *(AuditEvent(s.signed_at, "signed", {"role": s.role}, "kiosk-7") for s in signers),
    ]
    audit.sort(key=lambda e: e.at)
    clinic = clinic or sample_clinic()
    return build_record(
        answers,
        signers,
        procedure=plan,
        clinic=clinic,
        locale=locale,
        audit=audit,
        device_id="kiosk-7",
        created_at=SIGNED + dt.timedelta(minutes=7),
        consent=assemble_consent(plan, clinic, locale, answers=answers),
        review=review,
        certification=certification,
        require_review=require_review,
    )
