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

from ..definitions.clinic import Clinic, sample_clinic
from ..definitions.questionnaire import Questionnaire, load_questionnaire
from ..errors import RecordError
from ..screening.procedure import PlannedProcedure
from .model import AuditEvent, ConsentRecord


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
    answers: Mapping[str, Any],
    signatures: Sequence[Any],
    *,
    procedure: PlannedProcedure | None = None,
    clinic: Clinic | None = None,
    locale: str = "en",
    audit: Sequence[AuditEvent] = (),
    device_id: str | None = None,
    created_at: dt.datetime | None = None,
    questionnaire: Questionnaire | None = None,
    consent: Mapping[str, Any] | None = None,
) -> ConsentRecord:
    """Screen ``answers``, assemble the consent, and make the record the packet will print.

    :param consent: the consent as shown and signed (``ConsentDocument.to_dict()``); default:
        the shipped consent assembled for ``procedure`` and ``clinic``.
    :raises RecordError: a signature's role is not one of the consent's, misses a field its
        role asks for, nobody consenting signed, or the consent names another logo than the
        clinic's.
    """
    from ..screening.answers import validate_answers
    from ..screening.engine import screen

    q = questionnaire or load_questionnaire()
    procedure = procedure or PlannedProcedure()
    clinic = clinic or sample_clinic()
    created = created_at or dt.datetime.now(dt.UTC)
    result = screen(answers, procedure, questionnaire=q, locale=locale, today=created.date())
    valid = validate_answers(answers, q, today=created.date(), locale=locale)
    if consent is None:
        consent = assemble_consent(procedure, clinic, locale, answers=valid)
    facility = consent.get("facility")
    logo_sha256 = facility.get("logo_sha256") if isinstance(facility, Mapping) else None
    if logo_sha256 != clinic.logo_sha256():
        raise RecordError("the consent names another logo than the clinic's")
    screening = result.to_dict()
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
    )
