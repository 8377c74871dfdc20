"""Fixtures of the kiosk tests: an app over a temporary data folder with a known staff PIN."""

from __future__ import annotations

import functools
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tpi_forms.kiosk.app import create_app
from tpi_forms.kiosk.config import KioskConfig
from tpi_forms.kiosk.security import StaffPin
from tpi_forms.kiosk.services import KioskServices
from tpi_forms.kiosk.store import write_atomic

from .kiosk_client import PIN


@functools.cache
def pin_hash() -> bytes:
    """The stored hash of ``PIN``, made once: each argon2id hash costs a fifth of a second."""
    with tempfile.TemporaryDirectory() as folder:
        pin = StaffPin(folder)
        pin.set(PIN)
        return pin.path.read_bytes()


def make_app(data_dir: Path, **settings: object) -> Flask:
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomic(StaffPin(data_dir).path, pin_hash())  # what StaffPin(data_dir).set(PIN) stores
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
