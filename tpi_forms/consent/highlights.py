"""Which risks of a consent matter more for this patient, and why, in the consent's language.

The consent document already marks risks its plan makes weigh more (collapsed lung with shots
near the chest); `patient_highlights` adds those the patient's answers explain (a blood thinner:
bleeding; diabetes with a steroid: blood sugar), from the rules of
`tpi_forms.definitions.highlights`. The document and its hash do not change: this is how the
tablet points the patient at what matters most to them.

    >>> import datetime as dt
    >>> from tpi_forms.consent.document import build_consent
    >>> from tpi_forms.screening.procedure import PlannedProcedure
    >>> doc = build_consent(PlannedProcedure(sites=("lower_back",)))
    >>> found = patient_highlights(doc, {"takes_blood_thinner": True}, dt.date(2026, 3, 2))
    >>> list(found)
    ['bleeding']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from ..definitions.conditions import evaluate
from ..definitions.highlights import HighlightRules, load_highlights
from .document import ConsentDocument


def patient_highlights(
    document: ConsentDocument,
    answers: Mapping[str, object],
    today: dt.date,
    rules: HighlightRules | None = None,
) -> dict[str, tuple[str, ...]]:
    """Risk id to the reasons it matters more for this patient (the document's own first),
    for the risks of ``document`` only, in document order."""
    rules = rules or load_highlights()
    plan = {
        "sites": list(document.plan.sites),
        "local_anesthetic": document.plan.local_anesthetic,
        "corticosteroid": document.plan.corticosteroid,
    }
    found: dict[str, list[str]] = {}
    for risk in document.risks:
        if risk.highlighted and risk.highlight:
            found.setdefault(risk.id, []).append(risk.highlight)
    shown = {r.id for r in document.risks}
    for rule in rules.rules:
        if rule.risk in shown and evaluate(rule.when, answers, plan, today):
            reason = rule.reason.get(document.locale)
            if reason not in found.setdefault(rule.risk, []):
                found[rule.risk].append(reason)
    order = [r.id for r in document.risks]
    return {rid: tuple(found[rid]) for rid in order if found.get(rid)}
