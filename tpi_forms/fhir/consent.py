"""A signed consent record as a FHIR R4 Consent and a Provenance carrying its signatures."""

from __future__ import annotations

import base64
import copy
import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..record.model import ConsentRecord, Signature, record_hash
from .base import (
    EXT_CONSENT_HASH,
    EXT_SHA256,
    EXT_SIGNATURE_MEANING,
    PROCEDURE_SYSTEM,
    RECORD_SYSTEM,
    FhirSettings,
    bcp47,
    fhir_id,
)
from .process import add_process, interpreter_identifier, signer_role

SIGNATURE_TYPES = "urn:iso-astm:E1762-95:2013"
# Signature types by signer role (ASTM E1762 codes of the R4 signature-type value set): the
# patient's or representative's is a consent signature; the clinician attests the discussion.
_SIGNATURE_TYPE = {
    "patient": ("1.2.840.10065.1.12.1.7", "Consent Signature"),
    "legal_representative": ("1.2.840.10065.1.12.1.7", "Consent Signature"),
    "practitioner": ("1.2.840.10065.1.12.1.1", "Author's Signature"),
    "witness": ("1.2.840.10065.1.12.1.11", "Consent Witness Signature"),
    "interpreter": ("1.2.840.10065.1.12.1.12", "Interpreter Signature"),
}
_PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
_V3_PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
_AGENT_TYPE: dict[str, dict[str, Any]] = {
    "patient": {"coding": [{"system": _PARTICIPANT, "code": "author", "display": "Author"}]},
    "legal_representative": {
        "coding": [{"system": _PARTICIPANT, "code": "author", "display": "Author"}],
        "text": "Legal representative",
    },
    "practitioner": {
        "coding": [{"system": _PARTICIPANT, "code": "verifier", "display": "Verifier"}]
    },
    "witness": {"coding": [{"system": _V3_PARTICIPATION, "code": "WIT", "display": "witness"}]},
    "interpreter": {"text": "Interpreter"},
}
_REFERENCE_TYPE = {
    "legal_representative": "RelatedPerson",
    "practitioner": "Practitioner",
    "witness": "RelatedPerson",
    "interpreter": "RelatedPerson",
}
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:tpi-forms")


@dataclass(frozen=True)
class FhirConsent:
    """A signed consent as FHIR: the Consent and the Provenance that carries its signatures."""

    consent: dict[str, Any]
    """The ``Consent`` resource."""
    provenance: dict[str, Any]
    """The ``Provenance`` resource whose target is the Consent."""


def record_uuid(record: ConsentRecord, kind: str) -> str:
    """A ``urn:uuid:`` for one resource made from a record: the same record, the same uuid."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{record_hash(record)}/{kind}')}"


def _consent_url(consent: Mapping[str, Any], settings: FhirSettings) -> str:
    cid = str(consent.get("definition_id") or "consent")
    version = str(consent.get("version") or "")
    if settings.base_url:
        return f"{settings.base_url.rstrip('/')}/consent/{fhir_id(cid)}/{version}"
    return f"urn:tpi-forms:consent:{cid}:{version}"


def _granting_signature(record: ConsentRecord) -> Signature:
    return next(s for s in record.signatures if s.role in ("patient", "legal_representative"))


def _procedure_code(consent: Mapping[str, Any]) -> dict[str, Any]:
    """The planned procedure as the consent document names it, in the document's language."""
    parts = [str(consent.get("title") or consent.get("procedure") or "Procedure")]
    if consent.get("sites_text"):
        parts.append(str(consent["sites_text"]))
    medicines = [
        str(m.get("name")) for m in consent.get("medicines") or () if isinstance(m, Mapping)
    ]
    if medicines:
        parts.append(", ".join(medicines))
    code: dict[str, Any] = {"text": " — ".join(parts)}
    if consent.get("procedure"):
        code = {"coding": [{"system": PROCEDURE_SYSTEM, "code": str(consent["procedure"])}], **code}
    return code


def _practitioner_name(consent: Mapping[str, Any], key: str) -> str | None:
    value = consent.get(key)
    if isinstance(value, Mapping):
        found = value.get("display_name") or value.get("name")
        return str(found) if found else None
    return str(value) if isinstance(value, str) and value else None


