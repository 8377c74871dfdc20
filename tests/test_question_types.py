"""Every shipped question type, declared once, handled the same way by every stage.

One valid and one invalid sample per type go through `validate_answers`, the JSON Schema, the
WTForms form (posted as a browser would), the words packets print, and the FHIR response.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from conftest_fhir import check_resource, items_by_link
from werkzeug.datastructures import MultiDict

from tpi_forms import AnswersError, DefinitionError, answers_schema, validate_answers
from tpi_forms._resources import default_environment
from tpi_forms.definitions.conditions import OPERATORS, Operand
from tpi_forms.definitions.question_core import DEFINITION_KEYS, QuestionType
from tpi_forms.definitions.question_types import QUESTION_TYPES, extended_types
from tpi_forms.definitions.questionnaire import Questionnaire, load_questionnaire
from tpi_forms.fhir.bundle import to_fhir_questionnaire, to_fhir_questionnaire_response
from tpi_forms.pdf.printed import blank_question, readable_answers
from tpi_forms.schemas import definition_schema
from tpi_forms.web.forms import build_form_class, form_data, to_formdata
from tpi_forms.web.html import render_form_html

TODAY = dt.date(2026, 11, 24)
AUTHORED = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)

# One optional question per shipped type, so each sample is validated on its own.
QUESTIONS = """
[[sections.questions]]
id = "q_string"
type = "string"
max_length = 10
required = false

[[sections.questions]]
id = "q_text"
type = "text"
max_length = 20
required = false

[[sections.questions]]
id = "q_integer"
type = "integer"
min = 0
max = 10
required = false

[[sections.questions]]
id = "q_boolean"
type = "boolean"
required = false

[[sections.questions]]
id = "q_date"
type = "date"
not_future = true
max_age_years = 120
required = false

[[sections.questions]]
id = "q_choice"
type = "choice"
choices = ["a", "b", "c"]
required = false

[[sections.questions]]
id = "q_multichoice"
type = "multichoice"
choices = ["a", "b", "none"]
exclusive = ["none"]
required = false
"""

CHOICE_LABELS = {
    "en": {"a": "Apple", "b": "Banana", "c": "Cherry", "none": "None"},
    "es": {"a": "Manzana", "b": "Plátano", "c": "Cereza", "none": "Ninguna"},
}


def write_definition(
    folder: Path, questions: str, ids: list[str], choices: dict[str, list[str]]
) -> Path:
    """A questionnaire (structure, en, es) of one section holding ``questions``."""
    structure = "\n".join(
        [
            'id = "every_type"',
            'version = "1.0.0"',
            "",
            "[plan]",
            f'sites_question = "{next(iter(choices))}"',
            'local_anesthetics = ["lidocaine"]',
            "",
            "[[sections]]",
            'id = "all"',
            questions,
        ]
    )
    (folder / "every_type.toml").write_text(structure, encoding="utf-8")
    for locale, word in (("en", "Question"), ("es", "Pregunta")):
        lines = [f'title = "{word}s"', "[sections.all]", f'title = "{word}s"']
        for qid in ids:
            lines += [f"[questions.{qid}]", f'label = "{word} {qid}?"']
            if qid in choices:
                lines.append(f"[questions.{qid}.choices]")
                lines += [f'{c} = "{CHOICE_LABELS[locale][c]}"' for c in choices[qid]]
        (folder / f"every_type.{locale}.toml").write_text("\n".join(lines) + "\n", "utf-8")
    return folder / "every_type.toml"


@pytest.fixture(scope="module")
def q(tmp_path_factory: pytest.TempPathFactory) -> Questionnaire:
    folder = tmp_path_factory.mktemp("every_type")
    ids = [f"q_{t}" for t in QUESTION_TYPES]
    choices = {"q_multichoice": ["a", "b", "none"], "q_choice": ["a", "b", "c"]}
    return load_questionnaire(write_definition(folder, QUESTIONS, ids, choices))


@dataclasses.dataclass(frozen=True)
class Sample:
    """A valid and an invalid answer to one type's question, and what each stage makes of them."""

    valid: Any
    """A raw answer that passes."""
    normalised: Any
    """What `validate_answers` keeps of it."""
    words: dict[str, str]
    """The normalised answer in words, by locale."""
    fhir: list[dict[str, Any]]
    """Its FHIR ``answer`` list (a coding as its code only)."""
    invalid: Any
    """A raw answer a browser can post that is refused."""
    message: str
    """The English message for ``invalid``."""


