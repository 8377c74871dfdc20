"""The patient's tablet in headless Chromium: the idle warning, answers that survive a reload or
a dropped connection, tap targets, and words (never ids) on every screen.

Screenshots go to ``tests/artifacts/kiosk/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from kiosk.kiosk_client import consent_data, screening_data
from playwright.sync_api import Browser, Page, ViewportSize

from tpi_forms.definitions.questionnaire import load_questionnaire
from tpi_forms.screening.answers import validate_answers
from tpi_forms.screening.scenarios import example_answers

from . import harness
from .harness import PHONE, TABLET, assert_no_axe_violations, tap_target_problems
from .kiosk_server import KioskServer, staff_login, tablet

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "kiosk"
DRAFT = "/kiosk/screening/draft"
RAW_ID = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
"""What a raw id looks like on a page: ``upper_back``, ``takes_blood_thinner``."""


def shot(page: Page, name: str) -> None:
    harness.shot(page, name, ARTIFACTS)


def start_checkin(page: Page, server: KioskServer) -> None:
    page.goto(server.url)
    page.get_by_role("button", name="Start check-in").tap()
    page.wait_for_url(f"{server.url}/kiosk/screening")


def current_step(page: Page) -> int:
    return int(page.locator("form[data-tpi-form]").get_attribute("data-tpi-current-step") or 0)


def tap_option(page: Page, qid: str, value: str) -> None:
    option = page.locator(f'[data-tpi-question="{qid}"] input[value="{value}"]')
    page.locator(f'label[for="{option.get_attribute("id")}"]').tap()


def checked(page: Page, qid: str) -> list[str]:
    return list(
        page.eval_on_selector_all(
            f'[data-tpi-question="{qid}"] input:checked', "els => els.map(e => e.value)"
        )
    )


def test_idle_warning_a_tap_cancels_it_and_without_one_the_tablet_is_wiped(
    browser: Browser, kiosk: Any
) -> None:
    server: KioskServer = kiosk(10)  # the default 30 s warning is cut to half the timeout: 5 s
    context, page, problems = tablet(browser, server)
    start_checkin(page, server)
    page.locator("#patient_name").tap()
    page.locator("#patient_name").fill("Ana Ruiz")
    dialog = page.locator("#kiosk-idle")
    dialog.wait_for(state="visible", timeout=9_000)  # 5 s before the wipe
    assert dialog.get_attribute("role") == "alertdialog"
    assert dialog.get_attribute("aria-modal") == "true"
    assert page.evaluate("document.activeElement.hasAttribute('data-kiosk-idle-stay')")
    count = int(dialog.locator("[data-kiosk-idle-count]").inner_text())
    assert 1 <= count <= 5
    text = dialog.locator("[data-kiosk-idle-text]").inner_text()
    assert text.startswith("To keep your answers private") and str(count) in text
    shot(page, "idle-warning")
    assert_no_axe_violations(page, "the idle warning")

    page.touchscreen.tap(20, 20)  # anywhere: here the dark backdrop
    dialog.wait_for(state="hidden")
    assert page.url == f"{server.url}/kiosk/screening"
    assert page.locator("#patient_name").input_value() == "Ana Ruiz"
    assert page.evaluate("document.activeElement.id") == "patient_name", "focus comes back"

    # No tap this time: the warning comes back and the tablet goes to the start screen.
    dialog.wait_for(state="visible", timeout=9_000)
    page.wait_for_url(f"{server.url}/", timeout=12_000)
    assert "Ana Ruiz" not in page.content()
    page.go_back()  # the back button finds nothing of the patient either
    page.wait_for_load_state()
    assert "Ana Ruiz" not in page.content()
    typed = page.locator("input:not([type=hidden])").evaluate_all("els => els.map(e => e.value)")
    assert "Ana Ruiz" not in typed
    (checkin,) = server.services.store.checkins()
    assert server.services.store.events(checkin.id)[-1].kind == "tablet_timed_out"
    assert problems == [], problems
    context.close()


def test_answers_survive_a_reload_and_a_dropped_connection(browser: Browser, kiosk: Any) -> None:
    server: KioskServer = kiosk(120)
    context, page, problems = tablet(browser, server)
    start_checkin(page, server)
    page.locator("#patient_name").fill("Ana Ruiz")
    page.locator("#date_of_birth").fill("1980-04-12")
    tap_option(page, "form_filled_by", "self")
    tap_option(page, "needs_interpreter", "no")
    with page.expect_response(lambda r: r.url.endswith(DRAFT)) as kept:
        page.locator("[data-tpi-next]").tap()
    assert kept.value.status == 204
    with page.expect_response(lambda r: r.url.endswith(DRAFT)):
        tap_option(page, "pain_sites", "neck")
        tap_option(page, "pain_score", "6")

    page.reload()
    assert current_step(page) == 2, "the page opens on the step the patient was on"
    assert checked(page, "pain_sites") == ["neck"] and checked(page, "pain_score") == ["6"]
    assert page.locator("#patient_name").input_value() == "Ana Ruiz"
    stored = page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]")
    assert stored == [0, 0, ""], "nothing is kept in the browser"

    # The connection drops while the patient answers; the answer is sent when it is back.
    context.set_offline(True)
    tap_option(page, "pain_sites", "shoulder")
    page.wait_for_timeout(1_500)
    with page.expect_response(lambda r: r.url.endswith(DRAFT)):
        context.set_offline(False)
    page.reload()
    assert checked(page, "pain_sites") == ["neck", "shoulder"]

    # Finishing from here stores the whole screening, the kept answers included.
    answers = example_answers("clear") | {
        "patient_name": "Ana Ruiz",
        "date_of_birth": "1980-04-12",
        "pain_sites": ["neck", "shoulder"],
        "pain_score": 6,
    }
    fill_from_here(page, answers)
    page.locator("[data-tpi-submit]").tap()
    page.wait_for_url(f"{server.url}/kiosk/check")  # stored: the patient checks the answers
    store = server.services.store
    (checkin,) = store.checkins()
    (submission,) = store.submissions(checkin.id)
    assert submission.payload == validate_answers(answers)
    offline = "console error: Failed to load resource: net::ERR_INTERNET_DISCONNECTED"
    assert [p for p in problems if p != offline] == [], problems
    context.close()


def fill_from_here(page: Page, answers: dict[str, Any]) -> None:
    """Answer the steps from the one shown to the last, by touch, leaving given answers alone."""
    while True:
        for qid, value in answers.items():
            wrapper = page.locator(f'[data-tpi-step]:not([hidden]) [data-tpi-question="{qid}"]')
            if not wrapper.count() or wrapper.is_hidden():
                continue
            if wrapper.locator("input[type=radio], input[type=checkbox]").count():
                for v in value if isinstance(value, list) else [value]:
                    posted = "yes" if v is True else "no" if v is False else str(v)
                    if posted not in checked(page, qid):
                        tap_option(page, qid, posted)
            else:
                box = wrapper.locator("input, textarea").first
                if box.input_value() != str(value):
                    box.fill(str(value))
        if page.locator("[data-tpi-next]").is_hidden():
            return
        page.locator("[data-tpi-next]").tap()


def measure(page: Page, state: str, problems: dict[str, list[str]]) -> None:
    found = tap_target_problems(page)
    if found:
        problems[state] = found


def visible_ids(page: Page) -> list[str]:
    return RAW_ID.findall(page.locator("body").inner_text())


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
def test_tap_targets_and_words_on_every_patient_page(
    browser: Browser, kiosk: Any, viewport: ViewportSize
) -> None:
    """Every tap target is at least 44 x 44 CSS px and 8 px from the next, on the start,
    screening (each step, with and without errors), waiting and done pages and the idle
    warning; no page shows a raw id."""
    size = f"{viewport['width']}x{viewport['height']}"
    server: KioskServer = kiosk(120)
    context, page, console = tablet(browser, server, viewport)
    small: dict[str, list[str]] = {}
    ids: dict[str, list[str]] = {}

    def look(state: str, axe: bool = False) -> None:
        measure(page, state, small)
        if visible_ids(page):
            ids[state] = visible_ids(page)
        if axe:
            assert_no_axe_violations(page, f"{state} ({size})")

    page.goto(server.url)
    look("start", axe=True)
    shot(page, f"start-{size}")
    page.get_by_role("button", name="Start check-in").tap()
    page.wait_for_url(f"{server.url}/kiosk/screening")
    for step in range(1, page.locator("[data-tpi-step]").count() + 1):
        page.evaluate(
            "n => tpiForms.showStep(document.querySelector('form[data-tpi-form]'), n)", step
        )
        look(f"screening step {step}")
        if step in (1, 2, 4):
            page.locator("[data-tpi-next]").tap()  # nothing answered: the errors show
            look(f"screening step {step} with errors")
    page.locator("#kiosk-idle").evaluate("d => d.showModal()")
    look("idle warning")
    page.locator("#kiosk-idle").evaluate("d => d.close()")

    # Screening that needs review: the waiting page.
    post_screening(page, server, example_answers("review"))
    page.goto(f"{server.url}/kiosk/next")
    page.wait_for_url(f"{server.url}/kiosk/check")  # the patient's own answers first
    look("check answers", axe=True)
    shot(page, f"check-answers-{size}")
    with page.expect_navigation(url=f"{server.url}/kiosk/check"):
        page.locator("form.kiosk-certify button[type=submit]").tap()  # not ticked: the error
    look("check answers, not ticked", axe=True)
    page.locator('label[for="answers_true"]').tap()
    page.locator("form.kiosk-certify button[type=submit]").tap()
    page.wait_for_url(f"{server.url}/kiosk/wait")
    look("wait", axe=True)
    page.evaluate("setTimeout(() => document.getElementById('kiosk-timeout').submit(), 0)")
    page.wait_for_url(f"{server.url}/")

    # A clear screening, the consent signed: the done page, before and after a copy is asked.
    start_checkin(page, server)
    post_screening(page, server, example_answers("clear"))
    certify_by_request(page, server)
    page.goto(f"{server.url}/kiosk/consent")
    signed = page.request.post(
        f"{server.url}/kiosk/consent", form=dict(consent_data(page.content()))
    )
    assert signed.ok, signed.status
    page.goto(f"{server.url}/kiosk/next")
    page.wait_for_url(f"{server.url}/kiosk/done")
    look("done", axe=True)
    shot(page, f"done-{size}")
    with page.expect_navigation(url=f"{server.url}/kiosk/done"):
        page.get_by_role("button", name="I would like a paper copy").tap()
    look("done, copy asked")
    assert small == {}, small
    assert ids == {}, ids
    refused = "console error: Failed to load resource: the server responded with a status of 422"
    assert [c for c in console if not c.startswith(refused)] == [], console  # the unticked box
    assert len(console) <= 1, console
    context.close()


def post_screening(page: Page, server: KioskServer, answers: dict[str, Any]) -> None:
    """Send the screening as the page would, with the page's own tokens."""
    sent = page.request.post(
        f"{server.url}/kiosk/screening", form=dict(screening_data(page.content(), answers))
    )
    assert sent.ok, sent.status


