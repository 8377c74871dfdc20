"""The question types, each declared once with what every stage needs to know about it.

A question's ``type`` in a definition file names an entry of `QUESTION_TYPES`. The entry says
which definition keys its questions take, how a raw answer is checked and normalised, its JSON
Schema, its WTForms field and how posted strings become a raw answer and back, the templates that
draw it (``partials/widgets/<widget>.html`` on screen, ``pdf/blank/<paper>.html`` on paper), how
an answer reads in words, its FHIR item type and answer value, and the condition operators it
supports. Every stage looks the entry up (``question.kind``); none switches on the type.
`tpi_forms.definitions.question_core` defines the entry (`QuestionType`) and its defaults.

Adding a type is one entry plus its templates. Build a table with `extended_types` and load the
questionnaire with it; the templates go in a clinic template folder (``template_dirs``):

>>> import dataclasses
>>> email = dataclasses.replace(QUESTION_TYPES["string"], id="email", widget="email")
>>> table = extended_types(email)
>>> table["email"].fhir_item, table["email"].widget
('string', 'email')

and then ``load_questionnaire(path, question_types=table)``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from wtforms import fields, widgets
from wtforms.fields.core import Field

from .._text import hidden_character, nfc
from ..errors import UnknownLocaleError
from ..i18n import format_date, format_list
from .question_core import (
    NO,
    YES,
    Invalid,
    Problem,
    QuestionType,
    blank_as_none,
    choice_option,
    choice_options,
    invalid,
    ui_words,
)

if TYPE_CHECKING:
    from .questionnaire import Question

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_SCALE_MAX_STEPS = 11  # an integer question with at most this many values is shown as a scale


def extended_types(
    *entries: QuestionType, base: Mapping[str, QuestionType] | None = None
) -> Mapping[str, QuestionType]:
    """``base`` (default `QUESTION_TYPES`) with ``entries`` added or replacing the same ids.

    Pass the table to ``load_questionnaire(path, question_types=...)``. Give a new ``widget``
    or ``paper`` name its template in a clinic template folder.
    """
    ids = [entry.id for entry in entries]
    if len(set(ids)) != len(ids):
        raise ValueError(
            f"question types given twice: {sorted({i for i in ids if ids.count(i) > 1})}"
        )
    table = dict(QUESTION_TYPES if base is None else base)
    table.update((entry.id, entry) for entry in entries)
    return MappingProxyType(table)


def _choice_words(question: Question, choice: str, locale: str) -> str:
    try:
        return question.choice_label(choice, locale)
    except KeyError:
        return choice


# --- string and text ---------------------------------------------------------------------


def _normalise_text(question: Question, value: Any, today: dt.date, locale: str) -> Any:
    if not isinstance(value, str):
        return invalid("string")
    text = nfc(value.strip())
    if hidden_character(text, multiline=question.type == "text"):
        return invalid("hidden")
    if len(text) > question.max_length:
        return invalid("too_long", max=question.max_length)
    return text or None


def _text_schema(question: Question) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": question.max_length}


def _fhir_text(question: Question, value: Any) -> tuple[Any, ...]:
    if not isinstance(value, str):
        raise TypeError("not text")
    return (value,)


def _length_attrs(question: Question) -> dict[str, str | int]:
    return {"maxlength": question.max_length}


def _string_field(question: Question, locale: str, common: Mapping[str, Any]) -> Field:
    return fields.StringField(render_kw={"maxlength": question.max_length}, **common)


def _textarea_field(question: Question, locale: str, common: Mapping[str, Any]) -> Field:
    return fields.TextAreaField(render_kw={"maxlength": question.max_length}, **common)


STRING = QuestionType(
    id="string",
    keys=frozenset({"max_length"}),
    normalise=_normalise_text,
    schema=_text_schema,
    field=_string_field,
    widget="text",
    paper="line",
    fhir_item="string",
    fhir_value="valueString",
    fhir_answers=_fhir_text,
    operators=("answered", "equals", "not_equals"),
    attrs=_length_attrs,
)
"""One line of text, such as a name."""

TEXT = dataclasses.replace(
    STRING,
    id="text",
    field=_textarea_field,
    widget="textarea",
    paper="lines",
    fhir_item="text",
    operators=("answered",),
    default_max_length=2000,
)
"""Several lines of free text."""


# --- integer -----------------------------------------------------------------------------


def _normalise_integer(question: Question, value: Any, today: dt.date, locale: str) -> Any:
    if not isinstance(value, int) or isinstance(value, bool):
        return invalid("integer")
    lo = question.min if question.min is not None else value
    hi = question.max if question.max is not None else value
    if not lo <= value <= hi:
        return invalid("range", min=question.min, max=question.max)
    return value


def _integer_schema(question: Question) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer"}
    if question.min is not None:
        schema["minimum"] = question.min
    if question.max is not None:
        schema["maximum"] = question.max
    return schema


def _integer_field(question: Question, locale: str, common: Mapping[str, Any]) -> Field:
    widget = widgets.NumberInput(step=1, min=question.min, max=question.max)
    return fields.IntegerField(widget=widget, render_kw={"inputmode": "numeric"}, **common)


def _integer_from_post(text: str) -> Any:
    stripped = text.strip()
    return int(stripped) if _INTEGER.fullmatch(stripped) else text


def _integer_scale(question: Question) -> range | None:
    lo, hi = question.min, question.max
    if lo is None or hi is None or not 0 < hi - lo + 1 <= _SCALE_MAX_STEPS:
        return None
    return range(lo, hi + 1)


def _number_attrs(question: Question) -> dict[str, str | int]:
    attrs: dict[str, str | int] = {"inputmode": "numeric"}
    if question.min is not None:
        attrs["min"] = question.min
    if question.max is not None:
        attrs["max"] = question.max
    return attrs


def _fhir_integer(question: Question, value: Any) -> tuple[Any, ...]:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("not an integer")
    return (value,)


INTEGER = QuestionType(
    id="integer",
    keys=frozenset({"min", "max"}),
    normalise=_normalise_integer,
    schema=_integer_schema,
    field=_integer_field,
    widget="number",
    paper="line",
    fhir_item="integer",
    fhir_value="valueInteger",
    fhir_answers=_fhir_integer,
    operators=(
        "answered",
        "equals",
        "not_equals",
        "in",
        "at_least",
        "at_most",
        "less_than",
        "greater_than",
    ),
    from_post=_integer_from_post,
    scale=_integer_scale,
    attrs=_number_attrs,
)
"""A whole number; with at most 11 values between ``min`` and ``max``, shown as a scale."""


# --- boolean -----------------------------------------------------------------------------


def _normalise_boolean(question: Question, value: Any, today: dt.date, locale: str) -> Any:
    return value if isinstance(value, bool) else invalid("boolean")


def _boolean_field(question: Question, locale: str, common: Mapping[str, Any]) -> Field:
    words = ui_words(locale)
    yes, no = choice_option(YES, words["answers.yes"]), choice_option(NO, words["answers.no"])
    return fields.RadioField(choices=[yes, no], validate_choice=False, **common)


def _yes_no(text: str) -> Any:
    return {YES: True, NO: False}.get(text.strip(), text)


def _boolean_from_data(data: Any) -> Any:
    data = blank_as_none(data)
    return {YES: True, NO: False}.get(data, data) if isinstance(data, str) else data


def _boolean_to_data(answer: Any) -> Any:
    return (YES if answer else NO) if isinstance(answer, bool) else answer


def _boolean_words(question: Question, value: Any, locale: str) -> str:
    return ui_words(locale)["answers.yes" if value else "answers.no"]


def _fhir_boolean(question: Question, value: Any) -> tuple[Any, ...]:
    if not isinstance(value, bool):
        raise TypeError("not true or false")
    return (value,)


BOOLEAN = QuestionType(
    id="boolean",
    keys=frozenset(),
    normalise=_normalise_boolean,
    schema=lambda question: {"type": "boolean"},
    field=_boolean_field,
    widget="radio",
    paper="yes_no",
    fhir_item="boolean",
    fhir_value="valueBoolean",
    fhir_answers=_fhir_boolean,
    operators=("answered", "equals", "not_equals"),
    words=_boolean_words,
    from_post=_yes_no,
    from_data=_boolean_from_data,
    to_data=_boolean_to_data,
)
"""Yes or no."""


# --- date --------------------------------------------------------------------------------


def _normalise_date(question: Question, value: Any, today: dt.date, locale: str) -> Any:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
        return invalid("date")
    if isinstance(value, dt.date):
        day = value
    else:
        text = value.strip()
        if not text:
            return None
        if not _ISO_DATE.fullmatch(text):
            return invalid("date")
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            return invalid("date")
    if question.not_future and day > today:
        return invalid("future")
    if question.max_age_years is not None and day < _years_before(today, question.max_age_years):
        return invalid("too_old", years=question.max_age_years)
    return day.isoformat()


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def _date_field(question: Question, locale: str, common: Mapping[str, Any]) -> Field:
    return fields.DateField(**common)


def _date_from_data(data: Any) -> Any:
    return data.isoformat() if isinstance(data, dt.date) else blank_as_none(data)


def _date_to_data(answer: Any) -> Any:
    if not isinstance(answer, str):
        return answer
    try:
        return dt.date.fromisoformat(answer)
    except ValueError:
        return answer


def _date_words(question: Question, value: Any, locale: str) -> str:
    try:
        return format_date(dt.date.fromisoformat(str(value)), locale)
    except ValueError:
        return str(value)


def _fhir_date(question: Question, value: Any) -> tuple[Any, ...]:
    return (dt.date.fromisoformat(value).isoformat(),)


DATE = QuestionType(
    id="date",
    keys=frozenset({"not_future", "max_age_years"}),
    normalise=_normalise_date,
    schema=lambda question: {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
    field=_date_field,
    widget="date",
    paper="short_line",
    fhir_item="date",
    fhir_value="valueDate",
    fhir_answers=_fhir_date,
    operators=("answered", "within_days"),
    words=_date_words,
    from_data=_date_from_data,
    to_data=_date_to_data,
    autocomplete="bday",
)
"""A calendar day, stored as ``YYYY-MM-DD``."""


# --- choice and multichoice --------------------------------------------------------------


def _normalise_choice(question: Question, value: Any, today: dt.date, locale: str) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    if not isinstance(value, str) or value not in question.choice_ids:
        return invalid("choice")
    return value


def _choice_field(question: Question, locale: str, common: Mapping[str, Any]) -> Field:
    choices = choice_options(question, locale)
    return fields.RadioField(choices=choices, validate_choice=False, **common)


def _fhir_choice(question: Question, value: Any) -> tuple[Any, ...]:
    if value not in question.choice_ids:
        raise ValueError("not a choice")
    return (value,)


CHOICE = QuestionType(
    id="choice",
    keys=frozenset({"choices"}),
    normalise=_normalise_choice,
    schema=lambda question: {"type": "string", "enum": list(question.choice_ids)},
    field=_choice_field,
    widget="radio",
    paper="tick_one",
    fhir_item="choice",
    fhir_value="valueCoding",
    fhir_answers=_fhir_choice,
    operators=("answered", "equals", "not_equals", "in"),
    words=lambda question, value, locale: _choice_words(question, str(value), locale),
)
"""One answer picked from the question's choices."""