SAMPLES: dict[str, Sample] = {
    "string": Sample(
        "  Alex  ",
        "Alex",
        {"en": "Alex", "es": "Alex"},
        [{"valueString": "Alex"}],
        "x" * 11,
        "This answer is too long (at most 10 characters).",
    ),
    "text": Sample(
        "Two\nlines",
        "Two\nlines",
        {"en": "Two\nlines", "es": "Two\nlines"},
        [{"valueString": "Two\nlines"}],
        "y" * 21,
        "This answer is too long (at most 20 characters).",
    ),
    "integer": Sample(
        7,
        7,
        {"en": "7", "es": "7"},
        [{"valueInteger": 7}],
        11,
        "Pick a number from 0 to 10.",
    ),
    "boolean": Sample(
        False,
        False,
        {"en": "No", "es": "No"},
        [{"valueBoolean": False}],
        "maybe",
        "Answer yes or no.",
    ),
    "date": Sample(
        "1980-04-12",
        "1980-04-12",
        {"en": "April 12, 1980", "es": "12 de abril de 1980"},
        [{"valueDate": "1980-04-12"}],
        "12/04/1980",
        "Enter a real date as YYYY-MM-DD.",
    ),
    "choice": Sample(
        "b",
        "b",
        {"en": "Banana", "es": "Plátano"},
        [{"valueCoding": "b"}],
        "z",
        "Pick one of the answers shown.",
    ),
    "multichoice": Sample(
        ["b", "a"],
        ["a", "b"],
        {"en": "Apple and Banana", "es": "Manzana y Plátano"},
        [{"valueCoding": "a"}, {"valueCoding": "b"}],
        ["none", "a"],
        '"None" cannot be picked with other answers.',
    ),
}


def test_every_shipped_type_has_samples() -> None:
    assert set(SAMPLES) == set(QUESTION_TYPES)


@pytest.mark.parametrize("kind", list(QUESTION_TYPES))
def test_validate_answers(q: Questionnaire, kind: str) -> None:
    sample, qid = SAMPLES[kind], f"q_{kind}"
    assert validate_answers({qid: sample.valid}, q, today=TODAY) == {qid: sample.normalised}
    with pytest.raises(AnswersError) as refused:
        validate_answers({qid: sample.invalid}, q, today=TODAY)
    assert refused.value.errors == {qid: [sample.message]}


@pytest.mark.parametrize("kind", list(QUESTION_TYPES))
def test_json_schema(q: Questionnaire, kind: str) -> None:
    sample, qid = SAMPLES[kind], f"q_{kind}"
    validator = jsonschema.Draft202012Validator(answers_schema(q))
    assert validator.is_valid({qid: sample.normalised})
    assert not validator.is_valid({qid: sample.invalid})


def posted(q: Questionnaire, answers: dict[str, Any]) -> Any:
    form = build_form_class(q)(MultiDict(to_formdata(answers, q)))
    form.as_of = TODAY
    return form


@pytest.mark.parametrize("kind", list(QUESTION_TYPES))
def test_form(q: Questionnaire, kind: str) -> None:
    sample, qid = SAMPLES[kind], f"q_{kind}"
    form = posted(q, {qid: sample.valid})
    assert form.validate(), form.errors
    assert form.answers() == {qid: sample.normalised}
    again = posted(q, form.answers())  # normalised answers post back to themselves
    assert again.validate() and again.answers() == {qid: sample.normalised}
    from_data = build_form_class(q)(data=form_data({qid: sample.normalised}, q))
    from_data.as_of = TODAY
    assert from_data.validate() and from_data.answers() == {qid: sample.normalised}
    refused = posted(q, {qid: sample.invalid})
    assert not refused.validate()
    assert refused.errors == {qid: [sample.message]}


