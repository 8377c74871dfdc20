"""The paged consent and its understanding check in headless Chromium, on a 1024 x 768 touch
tablet and a 390 x 844 phone: a screen a group of risks, one tap acknowledging it and turning
the page (recorded once a group, with the time on each section), the text size kept from part
to part, back, the quiz's right and wrong paths with the staff flag, axe-core and tap targets on
every new page state, and the pages `tpi-forms demo` writes opened from disk.

Screenshots go to ``tests/artifacts/consent_pages/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from kiosk.kiosk_client import screening_data
from playwright.sync_api import Browser, Locator, Page, Route, ViewportSize

from tpi_forms.definitions.quiz import load_quiz
from tpi_forms.screening.scenarios import example_answers
from tpi_forms.web.consent_parts import write_paged_consent_demo
from tpi_forms.web.html import copy_static

from . import harness
from .harness import PHONE, TABLET, assert_no_axe_violations, tap_target_problems
from .kiosk_server import KioskServer, staff_login, tablet

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "consent_pages"
PART = re.compile(r"/kiosk/consent/part/(\d+)$")
ANSWERS = {q.id: q.answer for q in load_quiz().questions}
RAW_ID = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
"""What a raw id looks like on a page: ``short_of_breath``, ``upper_back``."""


def shot(page: Page, name: str) -> None:
    harness.shot(page, name, ARTIFACTS)


def look(page: Page, state: str) -> None:
    """axe-core, every tap target at least 44 x 44 px and 8 px apart, and words, not ids."""
    assert_no_axe_violations(page, state)
    assert tap_target_problems(page) == [], state
    assert RAW_ID.findall(page.locator("body").inner_text()) == [], state


def to_consent(page: Page, server: KioskServer) -> None:
    page.goto(server.url)
    page.get_by_role("button", name="Start check-in").tap()
    page.wait_for_url(f"{server.url}/kiosk/screening")
    sent = page.request.post(
        f"{server.url}/kiosk/screening",
        form=dict(screening_data(page.content(), example_answers("clear"))),
    )
    assert sent.ok, sent.status
    page.goto(f"{server.url}/kiosk/check")  # the patient certifies the answers first
    page.locator('label[for="answers_true"]').click()
    with page.expect_navigation():
        page.locator("form.kiosk-certify button[type=submit]").click()
    page.goto(f"{server.url}/kiosk/consent")
    page.wait_for_url(re.compile(r"/kiosk/consent/part/1$"))


def go(page: Page, target: Locator) -> None:
    """Tap a control that posts the form, and wait for the page it leads to."""
    with page.expect_navigation():
        target.tap()


def body_class(page: Page) -> str:
    return str(page.evaluate("document.body.className"))


def part_kind(page: Page) -> str:
    return str(page.locator("[data-tpi-consent-part]").get_attribute("data-tpi-consent-part"))


@pytest.mark.parametrize("size", [TABLET, PHONE], ids=["tablet", "phone"])
def test_paged_consent_text_size_back_quiz_and_staff_flag(
    browser: Browser, kiosk: Any, size: ViewportSize
) -> None:
    server: KioskServer = kiosk(600, consent_layout="paged")
    context, page, problems = tablet(browser, server, size)
    name = f"{size['width']}x{size['height']}"
    to_consent(page, server)
    assert page.locator("[data-tpi-part-progress]").inner_text() == "Part 1 of 5"
    assert "tpi-text-normal" in body_class(page)
    look(page, f"part 1 ({name})")
    shot(page, f"part-1-{name}")
    font = page.evaluate("getComputedStyle(document.querySelector('.tpi-consent-part')).fontSize")
    go(page, page.get_by_role("button", name="Extra large"))
    assert "tpi-text-xlarge" in body_class(page)
    bigger = page.evaluate("getComputedStyle(document.querySelector('.tpi-consent-part')).fontSize")
    assert float(bigger.removesuffix("px")) > float(font.removesuffix("px"))
    go(page, page.locator("[data-tpi-part-next]"))
    assert page.url.endswith("/kiosk/consent/part/2")
    assert "tpi-text-xlarge" in body_class(page)  # remembered on the next section
    pressed = page.locator('[data-tpi-text-size="xlarge"]').get_attribute("aria-pressed")
    assert pressed == "true"
    look(page, f"part 2 extra large ({name})")
    shot(page, f"part-2-xlarge-{name}")
    go(page, page.locator("[data-tpi-part-back]"))
    assert page.url.endswith("/kiosk/consent/part/1")
    assert page.locator(".tpi-acked").is_visible()  # acknowledged on the way forward
    look(page, f"part 1 acknowledged, back ({name})")
    go(page, page.get_by_role("button", name="Normal"))
    seen: set[str] = set()
    wrong_left = {"short_of_breath": 2, "say_no": 1}
    for _ in range(40):
        if page.locator("[data-tpi-consent-sign]").count():
            break
        kind = part_kind(page)
        if kind == "risks":
            n = PART.search(page.url)
            assert n is not None
            if f"risks-{n.group(1)}" not in seen:
                seen.add(f"risks-{n.group(1)}")
                look(page, f"part {n.group(1)}, a group of risks ({name})")
                shot(page, f"risks-part-{n.group(1)}-{name}")
        if kind == "quiz":
            qid = str(page.locator("[data-tpi-part-id]").get_attribute("data-tpi-part-id"))
            if qid not in seen:
                seen.add(qid)
                look(page, f"quiz {qid} ({name})")
            choice = ANSWERS[qid]
            if wrong_left.get(qid, 0) > 0:
                wrong_left[qid] -= 1
                choices = page.locator("[data-tpi-choice]").evaluate_all(
                    "els => els.map(e => e.getAttribute('data-tpi-choice'))"
                )
                choice = next(c for c in choices if c != ANSWERS[qid])
            url = page.url
            go(page, page.locator(f'[data-tpi-choice="{choice}"]'))
            if page.url == url:  # a wrong first answer: feedback and a second try
                feedback = page.locator('[data-tpi-feedback="wrong"]')
                assert feedback.is_visible()
                assert "The right answer is" in feedback.inner_text()
                assert page.locator("[data-tpi-read-again]").is_visible()
                if f"{qid}-wrong" not in seen:
                    seen.add(f"{qid}-wrong")
                    look(page, f"quiz {qid} wrong once ({name})")
                    shot(page, f"quiz-wrong-{name}")
            continue
        go(page, page.locator("[data-tpi-part-next]"))
    assert page.locator("[data-tpi-consent-sign]").count() == 1
    assert page.locator('[data-tpi-feedback="missed"]').is_visible()  # short of breath, twice
    look(page, f"signing page ({name})")
    shot(page, f"sign-{name}")
    assert problems == []

    desk, staff_page, _ = tablet(browser, server, size, address="192.0.2.20")
    staff_login(staff_page, server)
    (checkin,) = server.services.store.checkins()
    staff_page.goto(f"{server.url}/staff/checkins/{checkin.id}")
    flags = staff_page.locator("#kiosk-quiz-flags")
    assert flags.inner_text() == (
        "Did not answer 'what to do if short of breath' correctly. "
        "Please go over it with the patient."
    )
    shot(staff_page, f"staff-flag-{name}")
    desk.close()
    context.close()


def test_quiz_right_path_gives_kind_feedback(browser: Browser, kiosk: Any) -> None:
    server: KioskServer = kiosk(600, consent_layout="paged")
    context, page, problems = tablet(browser, server)
    to_consent(page, server)
    page.goto(f"{server.url}/kiosk/consent/part/3")  # the first question (a link may open it)
    for _ in range(40):
        if part_kind(page) == "quiz":
            break
        go(page, page.locator("[data-tpi-part-next]"))
    qid = str(page.locator("[data-tpi-part-id]").get_attribute("data-tpi-part-id"))
    go(page, page.locator(f'[data-tpi-choice="{ANSWERS[qid]}"]'))
    right = page.locator('[data-tpi-feedback="right"]')
    assert right.is_visible() and right.inner_text().startswith("That is right.")
    assert right.get_attribute("role") == "status"
    look(page, "quiz after a right answer")
    shot(page, "quiz-right-1024x768")
    assert problems == []
    context.close()


def test_demo_pages_work_from_disk(browser: Browser, tmp_path: Path) -> None:
    copy_static(tmp_path)
    written = write_paged_consent_demo(tmp_path)
    assert (tmp_path / "consent-paged-1.es.html") in written
    context = browser.new_context(viewport=TABLET, has_touch=True)
    outside: list[str] = []

    def guard(route: Route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto((tmp_path / "consent-paged-1.en.html").as_uri())
    assert page.evaluate("getComputedStyle(document.querySelector('.tpi-button')).minHeight")
    page.get_by_role("button", name="Large", exact=True).tap()
    assert "tpi-text-large" in body_class(page)
    page.locator("[data-tpi-part-next]").tap()
    page.wait_for_url(re.compile(r"consent-paged-2\.en\.html$"))
    assert "tpi-text-large" in body_class(page)  # kept from page to page
    page.goto((tmp_path / "consent-paged-3.en.html").as_uri())
    assert part_kind(page) == "quiz"
    page.locator('[data-tpi-choice="never"]').tap()
    page.wait_for_url(re.compile(r"consent-paged-3-retry\.en\.html$"))
    assert page.locator('[data-tpi-feedback="wrong"]').is_visible()
    page.locator("[data-tpi-read-again]").tap()
    page.wait_for_url(re.compile(r"consent-paged-2\.en\.html#tpi-section-refusal$"))
    refusal = page.locator("#tpi-section-refusal")
    assert refusal.count() == 1 and refusal.is_visible()
    top = refusal.bounding_box()
    assert top is not None and -1 <= top["y"] < TABLET["height"] / 2  # scrolled to it
    page.goto((tmp_path / "consent-paged-sign.es.html").as_uri())
    assert page.locator("[data-tpi-consent-sign]").count() == 1
    shot(page, "demo-sign-es")
    assert outside == [] and errors == []
    context.close()


def test_without_javascript_every_part_is_a_form_post(browser: Browser, kiosk: Any) -> None:
    server: KioskServer = kiosk(600, consent_layout="paged")
    context = browser.new_context(
        viewport=TABLET,
        has_touch=True,
        java_script_enabled=False,
        extra_http_headers={"X-Forwarded-For": "192.0.2.30"},
    )
    page = context.new_page()
    to_consent(page, server)
    go(page, page.get_by_role("button", name="Large", exact=True))
    assert "tpi-text-large" in body_class(page)
    go(page, page.locator("[data-tpi-part-next]"))
    assert page.url.endswith("/part/2") and "tpi-text-large" in body_class(page)
    go(page, page.locator("[data-tpi-part-back]"))
    assert page.url.endswith("/part/1")
    for _ in range(40):
        if page.locator("[data-tpi-consent-sign]").count():
            break
        if part_kind(page) == "quiz":
            qid = str(page.locator("[data-tpi-part-id]").get_attribute("data-tpi-part-id"))
            go(page, page.locator(f'[data-tpi-choice="{ANSWERS[qid]}"]'))
        else:
            go(page, page.locator("[data-tpi-part-next]"))
    assert "tpi-text-large" in body_class(page)  # the signing page too
    page.locator('label[for="esign_consent"]').click()
    page.locator('label[for="patient-method-typed"]').click()
    page.locator("#patient-printed_name").fill("Alex Example")
    page.locator('label[for="patient-intent"]').click()
    go(page, page.get_by_role("button", name="Sign and send"))
    assert page.url.endswith("/kiosk/done")
    context.close()


@pytest.mark.parametrize("size", [TABLET, PHONE], ids=["tablet", "phone"])
def test_one_tap_a_group_acknowledges_it_and_turns_the_page(
    browser: Browser, kiosk: Any, size: ViewportSize
) -> None:
    server: KioskServer = kiosk(600, consent_layout="paged")
    context, page, problems = tablet(browser, server, size)
    to_consent(page, server)
    taps = 0
    groups: list[str] = []
    shown: list[str] = []
    lasts: list[str] = []
    while part_kind(page) == "risks":
        groups.append(str(page.locator("[data-tpi-part-id]").get_attribute("data-tpi-part-id")))
        shown += page.locator("[data-tpi-section]").evaluate_all(
            "els => els.map(e => e.getAttribute('data-tpi-section'))"
        )
        (control,) = page.locator("[data-tpi-part-next]").all()  # the one control to tap
        assert control.inner_text() == "I understand these risks — next"
        box = control.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 44
        last = page.locator("[data-tpi-section]").last
        lasts.append(str(last.get_attribute("data-tpi-section")))
        last.scroll_into_view_if_needed()
        page.wait_for_timeout(1100)  # the patient reads the screen's last section a while
        before = page.url
        go(page, control)
        taps += 1
        assert page.url != before  # on to the next part, no other tap needed
    assert part_kind(page) == "quiz" and groups == ["minor", "serious"]
    assert taps == len(groups)
    (checkin,) = server.services.store.checkins()
    store = server.services.store
    read = [dict(e.detail) for e in store.events(checkin.id, kinds=("consent_risks_read",))]
    assert [(r["group"], r["acknowledged"]) for r in read] == [(g, "yes") for g in groups]
    sections = [dict(e.detail) for e in store.events(checkin.id, kinds=("consent_section_read",))]
    assert [s["section"] for s in sections] == shown
    assert all(isinstance(s.get("seconds"), int) for s in sections)  # the page script timed them
    timed = {s["section"]: int(s["seconds"]) for s in sections}
    assert all(timed[section] >= 1 for section in lasts)  # read a while, and counted
    by_group = {r["group"]: int(r["seconds"]) for r in read}
    assert all(int(s["seconds"]) <= max(by_group.values()) for s in sections)
    assert problems == []
    context.close()
