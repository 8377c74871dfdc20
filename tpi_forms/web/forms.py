"""A WTForms form class built from a questionnaire definition.

The generated class has one field per question, named by question id, as a person would write
it. Validation is not duplicated: ``form.validate()`` turns the posted data into raw answers and
runs `validate_answers`, so the form and the JSON path accept and reject exactly the same input.

>>> from werkzeug.datastructures import MultiDict
>>> ScreeningForm = build_form_class(locale="es")
>>> form = ScreeningForm(MultiDict([("pain_score", "11")]))
>>> form.validate()
False
>>> form.pain_score.errors
['Elija un número del 0 al 10.']

Templates use ``form.questionnaire``, ``form.locale``, ``form.sections()`` (each with its
fields, in order), ``form.question(name)`` and ``form.enable_when(name)`` (the condition as data,
for showing follow-up questions in the browser).
"""

from __future__ import annotations

import datetime as dt
import json
import types
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, cast

import wtforms
from wtforms.fields.core import Field

from .. import clock
from ..definitions.conditions import to_data
from ..definitions.question_core import posted_values
from ..definitions.questionnaire import Question, Questionnaire, Section, load_questionnaire
from ..definitions.texts import Text
from ..errors import AnswersError, TpiFormsError
from ..screening.answers import enabled_questions, validate_answers
from .screening_form import FormSection, ScreeningForm


class Required:
    """Marks a field required in HTML (``required``, for the browser and screen readers).

    It checks nothing: `validate_answers` decides, so that JSON and form input agree.
    """

    field_flags: ClassVar[dict[str, bool]] = {"required": True}

    def __call__(self, form: wtforms.Form, field: Field) -> None:
        return None


class ScreeningFormMixin:
    """What every generated screening form adds to its WTForms base class."""

    questionnaire: ClassVar[Questionnaire]
    """The definition the form was built from."""
    locale: ClassVar[str]
    """The language of labels, help and error messages."""
    as_of: dt.date | None = None
    """Day of screening for date checks; None means today. Set it on an instance to override."""

    # Provided by the WTForms base class.
    _fields: dict[str, Field]
    form_errors: list[str]

    def question(self, name: str) -> Question:
        """The question behind field ``name``."""
        return self.questionnaire.question(name)

    def text(self, text: Text | None) -> str | None:
        """A definition text in the form's locale (None stays None)."""
        return None if text is None else text.get(self.locale)

    def sections(self) -> list[FormSection]:
        """The sections in order, each with its bound fields."""
        return [
            FormSection(
                id=section.id,
                title=section.title.get(self.locale),
                intro=self.text(section.intro),
                fields=tuple(self._fields[q.id] for q in section.questions),
            )
            for section in self.questionnaire.sections
        ]

    def section_of(self, name: str) -> Section:
        """The section that asks question ``name``."""
        for section in self.questionnaire.sections:
            if any(q.id == name for q in section.questions):
                return section
        raise KeyError(name)

    def enable_when(self, name: str) -> dict[str, Any] | None:
        """The condition under which question ``name`` is asked, as JSON-native data."""
        condition = self.question(name).enable_when
        return None if condition is None else to_data(condition)

    def enable_when_json(self, name: str) -> str | None:
        """`enable_when` as compact JSON, e.g. for a ``data-enable-when`` attribute."""
        data = self.enable_when(name)
        return None if data is None else json.dumps(data, separators=(",", ":"), sort_keys=True)

    def is_enabled(self, name: str) -> bool:
        """Whether question ``name`` is asked given the data now in the form."""
        condition = self.question(name).enable_when
        if condition is None:
            return True
        return name in enabled_questions(self.raw_answers(), self.questionnaire, self._today())

    def raw_answers(self) -> dict[str, Any]:
        """The form's data as raw answers (before validation), keyed by question id."""
        raw: dict[str, Any] = {}
        for question in self.questionnaire.questions.values():
            value = _raw_value(self._fields[question.id], question)
            if value is not None:
                raw[question.id] = value
        return raw

    def answers(self) -> dict[str, Any]:
        """The validated answers; raises `AnswersError` when the data is not valid."""
        return validate_answers(
            self.raw_answers(), self.questionnaire, today=self._today(), locale=self.locale
        )

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        """Run the base class's checks (CSRF, extra and inline validators), then the answers'."""
        for question_id in self.questionnaire.questions:
            # Conversion errors are WTForms' view of the input; validate_answers has the say.
            self._fields[question_id].process_errors = []
        ok: bool = super().validate(extra_validators)  # type: ignore[misc]
        try:
            self.answers()
        except AnswersError as exc:
            ok = False
            for key, messages in exc.errors.items():
                target = self._fields.get(key)
                if target is None:
                    self.form_errors.extend(messages)
                else:
                    target.errors = [*target.errors, *messages]
        return ok

    def _today(self) -> dt.date:
        return self.as_of or clock.today(None)


