"""Adding a language is adding files: a copy of the package with every ``*.en.toml`` also as
``*.fr.toml`` renders every page and document in ``fr`` with no change to the code."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import tpi_forms
from tpi_forms._resources import templates_folder
from tpi_forms.definitions.consent import load_consent_definition
from tpi_forms.definitions.questionnaire import load_questionnaire
from tpi_forms.definitions.words import load_words
from tpi_forms.errors import DefinitionError

pytestmark = pytest.mark.slow

# Runs inside the copy: every call a clinic portal, the kiosk and the CLI make, in "fr".
RENDER_IN_FRENCH = r"""
import datetime as dt, io, json, re, sys, tempfile
from pathlib import Path

import pypdf

import tpi_forms
assert tpi_forms.__file__.startswith(sys.argv[1]), tpi_forms.__file__

from tpi_forms.consent.document import build_consent
from tpi_forms.definitions.clinic import sample_clinic
from tpi_forms.definitions.ui_text import ui_locales
from tpi_forms.kiosk.accounts import COMMAND_LINE
from tpi_forms.kiosk.app import create_app
from tpi_forms.kiosk.config import KioskConfig
from tpi_forms.pdf.packet import build_record, render_blank_packet, render_packet
from tpi_forms.record.model import AuditEvent, Signature
from tpi_forms.screening.engine import finding_reasons, screen
from tpi_forms.screening.procedure import PlannedProcedure
from tpi_forms.screening.scenarios import example_answers
from tpi_forms.web.forms import build_form_class
from tpi_forms.web.html import PageOptions, render_consent_page, render_kiosk_page

def pdf(data):
    reader = pypdf.PdfReader(io.BytesIO(data))
    return {
        "text": " ".join(page.extract_text() or "" for page in reader.pages),
        "lang": str(reader.trailer["/Root"].get("/Lang", "")),
    }

out = {"ui_locales": list(ui_locales())}
links = PageOptions(locale_links={loc: f"?lang={loc}" for loc in ui_locales()})
form = build_form_class(locale="fr")()
out["screening_form"] = render_kiosk_page(form, action="/s", options=links)

answers = example_answers("review")
plan = PlannedProcedure(sites=("neck",), corticosteroid=True)
result = screen(answers, plan, locale="fr")
out["screening"] = {
    "locale": result.locale,
    "status": result.status,
    "messages": [f.patient_message for f in result.findings],
    "reasons": [r for f in result.to_dict()["findings"] for r in finding_reasons(f, locale="fr")],
}

clinic = sample_clinic()
consent = build_consent(plan, clinic, "fr", answers=answers)
out["consent_page"] = render_consent_page(consent, action="/c", options=links)

when = dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.timezone.utc)
signature = Signature(
    role="patient",
    printed_name=answers["patient_name"],
    signed_at=when,
    meaning=consent.signer_role("patient").meaning,
    method="typed",
)
audit = [AuditEvent(when, "consent_time_on_page", {"seconds": 184}, "tablet-1")]
record = build_record(
    answers, [signature], procedure=plan, clinic=clinic, locale="fr", audit=audit,
    device_id="tablet-1", consent=consent.to_dict(), created_at=when,
)
out["signed_packet"] = pdf(render_packet(record, generated_at=when))
out["blank_packet"] = pdf(render_blank_packet(plan, clinic, locale="fr"))

app = create_app(KioskConfig(data_dir=Path(tempfile.mkdtemp()), log_file=False))
client = app.test_client()
out["kiosk_start"] = client.get("/?lang=fr").get_data(as_text=True)
out["kiosk_staff_login_no_accounts"] = client.get("/staff/login?lang=fr").get_data(as_text=True)
missing = client.get("/no-such-page")
out["kiosk_error"] = [missing.status_code, missing.get_data(as_text=True)]

def token(page):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

