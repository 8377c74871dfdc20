"""The kiosk's words (the ``kiosk.<locale>.toml`` word set) and the language each page speaks.

Patient pages speak the check-in's language. The start and error pages speak the tablet
session's language: the one picked with ``?lang=<locale>`` (the language switch), set to the
patient's when a check-in moves to the tablet, else the clinic's default language. Staff pages
keep their own choice (``?lang=`` on a staff page), else the clinic's default language: staff
taking the tablet back from a patient read their pages in the clinic's language. The languages
offered are those with kiosk words and a questionnaire, found from the files.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from flask import request, session, url_for

from ..definitions.consent import load_consent_definition
from ..definitions.questionnaire import load_questionnaire
from ..definitions.words import language_name, word_set, words
from ..errors import UnknownLocaleError
from .services import services

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
PATIENT_KEY = "lang"
"""Where the session keeps the language of the start and error pages."""
STAFF_KEY = "staff_lang"
"""Where the session keeps the language of the staff pages."""
STAFF_BLUEPRINTS = ("staff", "staff_users", "staff_review")
"""The blueprints whose pages are staff pages (log-in, check-ins, staff accounts)."""

_WTFORMS_MESSAGES = {
    "This field is required.": "form.required",
    "Not a valid date value.": "form.date",
    "Not a valid choice.": "form.choice",
    "'%(value)s' is not a valid choice for this field.": "form.choice",
    "'%(value)s' are not valid choices for this field.": "form.choice",
    "Field cannot be longer than %(max)d character.": "form.too_long",
    "Field cannot be longer than %(max)d characters.": "form.too_long",
}
"""WTForms' own messages the staff forms can show, and the kiosk words that replace them."""


@functools.cache
def kiosk_locales() -> tuple[str, ...]:
    """The languages a patient can pick: those with kiosk words and a questionnaire."""
    questionnaire = set(load_questionnaire().locales)
    return tuple(loc for loc in word_set("kiosk").locales if loc in questionnaire)


def kiosk_text(locale: str) -> Mapping[str, str]:
    """The kiosk words in ``locale`` (``es_MX``: ``es``); English when the kiosk has none."""
    return words("kiosk", locale, default="en")


def _offered(locale: str) -> str | None:
    try:
        found = word_set("kiosk").resolve(locale)
    except UnknownLocaleError:
        return None
    return found if found in kiosk_locales() else None


def _session_key() -> str:
    return STAFF_KEY if request.blueprint in STAFF_BLUEPRINTS else PATIENT_KEY


def page_locale() -> str:
    """The language of this request's start, staff or error page."""
    chosen = session.get(_session_key())
    if isinstance(chosen, str) and chosen in kiosk_locales():
        return chosen
    default = _offered(services().clinic.default_locale)
    if default is not None:
        return default
    return "en" if "en" in kiosk_locales() else kiosk_locales()[0]


def set_page_locale(locale: str, key: str | None = None) -> None:
    """Make ``locale`` the language of this kind of page (or of ``key``'s) when it is offered.

    A language the kiosk does not offer changes nothing.
    """
    key = key or _session_key()
    found = _offered(locale)
    if found is not None and session.get(key) != found:
        session[key] = found


def page_words() -> Mapping[str, str]:
    """The kiosk words in this request's page language."""
    return kiosk_text(page_locale())


def language_links(endpoint: str | None = None) -> list[dict[str, Any]]:
    """The language switch of this page: the same page in each language, named in its own.

    ``endpoint`` names the page to switch to when it is not this request's own (a page shown
    by an action that takes only POST).
    """
    if endpoint is None:
        endpoint = request.endpoint or "patient.start"
        arguments = dict(request.view_args or {}) if request.endpoint else {}
    else:
        arguments = {}
    current = page_locale()
    return [
        {
            "locale": loc,
            "url": url_for(endpoint, **arguments, lang=loc),
            "name": language_name(loc),
            "current": loc == current,
        }
        for loc in kiosk_locales()
    ]


def medicine_name(medicine: str, locale: str) -> str:
    """A local anaesthetic's name in ``locale``, as the consent names it."""
    found = load_consent_definition().medicines.get(medicine)
    if found is None or locale not in found.name.by_locale:
        return medicine.capitalize()
    return found.name.get(locale)


class FormWords:
    """WTForms' own messages (required, not a date, too long) in the kiosk's words."""

    def __init__(self, t: Mapping[str, str]) -> None:
        self.t = t

    def gettext(self, message: str) -> str:
        key = _WTFORMS_MESSAGES.get(message, "form.invalid")
        # WTForms fills in %(max)d itself: the words' {max} becomes %(max)s.
        return _PLACEHOLDER.sub(r"%(\1)s", self.t[key].replace("%", "%%"))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)
