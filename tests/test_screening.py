"""The screening engine: every rule on both sides of its condition, statuses, explanations."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_profiles import examples
from screening_helpers import (
    TODAY,
    Q,
    answers,
    days_ago,
    random_answer_objects,
    valid_answers,
)

from tpi_forms import AnswersError, ScreeningResult, TpiFormsError, screen
from tpi_forms.errors import ProcedureError
from tpi_forms.screening.procedure import PlannedProcedure
from tpi_forms.screening.scenarios import SCENARIOS

STEROID = PlannedProcedure(corticosteroid=True)
TOXIN = PlannedProcedure(botulinum_toxin=True)
CHEST = PlannedProcedure(sites=("chest_wall",))

# (rule id, answer changes, plan, whether the rule fires). Each rule appears on both sides.
CASES: list[tuple[str, dict[str, Any], PlannedProcedure | None, bool]] = [
    ("skin_problem_at_site", {"skin_problem_at_site": True}, None, True),
    ("skin_problem_at_site", {"skin_problem_at_site": False}, None, False),
    ("fever_or_illness_today", {"fever_or_illness_today": True}, None, True),
    ("fever_or_illness_today", {"fever_or_illness_today": False}, None, False),
    ("local_anesthetic_allergy", {"allergies": ["local_anesthetic"]}, None, True),
    ("local_anesthetic_allergy", {"allergies": ["latex", "local_anesthetic"]}, None, True),
    ("local_anesthetic_allergy", {"allergies": ["latex"]}, None, False),
    ("local_anesthetic_allergy", {"allergies": ["none"]}, None, False),
    ("blood_thinner", {"takes_blood_thinner": True, "blood_thinner_names": "Aspirin"}, None, True),
    ("blood_thinner", {"takes_blood_thinner": False}, None, False),
    ("bleeding_disorder", {"bleeding_disorder": True}, None, True),
    ("bleeding_disorder", {"bleeding_disorder": False}, None, False),
    ("possible_pregnancy", {"could_be_pregnant": "yes"}, None, True),
    ("possible_pregnancy", {"could_be_pregnant": "unsure"}, None, True),
    ("possible_pregnancy", {"could_be_pregnant": "no"}, None, False),
    ("possible_pregnancy", {"could_be_pregnant": "not_applicable"}, None, False),
    ("recent_infection", {"infection_last_4_weeks": True}, None, True),
    ("recent_infection", {"infection_last_4_weeks": False}, None, False),
    ("weakened_immune_system", {"weakened_immune_system": True}, None, True),
    ("weakened_immune_system", {"weakened_immune_system": False}, None, False),
    ("faints_with_needles", {"faints_with_needles": True}, None, True),
    ("faints_with_needles", {"faints_with_needles": False}, None, False),
    ("keloid_scars", {"keloid_scars": True}, None, True),
    ("keloid_scars", {"keloid_scars": False}, None, False),
    ("fibromyalgia", {"fibromyalgia": True}, None, True),
    ("fibromyalgia", {"fibromyalgia": False}, None, False),
    ("fibromyalgia", {"fibromyalgia": None}, None, False),
    (
        "prior_tpi_problem",
        {
            "prior_treatments": ["massage", "trigger_point_injection"],
            "prior_tpi_problem": True,
            "prior_tpi_same_site": False,
            "last_injection_date": days_ago(200),
        },
        None,
        True,
    ),
    (
        "prior_tpi_problem",
        {
            "prior_treatments": ["massage", "trigger_point_injection"],
            "prior_tpi_problem": False,
            "prior_tpi_same_site": False,
            "last_injection_date": days_ago(200),
        },
        None,
        False,
    ),
    # A collapsed lung: a thin build or lung disease, with sites over or near the lung (the
    # trapezius is "neck" to patients; "somewhere else" may be the chest). Plan sites default to
    # pain sites.
    ("collapsed_lung_risk", {"lung_disease": True, "pain_sites": ["upper_back"]}, None, True),
    ("collapsed_lung_risk", {"lung_disease": True, "pain_sites": ["shoulder"]}, None, True),
    ("collapsed_lung_risk", {"thin_build": True, "pain_sites": ["neck"]}, None, True),
    ("collapsed_lung_risk", {"thin_build": True, "pain_sites": ["other"]}, None, True),
    ("collapsed_lung_risk", {"thin_build": True, "pain_sites": ["lower_back"]}, None, False),
    ("collapsed_lung_risk", {"lung_disease": True, "pain_sites": ["lower_back"]}, None, False),
    ("collapsed_lung_risk", {"lung_disease": True, "pain_sites": ["lower_back"]}, CHEST, True),
    (
        "collapsed_lung_risk",
        {"lung_disease": False, "thin_build": False, "pain_sites": ["chest_wall"]},
        None,
        False,
    ),
    (
        "collapsed_lung_risk",
        {"thin_build": True, "pain_sites": ["chest_wall"]},
        PlannedProcedure(sites=("leg",)),
        False,
    ),
    ("acute_muscle_injury", {"muscle_injury_at_site": True}, None, True),
    ("acute_muscle_injury", {"muscle_injury_at_site": False}, None, False),
    (
        "skull_defect_head_site",
        {"pain_sites": ["head"], "skull_defect_or_surgery": True},
        None,
        True,
    ),
    (
        "skull_defect_head_site",
        {"pain_sites": ["head"], "skull_defect_or_surgery": False},
        None,
        False,
    ),
    (
        "skull_defect_head_site",
        {"pain_sites": ["head", "neck"], "skull_defect_or_surgery": True},
        PlannedProcedure(sites=("neck",)),
        False,
    ),
    ("implant_near_site", {"implant_near_site": True}, None, True),
    ("implant_near_site", {"implant_near_site": False}, None, False),
    ("anesthetic_toxicity_risk", {"toxicity_conditions": ["heart_rhythm"]}, None, True),
    ("anesthetic_toxicity_risk", {"toxicity_conditions": ["seizures"]}, None, True),
    ("anesthetic_toxicity_risk", {"toxicity_conditions": ["liver_disease"]}, None, True),
    ("anesthetic_toxicity_risk", {"toxicity_conditions": ["none"]}, None, False),
    ("antibiotics_now", {"antibiotics_now": True, "aminoglycoside_now": False}, None, True),
    ("antibiotics_now", {"antibiotics_now": False}, None, False),
    # Under 18 on the day of screening (TODAY = 2026-11-24).
    ("under_18", {"date_of_birth": "2008-11-26"}, None, True),
    ("under_18", {"date_of_birth": "2008-11-23"}, None, False),
    ("under_18", {"date_of_birth": "1980-04-12"}, None, False),
    ("bruises_easily", {"bruises_easily": True}, None, True),
    ("bruises_easily", {"bruises_easily": True, "bleeding_disorder": True}, None, False),
    ("bruises_easily", {"bruises_easily": False}, None, False),
    ("steroid_allergy_not_planned", {"allergies": ["corticosteroid"]}, None, True),
    ("steroid_allergy_not_planned", {"allergies": ["corticosteroid"]}, STEROID, False),
    ("steroid_allergy_not_planned", {"allergies": ["none"]}, None, False),
    (
        "little_relief_last_time",
        {
            "prior_treatments": ["massage", "trigger_point_injection"],
            "prior_tpi_problem": False,
            "last_injection_date": days_ago(200),
            "prior_tpi_same_site": True,
            "prior_tpi_relief": "less_than_half",
            "prior_tpi_relief_duration": "6_weeks_or_more",
        },
        None,
        True,
    ),
    (
        "little_relief_last_time",
        {
            "prior_treatments": ["massage", "trigger_point_injection"],
            "prior_tpi_problem": False,
            "last_injection_date": days_ago(200),
            "prior_tpi_same_site": True,
            "prior_tpi_relief": "half_or_more",
            "prior_tpi_relief_duration": "lt_6_weeks",
        },
        None,
        True,
    ),
    (
        "little_relief_last_time",
        {
            "prior_treatments": ["massage", "trigger_point_injection"],
            "prior_tpi_problem": False,
            "last_injection_date": days_ago(200),
            "prior_tpi_same_site": True,
            "prior_tpi_relief": "half_or_more",
            "prior_tpi_relief_duration": "6_weeks_or_more",
        },
        None,
        False,
    ),
    # Botulinum toxin, an optional plan: its own allergy and screening items.
    ("botulinum_allergy_with_toxin", {"allergies": ["botulinum_toxin"]}, TOXIN, True),
    ("botulinum_allergy_with_toxin", {"allergies": ["botulinum_toxin"]}, None, False),
    ("botulinum_allergy_with_toxin", {"allergies": ["none"]}, TOXIN, False),
    ("botulinum_allergy_not_planned", {"allergies": ["botulinum_toxin"]}, None, True),
    ("botulinum_allergy_not_planned", {"allergies": ["botulinum_toxin"]}, TOXIN, False),
    ("neuromuscular_with_toxin", {"neuromuscular_disease": True}, TOXIN, True),
    ("neuromuscular_with_toxin", {"neuromuscular_disease": True}, None, False),
    ("neuromuscular_with_toxin", {"neuromuscular_disease": False}, TOXIN, False),
    (
        "aminoglycoside_with_toxin",
        {"antibiotics_now": True, "aminoglycoside_now": True},
        TOXIN,
        True,
    ),
    (
        "aminoglycoside_with_toxin",
        {"antibiotics_now": True, "aminoglycoside_now": False},
        TOXIN,
        False,
    ),
    (
        "aminoglycoside_with_toxin",
        {"antibiotics_now": True, "aminoglycoside_now": True},
        None,
        False,
    ),
    ("pregnancy_with_toxin", {"could_be_pregnant": "unsure"}, TOXIN, True),
    ("pregnancy_with_toxin", {"could_be_pregnant": "unsure"}, None, False),
    ("pregnancy_with_toxin", {"could_be_pregnant": "no"}, TOXIN, False),
    ("form_filled_by_someone_else", {"form_filled_by": "family_or_friend"}, None, True),
    ("form_filled_by_someone_else", {"form_filled_by": "parent_or_guardian"}, None, True),
    ("form_filled_by_someone_else", {"form_filled_by": "self"}, None, False),
    (
        "needs_interpreter",
        {"needs_interpreter": True, "interpreter_language": "Tagalog"},
        None,
        True,
    ),
    ("needs_interpreter", {"needs_interpreter": False}, None, False),
    ("diabetes_with_steroid", {"diabetes": True}, STEROID, True),
    ("diabetes_with_steroid", {"diabetes": True}, None, False),
    ("diabetes_with_steroid", {"diabetes": False}, STEROID, False),
    ("steroid_allergy_with_steroid", {"allergies": ["corticosteroid"]}, STEROID, True),
    ("steroid_allergy_with_steroid", {"allergies": ["corticosteroid"]}, None, False),
    ("steroid_allergy_with_steroid", {"allergies": ["none"]}, STEROID, False),
    (
        "recent_injection",
        {
            "prior_treatments": ["trigger_point_injection"],
            "prior_tpi_problem": False,
            "prior_tpi_same_site": False,
            "last_injection_date": days_ago(41),
        },
        None,
        True,
    ),
    (
        "recent_injection",
        {
            "prior_treatments": ["trigger_point_injection"],
            "prior_tpi_problem": False,
            "prior_tpi_same_site": False,
            "last_injection_date": days_ago(0),
        },
        None,
        True,
    ),
    (
        "recent_injection",
        {
            "prior_treatments": ["trigger_point_injection"],
            "prior_tpi_problem": False,
            "prior_tpi_same_site": False,
            "last_injection_date": days_ago(42),
        },
        None,
        False,
    ),
    ("no_conservative_treatment", {"prior_treatments": ["none"]}, None, True),
    (
        "no_conservative_treatment",
        {
            "prior_treatments": ["trigger_point_injection"],
            "prior_tpi_problem": False,
            "prior_tpi_same_site": False,
            "last_injection_date": days_ago(100),
        },
        None,
        True,
    ),
    (
        "no_conservative_treatment",
        {
            "prior_treatments": ["heat_ice", "trigger_point_injection"],
            "prior_tpi_problem": False,
            "prior_tpi_same_site": False,
            "last_injection_date": days_ago(100),
        },
        None,
        False,
    ),
    ("no_conservative_treatment", {"prior_treatments": ["massage"]}, None, False),
    ("short_pain_duration", {"pain_duration": "lt_6_weeks"}, None, True),
    ("short_pain_duration", {"pain_duration": "6_weeks_to_3_months"}, None, False),
    ("skin_prep_or_supply_allergy", {"allergies": ["latex"]}, None, True),
    (
        "skin_prep_or_supply_allergy",
        {"allergies": ["other"], "allergy_details": "Penicillin"},
        None,
        True,
    ),
    ("skin_prep_or_supply_allergy", {"allergies": ["corticosteroid"]}, None, False),
    ("no_driver", {"has_driver": False}, None, True),
    ("no_driver", {"has_driver": True}, None, False),
    ("no_driver", {"has_driver": None}, None, False),
]


def _ids(case: tuple[str, dict[str, Any], PlannedProcedure | None, bool]) -> str:
    return f"{case[0]}-{'fires' if case[3] else 'quiet'}-{sorted(case[1].items())}"


@pytest.mark.parametrize(
    ("rule_id", "changes", "plan", "fires"), CASES, ids=[_ids(c) for c in CASES]
)
def test_rule(
    rule_id: str, changes: dict[str, Any], plan: PlannedProcedure | None, fires: bool
) -> None:
    result = screen(answers(**changes), plan, today=TODAY)
    fired = {f.rule_id: f for f in result.findings}
    assert (rule_id in fired) == fires
    rule = next(r for r in Q.rules if r.id == rule_id)
    if fires:
        finding = fired[rule_id]
        assert finding.severity == rule.severity
        assert finding.source == rule.source
        assert finding.patient_message == rule.patient_message.get("en")
        expected_status = {"info": None, "review": "review", "contraindicated": "contraindicated"}
        if rule.severity != "info":
            assert result.status == expected_status[rule.severity]


def test_every_rule_is_tested_on_both_sides() -> None:
    fires = {rule_id for rule_id, _, _, f in CASES if f}
    quiet = {rule_id for rule_id, _, _, f in CASES if not f}
    all_rules = {r.id for r in Q.rules}
    assert fires == all_rules
    assert quiet == all_rules


def test_every_rule_has_a_source() -> None:
    for rule in Q.rules:
        assert rule.source.strip()
    inference = next(r for r in Q.rules if r.id == "weakened_immune_system")
    assert "inference" in inference.source.lower()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenarios_give_their_status(scenario: str) -> None:
    assert screen(answers(scenario), today=TODAY).status == scenario


def test_info_never_changes_the_status() -> None:
    result = screen(
        answers(prior_treatments=["none"], pain_duration="lt_6_weeks", has_driver=False),
        today=TODAY,
    )
    assert result.status == "clear"
    assert {f.severity for f in result.findings} == {"info"}
    assert len(result.findings_of("info")) == 3


def test_contraindicated_wins_over_review() -> None:
    result = screen(answers("review", skin_problem_at_site=True), today=TODAY)
    assert result.status == "contraindicated"
    assert [f.rule_id for f in result.findings] == ["skin_problem_at_site", "blood_thinner"]


def test_same_answers_different_plans() -> None:
    raw = answers(diabetes=True)
    assert screen(raw, today=TODAY).status == "clear"
    assert screen(raw, STEROID, today=TODAY).status == "review"


def test_finding_names_its_triggers_and_plan_fields() -> None:
    result = screen(answers(diabetes=True), STEROID, today=TODAY)
    (finding,) = result.findings
    assert finding.triggers == (("diabetes", True),)
    assert finding.plan_fields == (("corticosteroid", True),)
    lung = screen(answers(lung_disease=True), today=TODAY).findings[0]
    assert lung.rule_id == "collapsed_lung_risk"
    assert lung.triggers == (("lung_disease", True), ("thin_build", False))
    assert lung.plan_fields == (("sites", ("neck", "upper_back")),)


def test_resolved_procedure_and_scores_in_result() -> None:
    result = screen(answers(), today=TODAY)
    assert result.procedure.sites == ("neck", "upper_back")
    assert result.sites_from_answers
    assert result.scores == {"peg": 4.67}
    planned = screen(
        answers(), PlannedProcedure(sites=("leg",), local_anesthetic="bupivacaine"), today=TODAY
    )
    assert planned.procedure.sites == ("leg",)
    assert not planned.sites_from_answers
    data: dict[str, Any] = planned.to_dict()
    assert data["procedure"]["local_anesthetic"] == "bupivacaine"


def test_json_is_deterministic_and_sorted() -> None:
    first = screen(answers("review"), STEROID, today=TODAY).to_json()
    second = screen(answers("review"), STEROID, today=TODAY).to_json()
    assert first == second
    data = json.loads(first)
    assert list(data) == sorted(data)
    assert data["status"] == "review"
    assert data["as_of"] == TODAY.isoformat()
    assert data["questionnaire"] == {"id": Q.id, "version": Q.version}
    assert data["findings"][0]["triggers"] == {"takes_blood_thinner": True}


def test_spanish_messages() -> None:
    result = screen(answers("contraindicated"), locale="es", today=TODAY)
    assert result.locale == "es"
    assert result.findings[0].patient_message.startswith("Tiene un problema en la piel")


def test_unknown_locale_is_refused() -> None:
    with pytest.raises(TpiFormsError):
        screen(answers(), locale="fr", today=TODAY)


def test_invalid_answers_never_give_a_result() -> None:
    with pytest.raises(AnswersError) as info:
        screen(answers(pain_score=11), today=TODAY)
    assert list(info.value.errors) == ["pain_score"]


@pytest.mark.parametrize(
    "plan",
    [
        PlannedProcedure(sites=("elbow",)),
        PlannedProcedure(sites=()),
        PlannedProcedure(local_anesthetic="procaine"),
    ],
)
def test_unknown_plan_is_refused(plan: PlannedProcedure) -> None:
    with pytest.raises(ProcedureError):
        screen(answers(), plan, today=TODAY)


# --- properties ---------------------------------------------------------------------------

CONTRAINDICATIONS: list[dict[str, Any]] = [
    {"skin_problem_at_site": True},
    {"fever_or_illness_today": True},
    {"allergies": ["local_anesthetic"]},
]

plans = st.builds(
    PlannedProcedure,
    sites=st.none()
    | st.lists(st.sampled_from(Q.question("pain_sites").choice_ids), min_size=1, unique=True).map(
        tuple
    ),
    local_anesthetic=st.sampled_from(Q.plan.local_anesthetics),
    corticosteroid=st.booleans(),
)


@given(random_answer_objects, plans)
@settings(max_examples=examples(300), deadline=None)
def test_random_objects_never_crash_screening(raw: dict[str, Any], plan: PlannedProcedure) -> None:
    try:
        result = screen(raw, plan, today=TODAY)
    except AnswersError:
        return
    assert isinstance(result, ScreeningResult)


@given(valid_answers(), plans, st.sampled_from(CONTRAINDICATIONS))
@settings(max_examples=examples(200), deadline=None)
def test_contraindication_is_never_clear(
    raw: dict[str, Any], plan: PlannedProcedure, bad: dict[str, Any]
) -> None:
    raw.update(bad)
    result = screen(raw, plan, today=TODAY)
    assert result.status == "contraindicated"


@given(valid_answers(), plans)
@settings(max_examples=examples(200), deadline=None)
def test_valid_answers_always_screen(raw: dict[str, Any], plan: PlannedProcedure) -> None:
    result = screen(raw, plan, today=TODAY)
    assert result.status in ("clear", "review", "contraindicated")
    json.loads(result.to_json())


@given(
    valid_answers(),
    st.sampled_from([q for q, d in Q.questions.items() if d.required and d.enable_when is None]),
)
@settings(max_examples=examples(200), deadline=None)
def test_missing_required_answer_is_never_clear(raw: dict[str, Any], missing: str) -> None:
    del raw[missing]
    with pytest.raises(AnswersError) as info:
        screen(raw, today=TODAY)
    assert missing in info.value.errors


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", ["Do you take a blood thinner? Yes"]),
        ("es", ["¿Toma una medicina para la sangre? Sí"]),
    ],
)
def test_finding_reasons_name_each_answer_in_words(locale: str, expected: list[str]) -> None:
    from tpi_forms import finding_reasons

    result = screen(answers("review"), locale=locale, today=TODAY)
    (finding,) = result.findings
    assert finding_reasons(finding, locale=locale) == expected
    assert finding_reasons(finding.to_dict(), locale=locale) == expected


def test_finding_reasons_word_choices_and_dates() -> None:
    from tpi_forms import finding_reasons

    given = answers("clear") | {
        "prior_treatments": ["trigger_point_injection"],
        "prior_tpi_problem": False,
        "last_injection_date": days_ago(10),
        "prior_tpi_same_site": False,
    }
    result = screen(given, today=TODAY)
    reasons = {r for f in result.findings for r in finding_reasons(f)}
    assert any("Trigger point" in r or "trigger point" in r for r in reasons), reasons
    assert any(str(TODAY.year) in r for r in reasons), reasons
