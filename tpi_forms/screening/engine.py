"""The screening engine: validated answers and a planned procedure in, an explained status out.

Every rule lives in the definition file; this module only evaluates them in order. Each finding
names the rule, the answers and plan fields its condition read, and the source it rests on.

>>> from tpi_forms.screening.scenarios import example_answers
>>> import datetime as dt
>>> screen(example_answers("review"), today=dt.date(2026, 11, 24)).status
'review'
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, cast

from .. import clock
from ..definitions.conditions import evaluate, referenced
from ..definitions.questionnaire import Questionnaire, load_questionnaire
from ..errors import RecordError
from ..json_types import JsonObject, JsonValue
from .answers import compute_scores, validate_answers
from .procedure import PlannedProcedure

STATUSES = ("clear", "review", "contraindicated")
"""Screening statuses, from least to most serious."""


@dataclass(frozen=True)
class Finding:
    """One rule whose condition held, explained in the requested language."""

    rule_id: str
    """The rule's id in the definition."""
    severity: str
    """``contraindicated``, ``review`` or ``info``."""
    patient_message: str
    """What the patient is told, in plain words."""
    clinician_rationale: str
    """Why the rule exists and what to check, for the clinician."""
    triggers: tuple[tuple[str, JsonValue], ...]
    """(question id, answer) pairs the condition read that were answered; lists as tuples."""
    plan_fields: tuple[tuple[str, JsonValue], ...]
    """(plan field, value) pairs the condition read, e.g. ``("corticosteroid", True)``."""
    source: str
    """The guideline or paper the rule rests on."""
    required_signer: str | None = None
    """The consent signer role that must sign because of this finding (the rule's)."""

    def to_dict(self) -> JsonObject:
        """JSON-native form: triggers and plan fields as objects keyed by name."""
        return {
            "rule_id": self.rule_id,
            "severity": self.severity,
            "patient_message": self.patient_message,
            "clinician_rationale": self.clinician_rationale,
            "triggers": {name: _json_value(value) for name, value in self.triggers},
            "plan_fields": {name: _json_value(value) for name, value in self.plan_fields},
            "source": self.source,
            # Only when the rule names one, so other findings keep their 0.1 shape.
            **({"required_signer": self.required_signer} if self.required_signer else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, JsonValue]) -> Finding:
        """A finding from its `to_dict` form (lists become tuples, as `screen` makes them)."""
        raw: Any = data  # checked by the dataclass and by ScreeningResult.from_dict's except
        return cls(
            rule_id=raw["rule_id"],
            severity=raw["severity"],
            patient_message=raw["patient_message"],
            clinician_rationale=raw["clinician_rationale"],
            triggers=tuple((k, _frozen(v)) for k, v in raw["triggers"].items()),
            plan_fields=tuple((k, _frozen(v)) for k, v in raw["plan_fields"].items()),
            source=raw["source"],
            required_signer=raw.get("required_signer"),
        )


