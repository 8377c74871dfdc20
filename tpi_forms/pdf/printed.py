"""What packets print in words: answers by their labels, the patient's identity, consent details.

Shared by signed packets (answers given) and blank packets (questions to answer on paper).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from ..definitions.questionnaire import Question, Questionnaire
from ..i18n import format_date, format_list


def signer_roles(consent: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The consent's signer roles as printed: id, title, meaning and the labels of their fields."""
    roles = []
    for signer in consent.get("signer_roles", ()) or ():
        if not isinstance(signer, Mapping):
            continue
        fields = [f for f in signer.get("fields", ()) or () if isinstance(f, Mapping)]
        roles.append(
            {
                "id": str(signer.get("id", "")),
                "title": str(signer.get("title", "")),
                "meaning": str(signer.get("meaning") or "") or None,
                "fields": [{"id": str(f.get("id")), "label": str(f.get("label"))} for f in fields],
            }
        )
    return roles


def medicine_name(consent: Mapping[str, Any], medicine: str) -> str:
    medicines = consent.get("medicines")
    if isinstance(medicines, Mapping) and isinstance(medicines.get(medicine), Mapping):
        return str(medicines[medicine].get("name", medicine))
    if isinstance(medicines, Sequence):
        for m in medicines:
            if isinstance(m, Mapping) and m.get("id") == medicine and m.get("name"):
                return str(m["name"])
    return medicine


def blank_question(question: Question, locale: str, value: str | None) -> dict[str, Any]:
    kind = question.type
    numbers: list[int] = []
    if kind == "integer" and question.min is not None and question.max is not None:
        if question.max - question.min <= 10:
            kind, numbers = "scale", list(range(question.min, question.max + 1))
    elif kind == "string":
        kind = "line"
    elif kind == "date":
        kind = "short"
    return {
        "label": question.label.get(locale),
        "help": question.help.get(locale) if question.help else None,
        "kind": kind,
        "choices": [c.label.get(locale) for c in question.choices],
        "numbers": numbers,
        "value": value,
    }


def identity_questions(q: Questionnaire) -> tuple[str | None, str | None]:
    """Ids of the questions that hold the patient's name and date of birth.

    They are the ones the questionnaire's ``[identity]`` table names; (None, None) without it.
    """
    if q.identity is None:
        return None, None
    return q.identity.name, q.identity.date_of_birth


def patient_identity(answers: Mapping[str, Any], q: Questionnaire, locale: str) -> tuple[str, str]:
    """The patient's name and date of birth as printed: the answers to `identity_questions`."""
    name_id, dob_id = identity_questions(q)
    name = str(answers[name_id]) if name_id is not None and name_id in answers else ""
    dob = ""
    if dob_id is not None and dob_id in answers:
        dob = format_answer(q.questions[dob_id], answers[dob_id], locale, {})
    return name, dob


def readable_answers(
    answers: Mapping[str, Any], q: Questionnaire, locale: str, t: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Answers grouped by section, each as the question's label and the answer in words."""
    sections = []
    for section in q.sections:
        rows = [
            {
                "label": question.label.get(locale),
                "answer": format_answer(question, answers[question.id], locale, t),
            }
            for question in section.questions
            if question.id in answers
        ]
        if rows:
            sections.append({"title": section.title.get(locale), "rows": rows})
    unknown = [k for k in answers if k not in q.questions]
    if unknown:
        sections.append(
            {"title": "—", "rows": [{"label": k, "answer": str(answers[k])} for k in unknown]}
        )
    return sections


def format_answer(question: Question, value: Any, locale: str, t: Mapping[str, str]) -> str:
    if value is None:
        return t.get("not_answered", "")
    if question.type == "boolean":
        return t.get("yes", "yes") if value else t.get("no", "no")
    if question.type == "choice":
        return _choice(question, str(value), locale)
    if question.type == "multichoice":
        return format_list([_choice(question, str(v), locale) for v in value], locale)
    if question.type == "date":
        try:
            return format_date(dt.date.fromisoformat(str(value)), locale)
        except ValueError:
            return str(value)
    return str(value)


def _choice(question: Question, choice: str, locale: str) -> str:
    try:
        return question.choice_label(choice, locale)
    except KeyError:
        return choice
