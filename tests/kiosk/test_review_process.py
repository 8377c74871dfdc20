"""The consent process around the signature: the patient certifies their answers, a clinician
reviews and decides, the practitioner (and a witness, an interpreter) sign after the patient,
and the record is made after the last signature."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from tpi_forms.kiosk import store as store_module
from tpi_forms.kiosk.review_store import certification, decisions
from tpi_forms.kiosk.schema import SCHEMA_VERSION, connect, migrate
from tpi_forms.kiosk.state import CONSENT, PATIENT_SIGNING, SIGNATURE
from tpi_forms.kiosk.store import KioskStore
from tpi_forms.record.model import ConsentRecord
from tpi_forms.record.review import answers_sha256
from tpi_forms.screening.scenarios import example_answers

from .conftest import add_account, svc
from .kiosk_client import (
    certify_answers,
    consent_data,
    countersign,
    csrf,
    handover,
    hidden,
    open_checkin,
    page,
    screening_data,
    sign,
    staff_login,
    submit_screening,
)

DESK, DESK_PIN = "Frankie Desk", "135790"
ID_LIKE = re.compile(r"\b[a-z]+_[a-z_]+\b")


def text(html_page: str) -> str:
    """The page's visible text: no tags, scripts or styles, entities decoded, single spaces."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html_page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def opened(
    client: Any,
    scenario: str,
    locale: str = "en",
    *,
    certify: bool = True,
    answers: dict[str, Any] | None = None,
) -> str:
    assert staff_login(client).status_code == 302
    url = open_checkin(client, locale=locale)
    handover(client, url)
    answers = answers or example_answers(scenario)
    assert submit_screening(client, answers, certify=certify).status_code == 302
    return url


def checkin_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def clinician(app: Flask) -> Any:
    desk = app.test_client()
    assert staff_login(desk).status_code == 302
    return desk


def decide(client: Any, url: str, outcome: str, note: str = "", **plan: Any) -> Any:
    review = page(client, f"{url}/review")
    data: list[tuple[str, str]] = [
        ("csrf_token", csrf(review)),
        ("screening", hidden(review, "screening")),
        ("outcome", outcome),
        ("note", note),
    ]
    for site in plan.get("sites", ()):
        data.append(("sites", site))
    if "local_anesthetic" in plan:
        data.append(("local_anesthetic", plan["local_anesthetic"]))
    if plan.get("corticosteroid"):
        data.append(("corticosteroid", "y"))
    return client.post(f"{url}/decision", data=MultiDict(data))


# -- the patient's certification --------------------------------------------------------------


def test_certification_page_shows_answers_in_words_with_change_links(app: Flask) -> None:
    tablet = app.test_client()
    url = opened(tablet, "review", certify=False)
    assert tablet.get("/kiosk/next").location == "/kiosk/check"
    check = page(tablet, "/kiosk/check")
    shown = text(check)
    assert "Check your answers" in shown
    assert "Do you take a blood thinner?" in shown and "takes_blood_thinner" not in shown
    assert "These answers are true to the best of my knowledge." in shown
    links = re.findall(r'href="(/kiosk/screening\?step=\d+)"', check)
    assert links and len(links) == len(set(links))  # one "change" link per step
    assert not [w for w in ID_LIKE.findall(shown) if w != "answers_true"], shown
    # Not ticked: refused, nothing stored, the consent stays out of reach.
    assert certify_answers(tablet, tick=False).status_code == 422
    assert certification(svc(app).store, checkin_of(url)) is None
    assert tablet.get("/kiosk/consent").location == "/kiosk/check"
    # Ticked: stored with its event at that time, the certified answers' hash, the device.
    assert certify_answers(tablet).status_code == 302
    stored = certification(svc(app).store, checkin_of(url))
    screening = svc(app).store.latest_submission(checkin_of(url), "screening")
    assert stored is not None and screening is not None
    assert stored.answers_sha256 == answers_sha256(screening.payload)
    (event,) = svc(app).store.events(checkin_of(url), kinds=["answers_certified"])
    assert event.at == stored.certified_at and event.detail["device"] == "kiosk"
    assert tablet.get("/kiosk/next").location == "/kiosk/wait"  # review: a clinician decides


