"""The WTForms form built from the questionnaire, and its parity with JSON validation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import wtforms
from flask import Flask
from flask_wtf import FlaskForm  # type: ignore[import-untyped]
from flask_wtf.csrf import generate_csrf  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_profiles import examples
from screening_helpers import TODAY, Q, answers, valid_answers
from werkzeug.datastructures import MultiDict

from tpi_forms import AnswersError, TpiFormsError, load_questionnaire, validate_answers
from tpi_forms._resources import definition_folder
from tpi_forms.web.forms import build_form_class, form_data, to_formdata
from tpi_forms.web.screening_form import ScreeningForm

Form = build_form_class()


def post(raw: dict[str, Any], cls: type[ScreeningForm] = Form) -> ScreeningForm:
    form = cls(MultiDict(to_formdata(raw)))
    form.as_of = TODAY
    return form


def test_one_field_per_question_named_by_id_in_order() -> None:
    form = Form()
    assert [field.name for field in form] == list(Q.questions)


FIELD_TYPES = {
    "string": wtforms.StringField,
    "text": wtforms.TextAreaField,
    "integer": wtforms.IntegerField,
    "date": wtforms.DateField,
    "boolean": wtforms.RadioField,
    "choice": wtforms.RadioField,
    "multichoice": wtforms.SelectMultipleField,
}


@pytest.mark.parametrize("question_id", list(Q.questions))
def test_field_type_label_and_help(question_id: str) -> None:
    question = Q.question(question_id)
    form = build_form_class(locale="es")()
    field = form[question_id]
    assert type(field) is FIELD_TYPES[question.type]
    assert field.label.text == question.label.get("es")
    assert field.description == (question.help.get("es") if question.help else "")
    assert form.question(question_id) is question


def test_yes_no_choices_and_widgets() -> None:
    form = build_form_class(locale="es")()
    diabetes = form.diabetes
    assert isinstance(diabetes, wtforms.RadioField)
    assert [(c[0], c[1]) for c in diabetes.iter_choices()] == [  # (value, label, ...)
        ("yes", "Sí"),
        ("no", "No"),
    ]
    assert 'type="checkbox"' in form.pain_sites()
    html = form.pain_score()
    assert 'min="0"' in html and 'max="10"' in html
    assert 'type="date"' in form.date_of_birth()


def test_required_flag_only_on_unconditional_required_questions() -> None:
    form = Form()
    assert form.patient_name.flags.required
    assert not form.blood_thinner_names.flags.required  # asked only after "yes"
    assert not form.current_medicines.flags.required
    assert not form.pain_sites.flags.required  # checkboxes: one box need not be ticked


def test_no_is_an_answer_and_missing_is_not() -> None:
    form = post(answers(diabetes=False))
    assert form.validate(), form.errors
    assert form.answers()["diabetes"] is False
    missing = post(answers(diabetes=None))
    assert not missing.validate()
    assert missing.errors == {"diabetes": ["Please answer this question."]}


def test_sections_in_order_with_their_fields() -> None:
    form = build_form_class(locale="es")()
    sections = form.sections()
    assert [s.id for s in sections] == [s.id for s in Q.sections]
    assert sections[0].title == "Sobre usted"
    assert [f.name for f in sections[0].fields] == [
        "patient_name",
        "date_of_birth",
        "form_filled_by",
        "needs_interpreter",
        "interpreter_language",
    ]
    assert form.section_of("diabetes").id == "other_health"


def test_conditions_for_templates() -> None:
    form = post(answers("review"))
    assert form.enable_when("patient_name") is None
    condition = form.enable_when_json("blood_thinner_names")
    assert condition is not None
    assert json.loads(condition) == {
        "question": "takes_blood_thinner",
        "equals": True,
    }
    assert form.is_enabled("blood_thinner_names")
    assert not form.is_enabled("allergy_details")
    assert not post(answers("clear")).is_enabled("blood_thinner_names")


def test_class_is_cached_and_has_questionnaire_and_locale() -> None:
    assert build_form_class() is Form
    assert Form.questionnaire is Q
    assert Form.locale == "en"
    assert Form.__name__ == "TpiScreeningForm"


def test_unknown_locale_is_refused() -> None:
    with pytest.raises(TpiFormsError):
        build_form_class(locale="fr")


def test_error_messages_in_the_form_locale() -> None:
    form = post(answers(pain_score=11), build_form_class(locale="es"))
    assert not form.validate()
    assert form.errors == {"pain_score": ["Elija un número del 0 al 10."]}


def test_form_built_from_answers_data_validates() -> None:
    raw = answers("review")
    form = Form(data=form_data(raw))
    form.as_of = TODAY
    assert form.validate(), form.errors
    assert form.answers() == validate_answers(raw, today=TODAY)


def test_answers_raise_when_invalid() -> None:
    with pytest.raises(AnswersError):
        post(answers(pain_score=11)).answers()


def test_inline_validators_still_run() -> None:
    class Strict(Form):  # type: ignore[misc, valid-type]
        def validate_patient_name(self, field: Any) -> None:
            if field.data == "Nobody":
                raise wtforms.ValidationError("Not this name.")

    form = post(answers(patient_name="Nobody"), Strict)
    assert not form.validate()
    assert form.errors == {"patient_name": ["Not this name."]}


def test_question_id_clashing_with_form_attribute_is_refused(tmp_path: Path) -> None:
    for name in ("tpi_screening.toml", "tpi_screening.en.toml", "tpi_screening.es.toml"):
        text = (definition_folder() / name).read_text(encoding="utf-8")
        text = text.replace('"current_medicines"', '"answers"').replace(
            "[questions.current_medicines]", "[questions.answers]"
        )
        (tmp_path / name).write_text(text, encoding="utf-8")
    clashing = load_questionnaire(tmp_path / "tpi_screening.toml")
    with pytest.raises(TpiFormsError, match="answers"):
        build_form_class(clashing)


# --- parity with the JSON path ------------------------------------------------------------

PARITY_CASES: list[dict[str, Any]] = [
    answers("clear"),
    answers("review"),
    answers("contraindicated"),
    answers(pain_score=0),
    answers(pain_score=10),
    answers(pain_score=11),
    answers(pain_score=-1),
    answers(pain_score=4.5),
    answers(pain_score="abc"),
    answers(pain_score=None),
    answers(peg_pain=None, peg_activity=None, peg_enjoyment=None),
    answers(peg_pain=12),
    answers(takes_blood_thinner="maybe"),
    answers(takes_blood_thinner=True),
    answers(takes_blood_thinner=True, blood_thinner_names="Warfarin"),
    answers(takes_blood_thinner=True, blood_thinner_names="   "),
    answers(
        takes_blood_thinner=True,
        blood_thinner_names="Warfarin",
        blood_thinner_last_dose="2999-01-01",
    ),
    answers(takes_blood_thinner=False, blood_thinner_names="Warfarin"),
    answers(allergies=["none", "latex"]),
    answers(allergies=["other"]),
    answers(allergies=["other"], allergy_details="Penicillin"),
    answers(allergies=["latex", "latex"]),
    answers(allergies=None),
    answers(pain_sites=["elbow"]),
    answers(pain_sites=["neck", "head"]),
    answers(pain_duration="forever"),
    answers(could_be_pregnant="unsure"),
    answers(could_be_pregnant=""),
    answers(date_of_birth="2999-01-01"),
    answers(date_of_birth="1980-02-30"),
    answers(date_of_birth="12/04/1980"),
    answers(date_of_birth="1980-4-1"),
    answers(date_of_birth="1900-01-01"),
    answers(date_of_birth=TODAY.isoformat()),
    answers(patient_name="   "),
    answers(patient_name="x" * 121),
    answers(patient_name="  Alex  "),
    answers(prior_treatments=["trigger_point_injection"]),
    answers(
        prior_treatments=["trigger_point_injection"],
        prior_tpi_problem=False,
        last_injection_date="2026-11-01",
    ),
    answers(prior_treatments=["none", "massage"]),
    answers(has_driver="perhaps"),
    answers(has_driver=None, current_medicines=None, fibromyalgia=True),
    {},
]


def json_outcome(raw: dict[str, Any]) -> tuple[bool, set[str], dict[str, Any] | None]:
    try:
        valid = validate_answers(raw, today=TODAY)
    except AnswersError as exc:
        return False, set(exc.errors), None
    return True, set(), valid


def form_outcome(raw: dict[str, Any]) -> tuple[bool, set[str | None], dict[str, Any] | None]:
    form = post(raw)
    if form.validate():
        return True, set(), form.answers()
    return False, set(form.errors), None


@pytest.mark.parametrize("raw", PARITY_CASES)
def test_form_and_json_agree(raw: dict[str, Any]) -> None:
    assert form_outcome(raw) == json_outcome(raw)


@given(valid_answers())
@settings(max_examples=examples(100), deadline=None)
def test_form_and_json_agree_on_random_valid_answers(raw: dict[str, Any]) -> None:
    outcome = form_outcome(raw)
    assert outcome == json_outcome(raw)
    assert outcome[0]


# --- Flask-WTF -------------------------------------------------------------------------------


@pytest.fixture()
def app() -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "test-only-secret"
    return app


def test_flask_form_base_checks_csrf(app: Flask) -> None:
    FlaskScreening = build_form_class(base=FlaskForm)
    pairs = to_formdata(answers("clear"))
    with app.test_request_context(method="POST", data=MultiDict(pairs)):
        form = FlaskScreening()
        form.as_of = TODAY
        assert not form.validate_on_submit()
        assert "csrf_token" in form.errors
        assert set(form.errors) == {"csrf_token"}
    with app.test_request_context(method="POST"):
        token = generate_csrf()
        form = FlaskScreening(formdata=MultiDict([*pairs, ("csrf_token", token)]))
        form.as_of = TODAY
        assert form.validate_on_submit(), form.errors
        assert form.answers() == validate_answers(answers("clear"), today=TODAY)
        assert "csrf_token" not in form.answers()


# Values a browser can post faithfully (their form encoding reads back as the same answer).
PERTURBATIONS: list[tuple[str, Any]] = [
    ("pain_score", 11),
    ("pain_score", -3),
    ("pain_score", "ten"),
    ("peg_activity", 99),
    ("takes_blood_thinner", True),
    ("takes_blood_thinner", "maybe"),
    ("prior_treatments", ["trigger_point_injection"]),
    ("prior_treatments", ["none", "nsaids"]),
    ("allergies", ["other"]),
    ("allergies", ["none", "none"]),
    ("pain_sites", ["knee"]),
    ("pain_duration", "ages"),
    ("could_be_pregnant", "perhaps"),
    ("date_of_birth", "2999-12-31"),
    ("date_of_birth", "31/12/1999"),
    ("date_of_birth", "1999-13-01"),
    ("patient_name", "x" * 500),
    ("patient_name", "   "),
    ("diabetes", None),
    ("has_driver", "sometimes"),
]


@given(valid_answers(), st.lists(st.sampled_from(PERTURBATIONS), max_size=3))
@settings(max_examples=examples(150), deadline=None)
def test_form_and_json_agree_on_perturbed_answers(
    raw: dict[str, Any], changes: list[tuple[str, Any]]
) -> None:
    for key, value in changes:
        raw[key] = value
    assert form_outcome(raw) == json_outcome(raw)
