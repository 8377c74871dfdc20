"""Audit events in words: ids stay in the record, the page prints what they mean."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest

from tpi_forms.definitions.words import words
from tpi_forms.kiosk.accounts import ROLES
from tpi_forms.pdf.audit import describe_event, duration, humanise

EN = words("packet", "en")
ES = words("packet", "es")
CONSENT: dict[str, Any] = {
    "locale": "en",
    "sections": [{"id": "risks", "title": "Risks of the shot"}],
    "risks": [
        {"id": "bruising", "name": "Bruising"},
        {"id": "pneumothorax", "name": "Collapsed lung"},
    ],
}
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")


@pytest.mark.parametrize(
    ("event", "detail", "what", "rest"),
    [
        ("consent_time_on_page", {"seconds": 184}, "Consent read for 3 min 4 s", ""),
        (
            "consent_time_on_page",
            {"seconds": "not recorded", "reached_end": "yes", "consent_hash": "ab12"},
            "Consent read for a time that was not recorded",
            "Read to the end: Yes; Consent SHA-256: ab12",
        ),
        ("consent_time_on_page", {}, "Consent read for a time that was not recorded", ""),
        ("packet_generated", {}, "Packet made", ""),
        ("form_opened", {}, "Form opened", ""),
        ("section_viewed", {"section": "risks"}, "Section read: Risks of the shot", ""),
        ("section_viewed", {"section": "after_care"}, "Section read: After care", ""),
        (
            "risks_acknowledged",
            {"count": 2, "risks": "bruising pneumothorax"},
            "Risks ticked as read: 2",
            "Risks: Bruising and Collapsed lung",
        ),
        ("esign_consent", {"given": "yes"}, "Agreed to sign on the screen", "Agreed: Yes"),
        (
            "signed",
            {"role": "patient", "method": "typed", "via": "command line"},
            "Signed: Patient",
            "How signed: Name typed as signature; Through: The command line",
        ),
        ("kiosk_opened", {"mode": "self"}, "Check-in opened", "Opened by: The patient"),
        (
            "kiosk_screened",
            {"status": "review"},
            "Screening answers sent",
            "Result: Review: a clinician must decide",
        ),
        ("kiosk_cleared", {"by": "staff"}, "Cleared for consent", "By: Staff"),
        (
            "kiosk_cleared",
            {"by": "u7KqL2", "by_name": "Sam Lee", "role": "clinician"},
            "Cleared for consent by Sam Lee (clinician)",
            "",
        ),
        (
            "kiosk_handed_to_tablet",
            {"device": "tablet-2", "by": "u9", "by_name": "Dee Desk", "role": "front_desk"},
            "Tablet handed to the patient by Dee Desk (front desk)",
            "Device: tablet-2",
        ),
        (
            "kiosk_staff_user_created",
            {"by": "command_line", "by_name": "command line (ana)", "role": "command_line"},
            "Staff account added by command line (ana)",
            "",
        ),
        (
            "kiosk_packet_gave_up",
            {"attempts": 3, "error": "OSError", "reason": "disk_full"},
            "Packet could not be made; the kiosk stopped trying",
            "Tries: 3; Reason: OSError; Why: The disk is full",
        ),
        (
            "kiosk_packet_failed",
            {"error": "OSError"},
            "Packet could not be made; it will be tried again",
            "Reason: OSError",
        ),
        (
            "clinician_decided",
            {"decision_code": "go_ahead"},
            "Clinician decided",
            "Decision code: Go ahead",
        ),
    ],
)
def test_events_print_in_words(
    event: str, detail: dict[str, str | int], what: str, rest: str
) -> None:
    worded = describe_event(event, detail, EN, CONSENT)
    assert (worded.what, worded.detail) == (what, rest)
    assert event not in worded.what


def test_ids_never_print_as_ids() -> None:
    for event in [key.removeprefix("events.") for key in EN if key.startswith("events.")]:
        worded = describe_event(event, {"seconds": 5, "role": "witness", "mode": "staff"}, EN)
        assert not SNAKE.search(worded.what + " " + worded.detail), (event, worded)
    unknown = describe_event("made_up_event", {"odd_key": 3}, EN)
    assert unknown.what == "Made up event" and unknown.detail == "Odd key: 3"


def test_events_in_spanish() -> None:
    consent = {**CONSENT, "locale": "es"}
    worded = describe_event(
        "consent_time_on_page", {"seconds": 65, "reached_end": "no"}, ES, consent
    )
    assert worded.what == "Consentimiento leído durante 1 min 5 s"
    assert worded.detail == "Leyó hasta el final: No"
    risks = describe_event("risks_acknowledged", {"risks": "bruising pneumothorax"}, ES, consent)
    assert risks.detail == "Riesgos: Bruising y Collapsed lung"  # Babel's Spanish list


def test_a_staff_action_names_the_person_in_spanish() -> None:
    who = {"by": "u7KqL2", "by_name": "Sam Lee", "role": "admin"}
    worded = describe_event("kiosk_stopped", who, ES)
    assert worded.what == "Detenido: no hay procedimiento hoy por Sam Lee (administrador)"
    assert worded.detail == ""


@pytest.mark.parametrize("t", [EN, ES], ids=["en", "es"])
def test_every_staff_role_is_worded(t: Mapping[str, str]) -> None:
    for role in ROLES:
        worded = describe_event("kiosk_cleared", {"by_name": "Sam Lee", "role": role}, t)
        assert worded.what.endswith(f" Sam Lee ({t[f'values.role.{role}']})"), role
        assert not SNAKE.search(worded.what)


def test_another_device_is_named() -> None:
    assert describe_event("form_opened", {}, EN, device="tablet-2").detail == "Device: tablet-2"


@pytest.mark.parametrize(
    ("seconds", "words_"), [(0, "0 s"), (59, "59 s"), (60, "1 min 0 s"), (3725, "62 min 5 s")]
)
def test_duration(seconds: int, words_: str) -> None:
    assert duration(seconds, EN) == words_


def test_humanise() -> None:
    assert humanise("kiosk_tablet-wiped") == "Kiosk tablet wiped"
    assert humanise("") == ""
