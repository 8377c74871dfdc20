"""Answer validation, scores and the answers JSON Schema."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis_profiles import examples
from screening_helpers import TODAY, Q, answers, random_answer_objects, valid_answers

from tpi_forms import AnswersError, answers_schema, compute_scores, validate_answers
from tpi_forms.screening.answers import enabled_questions
from tpi_forms.screening.scenarios import SCENARIOS


def errors_of(raw: Any, **kwargs: Any) -> dict[str, list[str]]:
    with pytest.raises(AnswersError) as info:
        validate_answers(raw, today=TODAY, **kwargs)
    return info.value.errors


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_example_answers_are_valid_and_unchanged(scenario: str) -> None:
    raw = answers(scenario)
    assert validate_answers(raw, today=TODAY) == raw


def test_strings_are_stripped_and_choices_kept_in_definition_order() -> None:
    valid = validate_answers(
        answers(patient_name="  Alex Example ", pain_sites=["upper_back", "neck"]), today=TODAY
    )
    assert valid["patient_name"] == "Alex Example"
    assert valid["pain_sites"] == ["neck", "upper_back"]


def test_blank_optional_answers_are_left_out() -> None:
    valid = validate_answers(answers(current_medicines="   ", has_driver=None), today=TODAY)
    assert "current_medicines" not in valid
    assert "has_driver" not in valid


def test_answers_to_questions_not_asked_are_dropped() -> None:
    raw = answers(
        blood_thinner_names="Warfarin", allergy_details="Penicillin", prior_tpi_problem=True
    )
    valid = validate_answers(raw, today=TODAY)
    for dropped in ("blood_thinner_names", "allergy_details", "prior_tpi_problem"):
        assert dropped not in valid


def test_follow_up_required_when_enabled() -> None:
    errors = errors_of(
        answers(
            takes_blood_thinner=True,
            allergies=["other"],
            prior_treatments=["trigger_point_injection"],
        )
    )
    assert set(errors) == {
        "blood_thinner_names",
        "allergy_details",
        "prior_tpi_problem",
        "last_injection_date",
        "prior_tpi_same_site",
    }


def test_optional_follow_up_may_be_left_out() -> None:
    valid = validate_answers(
        answers(takes_blood_thinner=True, blood_thinner_names="Warfarin"), today=TODAY
    )
    assert valid["blood_thinner_names"] == "Warfarin"
    assert "blood_thinner_last_dose" not in valid


INVALID = [
    ("pain_score", 11),
    ("pain_score", -1),
    ("pain_score", 4.5),
    ("pain_score", "4"),
    ("pain_score", True),
    ("peg_pain", 12),
    ("takes_blood_thinner", "yes"),
    ("takes_blood_thinner", 1),
    ("patient_name", 42),
    ("patient_name", "x" * 121),
    ("pain_sites", []),
    ("pain_sites", "neck"),
    ("pain_sites", ["neck", "neck"]),
    ("pain_sites", ["elbow"]),
    ("pain_duration", "forever"),
    ("pain_duration", ["lt_6_weeks"]),
    ("could_be_pregnant", True),
    ("allergies", ["none", "latex"]),
    ("prior_treatments", ["none", "massage"]),
    ("date_of_birth", "2999-01-01"),
    ("date_of_birth", "1900-01-01"),
    ("date_of_birth", "12/04/1980"),
    ("date_of_birth", "1980-02-30"),
    ("date_of_birth", "19800412"),
    ("date_of_birth", 1980),
    ("current_medicines", ["aspirin"]),
    ("has_driver", "no"),
]


@pytest.mark.parametrize(("key", "value"), INVALID)
def test_invalid_answer_is_an_error_under_its_question(key: str, value: Any) -> None:
    errors = errors_of(answers(**{key: value}))
    assert list(errors) == [key]
    assert errors[key]


REQUIRED = [qid for qid, q in Q.questions.items() if q.required and q.enable_when is None]


@pytest.mark.parametrize("key", REQUIRED)
def test_missing_required_answer_is_an_error(key: str) -> None:
    missing: dict[str, Any] = {key: None}
    assert errors_of(answers(**missing)) == {key: ["Please answer this question."]}


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_required_answer_is_missing(blank: str) -> None:
    assert list(errors_of(answers(patient_name=blank))) == ["patient_name"]


def test_boundaries_are_accepted() -> None:
    valid = validate_answers(
        answers(pain_score=0, peg_pain=10, date_of_birth=TODAY.isoformat(), patient_name="x" * 120),
        today=TODAY,
    )
    assert valid["pain_score"] == 0
    oldest = TODAY.replace(year=TODAY.year - 120).isoformat()
    assert validate_answers(answers(date_of_birth=oldest), today=TODAY)["date_of_birth"] == oldest


def test_date_objects_are_accepted_as_iso_strings() -> None:
    valid = validate_answers(answers(date_of_birth=dt.date(1980, 4, 12)), today=TODAY)
    assert valid["date_of_birth"] == "1980-04-12"


def test_all_errors_are_collected() -> None:
    errors = errors_of({"pain_score": 99, "surprise": 1, "allergies": ["none", "latex"]})
    assert {"pain_score", "surprise", "allergies", "patient_name"} <= set(errors)
    assert errors["surprise"] == ["This is not a question of this form."]


@pytest.mark.parametrize("raw", [[], "answers", 3, None])
def test_answers_must_be_an_object(raw: Any) -> None:
    assert list(errors_of(raw)) == [""]


def test_messages_never_repeat_the_answer() -> None:
    secret = "Zebulon-Quartz-1234"
    raw = {key: secret for key in Q.questions}
    raw[secret] = secret
    errors = errors_of(raw)
    text = repr(errors).replace(f"'{secret}': [", "")  # the unknown key itself is named
    assert secret not in text


def test_messages_in_spanish() -> None:
    errors = errors_of(answers(pain_score=11, allergies=["none", "latex"]), locale="es")
    assert errors["pain_score"] == ["Elija un número del 0 al 10."]
    assert errors["allergies"] == ['"Ninguna" no se puede marcar con otras respuestas.']


def test_enabled_questions_follow_the_answers() -> None:
    asked = enabled_questions(answers("review"), Q, TODAY)
    assert "blood_thinner_names" in asked
    assert "allergy_details" not in asked
    assert "blood_thinner_names" not in enabled_questions(answers("clear"), Q, TODAY)


@pytest.mark.slow
@given(random_answer_objects)
@settings(max_examples=examples(300), deadline=None)
def test_random_objects_never_crash_validation(raw: dict[str, Any]) -> None:
    try:
        valid = validate_answers(raw, today=TODAY)
    except AnswersError as exc:
        assert exc.errors and all(exc.errors.values())
    else:
        assert set(valid) <= set(Q.questions)


@functools.cache
def schema_validator() -> Any:
    """`answers_schema` checked against its metaschema once, and a validator of it (what
    ``jsonschema.validate`` does on every call)."""
    jsonschema.Draft202012Validator.check_schema(answers_schema())
    return jsonschema.Draft202012Validator(answers_schema())


@pytest.mark.slow
@given(valid_answers())
@settings(max_examples=examples(150), deadline=None)
def test_valid_answers_validate_to_a_fixed_point(raw: dict[str, Any]) -> None:
    valid = validate_answers(raw, today=TODAY)
    assert validate_answers(valid, today=TODAY) == valid
    schema_validator().validate(valid)


# --- scores -----------------------------------------------------------------------------


def test_peg_is_the_mean_of_its_items() -> None:
    assert compute_scores({"peg_pain": 5, "peg_enjoyment": 4, "peg_activity": 5}, Q) == {
        "peg": 4.67
    }
    assert compute_scores({"peg_pain": 0, "peg_enjoyment": 0, "peg_activity": 0}, Q) == {"peg": 0.0}


def test_peg_needs_all_items() -> None:
    assert compute_scores({"peg_pain": 5, "peg_enjoyment": 4}, Q) == {}


# --- JSON Schema ------------------------------------------------------------------------


def test_schema_is_draft_2020_12() -> None:
    schema: dict[str, Any] = answers_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert list(schema["properties"]) == list(Q.questions)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_schema_accepts_example_answers(scenario: str) -> None:
    jsonschema.validate(answers(scenario), answers_schema(), cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize(
    "raw",
    [
        answers(takes_blood_thinner=True),  # follow-up required by if/then
        answers(allergies=["other"]),
        answers(prior_treatments=["trigger_point_injection"]),
        answers(allergies=["none", "latex"]),
        answers(pain_score=11),
        answers(surprise=1),
        answers(patient_name=None),
        answers(date_of_birth="12/04/1980"),
    ],
)
def test_schema_rejects_what_validation_rejects(raw: dict[str, Any]) -> None:
    with pytest.raises(AnswersError):
        validate_answers(raw, today=TODAY)
    validator = jsonschema.Draft202012Validator(answers_schema())
    assert not validator.is_valid(raw)


def test_schema_of_follow_up_answered() -> None:
    raw = answers(takes_blood_thinner=True, blood_thinner_names="Warfarin")
    assert jsonschema.Draft202012Validator(answers_schema()).is_valid(raw)
