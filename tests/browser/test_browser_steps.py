"""Each screening step in headless Chromium: checked before Next with the server's rules, and
read aloud with the device's own voice.

The page script's checks are compared with the question types' own normalisers (the mirror
test), and the patient's view of them is driven by touch at tablet and phone sizes. Speech is
a stub (``speechSynthesis`` replaced before the page loads), so the tests say which voices the
device has and see what the page asked it to say.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize

from tpi_forms.definitions.question_core import Invalid
from tpi_forms.definitions.questionnaire import Question
from tpi_forms.screening.answers import validate_answers
from tpi_forms.screening.scenarios import example_answers
from tpi_forms.web.html import write_static_demo

from .harness import (
    PHONE,
    TABLET,
    TODAY,
    Server,
    assert_no_axe_violations,
    open_session,
    shot,
    with_number_box,
)

pytestmark = pytest.mark.browser

SIZES = pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])


def current_step(page: Page) -> int:
    return int(page.locator("form[data-tpi-form]").get_attribute("data-tpi-current-step") or 0)


def step_summary(page: Page) -> Any:
    return page.locator("[data-tpi-step]:not([hidden]) [data-tpi-check-summary]")


def focused_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def error_of(page: Page, field: str) -> str:
    """The error beside a field, as a screen reader reads it (with its hidden "Error:")."""
    return " ".join((page.locator(f"#{field}-error").text_content() or "").split())


def tap_option(page: Page, qid: str, value: str) -> None:
    option = page.locator(f'[data-tpi-question="{qid}"] input[value="{value}"]')
    page.locator(f'label[for="{option.get_attribute("id")}"]').tap()


@SIZES
def test_next_on_an_unanswered_step_stays_and_marks_it(
    browser: Browser, server: Server, viewport: ViewportSize
) -> None:
    size = f"{viewport['width']}x{viewport['height']}"
    session = open_session(browser, server, viewport)
    page = session.page
    page.goto(f"{server.base_url}/screening")
    page.locator("[data-tpi-next]").tap()
    assert current_step(page) == 1, "Next does not pass an unanswered step"
    summary = step_summary(page)
    assert summary.is_visible() and summary.get_attribute("role") == "alert"
    assert summary.locator("li").all_inner_texts() == [
        "Your full name: Please answer this question.",
        "Your date of birth: Please answer this question.",
        "Who is filling in this form? Please answer this question.",
        "Would you like an interpreter? Please answer this question.",
    ]
    for field in ("#patient_name", "#date_of_birth"):
        assert page.locator(field).get_attribute("aria-invalid") == "true"
        described = page.locator(field).get_attribute("aria-describedby") or ""
        assert f"{field[1:]}-error" in described.split()
    assert error_of(page, "patient_name") == "Error: Please answer this question."
    assert focused_id(page) == "patient_name", "focus is on the first problem"
    shot(page, f"checks-{size}-step1-empty")
    assert_no_axe_violations(page, f"step 1 checked, nothing answered ({size})")

    # Fixing a field clears its mark at once; the summary keeps what is left.
    page.locator("#patient_name").fill("Ana Ruiz")
    assert page.locator("#patient_name").get_attribute("aria-invalid") is None
    assert page.locator("#patient_name-error").count() == 0
    assert summary.locator("li").all_inner_texts() == [
        "Your date of birth: Please answer this question.",
        "Who is filling in this form? Please answer this question.",
        "Would you like an interpreter? Please answer this question.",
    ]
    page.locator("#date_of_birth").fill("1980-04-12")
    tap_option(page, "form_filled_by", "self")
    tap_option(page, "needs_interpreter", "no")
    assert summary.is_hidden()
    page.locator("[data-tpi-next]").tap()
    assert current_step(page) == 2

    # A step of radio buttons and checkboxes: every option is marked, focus on the first.
    page.locator("[data-tpi-next]").tap()
    assert current_step(page) == 2
    assert focused_id(page) == "pain_sites-0"
    marked = page.locator('[data-tpi-question="pain_sites"] input[aria-invalid="true"]')
    assert marked.count() == page.locator('[data-tpi-question="pain_sites"] input').count()
    fieldset = page.locator('[data-tpi-question="pain_score"] fieldset')
    assert "pain_score-error" in (fieldset.get_attribute("aria-describedby") or "")
    shot(page, f"checks-{size}-step2-empty")
    assert_no_axe_violations(page, f"step 2 checked, nothing answered ({size})")
    session.check_clean()
    session.context.close()


def test_range_and_date_errors_are_caught_in_the_browser(browser: Browser, server: Server) -> None:
    session = open_session(browser, server, TABLET)
    page = session.page
    page.goto(f"{server.base_url}/screening?q=number")  # pain score 0-100: a number box
    page.locator("#patient_name").fill("Ana Ruiz")
    page.locator("#date_of_birth").fill("2026-03-03")  # the day after the form's today
    page.locator("[data-tpi-next]").tap()
    assert current_step(page) == 1
    assert error_of(page, "date_of_birth") == "Error: This date cannot be in the future."
    page.locator("#date_of_birth").fill("1906-03-01")  # one day more than 120 years
    page.locator("[data-tpi-next]").tap()
    too_old = "Error: This date cannot be more than 120 years ago."
    assert error_of(page, "date_of_birth") == too_old
    assert focused_id(page) == "date_of_birth"
    page.locator("#date_of_birth").fill("1906-03-02")
    tap_option(page, "form_filled_by", "self")
    tap_option(page, "needs_interpreter", "no")
    page.locator("[data-tpi-next]").tap()
    assert current_step(page) == 2

    tap_option(page, "pain_sites", "neck")
    tap_option(page, "pain_duration", "3_to_12_months")
    tap_option(page, "muscle_injury_at_site", "no")
    page.locator("#pain_score").fill("150")
    page.locator("[data-tpi-next]").tap()
    assert current_step(page) == 2
    assert step_summary(page).locator("li").all_inner_texts() == [
        "How bad is your pain right now? Pick a number from 0 to 100."
    ]
    assert focused_id(page) == "pain_score"
    shot(page, "checks-range-error")
    assert_no_axe_violations(page, "a number out of range")
    page.locator("#pain_score").fill("55")
    page.locator("[data-tpi-next]").tap()
    assert current_step(page) == 3

    # Picking "none" with another treatment breaks the exclusive rule, in the definition's words.
    tap_option(page, "prior_treatments", "none")
    tap_option(page, "prior_treatments", "massage")
    page.locator("[data-tpi-next]").tap()
    assert current_step(page) == 3
    exclusive = 'Error: "None of these" cannot be picked with other answers.'
    assert error_of(page, "prior_treatments") == exclusive
    session.check_clean()
    session.context.close()


def test_send_is_checked_and_sent_once(browser: Browser, server: Server) -> None:
    session = open_session(browser, server, TABLET)
    page = session.page
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(f"{server.base_url}/screening")
    answers = example_answers("clear")
    steps = page.locator("[data-tpi-step]").count()
    for step in range(1, steps + 1):
        for qid, value in answers.items():
            wrapper = page.locator(f'[data-tpi-step]:not([hidden]) [data-tpi-question="{qid}"]')
            if not wrapper.count() or wrapper.is_hidden():
                continue
            if wrapper.locator("input[type=radio], input[type=checkbox]").count():
                for v in value if isinstance(value, list) else [value]:
                    posted = "yes" if v is True else "no" if v is False else str(v)
                    tap_option(page, qid, posted)
            else:
                wrapper.locator("input, textarea").first.fill(str(value))
        if step < steps:
            page.locator("[data-tpi-next]").tap()
    # Two taps in a row on a slow network post the form once.
    server.received.post_delay = 1.0
    disabled = page.evaluate(
        """() => {
            const send = document.querySelector('[data-tpi-submit]');
            send.click();
            window.setTimeout(() => send.click(), 200);  // the second tap, while the first waits
            return send.disabled;
        }"""
    )
    assert disabled, "the button is disabled once the form goes"
    page.wait_for_selector("#thanks")
    assert len(posts) == 1, posts
    assert server.received.answers == [validate_answers(answers, today=TODAY)]
    session.check_clean()
    session.context.close()


def test_enter_in_a_box_is_next_not_send(browser: Browser, server: Server) -> None:
    session = open_session(browser, server, TABLET, touch=False)
    page = session.page
    page.goto(f"{server.base_url}/screening")
    page.locator("#patient_name").fill("Ana Ruiz")
    page.locator("#patient_name").press("Enter")
    assert current_step(page) == 1
    assert focused_id(page) == "date_of_birth"
    assert server.received.screening_errors == [], "nothing was sent"
    session.check_clean()
    session.context.close()


# -- the mirror: the page script refuses exactly what the server refuses -------------------------

CASES: list[tuple[str, list[str]]] = [
    ("patient_name", []),
    ("patient_name", ["   "]),
    ("patient_name", ["Ana"]),
    ("patient_name", ["x" * 120]),
    ("patient_name", ["x" * 121]),
    ("patient_name", ["é" * 121]),
    ("date_of_birth", []),
    ("date_of_birth", ["2026-03-02"]),
    ("date_of_birth", ["2026-03-03"]),
    ("date_of_birth", ["1906-03-02"]),
    ("date_of_birth", ["1906-03-01"]),
    ("date_of_birth", ["2024-02-29"]),
    ("date_of_birth", ["2023-02-29"]),  # the browser holds no such day: nothing is posted
    ("pain_score", []),
    ("pain_score", ["0"]),
    ("pain_score", ["100"]),
    ("pain_score", ["101"]),
    ("pain_score", ["-1"]),
    ("pain_score", ["1.5"]),
    ("pain_score", ["1e2"]),
    ("pain_score", ["abc"]),
    ("peg_pain", []),
    ("peg_pain", ["5"]),
    ("pain_sites", []),
    ("pain_sites", ["neck"]),
    ("pain_sites", ["neck", "other"]),
    ("prior_treatments", ["none"]),
    ("prior_treatments", ["massage", "none"]),
    ("allergies", ["latex", "none"]),
    ("allergies", []),
    ("takes_blood_thinner", []),
    ("takes_blood_thinner", ["no"]),
    ("pain_duration", []),
    ("pain_duration", ["lt_6_weeks"]),
    ("blood_thinner_names", [""]),
    ("blood_thinner_names", ["warfarin"]),
    ("blood_thinner_last_dose", ["2026-03-02"]),
    ("current_medicines", [""]),
    ("current_medicines", ["y" * 2001]),
    ("has_driver", []),
]

SET_AND_CHECK = """([cases, today]) => cases.map(([qid, values]) => {
    const w = document.querySelector(`[data-tpi-question="${qid}"]`);
    const controls = [...w.querySelectorAll('input, textarea')];
    let held;
    if (controls[0].type === 'radio' || controls[0].type === 'checkbox') {
        controls.forEach(c => { c.checked = values.includes(c.value); });
        held = controls.filter(c => c.checked).map(c => c.value);
    } else {
        controls[0].value = values.length ? values[0] : '';
        held = [controls[0].value];
    }
    return [held, window.tpiForms.check(w, today)];
})"""


def server_problems(question: Question, posted: list[str]) -> list[dict[str, Any]]:
    """What the server says of these posted values: the same steps as `validate_answers`."""
    raw = question.kind.posted_answer(posted)
    value = None if raw is None else question.kind.normalise(question, raw, TODAY, "en")
    if isinstance(value, Invalid):
        return [{"key": p.key, "params": dict(p.params)} for p in value.problems]
    if value is None and question.required:
        return [{"key": "required", "params": {}}]
    return []


def test_page_checks_mirror_the_server(browser: Browser, server: Server) -> None:
    questionnaire = with_number_box()
    assert {questionnaire.questions[q].type for q, _ in CASES} == {
        "string",
        "text",
        "integer",
        "date",
        "boolean",
        "choice",
        "multichoice",
    }
    session = open_session(browser, server, TABLET)
    page = session.page
    page.goto(f"{server.base_url}/screening?q=number")
    got = page.evaluate(SET_AND_CHECK, [CASES, TODAY.isoformat()])
    mismatches = []
    for (qid, values), (held, problems) in zip(CASES, got, strict=True):
        question = questionnaire.questions[qid]
        if question.kind.multiple or question.scale or question.type in ("boolean", "choice"):
            assert held == values, (qid, values, held)
        expected = server_problems(question, held)
        if problems != expected:
            mismatches.append((qid, values, held, problems, expected))
    assert mismatches == []
    # Inputs a browser cannot hold are posted blank, and both sides call that unanswered.
    assert got[CASES.index(("date_of_birth", ["2023-02-29"]))][0] == [""]
    assert got[CASES.index(("pain_score", ["abc"]))][0] == [""]
    # Chromium warns about the two values it refused; nothing else may complain.
    session.problems[:] = [p for p in session.problems if not p.startswith("The specified value")]
    session.check_clean()
    session.context.close()


# -- read aloud -----------------------------------------------------------------------------------

SPEECH_STUB = """(voices) => {
    const heard = [];
    const listeners = [];
    window.__voices = voices;
    window.__heard = heard;
    window.__setVoices = (v) => { window.__voices = v; listeners.forEach((fn) => fn()); };
    window.SpeechSynthesisUtterance = function (text) { this.text = text; this.lang = ''; };
    const synth = {
        speaking: false,
        getVoices: () => window.__voices,
        speak: (u) => { heard.push({ text: u.text, lang: u.lang, voice: u.voice.name }); },
        cancel: () => { heard.push('cancel'); },
        addEventListener: (name, fn) => { if (name === 'voiceschanged') listeners.push(fn); },
    };
    Object.defineProperty(window, 'speechSynthesis', { value: synth, configurable: true });
}"""


def voice(lang: str, local: bool = True) -> dict[str, Any]:
    return {"name": f"voice {lang}", "lang": lang, "localService": local}


def with_voices(page: Page, voices: list[dict[str, Any]]) -> None:
    """Replace the browser's speech synthesis, before any page script runs, by a stub."""
    page.add_init_script(f"({SPEECH_STUB})({json.dumps(voices)})")


