"""The kiosk in headless Chromium: two patients in a row on one tablet, staff and patient.

The second patient must see nothing of the first: not in the page, not behind the back button,
not in a form field. Screenshots go to ``tests/artifacts/kiosk/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tpi_forms.kiosk.accounts import COMMAND_LINE
from tpi_forms.screening.scenarios import example_answers

from . import harness
from .harness import assert_no_axe_violations, posted_values, visible_questions
from .kiosk_server import (
    CLINICIAN,
    DESK,
    DESK_PIN,
    PIN,
    KioskServer,
    staff_login,
    tablet,
    try_login,
)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "kiosk"
SIGNATURE = [
    [(0.1, 0.6), (0.2, 0.3), (0.3, 0.7), (0.4, 0.35), (0.5, 0.65)],
    [(0.55, 0.7), (0.7, 0.3), (0.85, 0.6)],
]
FIRST = {"name": "Ana Firstpatient", "dob": "1975-03-14"}
SECOND = {"name": "Bo Secondpatient", "dob": "1990-11-02"}


def shot(page: Page, name: str) -> None:
    harness.shot(page, name, ARTIFACTS)


def open_checkin(page: Page, server: KioskServer, patient: dict[str, str]) -> str:
    page.get_by_role("link", name="New check-in").first.click()
    page.locator("#name").fill(patient["name"])
    page.locator("#date_of_birth").fill(patient["dob"])
    page.get_by_role("button", name="Open check-in").click()
    page.wait_for_url(re.compile(r".*/staff/checkins/[A-Za-z0-9_-]{22}$"))
    return page.url


def fill_screening(page: Page, answers: dict[str, Any], name: str, certify: bool = True) -> None:
    """Answer every step by tapping, then submit (and confirm the answers, ``certify``)."""
    steps = page.locator("[data-tpi-step]").count()
    for step in range(1, steps + 1):
        done: set[str] = set()
        while todo := [q for q in visible_questions(page) if q not in done]:
            qid = todo[0]
            done.add(qid)
            if qid not in answers:
                continue
            wrapper = page.locator(f'[data-tpi-question="{qid}"]')
            if wrapper.locator("input[type=radio], input[type=checkbox]").count():
                for value in posted_values(answers[qid]):
                    option = wrapper.locator(f'input[value="{value}"]')
                    page.locator(f'label[for="{option.get_attribute("id")}"]').tap()
            else:
                wrapper.locator("input, textarea").first.fill(str(answers[qid]))
        if step == 1:
            shot(page, f"{name}-screening-step1")
        if step < steps:
            page.locator("[data-tpi-next]").tap()
    page.locator("[data-tpi-submit]").tap()
    if certify:
        certify_answers(page, name)


def certify_answers(page: Page, name: str) -> None:
    """On the page of the patient's own answers: tick "these answers are true", confirm."""
    page.wait_for_url(re.compile(r".*/kiosk/check$"))
    shot(page, f"{name}-check-answers")
    page.locator('label[for="answers_true"]').tap()
    page.locator("form.kiosk-certify button[type=submit]").tap()


def practitioner_signs(page: Page, url: str, pin: str = PIN) -> None:
    """From the staff check-in page (logged in as a clinician): sign as the practitioner."""
    page.goto(url)
    page.get_by_role("link", name="Sign as the practitioner").click()
    page.get_by_label("Your PIN (your signature)").fill(pin)
    page.get_by_label("I mean this as my signature.").check()
    page.get_by_role("button", name="Sign", exact=True).click()
    page.wait_for_url(url)


