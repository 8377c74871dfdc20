"""The screening questionnaire: a typed, frozen model loaded from a definition file.

A definition is a TOML file of structure (``tpi_screening.toml``) plus one TOML file of text per
language beside it (``tpi_screening.en.toml``, ``tpi_screening.es.toml``); adding a language is
adding a file. `load_questionnaire` reads them and checks every id, reference, type and
translation, raising `DefinitionError` with the file and key path of the first problem.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .._resources import definition_folder
from .._toml import Node, read_toml, unique_ids
from .conditions import Condition, Operand, parse_condition, referenced
from .question_core import DEFINITION_KEYS, QuestionType
from .question_types import QUESTION_TYPES
from .texts import Text, TextCatalog, locale_files

SEVERITIES = ("contraindicated", "review", "info")
SCORE_METHODS = ("mean", "sum")

DEFAULT_QUESTIONNAIRE = "tpi_screening"


@dataclass(frozen=True)
class Choice:
    """One allowed answer of a choice or multichoice question."""

    id: str
    """Stable id stored in answers (never shown to patients)."""
    label: Text
    """What the patient reads."""


@dataclass(frozen=True)
class Question:
    """One question: its answer type, limits, condition and text."""

    id: str
    """Stable id, the key of this answer in the answers JSON object."""
    kind: QuestionType
    """Its type's entry in the questionnaire's table (`QUESTION_TYPES` unless extended)."""
    label: Text
    """The question as the patient reads it."""
    help: Text | None
    """Plain-words help shown under the question."""
    required: bool
    """Whether an answer is needed whenever the question is enabled."""
    enable_when: Condition | None
    """Asked only when this holds; answers to a question not enabled are dropped."""
    choices: tuple[Choice, ...] = ()
    """Allowed answers of choice and multichoice questions, in display order."""
    exclusive: tuple[str, ...] = ()
    """Multichoice ids that must be chosen alone (``none``)."""
    min_items: int = 0
    """Fewest choices a required multichoice answer holds."""
    min: int | None = None
    """Smallest integer allowed."""
    max: int | None = None
    """Largest integer allowed."""
    max_length: int = 200
    """Longest string allowed, in characters."""
    not_future: bool = False
    """A date answer may not be after the day of screening."""
    max_age_years: int | None = None
    """A date answer may not be more than this many years before the day of screening."""
    personal: bool = False
    """Identifies the patient (name, date of birth): kept out of logs and file names."""

    @property
    def type(self) -> str:
        """The type's id (``boolean``, ``integer`` ...), as the definition file writes it."""
        return self.kind.id

    @property
    def choice_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.choices)

    @property
    def scale(self) -> range | None:
        """The numbers shown as a row of buttons on screen and of boxes on paper, or None."""
        return self.kind.scale(self)

    def in_words(self, value: Any, locale: str) -> str:
        """An answer to this question in words (``Yes``, choice labels, a long date ...)."""
        return self.kind.words(self, value, locale)

    def choice_label(self, choice_id: str, locale: str) -> str:
        for choice in self.choices:
            if choice.id == choice_id:
                return choice.label.get(locale)
        raise KeyError(choice_id)


@dataclass(frozen=True)
class Section:
    """A group of questions shown together (one step on the tablet)."""

    id: str
    title: Text
    intro: Text | None
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Score:
    """A number computed from answers, such as the PEG function score."""

    id: str
    method: str
    """``mean`` or ``sum`` of the items."""
    items: tuple[str, ...]
    """Integer question ids it is computed from."""
    label: Text


@dataclass(frozen=True)
class Rule:
    """A screening rule: when its condition holds, a finding of its severity is reported."""

    id: str
    severity: str
    """``contraindicated``, ``review`` or ``info``."""
    when: Condition
    patient_message: Text
    """What the patient is told, in plain words."""
    clinician_rationale: Text
    """Why the rule exists, for the clinician who reads the result."""
    source: str
    """The guideline or paper the rule rests on."""
    required_signer: str | None = None
    """A consent signer role that must sign when the rule fires (a minor's legal
    representative); the consent loaded with this questionnaire must have that role."""


@dataclass(frozen=True)
class PlanSpec:
    """What a planned procedure may name for this questionnaire."""

    sites: tuple[Choice, ...]
    """Injection sites a plan may name (the choices of the sites question)."""
    sites_question: str
    """The question whose answer gives the sites when a plan names none."""
    local_anesthetics: tuple[str, ...]
    """Local anaesthetics a plan may name."""


@dataclass(frozen=True)
class Identity:
    """The questions that say who the patient is (the ``[identity]`` table of a definition)."""

    name: str
    """Id of the string question holding the patient's name."""
    date_of_birth: str
    """Id of the date question holding the patient's date of birth."""


IDENTITY_TYPES = {"name": "string", "date_of_birth": "date"}
"""The question type each identity question must have."""