def build_form_class(
    questionnaire: Questionnaire | None = None,
    locale: str = "en",
    base: type[wtforms.Form] = wtforms.Form,
) -> type[ScreeningForm]:
    """A WTForms form class for ``questionnaire`` (the default one) with text in ``locale``.

    ``base`` may be ``flask_wtf.FlaskForm`` (CSRF through its meta). The class is cached per
    (questionnaire, locale, base).
    """
    q = questionnaire or load_questionnaire()
    q.title.get(locale)  # refuse an unknown locale now, not at render time
    key = (id(q), locale, base)
    cached = _CLASSES.get(key)
    if cached is not None and cached[0] is q:
        return cached[1]
    reserved = set(dir(ScreeningFormMixin)) | set(dir(base))
    clashes = sorted(set(q.questions) & reserved)
    if clashes:
        raise TpiFormsError(
            f"question id(s) {', '.join(clashes)} clash with form attributes; rename them"
        )
    attrs: dict[str, Any] = {
        "__doc__": q.title.get(locale),
        "__module__": __name__,
        "questionnaire": q,
        "locale": locale,
    }
    for question in q.questions.values():
        attrs[question.id] = _field(question, locale)
    name = "".join(part.capitalize() for part in q.id.split("_")) + "Form"
    cls = types.new_class(name, (ScreeningFormMixin, base), exec_body=lambda ns: ns.update(attrs))
    _CLASSES[key] = (q, cast("type[ScreeningForm]", cls))
    return _CLASSES[key][1]


_CLASSES: dict[tuple[int, str, type], tuple[Questionnaire, type[ScreeningForm]]] = {}


def _field(question: Question, locale: str) -> Field:
    """The question's field, from its type's factory: ``StringField(label, ...)`` and so on."""
    validators: list[Any] = []
    if question.required and question.enable_when is None and not question.kind.multiple:
        validators.append(Required())  # not on checkboxes: one box need not be ticked
    common: dict[str, Any] = {
        "label": question.label.get(locale),
        "description": question.help.get(locale) if question.help is not None else "",
        "validators": validators,
    }
    return question.kind.field(question, locale, common)


def _raw_value(field: Field, question: Question) -> Any:
    """The raw answer a field holds: posted strings converted as JSON would carry them."""
    raw_data = getattr(field, "raw_data", None)
    if raw_data is None:  # built without form data: use the field's data
        return question.kind.from_data(field.data)
    return question.kind.posted_answer(raw_data)


def form_data(
    answers: Mapping[str, Any], questionnaire: Questionnaire | None = None
) -> dict[str, Any]:
    """Answers as a form's ``data=`` (yes/no for booleans, dates as `datetime.date`)."""
    q = questionnaire or load_questionnaire()
    return {
        key: q.questions[key].kind.to_data(value)
        for key, value in answers.items()
        if key in q.questions
    }


def to_formdata(
    answers: Mapping[str, Any], questionnaire: Questionnaire | None = None
) -> list[tuple[str, str]]:
    """Answers as the (name, value) pairs a browser would post, e.g. for a ``MultiDict``.

    Each question's type says how its answer is posted; keys that name no question are
    posted as text.
    """
    q = questionnaire or load_questionnaire()
    pairs: list[tuple[str, str]] = []
    for key, value in answers.items():
        question = q.questions.get(key)
        posted = posted_values(value) if question is None else question.kind.to_post(value)
        pairs.extend((key, item) for item in posted)
    return pairs
