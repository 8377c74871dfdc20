"""Adding a question type is one table entry plus its template: no other code changes.

The entry here is an ``email`` type, built from the shipped ``string`` entry: it lowers the
domain of an address, has its own JSON Schema, WTForms field, widget and autocomplete token, and
prints and exports as text. Its screen template goes in a clinic template folder. A questionnaire
with one ``email`` question then passes through every stage.

(It refuses only with messages the UI text already has; a type with a message of its own also
adds that message to ``ui.<locale>.toml``.)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import jinja2
import jsonschema  # type: ignore[import-untyped]
import pytest
import wtforms
from conftest_fhir import check_resource, items_by_link
from werkzeug.datastructures import MultiDict
from wtforms.fields.core import Field

from tpi_forms import (
    AnswersError,
    DefinitionError,
    Signature,
    answers_schema,
    build_record,
    example_answers,
    sample_clinic,
    screen,
    validate_answers,
)
from tpi_forms._resources import definition_folder
from tpi_forms.definitions.question_types import QUESTION_TYPES, extended_types
from tpi_forms.definitions.questionnaire import Question, Questionnaire, load_questionnaire
from tpi_forms.fhir.bundle import to_fhir_questionnaire, to_fhir_questionnaire_response
from tpi_forms.pdf.packet import PacketRenderer
from tpi_forms.screening.procedure import PlannedProcedure
from tpi_forms.web.forms import build_form_class, to_formdata
from tpi_forms.web.html import render_form_html

TODAY = dt.date(2026, 11, 24)
STRING = QUESTION_TYPES["string"]


def normalise_email(question: Question, value: Any, today: dt.date, locale: str) -> Any:
    """As a string answer, with the domain in lower case."""
    text = STRING.normalise(question, value, today, locale)
    if not isinstance(text, str) or "@" not in text:
        return text
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def email_field(question: Question, locale: str, common: Any) -> Field:
    return wtforms.EmailField(render_kw={"maxlength": question.max_length}, **common)


EMAIL = dataclasses.replace(
    STRING,
    id="email",
    normalise=normalise_email,
    schema=lambda question: {
        "type": "string",
        "format": "email",
        "minLength": 1,
        "maxLength": question.max_length,
    },
    field=email_field,
    widget="email",
    autocomplete="email",
    default_max_length=254,
)
TYPES = extended_types(EMAIL)

EMAIL_TEMPLATE = """\
{# An e-mail address box (email questions). #}
{% from "partials/widgets/_controls.html" import input %}
{{ input(q, "email") }}
"""

QUESTIONS = """
[[sections.questions]]
id = "contact_email"
type = "email"
required = false
personal = true

[[sections.questions]]
id = "email_reminders"
type = "boolean"
required = false
enable_when = { question = "contact_email", answered = true }
"""
TEXTS = {
    "en": '[questions.contact_email]\nlabel = "Your email"\n'
    '[questions.email_reminders]\nlabel = "Send reminders by email?"\n',
    "es": '[questions.contact_email]\nlabel = "Su correo"\n'
    '[questions.email_reminders]\nlabel = "¿Enviar recordatorios por correo?"\n',
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped questionnaire with the two questions above after the date of birth."""
    out = tmp_path_factory.mktemp("email_type")
    structure = (definition_folder() / "tpi_screening.toml").read_text(encoding="utf-8")
    anchor = "max_age_years = 120\npersonal = true\n"
    assert anchor in structure
    (out / "tpi_screening.toml").write_text(
        structure.replace(anchor, anchor + QUESTIONS, 1), encoding="utf-8"
    )
    for locale, text in TEXTS.items():
        shipped = (definition_folder() / f"tpi_screening.{locale}.toml").read_text("utf-8")
        (out / f"tpi_screening.{locale}.toml").write_text(shipped + "\n" + text, "utf-8")
    widgets = out / "templates" / "partials" / "widgets"
    widgets.mkdir(parents=True)
    (widgets / "email.html").write_text(EMAIL_TEMPLATE, encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def q(folder: Path) -> Questionnaire:
    return load_questionnaire(folder / "tpi_screening.toml", question_types=TYPES)


def with_email(address: Any, **changes: Any) -> dict[str, Any]:
    return {**example_answers("review"), "contact_email": address, **changes}


def test_the_table_decides_which_types_a_definition_may_name(folder: Path) -> None:
    with pytest.raises(DefinitionError, match="unknown type 'email'"):
        load_questionnaire(folder / "tpi_screening.toml")
    assert "email" not in QUESTION_TYPES


def test_the_question_carries_its_entry(q: Questionnaire) -> None:
    question = q.question("contact_email")
    assert question.kind is EMAIL and question.type == "email"
    assert question.max_length == 254 and question.scale is None


def test_answers_are_normalised_and_refused_by_the_entry(q: Questionnaire) -> None:
    valid = validate_answers(with_email("  Ana@Example.ORG "), q, today=TODAY)
    assert valid["contact_email"] == "Ana@example.org"
    for bad, message in (
        (42, "This answer must be text."),
        ("a@" + "b" * 253, "This answer is too long (at most 254 characters)."),
    ):
        with pytest.raises(AnswersError) as refused:
            validate_answers(with_email(bad), q, today=TODAY, locale="en")
        assert refused.value.errors == {"contact_email": [message]}
    with pytest.raises(AnswersError) as refused_es:
        validate_answers(with_email(42), q, today=TODAY, locale="es")
    assert refused_es.value.errors["contact_email"] == ["Esta respuesta debe ser texto."]


def test_conditions_on_it_use_its_operators(q: Questionnaire) -> None:
    asked = validate_answers(with_email("ana@example.org", email_reminders=True), q, today=TODAY)
    assert asked["email_reminders"] is True
    not_asked = validate_answers(
        {**example_answers("review"), "email_reminders": True}, q, today=TODAY
    )
    assert "email_reminders" not in not_asked


def test_json_schema(q: Questionnaire) -> None:
    schema: dict[str, Any] = answers_schema(q)
    assert schema["properties"]["contact_email"] == {
        "title": "Your email",
        "type": "string",
        "format": "email",
        "minLength": 1,
        "maxLength": 254,
    }
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    valid = validate_answers(with_email("ana@example.org"), q, today=TODAY)
    assert validator.is_valid(valid)
    assert not validator.is_valid({**valid, "contact_email": "not an address"})


def test_form_field_and_post(q: Questionnaire) -> None:
    form_class = build_form_class(q)
    assert type(form_class().contact_email) is wtforms.EmailField
    form = form_class(MultiDict(to_formdata(with_email("Ana@Example.ORG"), q)))
    form.as_of = TODAY
    assert form.validate(), form.errors
    assert form.answers() == validate_answers(with_email("Ana@Example.ORG"), q, today=TODAY)
    too_long = form_class(MultiDict(to_formdata(with_email("a@" + "b" * 253), q)))
    too_long.as_of = TODAY
    assert not too_long.validate()
    assert too_long.errors == {
        "contact_email": ["This answer is too long (at most 254 characters)."]
    }


def test_html_draws_it_with_its_template(q: Questionnaire, folder: Path) -> None:
    form = build_form_class(q)(MultiDict(to_formdata(with_email("ana@example.org"), q)))
    html = render_form_html(form, action="/screening", template_dirs=[folder / "templates"])
    assert (
        '<input class="tpi-input" type="email" id="contact_email" name="contact_email"'
        ' value="ana@example.org" maxlength="254" autocomplete="email">'
    ) in html
    assert 'data-tpi-type="email"' in html
    with pytest.raises(jinja2.TemplateNotFound, match="partials/widgets/email.html"):
        render_form_html(form, action="/screening")


def test_screening_and_the_packet_print_it(q: Questionnaire) -> None:
    answers = with_email("ana@example.org")
    assert screen(answers, questionnaire=q, today=TODAY).status == "review"
    signed = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
    signature = Signature(
        role="patient",
        printed_name="Alex Example",
        signed_at=signed,
        meaning="I agree to the shot.",
        method="typed",
    )
    record = build_record(
        answers,
        [signature],
        procedure=PlannedProcedure(sites=("neck",)),
        questionnaire=q,
        created_at=signed,
    )
    renderer = PacketRenderer()
    renderer.questionnaire = q
    html = renderer.html(record, "0" * 64)
    assert "Your email" in html and "ana@example.org" in html
    blank = renderer.blank_html(PlannedProcedure(), sample_clinic(), "es", record.consent)
    label = blank.index("Su correo")
    assert blank[label:].split("</div>", 2)[1].strip() == '<div class="line">'


def test_fhir_export(q: Questionnaire) -> None:
    questionnaire = to_fhir_questionnaire(q, "es")
    check_resource(questionnaire)
    items = items_by_link(questionnaire)
    assert items["contact_email"]["type"] == "string"
    assert items["contact_email"]["maxLength"] == 254
    assert items["email_reminders"]["enableWhen"] == [
        {"question": "contact_email", "operator": "exists", "answerBoolean": True}
    ]
    answers = validate_answers(with_email("ana@example.org", email_reminders=False), q, today=TODAY)
    response = to_fhir_questionnaire_response(
        answers, q, authored=dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
    )
    check_resource(response)
    assert items_by_link(response)["contact_email"]["answer"] == [
        {"valueString": "ana@example.org"}
    ]
