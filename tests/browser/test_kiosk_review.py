"""The consent process in headless Chromium at 1024×768: a clinician reviews every answer and
decides with a note, a front-desk account cannot; the patient checks and certifies their answers
and signs; an interpreter and the practitioner sign after a Spanish-speaking patient.

Screenshots go to ``tests/artifacts/kiosk/``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tpi_forms.kiosk.state import CONSENT, PATIENT_SIGNING
from tpi_forms.record.model import ConsentRecord
from tpi_forms.screening.scenarios import example_answers

from .harness import assert_no_axe_violations
from .kiosk_server import CLINICIAN, DESK, DESK_PIN, KioskServer, staff_login, tablet
from .test_kiosk_flow import (
    decide,
    fill_screening,
    practitioner_signs,
    shot,
    sign_consent,
)

pytestmark = pytest.mark.browser

PATIENT = {"name": "Dana Reviewed", "dob": "1968-05-09"}
RAW_ID = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def open_checkin(page: Page, patient: dict[str, str], language: str = "English") -> str:
    page.get_by_role("link", name="New check-in").first.click()
    page.locator("#name").fill(patient["name"])
    page.locator("#date_of_birth").fill(patient["dob"])
    page.get_by_label("Patient's language").select_option(label=language)
    page.get_by_role("button", name="Open check-in").click()
    page.wait_for_url(re.compile(r".*/staff/checkins/[A-Za-z0-9_-]{22}$"))
    return page.url


def answers_of(patient: dict[str, str], scenario: str) -> dict[str, Any]:
    return example_answers(scenario) | {
        "patient_name": patient["name"],
        "date_of_birth": patient["dob"],
    }


def visible_ids(page: Page) -> list[str]:
    return RAW_ID.findall(page.locator("body").inner_text())


def test_clinician_decides_with_a_note_and_front_desk_cannot(browser: Browser, kiosk: Any) -> None:
    server: KioskServer = kiosk(120)
    context, page, problems = tablet(browser, server)
    staff_login(page, server, DESK, DESK_PIN)
    url = open_checkin(page, PATIENT)
    page.get_by_role("button", name="Hand this tablet to the patient").click()
    page.wait_for_url(f"{server.url}/kiosk/screening")
    fill_screening(page, answers_of(PATIENT, "review"), "review")
    page.wait_for_url(f"{server.url}/kiosk/wait")

    # The front desk sees the answers but no decision form, and a forged post is refused.
    staff_login(page, server, DESK, DESK_PIN)
    page.goto(f"{url}/review")
    assert page.locator("#kiosk-decision-form").count() == 0
    assert (
        "Only a clinician account can decide" in page.locator("#kiosk-clinician-only").inner_text()
    )
    token = page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
    screening = server.services.store.latest_submission(url.rsplit("/", 1)[1], "screening")
    assert screening is not None
    forged = page.request.post(
        f"{url}/decision",
        form={"csrf_token": token, "screening": screening.token, "outcome": "proceed"},
    )
    assert forged.status == 403 and "Only a clinician account can decide" in forged.text()
    assert server.services.store.events(kinds=["review_decided"]) == []
    shot(page, "front-desk-review")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{server.url}/kiosk/wait")

    # The clinician: every answer in words, the answers behind the finding marked beside it.
    staff_login(page, server)
    page.goto(f"{url}/review")
    finding = page.locator("#finding-1")
    behind = finding.inner_text()
    assert "Do you take a blood thinner?" in behind and "Which blood thinner" in behind
    assert "Apixaban" in behind
    assert page.locator(".kiosk-answers .kiosk-marked").count() >= 2  # marked in the list too
    assert visible_ids(page) == [], visible_ids(page)
    shot(page, "clinician-review")
    assert_no_axe_violations(page, "clinician review page")
    page.goto(url)
    decide(page, "proceed_with_changes", "Apixaban: superficial sites only, no steroid today.")
    decision = page.locator("#kiosk-decision").inner_text()
    assert "Proceed with changes" in decision and f"decided by {CLINICIAN}" in decision
    assert "superficial sites only" in decision
    trail = page.locator(".kiosk-events").inner_text()
    assert f"Clinician's decision: proceed with changes by {CLINICIAN} (clinician)" in trail
    shot(page, "clinician-decided")
    assert problems == [], problems
    context.close()


def test_spanish_patient_certifies_signs_then_interpreter_and_practitioner_sign(
    browser: Browser, kiosk: Any
) -> None:
    server: KioskServer = kiosk(120)
    context, page, problems = tablet(browser, server)
    staff_login(page, server)
    url = open_checkin(page, PATIENT, language="Español")
    checkin_id = url.rsplit("/", 1)[1]
    page.get_by_role("button", name="Hand this tablet to the patient").click()
    page.wait_for_url(f"{server.url}/kiosk/screening")
    fill_screening(page, answers_of(PATIENT, "clear"), "spanish", certify=False)

    # The patient's answers in words, a change link per step; one change, then certified.
    page.wait_for_url(f"{server.url}/kiosk/check")
    assert page.get_by_role("heading", level=1).inner_text() == "Revise sus respuestas"
    changes = page.get_by_role("link", name=re.compile("^Cambiar el paso"))
    assert changes.count() >= 5
    assert visible_ids(page) == [], visible_ids(page)
    shot(page, "spanish-check-answers")
    assert_no_axe_violations(page, "certification page in Spanish")
    page.get_by_role("link", name=re.compile("^Cambiar el paso 1:")).tap()
    page.wait_for_url(re.compile(r".*/kiosk/screening\?step=1$"))
    assert page.locator("#patient_name").input_value() == PATIENT["name"]  # answers kept
    steps = page.locator("[data-tpi-step]").count()
    for _ in range(1, steps):
        page.locator("[data-tpi-next]").tap()
    page.locator("[data-tpi-submit]").tap()
    page.wait_for_url(f"{server.url}/kiosk/check")
    with page.expect_navigation(url=f"{server.url}/kiosk/check"):
        page.locator("form.kiosk-certify button[type=submit]").tap()  # not ticked
    assert "Marque la casilla" in page.get_by_role("alert").inner_text()
    page.locator('label[for="answers_true"]').tap()
    page.locator("form.kiosk-certify button[type=submit]").tap()
    page.wait_for_url(f"{server.url}/kiosk/consent")
    sign_consent(page, PATIENT["name"], drawn=False)
    page.wait_for_url(f"{server.url}/kiosk/done")
    assert "también firmará" in page.locator("#kiosk-practitioner-next").inner_text()
    shot(page, "spanish-done-awaiting")
    store = server.services.store
    assert store.latest_submission(checkin_id, PATIENT_SIGNING) is not None
    assert store.latest_submission(checkin_id, CONSENT) is None

    # Staff: awaiting the practitioner; the interpreter signs, then the practitioner.
    staff_login(page, server)
    page.goto(url)
    assert "Awaiting the practitioner" in page.locator("#kiosk-awaiting").inner_text()
    assert page.locator("#kiosk-step").inner_text().endswith("awaiting the practitioner")
    page.get_by_role("link", name="Add the interpreter's signature").click()
    assert "into the language below" in page.locator("#kiosk-meaning").inner_text()
    assert "al idioma indicado abajo" in page.locator("#kiosk-meaning-patient").inner_text()
    page.get_by_label("Interpreter's name or ID number").fill("Rosa Intérprete")
    page.get_by_label("Language interpreted into").fill("Spanish")
    page.get_by_label("I mean this as my signature.").check()
    shot(page, "interpreter-signs")
    assert_no_axe_violations(page, "interpreter's signature")
    page.get_by_role("button", name="Sign", exact=True).click()
    page.wait_for_url(url)
    assert "Rosa Intérprete" in page.locator("#kiosk-signers").inner_text()
    assert store.latest_submission(checkin_id, CONSENT) is None  # still awaiting
    practitioner_signs(page, url)
    assert server.services.packets.wait_idle(120)
    # The page refreshes itself every 3 s until the packet is made: wait for that last refresh.
    page.wait_for_selector("#kiosk-packet-pending", state="detached", timeout=15000)
    page.wait_for_load_state()
    signers = page.locator("#kiosk-signers").inner_text()
    assert "Patient: Dana Reviewed" in signers and f"Clinician: {CLINICIAN}" in signers
    assert page.locator("#kiosk-awaiting").count() == 0
    shot(page, "all-signed")
    final = store.latest_submission(checkin_id, CONSENT)
    assert final is not None and store.packet(checkin_id) is not None
    record = ConsentRecord.from_dict(final.payload)
    assert [s.role for s in record.signatures] == ["patient", "interpreter", "practitioner"]
    assert record.certification is not None and record.locale == "es"
    pdf = page.request.get(f"{url}/packet.pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    refused = "console error: Failed to load resource: the server responded with a status of 422"
    assert [p for p in problems if not p.startswith(refused)] == [], problems  # the unticked box
    assert len(problems) == 1, problems
    context.close()
