"""The signing guard: every refusal posts a real signature and stores nothing.

Each test brings a check-in to one state (stopped, awaiting a decision, not certified, signed
already, at another step) and posts the patient's complete signature, from the tablet and
straight to the store's guarded write: both are refused, and no signing, no ``signed`` event
and no record is stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from tpi_forms.errors import ConflictError
from tpi_forms.kiosk.state import (
    CONSENT,
    PATIENT_SIGNING,
    checkin_state,
    guard_may_sign,
)
from tpi_forms.kiosk.store import new_token
from tpi_forms.screening.scenarios import example_answers

from .conftest import add_account, svc
from .kiosk_client import (
    certify_answers,
    consent_data,
    csrf,
    handover,
    hidden,
    open_checkin,
    page,
    sign,
    staff_login,
    submit_screening,
)

DESK, DESK_PIN = "Frankie Desk", "135790"


@pytest.fixture
def tablet(app: Flask) -> Iterator[Any]:
    add_account(app, DESK, "front_desk", DESK_PIN)
    yield app.test_client()


def opened(client: Any, scenario: str = "clear", *, certify: bool = True) -> str:
    """A check-in opened by the clinician, on the tablet, screened (and certified)."""
    assert staff_login(client).status_code == 302
    url = open_checkin(client)
    handover(client, url)
    answers = example_answers(scenario)
    assert submit_screening(client, answers, certify=certify).status_code == 302
    return url


def checkin_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def staff_post(app: Flask, url: str, data: dict[str, str] | None = None) -> Any:
    """A staff action from the clinician's own client (the tablet keeps the patient)."""
    desk = app.test_client()
    assert staff_login(desk).status_code == 302
    token = csrf(page(desk, "/staff/"))
    return desk.post(url, data={"csrf_token": token, **(data or {})})


def post_signature(client: Any, form: str) -> Any:
    return client.post("/kiosk/consent", data=MultiDict(consent_data(form)))


def assert_nothing_signed(app: Flask, checkin_id: str, *, signings: int = 0) -> None:
    store = svc(app).store
    kinds = [s.kind for s in store.submissions(checkin_id)]
    assert kinds.count(PATIENT_SIGNING) == signings
    assert CONSENT not in kinds or signings
    assert [e.kind for e in store.events(checkin_id)].count("signed") == signings
    assert store.packet(checkin_id) is None or signings


def assert_guard_refuses(app: Flask, checkin_id: str, message: str) -> None:
    """The store's own guarded write refuses a signing in this state, and stores nothing."""
    store = svc(app).store
    before = len(store.submissions(checkin_id)), len(store.events(checkin_id))
    with pytest.raises(ConflictError, match=message):
        store.submit(
            new_token(),
            checkin_id,
            PATIENT_SIGNING,
            {"signatures": []},
            {"signed": True},
            event=("signed", {"role": "patient"}),
            guard=guard_may_sign(checkin_id),
        )
    assert (len(store.submissions(checkin_id)), len(store.events(checkin_id))) == before


def test_stopped_after_the_consent_page_opened(app: Flask, tablet: Any) -> None:
    url = opened(tablet)
    form = page(tablet, "/kiosk/consent")  # the patient is reading the consent
    assert staff_post(app, f"{url}/stop").status_code == 302
    response = post_signature(tablet, form)
    assert response.status_code == 302 and response.location == "/kiosk/next"
    assert tablet.get("/kiosk/next").location == "/kiosk/wait"
    assert_nothing_signed(app, checkin_of(url))
    assert_guard_refuses(app, checkin_of(url), "stopped")


def test_no_procedure_decision_after_the_consent_page_opened(app: Flask, tablet: Any) -> None:
    url = opened(tablet, "review")
    decided = staff_post(app, f"{url}/decision", decision("proceed", url, app))
    assert decided.status_code == 302
    form = page(tablet, "/kiosk/consent")
    refused = decision("no_procedure", url, app, note="Blood thinner taken this morning.")
    assert staff_post(app, f"{url}/decision", refused).status_code == 302
    assert post_signature(tablet, form).location == "/kiosk/next"
    assert_nothing_signed(app, checkin_of(url))
    assert_guard_refuses(app, checkin_of(url), "stopped")


def test_awaiting_the_clinicians_decision(app: Flask, tablet: Any) -> None:
    url = opened(tablet, "review")
    assert tablet.get("/kiosk/consent").location == "/kiosk/wait"
    # A complete signature posted anyway (a crafted post) is refused.
    data = MultiDict(signature_fields(page(tablet, "/kiosk/wait"), new_token()))
    assert tablet.post("/kiosk/consent", data=data).location == "/kiosk/next"
    assert_nothing_signed(app, checkin_of(url))
    assert_guard_refuses(app, checkin_of(url), "has not decided")


def test_cleared_without_a_decision_is_not_a_decision(app: Flask, tablet: Any) -> None:
    """Stop and clear again by hand: a review screening still needs the decision itself."""
    url = opened(tablet, "review")
    store = svc(app).store
    store.add_event(checkin_of(url), "cleared", {"by": "x", "by_name": "y"})
    checkin = store.checkin(checkin_of(url))
    assert checkin is not None and checkin_state(store, checkin).step == "wait"
    assert_guard_refuses(app, checkin_of(url), "has not decided")


def test_not_certified(app: Flask, tablet: Any) -> None:
    url = opened(tablet, certify=False)
    assert tablet.get("/kiosk/consent").location == "/kiosk/check"
    assert certify_answers(tablet, tick=False).status_code == 422  # the box left empty
    assert tablet.get("/kiosk/consent").location == "/kiosk/check"
    assert_nothing_signed(app, checkin_of(url))
    assert_guard_refuses(app, checkin_of(url), "not certified")


def test_already_signed(app: Flask, tablet: Any) -> None:
    url = opened(tablet)
    form = page(tablet, "/kiosk/consent")
    assert sign(tablet, practitioner=False).location == "/kiosk/next"
    # The same page posted again with a new submission token: the step is past.
    again = MultiDict(consent_data(form))
    again["submission_token"] = new_token()
    assert tablet.post("/kiosk/consent", data=again).location == "/kiosk/next"
    assert_nothing_signed(app, checkin_of(url), signings=1)
    assert_guard_refuses(app, checkin_of(url), "signed already")


def test_wrong_step_screening_not_sent(app: Flask, tablet: Any) -> None:
    assert staff_login(tablet).status_code == 302
    url = open_checkin(tablet)
    handover(tablet, url)
    assert tablet.get("/kiosk/consent").location == "/kiosk/screening"
    form = page(tablet, "/kiosk/screening")
    data = MultiDict(signature_fields(form, hidden(form, "submission_token")))
    assert tablet.post("/kiosk/consent", data=data).location == "/kiosk/next"
    assert_nothing_signed(app, checkin_of(url))
    assert_guard_refuses(app, checkin_of(url), "not been screened")


def signature_fields(form: str, token: str) -> list[tuple[str, str]]:
    """A complete signature posted with the CSRF token of another page (no consent shown)."""
    return [
        ("csrf_token", csrf(form)),
        ("submission_token", token),
        ("esign_consent", "yes"),
        ("patient-signer", "patient"),
        ("patient-printed_name", "Alex Example"),
        ("patient-method", "typed"),
        ("patient-intent", "yes"),
    ]


def decision(outcome: str, url: str, app: Flask, note: str = "") -> dict[str, str]:
    """A decision form's fields for the check-in's latest screening."""
    store = svc(app).store
    screening = store.latest_submission(checkin_of(url), "screening")
    assert screening is not None
    return {"outcome": outcome, "note": note, "screening": screening.token}
