"""The kiosk web app through Flask's test client: flow, headers, CSRF, limits, isolation, logs."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pypdf
import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from tpi_forms.json_types import Answer
from tpi_forms.kiosk.security import CONTENT_SECURITY_POLICY
from tpi_forms.screening.scenarios import example_answers

from .conftest import make_app, svc
from .kiosk_client import (
    CLINICIAN,
    CREDENTIALS,
    PIN,
    certify_answers,
    consent_data,
    countersign,
    csrf,
    handover,
    open_checkin,
    page,
    screening_data,
    sign,
    staff_login,
    submit_screening,
)

NAME = "Zebedee Quixote"
DOB = "1961-07-23"


def patient_answers(scenario: str = "clear") -> dict[str, Answer]:
    answers = example_answers(scenario)
    answers["patient_name"] = NAME
    answers["date_of_birth"] = DOB
    return answers


def start_patient(client: object, scenario: str = "clear") -> str:
    """Log in, open a check-in, hand the tablet over; returns the check-in's staff URL."""
    assert staff_login(client).status_code == 302
    url = open_checkin(client, NAME, DOB)
    assert handover(client, url).location == "/kiosk/next"
    return url


def test_whole_flow_stores_one_packet_and_wipes_the_tablet(app: Flask) -> None:
    client = app.test_client()
    url = start_patient(client)
    screening_page = page(client, "/kiosk/screening")
    assert NAME in screening_page  # staff's entry fills the name in
    response = submit_screening(client, patient_answers())
    assert response.status_code == 302 and response.location == "/kiosk/next"
    assert client.get("/kiosk/next").location == "/kiosk/consent"
    assert sign(client, NAME).location == "/kiosk/next"
    assert svc(app).packets.wait_idle(120)
    done = page(client, "/kiosk/done")
    assert "all done" in done and NAME not in done
    client.post("/kiosk/copy", data={"csrf_token": csrf(done)})
    finish = client.post("/kiosk/finish", data={"csrf_token": csrf(page(client, "/kiosk/done"))})
    assert finish.location == "/"
    start = page(client, "/")
    assert NAME not in start and DOB not in start
    for back in ("/kiosk/done", "/kiosk/consent", "/kiosk/screening", "/kiosk/wait"):
        assert client.get(back).location == "/", back  # the back button finds nothing
    assert client.get(url).location == "/staff/login"  # the staff log-in left with the handover

    store = svc(app).store
    (checkin,) = store.checkins()
    kinds = [e.kind for e in store.events(checkin.id)]
    assert kinds[:3] == ["opened", "handed_to_tablet", "screened"]
    assert kinds.index("signed") < kinds.index("packet_generated") < kinds.index("copy_requested")
    assert kinds[-1] == "tablet_finished"
    data = store.read_packet(checkin.id)
    assert data is not None and data.startswith(b"%PDF")

    staff_login(client)
    detail = page(client, url)
    assert "paper copy" in detail and "clear" in detail
    pdf = client.get(f"{url}/packet.pdf?download=1")
    assert pdf.status_code == 200 and pdf.data == data
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
    assert pdf.headers["Cache-Control"].startswith("no-store")


def test_review_waits_for_staff_then_consent(app: Flask) -> None:
    client = app.test_client()
    url = start_patient(client)
    submit_screening(client, patient_answers("review"))
    assert client.get("/kiosk/next").location == "/kiosk/wait"
    wait = page(client, "/kiosk/wait")
    assert "member of staff" in wait
    assert "review" not in wait.lower() and "contraindicated" not in wait.lower()
    assert client.get("/kiosk/consent").location == "/kiosk/wait"
    assert client.get(url).location == "/staff/login"
    staff_login(client)
    detail = page(client, url)
    assert "review" in detail and "source:" in detail  # status and findings with their source
    assert "Because of: Do you take a blood thinner? Yes" in detail  # the answer behind it
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d C[SD]T, by staff", detail)  # clinic's time
    client.post(f"{url}/clear", data={"csrf_token": csrf(detail)})
    handover(client, url)
    assert client.get("/kiosk/next").location == "/kiosk/consent"
    assert sign(client, NAME).location == "/kiosk/next"
    assert svc(app).packets.wait_idle(120)
    (checkin,) = svc(app).store.checkins()
    data = svc(app).store.read_packet(checkin.id)
    assert data is not None
    printed = " ".join(
        " ".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(data)).pages).split()
    )
    who = f"by {CLINICIAN}, {CREDENTIALS} (clinician)"  # the audit page names the person
    # "Clear for consent" on a screening that needs review is the clinician's decision to proceed
    assert f"Reviewed by {CLINICIAN}, {CREDENTIALS}: proceed as planned" in printed
    assert f"Check-in opened {who}" in printed
    assert "by_name" not in printed and svc(app).accounts.users()[0].id not in printed


