"""FHIR R4 export: every resource validates, enableWhen means what our conditions mean."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from conftest_fhir import (
    GATE_IDS,
    check_resource,
    expression_enabled,
    fhir_enabled,
    items_by_link,
    write_condition_questionnaire,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_profiles import examples
from packet_fixtures import make_record

from tpi_forms.definitions.conditions import evaluate
from tpi_forms.definitions.questionnaire import Questionnaire, load_questionnaire
from tpi_forms.errors import FhirExportError, UnknownLocaleError
from tpi_forms.fhir.bundle import (
    ENABLE_WHEN_EXPRESSION,
    EXT_SHA256,
    FhirSettings,
    to_fhir_bundle,
    to_fhir_consent,
    to_fhir_questionnaire,
    to_fhir_questionnaire_response,
)
from tpi_forms.screening.answers import validate_answers
from tpi_forms.screening.scenarios import SCENARIOS, example_answers

FAKE_PDF = b"%PDF-1.7\n% a stand-in for a signed packet\n%%EOF\n"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"

# --- Questionnaire ----------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["en", "es"])
def test_questionnaire_validates(locale: str) -> None:
    resource: dict[str, Any] = to_fhir_questionnaire(locale=locale)
    check_resource(resource)
    q = load_questionnaire()
    assert resource["url"] == "urn:tpi-forms:questionnaire:tpi_screening"
    assert resource["version"] == q.version
    assert resource["language"] == locale
    assert resource["title"] == q.title.get(locale)
    groups = resource["item"]
    assert [g["linkId"] for g in groups] == [f"section.{s.id}" for s in q.sections]
    assert all(g["type"] == "group" for g in groups)
    questions = [
        i for i in items_by_link(resource).values() if i["type"] not in ("group", "display")
    ]
    assert [i["linkId"] for i in questions] == list(q.questions)


@pytest.mark.parametrize("locale", ["en", "es"])
def test_every_text_carries_the_other_language(locale: str) -> None:
    resource: dict[str, Any] = to_fhir_questionnaire(locale=locale)
    other = "es" if locale == "en" else "en"
    texts = 0

    def walk(node: Any) -> None:
        nonlocal texts
        if isinstance(node, dict):
            for key in ("text", "title", "display", "description"):
                if (
                    isinstance(node.get(key), str)
                    and node.get("system", "") != "http://hl7.org/fhir/questionnaire-item-control"
                ):
                    texts += 1
                    (translation,) = node["_" + key]["extension"]
                    assert translation["url"] == TRANSLATION
                    parts = {e["url"]: e for e in translation["extension"]}
                    assert parts["lang"]["valueCode"] == other
                    assert parts["content"]["valueString"].strip()
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(resource)
    assert texts > 60
    q = load_questionnaire()
    item = items_by_link(resource)["pain_score"]
    (translation,) = item["_text"]["extension"]
    content = {e["url"]: e for e in translation["extension"]}["content"]["valueString"]
    assert item["text"] == q.question("pain_score").label.get(locale)
    assert content == q.question("pain_score").label.get(other)


def test_question_types_limits_and_options() -> None:
    items = items_by_link(to_fhir_questionnaire())
    assert items["pain_sites"]["type"] == "choice" and items["pain_sites"]["repeats"] is True
    assert items["pain_duration"]["type"] == "choice" and "repeats" not in items["pain_duration"]
    assert items["takes_blood_thinner"]["type"] == "boolean"
    assert items["date_of_birth"]["type"] == "date"
    assert items["current_medicines"]["type"] == "text"
    assert items["patient_name"]["maxLength"] == 120
    assert items["patient_name"]["required"] is True
    score = {
        e["url"].rsplit("/", 1)[1]: e["valueInteger"] for e in items["pain_score"]["extension"]
    }
    assert score == {"minValue": 0, "maxValue": 10}
    options = items["allergies"]["answerOption"]
    exclusive = [o["valueCoding"]["code"] for o in options if o.get("extension")]
    assert exclusive == ["none"]
    systems = {o["valueCoding"]["system"] for o in options}
    assert systems == {"urn:tpi-forms:questionnaire:tpi_screening:allergies"}


def test_base_url_and_status_are_configurable() -> None:
    settings = FhirSettings(
        base_url="https://forms.example.org/fhir/", questionnaire_status="draft"
    )
    resource: dict[str, Any] = to_fhir_questionnaire(settings=settings)
    check_resource(resource)
    assert resource["url"] == "https://forms.example.org/fhir/Questionnaire/tpi-screening"
    assert resource["status"] == "draft"
    coding = items_by_link(resource)["pain_sites"]["answerOption"][0]["valueCoding"]
    assert (
        coding["system"] == "https://forms.example.org/fhir/Questionnaire/tpi-screening/pain_sites"
    )


@pytest.mark.parametrize(
    "settings",
    [{"base_url": "forms.example.org"}, {"questionnaire_status": "published"}],
)
def test_bad_settings_are_refused(settings: dict[str, str]) -> None:
    with pytest.raises(FhirExportError):
        FhirSettings(**settings)


def test_unknown_locale_is_refused() -> None:
    with pytest.raises(UnknownLocaleError):
        to_fhir_questionnaire(locale="fr")


# --- enableWhen, one case per operator ----------------------------------------------------

# case: (condition, enableBehavior, [(question, operator, value)]) ; None: SDC expression
CASES: dict[str, tuple[str, str | None, list[tuple[str, str, Any]] | None]] = {
    "answered": ('{ question = "g_text", answered = true }', None, [("g_text", "exists", True)]),
    "unanswered": (
        '{ question = "g_bool", answered = false }',
        None,
        [("g_bool", "exists", False)],
    ),
    "bool_equals": ('{ question = "g_bool", equals = true }', None, [("g_bool", "=", True)]),
    "bool_not_equals": (
        '{ question = "g_bool", not_equals = false }',
        "all",
        [("g_bool", "exists", True), ("g_bool", "!=", False)],
    ),
    "int_equals": ('{ question = "g_int", equals = 3 }', None, [("g_int", "=", 3)]),
    "int_in": (
        '{ question = "g_int", in = [1, 2] }',
        "any",
        [("g_int", "=", 1), ("g_int", "=", 2)],
    ),
    "at_least": ('{ question = "g_int", at_least = 5 }', None, [("g_int", ">=", 5)]),
    "at_most": ('{ question = "g_int", at_most = 5 }', None, [("g_int", "<=", 5)]),
    "less_than": ('{ question = "g_int", less_than = 5 }', None, [("g_int", "<", 5)]),
    "greater_than": ('{ question = "g_int", greater_than = 5 }', None, [("g_int", ">", 5)]),
    "str_equals": ('{ question = "g_str", equals = "x" }', None, [("g_str", "=", "x")]),
    "str_not_equals": (
        '{ question = "g_str", not_equals = "x" }',
        "all",
        [("g_str", "exists", True), ("g_str", "!=", "x")],
    ),
    "choice_equals": ('{ question = "g_choice", equals = "a" }', None, [("g_choice", "=", "a")]),
    "choice_in": (
        '{ question = "g_choice", in = ["a", "b"] }',
        "any",
        [("g_choice", "=", "a"), ("g_choice", "=", "b")],
    ),
    "includes": ('{ question = "g_multi", includes = "a" }', None, [("g_multi", "=", "a")]),
    "includes_any": (
        '{ question = "g_multi", includes_any = ["a", "c"] }',
        "any",
        [("g_multi", "=", "a"), ("g_multi", "=", "c")],
    ),
    "excludes": (
        '{ question = "g_multi", excludes = "b" }',
        "all",
        [("g_multi", "exists", True), ("g_multi", "!=", "b")],
    ),
    "not_equals_by_not": (
        '{ not = { question = "g_choice", equals = "a" } }',
        None,
        [("g_choice", "!=", "a")],
    ),
    "not_at_least": (
        '{ not = { question = "g_int", at_least = 5 } }',
        "any",
        [("g_int", "exists", False), ("g_int", "<", 5)],
    ),
    "not_excludes": (
        '{ not = { question = "g_multi", excludes = "b" } }',
        "any",
        [("g_multi", "exists", False), ("g_multi", "=", "b")],
    ),
    "all": (
        '{ all = [{ question = "g_bool", equals = true }, { question = "g_int", at_least = 5 }] }',
        "all",
        [("g_bool", "=", True), ("g_int", ">=", 5)],
    ),
    "any": (
        '{ any = [{ question = "g_bool", equals = true }, { question = "g_choice", in = ["a", "b"] }] }',
        "any",
        [("g_bool", "=", True), ("g_choice", "=", "a"), ("g_choice", "=", "b")],
    ),
    "not_all": (
        '{ not = { all = [{ question = "g_choice", equals = "a" }, { question = "g_multi", includes = "b" }] } }',
        "any",
        [("g_choice", "!=", "a"), ("g_multi", "!=", "b")],
    ),
    "all_with_not_equals": (
        '{ all = [{ question = "g_bool", equals = true }, { question = "g_str", not_equals = "x" }] }',
        "all",
        [("g_bool", "=", True), ("g_str", "exists", True), ("g_str", "!=", "x")],
    ),
    "subset_of": ('{ question = "g_multi", subset_of = ["a", "b"] }', None, None),
    "within_days": ('{ question = "g_date", within_days = 42 }', None, None),
    "all_of_any": (
        '{ all = [{ question = "g_bool", equals = true },'
        ' { any = [{ question = "g_choice", equals = "a" }, { question = "g_int", at_least = 5 }] }] }',
        None,
        None,
    ),
    "any_with_not_equals": (
        '{ any = [{ question = "g_bool", equals = true }, { question = "g_str", not_equals = "x" }] }',
        None,
        None,
    ),
    "not_any_mixed": (
        '{ not = { any = [{ question = "g_text", answered = true }, { question = "g_int", at_least = 5 }] } }',
        None,
        None,
    ),
}


@pytest.fixture(scope="module")
def conditions(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Questionnaire, dict[str, dict[str, Any]]]:
    """A questionnaire with one dependent question per case, and its exported items by linkId."""
    folder = tmp_path_factory.mktemp("conditions")
    q = load_questionnaire(
        write_condition_questionnaire(folder, {k: v[0] for k, v in CASES.items()})
    )
    resource: dict[str, Any] = to_fhir_questionnaire(q)
    check_resource(resource)
    check_resource(to_fhir_questionnaire(q, "es"))
    return q, items_by_link(resource)


@pytest.mark.parametrize("case", sorted(CASES))
def test_enable_when_mapping(
    case: str, conditions: tuple[Questionnaire, dict[str, dict[str, Any]]]
) -> None:
    _, behavior, expected = CASES[case]
    item = conditions[1][f"d_{case}"]
    if expected is None:
        assert "enableWhen" not in item
        (ext,) = [e for e in item["extension"] if e["url"] == ENABLE_WHEN_EXPRESSION]
        assert ext["valueExpression"]["language"] == "text/fhirpath"
        assert "%resource" in ext["valueExpression"]["expression"]
        return
    assert not any(e["url"] == ENABLE_WHEN_EXPRESSION for e in item.get("extension", []))
    assert item.get("enableBehavior") == behavior
    got = []
    for entry in item["enableWhen"]:
        (key,) = [k for k in entry if k.startswith("answer")]
        value = entry[key]["code"] if key == "answerCoding" else entry[key]
        if key == "answerCoding":
            assert entry[key]["system"].endswith(f":{entry['question']}")
        got.append((entry["question"], entry["operator"], value))
    assert got == expected


_today = dt.date.today()
_answer_values = {
    "g_bool": st.booleans(),
    "g_int": st.integers(0, 10),
    "g_str": st.sampled_from(["x", "y"]),
    "g_text": st.just("some text"),
    "g_date": st.sampled_from([-1, 0, 1, 41, 42, 43, 400]).map(
        lambda d: (_today - dt.timedelta(days=d)).isoformat()
    ),
    "g_choice": st.sampled_from(["a", "b", "c"]),
    "g_multi": st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3, unique=True),
}


@pytest.mark.slow
@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=st.fixed_dictionaries({}, optional=_answer_values))
def test_enable_when_means_the_same_as_our_conditions(
    conditions: tuple[Questionnaire, dict[str, dict[str, Any]]], answers: dict[str, Any]
) -> None:
    """For any answers, FHIR's reading of each exported item agrees with `evaluate`."""
    q, items = conditions
    assert set(answers) <= set(GATE_IDS)
    response: dict[str, Any] = to_fhir_questionnaire_response(answers, q)
    for case in CASES:
        question = q.question(f"d_{case}")
        assert question.enable_when is not None
        ours = evaluate(question.enable_when, answers, {}, dt.date.today())
        item = items[f"d_{case}"]
        theirs = (
            fhir_enabled(item, response)
            if "enableWhen" in item
            else expression_enabled(item, response)
        )
        assert theirs == ours, (case, answers)


