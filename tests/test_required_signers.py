"""A rule's ``required_signer``: a minor's consent needs the legal representative's signature.

Each side of the condition: an adult signs alone (ok), a minor's representative signs (ok, and
with the patient's assent too), a minor signs alone (refused by `build_record`, by the consent
page's parser, and failed by `verify`'s ``signer_events`` check).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from packet_fixtures import SIGNED, make_record, reembed
from page_forms import drawn_png, posted, ticked_risks
from test_signer_roles import guardian_questionnaire

from tpi_forms._resources import definition_folder
from tpi_forms.consent.document import ConsentDocument, build_consent
from tpi_forms.consent.fields import NAMES
from tpi_forms.consent.signing import parse_consent_submission, signer_blocks
from tpi_forms.definitions.clinic import sample_clinic
from tpi_forms.definitions.consent import load_consent_definition
from tpi_forms.definitions.diff import diff_questionnaires
from tpi_forms.definitions.questionnaire import load_questionnaire
from tpi_forms.definitions.ui_text import ui_text
from tpi_forms.definitions.words import word_set
from tpi_forms.errors import ConsentFormError, DefinitionError, RecordError
from tpi_forms.pdf.packet import build_record, render_packet
from tpi_forms.record.model import ConsentRecord, Signature
from tpi_forms.record.required_signers import (
    required_signers,
    screening_findings,
)
from tpi_forms.schemas import definition_schema
from tpi_forms.screening.engine import Finding, screen
from tpi_forms.screening.procedure import PlannedProcedure
from tpi_forms.screening.scenarios import example_answers
from tpi_forms.verify.packet import verify_packet
from tpi_forms.web.html import render_consent_page

TODAY = dt.date(2026, 3, 2)
MINOR = "2012-05-01"
ADULT = "1980-04-12"
REP = "legal_representative"
PLAN = PlannedProcedure(sites=("neck", "upper_back"), corticosteroid=False)
GUARDIAN = Path(__file__).resolve().parent / "data" / "guardian_consent" / "guardian_consent.toml"
RAW_ID = re.compile(r"\b[a-z]+_[a-z_]+\b")


def answers(dob: str) -> dict[str, Any]:
    return {**example_answers("clear"), "date_of_birth": dob}


def text(page: str) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


# -- the definition ---------------------------------------------------------------------------


def test_the_shipped_under_18_rule_asks_for_the_legal_representative() -> None:
    rules = {r.id: r for r in load_questionnaire().rules}
    assert rules["under_18"].required_signer == REP
    assert "AMA Code of Medical Ethics" in rules["under_18"].source  # source text kept
    assert [r.id for r in rules.values() if r.required_signer] == ["under_18"]


def test_a_consent_without_the_role_a_rule_asks_for_is_refused_at_load() -> None:
    # The guardian consent names its representative "guardian": with the shipped questionnaire,
    # whose under_18 rule asks for a legal_representative, the pair cannot be kept.
    with pytest.raises(DefinitionError) as info:
        load_consent_definition(GUARDIAN)
    message = str(info.value)
    assert "\n" not in message
    assert "under_18" in message and "'legal_representative'" in message


def test_an_empty_required_signer_is_refused(tmp_path: Path) -> None:
    folder = definition_folder()
    body = (folder / "tpi_screening.toml").read_text(encoding="utf-8")
    body = body.replace('required_signer = "legal_representative"', 'required_signer = " "')
    (tmp_path / "q.toml").write_text(body, encoding="utf-8")
    for locale in ("en", "es"):
        source = (folder / f"tpi_screening.{locale}.toml").read_text(encoding="utf-8")
        (tmp_path / f"q.{locale}.toml").write_text(source, encoding="utf-8")
    with pytest.raises(DefinitionError, match="required_signer: must not be empty"):
        load_questionnaire(tmp_path / "q.toml")


@pytest.mark.parametrize(("value", "valid"), [(REP, True), ("Legal representative", False)])
def test_the_schema_takes_the_key_as_an_id(value: str, valid: bool) -> None:
    schema = definition_schema("questionnaire")
    rule = {"id": "r", "severity": "info", "when": {"question": "q", "equals": True}}
    data = {**tomllib.loads((definition_folder() / "tpi_screening.toml").read_text("utf-8"))}
    data["rules"] = [{**rule, "source": "s", "required_signer": value}]
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
    assert (not errors) is valid, errors


@pytest.mark.parametrize(
    ("locale", "words"), [("en", "who must sign"), ("es", "quién debe firmar")]
)
def test_the_diff_names_a_changed_required_signer(locale: str, words: str) -> None:
    new = load_questionnaire()
    old = dataclasses.replace(
        new, rules=tuple(dataclasses.replace(r, required_signer=None) for r in new.rules)
    )
    (change,) = diff_questionnaires(old, new, locale).changes
    assert (change.kind, change.id, change.aspects) == ("rule", "under_18", ("required_signer",))
    assert word_set("diff").words(locale)["aspects.required_signer"] == words


# -- screening --------------------------------------------------------------------------------


@pytest.mark.parametrize(("dob", "expected"), [(MINOR, (REP,)), (ADULT, ())])
def test_the_finding_carries_the_required_signer(dob: str, expected: tuple[str, ...]) -> None:
    result = screen(answers(dob), today=TODAY)
    assert required_signers(result.findings) == expected
    assert required_signers(screening_findings(result.to_dict())) == expected


def test_a_finding_keeps_the_key_only_when_it_has_one() -> None:
    result = screen({**example_answers("review"), "date_of_birth": MINOR}, today=TODAY)
    assert len(result.findings) > 1
    dicts = {f.rule_id: f.to_dict() for f in result.findings}
    assert dicts["under_18"]["required_signer"] == REP
    assert all("required_signer" not in d for rid, d in dicts.items() if rid != "under_18")
    back = [Finding.from_dict(d) for d in dicts.values()]
    assert tuple(back) == result.findings


# -- build_record ------------------------------------------------------------------------------


def signature(role: str, minutes: int = 0) -> Signature:
    return Signature(
        role=role,
        printed_name="Rosa Example" if role == REP else "Alex Example",
        signed_at=SIGNED + dt.timedelta(minutes=minutes),
        meaning="I agree.",
        method="typed",
        relationship="Mother" if role == REP else None,
    )


def record(dob: str, *roles: str, locale: str = "en") -> ConsentRecord:
    signatures = [signature(r, i) for i, r in enumerate((*roles, "practitioner"))]
    return build_record(
        answers(dob), signatures, procedure=PLAN, locale=locale, created_at=SIGNED, as_of=TODAY
    )


def test_an_adult_signs_alone() -> None:
    assert [s.role for s in record(ADULT, "patient").signatures] == ["patient", "practitioner"]


def test_a_minors_representative_signs() -> None:
    made = record(MINOR, REP)
    assert [s.role for s in made.signatures] == [REP, "practitioner"]
    assert made.screening_result.findings[0].required_signer == REP


def test_a_minor_may_sign_besides_the_representative() -> None:
    # The patient's assent: kept, as long as the representative signed too.
    made = record(MINOR, "patient", REP)
    assert [s.role for s in made.signatures] == ["patient", REP, "practitioner"]


@pytest.mark.parametrize(
    ("locale", "title"), [("en", "Legal representative"), ("es", "Representante legal")]
)
def test_a_minor_signing_alone_is_refused_in_one_line(locale: str, title: str) -> None:
    with pytest.raises(RecordError) as info:
        record(MINOR, "patient", locale=locale)
    message = str(info.value)
    assert "\n" not in message and title in message
    assert not RAW_ID.search(message), message  # the role in words, no id


def test_a_role_the_record_consent_lacks_is_refused_in_one_line() -> None:
    # A consent made with a clinic's questionnaire that asks for a "guardian", in a record
    # screened with the shipped one, which asks for a legal representative the consent lacks.
    definition = load_consent_definition(GUARDIAN, guardian_questionnaire())
    consent = build_consent(PLAN, sample_clinic(), "en", definition=definition).to_dict()
    guardian = dataclasses.replace(signature(REP), role="guardian")
    with pytest.raises(RecordError) as info:
        build_record(
            answers(MINOR),
            [guardian, signature("practitioner", 1)],
            procedure=PLAN,
            consent=consent,
            created_at=SIGNED,
            as_of=TODAY,
        )
    message = str(info.value)
    assert "\n" not in message and "'legal_representative'" in message
    assert "consent does not have" in message


# -- the consent page and its parser (the portal fragment) ------------------------------------


def document(locale: str = "en", dob: str = MINOR) -> ConsentDocument:
    return build_consent(PLAN, sample_clinic(), locale, answers=answers(dob))


def filled(doc: ConsentDocument, page: str, **override: str) -> dict[str, str]:
    patient = NAMES.signer("patient")
    values = {
        **ticked_risks(doc),
        NAMES.esign_consent: "yes",
        patient.printed_name: "Rosa Example",
        patient.method: "drawn",
        patient.png: drawn_png(),
        patient.strokes: json.dumps([[[0.1, 0.5], [0.3, 0.2]]]),
        patient.intent: "yes",
        **override,
    }
    return posted(page, values)


def test_the_blocks_offer_the_representative_alone_when_the_answers_ask_for_one() -> None:
    doc = document()
    (free,) = signer_blocks(doc, ["patient"])
    (held,) = signer_blocks(doc, ["patient"], (REP,))
    assert [r.id for r in free.roles] == ["patient", REP] and free.must_sign is None
    assert [r.id for r in held.roles] == [REP] and held.must_sign == REP and held.required


@pytest.mark.parametrize("locale", ["en", "es"])
def test_the_page_asks_for_the_representative(locale: str) -> None:
    doc = document(locale)
    page = render_consent_page(doc, action="/c", roles=["patient"], required_signers=(REP,))
    title = doc.signer_role(REP).title
    words = ui_text(locale)["signature.required_signer"].replace("{title}", title)
    assert words in text(page)
    assert 'value="patient"' not in page  # no "I am the patient" choice
    relationship = NAMES.signer("patient").extra("relationship")
    assert f'name="{relationship}"' in page
    adult = render_consent_page(document(locale, ADULT), action="/c", roles=["patient"])
    assert words not in text(adult) and 'value="patient"' in adult


def test_the_representative_signs_on_the_page() -> None:
    doc = document()
    page = render_consent_page(doc, action="/c", roles=["patient"], required_signers=(REP,))
    rel = NAMES.signer("patient").extra("relationship")
    data = filled(doc, page, **{rel: "Mother"})
    result = parse_consent_submission(
        doc, data, roles=["patient"], required_signers=(REP,), now=SIGNED
    )
    (rep,) = result.signatures
    assert (rep.role, rep.relationship, rep.meaning) == (
        REP,
        "Mother",
        doc.signer_role(REP).meaning,
    )


def test_an_adult_signs_alone_on_the_page() -> None:
    doc = document(dob=ADULT)
    page = render_consent_page(doc, action="/c", roles=["patient"])
    data = filled(doc, page, **{NAMES.signer("patient").signer: "patient"})
    (patient,) = parse_consent_submission(doc, data, roles=["patient"], now=SIGNED).signatures
    assert patient.role == "patient"


@pytest.mark.parametrize("locale", ["en", "es"])
def test_a_minor_signing_as_the_patient_is_refused_beside_the_block(locale: str) -> None:
    # The page as drawn without the requirement (the patient chose "patient"), posted where the
    # answers ask for the representative: refused, the message at the block, answers kept.
    doc = document(locale)
    page = render_consent_page(doc, action="/c", roles=["patient"])
    f = NAMES.signer("patient")
    data = filled(doc, page, **{f.signer: "patient"})
    with pytest.raises(ConsentFormError) as info:
        parse_consent_submission(doc, data, roles=["patient"], required_signers=(REP,), now=SIGNED)
    title = doc.signer_role(REP).title
    message = ui_text(locale)["errors.required_signer"].replace("{title}", title)
    assert info.value.errors == {f.fieldset: [message]}
    again = render_consent_page(
        doc,
        action="/c",
        roles=["patient"],
        required_signers=(REP,),
        values=data,
        errors=info.value.errors,
    )
    assert message in text(again)
    assert f'id="{f.fieldset}-error"' in again
    assert 'value="Rosa Example"' in again  # the name typed is kept
    assert again.index(f'id="{f.fieldset}"') < again.index(f'id="{f.fieldset}-error"')


# -- verify -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def minor_packet() -> bytes:
    made = make_record(answers={"date_of_birth": MINOR}, representative=True)
    assert required_signers(screening_findings(made.screening)) == (REP,)
    return render_packet(made)


def checks(pdf: bytes) -> dict[str, tuple[bool, str]]:
    return {c.name: (c.passed, c.detail) for c in verify_packet(pdf).checks}


def test_a_minors_packet_with_the_representative_verifies(minor_packet: bytes) -> None:
    result = verify_packet(minor_packet)
    assert result.ok, result.failed()


def as_patient(data: dict[str, Any]) -> None:
    """The forger's edit: the representative's signature (and its event) said to be the
    patient's, so the record looks signed by the minor alone."""
    for s in data["signatures"]:
        if s["role"] == REP:
            s["role"], s["relationship"] = "patient", None
    for e in data["audit"]:
        if e["event"] == "signed" and e["detail"].get("role") == REP:
            e["detail"]["role"] = "patient"