def _normalise_multichoice(question: Question, value: Any, today: dt.date, locale: str) -> Any:
    if not isinstance(value, list | tuple):
        return invalid("choices")
    if not value:
        return None
    if len(value) > len(question.choice_ids):  # a repeat, at the least: refused before any scan
        return invalid("choices")
    if any(not isinstance(v, str) or v not in question.choice_ids for v in value) or len(
        set(value)
    ) != len(value):
        return invalid("choices")
    problems = [
        Problem("exclusive", {"label": _exclusive_label(question, ex, locale)})
        for ex in question.exclusive
        if ex in value and len(value) > 1
    ]
    if len(value) < question.min_items:
        problems.append(Problem("min_items", {"min": question.min_items}))
    if problems:
        return Invalid(tuple(problems))
    # Keep the definition's order, so equal answers are equal lists.
    return [c for c in question.choice_ids if c in value]


def _exclusive_label(question: Question, choice: str, locale: str) -> str:
    try:
        return question.choice_label(choice, locale)
    except UnknownLocaleError:  # messages fall back to English; the label to its id
        return choice


def _multichoice_schema(question: Question) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "array",
        "items": {"enum": list(question.choice_ids)},
        "uniqueItems": True,
        "minItems": max(1, question.min_items),
    }
    if question.exclusive:
        schema["allOf"] = [
            {"if": {"contains": {"const": ex}}, "then": {"maxItems": 1}}
            for ex in question.exclusive
        ]
    return schema


