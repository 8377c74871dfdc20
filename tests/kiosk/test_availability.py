"""Availability: self check-in rate limits, a staff list real patients stay on, a wait page that
expires, and a Host allow-list (issue 17, attack 7)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tpi_forms.screening.scenarios import example_answers

from .conftest import close_logs, make_app, svc
from .kiosk_client import csrf, page, staff_login, submit_screening


def self_checkin(client: Any) -> int:
    start = client.get("/").get_data(as_text=True)
    token = csrf(start) if "csrf_token" in start else ""
    response = client.post("/kiosk/self", data={"csrf_token": token, "locale": "en"})
    client.post("/kiosk/finish", data={"csrf_token": token})
    return int(response.status_code)


def test_anonymous_self_checkins_are_rate_limited_per_client_and_in_all(tmp_path: Path) -> None:
    app = make_app(tmp_path / "data", csrf=False)
    try:
        one = app.test_client()
        answers = [self_checkin(one) for _ in range(12)]
        assert answers[:10] == [302] * 10 and answers[10:] == [429, 429]
        assert "Too many tries" in one.post("/kiosk/self", data={"locale": "en"}).get_data(True)
        others = []
        for n in range(1, 60):
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n}"
            others.append(self_checkin(client))
        assert 429 in others, "a global cap holds however many addresses ask"
        staff = app.test_client()
        assert staff_login(staff).status_code == 302  # staff are never rate limited by this
    finally:
        svc(app).close()
        close_logs()


def test_real_patients_stay_on_the_staff_list_after_a_flood_of_self_checkins(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path / "data", csrf=False)
    try:
        store = svc(app).store
        real = store.create_checkin(
            {"name": "Real Patient", "date_of_birth": "1970-01-01"}, mode="staff"
        )
        answered = store.create_checkin({"name": None}, mode="self")
        store.submit(
            "s" * 22,
            answered.id,
            "screening",
            {"patient_name": "Self Answered"},
            {"status": "clear"},
        )
        for _ in range(110):  # as fast as they came (243/s), stored past any rate limit
            store.create_checkin({"name": None}, mode="self")
        client = app.test_client()
        staff_login(client)
        dashboard = page(client, "/staff/")
        assert "Real Patient" in dashboard
        assert f"/staff/checkins/{real.id}" in dashboard
        assert f"/staff/checkins/{answered.id}" in dashboard
        assert "Self check-ins with no answers yet: 110" in dashboard
    finally:
        svc(app).close()
        close_logs()


def test_the_wait_page_refresh_does_not_keep_a_session_alive(tmp_path: Path) -> None:
    app = make_app(tmp_path / "data", idle_timeout=60)
    now = [1000.0]
    app.session_interface.clock = lambda: now[0]  # type: ignore[attr-defined]
    try:
        client = app.test_client()
        start = page(client, "/")
        client.post("/kiosk/self", data={"csrf_token": csrf(start), "locale": "en"})
        assert submit_screening(client, example_answers("review")).status_code == 302
        wait = page(client, "/kiosk/wait")
        refresh = re.search(r'http-equiv="refresh" content="(\d+);url=([^"]+)"', wait)
        assert refresh is not None
        seconds, url = refresh.groups()
        url = url.replace("&amp;", "&")
        refreshes = 0
        for _ in range(20):  # up to 20 refreshes over 200 s, nobody touching the tablet
            refreshes += 1
            now[0] += int(seconds)
            response = client.get(url, follow_redirects=True)
            if response.request.path == "/":
                break
        assert response.request.path == "/", "the waiting session never expired"
        assert refreshes * int(seconds) <= 60 + 15 + int(seconds)  # with the idle timeout
        assert "not used for a while" in response.get_data(as_text=True)
        assert client.get("/kiosk/wait").location == "/"  # the check-in left the tablet
    finally:
        svc(app).close()
        close_logs()


def test_a_host_not_allowed_is_refused_and_never_reflected(tmp_path: Path) -> None:
    app = make_app(tmp_path / "data")
    try:
        client = app.test_client()
        for host in ("localhost", "127.0.0.1:8000", "LOCALHOST"):
            assert client.get("/", headers={"Host": host}).status_code == 200, host
        for path in ("/", "/staff", "/staff/", "/kiosk/next", "/static/tpi-forms.css"):
            response = client.get(path, headers={"Host": "evil.example"})
            assert response.status_code == 400, path
            assert "evil.example" not in str(response.headers) + response.get_data(as_text=True)
        assert "evil" not in (client.get("/staff", headers={"Host": "localhost"}).location or "")
    finally:
        svc(app).close()
        close_logs()


def test_the_allowed_hosts_can_be_named(tmp_path: Path) -> None:
    app = make_app(tmp_path / "data", allowed_hosts=("kiosk.clinic.lan", "192.168.1.20"))
    try:
        client = app.test_client()
        for host in ("kiosk.clinic.lan", "KIOSK.clinic.lan:443", "192.168.1.20:8000"):
            assert client.get("/", headers={"Host": host}).status_code == 200, host
        for host in ("localhost", "evil.example", "kiosk.clinic.lan.evil.example", ""):
            assert client.get("/", headers={"Host": host}).status_code == 400, host
    finally:
        svc(app).close()
        close_logs()
