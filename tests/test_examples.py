"""The examples run as documented and produce what they promise."""

from __future__ import annotations

import base64
import datetime as dt
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest_fhir import check_resource
from packet_fixtures import pdf_text, signature_png, squash
from werkzeug.datastructures import MultiDict

from tpi_forms import (
    example_answers,
    load_consent_definition,
    load_questionnaire,
    screen,
    validate_answers,
)
from tpi_forms.screening.procedure import PlannedProcedure
from tpi_forms.verify.packet import verify_packet
from tpi_forms.web.forms import to_formdata

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CUSTOM = EXAMPLES / "custom_procedure"


def load_example(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


# --- custom_procedure ----------------------------------------------------------------------


def _check_custom_output(out: Path, locale: str) -> None:
    q = load_questionnaire(CUSTOM / "definitions" / "joint_screening.toml")
    definition = load_consent_definition(CUSTOM / "definitions" / "joint_consent.toml", q)
    screening = (out / "screening.html").read_text(encoding="utf-8")
    assert q.question("artificial_joint").label.get(locale) in screening
    assert "tpi-form" in screening
    consent = (out / "consent.html").read_text(encoding="utf-8")
    assert definition.title.get(locale) in consent
    pdf = (out / "packet.pdf").read_bytes()
    title = squash(definition.title.get(locale))
    for page in pdf_text(pdf):  # the joint consent's title in every header, and its template id
        assert title in squash(page) and squash(f"joint_consent {definition.version}") in squash(
            page
        )
        assert "trigger point" not in page.lower() and "gatillo" not in page.lower()
    result = verify_packet(pdf, consent_definition=definition)
    assert result.ok, [c for c in result.checks if not c.passed]
    assert result.record is not None
    assert result.record.questionnaire_id == "joint_screening"
    assert result.record.consent["procedure"] == "joint_or_bursa_corticosteroid_injection"
    assert result.record.screening["status"] == "review"
    bundle = json.loads((out / "bundle.json").read_text(encoding="utf-8"))
    check_resource(bundle)
    questionnaire = bundle["entry"][0]["resource"]
    assert questionnaire["url"] == "urn:tpi-forms:questionnaire:joint_screening"
    assert questionnaire["language"] == locale


@pytest.mark.slow
def test_custom_procedure_runs_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "joint"
    done = subprocess.run(
        [sys.executable, str(CUSTOM / "run.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "screening: review" in done.stdout
    assert "FAIL" not in done.stdout
    _check_custom_output(out, "en")


def test_custom_procedure_in_spanish(tmp_path: Path) -> None:
    module = load_example(CUSTOM / "run.py")
    assert module.main(["--out", str(tmp_path), "--locale", "es"]) == 0
    _check_custom_output(tmp_path, "es")


@pytest.mark.parametrize(
    "change, rule, status",
    [
        ({"artificial_joint": True}, "artificial_joint", "contraindicated"),
        ({"joint_hot_swollen": True}, "joint_infection_signs", "contraindicated"),
        ({"allergies": ["steroid"]}, "medicine_allergy", "contraindicated"),
        ({"steroid_shots_past_year": 3}, "many_steroid_shots", "review"),
        ({"last_steroid_shot_date": "2026-02-01"}, "recent_steroid_shot", "review"),
        ({"diabetes": False}, None, "clear"),
    ],
)
def test_custom_procedure_rules(change: dict[str, Any], rule: str | None, status: str) -> None:
    module = load_example(CUSTOM / "run.py")
    q = load_questionnaire(CUSTOM / "definitions" / "joint_screening.toml")
    answers: dict[str, Any] = validate_answers(
        {**module.ANSWERS, **change}, q, today=dt.date(2026, 3, 2)
    )
    plan = PlannedProcedure(sites=("knee_left",), corticosteroid=True)
    result = screen(answers, plan, questionnaire=q, today=dt.date(2026, 3, 2))
    assert result.status == status
    fired = [f.rule_id for f in result.findings]
    if rule is not None:
        assert rule in fired
    assert all(f.source for f in result.findings)


# --- flask_portal --------------------------------------------------------------------------

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def _token(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1) or found.group(2)


@pytest.fixture()
def portal(tmp_path: Path) -> tuple[Any, Path]:
    module = load_example(EXAMPLES / "flask_portal" / "app.py")
    storage = tmp_path / "packets"
    app = module.create_app(storage, secret_key="test-secret")
    return app.test_client(), storage


@pytest.mark.parametrize("locale", ["en", "es"])
def test_portal_screens_signs_and_stores_a_packet(portal: tuple[Any, Path], locale: str) -> None:
    client, storage = portal
    page = client.get(f"/?lang={locale}").get_data(as_text=True)
    assert 'class="tpi-form' in page and "/tpi-static/tpi-forms.css" in page
    with client.get("/tpi-static/tpi-forms.css") as css:
        assert css.status_code == 200 and css.mimetype == "text/css"
    with client.get("/tpi-static/secret.txt") as missing:
        assert missing.status_code == 404
    answers: dict[str, Any] = example_answers("clear")
    form = [*to_formdata(answers), ("csrf_token", _token(page))]
    response = client.post("/screening", data=MultiDict(form))
    assert response.status_code == 302 and response.headers["Location"].endswith("/consent")

    consent = client.get("/consent").get_data(as_text=True)
    assert "signature-pad.js" in consent
    fields = {
        "csrf_token": _token(consent),
        "consent_hash": re.search(r'name="consent_hash" value="([0-9a-f]+)"', consent).group(1),  # type: ignore[union-attr]
        "esign_consent": "1",
    }
    fields.update({name: "1" for name in re.findall(r'name="(risk-[a-z_]+)"', consent)})
    incomplete = client.post("/consent", data=fields)
    assert incomplete.status_code == 200 and not list(storage.iterdir())
    refused = incomplete.get_data(as_text=True)
    assert "tpi-error-summary" in refused and 'href="#patient-' in refused  # no signature yet
    fields.update(
        {
            "patient-signer": "patient",
            "patient-printed_name": answers["patient_name"],
            "patient-method": "drawn",
            "patient-png": "data:image/png;base64," + base64.b64encode(signature_png(3)).decode(),
            "patient-intent": "1",
        }
    )
    done = client.post("/consent", data=fields)
    assert done.status_code == 200, done.get_data(as_text=True)[:500]
    (packet,) = storage.iterdir()
    assert answers["patient_name"] not in packet.name
    result = verify_packet(packet.read_bytes())
    assert result.ok, [c for c in result.checks if not c.passed]
    assert result.record is not None and result.record.locale == locale
    assert [s.role for s in result.record.signatures] == ["patient"]
    assert result.record.answers["pain_score"] == answers["pain_score"]
    events = [e.event for e in result.record.audit]
    assert "screened" in events and "esign_consent" in events


def test_portal_refuses_a_post_without_csrf_token(portal: tuple[Any, Path]) -> None:
    client, storage = portal
    client.get("/")
    response = client.post("/screening", data=MultiDict(to_formdata(example_answers("clear"))))
    assert response.status_code == 400
    assert client.get("/consent").status_code == 302  # nothing was screened


def test_portal_stops_at_a_contraindication(portal: tuple[Any, Path]) -> None:
    client, storage = portal
    page = client.get("/").get_data(as_text=True)
    form = [*to_formdata(example_answers("contraindicated")), ("csrf_token", _token(page))]
    response = client.post("/screening", data=MultiDict(form))
    assert response.status_code == 200
    assert "Please call the clinic" in response.get_data(as_text=True)
    assert client.get("/consent").status_code == 302
    assert not list(storage.iterdir())


# --- print_day_packets ---------------------------------------------------------------------


@pytest.mark.slow
def test_print_day_packets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv_file = tmp_path / "appointments.csv"
    csv_file.write_text(
        "appointment_id,time,patient_name,date_of_birth,language,sites,steroid\n"
        "A-0901,09:00,Alex Example,1980-04-12,en,neck;upper_back,no\n"
        "A-0930,09:30,Sam <b>Example</b>,1961-07-04,es,lower_back,yes\n"
        "A-1000,10:00,Kim Example,1990-01-01,en,elbow_of_nowhere,no\n"
        "A-1030,10:30,Lee Example,1990-01-01,fr,neck,no\n"
        "A-1100,11:00,Max Example,31/12/1975,en,neck,no\n"
        "A-1130,11:30,,,en,,no\n",
        encoding="utf-8",
    )
    module = load_example(EXAMPLES / "print_day_packets.py")
    out = tmp_path / "packets"
    assert module.main([str(csv_file), "--out", str(out), "--workers", "2"]) == 1
    captured = capsys.readouterr()
    assert "line 4: unknown site 'elbow_of_nowhere'" in captured.err
    assert "line 5: language must be one of en, es" in captured.err
    assert "line 6: date_of_birth must be a date written YYYY-MM-DD" in captured.err
    assert "Example" not in captured.err and "1975" not in captured.err  # lines, not patients
    assert "3/3" in captured.err  # the tqdm progress bar reached the end
    files = sorted(p.name for p in out.iterdir())
    assert files == ["09-00_A-0901.pdf", "09-30_A-0930.pdf", "11-30_A-1130.pdf"]
    english = pdf_text((out / files[0]).read_bytes())
    spanish = pdf_text((out / files[1]).read_bytes())
    for page in english:
        assert squash("Patient: Alex Example") in squash(page)
        assert squash("Date of birth: April 12, 1980") in squash(page)
    for page in spanish:
        assert squash("Paciente: Sam <b>Example</b>") in squash(page)
        assert squash("Fecha de nacimiento: 4 de julio de 1961") in squash(page)
    english_text, spanish_text = squash(" ".join(english)), squash(" ".join(spanish))
    assert squash("Where is your pain?") in english_text
    assert squash("Steroid in the shot") not in english_text
    assert squash("¿Dónde le duele?") in spanish_text
    assert squash("Esteroide en la inyección") in spanish_text
    unnamed = squash(pdf_text((out / files[2]).read_bytes())[0])
    assert squash("Patient: Date of birth: Consent version") in unnamed  # lines to write on
