"""Near midnight in a zone far from UTC, the kiosk, the record and `screen` agree on the day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tpi_forms import clock
from tpi_forms.consent.fields import NAMES
from tpi_forms.json_types import Answer
from tpi_forms.kiosk.state import CONSENT, checkin_state
from tpi_forms.screening.engine import screen
from tpi_forms.screening.scenarios import example_answers

from .conftest import close_logs, make_app, svc
from .kiosk_client import csrf, handover, open_checkin, page, sign, staff_login, submit_screening

CLINIC = """
name = "Far Away Clinic"
address = ["1 Example Road"]
phone = "555-0100"
time_zone = "{zone}"

[[practitioners]]
id = "lee"
name = "Sam Lee"
"""

PATIENT = NAMES.signer("patient")
REP = "legal_representative"
BORN = "2008-03-02"
"""6574 days before 2026-03-02 (counted under 18: review), 6575 before 2026-03-03 (clear)."""

# (zone, the moment in UTC, the clinic's day then, the screening status on that day)
MIDNIGHTS = [
    # 23:30 on 2 March in Los Angeles is already 3 March in UTC.
    ("America/Los_Angeles", dt.datetime(2026, 3, 3, 7, 30, tzinfo=dt.UTC), "2026-03-02", "review"),
    # 00:30 on 3 March in Kiritimati (UTC+14) is still 2 March in UTC.
    ("Pacific/Kiritimati", dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.UTC), "2026-03-03", "clear"),
]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def answers() -> dict[str, Answer]:
    data = example_answers("clear")
    data["date_of_birth"] = BORN
    return data


@pytest.fixture
def kiosk(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Flask, Clock]]:
    zone, now, _, _ = request.param
    clinic = tmp_path / "clinic.toml"
    clinic.write_text(CLINIC.format(zone=zone), encoding="utf-8")
    moment = Clock(now)
    app = make_app(tmp_path / "data", clinic_file=clinic, clock=moment)
    yield app, moment
    svc(app).close()
    close_logs()


def sign_after_screening(app: Flask, status: str, moment: Clock | None = None) -> None:
    """Open, screen, (clear when needed,) sign; ``moment`` moves the clock before signing."""
    client = app.test_client()
    staff_login(client)
    url = open_checkin(client)
    handover(client, url)
    assert submit_screening(client, answers()).status_code == 302
    if moment is not None:
        moment.now += dt.timedelta(minutes=60)  # past the clinic's midnight
    if status != "clear":
        staff_login(client)
        client.post(f"{url}/clear", data={"csrf_token": csrf(page(client, url))})
        handover(client, url)
    # A patient under 18 on the clinic's day: the legal representative signs (required_signer).
    fields = (
        {} if status == "clear" else {PATIENT.signer: REP, PATIENT.extra("relationship"): "Mother"}
    )
    assert sign(client, fields=fields).location == "/kiosk/next"


@pytest.mark.parametrize("kiosk", MIDNIGHTS, indirect=True, ids=lambda m: m[0])
def test_kiosk_record_and_screen_agree_on_the_clinics_day(kiosk: tuple[Flask, Clock]) -> None:
    app, moment = kiosk
    services = svc(app)
    zone = services.clinic.time_zone
    (_, now, day, status) = next(m for m in MIDNIGHTS if m[0] == zone)
    assert clock.today(zone, now).isoformat() == day != now.date().isoformat()  # UTC differs

    expected = screen(answers(), today=clock.today(zone, now)).to_dict()
    assert (expected["as_of"], expected["status"]) == (day, status)
    sign_after_screening(app, status)

    store = services.store
    (checkin,) = store.checkins()
    state = checkin_state(store, checkin)
    assert state.screening is not None
    assert (state.screening["as_of"], state.status) == (day, status)  # the kiosk's screening
    assert state.screening["findings"] == expected["findings"]
    record = store.latest_submission(checkin.id, CONSENT)
    assert record is not None
    assert record.payload["screening"]["as_of"] == day  # the record's screening
    assert record.payload["screening"]["status"] == status
    assert record.payload["screening"]["findings"] == expected["findings"]
    assert dt.datetime.fromisoformat(record.payload["created_at"]) == now
    signatures = record.payload["signatures"]
    first = "patient" if status == "clear" else REP
    assert [s["role"] for s in signatures] == [first, "practitioner"]
    for signature in signatures:  # one clock, one moment
        assert dt.datetime.fromisoformat(signature["signed_at"]) == now


@pytest.mark.parametrize("kiosk", MIDNIGHTS[:1], indirect=True, ids=lambda m: m[0])
def test_signing_after_midnight_keeps_the_day_the_answers_were_screened(
    kiosk: tuple[Flask, Clock],
) -> None:
    app, moment = kiosk
    sign_after_screening(app, "review", moment)  # screened at 23:30, signed at 00:30
    store = svc(app).store
    (checkin,) = store.checkins()
    record = store.latest_submission(checkin.id, CONSENT)
    assert record is not None
    assert record.payload["screening"]["as_of"] == "2026-03-02"
    assert record.payload["screening"]["status"] == "review"  # what staff saw and cleared
    signed_at = dt.datetime.fromisoformat(record.payload["created_at"])
    assert clock.today(svc(app).clinic.time_zone, signed_at).isoformat() == "2026-03-03"


@pytest.mark.parametrize("kiosk", MIDNIGHTS[1:], indirect=True, ids=lambda m: m[0])
def test_the_kiosk_form_and_checks_use_the_clinics_day(kiosk: tuple[Flask, Clock]) -> None:
    app, _ = kiosk  # 3 March in the clinic, 2 March in UTC
    client = app.test_client()
    staff_login(client)
    url = open_checkin(client, dob="2026-03-03")  # born today in the clinic: not in the future
    handover(client, url)
    assert 'data-tpi-today="2026-03-03"' in page(client, "/kiosk/screening")
    data = answers() | {
        "prior_treatments": ["physical_therapy", "trigger_point_injection"],
        "prior_tpi_problem": False,
        "prior_tpi_same_site": False,
    }
    data["last_injection_date"] = "2026-03-03"  # today there, tomorrow in UTC: valid
    assert submit_screening(client, data).status_code == 302
    data["last_injection_date"] = "2026-03-04"
    client = app.test_client()
    staff_login(client)
    handover(client, open_checkin(client))
    refused = submit_screening(client, data)
    assert refused.status_code == 422 and "future" in refused.get_data(as_text=True)
