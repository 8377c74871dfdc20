"""What a packet prints of the consent process: the clinician's decision, the certification,
and a copy of the staff parts in the clinic's language.

The decision (outcome in words, clinician, time, note, changed plan) prints next to the
findings on the first page; the patient's certification (statement, time, SHA-256 of the
answers) prints with the answers. When the patient read the packet in another language than
the clinic's, the findings, the decision, the staff signatures and the audit trail print once
more in the clinic's language, in a section tagged with that language, so an auditor who
reads only the clinic's language can read a Spanish patient's packet.

>>> from tpi_forms.definitions.words import words
>>> outcome_words("proceed_with_changes", words("packet", "es"))
'Seguir con cambios'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from babel import Locale

from ..definitions.questionnaire import Questionnaire
from ..definitions.words import WordSet
from ..errors import TpiFormsError
from ..i18n import format_datetime, format_list, to_zone
from ..json_types import JsonValue
from ..record.model import ConsentRecord
from ..record.review import CERTIFY_EVENT, REVIEW_EVENT, ReviewDecision, consenting_of
from ..screening.engine import finding_reasons
from .audit import describe_event
from .printed import medicine_name, signer_roles

SiteLabel = Callable[[str, str], str]
"""A site id and a locale to the site's name (`PacketRenderer._site`)."""
PROCESS_EVENTS = (REVIEW_EVENT, CERTIFY_EVENT)


def outcome_words(outcome: str, t: Mapping[str, str]) -> str:
    """A decision's outcome as printed: "Proceed as planned"."""
    return t[f"outcome_{outcome}"]


def language_of(locale: str) -> str:
    """The base language of a locale: ``es_MX`` → ``es``."""
    return locale.replace("-", "_").split("_")[0].lower()


def _language_name(locale: str, in_locale: str) -> str:
    try:
        return Locale.parse(locale).get_display_name(in_locale) or locale
    except (ValueError, TypeError):
        return locale


def process_context(
    record: ConsentRecord,
    words: WordSet,
    questionnaire: Questionnaire,
    site_label: SiteLabel,
) -> dict[str, Any]:
    """The template context of ``pdf/_process.html`` for ``record``.

    Keys: ``decision`` (or None), ``certification`` (or None), ``reviewed`` (rule ids the
    decision names) and ``staff_copy`` (the clinic-language copy, or None when the patient's
    language is the clinic's or the packet words lack it).
    """
    locale = record.locale
    t = words.words(locale)
    tz = str(record.clinic.get("time_zone", "UTC"))
    review = record.review
    certification = record.certification
    return {
        "decision": None
        if review is None
        else _decision(record, review, t, locale, tz, questionnaire, site_label, record.consent),
        "certification": None
        if certification is None
        else {
            "statement": certification.statement,
            "certified_at": format_datetime(certification.certified_at, locale, tz),
            "answers_sha256": certification.answers_sha256,
        },
        "reviewed": list(review.findings) if review is not None else [],
        "staff_copy": _staff_copy(record, words, questionnaire, site_label, tz),
    }


def _decision(
    record: ConsentRecord,
    review: ReviewDecision,
    t: Mapping[str, str],
    locale: str,
    tz: str,
    q: Questionnaire,
    site_label: SiteLabel,
    consent: Mapping[str, Any],
) -> dict[str, Any]:
    findings = {f.rule_id: f for f in record.screening_result.findings}
    rules = {rule.id: rule for rule in q.rules}
    reviewed = []
    for rule_id in review.findings:
        finding = findings.get(rule_id)
        if finding is not None:
            reviewed.append("; ".join(finding_reasons(finding, q, locale)) or rule_id)
        elif rule_id in rules:
            reviewed.append(rules[rule_id].patient_message.get(locale))
    changed = review.changed_procedure
    plan = None
    if changed is not None:
        sites = changed.resolved_sites(record.answers, q)
        plan = {
            "sites": format_list([site_label(s, locale) for s in sites], locale)
            if sites
            else t["not_answered"],
            "local_anesthetic": medicine_name(consent, changed.local_anesthetic),
            "corticosteroid": t["yes"] if changed.corticosteroid else t["no"],
        }
    return {
        "outcome": review.outcome,
        "outcome_text": outcome_words(review.outcome, t),
        "clinician": review.clinician,
        "decided_at": format_datetime(review.decided_at, locale, tz),
        "note_lines": review.note.splitlines(),
        "plan": plan,
        "reviewed": reviewed,
    }


