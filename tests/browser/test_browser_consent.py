"""The consent review-and-sign page in headless Chromium: drawing, resizing, typing, keyboard."""

from __future__ import annotations

import base64
import time

import pytest
from playwright.sync_api import Browser, Page

from tpi_forms.consent.signature import validate_drawn_signature

from .harness import (
    PHONE,
    TABLET,
    TABLET_ROTATED,
    Server,
    assert_no_axe_violations,
    open_session,
    shot,
    tab_to,
)

pytestmark = pytest.mark.browser

INK = """c => {
  const copy = document.createElement('canvas');
  copy.width = c.width;
  copy.height = c.height;
  const ctx = copy.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(c, 0, 0);
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n;
}"""


def read_to_end(page: Page) -> None:
    text = page.locator("[data-tpi-consent-text]")
    for _ in range(50):
        if page.locator("form").get_attribute("data-tpi-reached-end") == "1":
            return
        text.evaluate("e => e.scrollBy(0, e.clientHeight * 0.8)")
        page.wait_for_timeout(60)
    raise AssertionError("the end of the consent text was never reached")


def acknowledge_everything(page: Page) -> None:
    for box in page.locator("input[id^='risk-']").all():
        page.locator(f'label[for="{box.get_attribute("id")}"]').tap()
    page.locator('label[for="esign_consent"]').tap()


def draw_with_mouse(
    page: Page, canvas_selector: str, strokes: list[list[tuple[float, float]]]
) -> None:
    page.locator(canvas_selector).scroll_into_view_if_needed()
    box = page.locator(canvas_selector).bounding_box()
    assert box is not None
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=4)
        page.mouse.up()


def draw_with_finger(page: Page, canvas_selector: str, stroke: list[tuple[float, float]]) -> None:
    """A touch stroke through the DevTools protocol: touchstart, touchmoves, touchend."""
    page.locator(canvas_selector).scroll_into_view_if_needed()
    box = page.locator(canvas_selector).bounding_box()
    assert box is not None
    cdp = page.context.new_cdp_session(page)

    def point(x: float, y: float) -> list[dict[str, float]]:
        return [{"x": box["x"] + x * box["width"], "y": box["y"] + y * box["height"]}]

    # Slow, evenly timed moves that stop before lifting: a pen stroke, not a fling.
    start = time.time()
    for i, (x, y) in enumerate([*stroke, stroke[-1], stroke[-1]]):
        kind = "touchStart" if i == 0 else "touchMove"
        cdp.send(
            "Input.dispatchTouchEvent",
            {"type": kind, "touchPoints": point(x, y), "timestamp": start + i * 0.05},
        )
    end = start + (len(stroke) + 2) * 0.05
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": [], "timestamp": end})
    cdp.detach()


def stroke_count(page: Page, block: str) -> int:
    pad = page.locator(f'[data-tpi-signer="{block}"] [data-tpi-sigpad]')
    return int(pad.get_attribute("data-tpi-stroke-count") or 0)


SIGNATURE = [
    [(0.1, 0.6), (0.2, 0.3), (0.3, 0.7), (0.4, 0.35), (0.5, 0.65)],
    [(0.55, 0.7), (0.7, 0.3), (0.85, 0.6)],
]


