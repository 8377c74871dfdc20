"""Staff accounts through the kiosk app: log-in by person, roles, the accounts page, lock-outs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request

from tpi_forms.kiosk.accounts import StaffPin
from tpi_forms.kiosk.schema import connect, migrate
from tpi_forms.kiosk.security import client_key
from tpi_forms.kiosk.store import DATABASE_NAME
from tpi_forms.screening.scenarios import example_answers

from .conftest import add_account, close_logs, make_app, svc
from .kiosk_client import (
    CLINICIAN,
    PIN,
    accounts_offered,
    csrf,
    handover,
    open_checkin,
    page,
    staff_login,
    submit_screening,
)

DESK = "Frankie Desk"
DESK_PIN = "135790"
ADMIN = "Ada Admin"
ADMIN_PIN = "975310"
TABLET = {"environ_base": {"REMOTE_ADDR": "192.0.2.10"}}
DESK_MACHINE = {"environ_base": {"REMOTE_ADDR": "192.0.2.20"}}


@pytest.fixture
def desk(app: Flask) -> Flask:
    """The app with a front-desk account beside the clinician."""
    add_account(app, DESK, "front_desk", DESK_PIN)
    return app


def post(client: Any, url: str, data: dict[str, str] | None = None, **request: Any) -> Any:
    """Post a staff form with the CSRF token of the staff page it is on."""
    token = csrf(client.get("/staff/", **request).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **(data or {})}, **request)


def words(html: str) -> str:
    """The page's text without tags, with single spaces."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def by(event: Any) -> tuple[str, str]:
    return str(event.detail.get("by_name")), str(event.detail.get("role"))


def test_login_page_offers_the_active_accounts_by_name(desk: Flask) -> None:
    login = page(desk.test_client(), "/staff/login")
    assert list(accounts_offered(login)) == ["Casey Clinician, MD", DESK]
    assert "Choose your name" in login and "Your PIN" in login
    assert 'type="password"' in login


def test_accounts_log_in_separately_and_events_name_the_person(desk: Flask) -> None:
    client = desk.test_client()
    assert staff_login(client, DESK_PIN, DESK).location == "/staff/"
    assert staff_login(desk.test_client(), PIN, DESK).status_code == 401  # not Frankie's PIN
    assert f"Logged in: {DESK}" in page(client, "/staff/")
    url = open_checkin(client, "Zebedee Quixote", "1961-07-23")
    handover(client, url)
    answers = example_answers("review") | {"patient_name": "Zebedee Quixote"}
    submit_screening(client, answers)
    staff_login(client)  # the clinician takes the tablet back
    detail = page(client, url)
    assert "Logged in: Casey Clinician, MD" in detail
    post(client, f"{url}/clear")
    store = svc(desk).store
    checkin_id = url.rsplit("/", 1)[1]
    events = {e.kind: e for e in store.events(checkin_id)}
    assert by(events["opened"]) == (DESK, "front_desk")
    assert by(events["handed_to_tablet"]) == (DESK, "front_desk")
    # clearing a screening that needs review is the clinician's decision to proceed
    decided = events["review_decided"]
    assert by(decided) == ("Casey Clinician, MD", "clinician")
    assert decided.detail["by"] == store.events(kinds=["staff_login"])[-1].detail["by"]
    assert decided.detail["outcome"] == "proceed"
    shown = words(page(client, url))
    assert "decision: proceed as planned by Casey Clinician, MD (clinician)" in shown
    logins = [by(e) for e in store.events(kinds=["staff_login"])]
    assert logins == [(DESK, "front_desk"), ("Casey Clinician, MD", "clinician")]
    post(client, "/staff/logout")
    assert by(store.events(kinds=["staff_logout"])[-1]) == ("Casey Clinician, MD", "clinician")
    assert client.get("/staff/").location == "/staff/login"