@dataclass(frozen=True)
class Questionnaire:
    """A screening questionnaire definition, complete in every language it ships."""

    id: str
    version: str
    """Definition version; cited in every record made with it."""
    locales: tuple[str, ...]
    title: Text
    intro: Text | None
    sections: tuple[Section, ...]
    rules: tuple[Rule, ...]
    scores: tuple[Score, ...]
    plan: PlanSpec
    questions: Mapping[str, Question]
    """Every question by id, in order."""
    identity: Identity | None = None
    """Which questions hold the patient's name and date of birth: printed in packet headers,
    filled in from a check-in, checked by verification. None when the definition names none."""

    def question(self, question_id: str) -> Question:
        return self.questions[question_id]


PLAN_FIELDS = ("sites", "local_anesthetic", "corticosteroid")


def load_questionnaire(
    path: str | Path | None = None,
    *,
    question_types: Mapping[str, QuestionType] | None = None,
) -> Questionnaire:
    """Load a questionnaire definition; the shipped default when ``path`` is None.

    ``question_types`` is the table its ``type`` names look up (default `QUESTION_TYPES`; see
    `tpi_forms.definitions.question_types.extended_types` to add a type).

    >>> q = load_questionnaire()
    >>> q.question("pain_score").max
    10
    """
    types = QUESTION_TYPES if question_types is None else question_types
    if path is None:
        if question_types is None:
            return _default_questionnaire()
        return _read(definition_folder(), DEFAULT_QUESTIONNAIRE, types)
    path = Path(path)
    return _read(path.parent, path.name.removesuffix(".toml"), types)


@functools.cache
def _default_questionnaire() -> Questionnaire:
    return _read(definition_folder(), DEFAULT_QUESTIONNAIRE, QUESTION_TYPES)


def _read(
    folder: Path | Traversable, stem: str, types: Mapping[str, QuestionType]
) -> Questionnaire:
    return _load(read_toml(folder / f"{stem}.toml"), locale_files(folder, stem), types)


def _load(
    root: Node, text_files: Mapping[str, Any], types: Mapping[str, QuestionType]
) -> Questionnaire:
    root.check_keys(["id", "version", "plan", "identity", "sections", "scores", "rules"])
    texts = TextCatalog.from_entries(root.file, text_files)
    plan_node = root.table("plan")
    plan_node.check_keys(["sites_question", "local_anesthetics"])

    # Pass 1: ids and types, so conditions can refer to questions further down the file.
    section_nodes = root.tables("sections")
    unique_ids(((s, s.str("id")) for s in section_nodes), "section")
    question_nodes = [(s, q) for s in section_nodes for q in s.tables("questions")]
    unique_ids(((q, q.str("id")) for _, q in question_nodes), "question")
    operands: dict[str, Operand] = {}
    for _, q in question_nodes:
        qtype = q.str("type")
        if qtype not in types:
            q.fail(f"unknown type '{qtype}' (expected one of: {', '.join(types)})", "type")
        kind = types[qtype]
        choices = tuple(q.str_list("choices", required="choices" in kind.keys))
        operands[q.str("id")] = Operand(qtype, choices, kind.operators)

    sites_question = plan_node.str("sites_question")
    sites = operands.get(sites_question)
    if sites is None or sites.type != "multichoice":
        plan_node.fail(f"'{sites_question}' is not a multichoice question", "sites_question")
    anesthetics = tuple(plan_node.str_list("local_anesthetics", required=True))
    plan_operands = {
        "sites": Operand("multichoice", sites.choices),
        "local_anesthetic": Operand("choice", anesthetics),
        "corticosteroid": Operand("boolean"),
        "botulinum_toxin": Operand("boolean"),
    }

    # Pass 2: build the model.
    questions: dict[str, Question] = {}
    sections = []
    for s in section_nodes:
        s.check_keys(["id", "questions"])
        sid = s.str("id")
        built = []
        for q in s.tables("questions"):
            question = _question(q, texts, operands, types)
            questions[question.id] = question
            built.append(question)
        sections.append(
            Section(
                sid,
                texts.text("sections", sid, "title"),
                texts.opt_text("sections", sid, "intro"),
                tuple(built),
            )
        )
    _check_condition_order(section_nodes, questions)

    rule_nodes = root.tables("rules", required=False)
    unique_ids(((r, r.str("id")) for r in rule_nodes), "rule")
    rules = tuple(_rule(r, texts, operands, plan_operands) for r in rule_nodes)

    score_nodes = root.tables("scores", required=False)
    unique_ids(
        ((n, n.str("id")) for n in score_nodes), "score", {q: "a question" for q in questions}
    )
    scores = tuple(_score(n, texts, operands) for n in score_nodes)

    plan = PlanSpec(
        sites=questions[sites_question].choices,
        sites_question=sites_question,
        local_anesthetics=anesthetics,
    )
    qid = root.str("id")
    result = Questionnaire(
        id=qid,
        version=root.str("version"),
        locales=texts.locales,
        title=texts.text("title"),
        intro=texts.opt_text("intro"),
        sections=tuple(sections),
        rules=rules,
        scores=scores,
        plan=plan,
        questions=MappingProxyType(questions),
        identity=_identity(root, questions),
    )
    texts.check_all_used()
    return result


