"""The patient's check-in laid out for the screen it is on, in headless Chromium: on a 1024 x 768
tablet a yes/no question has its answers beside it, the review of the answers is two columns,
the consent's risks sit two to a row at the normal text size, and each screen's control is
reached within a few swipes (a swipe scrolls 60 % of the screen, as in bench/bench_tablet.py);
on a 390 x 844 phone everything stays one column.

Screenshots go to ``tests/artifacts/kiosk_compact/``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from kiosk.kiosk_client import screening_data
from playwright.sync_api import Browser, FloatRect, Locator, Page, ViewportSize

from tpi_forms.screening.scenarios import example_answers

from . import harness
from .harness import PHONE, TABLET
from .kiosk_server import KioskServer, tablet
from .test_browser_screening import fill_step_by_touch

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "kiosk_compact"
SWIPE = 0.6
"""How much of the screen one swipe scrolls."""
STEP_SWIPES = {"identity": 1, "pain": 2, "other_health": 2}
"""At most this many swipes reach Next on these steps of the clear scenario (others: none)."""
SCREENING_SWIPES = 5
"""At most this many swipes, all the steps together."""
REVIEW_SWIPES = 2
"""At most this many swipes reach the tick and the button under the review of the answers
(0.1.0 had no review; before it was laid out for the tablet it took 5)."""
RISKS_SWIPES = 4
"""At most this many swipes reach a group's acknowledging button at the normal text size."""


def shot(page: Page, name: str) -> None:
    harness.shot(page, name, ARTIFACTS)


def swipes_to(page: Page, target: Locator) -> int:
    """Swipes from the top of the page until ``target`` is wholly on the screen."""
    bottom = float(target.evaluate("e => e.getBoundingClientRect().bottom + window.scrollY"))
    height = page.viewport_size["height"] if page.viewport_size else 768
    return max(0, math.ceil((bottom - height) / (SWIPE * height)))


def box(target: Locator) -> FloatRect:
    found = target.bounding_box()
    assert found is not None
    return found


def start(page: Page, server: KioskServer) -> None:
    page.goto(server.url)
    page.get_by_role("button", name="Start check-in").tap()
    page.wait_for_url(f"{server.url}/kiosk/screening")


def beside(page: Page, qid: str) -> bool:
    """Whether the answers of question ``qid`` start level with its question, not below it."""
    question = box(page.locator(f'[data-tpi-question="{qid}"] legend'))
    answers = box(page.locator(f'[data-tpi-question="{qid}"] .tpi-options'))
    return answers["y"] < question["y"] + question["height"]


def test_on_the_tablet_the_screening_and_its_review_take_few_swipes(
    browser: Browser, kiosk: Any
) -> None:
    """The clear scenario at 1024 x 768: yes/no answers beside their questions, the steps'
    Next within `STEP_SWIPES`, the review of the answers in two columns with its tick and
    button within `REVIEW_SWIPES`."""
    server: KioskServer = kiosk(600, consent_layout="paged")
    context, page, problems = tablet(browser, server, TABLET)
    start(page, server)
    answers = example_answers("clear")
    assert page.locator(".tpi-intro").is_visible()  # read on the first step
    needed: dict[str, int] = {}
    form = page.locator("form[data-tpi-form]")
    for _ in range(page.locator("[data-tpi-step]").count()):
        step = page.locator("[data-tpi-step]:not([hidden])")
        name = str(step.get_attribute("id")).removeprefix("tpi-step-")
        fill_step_by_touch(page, answers)
        last = page.locator("[data-tpi-next]").is_hidden()
        control = page.locator("[data-tpi-submit]" if last else "[data-tpi-next]")
        needed[name] = swipes_to(page, control)
        if name in STEP_SWIPES:
            shot(page, f"step-{name}-tablet")
        if name == "other_health":
            assert beside(page, "diabetes") and beside(page, "fibromyalgia")
            assert not beside(page, "toxicity_conditions")  # four boxes: below the question
        if last:
            break
        shown = form.get_attribute("data-tpi-current-step")
        control.tap()
        page.wait_for_function(
            "n => document.querySelector('form[data-tpi-form]')"
            ".getAttribute('data-tpi-current-step') !== n",
            arg=shown,
        )
        assert page.locator(".tpi-intro").is_hidden()  # not repeated on the later steps
    assert {n: s for n, s in needed.items() if s > STEP_SWIPES.get(n, 0)} == {}, needed
    assert sum(needed.values()) <= SCREENING_SWIPES, needed

    with page.expect_navigation(url=f"{server.url}/kiosk/check"):
        page.locator("[data-tpi-submit]").tap()
    shot(page, "check-answers-tablet")
    steps = page.locator(".kiosk-answers").all()
    lefts = {round(box(s)["x"]) for s in steps}
    assert len(lefts) == 2, lefts  # two columns
    first_row = box(page.locator(".kiosk-answer-list > div").first)
    question = box(page.locator(".kiosk-answer-list dt").first)
    answer = box(page.locator(".kiosk-answer-list dd").first)
    assert answer["x"] > question["x"] + question["width"] and answer["y"] < first_row["y"] + 20
    tick = page.locator('label[for="answers_true"]')
    confirm = page.locator("form.kiosk-certify button[type=submit]")
    assert swipes_to(page, tick) <= REVIEW_SWIPES and swipes_to(page, confirm) <= REVIEW_SWIPES
    assert problems == [], problems
    context.close()