def test_front_desk_cannot_clear_or_stop(desk: Flask) -> None:
    client = desk.test_client()
    staff_login(client, DESK_PIN, DESK)
    url = open_checkin(client)
    handover(client, url)
    submit_screening(client, example_answers("review"))
    staff_login(client, DESK_PIN, DESK)
    detail = page(client, url)
    assert "Clear for consent" not in detail and "Stop: no procedure" not in detail
    assert "Only a clinician or an admin can clear or stop" in detail
    store = svc(desk).store
    before = store.events()
    for action in ("clear", "stop"):
        response = post(client, f"{url}/{action}")
        assert response.status_code == 403, action
        assert "cannot do this" in response.get_data(as_text=True)
    assert store.events() == before  # nothing stored
    assert client.get("/kiosk/next").location == "/kiosk/wait"  # the tablet was never handed back


def test_front_desk_marks_the_paper_copy_given(desk: Flask) -> None:
    client = desk.test_client()
    staff_login(client, DESK_PIN, DESK)
    url = open_checkin(client)
    checkin_id = url.rsplit("/", 1)[1]
    svc(desk).store.add_event(checkin_id, "copy_requested", {})
    assert post(client, f"{url}/copy-given").status_code == 302
    (given,) = svc(desk).store.events(checkin_id, kinds=["copy_given"])
    assert by(given) == (DESK, "front_desk")


def test_disabled_accounts_cannot_log_in_and_lose_their_session(tmp_path: Path) -> None:
    app = make_app(tmp_path / "data")
    admin = add_account(app, ADMIN, "admin", ADMIN_PIN)
    frankie = add_account(app, DESK, "front_desk", DESK_PIN)
    client = app.test_client()
    assert staff_login(client, DESK_PIN, DESK).location == "/staff/"
    svc(app).accounts.disable(frankie.id, by=admin.actor)
    assert client.get("/staff/").location == "/staff/login"  # at once, not at the next log-in
    login = page(app.test_client(), "/staff/login")
    assert DESK not in accounts_offered(login)
    response = app.test_client().post(
        "/staff/login", data={"csrf_token": csrf(login), "account": frankie.id, "pin": DESK_PIN}
    )
    assert response.status_code == 400  # not one of the names offered
    assert not any(
        e.detail.get("by") == frankie.id for e in svc(app).store.events(kinds=["staff_login"])[1:]
    )
    svc(app).close()
    close_logs()


def test_admin_page_adds_and_disables_accounts(tmp_path: Path) -> None:
    app = make_app(tmp_path / "data")
    add_account(app, ADMIN, "admin", ADMIN_PIN)
    client = app.test_client()
    staff_login(client)
    assert client.get("/staff/users").status_code == 403  # a clinician is not an admin
    assert "Staff accounts" not in page(client, "/staff/")
    staff_login(client, ADMIN_PIN, ADMIN)
    assert "Staff accounts" in page(client, "/staff/")  # the admin's bar links the page
    users = page(client, "/staff/users")
    assert "Casey Clinician, MD" in users and "Clinician" in users
    added = client.post(
        "/staff/users",
        data={
            "csrf_token": csrf(users),
            "name": "Gus Nurse",
            "credentials": "RN",
            "role": "front_desk",
            "pin": "",
        },
    )
    assert added.location == "/staff/users"
    shown = page(client, "/staff/users")
    assert "Account added for Gus Nurse, RN." in shown
    pin = shown.split("The PIN for Gus Nurse, RN is ", 1)[1].split(".", 1)[0]
    assert pin.isdigit() and len(pin) == 8
    assert pin not in page(client, "/staff/users")  # shown once
    accounts = svc(app).accounts
    gus = accounts.by_name("Gus Nurse")
    assert gus is not None and gus.role == "front_desk" and accounts.verify(gus.id, pin)
    (created,) = [
        e for e in svc(app).store.events(kinds=["staff_user_created"]) if e.detail["user"] == gus.id
    ]
    assert by(created) == (ADMIN, "admin")
    again = client.post(
        "/staff/users",
        data={"csrf_token": csrf(users), "name": "gus nurse", "role": "clinician", "pin": "123"},
    )
    assert again.status_code == 422
    text = again.get_data(as_text=True)
    assert "already an account with this name" in text and "6 to 128 characters" in text
    assert (
        client.post(f"/staff/users/{gus.id}/disable", data={"csrf_token": csrf(users)}).status_code
        == 302
    )
    assert not accounts.verify(gus.id, pin)
    assert "Disabled" in page(client, "/staff/users")
    me = accounts.by_name(ADMIN)
    assert me is not None
    refused = client.post(f"/staff/users/{me.id}/disable", data={"csrf_token": csrf(users)})
    assert refused.status_code == 409 and "your own account" in refused.get_data(as_text=True)
    client.post(f"/staff/users/{gus.id}/enable", data={"csrf_token": csrf(users)})
    client.post(f"/staff/users/{gus.id}/new-pin", data={"csrf_token": csrf(users)})
    new_pin = page(client, "/staff/users").split("The PIN for Gus Nurse, RN is ", 1)[1][:8]
    assert accounts.verify(gus.id, new_pin) and not accounts.verify(gus.id, pin)
    kinds = [e.kind for e in svc(app).store.events() if e.detail.get("user") == gus.id]
    assert kinds == [
        "staff_user_created",
        "staff_user_disabled",
        "staff_user_enabled",
        "staff_user_secret_changed",
    ]
    assert (
        client.post(
            "/staff/users/nobody-at-all-here-xx/disable", data={"csrf_token": csrf(users)}
        ).status_code
        == 404
    )
    svc(app).close()
    close_logs()


