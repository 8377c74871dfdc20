"""The forms of the clinician's review and of the signatures after the patient's, in the staff
page's words (`.staff_forms.KioskForm`)."""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, ValidationError

from .._text import hidden_character
from ..definitions.questionnaire import load_questionnaire
from ..record.model import MAX_NAME
from .accounts import MAX_PIN_LENGTH
from .review_store import MAX_NOTE, OUTCOMES
from .staff_forms import NO_AUTOFILL, KioskForm, MultiCheckboxField, choices
from .text import medicine_name, page_locale, page_words


class DecisionForm(KioskForm):
    """A clinician's decision: the outcome, a note, and the changed plan when there is one."""

    labels = "review"
    screening = HiddenField()
    outcome = RadioField()
    note = TextAreaField(render_kw={"rows": 4, **NO_AUTOFILL})
    sites = MultiCheckboxField()
    local_anesthetic = SelectField(validate_choice=False)
    corticosteroid = BooleanField()

    def __init__(self, plan: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        t = page_words()
        here = page_locale()
        q = load_questionnaire()
        self.outcome.choices = choices((o, t[f"review.outcome_{o}"]) for o in OUTCOMES)
        self.outcome.validators = [InputRequired(t["review.outcome_missing"])]
        self.note.validators = [Length(max=MAX_NOTE)]
        self.sites.choices = choices((c.id, c.label.get(here)) for c in q.plan.sites)
        self.local_anesthetic.choices = choices(
            (m, medicine_name(m, here)) for m in q.plan.local_anesthetics
        )
        if plan and not self.is_submitted():
            self.sites.data = list(plan.get("sites") or [])
            self.local_anesthetic.data = plan.get("local_anesthetic") or "lidocaine"
            self.corticosteroid.data = bool(plan.get("corticosteroid"))

    def validate_note(self, field: TextAreaField) -> None:
        t = page_words()
        note = (field.data or "").strip()
        if hidden_character(note, multiline=True):
            raise ValidationError(t["review.note_bad"])
        if self.outcome.data in ("proceed_with_changes", "no_procedure") and not note:
            raise ValidationError(t["review.note_missing"])

    def validate_local_anesthetic(self, field: SelectField) -> None:
        if self.outcome.data != "proceed_with_changes":
            return
        if field.data not in load_questionnaire().plan.local_anesthetics:
            raise ValidationError(page_words()["form.choice"])

    def changed_plan(self) -> dict[str, Any] | None:
        """The changed plan, for a ``proceed_with_changes`` decision."""
        if self.outcome.data != "proceed_with_changes":
            return None
        return {
            "sites": list(self.sites.data or []) or None,
            "local_anesthetic": self.local_anesthetic.data,
            "corticosteroid": bool(self.corticosteroid.data),
        }


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


class SignForm(KioskForm):
    """A signature after the patient's: the signer's own PIN (practitioner, witness) or the
    interpreter's name or ID and language, and the tick that it is meant as a signature."""

    labels = "sign"
    submission_token = HiddenField()
    pin = PasswordField(render_kw={"autocomplete": "off", "inputmode": "numeric"})
    name = StringField(render_kw=NO_AUTOFILL)
    interpreter_id = StringField(render_kw=NO_AUTOFILL)
    language = StringField(render_kw=NO_AUTOFILL)
    intent = BooleanField()

    def __init__(self, role: str, *, asks_id: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        t = page_words()
        self.role = role
        if role == "interpreter":
            del self.pin
            if not asks_id:  # the consent's interpreter role has no ID field
                del self.interpreter_id
            self.name.validators = [InputRequired(t["sign.name_missing"]), Length(max=MAX_NAME)]
            self.language.validators = [
                InputRequired(t["sign.language_missing"]),
                Length(max=MAX_NAME),
            ]
            if asks_id:
                self.interpreter_id.validators = [Length(max=MAX_NAME)]
        else:
            del self.name, self.interpreter_id, self.language
            self.pin.validators = [InputRequired(t["sign.pin_missing"]), Length(max=MAX_PIN_LENGTH)]

    def validate_intent(self, field: BooleanField) -> None:
        if not field.data:
            raise ValidationError(page_words()["sign.intent_missing"])

    def _text(self, field: StringField) -> None:
        if hidden_character(field.data or ""):
            raise ValidationError(page_words()["sign.text_bad"])

    def validate_name(self, field: StringField) -> None:
        self._text(field)

    def validate_language(self, field: StringField) -> None:
        self._text(field)

    def validate_interpreter_id(self, field: StringField) -> None:
        self._text(field)

    def value(self, name: str) -> str:
        """A text field's value, single-spaced ("" for a field the form does not have)."""
        found = getattr(self, name, None)
        return "" if found is None else _clean(found.data)