def test_on_a_phone_the_screening_and_its_review_stay_one_column(
    browser: Browser, kiosk: Any
) -> None:
    server: KioskServer = kiosk(600, consent_layout="paged")
    context, page, problems = tablet(browser, server, PHONE)
    start(page, server)
    page.evaluate("tpiForms.showStep(document.querySelector('form[data-tpi-form]'), 7)")
    assert not beside(page, "diabetes")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "step-other_health-phone")
    sent = page.request.post(
        f"{server.url}/kiosk/screening",
        form=dict(screening_data(page.content(), example_answers("clear"))),
    )
    assert sent.ok, sent.status
    page.goto(f"{server.url}/kiosk/check")
    steps = page.locator(".kiosk-answers").all()
    assert len({round(box(s)["x"]) for s in steps}) == 1
    tick, confirm = (
        box(page.locator('label[for="answers_true"]')),
        box(page.locator("form.kiosk-certify button[type=submit]")),
    )
    assert confirm["y"] >= tick["y"] + tick["height"]  # the button under the tick
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "check-answers-phone")
    assert problems == [], problems
    context.close()


def to_consent(page: Page, server: KioskServer) -> None:
    start(page, server)
    sent = page.request.post(
        f"{server.url}/kiosk/screening",
        form=dict(screening_data(page.content(), example_answers("clear"))),
    )
    assert sent.ok, sent.status
    page.goto(f"{server.url}/kiosk/check")
    page.locator('label[for="answers_true"]').click()
    with page.expect_navigation():
        page.locator("form.kiosk-certify button[type=submit]").click()
    page.goto(f"{server.url}/kiosk/consent")
    page.wait_for_url(re.compile(r"/kiosk/consent/part/1$"))


def rows_of_risks(page: Page) -> list[int]:
    """How many risks each row of the screen's group holds, top to bottom."""
    tops = [round(box(r)["y"]) for r in page.locator("[data-tpi-risk]").all()]
    return [tops.count(t) for t in sorted(set(tops))]


def assert_apart(page: Page) -> None:
    """No two risks of the screen overlap, and none is cut off."""
    boxes = [box(r) for r in page.locator("[data-tpi-risk]").all()]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = (
                a["x"] + a["width"] <= b["x"]
                or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"]
                or b["y"] + b["height"] <= a["y"]
            )
            assert apart, (a, b)
    clipped = page.locator("[data-tpi-risk]").evaluate_all(
        "els => els.filter(e => e.scrollHeight > e.clientHeight + 1"
        " || e.scrollWidth > e.clientWidth + 1).length"
    )
    assert clipped == 0


@pytest.mark.parametrize(
    ("size", "text", "two_to_a_row"),
    [(TABLET, "normal", True), (TABLET, "xlarge", False), (PHONE, "normal", False)],
    ids=["tablet", "tablet-extra-large", "phone"],
)
def test_the_consent_risks_use_the_width_the_text_size_leaves(
    browser: Browser, kiosk: Any, size: ViewportSize, text: str, two_to_a_row: bool
) -> None:
    """Two risks a row on the tablet at the normal size (a group's button within
    `RISKS_SWIPES`), one a row at extra large and on a phone; never overlapping or cut off,
    and the button always after every risk."""
    server: KioskServer = kiosk(600, consent_layout="paged")
    context, page, problems = tablet(browser, server, size)
    to_consent(page, server)
    if text != "normal":
        with page.expect_navigation():
            page.locator(f'[data-tpi-text-size="{text}"]').tap()
    name = f"{size['width']}x{size['height']}-{text}"
    while page.locator("[data-tpi-consent-part]").get_attribute("data-tpi-consent-part") == (
        "risks"
    ):
        assert f"tpi-text-{text}" in str(page.evaluate("document.body.className"))
        rows = rows_of_risks(page)
        if two_to_a_row:
            assert set(rows[:-1]) == {2} and rows[-1] in (1, 2), rows
        else:
            assert set(rows) == {1}, rows
        assert_apart(page)
        control = page.locator("[data-tpi-part-next]")
        last_risk = box(page.locator("[data-tpi-risk]").last)
        assert box(control)["y"] >= last_risk["y"] + last_risk["height"]
        if two_to_a_row:
            assert swipes_to(page, control) <= RISKS_SWIPES
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
        shot(page, f"consent-{page.url.rsplit('/', 1)[-1]}-{name}")
        with page.expect_navigation():
            control.tap()
    assert problems == [], problems
    context.close()
