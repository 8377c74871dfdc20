"""The kiosk in headless Chromium: two patients in a row on one tablet, staff and patient.

The second patient must see nothing of the first: not in the page, not behind the back button,
not in a form field. Screenshots go to ``tests/artifacts/kiosk/``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from werkzeug.serving import make_server

from tpi_forms.kiosk.app import create_app
from tpi_forms.kiosk.config import KioskConfig
from tpi_forms.kiosk.security import StaffPin
from tpi_forms.kiosk.services import KioskServices
from tpi_forms.screening.scenarios import example_answers

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "kiosk"
PIN = "468024"
TABLET = {"width": 1024, "height": 768}
SIGNATURE = [
    [(0.1, 0.6), (0.2, 0.3), (0.3, 0.7), (0.4, 0.35), (0.5, 0.65)],
    [(0.55, 0.7), (0.7, 0.3), (0.85, 0.6)],
]
FIRST = {"name": "Ana Firstpatient", "dob": "1975-03-14"}
SECOND = {"name": "Bo Secondpatient", "dob": "1990-11-02"}


class KioskServer:
    """A kiosk app served on 127.0.0.1 in a thread."""

    def __init__(self, data: Path, idle_timeout: int) -> None:
        StaffPin(data).set(PIN)
        self.app = create_app(KioskConfig(data_dir=data, idle_timeout=idle_timeout))
        self.httpd = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def services(self) -> KioskServices:
        found = self.app.extensions["tpi_kiosk"]
        assert isinstance(found, KioskServices)
        return found

    def stop(self) -> None:
        self.httpd.shutdown()
        self.thread.join(timeout=10)
        self.services.close()


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Callable[[int], KioskServer]]:
    servers: list[KioskServer] = []

    def start(idle_timeout: int = 120) -> KioskServer:
        server = KioskServer(tmp_path / f"data{len(servers)}", idle_timeout)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def tablet(browser: Browser, server: KioskServer) -> tuple[BrowserContext, Page, list[str]]:
    """One tablet browser context; requests outside the server are refused and recorded."""
    context = browser.new_context(viewport=TABLET, has_touch=True)
    problems: list[str] = []

    def guard(route: Any) -> None:
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            problems.append(f"outside request {route.request.url}")
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    return context, page, problems


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def staff_login(page: Page, server: KioskServer) -> None:
    page.goto(f"{server.url}/staff/login")
    page.locator("#pin").fill(PIN)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server.url}/staff/")


def open_checkin(page: Page, server: KioskServer, patient: dict[str, str]) -> str:
    page.get_by_role("link", name="New check-in").first.click()
    page.locator("#name").fill(patient["name"])
    page.locator("#date_of_birth").fill(patient["dob"])
    page.get_by_role("button", name="Open check-in").click()
    page.wait_for_url(re.compile(r".*/staff/checkins/[A-Za-z0-9_-]{22}$"))
    return page.url


def posted_values(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return ["yes" if v is True else "no" if v is False else str(v) for v in items]


def visible_questions(page: Page) -> list[str]:
    return list(
        page.eval_on_selector_all(
            "[data-tpi-step]:not([hidden]) [data-tpi-question]:not([hidden])",
            "els => els.map(e => e.getAttribute('data-tpi-question'))",
        )
    )


def fill_screening(page: Page, answers: dict[str, Any], name: str) -> None:
    """Answer every step by tapping, then submit."""
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


def sign_consent(page: Page, name: str, drawn: bool) -> None:
    text = page.locator("[data-tpi-consent-text]")
    for _ in range(80):
        if page.locator("form[data-tpi-consent]").get_attribute("data-tpi-reached-end") == "1":
            break
        text.evaluate("e => e.scrollBy(0, e.clientHeight * 0.8)")
        page.wait_for_timeout(50)
    for box in page.locator("input[id^='risk-']").all():
        page.locator(f'label[for="{box.get_attribute("id")}"]').tap()
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
    assert page.locator("#kiosk-status").inner_text() == "review"
    shot(page, "second-staff-review")
    page.get_by_role("button", name="Clear for consent").click()
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
    assert server.services.packets.wait_idle(120)
    staff_login(page, server)
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


@pytest.mark.slow
def test_idle_timeout_returns_an_abandoned_tablet_to_the_start(
    browser: Browser, kiosk: Any
) -> None:
    server: KioskServer = kiosk(10)
    context, page, problems = tablet(browser, server)
    page.goto(server.url)
    page.get_by_role("button", name="Start check-in").tap()
    page.wait_for_url(f"{server.url}/kiosk/screening")
    page.locator("#patient_name").fill(SECOND["name"])
    page.wait_for_url(f"{server.url}/", timeout=20_000)  # the page script wiped it
    assert_nothing_of(page, SECOND)
    page.go_back()
    page.wait_for_load_state()
    assert_nothing_of(page, SECOND)
    (checkin,) = server.services.store.checkins()
    assert server.services.store.events(checkin.id)[-1].kind == "tablet_timed_out"
    assert problems == [], problems
    context.close()
