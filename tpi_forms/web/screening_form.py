"""`ScreeningForm`: what a form class from `build_form_class` is, for type checkers.

The classes are made at run time, one per questionnaire and locale, with one WTForms field per
question. This protocol names what they all have, so code that takes or makes one can say so:

>>> from tpi_forms import ScreeningForm, build_form_class
>>> form_class: type[ScreeningForm] = build_form_class(locale="en")
>>> form = form_class()
>>> form["pain_score"].label.text
'How bad is your pain right now?'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

from wtforms.fields.core import Field

from ..definitions.questionnaire import Question, Questionnaire, Section
from ..definitions.texts import Text
from ..json_types import JsonObject


@dataclass(frozen=True)
class FormSection:
    """One section of a bound form, ready for a template."""

    id: str
    """The section id from the definition."""
    title: str
    """Title in the form's locale."""
    intro: str | None
    """Introduction in the form's locale, if any."""
    fields: tuple[Field, ...]
    """The bound fields of its questions, in order."""


class FormData(Protocol):
    """Posted data as WTForms reads it, e.g. a ``werkzeug`` ``MultiDict`` or Flask's
    ``request.form``."""

    def __iter__(self) -> Iterator[str]: ...
    def __len__(self) -> int: ...
    def __contains__(self, key: object, /) -> bool: ...
    def getlist(self, key: str, /) -> list[str]: ...


class ScreeningForm(Protocol):
    """A screening form: a WTForms form with one field per question, named by question id.

    Fields are reached as attributes (``form.pain_score``) or by name (``form["pain_score"]``).
    Validation runs `tpi_forms.validate_answers`, so the form accepts exactly what the JSON path
    does. A Flask-WTF base adds its own members (``validate_on_submit``), which this protocol
    does not name.
    """

    questionnaire: ClassVar[Questionnaire]
    """The definition the form was built from."""
    locale: ClassVar[str]
    """The language of labels, help and error messages."""
    as_of: dt.date | None
    """Day of screening for date checks; None means today."""
    form_errors: list[str]
    """Errors of the form as a whole (WTForms)."""
    _fields: dict[str, Field]
    """Every bound field by name, questions and others (e.g. a CSRF token), as in WTForms."""

    def __init__(
        self,
        formdata: FormData | None = None,
        obj: object | None = None,
        prefix: str = "",
        data: Mapping[str, object] | None = None,
        meta: Mapping[str, object] | None = None,
        **kwargs: object,
    ) -> None: ...
    def __getattr__(self, name: str) -> Field:
        """The field of question ``name`` (and of any other field the class declares)."""
        ...

    @property
    def data(self) -> Mapping[str, object]:
        """Every field's data by name (WTForms)."""
        ...

    @property
    def errors(self) -> Mapping[str | None, Sequence[str]]:
        """Every field's errors by name, and the form's own under None (WTForms)."""
        ...

    def __iter__(self) -> Iterator[Field]: ...
    def __contains__(self, name: str) -> bool: ...
    def __getitem__(self, name: str) -> Field: ...
    def question(self, name: str) -> Question:
        """The question behind field ``name``."""
        ...

    def text(self, text: Text | None) -> str | None:
        """A definition text in the form's locale (None stays None)."""
        ...

    def sections(self) -> list[FormSection]:
        """The sections in order, each with its bound fields."""
        ...

    def section_of(self, name: str) -> Section:
        """The section that asks question ``name``."""
        ...

    def enable_when(self, name: str) -> JsonObject | None:
        """The condition under which question ``name`` is asked, as JSON-native data."""
        ...

    def enable_when_json(self, name: str) -> str | None:
        """`enable_when` as compact JSON."""
        ...

    def is_enabled(self, name: str) -> bool:
        """Whether question ``name`` is asked given the data now in the form."""
        ...

    def raw_answers(self) -> JsonObject:
        """The form's data as raw answers (before validation), keyed by question id."""
        ...

    def answers(self) -> JsonObject:
        """The validated answers; raises `AnswersError` when the data is not valid."""
        ...

    def validate(self, extra_validators: Mapping[str, Sequence[object]] | None = None) -> bool:
        """WTForms' checks (CSRF, extra and inline validators), then the answers'."""
        ...