def test_the_accounts_page_needs_a_log_in(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/staff/users").location == "/staff/login"
    response = client.post(
        "/staff/users", data={"csrf_token": csrf(page(client, "/")), "name": "X Y"}
    )
    assert response.location == "/staff/login"
    assert svc(app).accounts.count() == 1


# -- lock-out per device and per account ------------------------------------------------------------


def test_a_tablet_locked_out_does_not_lock_the_desk(desk: Flask) -> None:
    limiter = svc(desk).limiter
    tablet = desk.test_client()
    for _ in range(limiter.max_attempts):
        staff_login(tablet, "000000", CLINICIAN, **TABLET)
    assert staff_login(tablet, PIN, CLINICIAN, **TABLET).status_code == 429  # the tablet waits
    assert staff_login(tablet, DESK_PIN, DESK, **TABLET).status_code == 429  # for any account
    assert "Try again in 5 minutes." in tablet.get("/staff/login", **TABLET).get_data(as_text=True)
    desk_machine = desk.test_client()
    assert staff_login(desk_machine, PIN, CLINICIAN, **DESK_MACHINE).location == "/staff/"
    (locked,) = svc(desk).store.events(kinds=["staff_locked_out"])
    assert locked.detail["scope"] == "client"


def test_an_account_attacked_from_many_devices_is_locked_for_everyone(desk: Flask) -> None:
    limiter = svc(desk).limiter
    for n in range(limiter.account_max_attempts):
        device = {"environ_base": {"REMOTE_ADDR": f"198.51.100.{n}"}}
        response = staff_login(desk.test_client(), "000000", CLINICIAN, **device)
        assert response.status_code == (429 if n == limiter.account_max_attempts - 1 else 401)
    desk_machine = desk.test_client()
    locked = staff_login(desk_machine, PIN, CLINICIAN, **DESK_MACHINE)
    assert locked.status_code == 429 and "Too many wrong tries" in locked.get_data(as_text=True)
    assert staff_login(desk_machine, DESK_PIN, DESK, **DESK_MACHINE).location == "/staff/"
    (locked_event,) = svc(desk).store.events(kinds=["staff_locked_out"])
    assert locked_event.detail["scope"] == "account"


@pytest.mark.parametrize("trusted", [False, True])
def test_the_forwarded_address_counts_only_when_configured(app: Flask, trusted: bool) -> None:
    headers = {"X-Forwarded-For": "203.0.113.5, 10.0.0.1"}
    environ = {"REMOTE_ADDR": "127.0.0.1"}
    with app.test_request_context("/staff/login", headers=headers, environ_base=environ):
        assert client_key(request, trust_header=trusted) == (
            "203.0.113.5" if trusted else "127.0.0.1"
        )


# -- 0.1.0's shared PIN ---------------------------------------------------------------------------


def old_data_folder(folder: Path, pin: str) -> None:
    """A data folder as 0.1.0 left it: schema 2, a shared PIN, a check-in cleared by "staff"."""
    folder.mkdir(parents=True)
    conn = connect(folder / DATABASE_NAME)
    migrate(conn, target=2)
    conn.execute(
        "INSERT INTO checkins VALUES ('c0123456789abcdefghijk', '2026-01-01T00:00:00+00:00', "
        '\'staff\', \'{"name": "Ana Old", "date_of_birth": "1980-01-02", "locale": "en"}\')'
    )
    conn.execute(
        "INSERT INTO events (checkin_id, at, kind, detail_json) VALUES "
        "('c0123456789abcdefghijk', '2026-01-01T00:01:00+00:00', 'cleared', '{\"by\":\"staff\"}')"
    )
    conn.close()
    StaffPin(folder).set(pin)


def test_shared_pin_of_0_1_0_only_makes_the_first_admin_account(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    old_data_folder(folder, "135791")
    app = make_app(folder, accounts=False)
    client = app.test_client()
    login = page(client, "/staff/login")
    assert accounts_offered(login) == {} and "no staff accounts yet" in login.lower()
    assert staff_login(client, "000000").status_code == 401
    assert staff_login(client, "135791").location == "/staff/users"
    for url in ("/staff/", "/staff/checkins/new", "/staff/checkins/c0123456789abcdefghijk"):
        assert client.get(url).location == "/staff/login", url  # the shared PIN opens nothing else
    setup = page(client, "/staff/users")
    assert "Make the first admin account" in setup and 'name="role"' not in setup
    assert "Ana Old" not in setup
    short = client.post("/staff/users", data={"csrf_token": csrf(setup), "name": ADMIN, "pin": ""})
    assert short.status_code == 422  # the first admin chooses their own PIN
    made = client.post(
        "/staff/users", data={"csrf_token": csrf(setup), "name": ADMIN, "pin": ADMIN_PIN}
    )
    assert made.location == "/staff/login"
    assert "shared staff PIN no longer works" in page(client, "/staff/login")
    accounts = svc(app).accounts
    (admin,) = accounts.users()
    assert admin.role == "admin" and admin.created_by == "shared_pin"
    (created,) = svc(app).store.events(kinds=["staff_user_created"])
    assert created.detail["by"] == "shared_pin" and created.detail["first_account"] == 1
    assert not StaffPin(folder).is_set()  # retired
    assert client.get("/staff/users").location == "/staff/login"  # the set-up session is over
    assert staff_login(client, "135791", ADMIN).status_code == 401  # the shared PIN is refused
    assert staff_login(client, ADMIN_PIN, ADMIN).location == "/staff/"
    assert "Ana Old" in page(client, "/staff/")  # 0.1.0's check-ins are all there
    svc(app).close()
    close_logs()


def test_a_set_up_session_cannot_make_a_second_account(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    old_data_folder(folder, "135791")
    app = make_app(folder, accounts=False)
    first, second = app.test_client(), app.test_client()
    staff_login(first, "135791")
    staff_login(second, "135791")
    form = page(second, "/staff/users")
    first.post(
        "/staff/users",
        data={"csrf_token": csrf(page(first, "/staff/users")), "name": ADMIN, "pin": ADMIN_PIN},
    )
    late = second.post(
        "/staff/users", data={"csrf_token": csrf(form), "name": "Mallory", "pin": "111111"}
    )
    assert late.location == "/staff/login"
    assert [u.name for u in svc(app).accounts.users()] == [ADMIN]
    svc(app).close()
    close_logs()


def test_first_start_without_accounts_or_pin_offers_nothing(tmp_path: Path) -> None:
    app = make_app(tmp_path / "data", accounts=False)
    client = app.test_client()
    login = page(client, "/staff/login")
    assert accounts_offered(login) == {} and "tpi-forms kiosk add-user" in login
    assert staff_login(client, "123456").status_code == 400  # no account to choose
    assert client.get("/staff/users").location == "/staff/login"
    svc(app).close()
    close_logs()
