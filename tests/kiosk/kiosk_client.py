"""Helpers that drive the kiosk like a browser without JavaScript: read forms, post answers."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

from werkzeug.datastructures import MultiDict

from tpi_forms.definitions.quiz import load_quiz
from tpi_forms.screening.scenarios import example_answers
from tpi_forms.web.forms import to_formdata

PIN = "246810"
"""The PIN of the test clinician account."""
CLINICIAN = "Casey Clinician"
CREDENTIALS = "MD"
OPTION = re.compile(r'<option\b[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', re.I)
INPUT = re.compile(r"<input\b[^>]*>", re.I | re.S)
ATTR = re.compile(r'([a-zA-Z_:-]+)="([^"]*)"')


def inputs(page: str) -> list[dict[str, str]]:
    """Every ``<input>`` of a page, as attribute dicts (values unescaped)."""
    return [{k: html.unescape(v) for k, v in ATTR.findall(tag)} for tag in INPUT.findall(page)]


def hidden(page: str, name: str) -> str:
    """The value of the first hidden input named ``name``."""
    for attrs in inputs(page):
        if attrs.get("name") == name and attrs.get("type") == "hidden":
            return attrs.get("value", "")
    raise AssertionError(f"no hidden input {name!r} on the page")


def csrf(page: str) -> str:
    return hidden(page, "csrf_token")


def screening_data(page: str, answers: Mapping[str, Any] | None = None) -> list[tuple[str, str]]:
    """The posted screening form: tokens from the page plus the given (or example) answers."""
    answers = answers if answers is not None else example_answers("clear")
    return [
        ("csrf_token", csrf(page)),
        ("submission_token", hidden(page, "submission_token")),
        *to_formdata(answers),
    ]


def consent_data(page: str, name: str = "Alex Example") -> list[tuple[str, str]]:
    """The posted consent form: every risk ticked, e-sign consent, a typed signature."""
    risks = sorted({a["name"] for a in inputs(page) if a.get("name", "").startswith("risk-")})
    pairs: Iterable[tuple[str, str]] = [
        ("csrf_token", csrf(page)),
        ("submission_token", hidden(page, "submission_token")),
        ("consent_hash", hidden(page, "consent_hash")),
        *((r, "yes") for r in risks),
        ("esign_consent", "yes"),
        ("patient-signer", "patient"),
        ("patient-printed_name", name),
        ("patient-method", "typed"),
        ("patient-intent", "yes"),
    ]
    return list(pairs)


# -- driving a Flask test client -----------------------------------------------------------------


def page(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return str(response.get_data(as_text=True))


def accounts_offered(page: str) -> dict[str, str]:
    """The log-in page's account choices: shown name → account id (the placeholder left out)."""
    return {html.unescape(label): html.unescape(v) for v, label in OPTION.findall(page) if v}


def staff_login(client: Any, pin: str = PIN, name: str = CLINICIAN, **request: Any) -> Any:
    """Log in as the account whose shown name starts with ``name`` (with the set-up PIN while
    the log-in page offers no account)."""
    login = client.get("/staff/login", **request).get_data(as_text=True)  # 429 while locked out
    data = {"csrf_token": csrf(login), "pin": pin}
    offered = accounts_offered(login)
    if offered:
        (data["account"],) = [uid for label, uid in offered.items() if label.startswith(name)]
    return client.post("/staff/login", data=data, **request)


def open_checkin(
    client: Any,
    name: str = "Alex Example",
    dob: str = "1980-04-12",
    locale: str = "en",
    sites: Iterable[str] = (),
) -> str:
    """Open a check-in as staff (logged in); returns its staff page URL."""
    form = page(client, "/staff/checkins/new")
    data = [
        ("csrf_token", csrf(form)),
        ("name", name),
        ("date_of_birth", dob),
        ("local_anesthetic", "lidocaine"),
        ("locale", locale),
    ]
    data += [("sites", s) for s in sites]
    response = client.post("/staff/checkins/new", data=MultiDict(data))
    assert response.status_code == 302, response.get_data(as_text=True)
    return str(response.location)


def handover(client: Any, checkin_url: str) -> Any:
    return client.post(
        f"{checkin_url}/handover", data={"csrf_token": csrf(page(client, checkin_url))}
    )