def test_staff_stop_keeps_the_patient_from_signing(app: Flask) -> None:
    client = app.test_client()
    url = start_patient(client)
    submit_screening(client, patient_answers("contraindicated"))
    staff_login(client)
    client.post(f"{url}/stop", data={"csrf_token": csrf(page(client, url))})
    handover_page = page(client, url)
    assert "Hand this tablet" not in handover_page
    assert handover(client, url).status_code == 409


def test_self_checkin_runs_without_staff(app: Flask) -> None:
    client = app.test_client()
    start = page(client, "/")
    response = client.post("/kiosk/self", data={"csrf_token": csrf(start), "locale": "es"})
    assert response.location == "/kiosk/next"
    form = page(client, "/kiosk/screening")
    assert 'lang="es"' in form
    assert submit_screening(client, patient_answers()).location == "/kiosk/next"
    (checkin,) = svc(app).store.checkins()
    assert checkin.mode == "self" and checkin.patient["locale"] == "es"


# -- idempotency through HTTP ---------------------------------------------------------------------


def test_double_submit_of_screening_and_consent_stores_once(app: Flask) -> None:
    client = app.test_client()
    start_patient(client)
    data = MultiDict(screening_data(page(client, "/kiosk/screening"), patient_answers()))
    first = client.post("/kiosk/screening", data=data)
    again = client.post("/kiosk/screening", data=data)  # a double tap or a retry
    assert first.status_code == again.status_code == 302
    assert first.location == again.location == "/kiosk/next"
    certify_answers(client)
    signing = MultiDict(consent_data(page(client, "/kiosk/consent"), NAME))
    assert client.post("/kiosk/consent", data=signing).status_code == 302
    assert client.post("/kiosk/consent", data=signing).location == "/kiosk/next"
    store = svc(app).store
    (checkin,) = store.checkins()
    staff = app.test_client()
    staff_login(staff)
    assert countersign(staff, checkin.id).status_code == 302
    assert svc(app).packets.wait_idle(120)
    kinds = [s.kind for s in store.submissions(checkin.id)]
    assert kinds == ["screening", "patient_signing", "signature", "consent"]
    # one "signed" event each for the patient and the practitioner
    assert [e.kind for e in store.events(checkin.id)].count("signed") == 2
    assert len(list(store.packet_folder.iterdir())) == 1


def test_new_token_after_screening_does_not_store_a_second_one(app: Flask) -> None:
    client = app.test_client()
    start_patient(client)
    form = page(client, "/kiosk/screening")
    submit = MultiDict(screening_data(form, patient_answers()))
    client.post("/kiosk/screening", data=submit)
    submit["submission_token"] = "another_token_1234567890"
    assert client.post("/kiosk/screening", data=submit).location == "/kiosk/next"
    assert len(svc(app).store.submissions()) == 1


# -- headers, cookies, CSRF ------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/staff/login", "/no-such-page", "/kiosk/next"])
def test_security_headers_on_every_page(app: Flask, url: str) -> None:
    response = app.test_client().get(url)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"].startswith("no-store")


def test_staff_and_patient_pages_are_no_store(app: Flask) -> None:
    client = app.test_client()
    staff_login(client)
    url = open_checkin(client, NAME, DOB)
    for staff_url in ("/staff/", url, "/staff/checkins/new"):
        assert client.get(staff_url).headers["Cache-Control"].startswith("no-store")
    handover(client, url)
    assert client.get("/kiosk/screening").headers["Cache-Control"].startswith("no-store")


def test_csp_allows_no_inline_script_on_patient_pages(app: Flask) -> None:
    client = app.test_client()
    start_patient(client)
    pages = [page(client, "/kiosk/screening"), page(app.test_client(), "/")]
    submit_screening(client, patient_answers())
    pages.append(page(client, "/kiosk/consent"))
    for html in pages:
        assert "<script>" not in html and "onclick" not in html and "style=" not in html


def test_session_cookie_flags(app: Flask) -> None:
    response = app.test_client().get("/")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_when_configured(tmp_path: Path) -> None:
    app = make_app(tmp_path, secure_cookies=True)
    cookie = app.test_client().get("/", base_url="https://localhost").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    svc(app).close()


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/kiosk/self", {"locale": "en"}),
        ("/staff/login", {"pin": PIN}),
        ("/kiosk/screening", {"submission_token": "a" * 22}),
    ],
)
def test_posts_without_csrf_token_are_refused(app: Flask, url: str, data: dict[str, str]) -> None:
    client = app.test_client()
    client.get("/")
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert svc(app).store.checkins() == []
    assert client.get("/staff/").location == "/staff/login"


