"""A minor's check-in in headless Chromium: the tablet's signing page asks for the legal
representative, who fills in their relationship and signs; the record holds their signature.
Screenshots go to ``tests/artifacts/kiosk/``."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser

from tpi_forms.consent.fields import NAMES
from tpi_forms.kiosk.state import CONSENT
from tpi_forms.record.model import ConsentRecord
from tpi_forms.screening.scenarios import example_answers

from .kiosk_server import KioskServer, staff_login, tablet
from .test_kiosk_flow import decide, fill_screening, open_checkin, practitioner_signs, shot

pytestmark = pytest.mark.browser

MINOR = {"name": "Sam Minor", "dob": "2012-05-01"}


def test_a_minors_representative_signs_on_the_tablet(browser: Browser, kiosk: Any) -> None:
    server: KioskServer = kiosk(120)
    context, page, problems = tablet(browser, server)
    page.goto(f"{server.url}/staff/login")
    staff_login(page, server)
    url = open_checkin(page, server, MINOR)
    page.get_by_role("button", name="Hand this tablet to the patient").click()
    page.wait_for_url(f"{server.url}/kiosk/screening")
    answers = example_answers("clear") | {
        "patient_name": MINOR["name"],
        "date_of_birth": MINOR["dob"],
    }
    fill_screening(page, answers, "minor")
    page.wait_for_url(f"{server.url}/kiosk/wait")  # under 18: a clinician decides first
    staff_login(page, server)
    page.goto(url)
    decide(page, "proceed", "")
    page.get_by_role("button", name="Hand this tablet to the patient").click()
    page.wait_for_url(f"{server.url}/kiosk/consent")

    block = page.locator(f"#{NAMES.signer('patient').fieldset}")
    assert block.locator("legend").first.inner_text() == "Legal representative"
    assert "The answers show that this person must sign: Legal representative." in (
        block.inner_text()
    )
    assert page.locator('input[name="patient-signer"][value="patient"]').count() == 0
    text = page.locator("[data-tpi-consent-text]")
    for _ in range(80):
        if page.locator("form[data-tpi-consent]").get_attribute("data-tpi-reached-end") == "1":
            break
        text.evaluate("e => e.scrollBy(0, e.clientHeight * 0.8)")
        page.wait_for_timeout(50)
    for risk in page.locator("input[id^='risk-']").all():
        page.locator(f'label[for="{risk.get_attribute("id")}"]').tap()
    page.locator('label[for="esign_consent"]').tap()
    page.get_by_label("Relationship to the patient").fill("Mother")
    page.locator("#patient-printed_name").fill("Rosa Minor")
    page.locator('label[for="patient-method-typed"]').tap()
    page.locator('label[for="patient-intent"]').tap()
    block.scroll_into_view_if_needed()
    shot(page, "minor-consent-representative")
    page.locator("form[data-tpi-consent] button[type=submit]").last.tap()
    page.wait_for_url(f"{server.url}/kiosk/done")

    staff_login(page, server)
    practitioner_signs(page, url)
    checkin_id = re.sub(r".*/", "", url)
    final = server.services.store.latest_submission(checkin_id, CONSENT)
    assert final is not None
    record = ConsentRecord.from_dict(final.payload)
    rep = record.signatures[0]
    assert (rep.role, rep.relationship, rep.printed_name) == (
        "legal_representative",
        "Mother",
        "Rosa Minor",
    )
    assert problems == [], problems
    context.close()
