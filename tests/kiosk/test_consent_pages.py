"""The consent read part by part on the tablet, through the Flask test client (no JavaScript):
a screen a group of risks with the sections before it, one tap acknowledging the group and
turning the page, every group acknowledged server-side, time on each screen and section
recorded, the understanding check recorded and flagged to staff, the quiz turned off, the text
size kept."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from tpi_forms.definitions.quiz import load_quiz

from .conftest import close_logs, make_app, svc
from .kiosk_client import (
    awaiting_checkin,
    consent_data,
    countersign,
    csrf,
    handover,
    open_checkin,
    page,
    read_parts,
    sign,
    staff_login,
    submit_screening,
)

NAME = "Alex Example"
PART = re.compile(r"/kiosk/consent/part/(\d+)$")
TOTAL = 5
"""Parts of the clear check-in's consent (no steroid): 2 groups of risks (the opening and the 11
sections shared out over them), 3 quiz questions."""


@pytest.fixture
def paged(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path / "data", consent_layout="paged")
    yield app
    svc(app).close()
    close_logs()


def to_consent(app: Flask, sites: tuple[str, ...] = ()) -> tuple[FlaskClient, str]:
    """A check-in handed to the tablet with its clear screening sent; (client, staff URL)."""
    client = app.test_client()
    assert staff_login(client).status_code == 302
    url = open_checkin(client, NAME, "1980-04-12", sites=sites)
    assert handover(client, url).location == "/kiosk/next"
    assert submit_screening(client).location == "/kiosk/next"
    return client, url


def events(app: Flask, kind: str) -> list[dict[str, object]]:
    (checkin,) = svc(app).store.checkins()
    return [dict(e.detail) for e in svc(app).store.events(checkin.id, kinds=(kind,))]


def test_the_consent_opens_on_part_one_and_signs_after_every_part(paged: Flask) -> None:
    client, _ = to_consent(paged)
    response = client.get("/kiosk/consent")
    found = PART.search(response.location)
    assert response.status_code == 302 and found is not None and found.group(1) == "1"
    first = page(client, "/kiosk/consent/part/1")
    assert f"Part 1 of {TOTAL}" in first and 'data-tpi-consent-part="risks"' in first
    assert 'data-tpi-section="summary"' in first and 'data-tpi-part-id="minor"' in first
    assert first.count("data-tpi-part-next") == 1 and 'name="go" value="ack"' in first
    assert 'name="go" value="back"' not in first  # nothing before the first part
    read_parts(client)
    signing = page(client, "/kiosk/consent")
    assert "data-tpi-consent-sign" in signing and 'name="risk-' not in signing
    response = client.post("/kiosk/consent", data=MultiDict(consent_data(signing, NAME)))
    assert response.status_code == 302 and response.location == "/kiosk/next"
    waiting = awaiting_checkin(paged)  # the practitioner signs last, from the staff page
    assert waiting is not None
    staff = paged.test_client()
    assert staff_login(staff).status_code == 302
    assert countersign(staff, waiting).status_code == 302
    assert svc(paged).packets.wait_idle(120)
    (checkin,) = svc(paged).store.checkins()
    (consent,) = [s for s in svc(paged).store.submissions(checkin.id) if s.kind == "consent"]
    record = consent.payload
    audit = {e["event"]: e for e in record["audit"]}
    acked = audit["risks_acknowledged"]["detail"]
    assert acked["count"] == len(record["consent"]["risks"])
    read = [e["detail"]["section"] for e in record["audit"] if e["event"] == "section_viewed"]
    assert read[0] == "summary" and "refusal" in read and read[-1] == "risks"
    sections = [e["section"] for e in events(paged, "consent_section_read")]
    assert sections == ["summary", *(s["id"] for s in record["consent"]["sections"])]
    groups = events(paged, "consent_risks_read")
    assert [g["group"] for g in groups] == [g["id"] for g in record["consent"]["risk_groups"]]
    assert all(isinstance(g["seconds"], int) and g["acknowledged"] == "yes" for g in groups)
    assert len(groups) == TOTAL - 3  # one acknowledgement a group, one tap each
    kinds = [e["event"] for e in record["audit"]]
    assert "kiosk_consent_section_read" in kinds and "kiosk_quiz_answered" in kinds
    data = svc(paged).store.read_packet(checkin.id)
    assert data is not None
    printed = " ".join(
        " ".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(data)).pages).split()
    )
    # The record keeps ids; the packet prints words.
    assert "Consent part read: Your right to say no, for" in printed
    assert "Risks read: Rare but serious risks, for" in printed
    assert "Understanding check: what to do if short of breath: right" in printed
    assert "refusal" not in printed and "short_of_breath" not in printed


def test_signing_before_every_group_is_acknowledged_is_refused(paged: Flask) -> None:
    client, _ = to_consent(paged)
    first = page(client, "/kiosk/consent/part/1")
    # A forged signing post with every risk ticked: the server kept no acknowledgement.
    forged = [
        ("csrf_token", csrf(first)),
        ("submission_token", "a" * 32),
        ("consent_hash", "x"),
        *(("risk-" + r, "yes") for r in ("soreness", "bruising", "pneumothorax")),
        ("esign_consent", "yes"),
        ("patient-signer", "patient"),
        ("patient-printed_name", NAME),
        ("patient-method", "typed"),
        ("patient-intent", "yes"),
    ]
    response = client.post("/kiosk/consent", data=MultiDict(forged))
    assert response.status_code == 302 and response.location == "/kiosk/consent"
    (checkin,) = svc(paged).store.checkins()
    assert [s.kind for s in svc(paged).store.submissions(checkin.id)] == ["screening"]
    # Reading every part but going back past one group without acknowledging it: still refused.
    read_parts(client)
    total = TOTAL
    serious = next(
        n
        for n in range(1, total + 1)
        if 'data-tpi-part-id="serious"' in page(client, f"/kiosk/consent/part/{n}")
    )
    assert client.get("/kiosk/consent").status_code == 200
    text = page(client, f"/kiosk/consent/part/{serious}")
    assert "You told us you read about these risks." in text


def test_one_tap_acknowledges_the_group_and_turns_the_page(paged: Flask) -> None:
    client, _ = to_consent(paged)
    text = page(client, "/kiosk/consent/part/1")
    sections = re.findall(r'data-tpi-section="([^"]+)"', text)
    assert sections[0] == "summary" and len(sections) > 1
    tap = {"csrf_token": csrf(text), "go": "ack", "seconds-summary": "99999", "seconds-x": "3"}
    response = client.post("/kiosk/consent/part/1", data=tap)
    assert response.location.endswith("/part/2")  # one tap: acknowledged, and on
    (group,) = events(paged, "consent_risks_read")
    assert group["group"] == "minor" and group["acknowledged"] == "yes"
    read = events(paged, "consent_section_read")
    assert [r["section"] for r in read] == sections  # every section of the screen, in order
    assert read[0]["seconds"] == group["seconds"]  # never more than the screen's own time
    assert all("seconds" not in r for r in read[1:])  # no page script: not recorded
    text = page(client, "/kiosk/consent/part/2")
    assert 'name="go" value="back"' in text and 'data-tpi-part-id="serious"' in text
    back = client.post("/kiosk/consent/part/2", data={"csrf_token": csrf(text), "go": "back"})
    assert back.location.endswith("/kiosk/consent/part/1")
    groups = events(paged, "consent_risks_read")
    assert [(g["group"], g["acknowledged"]) for g in groups] == [
        ("minor", "yes"),
        ("serious", "no"),
    ]
    again = page(client, "/kiosk/consent/part/1")
    assert "You told us you read about these risks." in again
    assert first_unread(client) == 2  # the group left by back is still to acknowledge


def first_unread(client: FlaskClient) -> int:
    response = client.get("/kiosk/consent")
    found = PART.search(response.location or "")
    assert found is not None
    return int(found.group(1))


def test_text_size_is_kept_for_the_check_in(paged: Flask) -> None:
    client, _ = to_consent(paged)
    text = page(client, "/kiosk/consent/part/1")
    assert 'class="tpi-kiosk-page tpi-consent-pages tpi-text-normal"' in text
    response = client.post(
        "/kiosk/consent/size/1", data={"csrf_token": csrf(text), "size": "xlarge"}
    )
    assert response.location.endswith("/kiosk/consent/part/1")
    assert "tpi-text-xlarge" in page(client, "/kiosk/consent/part/1")
    assert (
        client.post(
            "/kiosk/consent/part/1", data={"csrf_token": csrf(text), "go": "next"}
        ).status_code
        == 302
    )
    second = page(client, "/kiosk/consent/part/2")
    assert (
        "tpi-text-xlarge" in second
        and 'value="xlarge" data-tpi-text-size="xlarge" aria-pressed="true"' in second
    )
    bad = client.post("/kiosk/consent/size/1", data={"csrf_token": csrf(text), "size": "huge"})
    assert bad.status_code == 400


def test_highlights_say_why_for_this_plan(paged: Flask) -> None:
    client, _ = to_consent(paged, sites=("neck", "upper_back"))
    for n in range(1, TOTAL + 1):
        text = page(client, f"/kiosk/consent/part/{n}")
        if 'data-tpi-part-id="serious"' in text:
            break
    assert 'data-tpi-risk="pneumothorax"' in text and "This matters more for you" in text
    assert "near the top of a lung" in text  # the neck rule of tpi_highlights.toml
    assert "Your shots may be near your lungs" in text  # the consent's own plan highlight


def test_a_quiz_question_wrong_twice_is_recorded_and_flagged_to_staff(paged: Flask) -> None:
    client, url = to_consent(paged)
    read_parts(client, wrong={"short_of_breath": 2, "say_no": 1})
    answered = events(paged, "quiz_answered")
    by_question = {(a["question"], a["try"]): a["result"] for a in answered}
    assert by_question[("say_no", 1)] == "wrong" and by_question[("say_no", 2)] == "right"
    assert by_question[("short_of_breath", 2)] == "wrong"
    assert events(paged, "quiz_missed") == [{"question": "short_of_breath"}]
    desk = paged.test_client()
    assert staff_login(desk).status_code == 302
    staff = page(desk, url)
    assert (
        "Did not answer &#39;what to do if short of breath&#39; correctly. Please go over it"
        in staff
    )
    assert "short_of_breath" not in re.sub(r"<[^>]+>", "", staff)  # words, never the id
    assert "can you say no" not in staff.split('id="kiosk-quiz-flags"')[1].split("</ul>")[0]
    spanish = page(desk, url + "?lang=es")
    assert "No contestó bien &#39;qué hacer si le falta el aire&#39;" in spanish
    # The audit trail on the staff screen names the parts in the page's language.
    assert "Consent part read: Your right to say no, for" in staff
    assert "Risks read: Rare but serious risks, for" in staff
    assert "Parte del consentimiento leída: Su derecho a decir que no, durante" in spanish
    assert sign(client).location == "/kiosk/next"


def test_feedback_after_a_wrong_answer_gives_the_right_one_and_a_link_back(paged: Flask) -> None:
    client, _ = to_consent(paged)
    quiz = load_quiz()
    first_quiz = TOTAL - 2
    for n in range(1, first_quiz):
        text = page(client, f"/kiosk/consent/part/{n}")
        go = "ack" if 'data-tpi-consent-part="risks"' in text else "next"
        client.post(f"/kiosk/consent/part/{n}", data={"csrf_token": csrf(text), "go": go})
    text = page(client, f"/kiosk/consent/part/{first_quiz}")
    assert quiz.question("say_no").text.get("en") in text
    tap = {"csrf_token": csrf(text), "choice": "never", "attempt": "0"}
    wrong = client.post(f"/kiosk/consent/part/{first_quiz}", data=tap)
    assert wrong.location.endswith(f"/kiosk/consent/part/{first_quiz}")  # a second try
    again_tap = client.post(f"/kiosk/consent/part/{first_quiz}", data=tap)  # a double tap
    assert again_tap.location.endswith(f"/kiosk/consent/part/{first_quiz}")
    assert [a["try"] for a in events(paged, "quiz_answered")] == [1]  # not a second try
    again = page(client, f"/kiosk/consent/part/{first_quiz}")
    assert 'data-tpi-feedback="wrong"' in again and "Not quite." in again
    assert "The right answer is: Yes, at any time, even after I sign" in again
    refusal = re.search(
        r'href="(/kiosk/consent/part/(\d+))#tpi-section-refusal" data-tpi-read-again', again
    )
    assert refusal is not None
    assert 'id="tpi-section-refusal"' in page(client, refusal.group(1))
    assert 'name="choice" value="any_time"' in again
    assert 'name="attempt" value="1"' in again
    right = client.post(
        f"/kiosk/consent/part/{first_quiz}",
        data={"csrf_token": csrf(again), "choice": "any_time", "attempt": "1"},
    )
    assert right.location.endswith(f"/kiosk/consent/part/{first_quiz + 1}")
    following = page(client, f"/kiosk/consent/part/{first_quiz + 1}")
    assert 'data-tpi-feedback="right"' in following and "That is right." in following
    assert events(paged, "quiz_missed") == []


def test_quiz_turned_off_signs_without_it(tmp_path: Path) -> None:
    app = make_app(tmp_path / "data", consent_layout="paged", consent_quiz=False)
    try:
        client, url = to_consent(app)
        assert f"Part 1 of {TOTAL - 3}" in page(client, "/kiosk/consent/part/1")
        assert sign(client).location == "/kiosk/next"
        assert events(app, "quiz_answered") == []
        desk = app.test_client()
        assert staff_login(desk).status_code == 302
        assert 'id="kiosk-quiz-flags"' not in page(desk, url)
    finally:
        svc(app).close()
        close_logs()


def test_the_one_page_layout_is_still_there(tmp_path: Path) -> None:
    app = make_app(tmp_path / "data", consent_layout="single")
    try:
        client, _ = to_consent(app)
        text = page(client, "/kiosk/consent")
        assert "data-tpi-consent-text" in text and 'name="risk-soreness"' in text
        assert client.get("/kiosk/consent/part/1").location == "/kiosk/next"
    finally:
        svc(app).close()
        close_logs()


def test_command_line_options_set_the_layout_and_the_quiz() -> None:
    import argparse

    from tpi_forms.cli._patient_options import add_patient_arguments, patient_settings

    parser = argparse.ArgumentParser()
    add_patient_arguments(parser)
    assert patient_settings(parser.parse_args([])) == {
        "self_checkin": True,
        "consent_layout": "paged",
        "consent_quiz": True,
    }
    chosen = parser.parse_args(["--consent-layout", "single", "--no-consent-quiz"])
    assert patient_settings(chosen)["consent_layout"] == "single"
    assert patient_settings(chosen)["consent_quiz"] is False
    with pytest.raises(SystemExit):
        parser.parse_args(["--consent-layout", "scroll"])


def test_an_unknown_layout_is_refused_in_one_line(tmp_path: Path) -> None:
    from tpi_forms.errors import TpiFormsError
    from tpi_forms.kiosk.config import KioskConfig

    with pytest.raises(TpiFormsError, match="consent layout 'scroll' is not one of: paged, single"):
        KioskConfig(data_dir=tmp_path, consent_layout="scroll")


def test_the_text_size_belongs_to_one_check_in(paged: Flask) -> None:
    client, _ = to_consent(paged)
    text = page(client, "/kiosk/consent/part/1")
    client.post("/kiosk/consent/size/1", data={"csrf_token": csrf(text), "size": "large"})
    assert "tpi-text-large" in page(client, "/kiosk/consent/part/1")
    # Staff take the tablet back and hand it over with the next patient's check-in.
    assert staff_login(client).status_code == 302
    url = open_checkin(client, "Sam Next", "1975-01-02")
    assert handover(client, url).location == "/kiosk/next"
    assert submit_screening(client).location == "/kiosk/next"
    assert "tpi-text-normal" in page(client, "/kiosk/consent/part/1")


def test_the_parts_speak_the_patients_language(paged: Flask) -> None:
    client = paged.test_client()
    assert staff_login(client).status_code == 302
    url = open_checkin(client, "Ana Ruiz", "1980-04-12", locale="es")
    assert handover(client, url).location == "/kiosk/next"
    assert submit_screening(client).location == "/kiosk/next"
    first = page(client, "/kiosk/consent/part/1")
    assert f"Parte 1 de {TOTAL}" in first and "Tamaño del texto" in first and "Muy grande" in first
    assert 'lang="es"' in first and ">Entiendo estos riesgos — siguiente<" in first
    assert ">Next<" not in first and "I understand" not in first
    read_parts(client)
    quiz = page(client, f"/kiosk/consent/part/{TOTAL}")
    assert "¿Qué debe hacer si le falta el aire después de la inyección?" in quiz
    signing = page(client, "/kiosk/consent")
    assert "Usted leyó todas las partes. Ahora, por favor, firme." in signing
    assert "Correcto." in signing  # the feedback on the last answer