def test_wipe_without_csrf_token_is_refused_while_a_patient_is_on(app: Flask) -> None:
    client = app.test_client()
    start_patient(client)
    assert client.post("/kiosk/finish", data={}).status_code == 400
    assert client.get("/kiosk/next").location == "/kiosk/screening"  # still there


def test_forms_turn_autocomplete_off(app: Flask) -> None:
    client = app.test_client()
    staff_login(client)
    new = page(client, "/staff/checkins/new")
    assert 'autocomplete="off"' in new
    url = open_checkin(client, NAME, DOB)
    handover(client, url)
    assert 'autocomplete="off"' in page(client, "/kiosk/screening")


# -- limits and malformed input --------------------------------------------------------------------


def test_oversized_request_gets_413_and_stores_nothing(tmp_path: Path) -> None:
    app = make_app(tmp_path, max_content_length=64 * 1024)
    client = app.test_client()
    start_patient(client)
    data = MultiDict(screening_data(page(client, "/kiosk/screening"), patient_answers()))
    data["padding"] = "x" * 100_000
    response = client.post("/kiosk/screening", data=data)
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert svc(app).store.submissions() == []
    svc(app).close()


@pytest.mark.parametrize(
    "change",
    [
        {"submission_token": ""},
        {"submission_token": "bad token!"},
        {"submission_token": "x" * 500},
    ],
)
def test_malformed_submission_token_gets_400(app: Flask, change: dict[str, str]) -> None:
    client = app.test_client()
    start_patient(client)
    data = MultiDict(screening_data(page(client, "/kiosk/screening"), patient_answers()))
    for key, value in change.items():
        data[key] = value
    assert client.post("/kiosk/screening", data=data).status_code == 400
    assert svc(app).store.submissions() == []


@pytest.mark.parametrize(
    "answers",
    [
        {"pain_score": "eleven"},
        {"pain_score": "99", "date_of_birth": "not a date"},
        {"pain_sites": "\x00\x01"},
        {},
    ],
)
def test_invalid_answers_get_422_with_the_form_and_store_nothing(
    app: Flask, answers: dict[str, str]
) -> None:
    client = app.test_client()
    start_patient(client)
    full = patient_answers()
    full.update(answers)
    if not answers:
        full = {}
    response = submit_screening(client, full)
    assert response.status_code == 422
    assert "<form" in response.get_data(as_text=True)
    assert svc(app).store.submissions() == []


def test_bad_consent_submission_gets_422_and_stores_nothing(app: Flask) -> None:
    client = app.test_client()
    start_patient(client)
    submit_screening(client, patient_answers())
    form = page(client, "/kiosk/consent")
    data = MultiDict(consent_data(form, NAME))
    data["patient-method"] = "drawn"
    data["patient-png"] = "data:image/png;base64,AAAA"
    response = client.post("/kiosk/consent", data=data)
    assert response.status_code == 422
    data = MultiDict(consent_data(form, NAME))
    data["consent_hash"] = "0" * 64
    assert client.post("/kiosk/consent", data=data).status_code == 422
    assert [s.kind for s in svc(app).store.submissions()] == ["screening"]
    assert list(svc(app).store.packet_folder.iterdir()) == []


def test_raw_garbage_body_gets_a_4xx_page(app: Flask) -> None:
    client = app.test_client()
    start_patient(client)
    response = client.post(
        "/kiosk/screening", data=b"\xff\xfe\x00garbage", content_type="application/octet-stream"
    )
    assert 400 <= response.status_code < 500
    assert "<h1>" in response.get_data(as_text=True)


# -- staff PIN and isolation -----------------------------------------------------------------------


