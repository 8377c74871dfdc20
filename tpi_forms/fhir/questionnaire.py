"""The questionnaire as a FHIR R4 Questionnaire, and answers as a QuestionnaireResponse."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..definitions.conditions import evaluate
from ..definitions.questionnaire import Question, Questionnaire, load_questionnaire
from ..errors import FhirExportError
from ..json_types import Answer, JsonObject
from . import enable_when as ew
from .base import (
    ENABLE_WHEN_EXPRESSION,
    ITEM_CONTROL,
    MAX_VALUE,
    MIN_OCCURS,
    MIN_VALUE,
    OPTION_EXCLUSIVE,
    FhirSettings,
    bcp47,
    choice_system,
    computable_name,
    fhir_id,
    put_text,
    questionnaire_url,
)


def to_fhir_questionnaire(
    questionnaire: Questionnaire | None = None,
    locale: str = "en",
    *,
    settings: FhirSettings | None = None,
) -> JsonObject:
    """The questionnaire as a FHIR R4 ``Questionnaire`` in ``locale``, with the other languages.

    >>> to_fhir_questionnaire(locale="es")["title"]
    'Antes de su inyección en puntos gatillo'
    """
    q = questionnaire or load_questionnaire()
    settings = settings or FhirSettings()
    q.title.get(locale)  # UnknownLocaleError before anything else
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": fhir_id(q.id),
        "language": bcp47(locale),
        "url": questionnaire_url(q, settings),
        "version": q.version,
        "name": computable_name(q.id),
    }
    put_text(resource, "title", q.title, locale)
    resource["status"] = settings.questionnaire_status
    resource["subjectType"] = ["Patient"]
    if q.intro is not None:
        put_text(resource, "description", q.intro, locale)
    items = []
    for section in q.sections:
        group: dict[str, Any] = {"linkId": f"section.{section.id}", "type": "group"}
        put_text(group, "text", section.title, locale)
        children = []
        if section.intro is not None:
            intro: dict[str, Any] = {"linkId": f"section.{section.id}.intro", "type": "display"}
            put_text(intro, "text", section.intro, locale)
            children.append(intro)
        children.extend(
            _question_item(question, q, locale, settings) for question in section.questions
        )
        group["item"] = children
        items.append(group)
    resource["item"] = items
    return resource


def _question_item(
    question: Question, q: Questionnaire, locale: str, settings: FhirSettings
) -> dict[str, Any]:
    item: dict[str, Any] = {"linkId": question.id}
    extensions: list[dict[str, Any]] = []
    put_text(item, "text", question.label, locale)
    item["type"] = question.kind.fhir_item
    if question.enable_when is not None:
        found = ew.to_enable_when(question.enable_when)
        if found is not None:
            item["enableWhen"] = ew.enable_when_json(
                found,
                q.questions,
                lambda other, code: _coding(other, code, q, locale, settings, True),
            )
            if found.behavior is not None:
                item["enableBehavior"] = found.behavior
        else:
            expression = ew.to_fhirpath(question.enable_when, q.questions)
            extensions.append(
                {
                    "url": ENABLE_WHEN_EXPRESSION,
                    "valueExpression": {"language": "text/fhirpath", "expression": expression},
                }
            )
    item["required"] = question.required
    if question.kind.multiple:
        item["repeats"] = True
        if question.required and question.min_items > 1:
            extensions.append({"url": MIN_OCCURS, "valueInteger": question.min_items})
    if "max_length" in question.kind.keys:
        item["maxLength"] = question.max_length
    if question.min is not None:
        extensions.append({"url": MIN_VALUE, "valueInteger": question.min})
    if question.max is not None:
        extensions.append({"url": MAX_VALUE, "valueInteger": question.max})
    if question.choices:
        options = []
        for choice in question.choices:
            option: dict[str, Any] = {
                "valueCoding": _coding(question, choice.id, q, locale, settings, True)
            }
            if choice.id in question.exclusive:
                option["extension"] = [{"url": OPTION_EXCLUSIVE, "valueBoolean": True}]
            options.append(option)
        item["answerOption"] = options
    if question.help is not None:
        help_item: dict[str, Any] = {
            "linkId": f"{question.id}.help",
            "type": "display",
            "extension": [
                {
                    "url": ITEM_CONTROL,
                    "valueCodeableConcept": {
                        "coding": [
                            {
                                "system": "http://hl7.org/fhir/questionnaire-item-control",
                                "code": "help",
                                "display": "Help-Button",
                            }
                        ]
                    },
                }
            ],
        }
        put_text(help_item, "text", question.help, locale)
        item["item"] = [help_item]
    if extensions:
        item = {"extension": extensions, **item}
    return item


def _coding(
    question: Question,
    choice_id: str,
    q: Questionnaire,
    locale: str,
    settings: FhirSettings,
    translations: bool,
) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": choice_system(q, question.id, settings), "code": choice_id}
    label = next(c.label for c in question.choices if c.id == choice_id)
    if translations:
        put_text(coding, "display", label, locale)
    else:
        coding["display"] = label.get(locale)
    return coding


# --- QuestionnaireResponse ----------------------------------------------------------------


def to_fhir_questionnaire_response(
    answers: Mapping[str, Answer],
    questionnaire: Questionnaire | None = None,
    *,
    locale: str = "en",
    subject: str | None = None,
    authored: datetime | None = None,
    settings: FhirSettings | None = None,
) -> JsonObject:
    """Validated answers as a completed ``QuestionnaireResponse`` of that Questionnaire version.

    ``subject`` is a reference such as ``Patient/123`` or ``urn:uuid:...``; ``authored`` is
    when the answers were given (timezone-aware; default now). Groups mirror the sections and
    only answered, enabled questions appear.
    """
    q = questionnaire or load_questionnaire()
    settings = settings or FhirSettings()
    q.title.get(locale)
    authored = authored or datetime.now(UTC)
    if authored.tzinfo is None:
        raise FhirExportError("authored must be a timezone-aware datetime")
    unknown = [key for key in answers if key not in q.questions]
    if unknown:
        raise FhirExportError(
            f"answer to unknown question '{unknown[0]}' for questionnaire '{q.id}'"
        )
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "language": bcp47(locale),
        "questionnaire": f"{questionnaire_url(q, settings)}|{q.version}",
        "status": "completed",
    }
    if subject:
        resource["subject"] = {"reference": subject}
    resource["authored"] = authored.isoformat()
    if subject:
        resource["author"] = {"reference": subject}
        resource["source"] = {"reference": subject}
    groups = []
    day = authored.date()
    for section in q.sections:
        children = []
        for question in section.questions:
            value = answers.get(question.id)
            if value is None or (isinstance(value, str | list | tuple) and not value):
                continue
            if question.enable_when is not None and not evaluate(
                question.enable_when, answers, {}, day
            ):
                continue
            item: dict[str, Any] = {"linkId": question.id, "text": question.label.get(locale)}
            item["answer"] = _answer_values(question, value, q, locale, settings)
            children.append(item)
        if children:
            groups.append(
                {
                    "linkId": f"section.{section.id}",
                    "text": section.title.get(locale),
                    "item": children,
                }
            )
    if groups:
        resource["item"] = groups
    return resource


def _answer_values(
    question: Question, value: Any, q: Questionnaire, locale: str, settings: FhirSettings
) -> list[dict[str, Any]]:
    kind = question.kind
    try:
        values = kind.fhir_answers(question, value)
    except (TypeError, ValueError):
        raise FhirExportError(
            f"answer to '{question.id}' does not fit a {question.type} question"
        ) from None
    if kind.fhir_value == "valueCoding":
        return [{"valueCoding": _coding(question, c, q, locale, settings, False)} for c in values]
    return [{kind.fhir_value: v} for v in values]
