"""The staff pages' forms: labels and messages are kiosk words in the staff page's language.

Each form names the ``kiosk.<locale>.toml`` table of its labels (``labels``); WTForms' own
messages (required, too long, not a date) come through `FormWords`.
"""

from __future__ import annotations

from typing import Any

import wtforms.fields.choices
from flask_wtf import FlaskForm  # type: ignore[import-untyped]
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from ..definitions.questionnaire import load_questionnaire
from ..definitions.words import language_name
from .accounts import MAX_PIN_LENGTH, StaffUser
from .services import services
from .text import FormWords, kiosk_locales, medicine_name, page_locale, page_words

# WTForms 3.3 deprecates (value, label) tuples as choices in favour of SelectChoice.
_SELECT_CHOICE: Any = getattr(wtforms.fields.choices, "SelectChoice", None)


def choices(pairs: Any) -> list[Any]:
    """Choices for a select field, in the form this WTForms version prefers."""
    if _SELECT_CHOICE is None:
        return list(pairs)
    return [_SELECT_CHOICE(value, label) for value, label in pairs]


NO_AUTOFILL = {"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}


class KioskForm(FlaskForm):  # type: ignore[misc]
    """A staff form whose labels and messages are the kiosk's words in the page's language.

    Each field's label is the word ``<labels>.<field name>``.
    """

    labels = ""
    """The section of ``kiosk.<locale>.toml`` holding this form's labels."""

    class Meta:
        def get_translations(self, form: Any) -> FormWords:
            return FormWords(page_words())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        t = page_words()
        for field in self:
            key = f"{self.labels}.{field.name}"
            if key in t:
                field.label.text = t[key]


class LoginForm(KioskForm):
    """Who is logging in (a list of the active accounts' names) and their PIN or password."""

    labels = "staff"
    account = SelectField(validators=[InputRequired()])
    pin = PasswordField(
        validators=[DataRequired(), Length(max=MAX_PIN_LENGTH)],
        render_kw={"autocomplete": "off", "inputmode": "numeric"},
    )

    def __init__(self, users: list[StaffUser], *, setup: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if setup:  # no accounts yet: the shared PIN alone opens the first-account page
            del self.account
            return
        choose = page_words()["staff.account_choose"]
        self.account.choices = choices([("", choose), *((u.id, u.display_name) for u in users)])


class MultiCheckboxField(SelectMultipleField):
    """Several choices as check boxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _not_future(form: FlaskForm, field: DateField) -> None:
    if field.data is not None and field.data > services().today():
        raise ValidationError(page_words()["new.future"])


class CheckInForm(KioskForm):
    """A new check-in: who the patient is and what is planned."""

    labels = "new"
    name = StringField(validators=[InputRequired(), Length(max=120)], render_kw=NO_AUTOFILL)
    date_of_birth = DateField(validators=[InputRequired(), _not_future], render_kw=NO_AUTOFILL)
    sites = MultiCheckboxField()
    local_anesthetic = SelectField()
    corticosteroid = BooleanField()
    locale = SelectField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        q = load_questionnaire()
        here = page_locale()
        self.sites.choices = choices((c.id, c.label.get(here)) for c in q.plan.sites)
        self.local_anesthetic.choices = choices(
            (m, medicine_name(m, here)) for m in q.plan.local_anesthetics
        )
        self.locale.choices = choices((loc, language_name(loc)) for loc in kiosk_locales())
        if not self.is_submitted():
            self.locale.data = here