def certify_by_request(page: Page, server: KioskServer) -> None:
    """Tick "these answers are true" and send it, as the page's form would."""
    page.goto(f"{server.url}/kiosk/check")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
    sent = page.request.post(
        f"{server.url}/kiosk/check", form={"csrf_token": token, "answers_true": "yes"}
    )
    assert sent.ok, sent.status


def test_staff_screens_show_words_not_ids(browser: Browser, kiosk: Any) -> None:
    """The staff pages a patient's check-in shows up on: words, not ids; tap targets as large."""
    server: KioskServer = kiosk(120)
    context, page, console = tablet(browser, server)
    start_checkin(page, server)
    answers = example_answers("review") | {"pain_sites": ["chest_wall", "upper_back"]}
    post_screening(page, server, answers)
    certify_by_request(page, server)
    small: dict[str, list[str]] = {}
    page.goto(f"{server.url}/staff/login")
    measure(page, "log-in", small)
    staff_login(page, server)
    seen = {"dashboard": visible_ids(page)}
    measure(page, "dashboard", small)
    page.locator(".kiosk-table a").first.click()
    page.wait_for_url(re.compile(r".*/staff/checkins/[A-Za-z0-9_-]+$"))
    page.wait_for_load_state()
    seen["check-in"] = visible_ids(page)
    measure(page, "check-in", small)
    shot(page, "staff-check-in-review")
    page.get_by_role("link", name="Review the answers and decide").click()
    page.wait_for_url(re.compile(r".*/review$"))
    seen["review"] = visible_ids(page)
    measure(page, "review", small)
    shot(page, "staff-review")
    assert_no_axe_violations(page, "staff review page")
    assert {state: found for state, found in seen.items() if found} == {}
    questionnaire = load_questionnaire()
    text = page.locator("body").inner_text()
    assert not any(q in text for q in questionnaire.questions if "_" in q)
    assert small == {}, small
    assert console == [], console
    context.close()
