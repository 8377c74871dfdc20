"""The understanding check (teach-back) after a consent, read from data files.

A quiz is a TOML file of structure (``tpi_quiz.toml``: the consent it belongs to, each question's
choices, the right one and the part of the consent it is about) plus one TOML file of words a
language (``tpi_quiz.en.toml``, ``tpi_quiz.es.toml``). Loading checks every name against the
consent definition, so a feedback link can never point at a part the consent does not have::

    >>> quiz = load_quiz()
    >>> [q.id for q in quiz.questions]
    ['say_no', 'chest_risk', 'short_of_breath']
    >>> quiz.question("short_of_breath").part
    'aftercare'
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._toml import Node, unique_ids
from .consent import ConsentDefinition, load_consent_definition
from .texts import Text, TextCatalog, read_with_words

DEFAULT_QUIZ = "tpi_quiz"
MAX_QUESTIONS = 10
"""Most questions a quiz may ask (a patient in pain answers a few, not a test)."""


@dataclass(frozen=True)
class QuizChoice:
    """One answer a question offers."""

    id: str
    label: Text


@dataclass(frozen=True)
class QuizQuestion:
    """One question of the understanding check."""

    id: str
    text: Text
    topic: Text
    """What the question is about, short, for staff: "what to do if short of breath"."""
    explain: Text
    """What the right answer means, shown as feedback."""
    choices: tuple[QuizChoice, ...]
    answer: str
    """Id of the right choice."""
    part: str
    """Id of the consent section or risk group the question is about (the feedback links it)."""

    def choice(self, choice_id: str) -> QuizChoice:
        for choice in self.choices:
            if choice.id == choice_id:
                return choice
        raise KeyError(choice_id)


@dataclass(frozen=True)
class Quiz:
    """An understanding check, tied to one consent definition."""

    id: str
    version: str
    consent: str
    """Id of the consent definition it checks."""
    locales: tuple[str, ...]
    questions: tuple[QuizQuestion, ...]

    def question(self, question_id: str) -> QuizQuestion:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)


def load_quiz(path: str | Path | None = None, consent: ConsentDefinition | None = None) -> Quiz:
    """The quiz at ``path`` (its words beside it: ``<stem>.<locale>.toml``), default the shipped
    one, checked against ``consent`` (default: the shipped consent definition).

    Raises `tpi_forms.errors.DefinitionError` naming the file and key of the first problem.
    """
    if path is None and consent is None:
        return _default_quiz()
    return _load(*read_with_words(path, DEFAULT_QUIZ), consent or load_consent_definition())


@functools.cache
def _default_quiz() -> Quiz:
    return _load(*read_with_words(None, DEFAULT_QUIZ), load_consent_definition())


def _load(root: Node, text_files: Mapping[str, Any], consent: ConsentDefinition) -> Quiz:
    root.check_keys(["id", "version", "consent", "questions"])
    texts = TextCatalog.from_entries(root.file, text_files)
    if root.str("consent") != consent.id:
        root.fail(
            f"names consent '{root.str('consent')}' but was loaded with '{consent.id}'", "consent"
        )
    for locale in consent.locales:
        if locale not in texts.locales:
            root.fail(f"has no words in '{locale}', a language of consent '{consent.id}'")
    for locale in texts.locales:
        if locale not in consent.locales:
            root.fail(f"has words in '{locale}' but consent '{consent.id}' has none")
    nodes = root.tables("questions")
    if len(nodes) > MAX_QUESTIONS:
        root.fail(f"asks {len(nodes)} questions (at most {MAX_QUESTIONS})", "questions")
    unique_ids(((n, n.str("id")) for n in nodes), "question")
    parts = {s.id for s in consent.sections} | {g.id for g in consent.risk_groups}
    questions = tuple(_question(n, texts, parts) for n in nodes)
    texts.check_all_used()
    return Quiz(root.str("id"), root.str("version"), consent.id, texts.locales, questions)


def _question(n: Node, texts: TextCatalog, parts: set[str]) -> QuizQuestion:
    n.check_keys(["id", "part", "choices", "answer"])
    qid = n.str("id")
    choice_ids = n.str_list("choices", required=True)
    if len(choice_ids) < 2:
        n.fail("needs at least two choices", "choices")
    if len(set(choice_ids)) != len(choice_ids):
        n.fail("lists a choice twice", "choices")
    answer = n.str("answer")
    if answer not in choice_ids:
        n.fail(f"answer '{answer}' is not one of its choices", "answer")
    part = n.str("part")
    if part not in parts:
        n.fail(f"'{part}' is no section or risk group of the consent", "part")
    return QuizQuestion(
        id=qid,
        text=texts.text("questions", qid, "text"),
        topic=texts.text("questions", qid, "topic"),
        explain=texts.text("questions", qid, "explain"),
        choices=tuple(
            QuizChoice(c, texts.text("questions", qid, "choices", c)) for c in choice_ids
        ),
        answer=answer,
        part=part,
    )
