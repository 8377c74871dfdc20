"""Conditions over answers and the planned procedure, written as data in definition files.

A condition is a TOML inline table. Leaves compare one answer or one field of the plan::

    { question = "takes_blood_thinner", equals = true }
    { question = "pain_sites", includes_any = ["chest_wall", "upper_back"] }
    { question = "last_injection_date", within_days = 42 }
    { plan = "corticosteroid", equals = true }

and ``{ all = [...] }``, ``{ any = [...] }``, ``{ not = {...} }`` combine them. An unanswered
question makes every leaf on it false, except ``answered = false``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from .._toml import Node
from .question_types import QUESTION_TYPES

Source = Literal["question", "plan"]

MAX_CONDITION_DEPTH = 16
"""Most levels of ``all``, ``any`` and ``not`` a comparison may sit under."""


OPERATORS = (
    "answered",
    "equals",
    "not_equals",
    "in",
    "at_least",
    "at_most",
    "less_than",
    "greater_than",
    "includes",
    "includes_any",
    "excludes",
    "subset_of",
    "within_days",
)
"""Every comparison operator `evaluate` knows; each question type supports some of them."""
_LIST_OPS = {"in", "includes_any", "subset_of"}
_INT_OPS = {"at_least", "at_most", "less_than", "greater_than", "within_days"}


@dataclass(frozen=True)
class Operand:
    """What a condition may compare: a question's or a plan field's type, choices and operators."""

    type: str
    """The question type's id (``boolean``, ``multichoice`` ...)."""
    choices: tuple[str, ...] = ()
    """The allowed ids for ``choice`` and ``multichoice``."""
    operators: tuple[str, ...] | None = None
    """The operators it supports; None: those of the shipped question type named ``type``."""

    def __post_init__(self) -> None:
        unknown = [op for op in self.allowed if op not in OPERATORS]
        if unknown:
            raise ValueError(f"type '{self.type}' names unknown condition operators {unknown}")

    @property
    def allowed(self) -> tuple[str, ...]:
        """The operators a comparison on it may use."""
        return QUESTION_TYPES[self.type].operators if self.operators is None else self.operators


@dataclass(frozen=True)
class Comparison:
    """A leaf: compare one answer (or one field of the plan) with a value."""

    source: Source
    """``question`` for an answer, ``plan`` for a field of the planned procedure."""
    name: str
    """The question id or plan field name."""
    op: str
    """The operator, e.g. ``equals`` or ``includes_any``."""
    value: Any
    """The value compared with; a tuple for list operators."""


@dataclass(frozen=True)
class AllOf:
    """True when every part is true."""

    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    """True when at least one part is true."""

    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    """True when its part is false."""

    part: Condition


Condition: TypeAlias = Comparison | AllOf | AnyOf | Not


def parse_condition(
    raw: Any,
    parent: Node,
    key: str,
    questions: Mapping[str, Operand],
    plan: Mapping[str, Operand],
    *,
    depth: int = 0,
) -> Condition:
    """Parse ``parent[key]`` (already read from TOML) into a `Condition`, checking every name.

    ``depth`` counts the combinators above this condition; deeper than `MAX_CONDITION_DEPTH`
    is refused, so evaluating, explaining and exporting a condition never recurses far.
    """
    if not isinstance(raw, dict):
        parent.fail("a condition must be a table", key)
    if depth > MAX_CONDITION_DEPTH:
        parent.fail(f"conditions are nested more than {MAX_CONDITION_DEPTH} levels deep", key)
    node = Node(raw, parent.file, f"{parent.path}.{key}" if parent.path else key)
    for combinator in ("all", "any"):
        if combinator in raw:
            node.check_keys([combinator])
            items = raw[combinator]
            if not isinstance(items, list) or not items:
                node.fail(f"'{combinator}' needs a non-empty array of conditions", combinator)
            list_node = Node({str(i): v for i, v in enumerate(items)}, node.file, node.path)
            parts = tuple(
                parse_condition(
                    item, list_node, f"{combinator}[{i}]", questions, plan, depth=depth + 1
                )
                for i, item in enumerate(items)
            )
            return AllOf(parts) if combinator == "all" else AnyOf(parts)
    if "not" in raw:
        node.check_keys(["not"])
        return Not(parse_condition(raw["not"], node, "not", questions, plan, depth=depth + 1))
    if "question" in raw:
        source: Source = "question"
        operands = questions
    elif "plan" in raw:
        source = "plan"
        operands = plan
    else:
        node.fail("a condition needs 'question', 'plan', 'all', 'any' or 'not'")
    name = node.str(source)
    if name not in operands:
        known = ", ".join(sorted(operands)) if source == "plan" else None
        hint = f" (known: {known})" if known else ""
        node.fail(f"unknown {source} '{name}'{hint}")
    operand = operands[name]
    ops = [k for k in raw if k != source]
    if len(ops) != 1:
        known = ", ".join(sorted(OPERATORS))
        node.fail(f"a comparison needs exactly one operator (one of: {known})")
    op = ops[0]
    if op not in operand.allowed:
        node.fail(
            f"operator '{op}' does not apply to {operand.type} {source} '{name}'"
            f" (use one of: {', '.join(operand.allowed)})",
            op,
        )
    value = _check_value(raw[op], op, operand, node)
    return Comparison(source, name, op, value)