def test_a_change_link_opens_the_step_with_the_answers_and_screens_again(app: Flask) -> None:
    tablet = app.test_client()
    url = opened(tablet, "review", certify=False)
    form = page(tablet, "/kiosk/screening?step=4")
    assert 'data-kiosk-draft-step="4"' in form
    assert re.search(r'name="takes_blood_thinner"[^>]*value="yes"[^>]*checked', form)
    changed = example_answers("clear")  # no blood thinner after all
    posted = tablet.post("/kiosk/screening", data=MultiDict(screening_data(form, changed)))
    assert posted.status_code == 302
    assert tablet.get("/kiosk/next").location == "/kiosk/check"
    store = svc(app).store
    assert [s.kind for s in store.submissions(checkin_of(url))] == ["screening", "screening"]
    assert certify_answers(tablet).status_code == 302
    latest = store.latest_submission(checkin_of(url), "screening")
    stored = certification(store, checkin_of(url))
    assert latest is not None and stored is not None
    assert stored.screening_token == latest.token and latest.result["status"] == "clear"
    assert tablet.get("/kiosk/next").location == "/kiosk/consent"
    # Certified: the answers can no longer change.
    form = page(tablet, "/kiosk/consent")
    assert tablet.get("/kiosk/screening?step=1").location == "/kiosk/consent"


def test_certification_in_spanish(app: Flask) -> None:
    tablet = app.test_client()
    opened(tablet, "clear", locale="es", certify=False)
    shown = text(page(tablet, "/kiosk/check"))
    assert "Revise sus respuestas" in shown and "Cambiar" in shown
    assert "Estas respuestas son verdaderas según mi leal saber y entender." in shown


# -- the clinician's review and decision ------------------------------------------------------


def test_review_page_shows_every_answer_and_the_answers_behind_each_finding(app: Flask) -> None:
    tablet = app.test_client()
    last_dose = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    answers = example_answers("review") | {"blood_thinner_last_dose": last_dose}
    url = opened(tablet, "review", locale="es", answers=answers)  # answered in Spanish
    review = page(clinician(app), f"{url}/review")
    shown = text(review)
    assert "Review of the answers" in shown  # the staff page's language, not the patient's
    finding = review[review.index('id="finding-1"') : review.index("</section>")]
    behind = text(finding)
    assert "Do you take a blood thinner? Yes" in behind
    assert "Which blood thinner do you take? Apixaban (Eliquis)" in behind
    assert "What day did you last take it?" in behind
    assert finding.count('class="kiosk-marked"') == 3  # the answer and its two follow-ups
    assert "Anticoagulant" in behind  # the rationale in English, screened again in English
    everything = review[review.index("All answers") :]
    asked = [k for k in example_answers("review") if example_answers("review")[k] is not None]
    assert everything.count("<dt>") >= len(asked) - 2
    assert not ID_LIKE.findall(text(everything)), text(everything)


def test_front_desk_cannot_decide(app: Flask) -> None:
    add_account(app, DESK, "front_desk", DESK_PIN)
    tablet = app.test_client()
    url = opened(tablet, "review")
    desk = app.test_client()
    assert staff_login(desk, DESK_PIN, DESK).status_code == 302
    review = text(page(desk, f"{url}/review"))
    assert "Only a clinician account can decide" in review and "Record the decision" not in review
    screening = svc(app).store.latest_submission(checkin_of(url), "screening")
    assert screening is not None
    data = {"csrf_token": csrf(page(desk, "/staff/")), "screening": screening.token}
    refused = desk.post(f"{url}/decision", data=data | {"outcome": "proceed"})
    assert refused.status_code == 403
    assert "Only a clinician account can decide" in text(refused.get_data(as_text=True))
    assert decisions(svc(app).store, checkin_of(url)) == []
    assert not svc(app).store.events(checkin_of(url), kinds=["review_decided"])
    # nor sign as the practitioner
    assert desk.get(f"{url}/sign/practitioner").status_code == 403


