"""A minor's check-in on the tablet: the signing page asks for the legal representative, refuses
the patient signing alone (the message beside the block, what was typed kept), and the record
made after the practitioner's signature holds the representative's. An adult signs alone."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from tpi_forms.consent.fields import NAMES
from tpi_forms.definitions.ui_text import ui_text
from tpi_forms.kiosk.state import CONSENT, PATIENT_SIGNING
from tpi_forms.record.model import ConsentRecord
from tpi_forms.screening.scenarios import example_answers

from .conftest import close_logs, make_app, svc
from .kiosk_client import (
    awaiting_checkin,
    consent_data,
    countersign,
    csrf,
    handover,
    hidden,
    open_checkin,
    page,
    read_parts,
    staff_login,
    submit_screening,
)

MINOR = "2012-05-01"
ADULT = "1980-04-12"
REP = "legal_representative"
TITLES = {"en": "Legal representative", "es": "Representante legal"}
PATIENT = NAMES.signer("patient")


def text(html_page: str) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html_page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.fixture(params=["single", "paged"])
def kiosk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path / "data", consent_layout=request.param)
    yield app
    svc(app).close()
    close_logs()


def to_signing(app: Flask, dob: str, locale: str = "en") -> tuple[Any, str]:
    """A check-in screened and, for a minor (a review finding), let go ahead by the clinician;
    the tablet client on its signing page. Returns (tablet, staff URL)."""
    tablet = app.test_client()
    assert staff_login(tablet).status_code == 302
    url = open_checkin(tablet, "Alex Example", dob, locale=locale)
    handover(tablet, url)
    answers = {**example_answers("clear"), "date_of_birth": dob}
    assert submit_screening(tablet, answers).status_code == 302
    if dob == MINOR:
        doctor = app.test_client()
        assert staff_login(doctor).status_code == 302
        review = page(doctor, f"{url}/review")
        decision = {
            "csrf_token": csrf(review),
            "screening": hidden(review, "screening"),
            "outcome": "proceed",
            "note": "Mother present, shows ID.",
        }
        assert doctor.post(f"{url}/decision", data=decision).status_code == 302
    read_parts(tablet)
    return tablet, url


def post(tablet: Any, **override: str) -> Any:
    """The signing form as `consent_data` fills it (signed as the patient), with ``override``."""
    form = page(tablet, "/kiosk/consent")
    data = dict(consent_data(form, "Rosa Example"))
    data.update(override)
    return tablet.post("/kiosk/consent", data=MultiDict(list(data.items())))


def finish(app: Flask) -> ConsentRecord:
    checkin_id = awaiting_checkin(app)
    assert checkin_id is not None
    staff = app.test_client()
    assert staff_login(staff).status_code == 302
    assert countersign(staff, checkin_id).status_code == 302
    final = svc(app).store.latest_submission(checkin_id, CONSENT)
    assert final is not None
    return ConsentRecord.from_dict(final.payload)


@pytest.mark.parametrize("locale", ["en", "es"])
def test_a_minors_signing_page_asks_for_the_representative(kiosk: Flask, locale: str) -> None:
    tablet, _ = to_signing(kiosk, MINOR, locale)
    shown = page(tablet, "/kiosk/consent")
    words = ui_text(locale)["signature.required_signer"].replace("{title}", TITLES[locale])
    assert words in text(shown)
    assert f'name="{PATIENT.extra("relationship")}"' in shown
    assert f'name="{PATIENT.signer}" value="{REP}"' in shown
    assert 'value="patient"' not in shown  # the patient is not offered as the signer


def test_a_minor_signing_alone_is_refused_and_the_representative_signs(kiosk: Flask) -> None:
    tablet, _ = to_signing(kiosk, MINOR)
    refused = post(tablet, **{PATIENT.signer: "patient"})
    assert refused.status_code == 422
    again = refused.get_data(as_text=True)
    message = ui_text("en")["errors.required_signer"].replace("{title}", TITLES["en"])
    assert message in text(again)
    assert f'id="{PATIENT.fieldset}-error"' in again
    assert 'value="Rosa Example"' in again  # the name typed is kept
    checkin_id = awaiting_checkin(kiosk)
    assert checkin_id is None  # nothing stored
    (checkin,) = svc(kiosk).store.checkins()
    assert svc(kiosk).store.latest_submission(checkin.id, PATIENT_SIGNING) is None

    # As the page posts it: the representative (its hidden signer field), with the relationship.
    signed = post(tablet, **{PATIENT.signer: REP, PATIENT.extra("relationship"): "Mother"})
    assert signed.status_code == 302, signed.get_data(as_text=True)
    record = finish(kiosk)
    rep = record.signatures[0]
    assert (rep.role, rep.relationship, rep.printed_name) == (REP, "Mother", "Rosa Example")
    assert [s.role for s in record.signatures] == [REP, "practitioner"]


def test_an_adult_signs_alone(kiosk: Flask) -> None:
    tablet, _ = to_signing(kiosk, ADULT)
    shown = page(tablet, "/kiosk/consent")
    assert 'value="patient"' in shown
    assert ui_text("en")["signature.required_signer"].split(":")[0] not in text(shown)
    assert post(tablet).status_code == 302
    assert [s.role for s in finish(kiosk).signatures] == ["patient", "practitioner"]
