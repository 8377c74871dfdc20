"""The tablet's pages as the server draws them: the idle warning, the clinic, the icon."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from tpi_forms.definitions.clinic import sample_clinic

from .conftest import close_logs, make_app, svc
from .kiosk_client import csrf, page


def test_every_kiosk_page_carries_the_idle_warning(app: Flask) -> None:
    client = app.test_client()
    start = page(client, "/")
    client.post("/kiosk/self", data={"csrf_token": csrf(start)})
    screening = page(client, "/kiosk/screening")  # drawn by the library's page template
    login = page(client, "/staff/login")  # drawn by the kiosk's own base template
    for html in (screening, login):
        assert 'data-kiosk-idle-seconds="180"' in html and 'data-kiosk-warn-seconds="30"' in html
        assert '<dialog class="kiosk-idle" id="kiosk-idle" role="alertdialog"' in html
        assert "Are you still there?" in html and "I am still here" in html
        assert 'id="kiosk-timeout"' in html and html.count('id="kiosk-timeout"') == 1
        assert "/kiosk-static/kiosk.css" in html and "/kiosk-static/kiosk.js" in html


def test_the_warning_time_is_a_setting(tmp_path: Path) -> None:
    app = make_app(tmp_path / "data", idle_timeout=120, idle_warning=45)
    try:
        client = app.test_client()
        html = page(client, "/?lang=es")
        assert 'data-kiosk-warn-seconds="45"' in html
        assert "¿Sigue ahí?" in html and "Sigo aquí" in html
    finally:
        svc(app).close()
        close_logs()


def test_the_start_screen_names_the_clinic(app: Flask) -> None:
    html = page(app.test_client(), "/")
    name = sample_clinic().name
    assert f'<p class="kiosk-start-clinic-name">{name}</p>' in html.replace("&#39;", "'")


def test_the_kiosk_serves_its_icon(app: Flask) -> None:
    client = app.test_client()
    html = page(client, "/")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    for url in ("/static/favicon.svg", "/favicon.ico"):
        with client.get(url) as response:
            assert response.status_code == 200 and response.mimetype == "image/svg+xml"
            assert response.get_data().startswith(b"<svg")
