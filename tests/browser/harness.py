"""A small Flask app serving the library's pages, a headless Chromium, and helpers to drive them.

The app uses only the public API (forms, html, signing) and records what it received, so tests
check what the server got, not what the page showed. Every response carries a strict
Content-Security-Policy; the browser refuses (and the tests fail on) any request that leaves the
test server.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from flask import Flask, Response, abort, request, send_file
from flask_wtf import FlaskForm  # type: ignore[import-untyped]
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    ViewportSize,
    sync_playwright,
)
from werkzeug.serving import make_server

from tpi_forms.consent.document import build_consent
from tpi_forms.consent.signing import ConsentSubmission, parse_consent_submission
from tpi_forms.definitions.clinic import sample_clinic
from tpi_forms.definitions.questionnaire import Question, Questionnaire, load_questionnaire
from tpi_forms.errors import ConsentFormError
from tpi_forms.screening.procedure import PlannedProcedure
from tpi_forms.web.forms import build_form_class
from tpi_forms.web.html import (
    PageOptions,
    render_consent_page,
    render_form_html,
    render_kiosk_page,
    static_files,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
TODAY = dt.date(2026, 3, 2)
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PLAN = PlannedProcedure(sites=("neck", "upper_back"))
TABLET = ViewportSize(width=1024, height=768)
TABLET_ROTATED = ViewportSize(width=768, height=1024)
PHONE = ViewportSize(width=390, height=844)


@dataclass
class Received:
    """What the test server was sent."""

    answers: list[dict[str, Any]] = field(default_factory=list)
    screening_errors: list[dict[str, list[str]]] = field(default_factory=list)
    consents: list[ConsentSubmission] = field(default_factory=list)
    consent_posts: list[dict[str, str]] = field(default_factory=list)
    consent_errors: list[dict[str, list[str]]] = field(default_factory=list)
    post_delay: float = 0.0
    """Seconds the screening POST takes to answer (a slow network, for double taps)."""


@functools.cache
def with_number_box() -> Questionnaire:
    """The default questionnaire with a pain score from 0 to 100: a number box, not a scale."""
    q = load_questionnaire()

    def change(question: Question) -> Question:
        return dataclasses.replace(question, max=100) if question.id == "pain_score" else question

    sections = tuple(
        dataclasses.replace(s, questions=tuple(change(x) for x in s.questions)) for s in q.sections
    )
    questions = MappingProxyType({k: change(v) for k, v in q.questions.items()})
    return dataclasses.replace(q, sections=sections, questions=questions)


def _thanks(lang: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>Thank you</title>'
        '</head><body><main><h1 id="thanks">Thank you</h1></main></body></html>'
    )


def make_app(received: Received) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test only", WTF_CSRF_TIME_LIMIT=None)

    def locale() -> str:
        lang = request.args.get("lang", "en")
        return lang if lang in ("en", "es") else "en"

    def screening_form() -> Any:
        questionnaire = with_number_box() if request.args.get("q") == "number" else None
        cls = build_form_class(questionnaire, locale=locale(), base=FlaskForm)
        form = cls()
        form.as_of = TODAY
        return form

    @app.route("/screening", methods=["GET", "POST"])
    def screening() -> str:
        form = screening_form()
        if request.method == "POST":
            time.sleep(received.post_delay)
            if form.validate():
                received.answers.append(form.answers())
                return _thanks(locale())
            received.screening_errors.append({f.name: list(f.errors) for f in form if f.errors})
        links = {loc: f"/screening?lang={loc}" for loc in ("en", "es")}
        variant = "&q=number" if request.args.get("q") == "number" else ""
        return render_kiosk_page(
            form,
            action=f"/screening?lang={locale()}{variant}",
            options=PageOptions(static_url="/static/", locale_links=links),
        )

    @app.route("/portal", methods=["GET", "POST"])
    def portal() -> str:
        form = screening_form()
        if request.method == "POST" and form.validate():
            received.answers.append(form.answers())
            return _thanks(locale())
        fragment = render_form_html(form, action="/portal", static_url="/static/")
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Portal</title>'
            '<link rel="icon" href="data:,"><link rel="stylesheet" href="/static/portal-host.css">'
            "</head><body><main>"
            f"<h1>Portal page</h1>{fragment}</main></body></html>"
        )

    @app.route("/consent", methods=["GET", "POST"])
    def consent() -> str:
        document = build_consent(PLAN, sample_clinic(), locale())
        options = PageOptions(
            static_url="/static/",
            locale_links={loc: f"/consent?lang={loc}" for loc in ("en", "es")},
        )
        values: dict[str, str] = {}
        errors: dict[str, list[str]] = {}
        if request.method == "POST":
            received.consent_posts.append(request.form.to_dict())
            try:
                received.consents.append(
                    parse_consent_submission(document, request.form, device_id="test-tablet")
                )
                return _thanks(locale())
            except ConsentFormError as exc:
                received.consent_errors.append(exc.errors)
                values, errors = request.form.to_dict(), exc.errors
        return render_consent_page(
            document,
            action=f"/consent?lang={locale()}",
            values=values,
            errors=errors,
            options=options,
        )

    @app.route("/static/<name>")
    def static_file(name: str) -> Response:
        if name == "portal-host.css":  # a portal's own global styles, which must not break ours
            return Response(
                "body { font: 16px serif; } label { color: #222; }", mimetype="text/css"
            )
        files = static_files()
        if name not in files:
            abort(404)
        return send_file(files[name])

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["Cache-Control"] = "no-store"
        return response

    return app


@dataclass
class Server:
    base_url: str
    received: Received


@pytest.fixture
def server() -> Iterator[Server]:
    received = Received()
    httpd = make_server("127.0.0.1", 0, make_app(received), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_port}", received)
    finally:
        httpd.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")  # one Chromium per xdist worker; each test has its own context
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium);"
            " browser tests never download a browser"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Session:
    """A page in a fresh browser context, with what the page complained about."""

    page: Page
    context: BrowserContext
    problems: list[str]
    outside_requests: list[str]

    def check_clean(self) -> None:
        assert self.outside_requests == [], f"requests left the server: {self.outside_requests}"
        assert self.problems == [], f"console errors or CSP violations: {self.problems}"


def open_session(
    browser: Browser,
    server: Server,
    viewport: ViewportSize,
    *,
    touch: bool = True,
    js: bool = True,
) -> Session:
    context = browser.new_context(
        viewport=viewport, has_touch=touch, java_script_enabled=js, device_scale_factor=2
    )
    page = context.new_page()
    problems: list[str] = []
    outside: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    def guard(route: Any) -> None:
        if route.request.url.startswith(server.base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    return Session(page, context, problems, outside)


SCREENSHOTS = os.environ.get("TPI_SCREENSHOTS", "0" if os.environ.get("CI") else "1") == "1"
"""Whether the tests write their screen captures to ``tests/artifacts/`` for people to look at:
yes unless CI is set (`.ci/run`), where no one looks and PNG captures cost a tenth of the
browser tests' CPU; ``TPI_SCREENSHOTS=1`` or ``0`` decides either way. Nothing asserts on them."""


