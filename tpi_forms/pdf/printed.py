"""What packets print in words: answers by their labels, the patient's identity, consent details.

Shared by signed packets (answers given) and blank packets (questions to answer on paper). An
answer's words come from its question type (`Question.in_words`); this module only lays them out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..definitions.questionnaire import Question, Questionnaire


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
    """A question as the blank packet prints it, drawn by ``pdf/blank/<paper>.html``."""
    return {
        "label": question.label.get(locale),
        "help": question.help.get(locale) if question.help else None,
        "paper": question.kind.paper_of(question),
        "choices": [c.label.get(locale) for c in question.choices],
        "numbers": list(question.scale or ()),
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
        dob = q.questions[dob_id].in_words(answers[dob_id], locale)
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
                "answer": _answer(question, answers[question.id], locale, t),
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


def _answer(question: Question, value: Any, locale: str, t: Mapping[str, str]) -> str:
    return t.get("not_answered", "") if value is None else question.in_words(value, locale)
