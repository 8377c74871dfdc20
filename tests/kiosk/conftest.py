"""Fixtures of the kiosk tests: an app over a temporary data folder with one clinician account."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tpi_forms.kiosk.accounts import COMMAND_LINE, StaffUser
from tpi_forms.kiosk.app import create_app
from tpi_forms.kiosk.config import KioskConfig
from tpi_forms.kiosk.services import KioskServices

from .kiosk_client import CLINICIAN, CREDENTIALS, PIN


def make_app(data_dir: Path, *, accounts: bool = True, **settings: object) -> Flask:
    """The kiosk app; with ``accounts`` its data folder has the clinician account `CLINICIAN`
    (made on the first start of that folder; a restart keeps it)."""
    # The tests written for the one-page consent keep it; the paged consent's tests ask for it.
    settings.setdefault("consent_layout", "single")
    settings.setdefault("warm_packets", False)  # a sample render per app; its own tests ask for it
    app = create_app(KioskConfig(data_dir=data_dir, **settings))  # type: ignore[arg-type]
    if accounts and svc(app).accounts.by_name(CLINICIAN) is None:
        add_account(app, CLINICIAN, "clinician", PIN, credentials=CREDENTIALS)
    return app


def add_account(
    app: Flask, name: str, role: str, secret: str, *, credentials: str = ""
) -> StaffUser:
    """Add a staff account as the command line would."""
    return svc(app).accounts.create(name, role, secret, credentials=credentials, by=COMMAND_LINE)


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