def test_a_decision_needs_a_note_for_a_change_or_no_procedure(app: Flask) -> None:
    tablet = app.test_client()
    url = opened(tablet, "review")
    doctor = clinician(app)
    for outcome in ("proceed_with_changes", "no_procedure"):
        response = decide(doctor, url, outcome, local_anesthetic="lidocaine")
        assert response.status_code == 422
        assert "Write a note saying why." in text(response.get_data(as_text=True))
    assert decide(doctor, url, "proceed", note="\u202eevil").status_code == 422
    assert decisions(svc(app).store, checkin_of(url)) == []


def test_decision_before_certification_is_refused(app: Flask) -> None:
    tablet = app.test_client()
    url = opened(tablet, "review", certify=False)
    doctor = clinician(app)
    assert "not yet checked and confirmed" in text(page(doctor, f"{url}/review"))
    screening = svc(app).store.latest_submission(checkin_of(url), "screening")
    assert screening is not None
    data = {
        "csrf_token": csrf(page(doctor, "/staff/")),
        "screening": screening.token,
        "outcome": "proceed",
    }
    assert doctor.post(f"{url}/decision", data=data).status_code == 409
    assert decisions(svc(app).store, checkin_of(url)) == []


def test_proceed_with_changes_changes_the_consent_and_is_shown_and_recorded(app: Flask) -> None:
    tablet = app.test_client()
    url = opened(tablet, "review")
    doctor = clinician(app)
    note = "Warfarin stopped 5 days ago; superficial sites only, no steroid."
    changed = decide(
        doctor,
        url,
        "proceed_with_changes",
        note,
        sites=["lower_back"],
        local_anesthetic="lidocaine",
    )
    assert changed.status_code == 302
    (stored,) = decisions(svc(app).store, checkin_of(url))
    assert stored.outcome == "proceed_with_changes" and stored.note == note
    assert stored.changed_plan == {
        "sites": ["lower_back"],
        "local_anesthetic": "lidocaine",
        "corticosteroid": False,
    }
    assert stored.staff_name == "Casey Clinician" and stored.device == "kiosk"
    (event,) = svc(app).store.events(checkin_of(url), kinds=["review_decided"])
    assert event.at == stored.decided_at and event.detail["by_name"] == "Casey Clinician, MD"
    assert note not in json.dumps(event.detail)  # the note stays out of the audit details
    shown = text(page(doctor, url))
    assert "Proceed with changes — decided by Casey Clinician, MD" in shown and note in shown
    assert "Changed plan: sites: Lower back; Lidocaine" in shown
    assert "Clinician's decision: proceed with changes by Casey Clinician, MD" in shown
    consent = text(page(tablet, "/kiosk/consent"))
    assert "lower back" in consent.lower()


def test_no_procedure_today_stops_the_check_in(app: Flask) -> None:
    tablet = app.test_client()
    url = opened(tablet, "review")
    doctor = clinician(app)
    assert decide(doctor, url, "no_procedure", "INR too high today.").status_code == 302
    assert tablet.get("/kiosk/next").location == "/kiosk/wait"
    assert "Stopped: no procedure today" in text(page(doctor, url))
    assert tablet.get("/kiosk/consent").location == "/kiosk/wait"


# -- signatures after the patient's and the final record --------------------------------------


