"""Fixtures of the browser tests: one headless Chromium per test process, a fresh test server per
test, and kiosk servers on demand."""

from .harness import browser, server
from .kiosk_server import kiosk

__all__ = ["browser", "kiosk", "server"]
