"""What changed between two versions of a questionnaire or consent definition, as data.

`diff_questionnaires` and `diff_consents` compare two loaded definitions in one language and
list each question, rule, section, risk, medicine and signer added, removed or changed, with the
old and new text side by side and the aspects that changed (wording, severity, condition ...).
``tpi-forms diff`` prints the result in words (`tpi_forms.cli.diff`)::

    >>> from tpi_forms.definitions.released import load_released_consent
    >>> from tpi_forms.definitions.consent import load_consent_definition
    >>> d = diff_consents(load_released_consent("0.1.0"), load_consent_definition(), "en")
    >>> ("section", "reason", "added") in [(c.kind, c.id, c.action) for c in d.changes]
    True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import UnknownLocaleError
from .conditions import Condition, to_data
from .consent import ConsentDefinition
from .questionnaire import Questionnaire
from .texts import Text

KINDS = ("text", "section", "question", "score", "rule", "medicine", "risk_group", "risk", "signer")
"""Kinds of element a change is about, in the order changes are listed."""
ACTIONS = ("added", "removed", "changed")


@dataclass(frozen=True)
class Change:
    """One element added, removed or changed."""

    kind: str
    """One of `KINDS`."""
    id: str
    """The element's id in the definition (``blood_thinner``)."""
    action: str
    """``added``, ``removed`` or ``changed``."""
    aspects: tuple[str, ...]
    """What changed (``wording``, ``severity`` ...); empty for added and removed elements."""
    old: str | None
    """The element's text before (None when added)."""
    new: str | None
    """The element's text after (None when removed)."""
    old_severity: str | None = None
    """A rule's severity before, when it changed or the rule was removed."""
    new_severity: str | None = None
    """A rule's severity after, when it changed or the rule was added."""


@dataclass(frozen=True)
class DefinitionDiff:
    """Every change between two versions of one definition, in one language."""

    kind: str
    """``questionnaire`` or ``consent``."""
    old_id: str
    old_version: str
    new_id: str
    new_version: str
    locale: str
    changes: tuple[Change, ...]

    def count(self, action: str) -> int:
        """How many elements were ``added``, ``removed`` or ``changed``."""
        return sum(1 for c in self.changes if c.action == action)


T = TypeVar("T")


def _get(text: Text | None, locale: str) -> str:
    return "" if text is None else text.get(locale)


def _condition(condition: Condition | None) -> Any:
    return None if condition is None else to_data(condition)


def _compare(
    kind: str,
    old: Mapping[str, T],
    new: Mapping[str, T],
    text: Callable[[T], str],
    aspects: Callable[[T, T], Iterable[str]],
    severity: Callable[[T], str | None] = lambda _: None,
) -> list[Change]:
    changes = []
    for key, item in new.items():
        if key not in old:
            changes.append(Change(kind, key, "added", (), None, text(item), None, severity(item)))
            continue
        before = old[key]
        changed = tuple(dict.fromkeys(aspects(before, item)))
        if changed:
            changes.append(
                Change(
                    kind,
                    key,
                    "changed",
                    changed,
                    text(before),
                    text(item),
                    severity(before) if "severity" in changed else None,
                    severity(item) if "severity" in changed else None,
                )
            )
    for key, item in old.items():
        if key not in new:
            changes.append(Change(kind, key, "removed", (), text(item), None, severity(item)))
    return changes


def _check_locale(locale: str, *definitions: Questionnaire | ConsentDefinition) -> None:
    for definition in definitions:
        if locale not in definition.locales:
            have = ", ".join(definition.locales)
            raise UnknownLocaleError(
                f"{definition.id} {definition.version} has no text in '{locale}' (have: {have})"
            )


def _texts(pairs: Mapping[str, tuple[Text | None, Text | None]], locale: str) -> list[Change]:
    changes = []
    for key, (before, after) in pairs.items():
        old, new = _get(before, locale), _get(after, locale)
        if before is None and after is not None:
            changes.append(Change("text", key, "added", (), None, new))
        elif after is None and before is not None:
            changes.append(Change("text", key, "removed", (), old, None))
        elif old != new:
            changes.append(Change("text", key, "changed", ("wording",), old, new))
    return changes


