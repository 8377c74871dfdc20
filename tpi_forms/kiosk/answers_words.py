"""A check-in's answers in words, step by step, for the patient's certification page and for the
clinician's review page, with the answers behind each finding and their follow-ups marked.

No web dependency: labels come from the questionnaire in the reader's language, never ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..definitions.conditions import referenced
from ..definitions.questionnaire import Questionnaire, load_questionnaire


@dataclass(frozen=True)
class AnswerRow:
    """One answered question."""

    question: str
    """The question's id (kept for anchors and marking, never printed)."""
    label: str
    """The question in the reader's language."""
    answer: str
    """The answer in words."""
    marked: bool = False
    """The answer is behind a finding, or follows up on one that is."""


@dataclass(frozen=True)
class AnswerStep:
    """One step (section) of the screening and its answered questions."""

    number: int
    """1-based step number, as the tablet's steps count them."""
    title: str
    rows: tuple[AnswerRow, ...] = field(default=())


def follow_ups(question_ids: Iterable[str], q: Questionnaire | None = None) -> tuple[str, ...]:
    """The given questions and every question asked only because of their answers (in
    questionnaire order): which blood thinner and when last taken, for "takes a blood thinner"."""
    q = q or load_questionnaire()
    wanted = set(question_ids)
    grew = True
    while grew:
        grew = False
        for question in q.questions.values():
            if question.id in wanted or question.enable_when is None:
                continue
            if set(referenced(question.enable_when, "question")) & wanted:
                wanted.add(question.id)
                grew = True
    return tuple(qid for qid in q.questions if qid in wanted)


def answer_steps(
    answers: Mapping[str, Any],
    locale: str,
    not_answered: str,
    *,
    marked: Iterable[str] = (),
    q: Questionnaire | None = None,
) -> list[AnswerStep]:
    """The answers by step, in words in ``locale``; ``marked`` questions are flagged."""
    q = q or load_questionnaire()
    flagged = set(marked)
    steps = []
    for number, section in enumerate(q.sections, start=1):
        rows = tuple(
            AnswerRow(
                question.id,
                question.label.get(locale),
                not_answered
                if answers[question.id] is None
                else question.in_words(answers[question.id], locale),
                question.id in flagged,
            )
            for question in section.questions
            if question.id in answers
        )
        steps.append(AnswerStep(number, section.title.get(locale), rows))
    return steps


def finding_answers(
    finding: Mapping[str, Any],
    answers: Mapping[str, Any],
    locale: str,
    not_answered: str,
    q: Questionnaire | None = None,
) -> list[AnswerRow]:
    """The answers behind one stored finding and their follow-ups, in words."""
    q = q or load_questionnaire()
    triggers = [t for t in dict(finding.get("triggers") or {}) if t in q.questions]
    rows = []
    for qid in follow_ups(triggers, q):
        if qid not in answers:
            continue
        question = q.questions[qid]
        value = answers[qid]
        words = not_answered if value is None else question.in_words(value, locale)
        rows.append(AnswerRow(qid, question.label.get(locale), words, True))
    return rows


__all__ = ["AnswerRow", "AnswerStep", "answer_steps", "finding_answers", "follow_ups"]