def _check_value(value: Any, op: str, operand: Operand, node: Node) -> Any:
    if op == "answered":
        if not isinstance(value, bool):
            node.fail("'answered' takes true or false", op)
        return value
    if op in _INT_OPS:
        if not isinstance(value, int) or isinstance(value, bool):
            node.fail(f"'{op}' takes an integer", op)
        return value
    if op in _LIST_OPS:
        if not isinstance(value, list) or not value:
            node.fail(f"'{op}' takes a non-empty array", op)
        for item in value:
            _check_scalar(item, op, operand, node)
        return tuple(value)
    _check_scalar(value, op, operand, node)
    return value


def _check_scalar(value: Any, op: str, operand: Operand, node: Node) -> None:
    kind = operand.type
    ok = {
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
    }.get(kind, isinstance(value, str))
    if not ok:
        node.fail(f"'{op}' value {value!r} does not fit a {kind} answer", op)
    if operand.choices and value not in operand.choices:
        node.fail(
            f"'{op}' value '{value}' is not a choice (choices: {', '.join(operand.choices)})", op
        )


def evaluate(
    condition: Condition,
    answers: Mapping[str, Any],
    plan: Mapping[str, Any],
    today: dt.date,
) -> bool:
    """Whether ``condition`` holds for these (validated, JSON-shaped) answers and plan."""
    if isinstance(condition, AllOf):
        return all(evaluate(p, answers, plan, today) for p in condition.parts)
    if isinstance(condition, AnyOf):
        return any(evaluate(p, answers, plan, today) for p in condition.parts)
    if isinstance(condition, Not):
        return not evaluate(condition.part, answers, plan, today)
    values = answers if condition.source == "question" else plan
    present = condition.name in values and values[condition.name] is not None
    if condition.op == "answered":
        return bool(present == condition.value)
    if not present:
        return False
    actual = values[condition.name]
    op, expected = condition.op, condition.value
    if op == "equals":
        return bool(actual == expected)
    if op == "not_equals":
        return bool(actual != expected)
    if op == "in":
        return bool(actual in expected)
    if op == "at_least":
        return bool(actual >= expected)
    if op == "at_most":
        return bool(actual <= expected)
    if op == "less_than":
        return bool(actual < expected)
    if op == "greater_than":
        return bool(actual > expected)
    if op == "includes":
        return bool(expected in actual)
    if op == "includes_any":
        return any(item in actual for item in expected)
    if op == "excludes":
        return bool(expected not in actual)
    if op == "subset_of":
        return all(item in expected for item in actual)
    if op == "within_days":
        when = actual if isinstance(actual, dt.date) else dt.date.fromisoformat(actual)
        return bool(0 <= (today - when).days < expected)
    raise AssertionError(f"unhandled operator {op}")  # parse_condition admits no other


def referenced(condition: Condition, source: Source) -> tuple[str, ...]:
    """The question ids (or plan fields) a condition reads, in order, without repeats."""
    if isinstance(condition, Comparison):
        return (condition.name,) if condition.source == source else ()
    parts = (condition.part,) if isinstance(condition, Not) else condition.parts
    seen: dict[str, None] = {}
    for part in parts:
        for name in referenced(part, source):
            seen[name] = None
    return tuple(seen)


def to_data(condition: Condition) -> dict[str, Any]:
    """The condition back in its definition-file form (JSON-serialisable), e.g. for scripts."""
    if isinstance(condition, AllOf):
        return {"all": [to_data(p) for p in condition.parts]}
    if isinstance(condition, AnyOf):
        return {"any": [to_data(p) for p in condition.parts]}
    if isinstance(condition, Not):
        return {"not": to_data(condition.part)}
    value = list(condition.value) if isinstance(condition.value, tuple) else condition.value
    return {condition.source: condition.name, condition.op: value}