def test_practitioner_signs_last_and_only_then_the_record_and_packet_are_made(app: Flask) -> None:
    tablet = app.test_client()
    url = opened(tablet, "review", locale="es")
    doctor = clinician(app)
    assert (
        decide(doctor, url, "proceed", "Apixaban, last dose yesterday evening.").status_code == 302
    )
    assert sign(tablet, practitioner=False).location == "/kiosk/next"
    done = text(page(tablet, "/kiosk/done"))
    assert "también firmará" in done  # the patient is told the practitioner signs next
    store = svc(app).store
    cid = checkin_of(url)
    staff_page = text(page(doctor, url))
    assert "Awaiting the practitioner" in staff_page
    assert store.latest_submission(cid, CONSENT) is None and store.packet(cid) is None
    # A wrong PIN signs nothing.
    assert countersign(doctor, cid, pin="000000").status_code == 401
    assert store.latest_submission(cid, SIGNATURE) is None
    # The interpreter, then a witness, then the practitioner.
    form = page(doctor, f"{url}/sign/interpreter")
    assert "I put this form and the talk about it into the language below" in text(form)
    assert "In the patient's language" in text(form)  # and in the patient's words too:
    assert "Interpreté este formulario y la conversación sobre él al idioma indicado" in text(form)
    assert (
        countersign(
            doctor,
            cid,
            "interpreter",
            name="Rosa Intérprete",
            language="Spanish",
            interpreter_id="ID 4411",
        ).status_code
        == 302
    )
    add_account(app, DESK, "front_desk", DESK_PIN)
    witness = app.test_client()
    assert staff_login(witness, DESK_PIN, DESK).status_code == 302
    assert countersign(witness, cid, "witness", pin=DESK_PIN).status_code == 302
    assert store.latest_submission(cid, CONSENT) is None  # still awaiting the practitioner
    assert countersign(doctor, cid).status_code == 302
    assert svc(app).packets.wait_idle(120)
    final = store.latest_submission(cid, CONSENT)
    assert final is not None and store.packet(cid) is not None
    record = ConsentRecord.from_dict(final.payload)
    roles = [s.role for s in record.signatures]
    assert roles == ["patient", "interpreter", "witness", "practitioner"]
    (interpreter,) = [s for s in record.signatures if s.role == "interpreter"]
    assert (interpreter.printed_name, interpreter.language) == ("Rosa Intérprete", "Spanish")
    assert record.review is not None and record.review.clinician == "Casey Clinician, MD"
    assert record.review.note == "Apixaban, last dose yesterday evening."
    assert record.certification is not None
    signed = {e.detail["role"]: e.at for e in record.audit if e.event == "signed"}
    assert signed == {s.role: s.signed_at for s in record.signatures}  # each its own time
    times = [e.at for e in record.audit]
    assert times == sorted(times)
    kinds = [e.kind for e in store.events(cid)]
    assert kinds.index("packet_generated") > kinds.index("record_made")
    assert kinds.count("signed") == 4
    # Once final, nobody else signs.
    assert doctor.get(f"{url}/sign/witness").location == url


def test_the_patients_signing_is_stored_as_given_before_the_practitioner(app: Flask) -> None:
    tablet = app.test_client()
    url = opened(tablet, "clear")
    sign(tablet, practitioner=False)
    signing = svc(app).store.latest_submission(checkin_of(url), PATIENT_SIGNING)
    assert signing is not None
    assert [s["role"] for s in signing.payload["signatures"]] == ["patient"]
    assert signing.payload["consent"]["content_hash"] == signing.result["consent_hash"]


# -- the schema ------------------------------------------------------------------------------


def test_schema_upgrade_keeps_the_data_and_adds_the_review_tables(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    conn = connect(folder / store_module.DATABASE_NAME)
    migrate(conn, target=SCHEMA_VERSION - 1)
    conn.execute(
        "INSERT INTO checkins VALUES ('c_v4_0123456789abcdefghij', '2026-01-01T00:00:00+00:00', "
        "'staff', '{}')"
    )
    conn.close()
    store = KioskStore(folder)
    try:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.checkin("c_v4_0123456789abcdefghij") is not None
        assert decisions(store, "c_v4_0123456789abcdefghij") == []
        triggers = {
            row[0]
            for row in store._conn().execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            )
        }
        for table in ("review_decisions", "certifications"):
            assert {f"{table}_no_update", f"{table}_no_delete"} <= triggers
    finally:
        store.close()