def _checkboxes_field(question: Question, locale: str, common: Mapping[str, Any]) -> Field:
    return fields.SelectMultipleField(
        choices=choice_options(question, locale),
        validate_choice=False,
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        **common,
    )


def _multichoice_words(question: Question, value: Any, locale: str) -> str:
    return format_list([_choice_words(question, str(v), locale) for v in value], locale)


def _fhir_multichoice(question: Question, value: Any) -> tuple[Any, ...]:
    if not isinstance(value, list | tuple) or any(v not in question.choice_ids for v in value):
        raise ValueError("not a list of choices")
    return tuple(value)


MULTICHOICE = QuestionType(
    id="multichoice",
    keys=frozenset({"choices", "exclusive", "min_items"}),
    normalise=_normalise_multichoice,
    schema=_multichoice_schema,
    field=_checkboxes_field,
    widget="checkbox",
    paper="tick_any",
    fhir_item="choice",
    fhir_value="valueCoding",
    fhir_answers=_fhir_multichoice,
    operators=("answered", "includes", "includes_any", "excludes", "subset_of"),
    words=_multichoice_words,
    multiple=True,
)
"""Any number of answers picked from the question's choices (``exclusive`` ones alone)."""


QUESTION_TYPES: Mapping[str, QuestionType] = MappingProxyType(
    {t.id: t for t in (STRING, TEXT, INTEGER, BOOLEAN, DATE, CHOICE, MULTICHOICE)}
)
"""The shipped question types by id, in the order the documentation lists them."""