# --- QuestionnaireResponse ----------------------------------------------------------------

_VALUE_KEY = {
    "string": "valueString",
    "text": "valueString",
    "integer": "valueInteger",
    "boolean": "valueBoolean",
    "date": "valueDate",
    "choice": "valueCoding",
}


def check_response_fits(questionnaire: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """Check a response against its Questionnaire; return the answers read back from it."""
    assert response["questionnaire"] == f"{questionnaire['url']}|{questionnaire['version']}"
    groups = {g["linkId"]: g for g in questionnaire["item"]}
    read: dict[str, Any] = {}
    for group in response["item"]:
        q_group = groups[group["linkId"]]
        children = {i["linkId"]: i for i in q_group["item"]}
        for item in group["item"]:
            q_item = children[item["linkId"]]
            assert item["answer"], item["linkId"]
            assert len(item["answer"]) == 1 or q_item.get("repeats") is True
            values = []
            for answer in item["answer"]:
                ((key, value),) = answer.items()
                assert key == _VALUE_KEY[q_item["type"]]
                if key == "valueCoding":
                    codes = {
                        o["valueCoding"]["code"]: o["valueCoding"] for o in q_item["answerOption"]
                    }
                    assert value["system"] == codes[value["code"]]["system"]
                    value = value["code"]
                values.append(value)
            read[item["linkId"]] = values if q_item.get("repeats") else values[0]
    everything = {**{i["linkId"]: i for g in questionnaire["item"] for i in g["item"]}}
    for link_id, q_item in everything.items():
        if q_item.get("required") and q_item["type"] != "display":
            enabled = (
                fhir_enabled(q_item, response)
                if "enableWhen" in q_item
                else expression_enabled(q_item, response)
                if q_item.get("extension")
                and any(e["url"] == ENABLE_WHEN_EXPRESSION for e in q_item["extension"])
                else True
            )
            if enabled:
                assert link_id in read, f"required {link_id} unanswered"
    return read


@pytest.mark.parametrize("locale", ["en", "es"])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_response_for_each_scenario(scenario: str, locale: str) -> None:
    answers = validate_answers(example_answers(scenario))
    authored = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    response: dict[str, Any] = to_fhir_questionnaire_response(
        answers, locale=locale, subject="Patient/example", authored=authored
    )
    check_resource(response)
    assert response["status"] == "completed"
    assert response["subject"] == {"reference": "Patient/example"}
    assert response["authored"] == "2026-03-02T09:00:00+00:00"
    assert check_response_fits(to_fhir_questionnaire(locale=locale), response) == answers
    q = load_questionnaire()
    assert response["item"][0]["text"] == q.sections[0].title.get(locale)


def test_response_drops_answers_of_questions_not_enabled() -> None:
    answers = validate_answers(example_answers("clear"))
    assert answers["takes_blood_thinner"] is False
    leaked = {**answers, "blood_thinner_names": "warfarin"}
    response: dict[str, Any] = to_fhir_questionnaire_response(leaked)
    assert "blood_thinner_names" not in items_by_link(response)


def test_response_refuses_wrong_answers_without_repeating_them() -> None:
    answers = validate_answers(example_answers("clear"))
    with pytest.raises(FhirExportError, match="unknown question 'favourite_colour'"):
        to_fhir_questionnaire_response({**answers, "favourite_colour": "Secret Value"})
    with pytest.raises(FhirExportError) as caught:
        to_fhir_questionnaire_response({**answers, "pain_score": "Secret Value"})
    assert "pain_score" in str(caught.value) and "Secret Value" not in str(caught.value)
    with pytest.raises(FhirExportError):
        to_fhir_questionnaire_response({**answers, "pain_sites": ["nowhere"]})
    with pytest.raises(FhirExportError):
        to_fhir_questionnaire_response(answers, authored=dt.datetime(2026, 3, 2, 9, 0))


# --- Consent, Provenance, Bundle ----------------------------------------------------------


@pytest.mark.parametrize("locale", ["en", "es"])
def test_consent_and_provenance(locale: str) -> None:
    record = make_record(locale)
    exported = to_fhir_consent(record, packet_pdf=FAKE_PDF, patient="Patient/example")
    consent, provenance = exported.consent, exported.provenance
    check_resource(consent)
    check_resource(provenance)
    assert consent["status"] == "active"
    assert consent["scope"]["coding"][0]["code"] == "treatment"
    assert consent["category"][0]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "59284-0",
        "display": "Patient Consent",
    }
    assert consent["patient"] == {"reference": "Patient/example"}
    assert consent["performer"] == [{"reference": "Patient/example"}]
    assert consent["dateTime"] == record.signatures[0].signed_at.isoformat()
    assert consent["organization"][0]["display"] == "Sample Pain Clinic (fictitious)"
    attachment = consent["sourceAttachment"]
    assert attachment["contentType"] == "application/pdf"
    assert base64.b64decode(attachment["data"]) == FAKE_PDF
    assert base64.b64decode(attachment["hash"]) == hashlib.sha1(FAKE_PDF).digest()
    assert attachment["size"] == len(FAKE_PDF)
    (sha256,) = [e["valueString"] for e in attachment["extension"] if e["url"] == EXT_SHA256]
    assert sha256 == hashlib.sha256(FAKE_PDF).hexdigest()
    assert (
        consent["policy"][0]["uri"] == f"urn:tpi-forms:consent:tpi_consent:{record.consent_version}"
    )
    provision = consent["provision"]
    assert provision["type"] == "permit"
    assert provision["code"][0]["coding"][0]["code"] == "trigger_point_injection"
    assert record.consent["sites_text"] in provision["code"][0]["text"]
    assert (
        provision["actor"][0]["reference"]["display"]
        == record.consent_document.performer.display_name
    )
    assert any(e["valueString"] == record.consent_hash for e in consent["extension"])

    assert provenance["target"] == [{"reference": consent_ref(record)}]
    signatures = provenance["signature"]
    assert [s["type"][0]["code"] for s in signatures] == [
        "1.2.840.10065.1.12.1.7",
        "1.2.840.10065.1.12.1.1",
        "1.2.840.10065.1.12.1.12",
    ]
    assert all(s["type"][0]["system"] == "urn:iso-astm:E1762-95:2013" for s in signatures)
    patient_signature = signatures[0]
    assert patient_signature["sigFormat"] == "image/png"
    assert base64.b64decode(patient_signature["data"]) == record.signatures[0].image_png
    assert patient_signature["who"]["reference"] == "Patient/example"
    assert "data" not in signatures[1]  # typed signature: the name is the signature
    assert signatures[1]["who"]["display"] == "Alex Sample, MD"
    assert [s["when"] for s in signatures] == [s.signed_at.isoformat() for s in record.signatures]
    meanings = [s["extension"][0]["valueString"] for s in signatures]
    assert meanings == [s.meaning for s in record.signatures]


