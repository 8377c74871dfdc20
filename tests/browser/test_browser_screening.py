"""The screening form in headless Chromium: by touch, by keyboard, without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize

from tpi_forms.screening.answers import validate_answers
from tpi_forms.screening.scenarios import example_answers

from .harness import (
    PHONE,
    TABLET,
    TODAY,
    Server,
    assert_no_axe_violations,
    open_session,
    posted_values,
    shot,
    tab_to,
    visible_questions,
)

pytestmark = pytest.mark.browser


def answers_to_give() -> dict[str, Any]:
    answers = example_answers("review")  # takes a blood thinner: its follow-ups appear
    answers["patient_name"] = "Ana <b>Ruiz</b> {{7*7}}"
    return answers


def fill_step_by_touch(page: Page, answers: dict[str, Any]) -> None:
    done: set[str] = set()
    while True:
        todo = [q for q in visible_questions(page) if q not in done]
        if not todo:
            return
        qid = todo[0]
        done.add(qid)
        if qid not in answers:
            continue
        wrapper = page.locator(f'[data-tpi-question="{qid}"]')
        if wrapper.locator("input[type=radio], input[type=checkbox]").count():
            for value in posted_values(answers[qid]):
                option = wrapper.locator(f'input[value="{value}"]')
                page.locator(f'label[for="{option.get_attribute("id")}"]').tap()
                assert option.is_checked()
        else:
            box = wrapper.locator("input, textarea").first
            box.tap()
            box.fill(str(answers[qid]))


def current_step(page: Page) -> int:
    return int(page.locator("form[data-tpi-form]").get_attribute("data-tpi-current-step") or 0)


@pytest.mark.slow
@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
def test_screening_by_touch(browser: Browser, server: Server, viewport: ViewportSize) -> None:
    size = f"{viewport['width']}x{viewport['height']}"
    session = open_session(browser, server, viewport)
    page = session.page
    page.goto(f"{server.base_url}/screening")
    answers = answers_to_give()
    total = page.locator("[data-tpi-step]").count()
    assert total >= 5
    for step in range(1, total + 1):
        assert current_step(page) == step
        assert page.locator("[data-tpi-progress-text]").inner_text() == f"Step {step} of {total}"
        assert_no_axe_violations(page, f"screening step {step} ({size})")
        if page.locator('[data-tpi-question="takes_blood_thinner"]').is_visible():
            follow_up = page.locator('[data-tpi-question="blood_thinner_names"]')
            assert follow_up.is_hidden()  # asked only after "yes"
            fill_step_by_touch(page, answers)
            assert follow_up.is_visible()
            assert_no_axe_violations(page, f"screening with a follow-up shown ({size})")
        else:
            fill_step_by_touch(page, answers)
        shot(page, f"screening-{size}-step{step}")
        if step < total:
            page.locator("[data-tpi-next]").tap()
            focused = page.evaluate("document.activeElement.hasAttribute('data-tpi-step-heading')")
            assert focused, "focus moves to the new step's heading"
    # Back and forth keeps answers.
    page.locator("[data-tpi-back]").tap()
    page.locator("[data-tpi-next]").tap()
    assert page.locator('[data-tpi-question="has_driver"] input[value="yes"]').is_checked()
    page.locator("[data-tpi-submit]").tap()
    page.wait_for_selector("#thanks")
    assert server.received.answers == [validate_answers(answers, today=TODAY)]
    session.check_clean()
    session.context.close()


def test_language_switch(browser: Browser, server: Server) -> None:
    session = open_session(browser, server, TABLET)
    page = session.page
    page.goto(f"{server.base_url}/screening")
    page.get_by_role("link", name="Español").tap()
    page.wait_for_url("**/screening?lang=es")
    assert page.locator("html").get_attribute("lang") == "es"
    total = page.locator("[data-tpi-step]").count()
    assert page.locator("[data-tpi-progress-text]").inner_text() == f"Paso 1 de {total}"
    assert page.locator("[data-tpi-next]").inner_text() == "Siguiente"
    assert page.get_by_role("link", name="Español").get_attribute("aria-current") == "true"
    session.check_clean()
    session.context.close()


def test_errors_are_summarised_and_linked(browser: Browser, server: Server) -> None:
    """The server's own errors, as when the page's checks are passed by (an empty form sent)."""
    session = open_session(browser, server, TABLET)
    page = session.page
    page.goto(f"{server.base_url}/screening?lang=es")
    page.evaluate("document.querySelector('form[data-tpi-form]').submit()")  # no submit event
    summary = page.locator("[data-tpi-error-summary]")
    summary.wait_for()
    page.wait_for_function("() => document.activeElement.hasAttribute('data-tpi-error-summary')")
    assert page.evaluate("document.activeElement.hasAttribute('data-tpi-error-summary')")
    assert "Hay un problema" in summary.inner_text()
    assert current_step(page) == 1  # opens on the first step with an error
    shot(page, "screening-errors-es")
    assert_no_axe_violations(page, "screening with errors (es)")
    # The link to a question on a later step opens that step and focuses the field.
    page.locator('[data-tpi-error-summary] a[href="#takes_blood_thinner-0"]').click()
    assert page.evaluate("document.activeElement.id") == "takes_blood_thinner-0"
    assert page.locator('[data-tpi-question="takes_blood_thinner"]').is_visible()
    described = page.locator('[data-tpi-question="takes_blood_thinner"] fieldset')
    assert "takes_blood_thinner-error" in (described.get_attribute("aria-describedby") or "")
    assert server.received.answers == [] and server.received.screening_errors
    session.check_clean()
    session.context.close()


def fill_step_by_keyboard(page: Page, answers: dict[str, Any]) -> None:
    done: set[str] = set()
    while True:
        todo = [q for q in visible_questions(page) if q not in done]
        if not todo:
            return
        qid = todo[0]
        done.add(qid)
        if qid not in answers:
            continue
        wrapper = f'[data-tpi-question="{qid}"]'
        values = posted_values(answers[qid])
        radios = page.locator(f"{wrapper} input[type=radio]")
        if radios.count():
            tab_to(page, f"{wrapper} input[type=radio]")
            wanted = page.locator(f'{wrapper} input[value="{values[0]}"]')
            for _ in range(radios.count()):
                if wanted.is_checked():
                    break
                page.keyboard.press("ArrowRight")
            assert wanted.is_checked()
        elif page.locator(f"{wrapper} input[type=checkbox]").count():
            for value in values:
                tab_to(page, f'{wrapper} input[value="{value}"]')
                page.keyboard.press("Space")
        else:
            tab_to(page, f"{wrapper} input, {wrapper} textarea")
            text = values[0]
            if page.evaluate("document.activeElement.type") == "date":
                year, month, day = text.split("-")
                text = month + day + year  # typed as Chromium's en-US date field expects
            page.keyboard.type(text)


def test_screening_by_keyboard_only(browser: Browser, server: Server) -> None:
    session = open_session(browser, server, TABLET, touch=False)
    page = session.page
    page.goto(f"{server.base_url}/screening")
    answers = answers_to_give()
    total = page.locator("[data-tpi-step]").count()
    outline = "getComputedStyle(document.activeElement).outlineStyle"
    for step in range(1, total + 1):
        fill_step_by_keyboard(page, answers)
        assert page.evaluate(outline) != "none", "focus is visible"
        if step < total:
            tab_to(page, "[data-tpi-next]")
            assert page.evaluate(outline) != "none"
            page.keyboard.press("Enter")
            assert page.evaluate("document.activeElement.hasAttribute('data-tpi-step-heading')")
    tab_to(page, "[data-tpi-submit]")
    shot(page, "screening-keyboard-last-step")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert server.received.screening_errors == []
    page.wait_for_selector("#thanks")
    assert server.received.answers == [validate_answers(answers, today=TODAY)]
    session.check_clean()
    session.context.close()


@pytest.mark.slow
def test_screening_without_javascript(browser: Browser, server: Server) -> None:
    """Every question shows; the server drops answers to questions that were not asked."""
    session = open_session(browser, server, TABLET, js=False)
    page = session.page
    page.goto(f"{server.base_url}/screening")
    answers = answers_to_give()
    answers["takes_blood_thinner"] = False
    assert page.locator('[data-tpi-question="blood_thinner_names"]').is_visible()
    for qid, value in answers.items():
        wrapper = page.locator(f'[data-tpi-question="{qid}"]')
        if wrapper.locator("input[type=radio], input[type=checkbox]").count():
            for v in posted_values(value):
                wrapper.locator(f'input[value="{v}"]').check()
        else:
            wrapper.locator("input, textarea").first.fill(str(value))
    shot(page, "screening-no-javascript")
    page.locator("[data-tpi-submit]").click()
    page.wait_for_selector("#thanks")
    expected = validate_answers(
        {k: v for k, v in answers.items() if not k.startswith("blood_thinner_")}, today=TODAY
    )
    assert server.received.answers == [expected]
    assert "blood_thinner_names" not in server.received.answers[0]
    session.check_clean()
    session.context.close()


def test_portal_fragment(browser: Browser, server: Server) -> None:
    session = open_session(browser, server, PHONE)
    page = session.page
    page.goto(f"{server.base_url}/portal")
    assert page.locator("[data-tpi-step]:visible").count() > 3  # no steps in the fragment
    assert page.locator('input[name="csrf_token"]').count() == 1
    follow_up = page.locator('[data-tpi-question="blood_thinner_names"]')
    assert follow_up.is_hidden()
    page.locator('[data-tpi-question="takes_blood_thinner"] label').first.tap()
    assert follow_up.is_visible()
    shot(page, "portal-fragment-phone")
    assert_no_axe_violations(page, "portal fragment")
    session.check_clean()
    session.context.close()
