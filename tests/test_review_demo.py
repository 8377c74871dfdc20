"""``tpi-forms demo`` writes review-scenario packets: decision, certification, each signer's own
event, events in time order, the packet made after the last signature, no raw ids in print."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tpi_forms.cli import main
from tpi_forms.definitions.questionnaire import load_questionnaire
from tpi_forms.record.model import ConsentRecord
from tpi_forms.record.review import REVIEW_OUTCOMES, answers_sha256
from tpi_forms.verify.packet import verify_packet

_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
DEFINITION_IDS = {"tpi_consent", "tpi_screening"}
"""Definition ids the packet prints on purpose, as the version it cites (footer, summary)."""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(out)]) == 0
    return out


def _record(pdf: Path) -> ConsentRecord:
    result = verify_packet(pdf.read_bytes())
    assert result.ok, result.failed()
    assert result.record is not None
    return result.record


@pytest.mark.parametrize("name", ["signed-packet.pdf", "signed-packet.es.pdf"])
def test_the_demo_record_holds_the_whole_process(demo: Path, name: str) -> None:
    record = _record(demo / name)
    review = record.review
    assert review is not None
    assert review.outcome == "proceed" and review.clinician == "Alex Sample, MD"
    assert review.findings == ("blood_thinner",) and review.note
    assert record.screening["status"] == "review"
    certification = record.certification
    assert certification is not None
    assert certification.answers_sha256 == answers_sha256(record.answers)
    assert [s.role for s in record.signatures] == ["patient", "practitioner"]
    patient, practitioner = record.signatures
    assert review.decided_at < certification.certified_at < patient.signed_at
    assert patient.signed_at < practitioner.signed_at
    for signature in record.signatures:
        own = [
            e
            for e in record.audit
            if e.event == "signed" and e.detail.get("role") == signature.role
        ]
        assert [e.at for e in own] == [signature.signed_at]
    times = [e.at for e in record.audit]
    assert times == sorted(times)
    assert record.audit[-1].event == "packet_generated"
    assert record.audit[-1].at > practitioner.signed_at
    assert [e.event for e in record.audit].count("packet_generated") == 1
    events = {e.event for e in record.audit}
    assert {"review_decided", "answers_certified", "consent_time_on_page"} <= events


def _pdftotext(pdf: Path) -> str:
    """The text poppler reads from the packet, in reading order (each cell's lines together)."""
    done = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.mark.parametrize("name", ["signed-packet.pdf", "signed-packet.es.pdf"])
def test_the_printed_demo_packet_has_no_raw_ids(demo: Path, name: str) -> None:
    record = _record(demo / name)
    text = _pdftotext(demo / name)
    assert set(_SNAKE.findall(text)) <= DEFINITION_IDS
    ids = {e.event for e in record.audit} | set(REVIEW_OUTCOMES)
    ids |= {rule.id for rule in load_questionnaire().rules}
    ids |= {key for e in record.audit for key in e.detail}
    for ident in ids:
        if "_" in ident:
            assert not re.search(rf"\b{ident}\b", text), ident
    assert "Alex Sample, MD" in text


def test_the_english_demo_packet_shows_decision_certification_and_signers(demo: Path) -> None:
    text = " ".join(_pdftotext(demo / "signed-packet.pdf").split())
    for words in (
        "Clinician's decision",
        "Proceed as planned",
        "The patient's certification of these answers",
        "These answers are true to the best of my knowledge.",
        "Reviewed by Alex Sample, MD: proceed as planned",
        "The patient certified the answers as true",
        "Signed: Patient",
        "Signed: Clinician",
        "Packet made",
    ):
        assert words in text, words
    assert "For the clinic" not in text


def test_the_spanish_demo_packet_repeats_the_staff_parts_in_english(demo: Path) -> None:
    text = " ".join(_pdftotext(demo / "signed-packet.es.pdf").split())
    assert "Decisión del profesional de salud" in text
    assert "Estas respuestas son verdaderas según mi leal saber y entender." in text
    assert "For the clinic, in English" in text
    assert "Reviewed by Alex Sample, MD: proceed as planned" in text
