"""Signer roles come from the consent definition: a consent with a ``guardian`` signs and verifies.

``tests/data/guardian_consent`` is a copy of the shipped consent whose patient may be signed for
by a ``guardian`` (with a relationship) instead of a legal representative. Before roles came from
the definition, its page rendered and then signing raised ``RecordError`` ("unknown signer role").
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest
from packet_fixtures import no_weasyprint_logs, pdf_text, squash
from page_forms import drawn_png, page_inputs, posted, ticked_risks

from tpi_forms.consent.document import ConsentDocument, build_consent
from tpi_forms.consent.fields import NAMES
from tpi_forms.consent.signing import parse_consent_submission
from tpi_forms.definitions.clinic import sample_clinic
from tpi_forms.definitions.consent import ConsentDefinition, load_consent_definition
from tpi_forms.definitions.questionnaire import Questionnaire, load_questionnaire
from tpi_forms.errors import DefinitionError, RecordError
from tpi_forms.pdf.packet import PacketRenderer, build_record, render_packet
from tpi_forms.record.model import ConsentRecord, Signature
from tpi_forms.screening.procedure import PlannedProcedure
from tpi_forms.screening.scenarios import example_answers
from tpi_forms.verify.packet import verify_packet
from tpi_forms.web.html import render_consent_page

GUARDIAN = Path(__file__).resolve().parent / "data" / "guardian_consent" / "guardian_consent.toml"
NOW = dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC)
PLAN = PlannedProcedure(sites=("neck", "upper_back"), corticosteroid=False)


def guardian_questionnaire() -> Questionnaire:
    """The shipped questionnaire, with its rules asking for a ``guardian`` where they ask for
    a legal representative: a consent whose representative is a ``guardian`` needs one."""
    q = load_questionnaire()
    rules = tuple(
        replace(r, required_signer="guardian") if r.required_signer else r for r in q.rules
    )
    return replace(q, rules=rules)


@pytest.fixture(scope="module")
def definition() -> ConsentDefinition:
    return load_consent_definition(GUARDIAN, guardian_questionnaire())


def consent(definition: ConsentDefinition, locale: str = "en") -> ConsentDocument:
    return build_consent(PLAN, sample_clinic(), locale, definition=definition)


def guardian_post(document: ConsentDocument, html: str) -> dict[str, str]:
    """The page as posted by a guardian who draws, and a clinician who types."""
    patient, clinician = NAMES.signer("patient"), NAMES.signer("practitioner")
    return posted(
        html,
        {
            **ticked_risks(document),
            NAMES.esign_consent: "yes",
            patient.signer: "guardian",
            patient.extra("relationship"): "  Aunt ",
            patient.printed_name: "Rosa Example",
            patient.method: "drawn",
            patient.png: drawn_png(),
            patient.strokes: json.dumps([[[0.1, 0.5], [0.3, 0.2]]]),
            patient.intent: "yes",
            clinician.printed_name: "Alex Sample, MD",
            clinician.method: "typed",
            clinician.intent: "yes",
        },
    )


@pytest.fixture(scope="module")
def signed(definition: ConsentDefinition) -> tuple[ConsentRecord, bytes]:
    document = consent(definition)
    html = render_consent_page(document, action="/sign")
    submission = parse_consent_submission(document, guardian_post(document, html), now=NOW)
    record = build_record(
        example_answers("clear"),
        submission.signatures,
        procedure=PLAN,
        clinic=sample_clinic(),
        audit=submission.events,
        created_at=NOW,
        consent=document.to_dict(),
    )
    with no_weasyprint_logs():
        return record, render_packet(record, generated_at=NOW)


def test_the_guardian_definition_loads_with_its_own_roles(definition: ConsentDefinition) -> None:
    assert [s.id for s in definition.signers] == [
        "patient",
        "guardian",
        "practitioner",
        "witness",
        "interpreter",
    ]
    guardian = definition.signers[1]
    assert guardian.alternative_to == "patient" and guardian.required
    assert [f for f, _ in guardian.fields] == ["relationship"]


@pytest.mark.parametrize("locale", ["en", "es"])
def test_the_page_offers_the_guardian_in_the_patients_block(
    definition: ConsentDefinition, locale: str
) -> None:
    html = render_consent_page(consent(definition, locale), action="/sign")
    patient = NAMES.signer("patient")
    radios = {i["value"] for i in page_inputs(html) if i["name"] == patient.signer}
    assert radios == {"patient", "guardian"}
    assert ("Guardian" if locale == "en" else "Tutor") in html
    assert patient.extra("relationship") in {i["name"] for i in page_inputs(html)}
    assert "legal_representative" not in html


def test_a_guardian_signs_and_the_record_keeps_the_role(
    signed: tuple[ConsentRecord, bytes],
) -> None:
    record, _ = signed
    guardian, clinician = record.signatures
    assert (guardian.role, guardian.relationship, guardian.method) == ("guardian", "Aunt", "drawn")
    assert guardian.meaning.startswith("I am the patient's guardian.")
    assert clinician.role == "practitioner"
    assert record.consent["definition_id"] == "guardian_consent"


def test_the_packet_prints_the_guardian_with_the_consents_words(
    signed: tuple[ConsentRecord, bytes],
) -> None:
    text = squash(" ".join(pdf_text(signed[1])))
    for expected in [
        "Role Guardian",
        "How you are related to the patient Aunt",
        "Role Clinician",
        "I am the patient's guardian.",
    ]:
        assert squash(expected) in text, expected


def test_the_guardian_packet_verifies_against_its_definition(
    signed: tuple[ConsentRecord, bytes], definition: ConsentDefinition
) -> None:
    result = verify_packet(signed[1], consent_definition=definition)
    assert result.ok, result.failed()
    check = {c.name: c for c in result.checks}["consent_hash"]
    assert "equals the consent definition guardian_consent 0.1.0 rebuilt" in check.detail


def test_a_role_the_consent_does_not_have_is_refused_in_one_line(
    signed: tuple[ConsentRecord, bytes],
) -> None:
    record, _ = signed
    other = Signature("legal_representative", "Kim", NOW, "I agree.", "typed", relationship="Son")
    with pytest.raises(RecordError) as info:
        ConsentRecord(**{**record.__dict__, "signatures": (*record.signatures, other)})
    assert str(info.value) == (
        "unknown signer role 'legal_representative' "
        "(the consent's roles: patient, guardian, practitioner, witness, interpreter)"
    )


def test_a_guardian_without_the_relationship_is_refused(
    signed: tuple[ConsentRecord, bytes],
) -> None:
    record, _ = signed
    guardian = Signature("guardian", "Rosa", NOW, "I agree.", "typed")
    with pytest.raises(RecordError, match="^the 'guardian' signature needs its relationship$"):
        ConsentRecord(**{**record.__dict__, "signatures": (guardian,)})


def test_the_blank_packet_prints_the_consents_roles(definition: ConsentDefinition) -> None:
    document = consent(definition, "es")
    with no_weasyprint_logs():
        pdf = PacketRenderer().render_blank(PLAN, sample_clinic(), "es", consent=document.to_dict())
    text = squash(" ".join(pdf_text(pdf)))
    for expected in ["Tutor", "Cómo es su relación con el paciente", "Soy el tutor del paciente."]:
        assert squash(expected) in text, expected
    assert squash("Representante legal") not in text


@pytest.mark.parametrize(
    ("signers", "message"),
    [
        (
            '[[signers]]\nid = "witness"\nrequired = false\n',
            "signers: needs a required signer without 'alternative_to'",
        ),
        (
            '[[signers]]\nid = "patient"\nrequired = true\n'
            '[[signers]]\nid = "guardian"\nalternative_to = "patient"\n'
            '[[signers]]\nid = "aunt"\nalternative_to = "guardian"\n',
            "signers[2].alternative_to: 'guardian' signs in place of 'patient' itself",
        ),
    ],
)
def test_signer_definitions_are_checked(tmp_path: Path, signers: str, message: str) -> None:
    text = GUARDIAN.read_text(encoding="utf-8")
    structure = text[: text.index("[[signers]]")] + signers
    (tmp_path / "c.toml").write_text(structure, encoding="utf-8")
    roles = {"patient", "guardian", "aunt", "witness"}
    for locale in ("en", "es"):
        body = (GUARDIAN.parent / f"guardian_consent.{locale}.toml").read_text(encoding="utf-8")
        body = body[: body.index("[signers.")]
        for role in sorted(roles & set(signers.replace('"', " ").split())):
            body += f'[signers.{role}]\ntitle = "T"\nmeaning = "M"\n'
        (tmp_path / f"c.{locale}.toml").write_text(body, encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_consent_definition(tmp_path / "c.toml", guardian_questionnaire())
    assert str(info.value).startswith(f"c.toml: {message}"), str(info.value)