kiosk = app.extensions["tpi_kiosk"]
ana = kiosk.accounts.create("Ana Ruiz", "admin", "246810", credentials="MD", by=COMMAND_LINE)
login = client.get("/staff/login").get_data(as_text=True)
out["kiosk_staff_login"] = login
wrong = client.post("/staff/login", data={"csrf_token": token(login), "account": ana.id, "pin": "1"})
out["kiosk_staff_wrong_pin"] = [wrong.status_code, wrong.get_data(as_text=True)]
client.post("/staff/login", data={"csrf_token": token(login), "account": ana.id, "pin": "246810"})
out["kiosk_staff_users"] = client.get("/staff/users").get_data(as_text=True)
new = client.get("/staff/checkins/new").get_data(as_text=True)
opened = client.post("/staff/checkins/new", data={
    "csrf_token": token(new), "name": "Alex Example", "date_of_birth": "1980-04-12",
    "local_anesthetic": "lidocaine", "locale": "fr",
})
out["kiosk_staff_checkin"] = client.get(opened.location).get_data(as_text=True)
kiosk.close()
print(json.dumps(out))
"""


def copy_tree(target: Path) -> Path:
    """The package and templates in ``target``, each ``*.en.toml`` of the definitions as fr too."""
    package = Path(tpi_forms.__file__).parent
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(package, target / "tpi_forms", ignore=ignore)
    shutil.copytree(templates_folder(), target / "templates", ignore=ignore)
    definitions = target / "tpi_forms" / "definitions"
    english = sorted(definitions.rglob("*.en.toml"))
    assert {p.name.split(".")[0] for p in english} >= {
        "tpi_screening",
        "tpi_consent",
        "ui",
        "kiosk",
        "packet",
    }
    for path in english:
        shutil.copyfile(path, path.with_name(path.name.replace(".en.toml", ".fr.toml")))
    return definitions


@pytest.fixture(scope="module")
def french(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("copy")
    copy_tree(root)
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", RENDER_IN_FRENCH, str(root)],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def language_switch(page: str) -> str:
    start = page.index('<nav class="tpi-lang"')
    return page[start : page.index("</nav>", start)]


def test_the_new_language_is_found_from_the_files(french: dict[str, Any]) -> None:
    assert french["ui_locales"] == ["en", "es", "fr"]


def test_the_screening_form_renders_in_french(french: dict[str, Any]) -> None:
    page = french["screening_form"]
    assert '<html lang="fr"' in page
    assert "Where is your pain?" in page and "Send my answers" in page  # the copied words
    switch = language_switch(page)
    assert 'lang="fr"' in switch and "Français" in switch and "aria-current" in switch
    assert "English" in switch and "Español" in switch


def test_screening_messages_come_in_french(french: dict[str, Any]) -> None:
    screening = french["screening"]
    assert screening["locale"] == "fr" and screening["status"] == "review"
    assert any("blood thinner" in m for m in screening["messages"])
    assert "Do you take a blood thinner? Yes" in screening["reasons"]


def test_the_consent_renders_in_french(french: dict[str, Any]) -> None:
    page = french["consent_page"]
    assert '<html lang="fr"' in page
    assert "What is a trigger point shot?" in page and "Sign and send" in page
    assert "Français" in language_switch(page)


def test_the_signed_packet_prints_in_french(french: dict[str, Any]) -> None:
    packet = french["signed_packet"]
    assert packet["lang"] == "fr"
    text = " ".join(packet["text"].split())
    assert "Consent for trigger point injection: screening and signatures" in text
    assert "Consent read for 3 min 4 s" in text and "Packet made" in text
    assert "2 mars 2026" in text  # Babel's French dates: no code knows the language


def test_the_blank_packet_prints_in_french(french: dict[str, Any]) -> None:
    packet = french["blank_packet"]
    assert packet["lang"] == "fr"
    assert "(paper form)" in packet["text"] and "Tick one" in packet["text"]


def test_the_kiosk_speaks_french(french: dict[str, Any]) -> None:
    start = french["kiosk_start"]
    assert '<html lang="fr"' in start and "Start check-in" in start
    assert '<input type="hidden" name="locale" value="fr">' in start
    switch = language_switch(start)
    assert "Français" in switch and 'href="/?lang=fr"' in switch
    empty = french["kiosk_staff_login_no_accounts"]
    assert '<html lang="fr"' in empty and "Staff log-in" in empty
    assert "There are no staff accounts yet." in empty and "Français" in language_switch(empty)
    code, error = french["kiosk_error"]
    assert code == 404 and '<html lang="fr"' in error and "Page not found" in error


def test_the_kiosk_staff_pages_with_accounts_speak_french(french: dict[str, Any]) -> None:
    login = french["kiosk_staff_login"]
    assert '<html lang="fr"' in login and "Français" in language_switch(login)
    assert "Your name" in login and "Choose your name" in login and "Your PIN" in login
    assert ">Ana Ruiz, MD</option>" in login
    code, wrong = french["kiosk_staff_wrong_pin"]
    assert code == 401 and "That PIN is not right. 4 tries left." in wrong
    users = french["kiosk_staff_users"]
    assert '<html lang="fr"' in users and "Français" in language_switch(users)
    assert "Staff accounts" in users and "Logged in: Ana Ruiz, MD" in users
    assert "<td>Admin</td>" in users and "Add account" in users and "Front desk" in users
    checkin = french["kiosk_staff_checkin"]
    assert '<html lang="fr"' in checkin and "Français" in language_switch(checkin)
    assert "Check-in opened by Ana Ruiz, MD (admin)" in checkin


# -- a text missing in one language is a one-line error naming the file and key -----------------


@pytest.fixture(scope="module")
def definitions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_tree(tmp_path_factory.mktemp("broken"))


@pytest.mark.parametrize(
    ("name", "line", "key"),
    [
        ("kiosk", 'login_title = "Staff log-in"\n', "staff.login_title"),
        ("packet", 'packet_generated = "Packet made"\n', "events.packet_generated"),
        ("ui", 'next = "Next"\n', "buttons.next"),
    ],
)
def test_a_word_missing_from_one_french_file_is_named(
    definitions: Path, name: str, line: str, key: str
) -> None:
    french = definitions / f"{name}.fr.toml"
    whole = french.read_text(encoding="utf-8")
    french.write_text(whole.replace(line, "", 1), encoding="utf-8")
    try:
        with pytest.raises(DefinitionError) as caught:
            load_words(name, definitions)
    finally:
        french.write_text(whole, encoding="utf-8")
    message = str(caught.value)
    assert message == f"{name}.fr.toml: {key}: missing text (present in the 'en' file)"
    assert "\n" not in message


def test_a_question_text_missing_from_the_french_file_is_named(definitions: Path) -> None:
    french = definitions / "tpi_screening.fr.toml"
    whole = french.read_text(encoding="utf-8")
    title = next(line for line in whole.splitlines() if line.startswith("title = "))
    french.write_text(whole.replace(title + "\n", "", 1), encoding="utf-8")
    try:
        with pytest.raises(DefinitionError, match=r"^tpi_screening\.fr\.toml: title: missing text"):
            load_questionnaire(definitions / "tpi_screening.toml")
    finally:
        french.write_text(whole, encoding="utf-8")
    questionnaire = load_questionnaire(definitions / "tpi_screening.toml")
    consent = load_consent_definition(definitions / "tpi_consent.toml", questionnaire)
    assert consent.locales == questionnaire.locales == ("en", "es", "fr")