@pytest.mark.parametrize("kind", list(QUESTION_TYPES))
def test_html_shows_the_posted_answer(q: Questionnaire, kind: str) -> None:
    sample, qid = SAMPLES[kind], f"q_{kind}"
    html = render_form_html(posted(q, {qid: sample.normalised}), action="/screening")
    wrapper = re.search(
        rf'<div class="tpi-question"[^>]*data-tpi-question="{qid}".*?\n</div>', html, re.S
    )
    assert wrapper is not None
    shown = wrapper.group(0)
    assert f'data-tpi-type="{kind}"' in shown
    values = [value for _, value in to_formdata({qid: sample.normalised}, q)]
    if 'class="tpi-options' in shown:  # radio buttons or checkboxes: exactly these ticked
        assert re.findall(r'value="([^"]*)" checked', shown) == values
    else:
        (value,) = values
        assert f'value="{value}"' in shown or f">{value}</textarea>" in shown, shown


@pytest.mark.parametrize("kind", list(QUESTION_TYPES.values()), ids=list(QUESTION_TYPES))
def test_every_type_has_its_templates(kind: QuestionType) -> None:
    names = set(default_environment().list_templates())
    assert f"partials/widgets/{kind.widget}.html" in names
    assert f"pdf/blank/{kind.paper}.html" in names
    assert {"partials/widgets/scale.html", "pdf/blank/scale.html"} <= names


@pytest.mark.parametrize("kind", list(QUESTION_TYPES))
@pytest.mark.parametrize("locale", ["en", "es"])
def test_words(q: Questionnaire, kind: str, locale: str) -> None:
    sample, question = SAMPLES[kind], q.question(f"q_{kind}")
    assert question.in_words(sample.normalised, locale) == sample.words[locale]
    (section,) = readable_answers({question.id: sample.normalised}, q, locale, {})
    assert section["rows"] == [
        {"label": question.label.get(locale), "answer": sample.words[locale]}
    ]


@pytest.mark.parametrize("kind", list(QUESTION_TYPES))
def test_fhir(q: Questionnaire, kind: str) -> None:
    sample, qid = SAMPLES[kind], f"q_{kind}"
    questionnaire = to_fhir_questionnaire(q)
    check_resource(questionnaire)
    assert items_by_link(questionnaire)[qid]["type"] == QUESTION_TYPES[kind].fhir_item
    response = to_fhir_questionnaire_response({qid: sample.normalised}, q, authored=AUTHORED)
    check_resource(response)
    answers = items_by_link(response)[qid]["answer"]
    codes = [
        {key: value["code"] if key == "valueCoding" else value for key, value in a.items()}
        for a in answers
    ]
    assert codes == sample.fhir


# --- "show as a scale" is one decision -----------------------------------------------------


@pytest.mark.parametrize(("low", "high", "scale"), [(0, 10, True), (1, 11, True), (0, 11, False)])
def test_screen_and_paper_agree_on_scales(tmp_path: Path, low: int, high: int, scale: bool) -> None:
    questions = f"""
[[sections.questions]]
id = "sites"
type = "multichoice"
choices = ["a", "b"]

[[sections.questions]]
id = "score"
type = "integer"
min = {low}
max = {high}
"""
    q = load_questionnaire(
        write_definition(tmp_path, questions, ["sites", "score"], {"sites": ["a", "b"]})
    )
    question = q.question("score")
    assert (question.scale == range(low, high + 1)) if scale else question.scale is None
    html = render_form_html(build_form_class(q)(), action="/")
    paper = blank_question(question, "en", None)
    if scale:
        assert 'class="tpi-options tpi-options--scale"' in html
        assert f'id="score-{high - low}"' in html and f'id="score-{high - low + 1}"' not in html
        assert paper["paper"] == "scale" and paper["numbers"] == list(range(low, high + 1))
    else:
        assert 'type="number" id="score"' in html and "tpi-options--scale" not in html
        assert paper["paper"] == "line" and paper["numbers"] == []


# --- the table itself ------------------------------------------------------------------------


def test_the_editor_schema_lists_the_shipped_types() -> None:
    question = definition_schema("questionnaire")["$defs"]["question"]
    assert question["properties"]["type"]["enum"] == list(QUESTION_TYPES)


