"""What a question type is: the `QuestionType` entry, how it refuses an answer, shared defaults.

The shipped entries and the table every stage looks up are in
`tpi_forms.definitions.question_types`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import wtforms
from wtforms.fields.core import Field

from .ui_text import ui_locales, ui_text

if TYPE_CHECKING:
    from .questionnaire import Question

DEFINITION_KEYS = (
    "min",
    "max",
    "max_length",
    "choices",
    "exclusive",
    "min_items",
    "not_future",
    "max_age_years",
)
"""Keys of a question in a definition file that only some types take (see `QuestionType.keys`)."""

YES, NO = "yes", "no"
"""The posted values of a yes/no question."""

# WTForms 3.3 deprecates (value, label) tuples for choices in favour of SelectChoice.
_SELECT_CHOICE: Any = getattr(wtforms.fields.choices, "SelectChoice", None)


@dataclass(frozen=True)
class Problem:
    """One rule an answer breaks: a ``validation.<key>`` message of ``ui.<locale>.toml``."""

    key: str
    """The message's key in the ``[validation]`` table (one of ``VALIDATION_KEYS``)."""
    params: Mapping[str, Any] = field(default_factory=dict)
    """Values for the message's ``{placeholders}``; never the answer itself."""


@dataclass(frozen=True)
class Invalid:
    """What a normaliser returns for a refused answer: every rule it breaks."""

    problems: tuple[Problem, ...]
    """The broken rules, in the order they were checked."""


def invalid(key: str, **params: Any) -> Invalid:
    """A refusal with one problem, e.g. ``invalid("range", min=0, max=10)``."""
    return Invalid((Problem(key, params),))


Normaliser = Callable[["Question", Any, dt.date, str], Any]
FieldFactory = Callable[["Question", str, Mapping[str, Any]], Field]


# --- defaults shared by most types ---------------------------------------------------------


def posted_values(answer: Any) -> tuple[str, ...]:
    """An answer as the strings a browser posts: one per list item, JSON true/false as yes/no."""
    items = answer if isinstance(answer, list | tuple) else [answer]
    return tuple(
        (YES if item else NO) if isinstance(item, bool) else str(item)
        for item in items
        if item is not None
    )


def _as_posted(text: str) -> Any:
    return text


def blank_as_none(data: Any) -> Any:
    """A field's data as a raw answer: None, ``""`` and ``[]`` are no answer."""
    return None if data is None or data == "" or data == [] else data


def _same(answer: Any) -> Any:
    return answer


def _plain_words(question: Question, value: Any, locale: str) -> str:
    return str(value)


def _no_scale(question: Question) -> range | None:
    return None


def _no_attrs(question: Question) -> dict[str, str | int]:
    return {}


@dataclass(frozen=True)
class QuestionType:
    """One question type: what each stage (answers, form, HTML, paper, FHIR) does with it."""

    id: str
    """The ``type`` a definition file writes."""
    keys: frozenset[str]
    """The `DEFINITION_KEYS` its questions may carry; a type taking ``choices`` needs them."""
    normalise: Normaliser
    """``(question, raw, today, locale)``: a raw JSON answer (never None) to the normalised
    answer, None for no answer, or `Invalid`."""
    schema: Callable[[Question], dict[str, Any]]
    """JSON Schema keywords of a valid answer (the caller adds title and description)."""
    field: FieldFactory
    """``(question, locale, common)``: its WTForms field; ``common`` holds the label,
    description and validators."""
    widget: str
    """The screen template that draws it: ``partials/widgets/<widget>.html``."""
    paper: str
    """The paper template that draws it blank: ``pdf/blank/<paper>.html``."""
    fhir_item: str
    """Its FHIR ``Questionnaire.item.type``."""
    fhir_value: str
    """The key of its FHIR answer value (``valueString`` ...); ``valueCoding`` for choice ids."""
    fhir_answers: Callable[[Question, Any], tuple[Any, ...]]
    """A valid answer as FHIR answer values (choice ids for codings); raises `ValueError` or
    `TypeError` when the answer does not fit."""
    operators: tuple[str, ...]
    """The condition operators rules and ``enable_when`` may use on it."""
    words: Callable[[Question, Any, str], str] = _plain_words
    """``(question, answer, locale)``: the answer in words, for packets, finding reasons and
    staff screens."""
    from_post: Callable[[str], Any] = _as_posted
    """A posted non-blank string as the raw answer JSON would carry (see `posted_answer`)."""
    to_post: Callable[[Any], tuple[str, ...]] = posted_values
    """An answer as the strings a browser posts for it."""
    from_data: Callable[[Any], Any] = blank_as_none
    """Its WTForms field's ``data`` as the raw answer (a form built without posted data)."""
    to_data: Callable[[Any], Any] = _same
    """An answer as its WTForms field's ``data`` (for ``Form(data=...)``)."""
    scale: Callable[[Question], range | None] = _no_scale
    """The numbers to show as a row of buttons (screen) or boxes (paper), or None."""
    attrs: Callable[[Question], dict[str, str | int]] = _no_attrs
    """Extra attributes of its HTML input (``maxlength``, ``min`` ...)."""
    autocomplete: str = "name"
    """The ``autocomplete`` token of a personal question of this type on portal pages."""
    default_max_length: int = 200
    """Longest answer, in characters, when a question that takes ``max_length`` sets none."""
    multiple: bool = False
    """Its answer is a list (several choices), posted as repeated values."""

    def __post_init__(self) -> None:
        stray = sorted(self.keys - set(DEFINITION_KEYS))
        if stray:
            raise ValueError(f"question type '{self.id}': unknown definition key(s) {stray}")

    def posted_answer(self, values: Sequence[Any]) -> Any:
        """The raw answer of a field's posted values (None when nothing was entered)."""
        if self.multiple:
            return list(values) or None
        first = values[0] if values else ""
        if not isinstance(first, str):
            return self.from_data(first)
        return self.from_post(first) if first.strip() else None

    def widget_of(self, question: Question) -> str:
        """The screen template of ``question``: ``scale`` when it has a scale."""
        return "scale" if self.scale(question) is not None else self.widget

    def paper_of(self, question: Question) -> str:
        """The paper template of ``question``: ``scale`` when it has a scale."""
        return "scale" if self.scale(question) is not None else self.paper


# --- helpers for field factories and words ------------------------------------------------


def choice_option(value: str, label: str) -> Any:
    """One option of a WTForms radio or checkbox field."""
    return (value, label) if _SELECT_CHOICE is None else _SELECT_CHOICE(value, label)


def choice_options(question: Question, locale: str) -> list[Any]:
    """The question's choices as WTForms options, labelled in ``locale``."""
    return [choice_option(c.id, c.label.get(locale)) for c in question.choices]


def ui_words(locale: str) -> Mapping[str, str]:
    """The UI text (``answers.yes`` ...) in ``locale``, or in English when it has none."""
    return ui_text(locale if locale in ui_locales() else "en")