def consent_ref(record: Any) -> str:
    bundle: dict[str, Any] = to_fhir_bundle(record)
    (entry,) = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Consent"]
    return str(entry["fullUrl"])


def test_representative_signs_on_behalf_of_the_patient() -> None:
    record = make_record("es", representative=True)
    exported = to_fhir_consent(record, packet_url="https://archive.example.org/p/1.pdf")
    check_resource(exported.consent)
    check_resource(exported.provenance)
    performer = exported.consent["performer"][0]
    assert performer["type"] == "RelatedPerson" and "(Mother)" in performer["display"]
    attachment = exported.consent["sourceAttachment"]
    assert attachment == {
        "contentType": "application/pdf",
        "language": "es",
        "url": "https://archive.example.org/p/1.pdf",
        "title": "Signed consent packet",
        "creation": record.created_at.isoformat(),
    }  # no PDF bytes given: a link without hashes
    first = exported.provenance["signature"][0]
    assert first["onBehalfOf"] == {"reference": exported.consent["patient"]["reference"]}
    assert exported.provenance["agent"][0]["onBehalfOf"] == first["onBehalfOf"]


def test_packet_url_replaces_embedded_data() -> None:
    record = make_record("en")
    url = "https://archive.example.org/p/1.pdf"
    attachment = to_fhir_consent(record, packet_pdf=FAKE_PDF, packet_url=url).consent[
        "sourceAttachment"
    ]
    assert attachment["url"] == url and "data" not in attachment
    assert base64.b64decode(attachment["hash"]) == hashlib.sha1(FAKE_PDF).digest()