def sign_consent(page: Page, name: str, drawn: bool) -> None:
    text = page.locator("[data-tpi-consent-text]")
    for _ in range(80):
        if page.locator("form[data-tpi-consent]").get_attribute("data-tpi-reached-end") == "1":
            break
        text.evaluate("e => e.scrollBy(0, e.clientHeight * 0.8)")
        page.wait_for_timeout(50)
    for risk in page.locator("input[id^='risk-']").all():
        page.locator(f'label[for="{risk.get_attribute("id")}"]').tap()
    page.locator('label[for="esign_consent"]').tap()
    page.locator("#patient-printed_name").fill(name)
    if drawn:
        page.locator('label[for="patient-method-drawn"]').tap()
        canvas = page.locator("#patient-pad")
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        assert box is not None
        for stroke in SIGNATURE:
            x, y = stroke[0]
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
            page.mouse.down()
            for x, y in stroke[1:]:
                page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=4)
            page.mouse.up()
    else:
        page.locator('label[for="patient-method-typed"]').tap()
    page.locator('label[for="patient-intent"]').tap()
    shot(page, f"{name.split()[0].lower()}-consent-signed")
    page.locator("form[data-tpi-consent] button[type=submit]").last.tap()


def decide(page: Page, outcome: str, note: str) -> None:
    """From a staff check-in page (a clinician): open the review, record a decision."""
    url = page.url
    page.get_by_role("link", name="Review the answers and decide").click()
    labels = {
        "proceed": "Proceed as planned",
        "proceed_with_changes": "Proceed with changes",
        "no_procedure": "No procedure today",
    }
    page.get_by_label(labels[outcome], exact=True).check()
    if note:
        page.get_by_label("Note (needed for a change and for no procedure today)").fill(note)
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_url(url)


def field_values(page: Page) -> list[str]:
    """Every typed value and every ticked box of the page's forms (hidden tokens aside)."""
    return list(
        page.eval_on_selector_all(
            "input:not([type=hidden]), textarea, select",
            """els => els.flatMap(e => {
                if (e.type === 'radio' || e.type === 'checkbox') return e.checked ? [e.id] : [];
                return e.value ? [e.name + '=' + e.value] : [];
            })""",
        )
    )


def assert_nothing_of(page: Page, patient: dict[str, str]) -> None:
    content = page.content()
    assert patient["name"] not in content and patient["dob"] not in content
    assert patient["name"].split()[1] not in content
    for value in field_values(page):
        assert patient["name"] not in value and patient["dob"] not in value