def diff_questionnaires(old: Questionnaire, new: Questionnaire, locale: str) -> DefinitionDiff:
    """The changes from questionnaire ``old`` to ``new``, with their texts in ``locale``."""
    _check_locale(locale, old, new)

    def question_text(q: Any) -> str:
        help_text = _get(q.help, locale)
        return _get(q.label, locale) + (f" — {help_text}" if help_text else "")

    def question_aspects(a: Any, b: Any) -> Iterable[str]:
        if _get(a.label, locale) != _get(b.label, locale):
            yield "wording"
        if _get(a.help, locale) != _get(b.help, locale):
            yield "help"
        if a.kind.id != b.kind.id:
            yield "type"
        if [(c.id, _get(c.label, locale)) for c in a.choices] != [
            (c.id, _get(c.label, locale)) for c in b.choices
        ] or a.exclusive != b.exclusive:
            yield "choices"
        if a.required != b.required:
            yield "required"
        if _condition(a.enable_when) != _condition(b.enable_when):
            yield "shown_when"
        limits = ("min_items", "min", "max", "max_length", "not_future", "max_age_years")
        if any(getattr(a, f) != getattr(b, f) for f in limits):
            yield "limits"

    def rule_aspects(a: Any, b: Any) -> Iterable[str]:
        if a.severity != b.severity:
            yield "severity"
        if _condition(a.when) != _condition(b.when):
            yield "condition"
        if _get(a.patient_message, locale) != _get(b.patient_message, locale):
            yield "patient_message"
        if _get(a.clinician_rationale, locale) != _get(b.clinician_rationale, locale):
            yield "clinician"
        if a.source != b.source:
            yield "source"
        if a.required_signer != b.required_signer:
            yield "required_signer"

    def section_aspects(a: Any, b: Any) -> Iterable[str]:
        if (_get(a.title, locale), _get(a.intro, locale)) != (
            _get(b.title, locale),
            _get(b.intro, locale),
        ):
            yield "wording"
        if [q.id for q in a.questions] != [q.id for q in b.questions]:
            yield "questions"

    def score_aspects(a: Any, b: Any) -> Iterable[str]:
        if _get(a.label, locale) != _get(b.label, locale):
            yield "wording"
        if (a.method, a.items) != (b.method, b.items):
            yield "condition"

    changes = _texts(
        {"title": (old.title, new.title), "intro": (old.intro, new.intro)},
        locale,
    )
    changes += _compare(
        "section",
        {s.id: s for s in old.sections},
        {s.id: s for s in new.sections},
        lambda s: _get(s.title, locale),
        section_aspects,
    )
    changes += _compare("question", old.questions, new.questions, question_text, question_aspects)
    changes += _compare(
        "score",
        {s.id: s for s in old.scores},
        {s.id: s for s in new.scores},
        lambda s: _get(s.label, locale),
        score_aspects,
    )
    changes += _compare(
        "rule",
        {r.id: r for r in old.rules},
        {r.id: r for r in new.rules},
        lambda r: _get(r.patient_message, locale),
        rule_aspects,
        lambda r: str(r.severity),
    )
    return DefinitionDiff(
        "questionnaire", old.id, old.version, new.id, new.version, locale, tuple(changes)
    )


def diff_consents(old: ConsentDefinition, new: ConsentDefinition, locale: str) -> DefinitionDiff:
    """The changes from consent ``old`` to ``new``, with their texts in ``locale``."""
    _check_locale(locale, old, new)

    def section_aspects(a: Any, b: Any) -> Iterable[str]:
        if (_get(a.title, locale), _get(a.body, locale)) != (
            _get(b.title, locale),
            _get(b.body, locale),
        ):
            yield "wording"
        if _condition(a.when) != _condition(b.when):
            yield "shown_for"

    def risk_text(r: Any) -> str:
        return f"{_get(r.name, locale)}: {_get(r.description, locale)} {_get(r.what_to_do, locale)}"

    def risk_aspects(a: Any, b: Any) -> Iterable[str]:
        if risk_text(a) != risk_text(b):
            yield "wording"
        if a.frequency != b.frequency:
            yield "frequency"
        if a.group != b.group:
            yield "group"
        if _condition(a.when) != _condition(b.when):
            yield "shown_for"
        if _condition(a.highlight_when) != _condition(b.highlight_when) or _get(
            a.highlight, locale
        ) != _get(b.highlight, locale):
            yield "highlight"
        if a.source != b.source:
            yield "source"

    def medicine_aspects(a: Any, b: Any) -> Iterable[str]:
        if (_get(a.name, locale), _get(a.purpose, locale)) != (
            _get(b.name, locale),
            _get(b.purpose, locale),
        ):
            yield "wording"

    def signer_aspects(a: Any, b: Any) -> Iterable[str]:
        if (_get(a.title, locale), _get(a.meaning, locale)) != (
            _get(b.title, locale),
            _get(b.meaning, locale),
        ):
            yield "wording"
        if (a.required, a.alternative_to, [f for f, _ in a.fields]) != (
            b.required,
            b.alternative_to,
            [f for f, _ in b.fields],
        ):
            yield "required"

    texts: dict[str, tuple[Text | None, Text | None]] = {
        "title": (old.title, new.title),
        "intro": (old.intro, new.intro),
        "notice": (old.notice, new.notice),
    }
    for key in dict.fromkeys([*old.labels, *new.labels]):
        texts[f"labels.{key}"] = (old.labels.get(key), new.labels.get(key))
    for key in dict.fromkeys([*old.frequencies, *new.frequencies]):
        texts[f"frequencies.{key}"] = (old.frequencies.get(key), new.frequencies.get(key))
    changes = _texts(texts, locale)
    changes += _compare(
        "section",
        {s.id: s for s in old.sections},
        {s.id: s for s in new.sections},
        lambda s: f"{_get(s.title, locale)}: {' '.join(_get(s.body, locale).split())}",
        section_aspects,
    )
    changes += _compare(
        "medicine",
        old.medicines,
        new.medicines,
        lambda m: f"{_get(m.name, locale)}: {_get(m.purpose, locale)}",
        medicine_aspects,
    )
    changes += _compare(
        "risk_group",
        {g.id: g for g in old.risk_groups},
        {g.id: g for g in new.risk_groups},
        lambda g: _get(g.title, locale),
        lambda a, b: ["wording"] if _get(a.title, locale) != _get(b.title, locale) else [],
    )
    changes += _compare(
        "risk", {r.id: r for r in old.risks}, {r.id: r for r in new.risks}, risk_text, risk_aspects
    )
    changes += _compare(
        "signer",
        {s.id: s for s in old.signers},
        {s.id: s for s in new.signers},
        lambda s: f"{_get(s.title, locale)}: {_get(s.meaning, locale)}",
        signer_aspects,
    )
    return DefinitionDiff(
        "consent", old.id, old.version, new.id, new.version, locale, tuple(changes)
    )