def to_fhir_consent(
    record: ConsentRecord,
    *,
    packet_pdf: bytes | None = None,
    packet_url: str | None = None,
    patient: str | None = None,
    settings: FhirSettings | None = None,
) -> FhirConsent:
    """The signed consent as a FHIR ``Consent`` (treatment scope) and a ``Provenance``.

    ``packet_pdf`` (the signed packet) becomes ``sourceAttachment`` with its hashes, embedded as
    base64 unless ``packet_url`` says where it is kept (then the url and hashes); with only
    ``packet_url`` the attachment is a link without hashes.
    ``patient`` is a reference (``Patient/123``); by default a ``urn:uuid:`` that `to_fhir_bundle`
    gives the Patient it creates. The Provenance targets the Consent by the ``urn:uuid:`` that
    is the Consent's full URL in `to_fhir_bundle`.
    """
    settings = settings or FhirSettings()
    patient_ref = patient or record_uuid(record, "Patient")
    granting = _granting_signature(record)
    facility = record.consent.get("facility")
    named = facility.get("name") if isinstance(facility, Mapping) else None
    clinic_name = str(named or record.clinic.get("name") or "")
    consent_ref = record_uuid(record, "Consent")
    resource: dict[str, Any] = {"resourceType": "Consent"}
    extensions = []
    if record.consent_hash:
        extensions.append({"url": EXT_CONSENT_HASH, "valueString": record.consent_hash})
    if extensions:
        resource["extension"] = extensions
    resource["identifier"] = [{"system": RECORD_SYSTEM, "value": record_hash(record)}]
    resource["status"] = "active"
    resource["scope"] = {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                "code": "treatment",
                "display": "Treatment",
            }
        ]
    }
    resource["category"] = [
        {
            "coding": [
                {"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}
            ]
        }
    ]
    resource["patient"] = {"reference": patient_ref}
    resource["dateTime"] = granting.signed_at.isoformat()
    if granting.role == "patient":
        resource["performer"] = [{"reference": patient_ref}]
    else:
        resource["performer"] = [
            {
                "type": "RelatedPerson",
                "display": f"{granting.printed_name} ({granting.relationship})",
            }
        ]
    if clinic_name:
        resource["organization"] = [{"type": "Organization", "display": clinic_name}]
    if packet_pdf is not None or packet_url:
        resource["sourceAttachment"] = _attachment(packet_pdf, packet_url, record)
    title = str(record.consent.get("title") or record.consent.get("definition_id") or "Consent")
    resource["policy"] = [{"uri": _consent_url(record.consent, settings)}]
    resource["policyRule"] = {"text": f"{title}, version {record.consent_version}"}
    provision: dict[str, Any] = {
        "type": "permit",
        "period": {"start": granting.signed_at.isoformat()},
    }
    performer = _practitioner_name(record.consent, "performer")
    if performer:
        provision["actor"] = [
            {
                "role": {
                    "coding": [{"system": _V3_PARTICIPATION, "code": "PRF", "display": "performer"}]
                },
                "reference": {"type": "Practitioner", "display": performer},
            }
        ]
    provision["code"] = [_procedure_code(record.consent)]
    resource["provision"] = provision
    return FhirConsent(resource, _provenance(record, consent_ref, patient_ref, granting))


def _attachment(pdf: bytes | None, url: str | None, record: ConsentRecord) -> dict[str, Any]:
    attachment: dict[str, Any] = {}
    if pdf is not None:
        attachment["extension"] = [
            {"url": EXT_SHA256, "valueString": hashlib.sha256(pdf).hexdigest()}
        ]
    attachment["contentType"] = "application/pdf"
    attachment["language"] = bcp47(record.locale)
    if url:
        attachment["url"] = url
    elif pdf is not None:
        attachment["data"] = base64.b64encode(pdf).decode("ascii")
    if pdf is not None:
        attachment["size"] = len(pdf)
        sha1 = hashlib.sha1(pdf).digest()  # FHIR R4 Attachment.hash is SHA-1
        attachment["hash"] = base64.b64encode(sha1).decode("ascii")
    attachment["title"] = "Signed consent packet"
    attachment["creation"] = record.created_at.isoformat()
    return attachment


def _provenance(
    record: ConsentRecord, consent_ref: str, patient_ref: str, granting: Signature
) -> dict[str, Any]:
    agents = []
    signatures = []
    for signer in record.signatures:
        who: dict[str, Any]
        if signer.role == "patient":
            who = {"reference": patient_ref, "display": signer.printed_name}
        else:
            label = signer.printed_name
            if signer.relationship:
                label += f" ({signer.relationship})"
            elif signer.language and signer.role == "interpreter":
                label += f" ({signer.language})"
            who = {"type": _REFERENCE_TYPE[signer.role], "display": label}
        who.update(interpreter_identifier(signer))
        agent: dict[str, Any] = {
            "type": copy.deepcopy(_AGENT_TYPE[signer.role]),
            "role": signer_role(record, signer),
            "who": who,
        }
        if signer.role == "legal_representative":
            agent["onBehalfOf"] = {"reference": patient_ref}
        agents.append(agent)
        code, display = _SIGNATURE_TYPE[signer.role]
        signature: dict[str, Any] = {
            "extension": [{"url": EXT_SIGNATURE_MEANING, "valueString": signer.meaning}],
            "type": [{"system": SIGNATURE_TYPES, "code": code, "display": display}],
            "when": signer.signed_at.isoformat(),
            "who": dict(who),
        }
        if signer.role == "legal_representative":
            signature["onBehalfOf"] = {"reference": patient_ref}
        if signer.image_png is not None:
            signature["sigFormat"] = "image/png"
            signature["data"] = base64.b64encode(signer.image_png).decode("ascii")
        signatures.append(signature)
    provenance = {
        "resourceType": "Provenance",
        "target": [{"reference": consent_ref}],
        "occurredDateTime": granting.signed_at.isoformat(),
        "recorded": record.created_at.isoformat(),
        "activity": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
                    "code": "CREATE",
                    "display": "create",
                }
            ]
        },
        "agent": agents,
        "signature": signatures,
    }
    return add_process(provenance, record)
