"""The consent process in the FHIR ``Provenance``: each signer's role, the clinician's decision
on the screening and the patient's certification of their answers.

Each signer's agent carries its role (``role``: the consent's signer role id and title) besides
its participation type; the signing time is its ``signature.when``. A clinician's decision adds
an agent for the reviewing clinician (type ``verifier``, role ``screening-reviewer``, the kiosk
staff account as the reference's identifier) and the decision itself in the
`EXT_REVIEW_DECISION` extension; a certification goes in `EXT_CERTIFICATION`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..record.model import ConsentRecord, Signature
from ..record.review import Certification, ReviewDecision

EXT_REVIEW_DECISION = "urn:tpi-forms:extension:review-decision"
"""Extension on ``Provenance``: the clinician's decision (``outcome``, ``clinician``,
``decidedAt``, ``note``, ``finding``…, ``changedSite``…, ``changedLocalAnesthetic``,
``changedCorticosteroid``, ``staffAccount``)."""
EXT_CERTIFICATION = "urn:tpi-forms:extension:answers-certification"
"""Extension on ``Provenance``: the patient's certification of the answers (``certifiedAt``,
``statement``, ``answersSha256``)."""
SIGNER_ROLE_SYSTEM = "urn:tpi-forms:signer-role"
"""Code system of the consent's signer role ids (``patient``, ``practitioner`` …)."""
PROCESS_ROLE_SYSTEM = "urn:tpi-forms:process-role"
"""Code system of roles in the process that are not signatures (``screening-reviewer``)."""
STAFF_ACCOUNT_SYSTEM = "urn:tpi-forms:staff-account"
"""Identifier system of kiosk staff accounts."""
INTERPRETER_ID_SYSTEM = "urn:tpi-forms:interpreter-id"
"""Identifier system of an interpreter's ID number or service (``Signature.interpreter_id``)."""
_PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"


def signer_role(record: ConsentRecord, signer: Signature) -> list[dict[str, Any]]:
    """``Provenance.agent.role`` of one signer: the role id, titled as the consent titles it."""
    roles = record.consent.get("signer_roles")
    title = next(
        (
            str(r.get("title"))
            for r in (roles if isinstance(roles, Sequence) else ())
            if isinstance(r, Mapping) and r.get("id") == signer.role and r.get("title")
        ),
        signer.role,
    )
    return [{"coding": [{"system": SIGNER_ROLE_SYSTEM, "code": signer.role}], "text": title}]


def interpreter_identifier(signer: Signature) -> dict[str, Any]:
    """``{"identifier": …}`` for a signer's reference when they gave an interpreter ID, else {}."""
    if not signer.interpreter_id:
        return {}
    return {"identifier": {"system": INTERPRETER_ID_SYSTEM, "value": signer.interpreter_id}}


def review_agent(review: ReviewDecision) -> dict[str, Any]:
    """The agent of the clinician who decided on the screening."""
    who: dict[str, Any] = {"type": "Practitioner", "display": review.clinician}
    if review.staff_account:
        who["identifier"] = {"system": STAFF_ACCOUNT_SYSTEM, "value": review.staff_account}
    return {
        "type": {
            "coding": [{"system": _PARTICIPANT, "code": "verifier", "display": "Verifier"}],
            "text": "Reviewing clinician",
        },
        "role": [
            {
                "coding": [{"system": PROCESS_ROLE_SYSTEM, "code": "screening-reviewer"}],
                "text": "Decided on the screening",
            }
        ],
        "who": who,
    }


def review_extension(review: ReviewDecision) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [
        {"url": "outcome", "valueCode": review.outcome},
        {"url": "clinician", "valueString": review.clinician},
        {"url": "decidedAt", "valueDateTime": review.decided_at.isoformat()},
    ]
    if review.note:
        parts.append({"url": "note", "valueString": review.note})
    parts.extend({"url": "finding", "valueCode": rule} for rule in review.findings)
    plan = review.changed_procedure
    if plan is not None:
        parts.extend({"url": "changedSite", "valueCode": site} for site in plan.sites or ())
        parts.append({"url": "changedLocalAnesthetic", "valueCode": plan.local_anesthetic})
        parts.append({"url": "changedCorticosteroid", "valueBoolean": plan.corticosteroid})
    if review.staff_account:
        parts.append({"url": "staffAccount", "valueString": review.staff_account})
    return {"url": EXT_REVIEW_DECISION, "extension": parts}


def certification_extension(certification: Certification) -> dict[str, Any]:
    return {
        "url": EXT_CERTIFICATION,
        "extension": [
            {"url": "certifiedAt", "valueDateTime": certification.certified_at.isoformat()},
            {"url": "statement", "valueString": certification.statement},
            {"url": "answersSha256", "valueString": certification.answers_sha256},
        ],
    }


def add_process(provenance: dict[str, Any], record: ConsentRecord) -> dict[str, Any]:
    """``provenance`` with the decision's agent and the decision and certification extensions."""
    extensions = []
    if record.review is not None:
        provenance["agent"].append(review_agent(record.review))
        extensions.append(review_extension(record.review))
    if record.certification is not None:
        extensions.append(certification_extension(record.certification))
    if extensions:
        return {"resourceType": provenance["resourceType"], "extension": extensions, **provenance}
    return provenance