@pytest.mark.slow
def test_two_patients_in_a_row_on_one_tablet(browser: Browser, kiosk: Any) -> None:
    server: KioskServer = kiosk(120)
    context, page, problems = tablet(browser, server)
    page.goto(server.url)
    shot(page, "start")

    # Patient 1: staff opens the check-in, hands the tablet over; answers clear; draws a signature.
    page.get_by_role("link", name=re.compile("Staff")).click()
    staff_login(page, server)
    first_url = open_checkin(page, server, FIRST)
    shot(page, "first-staff-checkin")
    page.get_by_role("button", name="Hand this tablet to the patient").click()
    page.wait_for_url(f"{server.url}/kiosk/screening")
    assert page.locator("#patient_name").input_value() == FIRST["name"]
    answers = example_answers("clear") | {
        "patient_name": FIRST["name"],
        "date_of_birth": FIRST["dob"],
    }
    fill_screening(page, answers, "first")
    page.wait_for_url(f"{server.url}/kiosk/consent")
    sign_consent(page, FIRST["name"], drawn=True)
    page.wait_for_url(f"{server.url}/kiosk/done")
    shot(page, "first-done")
    page.get_by_role("button", name="I would like a paper copy").tap()
    page.get_by_role("button", name="Finish").tap()
    page.wait_for_url(f"{server.url}/")
    shot(page, "after-first")
    assert_nothing_of(page, FIRST)
    for _ in range(6):  # the back button finds only the start screen
        page.go_back()
        page.wait_for_load_state()
        assert_nothing_of(page, FIRST)
        assert page.url.startswith(server.url), page.url
    shot(page, "after-first-back-button")

    # Patient 2: self check-in; answers need review; waits; staff clears; typed signature.
    page.goto(server.url)
    page.get_by_role("button", name="Start check-in").tap()
    page.wait_for_url(f"{server.url}/kiosk/screening")
    assert_nothing_of(page, FIRST)
    assert field_values(page) == [], "the second patient's form starts empty"
    shot(page, "second-screening-empty")
    answers = example_answers("review") | {
        "patient_name": SECOND["name"],
        "date_of_birth": SECOND["dob"],
    }
    fill_screening(page, answers, "second")
    page.wait_for_url(f"{server.url}/kiosk/wait")
    assert "member of staff will be with you" in page.content()
    assert_nothing_of(page, FIRST)
    shot(page, "second-wait")
    page.get_by_role("link", name="Staff").click()
    staff_login(page, server)
    dashboard = page.content()
    assert FIRST["name"] in dashboard and SECOND["name"] in dashboard  # staff see both
    shot(page, "staff-dashboard")
    page.get_by_role("link", name=SECOND["name"]).click()
    assert page.locator("#kiosk-status").inner_text() == "needs review"
    shot(page, "second-staff-review")
    decide(page, "proceed", "")
    page.get_by_role("button", name="Hand this tablet to the patient").click()
    page.wait_for_url(f"{server.url}/kiosk/consent")
    assert_nothing_of(page, FIRST)
    sign_consent(page, SECOND["name"], drawn=False)
    page.wait_for_url(f"{server.url}/kiosk/done")
    page.get_by_role("button", name="Finish").tap()
    page.wait_for_url(f"{server.url}/")
    assert_nothing_of(page, SECOND)
    page.go_back()
    page.wait_for_load_state()
    assert_nothing_of(page, SECOND)

    # Staff: both packets are stored and viewable; a patient-held tablet could not see them.
    response = page.request.get(f"{first_url}/packet.pdf", max_redirects=0)
    assert response.status == 302  # no staff session on the tablet now
    staff_login(page, server)
    practitioner_signs(page, first_url)  # the packets are made after the practitioner signs
    second_url = next(
        f"{server.url}/staff/checkins/{c.id}"
        for c in server.services.store.checkins()
        if f"{server.url}/staff/checkins/{c.id}" != first_url
    )
    practitioner_signs(page, second_url)
    assert server.services.packets.wait_idle(120)
    for state_url in (first_url,):
        pdf = page.request.get(f"{state_url}/packet.pdf")
        assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
        assert pdf.headers["cache-control"].startswith("no-store")
    store = server.services.store
    assert len([c for c in store.checkins() if store.packet(c.id) is not None]) == 2
    page.goto(first_url)
    assert "The patient asked for a paper copy." in page.content()
    shot(page, "first-staff-packet")
    assert problems == [], problems
    context.close()


def test_two_accounts_one_after_the_other_and_who_cleared(browser: Browser, kiosk: Any) -> None:
    server: KioskServer = kiosk(120)
    context, page, problems = tablet(browser, server)
    staff_login(page, server, DESK, DESK_PIN)
    url = open_checkin(page, server, SECOND)
    page.get_by_role("button", name="Hand this tablet to the patient").click()
    page.wait_for_url(f"{server.url}/kiosk/screening")
    answers = example_answers("review") | {
        "patient_name": SECOND["name"],
        "date_of_birth": SECOND["dob"],
    }
    fill_screening(page, answers, "accounts")
    page.wait_for_url(f"{server.url}/kiosk/wait")
    staff_login(page, server, DESK, DESK_PIN)  # the front desk cannot clear a review
    page.goto(url)
    assert page.get_by_role("button", name="Clear for consent").count() == 0
    assert "Only a clinician or an admin" in page.locator("#kiosk-clinician-only").inner_text()
    shot(page, "front-desk-checkin")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{server.url}/kiosk/wait")  # the tablet still holds the patient's check-in
    staff_login(page, server)  # then the clinician, on the same tablet
    page.goto(url)
    decide(page, "proceed", "")
    trail = page.locator(".kiosk-events").inner_text()
    assert f"Check-in opened by {DESK} (front desk)" in trail
    assert f"Tablet handed to the patient by {DESK} (front desk)" in trail
    assert f"Clinician's decision: proceed as planned by {CLINICIAN} (clinician)" in trail
    assert "handed_to_tablet" not in trail and "by_name" not in trail
    assert page.locator("#kiosk-staff-user").inner_text() == f"Logged in: {CLINICIAN}"
    shot(page, "clinician-cleared")
    assert_no_axe_violations(page, "staff check-in with who cleared it")
    assert problems == [], problems
    context.close()