def submit_screening(
    client: Any, answers: Mapping[str, Any] | None = None, *, certify: bool = True
) -> Any:
    """Post the screening; when it is stored, also tick "these answers are true" on the
    certification page (``certify``). Returns the screening post's response."""
    form = page(client, "/kiosk/screening")
    response = client.post("/kiosk/screening", data=MultiDict(screening_data(form, answers)))
    if certify and response.status_code == 302:
        certify_answers(client)
    return response


PART = re.compile(r"/kiosk/consent/part/(\d+)$")
CHOICE = re.compile(r'name="choice" value="([^"]+)"')


def read_parts(client: Any, wrong: Mapping[str, int] | None = None) -> None:
    """Go through the paged consent from where it is to its signing page, as a patient does:
    next on each section, the large control on each group of risks, the right answer to each
    quiz question (after ``wrong[question]`` wrong ones: 1 is a second try, 2 a miss)."""
    wrong = dict(wrong or {})
    response = client.get("/kiosk/consent")
    for _ in range(100):
        found = PART.search(response.location or "") if response.status_code == 302 else None
        if found is None:
            return
        url = found.group(0)
        text = page(client, url)
        data: dict[str, str] = {"csrf_token": csrf(text)}
        if 'data-tpi-consent-part="quiz"' in text:
            data["attempt"] = hidden(text, "attempt")
            question = re.search(r'data-tpi-part-id="([^"]+)"', text)
            assert question is not None
            choices = CHOICE.findall(text)
            right = next(c for c in choices if c == QUIZ_ANSWERS[question.group(1)])
            if wrong.get(question.group(1), 0) > 0:
                wrong[question.group(1)] -= 1
                data["choice"] = next(c for c in choices if c != right)
            else:
                data["choice"] = right
        elif 'data-tpi-consent-part="risks"' in text:
            data["go"] = "ack"
        else:
            data["go"] = "next"
        response = client.post(url, data=data)
        if response.status_code == 302 and response.location.endswith("/kiosk/consent"):
            return
    raise AssertionError("the consent parts never ended")


QUIZ_ANSWERS = {q.id: q.answer for q in load_quiz().questions}


def certify_answers(client: Any, tick: bool = True) -> Any:
    """Post the certification page (the box ticked or not), when the tablet is on it."""
    check = client.get("/kiosk/check")
    if check.status_code != 200:
        return check
    data = {"csrf_token": csrf(check.get_data(as_text=True))}
    if tick:
        data["answers_true"] = "yes"
    return client.post("/kiosk/check", data=data)


def sign(
    client: Any,
    name: str = "Alex Example",
    *,
    practitioner: bool = True,
    fields: dict[str, str] | None = None,
) -> Any:
    """The patient signs on the tablet (``fields`` changes what is posted, e.g. who signs);
    then (``practitioner``) the practitioner signs from a staff client of their own, which makes
    the record final. Returns the patient's response."""
    read_parts(client)
    form = page(client, "/kiosk/consent")
    data = dict(consent_data(form, name))
    data.update(fields or {})
    response = client.post("/kiosk/consent", data=MultiDict(list(data.items())))
    if practitioner and response.status_code == 302:
        checkin_id = awaiting_checkin(client.application)
        if checkin_id is not None:
            staff = client.application.test_client()
            assert staff_login(staff).status_code == 302
            assert countersign(staff, checkin_id).status_code == 302
    return response


def awaiting_checkin(app: Any) -> str | None:
    """The check-in signed by its patient most recently that awaits the practitioner."""
    from tpi_forms.kiosk.state import checkin_state

    store = app.extensions["tpi_kiosk"].store
    waiting = [checkin_state(store, c) for c in store.checkins()]
    waiting = [s for s in waiting if s.awaiting_practitioner]
    return waiting[0].checkin.id if waiting else None


def countersign(
    client: Any, checkin_id: str, role: str = "practitioner", pin: str = PIN, **fields: str
) -> Any:
    """Sign as ``role`` from a logged-in staff client (the PIN for practitioner and witness;
    ``fields`` name, language, interpreter_id for an interpreter)."""
    url = f"/staff/checkins/{checkin_id}/sign/{role}"
    form = page(client, url)
    data = {
        "csrf_token": csrf(form),
        "submission_token": hidden(form, "submission_token"),
        "intent": "y",
        **fields,
    }
    if role != "interpreter":
        data["pin"] = pin
    return client.post(url, data=data)