def listen_button(page: Page) -> Any:
    return page.locator("[data-tpi-step]:not([hidden]) [data-tpi-read-aloud]")


@pytest.mark.parametrize(
    "voices",
    [[], [voice("en-US")], [voice("es-ES", local=False)]],
    ids=["no-voice", "other-language", "remote-voice"],
)
def test_listen_is_hidden_without_a_local_voice_for_the_language(
    browser: Browser, server: Server, voices: list[dict[str, Any]]
) -> None:
    session = open_session(browser, server, TABLET)
    page = session.page
    with_voices(page, voices)
    page.goto(f"{server.base_url}/screening?lang=es")
    assert page.locator("[data-tpi-read-aloud]").count() == page.locator("[data-tpi-step]").count()
    assert page.locator("[data-tpi-read-aloud]:visible").count() == 0
    # A voice that arrives late (Chrome loads them after the page) shows the buttons.
    page.evaluate("v => window.__setVoices(v)", [*voices, voice("es-MX")])
    assert listen_button(page).is_visible()
    session.check_clean()
    session.context.close()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_listen_reads_the_step_in_the_page_language(
    browser: Browser, server: Server, lang: str
) -> None:
    session = open_session(browser, server, PHONE if lang == "es" else TABLET)
    page = session.page
    with_voices(page, [voice("en-GB"), voice("es-US"), voice(lang, local=False)])
    page.goto(f"{server.base_url}/screening?lang={lang}")
    button = listen_button(page)
    words = {"en": ("Listen", "Stop"), "es": ("Escuchar", "Parar")}[lang]
    assert button.inner_text() == words[0]
    assert_no_axe_violations(page, f"screening with its Listen button ({lang})")
    shot(page, f"read-aloud-{lang}")
    button.tap()
    heard = page.evaluate("window.__heard")
    assert [h["lang"] for h in heard if h != "cancel"] == [lang]
    said = heard[-1]
    assert said["voice"] == ("voice en-GB" if lang == "en" else "voice es-US"), "a local voice"
    step = page.locator("[data-tpi-step]:not([hidden])")
    title = step.locator("[data-tpi-step-heading]").inner_text()
    label = step.locator(".tpi-label").first.inner_text().split(" (")[0]
    assert said["text"].startswith(title) and label in said["text"]
    assert words[0] not in said["text"], "the button itself is not read"
    other_step = page.locator("[data-tpi-step][hidden] [data-tpi-step-heading]").first
    assert other_step.text_content() not in said["text"], "only the step shown is read"
    assert button.inner_text() == words[1]
    button.tap()  # pressed again: stops
    assert page.evaluate("window.__heard").count("cancel") >= 1
    assert button.inner_text() == words[0]
    session.check_clean()
    session.context.close()


