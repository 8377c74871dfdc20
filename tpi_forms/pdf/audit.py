"""Audit events in words: the record keeps ids, the page prints what they mean.

The record stores ``consent_time_on_page`` with ``{"seconds": 184}``; the packet prints
"Consent read for 3 min 4 s". The words are the ``events``, ``details``, ``values`` and ``who``
tables of ``packet.<locale>.toml``. An event or detail the words do not know still prints in
words (its id with spaces, capitalised), never as a raw id. A staff action names its person
(details ``by``, ``by_name``, ``role``): the account id stays in the record, the page prints
the name and role.

>>> from tpi_forms.definitions.words import words
>>> describe_event("consent_time_on_page", {"seconds": 184}, words("packet", "en")).what
'Consent read for 3 min 4 s'
>>> who = {"by": "u7Kq", "by_name": "Sam Lee, MD", "role": "clinician"}
>>> describe_event("kiosk_cleared", who, words("packet", "en")).what
'Cleared for consent by Sam Lee, MD (clinician)'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..definitions.words import placeholders_of
from ..i18n import format_list

_ID = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")
"""A value that is an id (``go_ahead``): printed as words, never as it is."""
DOER = ("by", "by_name", "role")
"""The details naming the person who did a staff action: account id, name, role."""


@dataclass(frozen=True)
class EventWords:
    """One audit event as a person reads it."""

    what: str
    """What happened, e.g. "Consent read for 3 min 4 s"."""
    detail: str
    """The event's other details as "label: value", joined by "; " (empty when none)."""


def describe_event(
    event: str,
    detail: Mapping[str, str | int],
    t: Mapping[str, str],
    consent: Mapping[str, Any] | None = None,
    device: str | None = None,
) -> EventWords:
    """``event`` and its ``detail`` in the words ``t`` (a ``packet`` word set's language).

    :param consent: the consent of the record, whose section titles and risk names replace
        the ids in ``section_viewed`` and ``risks_acknowledged``.
    :param device: a device to name after the details (when not the record's own).
    """
    phrase = t.get(f"events.{event}")
    named: set[str] = set()
    if phrase is not None:
        named = placeholders_of(phrase) or set()
    locale = str((consent or {}).get("locale") or "en")
    if phrase is None:
        what = humanise(event)
    else:
        what = phrase.format(
            **{key: value_words(key, detail.get(key), t, consent, locale) for key in named}
        )
    if "by_name" in detail:  # the doer is named in words; the account id stays in the record
        if "by_name" not in named:
            what = done_by(what, detail, t)
        named |= set(DOER)
    parts = []
    for key, value in detail.items():
        if key not in named:
            label = t.get(f"details.{key}") or humanise(key)
            parts.append(f"{label}: {value_words(key, value, t, consent, locale)}")
    if device:
        parts.append(f"{t['details.device']}: {device}")
    return EventWords(what, "; ".join(parts))


def done_by(what: str, detail: Mapping[str, str | int], t: Mapping[str, str]) -> str:
    """``what`` followed by who did it: "Cleared for consent by Sam Lee, MD (clinician)".

    The role is named when the words know it (a staff account's role).
    """
    name = str(detail["by_name"])
    role = t.get(f"values.role.{detail.get('role')}")
    if role is None:
        return t["who.by"].format(what=what, name=name)
    return t["who.by_role"].format(what=what, name=name, role=role)


def value_words(
    key: str,
    value: str | int | None,
    t: Mapping[str, str],
    consent: Mapping[str, Any] | None = None,
    locale: str = "en",
) -> str:
    """One detail value in words: durations, roles, sections, listed values and ids are worded;
    any other value (a device name, a hash) prints as recorded."""
    if value is None:
        return t.get(f"values.{key}.not_recorded") or t["values.not_recorded"]
    if key == "seconds" and isinstance(value, int):
        return duration(value, t)
    text = str(value)
    slug = text.strip().lower().replace(" ", "_")
    listed = t.get(f"values.{key}.{slug}")
    if listed is not None:
        return listed
    if key == "role" and consent is not None:
        return _title_of(consent, "signer_roles", "title", text)
    if key in ("role", "method", "status"):
        return t.get(f"{key}_{text}") or humanise(text)
    if key == "section":
        return _title_of(consent, "sections", "title", text)
    if key == "group":
        return _title_of(consent, "risk_groups", "title", text)
    if key == "risks":
        names = [_title_of(consent, "risks", "name", r) for r in text.split()]
        return format_list(names, locale) if names else text
    return humanise(text) if _ID.fullmatch(text) else text


def duration(seconds: int, t: Mapping[str, str]) -> str:
    """Seconds as minutes and seconds: 184 → "3 min 4 s"."""
    minutes, rest = divmod(max(0, seconds), 60)
    if minutes:
        return t["values.minutes_seconds"].format(minutes=minutes, seconds=rest)
    return t["values.only_seconds"].format(seconds=rest)


def humanise(ident: str) -> str:
    """An id no words were given for, written as words: ``custom_step`` → "Custom step"."""
    words = " ".join(ident.replace("_", " ").replace("-", " ").split())
    return words[:1].upper() + words[1:] if words else ident


def _title_of(consent: Mapping[str, Any] | None, part: str, field: str, ident: str) -> str:
    for item in (consent or {}).get(part, ()):
        if isinstance(item, Mapping) and item.get("id") == ident and item.get(field):
            return str(item[field])
    return humanise(ident)
