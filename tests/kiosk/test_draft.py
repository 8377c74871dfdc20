"""The screening draft: answers in progress kept in the server session, so a reload loses nothing.

Through Flask's test client, as the page script posts it: CSRF-protected, size-limited, checked
loosely, tied to its check-in, gone with the screening or the session.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from werkzeug.datastructures import MultiDict

from tpi_forms.definitions.questionnaire import load_questionnaire
from tpi_forms.kiosk import draft
from tpi_forms.screening.scenarios import example_answers
from tpi_forms.web.forms import to_formdata

from .conftest import svc
from .kiosk_client import csrf, inputs, page, screening_data

NAME = "Zebedee Quixote"
DRAFT = "/kiosk/screening/draft"


def self_checkin(client: Any) -> str:
    """Start a check-in on the tablet, as a patient would; returns the screening page."""
    start = page(client, "/")
    assert client.post("/kiosk/self", data={"csrf_token": csrf(start)}).status_code == 302
    return page(client, "/kiosk/screening")


def post_draft(client: Any, form: str, pairs: list[tuple[str, str]], step: str = "2") -> Any:
    data = MultiDict([("csrf_token", csrf(form)), ("draft_step", step), *pairs])
    return client.post(DRAFT, data=data)


def value_of(page_html: str, name: str) -> str | None:
    for attrs in inputs(page_html):
        if attrs.get("name") == name and attrs.get("type") not in ("radio", "checkbox"):
            return attrs.get("value", "")
    return None


def checked_of(page_html: str, name: str) -> list[str]:
    tags = re.findall(rf'<input\b[^>]*name="{name}"[^>]*>', page_html)
    return [re.search(r'value="([^"]*)"', t).group(1) for t in tags if " checked" in t]  # type: ignore[union-attr]


def test_a_draft_fills_the_page_again_after_a_reload(app: Flask) -> None:
    client = app.test_client()
    form = self_checkin(client)
    assert 'data-kiosk-draft-url="/kiosk/screening/draft"' in form
    assert value_of(form, "patient_name") == ""
    pairs = [
        ("patient_name", "Ana <b>Ruiz</b>"),
        ("date_of_birth", "1980-04-12"),
        ("pain_sites", "neck"),
        ("pain_sites", "upper_back"),
        ("pain_score", "7"),
    ]
    assert post_draft(client, form, pairs, step="2").status_code == 204
    again = page(client, "/kiosk/screening")
    assert value_of(again, "patient_name") == "Ana <b>Ruiz</b>"  # unescaped by the reader
    assert "Ana &lt;b&gt;Ruiz&lt;/b&gt;" in again and "<b>Ruiz" not in again
    assert value_of(again, "date_of_birth") == "1980-04-12"
    assert checked_of(again, "pain_sites") == ["neck", "upper_back"]
    assert checked_of(again, "pain_score") == ["7"]
    assert 'data-kiosk-draft-step="2"' in again
    assert "tpi-error-message" not in again, "a draft is not checked: no errors shown"


def test_the_draft_is_checked_loosely(app: Flask) -> None:
    client = app.test_client()
    form = self_checkin(client)
    pairs = [
        ("patient_name", "x" * 121),  # longer than the question allows: dropped
        ("date_of_birth", "not a date"),  # kept as typed: the screening POST decides
        ("submission_token", "abcdefghijklmnopqrstuv"),
        ("not_a_question", "hello"),
        ("takes_blood_thinner", "yes"),
        ("takes_blood_thinner", "no"),  # one answer only
        ("blood_thinner_names", "war\x00farin"),  # a control character: dropped
    ]
    assert post_draft(client, form, pairs, step="99").status_code == 204
    kept = draft.stored_draft(client_session(app, client)[draft.SESSION_KEY], checkin_id(app))
    assert kept is not None
    assert kept.pairs == (("date_of_birth", "not a date"), ("takes_blood_thinner", "yes"))
    assert kept.step is None


def client_session(app: Flask, client: Any) -> dict[str, Any]:
    cookie = client.get_cookie("tpi_kiosk")
    assert cookie is not None
    data, _ = app.session_interface._sessions[cookie.value]  # type: ignore[attr-defined]
    return dict(data)


def checkin_id(app: Flask) -> str:
    (checkin,) = svc(app).store.checkins()
    return checkin.id


def test_a_draft_needs_the_csrf_token_and_a_small_body(app: Flask) -> None:
    client = app.test_client()
    form = self_checkin(client)
    assert client.post(DRAFT, data={"patient_name": "Ana"}).status_code == 400
    huge = [("current_medicines", "y" * 1000)] * 80
    assert post_draft(client, form, huge).status_code == 413
    assert draft.SESSION_KEY not in client_session(app, client)


def test_no_draft_without_a_check_in_or_after_the_screening(app: Flask) -> None:
    stranger = app.test_client()
    start = page(stranger, "/")
    response = stranger.post(DRAFT, data={"csrf_token": csrf(start), "patient_name": "Ana"})
    assert response.status_code == 204
    assert all(draft.SESSION_KEY not in data for data, _ in sessions(app))

    client = app.test_client()
    form = self_checkin(client)
    post_draft(client, form, [("patient_name", NAME)])
    assert draft.SESSION_KEY in client_session(app, client)
    answers = example_answers("clear") | {"patient_name": NAME}
    sent = client.post("/kiosk/screening", data=MultiDict(screening_data(form, answers)))
    assert sent.status_code == 302
    assert draft.SESSION_KEY not in client_session(app, client), "gone with the screening"
    assert post_draft(client, form, [("patient_name", NAME)]).status_code == 204
    assert draft.SESSION_KEY not in client_session(app, client), "and not kept again"


def sessions(app: Flask) -> list[tuple[dict[str, Any], float]]:
    return list(app.session_interface._sessions.values())  # type: ignore[attr-defined]


def test_the_draft_goes_with_the_session(app: Flask) -> None:
    client = app.test_client()
    form = self_checkin(client)
    post_draft(client, form, to_formdata({"patient_name": NAME, "pain_score": 3}))
    assert client.post("/kiosk/timeout", data={"csrf_token": csrf(form)}).location == "/"
    assert not any(NAME in str(data) for data, _ in sessions(app))
    fresh = self_checkin(client)  # the next patient on this tablet
    assert NAME not in fresh and value_of(fresh, "patient_name") == ""


def test_a_draft_of_another_check_in_is_ignored() -> None:
    questionnaire = load_questionnaire()
    kept = draft.read_draft(MultiDict([("patient_name", NAME)]), questionnaire, "checkin-a")
    assert draft.stored_draft(kept.to_session(), "checkin-a") == kept
    assert draft.stored_draft(kept.to_session(), "checkin-b") is None
    assert draft.stored_draft({"checkin": "checkin-a", "pairs": "junk"}, "checkin-a") is None
    assert draft.stored_draft(None, "checkin-a") is None
