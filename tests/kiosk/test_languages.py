"""The kiosk's own pages in the kiosk words: the language switch, errors, staff forms, no ids."""

from __future__ import annotations

import html
import re
from pathlib import Path

from flask import Flask

from tpi_forms._resources import definition_folder
from tpi_forms.screening.scenarios import example_answers

from .conftest import add_account, make_app, svc
from .kiosk_client import (
    CLINICIAN,
    CREDENTIALS,
    PIN,
    accounts_offered,
    csrf,
    handover,
    open_checkin,
    page,
    staff_login,
    submit_screening,
)

SIGNED_IN = f"{CLINICIAN}, {CREDENTIALS}"


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
    assert "Entrada del personal" in login and "Su PIN" in login
    assert "Su nombre" in login and "Elija su nombre" in login
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
    login = page(client, "/staff/login?lang=es")
    (account,) = accounts_offered(login).values()
    wrong = client.post(
        "/staff/login", data={"csrf_token": csrf(login), "account": account, "pin": "000000"}
    )
    assert wrong.status_code == 401
    assert "Ese PIN no es correcto. Le quedan 4 intentos." in wrong.get_data(as_text=True)
    missing = client.post("/staff/login", data={"csrf_token": csrf(login), "pin": "000000"})
    assert missing.status_code == 400
    assert "Elija su nombre y escriba su PIN." in missing.get_data(as_text=True)
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
        f"Check-in opened by {SIGNED_IN} (clinician) (Opened by: Staff)",
        f"Tablet handed to the patient by {SIGNED_IN} (clinician) (Device: kiosk)",
        "Screening answers sent (Result: Review: a clinician must decide)",
    ):
        assert words in detail, words
    account = svc(app).accounts.by_name(CLINICIAN)
    assert account is not None
    for ident in ("handed_to_tablet", "screened", "wait", "upper_back", "lidocaine", " es "):
        assert ident not in detail, ident
    assert account.id not in detail and "by_name" not in detail  # the record keeps the id
    spanish = visible(page(client, f"{url}?lang=es"))
    assert "Paso Esperando al personal" in spanish and "Resultado: necesita revisión" in spanish
    assert (
        f"Tableta entregada al paciente por {SIGNED_IN} (clínico) (Dispositivo: kiosk)" in spanish
    )
    assert f"Sesión de: {SIGNED_IN}" in spanish
    dashboard = visible(page(client, "/staff/"))
    assert "Esperando al personal" in dashboard and "necesita revisión" in dashboard


def test_the_first_admin_account_is_made_in_the_staff_language(tmp_path: Path) -> None:
    app = make_app(tmp_path / "data", accounts=False)
    svc(app).pin.set("135791")
    client = app.test_client()
    try:
        login = page(client, "/staff/login?lang=es")
        assert "Escriba el PIN compartido del personal" in login and "Su PIN" in login
        assert staff_login(client, "135791").location == "/staff/users"
        setup = page(client, "/staff/users")
        assert '<html lang="es">' in setup and "Crear la primera cuenta de administrador" in setup
        assert 'href="/staff/users?lang=en"' in setup  # the switch stays on this page

        def post(**fields: str) -> str:
            response = client.post("/staff/users", data={"csrf_token": csrf(setup), **fields})
            assert response.status_code == 422
            return visible(response.get_data(as_text=True))

        assert "Escriba el nombre completo de la persona." in post(name="", pin="975310")
        assert "Es demasiado largo (como máximo 100 caracteres)." in post(name="x" * 101)
        assert "Un PIN o contraseña tiene de 6 a 128 caracteres." in post(name="Ada", pin="1")
        made = client.post(
            "/staff/users", data={"csrf_token": csrf(setup), "name": "Ada Admin", "pin": "975310"}
        )
        assert made.location == "/staff/login"
        assert "La cuenta de administrador está creada" in page(client, "/staff/login")
    finally:
        svc(app).close()


def test_staff_messages_speak_the_language_of_the_page_that_shows_them(app: Flask) -> None:
    add_account(app, "Ada Admin", "admin", "975310")
    desk = add_account(app, "Dee Desk", "front_desk", "135790")
    client = app.test_client()
    staff_login(client, "975310", "Ada Admin")
    users = page(client, "/staff/users")
    fields = {"csrf_token": csrf(users), "name": "Gus Nurse", "role": "front_desk", "pin": ""}
    assert client.post("/staff/users", data=fields).status_code == 302
    spanish = visible(page(client, "/staff/users?lang=es"))  # the notice waits for this page
    assert "Cuenta creada para Gus Nurse." in spanish and "El PIN de Gus Nurse es" in spanish
    assert "Account added" not in spanish
    admin = svc(app).accounts.by_name("Ada Admin")
    assert admin is not None
    own = client.post(f"/staff/users/{admin.id}/disable", data={"csrf_token": csrf(users)})
    assert own.status_code == 409
    text = own.get_data(as_text=True)
    assert "No puede desactivar su propia cuenta." in text
    assert 'href="/staff/users?lang=en"' in text  # not the POST-only action's address
    client.post("/staff/logout", data={"csrf_token": csrf(users)})
    staff_login(client, "135790", desk.display_name)
    url = open_checkin(client)
    refused = client.post(f"{url}/stop", data={"csrf_token": csrf(page(client, url))})
    assert refused.status_code == 403
    text = visible(refused.get_data(as_text=True))
    assert "No permitido" in text and "Su cuenta del personal no puede hacer esto." in text
    assert "Solo un clínico o un administrador" in visible(page(client, url))
