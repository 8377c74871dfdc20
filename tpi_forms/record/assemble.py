"""Make the record a signed packet prints: screen the answers, assemble the consent, add signers.

`build_record` is the one step between a finished signing session and `render_packet`; it is
also importable from `tpi_forms.pdf.packet`.

>>> from tpi_forms.record.assemble import build_record  # doctest: +SKIP
>>> record = build_record(answers, [signature], procedure=plan, clinic=clinic)  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from .. import clock
from ..definitions.clinic import Clinic, sample_clinic
from ..definitions.questionnaire import Questionnaire, load_questionnaire
from ..errors import RecordError
from ..json_types import JsonValue
from ..screening.procedure import PlannedProcedure
from .model import AuditEvent, ConsentRecord, Signature
from .required_signers import required_signer_problem, required_signers
from .review import Certification, ReviewDecision


def assemble_consent(
    procedure: PlannedProcedure,
    clinic: Clinic,
    locale: str,
    *,
    answers: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``build_consent(procedure, clinic, locale, answers=answers).to_dict()``."""
    from ..consent.document import build_consent

    document = build_consent(procedure, clinic, locale, answers=answers)
    data: dict[str, Any] = document.to_dict()
    return data


def build_record(
    answers: Mapping[str, object],
    signatures: Sequence[Signature],
    *,
    procedure: PlannedProcedure | None = None,
    clinic: Clinic | None = None,
    locale: str = "en",
    audit: Sequence[AuditEvent] = (),
    device_id: str | None = None,
    created_at: dt.datetime | None = None,
    questionnaire: Questionnaire | None = None,
    consent: Mapping[str, JsonValue] | None = None,
    as_of: dt.date | None = None,
    review: ReviewDecision | None = None,
    certification: Certification | None = None,
    require_review: bool = False,
) -> ConsentRecord:
    """Screen ``answers``, assemble the consent, and make the record the packet will print.

    :param consent: the consent as shown and signed (``ConsentDocument.to_dict()``); default:
        the shipped consent assembled for ``procedure`` and ``clinic``.
    :param as_of: the day the answers were screened (a kiosk passes the day it screened them);
        default: the day of ``created_at`` in the clinic's time zone.
    :param review: the clinician's decision on the screening; a ``proceed_with_changes``
        decision's changed plan is the record's plan (``procedure`` may be left out or must
        equal it). See `tpi_forms.record.review.check_process` for what is refused.
    :param certification: the patient's certification of these answers (`certify`).
    :param require_review: refuse a ``review`` or ``contraindicated`` screening without a
        clinician's decision to go ahead that names each of its findings.
    :raises RecordError: a signature's role is not one of the consent's, misses a field its
        role asks for, nobody consenting signed, or the consent names another logo than the
        clinic's; the decision or certification contradicts the record; a ``signed`` event
        of ``audit`` naming a role is not at that role's signing time; or, in a record with a
        decision or certification, a signer has no ``signed`` event of their own; a finding
        asks for a signer (a rule's ``required_signer``, such as a minor's legal
        representative) who did not sign (the patient may sign besides them: assent).
    """
    from ..screening.answers import validate_answers
    from ..screening.engine import screen
    from .review import check_process, consenting_of, signer_event_problem

    q = questionnaire or load_questionnaire()
    changed = None if review is None else review.changed_procedure
    if changed is not None and procedure not in (None, changed):
        raise RecordError("the plan is not the one the clinician's decision changed it to")
    procedure = procedure or changed or PlannedProcedure()
    clinic = clinic or sample_clinic()
    created = created_at or clock.utc_now()
    day = as_of or clock.today(clinic.time_zone, created)
    result = screen(answers, procedure, questionnaire=q, locale=locale, today=day)
    valid = validate_answers(answers, q, today=day, locale=locale)
    if consent is None:
        consent = assemble_consent(procedure, clinic, locale, answers=valid)
    process = review is not None or certification is not None
    problem = signer_event_problem(signatures, audit, every_signer=process)
    if problem:
        raise RecordError(problem)
    problem = required_signer_problem(required_signers(result.findings), signatures, consent)
    if problem:
        raise RecordError(problem)
    check_process(
        review,
        certification,
        answers=valid,
        screening=result.to_dict(),
        signatures=signatures,
        consenting=consenting_of(consent),
        created_at=created,
        rule_ids=[rule.id for rule in q.rules],
        require_review=require_review,
    )
    facility = consent.get("facility")
    logo_sha256 = facility.get("logo_sha256") if isinstance(facility, Mapping) else None
    if logo_sha256 != clinic.logo_sha256():
        raise RecordError("the consent names another logo than the clinic's")
    screening: dict[str, Any] = result.to_dict()
    return ConsentRecord(
        questionnaire_id=q.id,
        questionnaire_version=q.version,
        locale=locale,
        answers=valid,
        procedure=screening["procedure"],
        screening=screening,
        consent=consent,
        clinic=clinic.to_dict(),
        signatures=tuple(signatures),
        audit=tuple(audit),
        created_at=created,
        device_id=device_id,
        review=review,
        certification=certification,
    )
