"""Fixtures of the browser tests: one headless Chromium per module and a fresh test server per test."""

from .harness import browser, server

__all__ = ["browser", "server"]