@pytest.mark.slow
def test_draw_resize_rotate_and_submit(browser: Browser, server: Server) -> None:
    session = open_session(browser, server, TABLET)
    page = session.page
    page.goto(f"{server.base_url}/consent")
    sign_step = page.locator("[data-tpi-sign-step]")
    disabled = "e => e.disabled"
    assert sign_step.evaluate(disabled)
    assert page.locator("[data-tpi-gate]").is_visible()
    shot(page, "consent-tablet-1-unread")
    assert_no_axe_violations(page, "consent before reading")
    read_to_end(page)
    assert not sign_step.evaluate(disabled) and page.locator("[data-tpi-gate]").is_hidden()
    acknowledge_everything(page)
    page.locator("#patient-printed_name").fill("Ana Ruiz")
    assert page.locator("#patient-method-drawn").is_checked()  # drawing is offered first
    draw_with_mouse(page, "#patient-pad", SIGNATURE)
    assert stroke_count(page, "patient") == 2
    page.locator('[data-tpi-signer="patient"] [data-tpi-sig-undo]').tap()
    assert stroke_count(page, "patient") == 1
    draw_with_mouse(page, "#patient-pad", SIGNATURE[1:])
    assert stroke_count(page, "patient") == 2
    canvas = page.locator("#patient-pad")
    before = canvas.evaluate("c => [c.width, c.height]")
    shot(page, "consent-tablet-2-drawn")
    shot(canvas, "signature-pad-drawn")

    page.set_viewport_size(TABLET_ROTATED)  # rotate to portrait
    page.wait_for_timeout(200)
    assert stroke_count(page, "patient") == 2
    assert canvas.evaluate(INK) > 500, "the drawing is redrawn after rotation"
    after = canvas.evaluate("c => [c.width, c.height, c.clientWidth]")
    assert after[0] == after[2] * 2  # backing store follows devicePixelRatio (2)
    shot(page, "consent-tablet-3-rotated")
    shot(canvas, "signature-pad-rotated")
    page.set_viewport_size(PHONE)  # and down to a phone
    page.wait_for_function("w => document.querySelector('#patient-pad').width < w", arg=before[0])
    assert stroke_count(page, "patient") == 2 and canvas.evaluate(INK) > 200
    page.set_viewport_size(TABLET)

    page.locator('label[for="patient-intent"]').tap()
    page.locator("#practitioner-printed_name").fill("Dr Sam Lee")
    page.locator('label[for="practitioner-method-typed"]').tap()
    assert page.locator("#practitioner-pad").is_hidden()
    page.locator('label[for="practitioner-intent"]').tap()
    assert_no_axe_violations(page, "consent ready to sign")
    shot(page, "consent-tablet-4-ready")
    page.get_by_role("button", name="Sign and send").tap()
    page.wait_for_selector("#thanks")

    assert server.received.consent_errors == []
    [submission] = server.received.consents
    patient, practitioner = submission.signatures
    assert (patient.role, patient.method, patient.printed_name) == ("patient", "drawn", "Ana Ruiz")
    assert (practitioner.method, practitioner.image_png) == ("typed", None)
    assert len(submission.strokes["patient"]) == 2
    posted = server.received.consent_posts[0]["patient-png"]
    assert validate_drawn_signature(posted).png == patient.image_png
    assert base64.b64decode(posted.split(",", 1)[1]).startswith(b"\x89PNG")
    review = submission.review
    assert review.script_ran and review.reached_end and review.seconds is not None
    assert "risks" in review.sections_viewed and "summary" in review.sections_viewed
    assert {e.event for e in submission.events} >= {
        "consent_time_on_page",
        "signed",
        "section_viewed",
    }
    session.check_clean()
    session.context.close()


@pytest.mark.slow
def test_finger_signature_on_a_phone_and_errors(browser: Browser, server: Server) -> None:
    session = open_session(browser, server, PHONE)
    page = session.page
    page.goto(f"{server.base_url}/consent?lang=es")
    read_to_end(page)
    page.get_by_role("button", name="Firmar y enviar").tap()  # nothing filled in
    page.locator("[data-tpi-error-summary]").wait_for()
    errors = server.received.consent_errors[0]
    assert "patient-printed_name" in errors and "esign_consent" in errors
    assert "witness-printed_name" not in errors  # optional blocks left empty are fine
    shot(page, "consent-phone-errors-es")
    assert_no_axe_violations(page, "consent with errors (es)")
    read_to_end(page)  # evidence of review is kept across the round trip
    acknowledge_everything(page)
    page.locator('label[for="patient-signer-legal_representative"]').tap()
    page.locator("#patient-relationship").fill("Hija")
    page.locator("#patient-printed_name").fill("María Ruiz")
    draw_with_finger(
        page, "#patient-pad", [(0.1, 0.5), (0.3, 0.2), (0.5, 0.8), (0.7, 0.3), (0.9, 0.6)]
    )
    assert stroke_count(page, "patient") == 1
    page.locator('label[for="patient-intent"]').tap()
    assert page.locator("#patient-intent").is_checked()
    page.locator("#practitioner-printed_name").fill("Dr Sam Lee")
    page.locator('label[for="practitioner-method-typed"]').tap()
    page.locator('label[for="practitioner-intent"]').tap()
    page.locator("#interpreter-printed_name").fill("Luis Gómez")
    page.locator('label[for="interpreter-method-typed"]').tap()
    page.locator("#interpreter-language").fill("Español")
    page.locator('label[for="interpreter-intent"]').tap()
    shot(page, "consent-phone-ready-es")
    with page.expect_navigation():
        page.get_by_role("button", name="Firmar y enviar").tap()
    assert server.received.consent_errors[1:] == []
    page.wait_for_selector("#thanks")
    [submission] = server.received.consents
    roles = [(s.role, s.method) for s in submission.signatures]
    assert roles == [
        ("legal_representative", "drawn"),
        ("practitioner", "typed"),
        ("interpreter", "typed"),
    ]
    assert submission.signatures[0].relationship == "Hija"
    assert submission.signatures[2].language == "Español"
    session.check_clean()
    session.context.close()