def test_a_record_that_would_be_refused_stores_no_practitioner_signature(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tpi_forms.errors import RecordError
    from tpi_forms.kiosk import signing

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RecordError("refused")

    tablet = app.test_client()
    url = opened(tablet, "clear")
    sign(tablet, practitioner=False)
    monkeypatch.setattr(signing, "build_record", refuse)
    doctor = clinician(app)
    assert countersign(doctor, checkin_of(url)).status_code == 409
    store = svc(app).store
    assert store.latest_submission(checkin_of(url), SIGNATURE) is None
    assert store.latest_submission(checkin_of(url), CONSENT) is None
    assert "Awaiting the practitioner" in text(page(doctor, url))


def test_sections_viewed_are_recorded_when_seen(app: Flask) -> None:
    tablet = app.test_client()
    url = opened(tablet, "clear")
    form = page(tablet, "/kiosk/consent")
    assert 'data-kiosk-viewed-url="/kiosk/consent/viewed"' in form
    token = csrf(form)
    for section in ("summary", "summary", "no_such_section", "risks"):
        answer = tablet.post(
            "/kiosk/consent/viewed", data={"csrf_token": token, "section": section}
        )
        assert answer.status_code == 204
    store = svc(app).store
    seen = store.events(checkin_of(url), kinds=["section_viewed"])
    assert [e.detail["section"] for e in seen] == ["summary", "risks"]  # once each, known only
    data = MultiDict(consent_data(form))
    for name, value in (("script", "1"), ("sections", "summary risks"), ("reached_end", "1")):
        data[f"review-{name}"] = value
    data["review-seconds"] = "95"
    assert tablet.post("/kiosk/consent", data=data).location == "/kiosk/next"
    assert countersign(clinician(app), checkin_of(url)).status_code == 302
    final = store.latest_submission(checkin_of(url), CONSENT)
    assert final is not None
    record = ConsentRecord.from_dict(final.payload)
    read = {e.detail["section"]: e.at for e in record.audit if e.event == "section_viewed"}
    assert read == {e.detail["section"]: e.at for e in seen}  # at the time each was seen
    (patient,) = [s for s in record.signatures if s.role == "patient"]
    assert all(at <= patient.signed_at for at in read.values())
    assert not [e for e in record.audit if e.event == "kiosk_section_viewed"]
    # once signed, the page's late reports store nothing
    tablet.post("/kiosk/consent/viewed", data={"csrf_token": token, "section": "summary"})
    assert len(store.events(checkin_of(url), kinds=["section_viewed"])) == 2


def test_a_reviewed_kiosk_packet_verifies_and_prints_the_decision(app: Flask) -> None:
    from tpi_forms.verify.packet import verify_packet

    tablet = app.test_client()
    url = opened(tablet, "review")
    doctor = clinician(app)
    note = "Apixaban, last dose yesterday evening: go ahead."
    assert decide(doctor, url, "proceed", note).status_code == 302
    assert sign(tablet, practitioner=False).location == "/kiosk/next"
    assert countersign(doctor, checkin_of(url)).status_code == 302
    assert svc(app).packets.wait_idle(120)
    data = svc(app).store.read_packet(checkin_of(url))
    assert data is not None
    seal = svc(app).seal
    roots = [seal.cert_pem] if seal is not None else None
    result = verify_packet(data, trust_roots=roots)
    assert result.ok, [c for c in result.checks if not c.passed]
    import io

    import pypdf

    printed = " ".join(
        " ".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(data)).pages).split()
    )
    assert note in printed and "Casey Clinician, MD" in printed


def test_review_page_in_the_staff_members_own_language(app: Flask) -> None:
    tablet = app.test_client()
    url = opened(tablet, "review")  # the patient answered in English
    review = text(page(clinician(app), f"{url}/review?lang=es"))
    assert "Revisión de las respuestas" in review and "Seguir con cambios" in review
    assert "¿Toma una medicina para la sangre? Sí" in review  # the answers in Spanish
    assert "Do you take a blood thinner?" not in review