def _identity(root: Node, questions: Mapping[str, Question]) -> Identity | None:
    """The ``[identity]`` table: each key names a personal question of the type it needs."""
    node = root.opt_table("identity")
    if node is None:
        return None
    node.check_keys(IDENTITY_TYPES)
    ids = {}
    for key, qtype in IDENTITY_TYPES.items():
        qid = node.str(key)
        question = questions.get(qid)
        if question is None:
            node.fail(f"unknown question '{qid}'", key)
        if question.type != qtype:
            node.fail(f"'{qid}' is a {question.type} question; it must be a {qtype} one", key)
        if not question.personal:
            node.fail(f"'{qid}' must be marked personal = true", key)
        ids[key] = qid
    return Identity(**ids)


_QUESTION_KEYS = {"id", "type", "required", "enable_when", "personal", *DEFINITION_KEYS}


def _question(
    q: Node,
    texts: TextCatalog,
    operands: Mapping[str, Operand],
    types: Mapping[str, QuestionType],
) -> Question:
    q.check_keys(_QUESTION_KEYS)
    qid = q.str("id")
    kind = types[operands[qid].type]
    for key in DEFINITION_KEYS:
        if key in q and key not in kind.keys:
            takers = [t.id for t in types.values() if key in t.keys]
            only = f" (only {' and '.join(takers)} questions do)" if takers else ""
            q.fail(f"{kind.id} questions take no {key}{only}", key)
    choice_ids = operands[qid].choices
    if len(set(choice_ids)) != len(choice_ids):
        q.fail("duplicate choice id", "choices")
    exclusive = tuple(q.str_list("exclusive"))
    for ex in exclusive:
        if ex not in choice_ids:
            q.fail(f"'{ex}' is not one of this question's choices", "exclusive")
    lo, hi = q.opt_int("min"), q.opt_int("max")
    if lo is not None and hi is not None and lo > hi:
        q.fail(f"min {lo} is greater than max {hi}", "min")
    max_length = q.opt_int("max_length")
    if max_length is not None and max_length < 1:
        q.fail("max_length must be a positive integer", "max_length")
    enable_when = None
    if "enable_when" in q:
        enable_when = parse_condition(q.data["enable_when"], q, "enable_when", operands, {})
        if qid in referenced(enable_when, "question"):
            q.fail(f"question '{qid}' cannot depend on itself", "enable_when")
    choices = tuple(Choice(c, texts.text("questions", qid, "choices", c)) for c in choice_ids)
    return Question(
        id=qid,
        kind=kind,
        label=texts.text("questions", qid, "label"),
        help=texts.opt_text("questions", qid, "help"),
        required=q.bool("required", True),
        enable_when=enable_when,
        choices=choices,
        exclusive=exclusive,
        min_items=q.opt_int("min_items") or 0,
        min=lo,
        max=hi,
        max_length=max_length or kind.default_max_length,
        not_future=q.bool("not_future", False),
        max_age_years=q.opt_int("max_age_years"),
        personal=q.bool("personal", False),
    )


def _check_condition_order(sections: list[Node], questions: Mapping[str, Question]) -> None:
    """A question may only depend on questions asked before it, so a form fills in order."""
    order = {qid: i for i, qid in enumerate(questions)}
    for s in sections:
        for q in s.tables("questions"):
            question = questions[q.str("id")]
            if question.enable_when is None:
                continue
            for dep in referenced(question.enable_when, "question"):
                if order[dep] > order[question.id]:
                    q.fail(f"depends on '{dep}', which is asked later", "enable_when")


def _rule(
    r: Node,
    texts: TextCatalog,
    operands: Mapping[str, Operand],
    plan_operands: Mapping[str, Operand],
) -> Rule:
    r.check_keys(["id", "severity", "when", "source", "required_signer"])
    rid = r.str("id")
    severity = r.str("severity")
    if severity not in SEVERITIES:
        r.fail(
            f"unknown severity '{severity}' (expected one of: {', '.join(SEVERITIES)})", "severity"
        )
    if "when" not in r:
        r.fail("missing required key 'when'")
    return Rule(
        id=rid,
        severity=severity,
        when=parse_condition(r.data["when"], r, "when", operands, plan_operands),
        patient_message=texts.text("rules", rid, "patient"),
        clinician_rationale=texts.text("rules", rid, "clinician"),
        source=r.str("source"),
        required_signer=r.opt_str("required_signer"),
    )


def _score(n: Node, texts: TextCatalog, operands: Mapping[str, Operand]) -> Score:
    n.check_keys(["id", "method", "items"])
    sid = n.str("id")
    method = n.str("method")
    if method not in SCORE_METHODS:
        n.fail(f"unknown method '{method}' (expected one of: {', '.join(SCORE_METHODS)})", "method")
    items = tuple(n.str_list("items", required=True))
    for item in items:
        if item not in operands:
            n.fail(f"unknown question '{item}'", "items")
        if operands[item].type != "integer":
            n.fail(f"'{item}' is not an integer question", "items")
    return Score(sid, method, items, texts.text("scores", sid, "label"))
