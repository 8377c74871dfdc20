"""The kiosk app served in a thread for browser tests, and a tablet browser context to drive it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize
from werkzeug.serving import make_server

from tpi_forms.kiosk.accounts import COMMAND_LINE
from tpi_forms.kiosk.app import create_app
from tpi_forms.kiosk.config import KioskConfig
from tpi_forms.kiosk.services import KioskServices

PIN = "468024"
CLINICIAN = "Casey Clinician, MD"
DESK = "Frankie Desk"
DESK_PIN = "357913"
KIOSK_TABLET = ViewportSize(width=1024, height=768)


class KioskServer:
    """A kiosk app served on 127.0.0.1 in a thread."""

    def __init__(self, data: Path, idle_timeout: int, **settings: Any) -> None:
        # Each browser context names its own client address (X-Forwarded-For), so two contexts
        # on one loopback address are two devices to the lock-out.
        settings.setdefault("trust_client_header", True)
        # The tests written for the one-page consent keep it; the paged consent's tests ask for it.
        settings.setdefault("consent_layout", "single")
        # No sample packet rendered at start (and waited for at stop): tests/kiosk/test_warm_up.py
        # is where the warm-up is tested.
        settings.setdefault("warm_packets", False)
        config = KioskConfig(data_dir=data, idle_timeout=idle_timeout, log_file=False, **settings)
        self.app = create_app(config)
        accounts = self.services.accounts
        accounts.create("Casey Clinician", "clinician", PIN, credentials="MD", by=COMMAND_LINE)
        accounts.create(DESK, "front_desk", DESK_PIN, by=COMMAND_LINE)
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
def kiosk(tmp_path: Path) -> Iterator[Callable[..., KioskServer]]:
    """Start kiosk servers (``kiosk(idle_timeout, **settings)``); all stop after the test."""
    servers: list[KioskServer] = []

    def start(idle_timeout: int = 120, **settings: Any) -> KioskServer:
        server = KioskServer(tmp_path / f"data{len(servers)}", idle_timeout, **settings)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def tablet(
    browser: Browser,
    server: KioskServer,
    viewport: ViewportSize = KIOSK_TABLET,
    address: str = "192.0.2.10",
) -> tuple[BrowserContext, Page, list[str]]:
    """One device's touch browser context; requests outside the server are refused and recorded."""
    context = browser.new_context(
        viewport=viewport, has_touch=True, extra_http_headers={"X-Forwarded-For": address}
    )
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
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    return context, page, problems


def try_login(page: Page, server: KioskServer, name: str, pin: str) -> None:
    """Choose the account by its name and type the PIN, as staff do on the tablet."""
    page.goto(f"{server.url}/staff/login")
    page.get_by_label("Your name").select_option(label=name)
    page.get_by_label("Your PIN").fill(pin)
    page.get_by_role("button", name="Log in").click()


def staff_login(page: Page, server: KioskServer, name: str = CLINICIAN, pin: str = PIN) -> None:
    """Log in as this staff account on this page's tablet."""
    try_login(page, server, name, pin)
    page.wait_for_url(f"{server.url}/staff/")
    assert page.locator("#kiosk-staff-user").inner_text() == f"Logged in: {name}"
