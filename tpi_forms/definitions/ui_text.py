"""Words of the HTML forms (buttons, steps, errors, signature pad), one TOML file per language.

The files are ``definitions/ui.<locale>.toml``, a word set of `tpi_forms.definitions.words`.
Every key the templates use (`UI_KEYS`) must be in every file, and no file may hold a key
nobody uses; adding a language is adding a file.

>>> ui_text("es")["buttons.next"]
'Siguiente'
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .texts import Text
from .words import WordSet, load_words

VALIDATION_KEYS = (
    "object",
    "unknown",
    "required",
    "string",
    "hidden",
    "too_long",
    "integer",
    "range",
    "boolean",
    "date",
    "future",
    "too_old",
    "choice",
    "choices",
    "exclusive",
    "min_items",
    "too_many",
)
"""Messages when an answer breaks a rule (``validation.<key>``); they never repeat the answer."""

CONSENT_PAGE_KEYS = (
    "progress",
    "nav_label",
    "text_size",
    "size_normal",
    "size_large",
    "size_xlarge",
    "summary_title",
    "risks_intro",
    "ack",
    "acked",
    "matters_more",
    "quiz_title",
    "quiz_intro",
    "quiz_choices",
    "right",
    "not_quite",
    "right_answer",
    "read_again",
    "try_again",
    "missed",
    "sign_intro",
    "not_done",
)
"""Words of the consent read part by part, with its understanding check
(``consent_pages.<key>``)."""

UI_KEYS: tuple[str, ...] = (
    "buttons.next",
    "buttons.back",
    "buttons.submit",
    "buttons.submit_consent",
    "answers.yes",
    "answers.no",
    "answers.required",
    "answers.optional",
    "steps.progress",
    "steps.language",
    "errors.summary_title",
    "errors.summary_intro",
    "errors.prefix",
    "errors.risk_ack",
    "errors.esign_consent",
    "errors.signature_required",
    "errors.signer_role",
    "errors.required_signer",
    "errors.signer_field",
    "errors.printed_name",
    "errors.name_hidden",
    "errors.blank",
    "errors.faint",
    "errors.unreadable",
    "errors.typed_name",
    "errors.typed_intent",
    "errors.consent_changed",
    "errors.not_reviewed",
    "signature.method_legend",
    "signature.method_drawn",
    "signature.method_typed",
    "signature.printed_name",
    "signature.who",
    "signature.pad_label",
    "signature.pad_help",
    "signature.undo",
    "signature.clear",
    "signature.status_empty",
    "signature.status_one",
    "signature.status_many",
    "signature.typed_help",
    "signature.intent",
    "signature.meaning",
    "signature.optional_help",
    "signature.required_signer",
    "consent.read_title",
    "consent.scroll_help",
    "consent.text_label",
    "consent.end",
    "consent.gate",
    "consent.sign_title",
    "consent.risks_title",
    "consent.risk_ack",
    "consent.esign",
    "read_aloud.listen",
    "read_aloud.stop",
    *(f"validation.{key}" for key in VALIDATION_KEYS),
    *(f"consent_pages.{key}" for key in CONSENT_PAGE_KEYS),
)
"""Every key the shipped templates and `tpi_forms.consent.signing` look up."""


def load_ui_texts(folder: Path | Any | None = None) -> dict[str, Text]:
    """Read ``ui.<locale>.toml`` from ``folder`` (default: the shipped one), checked complete.

    The word set must hold exactly `UI_KEYS`. Raises `DefinitionError` naming the file and key
    when a language lacks a key or has a stray.
    """
    found = load_words("ui", folder, keys=UI_KEYS)
    return {key: found.text(key) for key in UI_KEYS}


@functools.cache
def _shipped() -> WordSet:
    return load_words("ui", keys=UI_KEYS)


def ui_locales() -> tuple[str, ...]:
    """The languages the shipped UI text covers: one for each ``ui.<locale>.toml``."""
    return _shipped().locales


def ui_text(locale: str) -> Mapping[str, str]:
    """The UI words in ``locale``, keyed ``section.name`` (``es_MX`` falls back to ``es``).

    `UnknownLocaleError` when no file serves the locale.
    """
    return _shipped().words(locale)