def test_listen_skips_questions_not_asked(browser: Browser, server: Server) -> None:
    session = open_session(browser, server, TABLET)
    page = session.page
    with_voices(page, [voice("en-US")])
    page.goto(f"{server.base_url}/screening")
    page.evaluate("tpiForms.showStep(document.querySelector('form[data-tpi-form]'), 4)")
    follow_up = page.locator('[data-tpi-question="blood_thinner_names"] .tpi-label')
    asked = follow_up.inner_text().split(" (")[0]
    listen_button(page).tap()
    assert asked not in page.evaluate("window.__heard")[-1]["text"]
    listen_button(page).tap()  # stop
    tap_option(page, "takes_blood_thinner", "yes")
    listen_button(page).tap()
    assert asked in page.evaluate("window.__heard")[-1]["text"]
    page.locator("[data-tpi-back]").tap()  # another step: the speech stops
    assert page.evaluate("window.__heard")[-1] == "cancel"
    session.check_clean()
    session.context.close()


def test_the_static_demo_checks_and_reads_from_disk(browser: Browser, tmp_path: Path) -> None:
    """``tpi-forms demo`` pages open from disk with their scripts: steps checked, read aloud."""
    write_static_demo(tmp_path, today=TODAY)
    context = browser.new_context(viewport=TABLET, has_touch=True)
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    with_voices(page, [voice("es-ES")])
    page.goto((tmp_path / "kiosk-screening.es.html").as_uri())
    assert listen_button(page).is_visible()
    page.locator("[data-tpi-next]").tap()
    assert current_step(page) == 1
    assert step_summary(page).locator("li").count() == 4  # name, birth date, who, interpreter
    assert focused_id(page) == "patient_name"
    assert error_of(page, "patient_name") == "Error: Conteste esta pregunta."
    listen_button(page).tap()
    assert page.evaluate("window.__heard")[-1]["lang"] == "es"
    assert problems == [], problems
    context.close()
