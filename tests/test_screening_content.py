"""The shipped screening content: severities, patient messages, PEG wording and sources."""

from __future__ import annotations

import re

import pytest
from screening_helpers import TODAY, Q, answers

from tpi_forms import screen
from tpi_forms.screening.procedure import PlannedProcedure

REFERENCE = re.compile(r"(doi:10\.\d{4,}/\S+|https://\S+)")


def test_questionnaire_is_version_2() -> None:
    assert Q.version == "2.0.0"


@pytest.mark.parametrize("rule", Q.rules, ids=[r.id for r in Q.rules])
def test_every_source_is_a_reference_or_says_it_is_inference(rule: object) -> None:
    source = rule.source  # type: ignore[attr-defined]
    named = bool(REFERENCE.search(source)) or "Alvarez & Rockwell" in source
    says_so = "inference" in source.lower() or "clinic" in source.lower()
    assert named or says_so, source
    assert not re.search(r"\bACEP\b|Procedures Consult", source), source


@pytest.mark.parametrize("locale", ["en", "es"])
@pytest.mark.parametrize("rule", Q.rules, ids=[r.id for r in Q.rules])
def test_patient_message_matches_the_status(rule: object, locale: str) -> None:
    message = rule.patient_message.get(locale)  # type: ignore[attr-defined]
    severity = rule.severity  # type: ignore[attr-defined]
    today = "today" if locale == "en" else "hoy"
    not_today = "will not give" if locale == "en" else "no le pondremos"
    clinician = "clinician" if locale == "en" else "profesional de salud"
    if severity == "contraindicated":
        assert not_today in message.lower() and today in message.lower(), message
    else:
        assert not_today not in message.lower(), message
    if severity == "review" and rule.id != "under_18":  # type: ignore[attr-defined]
        assert clinician in message.lower(), message
    if locale == "es":
        assert "médico" not in message.lower(), message


@pytest.mark.parametrize(
    ("plan", "status"),
    [(PlannedProcedure(corticosteroid=True), "contraindicated"), (PlannedProcedure(), "clear")],
)
def test_a_steroid_allergy_stops_only_a_plan_with_a_steroid(
    plan: PlannedProcedure, status: str
) -> None:
    result = screen(answers(allergies=["corticosteroid"]), plan, today=TODAY)
    assert result.status == status
    severities = {f.rule_id: f.severity for f in result.findings}
    if plan.corticosteroid:
        assert severities == {"steroid_allergy_with_steroid": "contraindicated"}
    else:
        assert severities == {"steroid_allergy_not_planned": "info"}


def test_coverage_only_rules_never_change_the_status() -> None:
    given = answers(
        prior_treatments=["trigger_point_injection"],
        prior_tpi_problem=False,
        last_injection_date="2026-11-20",
        prior_tpi_same_site=True,
        prior_tpi_relief="less_than_half",
        prior_tpi_relief_duration="lt_6_weeks",
        pain_duration="lt_6_weeks",
    )
    result = screen(given, today=TODAY)
    assert result.status == "clear"
    assert {f.rule_id for f in result.findings} == {
        "recent_injection",
        "little_relief_last_time",
        "no_conservative_treatment",
        "short_pain_duration",
    }
    for rule_id in ("recent_injection", "no_conservative_treatment", "short_pain_duration"):
        rule = next(r for r in Q.rules if r.id == rule_id)
        assert "coverage" in rule.clinician_rationale.get("en").lower()


def test_bleeding_disorder_is_asked_apart_from_bruising() -> None:
    assert Q.question("bleeding_disorder").help is not None
    disorder = Q.question("bleeding_disorder").help.get("en")  # type: ignore[union-attr]
    assert "hemophilia" in disorder and "von Willebrand" in disorder and "platelets" in disorder
    assert "bruise" in Q.question("bruises_easily").label.get("en")
    assert "bruise" not in Q.question("bleeding_disorder").label.get("en")


@pytest.mark.parametrize("locale", ["en", "es"])
def test_blood_thinner_help_names_injected_and_newer_ones(locale: str) -> None:
    help_text = Q.question("takes_blood_thinner").help.get(locale)  # type: ignore[union-attr]
    for name in ("enoxaparin", "heparin", "Lovenox", "Pradaxa"):
        assert name in help_text, name
    for name in ("Brilinta", "cilostazol", "Eliquis", "Xarelto"):
        assert name in help_text, name
    time = Q.question("blood_thinner_last_dose_time")
    assert time.enable_when is not None and not time.required


PEG_EN = {
    "peg_pain": (
        "What number best describes your pain on average in the past week?",
        ("no pain", "pain as bad as you can imagine"),
    ),
    "peg_enjoyment": (
        "What number best describes how, during the past week, pain has interfered with your "
        "enjoyment of life?",
        ("does not interfere", "completely interferes"),
    ),
    "peg_activity": (
        "What number best describes how, during the past week, pain has interfered with your "
        "general activity?",
        ("does not interfere", "completely interferes"),
    ),
}


@pytest.mark.parametrize("question_id", list(PEG_EN))
def test_peg_items_keep_the_validated_wording(question_id: str) -> None:
    label, anchors = PEG_EN[question_id]
    question = Q.question(question_id)
    assert question.label.get("en") == label
    assert question.help is not None
    for anchor in anchors:
        assert anchor in question.help.get("en").lower()
    es = question.label.get("es")
    assert es.startswith("¿Qué número describe mejor") and "última semana" in es
    assert "0" in question.help.get("es") and "10" in question.help.get("es")


def test_skull_question_is_asked_only_for_head_sites() -> None:
    with pytest.raises(Exception, match="skull_defect_or_surgery"):
        screen(answers(pain_sites=["head"]), today=TODAY)
    assert screen(answers(pain_sites=["neck"]), today=TODAY).status == "clear"