def _clinic_consent(record: ConsentRecord, locale: str) -> Mapping[str, Any]:
    """The record's consent rebuilt in ``locale`` when the shipped definition is the one it
    cites (for section, risk and role titles); otherwise the consent as signed."""
    from ..consent.document import build_consent
    from ..definitions.clinic import Clinic
    from ..definitions.consent import load_consent_definition
    from ..screening.procedure import PlannedProcedure

    consent = record.consent
    try:
        definition = load_consent_definition()
        if (definition.id, definition.version) != (
            consent.get("definition_id"),
            consent.get("version"),
        ) or locale not in definition.locales:
            return consent
        plan = _object(consent["plan"])
        rebuilt = build_consent(
            PlannedProcedure(
                sites=tuple(_texts(plan["sites"])) or None,
                local_anesthetic=_text(plan["local_anesthetic"]),
                corticosteroid=bool(plan["corticosteroid"]),
            ),
            Clinic.from_dict(record.clinic),
            locale,
            performer=_text(_object(consent["performer"])["id"]),
            discussed_by=_text(_object(consent["discussed_by"])["id"]),
            definition=definition,
        )
    except (TpiFormsError, KeyError, TypeError):
        return consent
    data: dict[str, Any] = rebuilt.to_dict()
    return data


def _object(value: JsonValue) -> Mapping[str, JsonValue]:
    if not isinstance(value, Mapping):
        raise TypeError("not a JSON object")
    return value


def _text(value: JsonValue) -> str:
    if not isinstance(value, str):
        raise TypeError("not a JSON string")
    return value


def _texts(value: JsonValue) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError("not a JSON array")
    return [_text(item) for item in value]


def _staff_copy(
    record: ConsentRecord,
    words: WordSet,
    q: Questionnaire,
    site_label: SiteLabel,
    tz: str,
) -> dict[str, Any] | None:
    clinic_locale = str(record.clinic.get("default_locale") or "")
    if not clinic_locale or language_of(clinic_locale) == language_of(record.locale):
        return None
    if clinic_locale not in words.locales or clinic_locale not in q.locales:
        return None  # the staff parts cannot be worded in that language
    t = words.words(clinic_locale)
    consent = _clinic_consent(record, clinic_locale)
    rules = {rule.id: rule for rule in q.rules}
    reviewed = set(record.review.findings) if record.review is not None else set()
    findings = []
    for f in record.screening_result.findings:
        rule = rules.get(f.rule_id)
        lines = (
            [rule.patient_message.get(clinic_locale), rule.clinician_rationale.get(clinic_locale)]
            if rule is not None
            else [x for x in (f.patient_message, f.clinician_rationale) if x]
        )
        findings.append(
            {
                "severity": t.get(f"severity_{f.severity}", f.severity),
                "lines": lines,
                "because": finding_reasons(f, q, clinic_locale),
                "source": f.source,
                "reviewed": f.rule_id in reviewed,
            }
        )
    roles = {r["id"]: r for r in signer_roles(consent)}
    signed_roles = {r["id"]: r for r in signer_roles(record.consent)}
    consenting = consenting_of(record.consent)
    signers = []
    for s in record.signatures:
        if s.role in consenting:
            continue
        role = roles.get(s.role) or signed_roles[s.role]
        translated = role.get("meaning")
        signers.append(
            {
                "printed_name": s.printed_name,
                "role": role["title"],
                "signed_at": format_datetime(s.signed_at, clinic_locale, tz),
                "meaning": s.meaning,
                "meaning_here": translated if translated and translated != s.meaning else None,
            }
        )
    events = []
    for e in record.audit:
        other_device = e.device_id if e.device_id != record.device_id else None
        worded = describe_event(e.event, e.detail, t, consent, other_device)
        at = to_zone(e.at, tz).isoformat(sep=" ", timespec="seconds")
        events.append({"at": at, "event": worded.what, "detail": worded.detail})
    status = str(record.screening.get("status", ""))
    review = record.review
    name = _language_name(clinic_locale, clinic_locale)
    return {
        "t": t,
        "lang": clinic_locale.replace("_", "-"),
        "title": t["staff_copy"].format(language=name),
        "meaning_label": t["meaning_in_language"].format(language=name),
        "status": status,
        "status_text": t.get(f"status_{status}", status),
        "findings": findings,
        "decision": None
        if review is None
        else _decision(record, review, t, clinic_locale, tz, q, site_label, consent),
        "signers": signers,
        "events": events,
    }