def test_a_record_without_the_representative_fails_signer_events(minor_packet: bytes) -> None:
    passed, detail = checks(reembed(minor_packet, as_patient))["signer_events"]
    assert not passed and "Legal representative" in detail


def test_dropping_the_finding_too_still_fails(minor_packet: bytes) -> None:
    # The answers, screened again with the questionnaire the record cites, ask for it as well.
    def forged(data: dict[str, Any]) -> None:
        as_patient(data)
        data["screening"]["findings"] = [
            f for f in data["screening"]["findings"] if "required_signer" not in f
        ]

    passed, detail = checks(reembed(minor_packet, forged))["signer_events"]
    assert not passed and "Legal representative" in detail


def test_an_adults_packet_passes_signer_events(signed_en: tuple[ConsentRecord, bytes]) -> None:
    assert checks(signed_en[1])["signer_events"][0]


def test_the_finding_alone_fails_it_when_the_questionnaire_is_not_shipped(
    minor_packet: bytes,
) -> None:
    # A clinic's own questionnaire (not shipped, not screened again): the finding names the role.
    def forged(data: dict[str, Any]) -> None:
        as_patient(data)
        data["questionnaire"]["version"] = "9.9.9"

    passed, detail = checks(reembed(minor_packet, forged))["signer_events"]
    assert not passed and "Legal representative" in detail
