"""Validate answers against a questionnaire, compute its scores, and describe them as JSON Schema.

Answers are a JSON object keyed by question id. `validate_answers` is the one gate every answer
passes through, whether it came from JSON, the command line or the WTForms form: it returns the
normalised answers of the enabled questions, or raises `AnswersError` with every problem found.

>>> from tpi_forms.screening.scenarios import example_answers
>>> answers = validate_answers(example_answers("clear"))
>>> answers["pain_score"]
4
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .. import clock
from ..definitions.conditions import AllOf, AnyOf, Comparison, Condition, Not, evaluate
from ..definitions.question_core import Invalid
from ..definitions.questionnaire import Question, Questionnaire, load_questionnaire
from ..definitions.ui_text import VALIDATION_KEYS, ui_locales, ui_text
from ..errors import AnswersError
from ..json_types import Answer, JsonObject

MAX_ANSWER_KEYS = 1000
"""Most keys an answers object may hold; more is refused as a whole, before any is read."""


def _messages(locale: str) -> Mapping[str, str]:
    """The validation messages in ``locale``, or in English when the UI text lacks it."""
    words = ui_text(locale if locale in ui_locales() else "en")
    return {key: words[f"validation.{key}"] for key in VALIDATION_KEYS}


def validate_answers(
    raw: Mapping[str, object],
    questionnaire: Questionnaire | None = None,
    *,
    today: dt.date | None = None,
    locale: str = "en",
) -> dict[str, Answer]:
    """Return the normalised answers of the enabled questions, or raise `AnswersError`.

    Strings are stripped and normalised to NFC (an empty string is no answer); one with a control
    or invisible formatting character is refused (free text may hold tabs and line breaks). Dates
    are ISO strings, answers to questions that are not enabled are dropped, unknown keys are
    errors under their own key; more than `MAX_ANSWER_KEYS` keys are refused as a whole.
    ``locale`` picks the language of the error messages (English when it has none).
    """
    q = questionnaire or load_questionnaire()
    today = today or clock.today(None)
    messages = _messages(locale)
    if not isinstance(raw, Mapping):
        raise AnswersError({"": [messages["object"]]})
    if len(raw) > MAX_ANSWER_KEYS:
        raise AnswersError({"": [messages["too_many"].format(max=MAX_ANSWER_KEYS)]})
    errors: dict[str, list[str]] = {}
    for key in raw:
        if not isinstance(key, str) or key not in q.questions:
            errors[str(key)] = [messages["unknown"]]
    answers, answer_errors, _ = _walk(raw, q, today, messages, locale)
    errors.update(answer_errors)
    if errors:
        raise AnswersError(errors)
    return answers


def enabled_questions(
    raw: Mapping[str, Any], questionnaire: Questionnaire, today: dt.date | None = None
) -> tuple[str, ...]:
    """Ids of the questions asked given these answers (raw or validated), in order.

    A follow-up is asked when its condition holds on the valid answers before it, the same
    decision `validate_answers` makes.
    """
    today = today or clock.today(None)
    return _walk(raw, questionnaire, today, _messages("en"), "en")[2]


def _walk(
    raw: Mapping[str, Any],
    q: Questionnaire,
    today: dt.date,
    messages: Mapping[str, str],
    locale: str,
) -> tuple[dict[str, Any], dict[str, list[str]], tuple[str, ...]]:
    """Valid answers, errors by question id, and the enabled question ids, in one pass."""
    answers: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    enabled: list[str] = []
    for question in q.questions.values():
        if question.enable_when is not None and not _enabled(question.enable_when, answers, today):
            continue
        enabled.append(question.id)
        value = raw.get(question.id)
        normalised = (
            None if value is None else question.kind.normalise(question, value, today, locale)
        )
        if isinstance(normalised, Invalid):
            errors[question.id] = [messages[p.key].format(**p.params) for p in normalised.problems]
        elif normalised is None:
            if question.required:
                errors[question.id] = [messages["required"]]
        else:
            answers[question.id] = normalised
    return answers, errors, tuple(enabled)


def _enabled(condition: Condition, answers: Mapping[str, Any], today: dt.date) -> bool:
    return evaluate(condition, answers, {}, today)


def compute_scores(answers: Mapping[str, Answer], questionnaire: Questionnaire) -> dict[str, float]:
    """Scores whose items are all answered (e.g. ``{"peg": 5.33}``), rounded to 2 decimals."""
    scores: dict[str, float] = {}
    for score in questionnaire.scores:
        values = [answers.get(item) for item in score.items]
        if any(not isinstance(v, int) or isinstance(v, bool) for v in values):
            continue
        total = float(sum(v for v in values if isinstance(v, int)))
        scores[score.id] = round(total / len(values) if score.method == "mean" else total, 2)
    return scores


# --- JSON Schema ---------------------------------------------------------------------------

_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def answers_schema(questionnaire: Questionnaire | None = None) -> JsonObject:
    """JSON Schema (draft 2020-12) of a validated answers object.

    Conditional questions are required through ``if``/``then`` where their condition can be
    written in JSON Schema (date arithmetic cannot); checks relative to the day of screening
    (dates not in the future) are left to `validate_answers`.
    """
    q = questionnaire or load_questionnaire()
    properties = {question.id: _property(question) for question in q.questions.values()}
    required = [
        question.id
        for question in q.questions.values()
        if question.required and question.enable_when is None
    ]
    conditionals: list[dict[str, Any]] = []
    for question in q.questions.values():
        if question.enable_when is None or not question.required:
            continue
        condition = _condition_schema(question.enable_when)
        if condition is not None:
            conditionals.append({"if": condition, "then": {"required": [question.id]}})
    schema: dict[str, Any] = {
        "$schema": _SCHEMA_DIALECT,
        "$id": f"urn:tpi-forms:{q.id}:{q.version}:answers",
        "title": f"Answers to {q.title.get(q.locales[0])} ({q.id} {q.version})",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    if conditionals:
        schema["allOf"] = conditionals
    return schema


def _property(question: Question) -> dict[str, Any]:
    locale = next(iter(question.label.by_locale))
    prop: dict[str, Any] = {"title": question.label.get(locale)}
    if question.help is not None:
        prop["description"] = question.help.get(locale)
    prop.update(question.kind.schema(question))
    return prop


def _condition_schema(condition: Condition) -> dict[str, Any] | None:
    """The condition as a schema over the answers object; None if JSON Schema cannot say it."""
    if isinstance(condition, AllOf | AnyOf):
        parts = [_condition_schema(p) for p in condition.parts]
        if any(p is None for p in parts):
            return None
        return {"allOf" if isinstance(condition, AllOf) else "anyOf": parts}
    if isinstance(condition, Not):
        part = _condition_schema(condition.part)
        return None if part is None else {"not": part}
    return _comparison_schema(condition)


def _comparison_schema(c: Comparison) -> dict[str, Any] | None:
    if c.source != "question":
        return None
    if c.op == "answered":
        present: dict[str, Any] = {"required": [c.name]}
        return present if c.value else {"not": present}
    value = list(c.value) if isinstance(c.value, tuple) else c.value
    by_op: dict[str, dict[str, Any]] = {
        "equals": {"const": value},
        "not_equals": {"not": {"const": value}},
        "in": {"enum": value},
        "at_least": {"minimum": value},
        "at_most": {"maximum": value},
        "less_than": {"exclusiveMaximum": value},
        "greater_than": {"exclusiveMinimum": value},
        "includes": {"contains": {"const": value}},
        "includes_any": {"contains": {"enum": value}},
        "excludes": {"not": {"contains": {"const": value}}},
        "subset_of": {"items": {"enum": value}},
    }
    if c.op not in by_op:
        return None
    return {"properties": {c.name: by_op[c.op]}, "required": [c.name]}
