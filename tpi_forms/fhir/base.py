"""Names, settings and translated text shared by the FHIR export modules (`tpi_forms.fhir`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..definitions.questionnaire import Questionnaire
from ..definitions.texts import Text
from ..errors import FhirExportError

TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
MIN_OCCURS = "http://hl7.org/fhir/StructureDefinition/questionnaire-minOccurs"
OPTION_EXCLUSIVE = "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ENABLE_WHEN_EXPRESSION = (
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression"
)
EXT_SHA256 = "urn:tpi-forms:extension:sha256"
"""Extension on ``Consent.sourceAttachment``: SHA-256 (hex) of the packet PDF."""
EXT_CONSENT_HASH = "urn:tpi-forms:extension:consent-content-sha256"
"""Extension on ``Consent``: the consent document's content hash, as printed on the packet."""
EXT_SIGNATURE_MEANING = "urn:tpi-forms:extension:signature-meaning"
"""Extension on ``Provenance.signature``: what the signature means (21 CFR 11.50)."""
PROCEDURE_SYSTEM = "urn:tpi-forms:procedure"
"""Code system of procedure ids of consent definitions (``trigger_point_injection``)."""
QUESTIONNAIRE_STATUSES = ("draft", "active", "retired", "unknown")
RECORD_SYSTEM = "urn:tpi-forms:record-sha256"
"""``Consent.identifier`` system; the value is the embedded record's SHA-256 (hex)."""


@dataclass(frozen=True)
class FhirSettings:
    """How exported resources are named."""

    base_url: str | None = None
    """Canonical base such as ``https://forms.example.org/fhir``; None: ``urn:tpi-forms:`` names."""
    questionnaire_status: str = "active"
    """``Questionnaire.status``: ``draft`` while clinicians review it, or ``active``."""

    def __post_init__(self) -> None:
        if self.base_url is not None and not self.base_url.startswith(("https://", "http://")):
            raise FhirExportError("base_url must be an http(s) URL, e.g. https://example.org/fhir")
        if self.questionnaire_status not in QUESTIONNAIRE_STATUSES:
            raise FhirExportError(
                f"questionnaire_status must be one of: {', '.join(QUESTIONNAIRE_STATUSES)}"
            )


def questionnaire_url(questionnaire: Questionnaire, settings: FhirSettings | None = None) -> str:
    """The Questionnaire's canonical URL (without version)."""
    base = (settings or FhirSettings()).base_url
    if base:
        return f"{base.rstrip('/')}/Questionnaire/{fhir_id(questionnaire.id)}"
    return f"urn:tpi-forms:questionnaire:{questionnaire.id}"


def choice_system(
    questionnaire: Questionnaire, question_id: str, settings: FhirSettings | None = None
) -> str:
    """The code system of one choice question's answers."""
    url = questionnaire_url(questionnaire, settings)
    return f"{url}:{question_id}" if url.startswith("urn:") else f"{url}/{question_id}"


def fhir_id(value: str) -> str:
    """``value`` as a FHIR id (letters, digits, ``-`` and ``.``, at most 64 characters)."""
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "-.") else "-" for c in value)
    return cleaned[:64] or "x"


def computable_name(value: str) -> str:
    return "".join(
        part[:1].upper() + part[1:] for part in value.replace("-", "_").split("_") if part
    )


def bcp47(locale: str) -> str:
    return locale.replace("_", "-")


def put_text(target: dict[str, Any], key: str, text: Text, locale: str) -> None:
    """Set ``target[key]`` in ``locale`` and ``target['_' + key]`` with every other language."""
    target[key] = text.get(locale)
    others = [
        {
            "url": TRANSLATION,
            "extension": [
                {"url": "lang", "valueCode": bcp47(other)},
                {"url": "content", "valueString": value},
            ],
        }
        for other, value in text.by_locale.items()
        if other != locale
    ]
    if others:
        target["_" + key] = {"extension": others}