def shot(page: Page | Locator, name: str, folder: Path = ARTIFACTS) -> None:
    """Capture the whole page (or one element) as ``folder/name.png`` when `SCREENSHOTS`."""
    if not SCREENSHOTS:
        return
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(page, Page):
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    else:
        page.screenshot(path=str(folder / f"{name}.png"))


def assert_no_axe_violations(page: Page, state: str) -> None:
    from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]

    results = Axe().run(page)
    assert results.violations_count == 0, f"axe violations on {state}:\n{results.generate_report()}"


def tab_to(page: Page, selector: str, limit: int = 400) -> None:
    """Press Tab until the element matching ``selector`` has focus (keyboard-only paths)."""
    for _ in range(limit):
        if page.evaluate(
            "s => !!document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


TAP_TARGETS = """([least, apart]) => {
    const SELECTOR = 'a[href], button, input:not([type=hidden]), select, textarea, ' +
        'label.tpi-option, label.tpi-check, [role=button], [tabindex]:not([tabindex="-1"])';
    const root = document.querySelector(':modal') || document;  // behind a modal: inert
    const all = [...root.querySelectorAll(SELECTOR)].filter((e) =>
        e.checkVisibility({ visibilityProperty: true }) && e.getClientRects().length);
    // A control inside another target (a radio inside its label) is part of that target.
    const targets = all.filter((e) => !all.some((o) => o !== e && o.contains(e)));
    const name = (e) => e.outerHTML.slice(0, 90).replace(/\\s+/g, ' ');
    const rects = targets.map((e) => e.getBoundingClientRect());
    const problems = [];
    targets.forEach((e, i) => {
        const r = rects[i];
        if (r.width < least - 0.01 || r.height < least - 0.01) {
            problems.push(`${name(e)} is ${r.width.toFixed(1)} x ${r.height.toFixed(1)}`);
        }
        for (let j = i + 1; j < targets.length; j++) {
            const o = rects[j];
            const dx = Math.max(0, Math.max(r.left, o.left) - Math.min(r.right, o.right));
            const dy = Math.max(0, Math.max(r.top, o.top) - Math.min(r.bottom, o.bottom));
            if (Math.max(dx, dy) < apart - 0.01) {
                problems.push(`${name(e)} and ${name(targets[j])} are ${Math.max(dx, dy).toFixed(1)} px apart`);
            }
        }
    });
    return { count: targets.length, problems };
}"""


def tap_target_problems(page: Page, least: float = 44, apart: float = 8) -> list[str]:
    """Every tap target shown (links, buttons, fields, option labels; only those of an open
    modal dialog when there is one) smaller than ``least`` CSS px either way, or nearer than
    ``apart`` px to another; fails when there are none."""
    found = page.evaluate(TAP_TARGETS, [least, apart])
    assert found["count"] > 0, "no tap targets found on the page"
    problems: list[str] = found["problems"]
    return problems


def posted_values(value: Any) -> list[str]:
    """An answer as the form posts it: a list of strings, ``yes``/``no`` for booleans."""
    items = value if isinstance(value, list) else [value]
    return ["yes" if v is True else "no" if v is False else str(v) for v in items]


def visible_questions(page: Page) -> list[str]:
    """The ids of the questions shown on the current screening step, in page order."""
    ids: list[str] = page.eval_on_selector_all(
        "[data-tpi-step]:not([hidden]) [data-tpi-question]:not([hidden])",
        "els => els.map(e => e.getAttribute('data-tpi-question'))",
    )
    return ids