def test_entries_name_known_keys_and_operators() -> None:
    for kind in QUESTION_TYPES.values():
        assert kind.keys <= set(DEFINITION_KEYS)
        assert set(kind.operators) <= set(OPERATORS), kind.id
        assert Operand(kind.id).allowed == kind.operators
    with pytest.raises(ValueError, match="unknown definition key"):
        dataclasses.replace(QUESTION_TYPES["string"], keys=frozenset({"pattern"}))
    with pytest.raises(ValueError, match="unknown condition operators"):
        Operand("string", operators=("answered", "looks_like"))


def test_a_table_is_built_not_changed_in_place() -> None:
    email = dataclasses.replace(QUESTION_TYPES["string"], id="email")
    table = extended_types(email)
    assert table["email"] is email and "email" not in QUESTION_TYPES
    assert list(table)[: len(QUESTION_TYPES)] == list(QUESTION_TYPES)
    with pytest.raises(TypeError):
        table["other"] = email  # type: ignore[index]
    with pytest.raises(ValueError, match="given twice"):
        extended_types(email, email)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'id = "q_boolean"\ntype = "boolean"',
            'id = "q_boolean"\ntype = "boolean"\nmin = 1',
            "questions[3].min: boolean questions take no min (only integer questions do)",
        ),
        (
            "max_length = 10\n",
            "max_length = 10\nnot_future = true\n",
            "string questions take no not_future (only date questions do)",
        ),
        (
            'type = "integer"\n',
            'type = "integer"\nmax_length = 3\n',
            "integer questions take no max_length (only string and text questions do)",
        ),
        (
            'choices = ["a", "b", "c"]\n',
            'choices = ["a", "b", "c"]\nexclusive = ["a"]\n',
            "choice questions take no exclusive (only multichoice questions do)",
        ),
        ("max_length = 10\n", "max_length = 0\n", "max_length must be a positive integer"),
    ],
)
def test_keys_a_type_does_not_take_are_refused_in_its_words(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in QUESTIONS
    ids = [f"q_{t}" for t in QUESTION_TYPES]
    choices = {"q_multichoice": ["a", "b", "none"], "q_choice": ["a", "b", "c"]}
    path = write_definition(tmp_path, QUESTIONS.replace(old, new, 1), ids, choices)
    with pytest.raises(DefinitionError) as refused:
        load_questionnaire(path)
    assert message in str(refused.value)


def test_conditions_use_the_operators_of_the_type(tmp_path: Path) -> None:
    text_only = dataclasses.replace(QUESTION_TYPES["text"], id="note", operators=())
    questions = QUESTIONS + (
        '\n[[sections.questions]]\nid = "q_note"\ntype = "note"\nrequired = false\n'
        '\n[[sections.questions]]\nid = "q_after"\ntype = "string"\nrequired = false\n'
        'enable_when = { question = "q_note", answered = true }\n'
    )
    ids = [*(f"q_{t}" for t in QUESTION_TYPES), "q_note", "q_after"]
    choices = {"q_multichoice": ["a", "b", "none"], "q_choice": ["a", "b", "c"]}
    path = write_definition(tmp_path, questions, ids, choices)
    with pytest.raises(DefinitionError, match="operator 'answered' does not apply to note"):
        load_questionnaire(path, question_types=extended_types(text_only))


STAGES = (
    "tpi_forms/screening/answers.py",
    "tpi_forms/web/forms.py",
    "tpi_forms/web/html.py",
    "tpi_forms/pdf/printed.py",
    "tpi_forms/fhir/questionnaire.py",
    "tpi_forms/fhir/enable_when.py",
)
TYPE_IDS = "|".join(QUESTION_TYPES)


@pytest.mark.parametrize("module", STAGES)
def test_no_stage_switches_on_a_type_id(module: str) -> None:
    source = (Path(__file__).parent.parent / module).read_text(encoding="utf-8")
    # Picking the patient's name and birth date questions is not a type switch (and moves to
    # the questionnaire's own identity questions).
    source = re.sub(r"def identity_questions\(.*?\n(?=def )", "", source, flags=re.S)
    switches = re.findall(rf"(?:type|kind)\s*(?:==|!=|in)\s*\(?\s*\"(?:{TYPE_IDS})\"", source)
    assert not switches, switches


def test_entries_are_frozen() -> None:
    kind: QuestionType = QUESTION_TYPES["integer"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        kind.widget = "slider"  # type: ignore[misc]