def sign_typed_by_keyboard(page: Page, block: str, name: str) -> None:
    tab_to(page, f"#{block}-printed_name")
    page.keyboard.type(name)
    tab_to(page, f"#{block}-method-drawn")  # the checked radio of the group gets focus
    page.keyboard.press("ArrowRight")
    assert page.locator(f"#{block}-method-typed").is_checked()
    tab_to(page, f"#{block}-intent")
    page.keyboard.press("Space")


@pytest.mark.slow
def test_keyboard_only_typed_signatures(browser: Browser, server: Server) -> None:
    session = open_session(browser, server, TABLET, touch=False)
    page = session.page
    page.goto(f"{server.base_url}/consent")
    tab_to(page, "[data-tpi-consent-text]")
    for _ in range(60):
        if page.locator("form").get_attribute("data-tpi-reached-end") == "1":
            break
        page.keyboard.press("PageDown")
        page.wait_for_timeout(40)
    assert not page.locator("[data-tpi-sign-step]").evaluate("e => e.disabled")
    for box in page.locator("input[id^='risk-']").all():
        tab_to(page, f"#{box.get_attribute('id')}")
        page.keyboard.press("Space")
    tab_to(page, "#esign_consent")
    page.keyboard.press("Space")
    sign_typed_by_keyboard(page, "patient", "Ana Ruiz")
    sign_typed_by_keyboard(page, "practitioner", "Dr Sam Lee")
    shot(page, "consent-keyboard-ready")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#thanks")
    [submission] = server.received.consents
    assert [(s.role, s.method, s.intent_confirmed) for s in submission.signatures] == [
        ("patient", "typed", True),
        ("practitioner", "typed", True),
    ]
    session.check_clean()
    session.context.close()


def test_consent_without_javascript(browser: Browser, server: Server) -> None:
    """Signing still works by typing; the evidence says review was not measured."""
    session = open_session(browser, server, TABLET, js=False)
    page = session.page
    page.goto(f"{server.base_url}/consent")
    assert page.locator("#patient-method-drawn").is_disabled()
    assert page.locator("#patient-method-typed").is_checked()
    assert page.locator("#patient-pad").is_hidden()
    for box in page.locator("input[id^='risk-']").all():
        box.check()
    page.locator("#esign_consent").check()
    for block, name in (("patient", "Ana Ruiz"), ("practitioner", "Dr Sam Lee")):
        page.locator(f"#{block}-printed_name").fill(name)
        page.locator(f"#{block}-intent").check()
    shot(page, "consent-no-javascript")
    page.get_by_role("button", name="Sign and send").click()
    page.wait_for_selector("#thanks")
    [submission] = server.received.consents
    assert [s.method for s in submission.signatures] == ["typed", "typed"]
    assert submission.review.script_ran is False
    assert dict(submission.events[0].detail)["seconds"] == "not recorded"
    session.check_clean()
    session.context.close()
