"""The kiosk's own pages in the kiosk words: the language switch, errors, staff forms, no ids."""

from __future__ import annotations

import html
import re
from pathlib import Path

from flask import Flask

from tpi_forms._resources import definition_folder
from tpi_forms.screening.scenarios import example_answers

from .conftest import make_app, svc
from .kiosk_client import PIN, csrf, handover, open_checkin, page, staff_login, submit_screening


def visible(page_html: str) -> str:
    """The words a person sees: no tags, no attributes."""
    body = page_html.split("<body", 1)[1]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_the_start_screen_switches_language(app: Flask) -> None:
    client = app.test_client()
    start = page(client, "/")
    assert '<html lang="en">' in start and "Welcome" in start and "Start check-in" in start
    assert '<a href="/?lang=es" lang="es" hreflang="es">Español</a>' in start
    assert 'lang="en" hreflang="en" aria-current="true">English</a>' in start
    spanish = page(client, "/?lang=es")
    assert '<html lang="es">' in spanish and "Bienvenido" in spanish
    assert '<input type="hidden" name="locale" value="es">' in spanish
    assert "Empezar el registro" in spanish and "Personal" in spanish
    assert "Welcome" not in visible(spanish)
    # The choice stays with the tablet session: its error pages follow it.
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert "No se encontró la página" in missing.get_data(as_text=True)
    assert "Error 404" in missing.get_data(as_text=True)
    assert "Bienvenido" in page(client, "/?lang=xx")  # an unknown language changes nothing
    assert "Welcome" in page(client, "/?lang=en_US")  # a regional code picks its language


def test_staff_pages_keep_their_own_language(app: Flask) -> None:
    client = app.test_client()
    client.get("/?lang=es")
    assert "Staff log-in" in page(client, "/staff/login")  # the clinic's language
    login = page(client, "/staff/login?lang=es")
    assert "Entrada del personal" in login and "PIN del personal" in login
    assert '<html lang="es">' in login and 'aria-current="true">Español</a>' in login
    assert "Entrada del personal" in page(client, "/staff/login")
    assert "Bienvenido" in page(client, "/")
    page(client, "/?lang=en")
    assert "Entrada del personal" in page(client, "/staff/login")


def test_the_clinics_default_language_opens_the_start_screen(tmp_path: Path) -> None:
    sample = (definition_folder() / "sample_clinic.toml").read_text(encoding="utf-8")
    assert 'default_locale = "en"' in sample
    clinic = tmp_path / "clinic.toml"
    clinic.write_text(sample.replace('default_locale = "en"', 'default_locale = "es_US"'))
    app = make_app(tmp_path / "data", clinic_file=clinic)
    try:
        start = page(app.test_client(), "/")
        assert '<html lang="es">' in start and "Bienvenido" in start
    finally:
        svc(app).close()


def test_an_expired_form_is_worded_in_the_page_language(app: Flask) -> None:
    client = app.test_client()
    client.get("/?lang=es")
    response = client.post("/kiosk/self", data={"locale": "es"})
    assert response.status_code == 400
    assert "Este formulario venció" in response.get_data(as_text=True)


def test_the_tablet_speaks_the_patients_language_until_it_is_wiped(app: Flask) -> None:
    client = app.test_client()
    staff_login(client)
    url = open_checkin(client, "Ana Pérez", "1970-01-02", locale="es")
    handover(client, url)
    assert 'lang="es"' in page(client, "/kiosk/screening")
    assert "No se encontró la página" in client.get("/no-such-page").get_data(as_text=True)
    assert "Staff log-in" in page(client, "/staff/login")  # staff read the clinic's language
    client.post("/kiosk/timeout", data={"csrf_token": csrf(page(client, "/kiosk/screening"))})
    assert "Welcome" in page(client, "/")  # the next patient starts in the clinic's language


def test_staff_form_labels_and_messages_come_in_the_page_language(app: Flask) -> None:
    client = app.test_client()
    wrong = client.post(
        "/staff/login",
        data={"csrf_token": csrf(page(client, "/staff/login?lang=es")), "pin": "000000"},
    )
    assert wrong.status_code == 401
    assert "Ese PIN no es correcto. Intentos restantes: 4." in wrong.get_data(as_text=True)
    staff_login(client, PIN)
    form = page(client, "/staff/checkins/new")
    for label in ("Nombre completo del paciente", "Anestésico local", "Idioma del paciente"):
        assert label in form
    assert '<option selected value="es">Español</option>' in form
    assert '<option value="lidocaine">Lidocaína</option>' in form

    def post_new(**changes: str) -> str:
        fields = {
            "csrf_token": csrf(form),
            "name": "Ana",
            "date_of_birth": "1970-01-02",
            "local_anesthetic": "lidocaine",
            "locale": "es",
            **changes,
        }
        response = client.post("/staff/checkins/new", data=fields)
        assert response.status_code == 422
        return str(response.get_data(as_text=True))

    text = post_new(name="", date_of_birth="31/02/1970", local_anesthetic="morphine")
    assert "Este campo es obligatorio." in text
    assert "Escriba una fecha real." in text
    assert "Elija una de las opciones que se muestran." in text
    assert "required" not in visible(text).lower() and "valid" not in visible(text).lower()
    text = post_new(date_of_birth="2999-01-01")
    assert "La fecha de nacimiento no puede ser en el futuro." in text
    assert "Es demasiado largo (como máximo 120 caracteres)." in post_new(name="x" * 121)
    assert svc(app).store.checkins() == []


def test_the_staff_check_in_page_shows_words_not_ids(app: Flask) -> None:
    client = app.test_client()
    staff_login(client)
    url = open_checkin(client, "Ana Pérez", "1970-01-02", locale="es", sites=["neck", "arm"])
    handover(client, url)
    answers = example_answers("review")
    answers.update(patient_name="Ana Pérez", date_of_birth="1970-01-02")
    submit_screening(client, answers)
    staff_login(client)
    detail = visible(page(client, url))
    for words in (
        "Language Español",
        "Plan sites: Neck and Arm; Lidocaine",
        "Step Waiting for staff",
        "Status: needs review",
        "Clinician review :",
        "Check-in opened (Opened by: Staff)",
        "Tablet handed to the patient (Device: kiosk)",
        "Screening answers sent (Result: Review: a clinician must decide)",
    ):
        assert words in detail, words
    for ident in ("handed_to_tablet", "screened", "wait", "upper_back", "lidocaine", " es "):
        assert ident not in detail, ident
    spanish = visible(page(client, f"{url}?lang=es"))
    assert "Paso Esperando al personal" in spanish and "Resultado: necesita revisión" in spanish
    assert "Tableta entregada al paciente (Dispositivo: kiosk)" in spanish
    dashboard = visible(page(client, "/staff/"))
    assert "Esperando al personal" in dashboard and "necesita revisión" in dashboard
