"""HL7 FHIR R4 export: Questionnaire, QuestionnaireResponse, Consent, Provenance and a Bundle.

Every function returns plain JSON-ready dicts (``json.dumps`` them); nothing here needs a FHIR
library. The resources follow FHIR R4 (R4B is identical for these five).

>>> q = to_fhir_questionnaire(locale="en")
>>> q["resourceType"], q["url"]
('Questionnaire', 'urn:tpi-forms:questionnaire:tpi_screening')

Mapping notes:

* Sections are ``group`` items (linkId ``section.<id>``); questions keep their id as linkId.
  ``multichoice`` is ``choice`` with ``repeats: true``; choice codes use one code system per
  question (``<questionnaire url>:<question id>``).
* Conditions become ``enableWhen``/``enableBehavior`` where R4 can say them exactly;
  otherwise (``within_days``, ``subset_of``, mixed ``all``/``any``) the SDC
  ``enableWhenExpression`` extension carries an equivalent FHIRPath expression, which
  renderers without SDC support ignore (they show the question always).
* ``not_future`` and ``max_age_years`` on dates depend on the day of answering and are not
  exported; the library checks them when answers are validated.
* Every text carries the other languages in the core ``translation`` extension.
* R4 ``Attachment.hash`` is SHA-1 (base64); the packet's SHA-256 travels in the
  ``urn:tpi-forms:extension:sha256`` extension beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from ..definitions.consent import ConsentDefinition
from ..definitions.questionnaire import Questionnaire, load_questionnaire
from ..errors import FhirExportError
from ..json_types import JsonObject
from ..record.model import ConsentRecord
from .base import (
    ENABLE_WHEN_EXPRESSION,
    EXT_CONSENT_HASH,
    EXT_SHA256,
    EXT_SIGNATURE_MEANING,
    PROCEDURE_SYSTEM,
    RECORD_SYSTEM,
    TRANSLATION,
    FhirSettings,
    choice_system,
    questionnaire_url,
)
from .consent import FhirConsent, record_uuid, to_fhir_consent
from .questionnaire import to_fhir_questionnaire, to_fhir_questionnaire_response

__all__ = [
    "ENABLE_WHEN_EXPRESSION",
    "EXT_CONSENT_HASH",
    "EXT_SHA256",
    "EXT_SIGNATURE_MEANING",
    "PROCEDURE_SYSTEM",
    "RECORD_SYSTEM",
    "TRANSLATION",
    "FhirConsent",
    "FhirExportError",
    "FhirSettings",
    "bundle_from_packet",
    "choice_system",
    "questionnaire_url",
    "to_fhir_bundle",
    "to_fhir_consent",
    "to_fhir_questionnaire",
    "to_fhir_questionnaire_response",
]


def _patient(record: ConsentRecord, q: Questionnaire) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Patient"}
    personal = [question for question in q.questions.values() if question.personal]
    name = next((p for p in personal if p.type == "string" and record.answers.get(p.id)), None)
    birth = next((p for p in personal if p.type == "date" and record.answers.get(p.id)), None)
    if name is not None:
        resource["name"] = [{"text": str(record.answers[name.id])}]
    if birth is not None:
        resource["birthDate"] = str(record.answers[birth.id])
    return resource


def _record_questionnaire(
    record: ConsentRecord, questionnaire: Questionnaire | None
) -> Questionnaire:
    q = questionnaire or load_questionnaire()
    if (q.id, q.version) != (record.questionnaire_id, record.questionnaire_version):
        raise FhirExportError(
            f"the record follows questionnaire '{record.questionnaire_id}' version "
            f"{record.questionnaire_version}, not '{q.id}' version {q.version}: "
            "pass that definition"
        )
    return q


def to_fhir_bundle(
    record: ConsentRecord,
    *,
    packet_pdf: bytes | None = None,
    packet_url: str | None = None,
    questionnaire: Questionnaire | None = None,
    patient: str | None = None,
    settings: FhirSettings | None = None,
) -> JsonObject:
    """A transaction ``Bundle``: Questionnaire, Patient, QuestionnaireResponse, Consent, Provenance.

    Resources point at each other through ``urn:uuid:`` full URLs (stable for one record). The
    Questionnaire is created only if no resource has its url and version (``ifNoneExist``).
    ``patient`` names an existing Patient (``Patient/123``); then none is created.
    """
    settings = settings or FhirSettings()
    q = _record_questionnaire(record, questionnaire)
    locale = record.locale if record.locale in q.locales else q.locales[0]
    patient_ref = patient or record_uuid(record, "Patient")
    fhir_q = to_fhir_questionnaire(q, locale, settings=settings)
    response = to_fhir_questionnaire_response(
        record.answers,
        q,
        locale=locale,
        subject=patient_ref,
        authored=record.created_at,
        settings=settings,
    )
    signed = to_fhir_consent(
        record, packet_pdf=packet_pdf, packet_url=packet_url, patient=patient_ref, settings=settings
    )
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": record_uuid(record, "Questionnaire"),
            "resource": fhir_q,
            "request": {
                "method": "POST",
                "url": "Questionnaire",
                "ifNoneExist": urlencode({"url": fhir_q["url"], "version": q.version}),
            },
        }
    ]
    if patient is None:
        entries.append(_entry(patient_ref, _patient(record, q)))
    entries.append(_entry(record_uuid(record, "QuestionnaireResponse"), response))
    entries.append(_entry(record_uuid(record, "Consent"), signed.consent))
    entries.append(_entry(record_uuid(record, "Provenance"), signed.provenance))
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "timestamp": record.created_at.isoformat(),
        "entry": entries,
    }


def _entry(full_url: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {
        "fullUrl": full_url,
        "resource": resource,
        "request": {"method": "POST", "url": resource["resourceType"]},
    }


def bundle_from_packet(
    pdf: bytes,
    *,
    packet_url: str | None = None,
    questionnaire: Questionnaire | None = None,
    patient: str | None = None,
    settings: FhirSettings | None = None,
    trust_roots: Sequence[bytes] | None = None,
    consent_definition: ConsentDefinition | None = None,
) -> dict[str, Any]:
    """The transaction Bundle of a signed packet, read from the record embedded in the PDF.

    The packet is verified first (`tpi_forms.verify.packet.verify_packet`, with ``trust_roots`` and
    ``consent_definition`` passed on); a packet that fails any check is refused with
    `FhirExportError` naming the failed checks, so a damaged or altered packet never reaches a
    health record. The PDF itself becomes ``Consent.sourceAttachment``.

    :raises PacketReadError: the bytes are not a PDF.
    """
    from ..verify.packet import verify_packet

    result = verify_packet(pdf, trust_roots=trust_roots, consent_definition=consent_definition)
    if result.record is None:
        raise FhirExportError("the PDF holds no readable consent record (is it a signed packet?)")
    if not result.ok:
        failed = ", ".join(c.name for c in result.failed())
        raise FhirExportError(f"the packet does not verify (failed: {failed}); not exported")
    return to_fhir_bundle(
        result.record,
        packet_pdf=pdf,
        packet_url=packet_url,
        questionnaire=questionnaire,
        patient=patient,
        settings=settings,
    )
