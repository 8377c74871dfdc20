"""Questionnaire conditions as FHIR ``enableWhen`` lists, or as FHIRPath where those fall short.

FHIR R4 ``enableWhen`` is one flat list of comparisons joined by ``enableBehavior`` (``all`` or
``any``). A condition that fits that shape, after negations are pushed down to the comparisons
(De Morgan), becomes ``enableWhen``; any other (``within_days``, ``subset_of``, an ``any`` inside
an ``all``, ...) becomes a FHIRPath expression for the SDC ``enableWhenExpression`` extension.

The R4 operators read: ``=``, ``>``, ``<``, ``>=``, ``<=``: *at least one* answer compares true;
``!=``: *no* answer equals the value (so it is true when unanswered); ``exists``: whether there
is an answer. Our leaves are false when unanswered (except ``answered = false``), so
``not_equals`` maps to ``exists = true`` *and* ``!=``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..definitions.conditions import AllOf, AnyOf, Comparison, Condition, Not
from ..definitions.questionnaire import Question

Behavior = Literal["all", "any"]

_Atom = tuple[str, Any]  # (FHIR operator, value)
_FLIP = {">=": "<", "<=": ">", "<": ">=", ">": "<="}
_ORDER_OPS = {"at_least": ">=", "at_most": "<=", "less_than": "<", "greater_than": ">"}


@dataclass(frozen=True)
class EnableWhen:
    """An ``enableWhen`` list and the ``enableBehavior`` that joins it (None for one entry)."""

    atoms: tuple[tuple[str, str, Any], ...]
    """(question id, FHIR operator, value) triples."""
    behavior: Behavior | None
    """``all`` or ``any``; None when there is a single comparison."""


def _leaf(comparison: Comparison, negate: bool) -> tuple[Behavior | None, list[_Atom]] | None:
    op, value = comparison.op, comparison.value
    if op == "answered":
        return None, [("exists", value != negate)]
    if op in ("equals", "includes"):
        return (None, [("!=", value)]) if negate else (None, [("=", value)])
    if op in ("not_equals", "excludes"):
        if negate:
            return "any", [("exists", False), ("=", value)]
        return "all", [("exists", True), ("!=", value)]
    if op in ("in", "includes_any"):
        if negate:
            return "all", [("!=", v) for v in value]
        return "any", [("=", v) for v in value]
    if op in _ORDER_OPS:
        fhir_op = _ORDER_OPS[op]
        if negate:
            return "any", [("exists", False), (_FLIP[fhir_op], value)]
        return None, [(fhir_op, value)]
    return None  # within_days (relative to today) and subset_of have no enableWhen form


def _translate(
    condition: Condition, negate: bool
) -> tuple[Behavior | None, list[tuple[str, str, Any]]] | None:
    if isinstance(condition, Not):
        return _translate(condition.part, not negate)
    if isinstance(condition, AllOf | AnyOf):
        behavior: Behavior = "all" if isinstance(condition, AllOf) != negate else "any"
        atoms: list[tuple[str, str, Any]] = []
        for part in condition.parts:
            found = _translate(part, negate)
            if found is None or found[0] not in (None, behavior):
                return None
            atoms.extend(found[1])
        return (behavior if len(atoms) > 1 else None), atoms
    if condition.source != "question":
        return None
    leaf = _leaf(condition, negate)
    if leaf is None:
        return None
    leaf_behavior, leaf_atoms = leaf
    triples = [(condition.name, fhir_op, v) for fhir_op, v in leaf_atoms]
    return (leaf_behavior if len(triples) > 1 else None), triples


def to_enable_when(condition: Condition) -> EnableWhen | None:
    """The condition as one ``enableWhen`` list, or None when FHIR R4 cannot express it."""
    found = _translate(condition, False)
    if found is None:
        return None
    return EnableWhen(tuple(found[1]), found[0])


def enable_when_json(
    enable_when: EnableWhen,
    questions: Mapping[str, Question],
    coding: Callable[[Question, str], dict[str, str]],
) -> list[dict[str, Any]]:
    """The ``enableWhen`` array; ``coding(question, choice_id)`` builds answer codings."""
    result = []
    for qid, fhir_op, value in enable_when.atoms:
        entry: dict[str, Any] = {"question": qid, "operator": fhir_op}
        question = questions[qid]
        value_key = question.kind.fhir_value  # valueString ... -> answerString ...
        if fhir_op == "exists":
            entry["answerBoolean"] = value
        elif value_key == "valueCoding":
            entry["answerCoding"] = coding(question, value)
        else:
            entry["answer" + value_key.removeprefix("value")] = value
        result.append(entry)
    return result


# --- FHIRPath, for the SDC enableWhenExpression extension -----------------------------------


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    escaped = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def _answers(qid: str) -> str:
    return f"%resource.repeat(item).where(linkId = {_literal(qid)}).answer"


def to_fhirpath(condition: Condition, questions: Mapping[str, Question]) -> str:
    """The condition as a FHIRPath boolean over the QuestionnaireResponse (``%resource``)."""
    if isinstance(condition, Not):
        return f"({to_fhirpath(condition.part, questions)}).not()"
    if isinstance(condition, AllOf | AnyOf):
        joiner = " and " if isinstance(condition, AllOf) else " or "
        return "(" + joiner.join(to_fhirpath(p, questions) for p in condition.parts) + ")"
    if condition.source != "question":
        raise ValueError("questionnaire conditions only read answers")
    answers = _answers(condition.name)
    coded = questions[condition.name].kind.fhir_value == "valueCoding"
    value = "value.code" if coded else "value"
    op, expected = condition.op, condition.value
    if op == "answered":
        return f"{answers}.exists()" if expected else f"{answers}.empty()"
    if op in ("equals", "includes"):
        return f"{answers}.where({value} = {_literal(expected)}).exists()"
    if op in ("not_equals", "excludes"):
        return f"({answers}.exists() and {answers}.where({value} = {_literal(expected)}).empty())"
    listed = (
        "(" + " | ".join(_literal(v) for v in expected) + ")" if isinstance(expected, tuple) else ""
    )
    if op in ("in", "includes_any"):
        return f"{answers}.where({value} in {listed}).exists()"
    if op == "subset_of":
        return f"({answers}.exists() and {answers}.where(({value} in {listed}).not()).empty())"
    if op in _ORDER_OPS:
        return f"{answers}.where({value} {_ORDER_OPS[op]} {_literal(expected)}).exists()"
    if op == "within_days":
        since = f"today() - {int(expected)} days"
        return f"{answers}.where({value} <= today() and {value} > {since}).exists()"
    raise AssertionError(f"unhandled operator {op}")  # parse_condition admits no other