def test_wrong_pins_on_the_tablet_do_not_lock_out_the_desk(browser: Browser, kiosk: Any) -> None:
    server: KioskServer = kiosk(120)
    limit = server.services.limiter.max_attempts
    context, page, problems = tablet(browser, server, address="192.0.2.10")
    for tries_left in range(limit - 1, 0, -1):
        try_login(page, server, CLINICIAN, "000000")
        word = "try" if tries_left == 1 else "tries"
        alert = page.get_by_role("alert").inner_text()
        assert alert == f"That PIN is not right. {tries_left} {word} left.", alert
    try_login(page, server, CLINICIAN, "000000")
    assert page.get_by_role("alert").inner_text() == "Too many wrong tries. Try again in 5 minutes."
    shot(page, "tablet-locked-out")
    assert_no_axe_violations(page, "staff log-in, locked out")
    try_login(page, server, CLINICIAN, PIN)  # the tablet waits, even with the right PIN
    assert "Too many wrong tries" in page.get_by_role("alert").inner_text()
    desk, desk_page, desk_problems = tablet(browser, server, address="192.0.2.20")
    staff_login(desk_page, server)  # the desk logs in to the same account at once
    shot(desk_page, "desk-after-tablet-lockout")
    refused = re.compile(r"console error: .* status of (401|429) ")
    assert [p for p in problems if not refused.match(p)] == [], problems  # the refusals only
    assert desk_problems == [], desk_problems
    context.close()
    desk.close()


def test_an_admin_adds_and_disables_an_account(browser: Browser, kiosk: Any) -> None:
    server: KioskServer = kiosk(120)
    server.services.accounts.create("Ada Admin", "admin", "975310", by=COMMAND_LINE)
    context, page, problems = tablet(browser, server, address="192.0.2.20")
    staff_login(page, server, "Ada Admin", "975310")
    page.get_by_role("link", name="Staff accounts").click()
    page.get_by_label("Full name").fill("Gus Nurse")
    page.get_by_label("Credentials").fill("RN")
    page.get_by_label("Role").select_option(label="Front desk")
    page.get_by_role("button", name="Add account").click()
    shown = page.locator("#kiosk-shown-once").inner_text()
    pin = shown.split(" is ", 1)[1][:8]
    assert pin.isdigit(), shown
    shot(page, "admin-accounts")
    assert_no_axe_violations(page, "staff accounts")
    page.get_by_role("button", name="Disable: Frankie Desk").click()
    page.wait_for_url(f"{server.url}/staff/users")
    page.get_by_role("link", name="Español").click()  # the staff pages' language switch
    page.wait_for_url(f"{server.url}/staff/users?lang=es")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("heading", level=1).inner_text() == "Cuentas del personal"
    row = page.get_by_role("row").filter(has_text="Frankie Desk").inner_text()
    assert "Recepción" in row and "Desactivada" in row, row
    assert page.get_by_role("button", name="Activar: Frankie Desk").count() == 1
    assert page.locator("#kiosk-staff-user").inner_text() == "Sesión de: Ada Admin"
    shot(page, "admin-accounts-es")
    assert_no_axe_violations(page, "staff accounts in Spanish")
    page.get_by_role("link", name="English").click()
    page.wait_for_url(f"{server.url}/staff/users?lang=en")
    page.get_by_role("button", name="Log out").click()
    page.goto(f"{server.url}/staff/login")
    names = page.get_by_label("Your name").locator("option").all_inner_texts()
    assert names == ["Choose your name", "Ada Admin", CLINICIAN, "Gus Nurse, RN"]
    staff_login(page, server, "Gus Nurse, RN", pin)
    assert problems == [], problems
    context.close()
