"""Fixtures of the kiosk tests: an app over a temporary data folder with a known staff PIN."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tpi_forms.kiosk.app import create_app
from tpi_forms.kiosk.config import KioskConfig
from tpi_forms.kiosk.security import StaffPin
from tpi_forms.kiosk.services import KioskServices

from .kiosk_client import PIN


def make_app(data_dir: Path, **settings: object) -> Flask:
    StaffPin(data_dir).set(PIN)
    return create_app(KioskConfig(data_dir=data_dir, **settings))  # type: ignore[arg-type]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path / "data")
    yield app
    svc(app).close()
    close_logs()


def close_logs() -> None:
    log = logging.getLogger("tpi_forms.kiosk")
    for handler in list(log.handlers):
        if getattr(handler, "_tpi_kiosk", False):
            log.removeHandler(handler)
            handler.close()


def svc(app: Flask) -> KioskServices:
    found = app.extensions["tpi_kiosk"]
    assert isinstance(found, KioskServices)
    return found
