"""The decision, certification and signers on the packet, in words, and their verification."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import pytest
from packet_fixtures import SIGNED, make_record, no_weasyprint_logs, pdf_text, reembed, squash
from review_fixtures import NOTE, STATEMENT, decision, review_record

from tpi_forms.definitions.clinic import sample_clinic
from tpi_forms.pdf.packet import PacketRenderer, render_packet
from tpi_forms.record.model import ConsentRecord
from tpi_forms.record.review import answers_sha256
from tpi_forms.verify.packet import Verification, verify_packet

GENERATED = SIGNED + dt.timedelta(minutes=8)


def render(record: ConsentRecord) -> bytes:
    with no_weasyprint_logs():
        return render_packet(record, generated_at=GENERATED)


@pytest.fixture(scope="module")
def english() -> tuple[ConsentRecord, bytes]:
    record = review_record("en")
    return record, render(record)


@pytest.fixture(scope="module")
def spanish() -> tuple[ConsentRecord, bytes]:
    record = review_record("es")
    return record, render(record)


def failed(result: Verification) -> dict[str, str]:
    return {c.name: c.detail for c in result.checks if not c.passed}


def test_the_first_page_prints_the_decision_next_to_the_findings(
    english: tuple[ConsentRecord, bytes],
) -> None:
    first = squash(pdf_text(english[1])[0])
    for text in (
        "Findings",
        "Reviewed in the clinician's decision below.",
        "Clinician's decision",
        "Proceed as planned",
        "Decided by",
        "Casey Clinician, MD",
        "March 2, 2026, 9:10 AM",
        NOTE,
        "Findings reviewed",
        "Do you take a blood thinner? Yes",
    ):
        assert squash(text) in first, text
    assert first.index(squash("Findings")) < first.index(squash("Clinician's decision"))


def test_the_certification_prints_with_the_answers(english: tuple[ConsentRecord, bytes]) -> None:
    record, pdf = english
    pages = [squash(p) for p in pdf_text(pdf)]
    answers_pages = [i for i, p in enumerate(pages) if squash("Screening answers") in p]
    where = [i for i, p in enumerate(pages) if squash(STATEMENT) in p]
    assert where and answers_pages and where[0] in range(answers_pages[0], answers_pages[0] + 3)
    page = pages[where[0]]
    assert squash("The patient's certification of these answers") in page
    assert squash("March 2, 2026, 9:22 AM") in page
    assert record.certification is not None
    assert record.certification.answers_sha256 in page


def test_the_audit_trail_prints_the_process_in_words(english: tuple[ConsentRecord, bytes]) -> None:
    text = squash(" ".join(pdf_text(english[1])))
    for words in (
        "Reviewed by Casey Clinician, MD: proceed as planned",
        "The patient certified the answers as true",
        "Consent read for 3 min 4 s",
        "Signed: Patient",
        "Signed: Clinician",
        "Packet made",
    ):
        assert squash(words) in text, words
    assert "casey" not in text  # the staff account id stays in the record
    assert "clinician)" not in text  # the role is not repeated as a detail


def test_every_signer_prints_with_their_meaning(english: tuple[ConsentRecord, bytes]) -> None:
    record, pdf = english
    text = squash(" ".join(pdf_text(pdf)))
    for signature in record.signatures:
        assert squash(f"{signature.printed_name}") in text
        assert squash(signature.meaning) in text


def test_a_packet_in_the_clinics_language_has_no_second_copy(
    english: tuple[ConsentRecord, bytes],
) -> None:
    html = PacketRenderer().html(english[0], "0" * 64)
    assert "staff-copy" not in html
    assert "For the clinic" not in " ".join(pdf_text(english[1]))


def test_a_spanish_packet_repeats_the_staff_parts_in_english(
    spanish: tuple[ConsentRecord, bytes],
) -> None:
    record, pdf = spanish
    html = PacketRenderer().html(record, "0" * 64)
    assert '<section class="page staff-copy" lang="en">' in html
    pages = [squash(p) for p in pdf_text(pdf)]
    assert squash("Decisión del profesional de salud") in pages[0]
    assert squash("Seguir como se planeó") in pages[0]
    copy_start = next(i for i, p in enumerate(pages) if squash("For the clinic, in English") in p)
    audit_page = next(i for i, p in enumerate(pages) if squash("Registro de auditoría") in p)
    assert copy_start > audit_page
    copy = "".join(pages[copy_start:])
    for words in (
        "Review: a clinician must decide",
        "Anticoagulant or antiplatelet use",
        "Do you take a blood thinner? Yes",
        "Clinician's decision",
        "Proceed as planned",
        "Staff and other signers",
        "Meaning as signed: I explained the risks",
        "Meaning in English: I sign after I talked with the patient",
        "Reviewed by Casey Clinician, MD: proceed as planned",
        "Signed: Clinician",
        "Packet made",
    ):
        assert squash(words) in copy, words
    assert squash("Meaning as signed: I agree to the shot") not in copy  # the patient's own


def test_a_spanish_clinic_gets_an_english_patients_staff_parts_in_spanish() -> None:
    clinic = dataclasses.replace(sample_clinic(), default_locale="es")
    record = review_record("en", clinic=clinic)
    html = PacketRenderer().html(record, "0" * 64)
    assert '<section class="page staff-copy" lang="es">' in html
    pdf = render(record)
    pages = [squash(p) for p in pdf_text(pdf)]
    copy_start = next(i for i, p in enumerate(pages) if squash("Para la clínica, en español") in p)
    copy = "".join(pages[copy_start:])
    assert squash("Revisado por Casey Clinician, MD: seguir como se planeó") in copy
    assert squash("Significado en español:") in copy
    result = verify_packet(pdf)
    assert result.ok, result.failed()


def test_a_changed_plan_prints_with_the_decision() -> None:
    record = review_record(review=decision("proceed_with_changes"))
    # The decision follows the findings: on page 2 once 0.2's longer rationale fills page 1.
    first = squash("".join(pdf_text(render(record))[:2]))
    assert squash("Proceed with changes") in first
    assert squash("Changed plan") in first
    assert squash("Sites: Neck") in first
    assert squash("Steroid: No") in first


def test_no_procedure_after_signing_prints_as_such_and_verifies() -> None:
    stop = decision("no_procedure", decided_at=SIGNED + dt.timedelta(minutes=7))
    record = review_record(review=stop, require_review=False)
    pdf = render(record)
    assert squash("No procedure today") in squash(pdf_text(pdf)[0])
    result = verify_packet(pdf)
    assert result.ok, result.failed()


def test_a_reviewed_packet_passes_every_check(english: tuple[ConsentRecord, bytes]) -> None:
    result = verify_packet(english[1])
    assert result.ok, result.failed()
    names = [c.name for c in result.checks]
    assert names[-4:] == [
        "signer_events",
        "review_matches_pages",
        "certification_matches_answers",
        "consent_hash",
    ]
    assert result.record is not None and result.record.review == english[0].review


def test_a_spanish_reviewed_packet_passes_every_check(spanish: tuple[ConsentRecord, bytes]) -> None:
    result = verify_packet(spanish[1])
    assert result.ok, result.failed()


def test_a_packet_without_review_has_no_review_checks() -> None:
    record = make_record()
    result = verify_packet(render(record))
    assert result.ok, result.failed()
    names = {c.name for c in result.checks}
    assert "signer_events" in names
    assert not names & {"review_matches_pages", "certification_matches_answers"}


def _reviewed(data: dict[str, Any]) -> dict[str, Any]:
    review: dict[str, Any] = data["review"]
    return review


@pytest.mark.parametrize(
    ("change", "check"),
    [
        (lambda d: _reviewed(d).update(outcome="no_procedure"), "review_matches_pages"),
        (lambda d: _reviewed(d).update(clinician_name="Pat Other"), "review_matches_pages"),
        (lambda d: _reviewed(d).update(note="Fine."), "review_matches_pages"),
        (
            lambda d: _reviewed(d).update(decided_at="2026-03-02T15:05:00+00:00"),
            "review_matches_pages",
        ),
        (
            lambda d: d["certification"].update(statement="I agree to anything."),
            "certification_matches_answers",
        ),
        (lambda d: d["answers"].update(pain_score=9), "certification_matches_answers"),
    ],
)
def test_an_altered_decision_or_certification_fails_its_check(
    english: tuple[ConsentRecord, bytes], change: Any, check: str
) -> None:
    forged = reembed(english[1], change)
    found = failed(verify_packet(forged))
    assert check in found and "record_hash_printed" in found


def test_certified_answers_changed_with_the_certification_still_fail(
    english: tuple[ConsentRecord, bytes],
) -> None:
    def change(data: dict[str, Any]) -> None:
        data["answers"]["pain_score"] = 9
        data["certification"]["answers_sha256"] = answers_sha256(data["answers"])

    found = failed(verify_packet(reembed(english[1], change)))
    assert (
        "not found on the pages: certified answers' SHA-256"
        in found["certification_matches_answers"]
    )


def _signature_and_event(data: dict[str, Any], at: str) -> None:
    data["signatures"][1]["signed_at"] = at
    for event in data["audit"]:
        if event["event"] == "signed" and event["detail"].get("role") == "practitioner":
            event["at"] = at


def test_a_signing_time_moved_with_its_event_fails_signer_events(
    english: tuple[ConsentRecord, bytes],
) -> None:
    forged = reembed(english[1], lambda d: _signature_and_event(d, "2026-03-02T14:00:00+00:00"))
    found = failed(verify_packet(forged))
    assert found["signer_events"].startswith("not found on the pages: signer 2 signing time")


def test_a_signed_event_moved_alone_fails_signer_events(
    english: tuple[ConsentRecord, bytes],
) -> None:
    def change(data: dict[str, Any]) -> None:
        for event in data["audit"]:
            if event["event"] == "signed" and event["detail"].get("role") == "practitioner":
                event["at"] = "2026-03-02T14:00:00+00:00"

    found = failed(verify_packet(reembed(english[1], change)))
    assert found["signer_events"] == (
        "the 'practitioner' signature's 'signed' event is not at its signing time"
    )


def test_a_removed_signed_event_fails_signer_events(english: tuple[ConsentRecord, bytes]) -> None:
    def change(data: dict[str, Any]) -> None:
        data["audit"] = [
            e
            for e in data["audit"]
            if not (e["event"] == "signed" and e["detail"].get("role") == "practitioner")
        ]

    found = failed(verify_packet(reembed(english[1], change)))
    assert found["signer_events"] == "no 'signed' event of its own for: practitioner"


def test_an_old_record_without_every_signers_event_still_verifies() -> None:
    # 0.1.0 records could carry one 'signed' event (the patient's) among several signers.
    record = make_record()
    old = dataclasses.replace(
        record,
        audit=tuple(
            e for e in record.audit if not (e.event == "signed" and e.detail["role"] != "patient")
        ),
    )
    assert "review" not in old.to_dict()
    result = verify_packet(render(old))
    assert result.ok, result.failed()
    check = {c.name: c for c in result.checks}["signer_events"]
    assert "without a clinician's decision or certification" in check.detail


_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
ALLOWED_IDS = {"tpi_consent", "tpi_screening"}  # definition ids, printed as the version cited


def test_the_printed_packet_has_no_raw_ids(spanish: tuple[ConsentRecord, bytes]) -> None:
    record, pdf = spanish
    text = " ".join(pdf_text(pdf))
    assert set(_SNAKE.findall(text)) <= ALLOWED_IDS
    for event in record.audit:
        if "_" in event.event:
            assert event.event not in text
