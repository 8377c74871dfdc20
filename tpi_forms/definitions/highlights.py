"""Rules that mark a consent risk as mattering more for one patient, read from data files.

``tpi_highlights.toml`` lists rules (a risk id and a condition over the answers and the plan);
``tpi_highlights.<locale>.toml`` gives each rule's reason in words. Loading checks every risk
against the consent definition and every name in a condition against the questionnaire, the
same way the screening rules are checked. `tpi_forms.consent.highlights` applies them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._toml import Node, unique_ids
from .conditions import Condition, Operand, parse_condition
from .consent import ConsentDefinition, load_consent_definition, plan_operands
from .texts import Text, TextCatalog, read_with_words

DEFAULT_HIGHLIGHTS = "tpi_highlights"


@dataclass(frozen=True)
class HighlightRule:
    """One reason a risk matters more for a patient."""

    id: str
    risk: str
    """Id of the consent risk it highlights."""
    when: Condition
    """Over the answers (``question = ...``) and the plan (``plan = ...``)."""
    reason: Text
    """Why, in words addressed to the patient: "You take a blood thinner, so ..."."""
    source: str


@dataclass(frozen=True)
class HighlightRules:
    """The highlight rules of one consent definition."""

    id: str
    consent: str
    rules: tuple[HighlightRule, ...]


def load_highlights(
    path: str | Path | None = None, consent: ConsentDefinition | None = None
) -> HighlightRules:
    """The rules at ``path`` (words beside it), default the shipped ones, checked against
    ``consent`` (default: the shipped consent). Raises `tpi_forms.errors.DefinitionError`."""
    if path is None and consent is None:
        return _default()
    return _load(*read_with_words(path, DEFAULT_HIGHLIGHTS), consent or load_consent_definition())


@functools.cache
def _default() -> HighlightRules:
    return _load(*read_with_words(None, DEFAULT_HIGHLIGHTS), load_consent_definition())


def _load(root: Node, text_files: Mapping[str, Any], consent: ConsentDefinition) -> HighlightRules:
    root.check_keys(["id", "consent", "highlights"])
    texts = TextCatalog.from_entries(root.file, text_files)
    if root.str("consent") != consent.id:
        root.fail(
            f"names consent '{root.str('consent')}' but was loaded with '{consent.id}'", "consent"
        )
    for locale in consent.locales:
        if locale not in texts.locales:
            root.fail(f"has no words in '{locale}', a language of consent '{consent.id}'")
    q = consent.questionnaire
    questions = {
        qid: Operand(
            question.kind.id, tuple(c.id for c in question.choices), question.kind.operators
        )
        for qid, question in q.questions.items()
    }
    plan = plan_operands(q)
    risks = {r.id for r in consent.risks}
    nodes = root.tables("highlights")
    unique_ids(((n, n.str("id")) for n in nodes), "highlight")
    rules = []
    for n in nodes:
        n.check_keys(["id", "risk", "when", "source"])
        risk = n.str("risk")
        if risk not in risks:
            n.fail(f"'{risk}' is no risk of consent '{consent.id}'", "risk")
        if "when" not in n:
            n.fail("needs a condition", "when")
        rules.append(
            HighlightRule(
                id=n.str("id"),
                risk=risk,
                when=parse_condition(n.data["when"], n, "when", questions, plan),
                reason=texts.text("reasons", n.str("id")),
                source=n.str("source"),
            )
        )
    texts.check_all_used()
    return HighlightRules(root.str("id"), consent.id, tuple(rules))