@pytest.mark.parametrize("locale", ["en", "es"])
def test_bundle(locale: str) -> None:
    record = make_record(locale, scenario="clear")
    bundle: dict[str, Any] = to_fhir_bundle(record, packet_pdf=FAKE_PDF)
    check_resource(bundle)
    assert bundle["type"] == "transaction"
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds == ["Questionnaire", "Patient", "QuestionnaireResponse", "Consent", "Provenance"]
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert all(u.startswith("urn:uuid:") for u in urls) and len(set(urls)) == len(urls)
    for entry in bundle["entry"]:
        assert entry["request"]["method"] == "POST"
        assert entry["request"]["url"] == entry["resource"]["resourceType"]
    assert "ifNoneExist" in bundle["entry"][0]["request"]
    assert "version=" in bundle["entry"][0]["request"]["ifNoneExist"]
    # every reference inside the bundle points at an entry of the bundle
    references = _references(bundle)
    assert references and {r for r in references if r.startswith("urn:uuid:")} <= set(urls)
    patient = bundle["entry"][1]["resource"]
    assert patient["name"] == [{"text": record.answers["patient_name"]}]
    assert patient["birthDate"] == record.answers["date_of_birth"]
    questionnaire, response = bundle["entry"][0]["resource"], bundle["entry"][2]["resource"]
    assert questionnaire["language"] == locale and response["language"] == locale
    assert check_response_fits(questionnaire, response) == record.to_dict()["answers"]
    # stable: the same record gives the same bundle
    assert json.dumps(to_fhir_bundle(record, packet_pdf=FAKE_PDF), sort_keys=True) == json.dumps(
        bundle, sort_keys=True
    )


def _references(node: Any) -> list[str]:
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            found.append(node["reference"])
        for value in node.values():
            found.extend(_references(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_references(value))
    return found


def test_bundle_with_existing_patient() -> None:
    record = make_record("en")
    bundle: dict[str, Any] = to_fhir_bundle(record, patient="Patient/123")
    check_resource(bundle)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert "Patient" not in kinds
    consent = bundle["entry"][2]["resource"]
    assert consent["patient"] == {"reference": "Patient/123"}


def test_bundle_needs_the_records_questionnaire(tmp_path: Path) -> None:
    other = load_questionnaire(
        write_condition_questionnaire(tmp_path, {"x": '{ question = "g_bool", equals = true }'})
    )
    with pytest.raises(FhirExportError, match="pass that definition"):
        to_fhir_bundle(make_record("en"), questionnaire=other)