@dataclass(frozen=True)
class ScreeningResult:
    """The outcome of screening one patient's answers for one planned procedure."""

    status: str
    """``contraindicated`` if any finding is, else ``review`` if any is, else ``clear``."""
    findings: tuple[Finding, ...]
    """Findings in the definition's rule order (``info`` findings included)."""
    questionnaire_id: str
    """Id of the definition screened against."""
    questionnaire_version: str
    """Version of that definition."""
    locale: str
    """Language of the messages."""
    as_of: dt.date
    """The day of screening (``within_days`` conditions count from it)."""
    procedure: PlannedProcedure
    """The planned procedure, with its sites resolved (the pain sites when the plan named none)."""
    sites_from_answers: bool
    """True when the planned sites were taken from the patient's pain sites."""
    scores: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    """Scores computed from the answers, e.g. ``{"peg": 4.67}``."""

    def findings_of(self, severity: str) -> tuple[Finding, ...]:
        """The findings of one severity."""
        return tuple(f for f in self.findings if f.severity == severity)

    def to_dict(self) -> JsonObject:
        """JSON-native form of the result."""
        return {
            "status": self.status,
            "findings": [f.to_dict() for f in self.findings],
            "questionnaire": {"id": self.questionnaire_id, "version": self.questionnaire_version},
            "locale": self.locale,
            "as_of": self.as_of.isoformat(),
            "procedure": {
                "sites": list(self.procedure.sites or ()),
                "sites_from_answers": self.sites_from_answers,
                "local_anesthetic": self.procedure.local_anesthetic,
                "corticosteroid": self.procedure.corticosteroid,
                # Only when planned, so results of other plans keep their 0.1 shape.
                **({"botulinum_toxin": True} if self.procedure.botulinum_toxin else {}),
            },
            "scores": dict(self.scores),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """Deterministic JSON (sorted keys, UTF-8 text kept readable)."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, JsonValue]) -> ScreeningResult:
        """A result from its `to_dict` form, e.g. a record's; `RecordError` when it is not one."""
        raw: Any = data
        try:
            plan = raw["procedure"]
            return cls(
                status=raw["status"],
                findings=tuple(Finding.from_dict(f) for f in raw["findings"]),
                questionnaire_id=raw["questionnaire"]["id"],
                questionnaire_version=raw["questionnaire"]["version"],
                locale=raw["locale"],
                as_of=dt.date.fromisoformat(raw["as_of"]),
                procedure=PlannedProcedure(
                    sites=tuple(plan["sites"]),
                    local_anesthetic=plan["local_anesthetic"],
                    corticosteroid=plan["corticosteroid"],
                    botulinum_toxin=bool(plan.get("botulinum_toxin", False)),
                ),
                sites_from_answers=plan["sites_from_answers"],
                scores=MappingProxyType({k: float(v) for k, v in raw["scores"].items()}),
            )
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise RecordError(
                f"screening result is missing a field or has a wrong type ({exc!r:.60})"
            ) from None


def screen(
    answers: Mapping[str, object],
    procedure: PlannedProcedure | None = None,
    *,
    questionnaire: Questionnaire | None = None,
    locale: str = "en",
    today: dt.date | None = None,
) -> ScreeningResult:
    """Validate ``answers`` and screen them for ``procedure`` (default: lidocaine, no steroid).

    Raises `AnswersError` for invalid answers (never a result), `ProcedureError` for a plan the
    definition does not know, and `UnknownLocaleError` for a language it lacks.
    """
    q = questionnaire or load_questionnaire()
    today = today or clock.today(None)
    procedure = procedure or PlannedProcedure()
    q.title.get(locale)  # refuse an unknown locale before any work
    valid = validate_answers(answers, q, today=today, locale=locale)
    procedure.check(q)
    plan = procedure.as_values(valid, q)
    findings = []
    for rule in q.rules:
        if not evaluate(rule.when, valid, plan, today):
            continue
        triggers = tuple(
            (qid, _frozen(valid[qid])) for qid in referenced(rule.when, "question") if qid in valid
        )
        plan_fields = tuple((name, _frozen(plan[name])) for name in referenced(rule.when, "plan"))
        findings.append(
            Finding(
                rule_id=rule.id,
                severity=rule.severity,
                patient_message=rule.patient_message.get(locale),
                clinician_rationale=rule.clinician_rationale.get(locale),
                triggers=triggers,
                plan_fields=plan_fields,
                source=rule.source,
                required_signer=rule.required_signer,
            )
        )
    severities = {f.severity for f in findings}
    status = (
        "contraindicated"
        if "contraindicated" in severities
        else "review"
        if "review" in severities
        else "clear"
    )
    resolved = PlannedProcedure(
        sites=procedure.resolved_sites(valid, q),
        local_anesthetic=procedure.local_anesthetic,
        corticosteroid=procedure.corticosteroid,
        botulinum_toxin=procedure.botulinum_toxin,
    )
    return ScreeningResult(
        status=status,
        findings=tuple(findings),
        questionnaire_id=q.id,
        questionnaire_version=q.version,
        locale=locale,
        as_of=today,
        procedure=resolved,
        sites_from_answers=procedure.sites is None,
        scores=MappingProxyType(compute_scores(valid, q)),
    )


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list | tuple) else value


def _json_value(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def finding_reasons(
    finding: Finding | Mapping[str, JsonValue],
    questionnaire: Questionnaire | None = None,
    locale: str = "en",
) -> list[str]:
    """The answers behind a finding in words, e.g. ``["Do you take a blood thinner? Yes"]``.

    ``finding`` is a `Finding` or its ``to_dict()`` form (as stored in records).
    """
    q = questionnaire or load_questionnaire()
    triggers = finding.triggers if isinstance(finding, Finding) else finding.get("triggers") or {}
    reasons = []
    for question_id, value in dict(cast(Mapping[str, JsonValue], triggers)).items():
        question = q.questions.get(question_id)
        if question is None:
            reasons.append(f"{question_id}: {value}")
        else:
            reasons.append(f"{question.label.get(locale)} {question.in_words(value, locale)}")
    return reasons
