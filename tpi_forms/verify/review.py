"""Verification of the consent process a packet records: decision, certification, signers' events.

Three checks join `verify_packet`'s report:

* ``signer_events`` — every ``signed`` event naming a role is at that role's signing time; in
  a record with a clinician's decision or a certification (the process since 0.2.0) every
  signer also has an event of their own, and each signer's event and signing time are printed;
  a signer the screening asks for (a minor's legal representative) signed;
* ``review_matches_pages`` (when the record holds a decision) — the pages print the decision
  the record holds: its outcome in words, the clinician, the time and the note;
* ``certification_matches_answers`` (when it holds a certification) — the certification is of
  the record's answers (their SHA-256), and its statement, time and hash are printed.

A forger who rewrites the embedded record (another outcome, a later signing time, other
answers) without re-printing the pages fails these checks, besides ``record_hash_printed``.
The outcome is looked for in the shipped packet words of the record's language (and of the
clinic's, whose copy of the staff parts prints it too); a packet printed with a clinic's own
words passes that part with a note when none of the shipped outcome words is on its pages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..errors import TpiFormsError
from ..i18n import format_datetime, to_zone
from ..record.model import ConsentRecord
from ..record.required_signers import (
    required_signer_problem,
    required_signers,
    screening_findings,
)
from ..record.review import REVIEW_OUTCOMES, answers_sha256, signer_event_problem
from .page_text import PageText, norm

CheckRow = tuple[str, bool, str]


def process_checks(
    record: ConsentRecord, pages: Sequence[Any] | PageText, renderer: object = None
) -> list[CheckRow]:
    """The process checks of ``record`` against the text of ``pages`` (pypdf pages).

    ``renderer`` is the packet's renderer (`verify_packet`'s), whose text layer gives how the
    record's names and notes copy out of the pages.
    """
    text = pages if isinstance(pages, PageText) else PageText(pages)
    tz = str(record.clinic.get("time_zone", "UTC"))
    checks = [_signer_events(record, text, tz)]
    if record.review is not None:
        checks.append(_review(record, text, tz, renderer))
    if record.certification is not None:
        checks.append(_certification(record, text, tz, renderer))
    return checks


def _signer_events(record: ConsentRecord, text: PageText, tz: str) -> CheckRow:
    every = record.review is not None or record.certification is not None
    problem = signer_event_problem(record.signatures, record.audit, every_signer=every)
    problem = problem or required_signer_problem(
        _required(record), record.signatures, record.consent
    )
    if problem:
        return ("signer_events", False, problem)
    if not every:
        return (
            "signer_events",
            True,
            "every 'signed' event is at its signer's signing time"
            " (a record without a clinician's decision or certification)",
        )
    facts: dict[str, str] = {}
    for i, signature in enumerate(record.signatures, start=1):
        printed = format_datetime(signature.signed_at, record.locale, tz)
        event = to_zone(signature.signed_at, tz).isoformat(sep=" ", timespec="seconds")
        facts[f"signer {i} signing time"] = norm(printed)
        facts[f"signer {i} signed event"] = norm(event)
    missing = text.missing(facts, from_end=True)
    if missing:
        return ("signer_events", False, f"not found on the pages: {', '.join(missing)}")
    return (
        "signer_events",
        True,
        f"{len(record.signatures)} signer(s), each with a 'signed' event at its signing time,"
        " printed",
    )


def _required(record: ConsentRecord) -> tuple[str, ...]:
    """The signers the record's findings ask for, and those its answers ask for when screened
    again with the questionnaire it cites (when that is shipped): dropping a finding with its
    signer does not pass."""
    from ..definitions.released import questionnaire_for
    from ..screening.engine import ScreeningResult, screen

    found = list(required_signers(screening_findings(record.screening)))
    questionnaire = questionnaire_for(record.questionnaire_id, record.questionnaire_version)
    if questionnaire is not None:
        try:
            stored = ScreeningResult.from_dict(record.screening)
            again = screen(
                record.answers,
                stored.procedure,
                questionnaire=questionnaire,
                locale=record.locale,
                today=stored.as_of,
            )
        except TpiFormsError:
            again = None
        if again is not None:
            found += required_signers(again.findings)
    return tuple(dict.fromkeys(found))


def _outcome_problem(
    outcome: str, text: PageText, words: Callable[[str], dict[str, str] | None], locales: list[str]
) -> tuple[str | None, bool]:
    """(why the printed outcome differs, whether any shipped outcome words were found).

    The record's language prints the decision on the first page, the clinic's near the end.
    """
    seen_any = False
    for n, locale in enumerate(locales):
        t = words(locale)
        if t is None:
            continue
        phrases = {o: norm(t[f"outcome_{o}"]).casefold() for o in REVIEW_OUTCOMES}
        if text.contains(phrases[outcome], from_end=n > 0):
            seen_any = True
            continue
        if any(text.contains(p) for o, p in phrases.items() if o != outcome):
            return f"the pages print another decision than the record's ({locale})", True
    return None, seen_any


def _shipped_words(locale: str) -> dict[str, str] | None:
    from ..definitions.words import word_set

    try:
        return dict(word_set("packet").words(locale))
    except TpiFormsError:
        return None


def _review(record: ConsentRecord, text: PageText, tz: str, renderer: object) -> CheckRow:
    review = record.review
    assert review is not None
    facts = {
        "clinician": review.clinician,
        "decision time": format_datetime(review.decided_at, record.locale, tz),
        "decision note": review.note,
    }
    missing = text.not_printed(facts, locale=record.locale, renderer=renderer)
    if missing:
        return ("review_matches_pages", False, f"not found on the pages: {', '.join(missing)}")
    locales = [record.locale]
    clinic_locale = str(record.clinic.get("default_locale") or "")
    if clinic_locale and clinic_locale != record.locale:
        locales.append(clinic_locale)
    problem, seen = _outcome_problem(review.outcome, text, _shipped_words, locales)
    if problem:
        return ("review_matches_pages", False, problem)
    note = "" if seen else " (outcome in the clinic's own words, not checked)"
    return (
        "review_matches_pages",
        True,
        f"the decision, its clinician, time and note are printed{note}",
    )


def _certification(record: ConsentRecord, text: PageText, tz: str, renderer: object) -> CheckRow:
    certification = record.certification
    assert certification is not None
    if certification.answers_sha256 != answers_sha256(record.answers):
        return (
            "certification_matches_answers",
            False,
            "the certification is of other answers than the record's",
        )
    facts = {
        "certification statement": certification.statement,
        "certification time": format_datetime(certification.certified_at, record.locale, tz),
        "certified answers' SHA-256": certification.answers_sha256,
    }
    missing = text.not_printed(facts, locale=record.locale, renderer=renderer)
    if missing:
        return (
            "certification_matches_answers",
            False,
            f"not found on the pages: {', '.join(missing)}",
        )
    return (
        "certification_matches_answers",
        True,
        f"certifies the record's answers (SHA-256 {certification.answers_sha256[:16]}…), printed",
    )
