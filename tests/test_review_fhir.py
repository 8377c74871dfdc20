"""FHIR Provenance carries each signer's role and time, the clinician's decision and the
patient's certification."""

from __future__ import annotations

from typing import Any

from conftest_fhir import check_resource
from packet_fixtures import SIGNED, make_record
from review_fixtures import NOTE, decision, review_record

from tpi_forms.definitions.clinic import sample_clinic
from tpi_forms.fhir.bundle import to_fhir_bundle, to_fhir_consent
from tpi_forms.fhir.process import (
    EXT_CERTIFICATION,
    EXT_REVIEW_DECISION,
    INTERPRETER_ID_SYSTEM,
    SIGNER_ROLE_SYSTEM,
    STAFF_ACCOUNT_SYSTEM,
)
from tpi_forms.pdf.packet import assemble_consent, build_record
from tpi_forms.record.model import Signature
from tpi_forms.screening.procedure import PlannedProcedure
from tpi_forms.screening.scenarios import example_answers


def _parts(extension: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        (part["url"], next(v for k, v in part.items() if k.startswith("value")))
        for part in extension["extension"]
    ]


def test_each_signer_is_an_agent_with_role_name_and_signing_time() -> None:
    record = review_record()
    provenance = to_fhir_consent(record).provenance
    check_resource(provenance)
    signers = provenance["agent"][: len(record.signatures)]
    assert [a["role"][0]["coding"][0] for a in signers] == [
        {"system": SIGNER_ROLE_SYSTEM, "code": "patient"},
        {"system": SIGNER_ROLE_SYSTEM, "code": "practitioner"},
    ]
    assert [a["role"][0]["text"] for a in signers] == ["Patient", "Clinician"]
    assert [a["who"]["display"] for a in signers] == [s.printed_name for s in record.signatures]
    assert [s["when"] for s in provenance["signature"]] == [
        s.signed_at.isoformat() for s in record.signatures
    ]
    assert provenance["recorded"] == record.created_at.isoformat()


def test_the_reviewing_clinician_is_an_agent_and_the_decision_an_extension() -> None:
    record = review_record()
    provenance = to_fhir_consent(record).provenance
    reviewer = provenance["agent"][-1]
    assert reviewer["type"]["coding"][0]["code"] == "verifier"
    assert reviewer["role"][0]["coding"][0]["code"] == "screening-reviewer"
    assert reviewer["who"] == {
        "type": "Practitioner",
        "display": "Casey Clinician, MD",
        "identifier": {"system": STAFF_ACCOUNT_SYSTEM, "value": "casey"},
    }
    (review,) = [e for e in provenance["extension"] if e["url"] == EXT_REVIEW_DECISION]
    assert record.review is not None
    assert _parts(review) == [
        ("outcome", "proceed"),
        ("clinician", "Casey Clinician, MD"),
        ("decidedAt", record.review.decided_at.isoformat()),
        ("note", NOTE),
        ("finding", "blood_thinner"),
        ("staffAccount", "casey"),
    ]
    (certified,) = [e for e in provenance["extension"] if e["url"] == EXT_CERTIFICATION]
    assert record.certification is not None
    assert _parts(certified) == [
        ("certifiedAt", record.certification.certified_at.isoformat()),
        ("statement", record.certification.statement),
        ("answersSha256", record.certification.answers_sha256),
    ]


def test_a_changed_plan_travels_in_the_decision() -> None:
    record = review_record(review=decision("proceed_with_changes"))
    provenance = to_fhir_consent(record).provenance
    check_resource(provenance)
    (review,) = [e for e in provenance["extension"] if e["url"] == EXT_REVIEW_DECISION]
    parts = _parts(review)
    assert ("outcome", "proceed_with_changes") in parts
    assert ("changedSite", "neck") in parts
    assert ("changedLocalAnesthetic", "lidocaine") in parts
    assert ("changedCorticosteroid", False) in parts


def test_a_record_without_review_has_no_reviewer_or_extension() -> None:
    record = make_record()
    provenance = to_fhir_consent(record).provenance
    check_resource(provenance)
    assert "extension" not in provenance
    assert len(provenance["agent"]) == len(record.signatures)
    assert all("role" in a for a in provenance["agent"])


def test_the_bundle_with_a_decision_validates() -> None:
    check_resource(to_fhir_bundle(review_record("es")))


def test_an_interpreter_id_is_the_references_identifier() -> None:
    plan = PlannedProcedure(sites=("neck",))
    consent = assemble_consent(plan, sample_clinic(), "es")
    for role in consent["signer_roles"]:
        if role["id"] == "interpreter":
            role["fields"] = [
                {"id": "language", "label": "Idioma"},
                {"id": "interpreter_id", "label": "Número o servicio"},
            ]
    patient = Signature(
        role="patient",
        printed_name="Alex Example",
        signed_at=SIGNED,
        meaning="Acepto.",
        method="typed",
    )
    interpreter = Signature(
        role="interpreter",
        printed_name="Rosa Intérprete",
        signed_at=SIGNED,
        meaning="Interpreté.",
        method="typed",
        language="Español",
        interpreter_id="Language Line 4471",
    )
    record = build_record(
        example_answers("clear"),
        [patient, interpreter],
        procedure=plan,
        locale="es",
        consent=consent,
        created_at=SIGNED,
    )
    provenance = to_fhir_consent(record).provenance
    check_resource(provenance)
    identifier = {"system": INTERPRETER_ID_SYSTEM, "value": "Language Line 4471"}
    assert provenance["agent"][1]["who"]["identifier"] == identifier
    assert provenance["signature"][1]["who"]["identifier"] == identifier
    assert provenance["agent"][1]["role"][0]["coding"][0]["code"] == "interpreter"
    assert "identifier" not in provenance["agent"][0]["who"]