def test_pin_lockout_after_too_many_wrong_tries(app: Flask) -> None:
    now = [1000.0]
    limiter = svc(app).limiter
    limiter.clock = lambda: now[0]
    client = app.test_client()
    responses = [staff_login(client, "000000") for _ in range(limiter.max_attempts)]
    codes = [r.status_code for r in responses]
    assert codes[:-1] == [401] * (limiter.max_attempts - 1) and codes[-1] == 429
    texts = [r.get_data(as_text=True) for r in responses]
    assert "That PIN is not right. 4 tries left." in texts[0]
    assert "That PIN is not right. 1 try left." in texts[-2]
    assert "Too many wrong tries. Try again in 5 minutes." in texts[-1]
    locked = staff_login(client, PIN)
    assert locked.status_code == 429  # even the right PIN waits
    assert "Try again in 5 minutes." in locked.get_data(as_text=True)
    assert client.get("/staff/").location == "/staff/login"
    now[0] += 60
    assert "Try again in 4 minutes." in client.get("/staff/login").get_data(as_text=True)
    now[0] += limiter.lockout_seconds
    assert staff_login(client, PIN).location == "/staff/"
    kinds = [e.kind for e in svc(app).store.events()]
    assert kinds.count("staff_login_failed") == limiter.max_attempts
    assert "staff_locked_out" in kinds and kinds[-1] == "staff_login"


def test_patient_cannot_reach_staff_pages_or_packets(app: Flask) -> None:
    client = app.test_client()
    staff_login(client)
    other = open_checkin(client, "Other Person", "1950-01-01")
    url = open_checkin(client, NAME, DOB)
    handover(client, url)
    for target in ("/staff/", other, f"{other}/packet.pdf", url, "/staff/checkins/new"):
        assert client.get(target).location == "/staff/login", target
    token = csrf(page(client, "/kiosk/screening"))
    response = client.post(f"{other}/handover", data={"csrf_token": token})
    assert response.location == "/staff/login"
    assert "Other Person" not in page(client, "/kiosk/screening")


def test_another_browser_cannot_use_the_tablet_session(app: Flask) -> None:
    tablet = app.test_client()
    start_patient(tablet)
    stranger = app.test_client()
    assert stranger.get("/kiosk/screening").location == "/"
    assert stranger.get("/kiosk/next").location == "/"


def test_idle_session_is_wiped_on_the_server(app: Flask) -> None:
    now = [0.0]
    interface = app.session_interface
    interface.clock = lambda: now[0]  # type: ignore[attr-defined]
    client = app.test_client()
    start_patient(client)
    assert page(client, "/kiosk/screening")
    now[0] += interface.idle_seconds + 1  # type: ignore[attr-defined]
    assert client.get("/kiosk/screening").location == "/"
    start = page(client, "/")
    assert "session ended" in start and NAME not in start


def test_timeout_after_the_server_forgot_the_session_returns_to_start(app: Flask) -> None:
    client = app.test_client()
    start_patient(client)
    form = page(client, "/kiosk/screening")
    now = [0.0]
    app.session_interface.clock = lambda: now[0]  # type: ignore[attr-defined]
    client.get("/")
    now[0] += 10_000
    response = client.post("/kiosk/timeout", data={"csrf_token": csrf(form)})
    assert response.status_code == 302 and response.location == "/"
    assert client.post("/kiosk/finish", data={}).location == "/"


def test_timeout_post_wipes_the_session(app: Flask) -> None:
    client = app.test_client()
    start_patient(client)
    form = page(client, "/kiosk/screening")
    assert 'id="kiosk-timeout"' in form and "kiosk.js" in form
    assert client.post("/kiosk/timeout", data={"csrf_token": csrf(form)}).location == "/"
    assert client.get("/kiosk/screening").location == "/"
    (checkin,) = svc(app).store.checkins()
    assert svc(app).store.events(checkin.id)[-1].kind == "tablet_timed_out"


def test_new_checkin_refuses_a_future_birth_date(app: Flask) -> None:
    client = app.test_client()
    staff_login(client)
    form = page(client, "/staff/checkins/new")
    response = client.post(
        "/staff/checkins/new",
        data={
            "csrf_token": csrf(form),
            "name": NAME,
            "date_of_birth": "2999-01-01",
            "local_anesthetic": "lidocaine",
            "locale": "en",
        },
    )
    assert response.status_code == 422 and "future" in response.get_data(as_text=True)
    assert svc(app).store.checkins() == []


# -- no patient data in logs -----------------------------------------------------------------------


def test_no_patient_data_in_logs(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    url = start_patient(client)
    submit_screening(client, patient_answers("review"))
    staff_login(client)
    client.post(f"{url}/clear", data={"csrf_token": csrf(page(client, url))})
    handover(client, url)
    sign(client, NAME)
    client.post("/kiosk/screening", data={"pain_score": NAME})  # refused, still not logged
    log_file = Path(svc(app).config.data_dir) / "kiosk.log"
    logged = caplog.text + log_file.read_text("utf-8")
    assert "POST /kiosk/consent 302" in logged  # the log does record requests
    for secret in (NAME, "Zebedee", "Quixote", DOB, "1961", PIN, "Apixaban", "Eliquis"):
        assert secret not in logged, secret
