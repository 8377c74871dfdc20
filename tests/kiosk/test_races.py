"""Staff actions and signing race: the state is decided in one write transaction, never both."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from tpi_forms.kiosk import staff
from tpi_forms.kiosk.state import PATIENT_SIGNING, checkin_state

from .conftest import close_logs, make_app, svc
from .kiosk_client import (
    certify_answers,
    consent_data,
    csrf,
    handover,
    open_checkin,
    page,
    staff_login,
)

RACES = 10


def slow_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """A staff request that takes its time between reading the state and writing its event."""
    read = checkin_state  # what staff.checkin_state is until patched

    def slow(*args: Any, **kwargs: Any) -> Any:
        state = read(*args, **kwargs)
        time.sleep(0.05)
        return state

    monkeypatch.setattr(staff, "checkin_state", slow)


def test_stop_and_sign_at_once_give_stopped_or_signed_never_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17, attack 6: a staff "stop" landed after the patient's signature."""
    slow_reads(monkeypatch)
    app = make_app(tmp_path / "data", packet_workers=0)
    rng = random.Random(17)
    outcomes: dict[str, int] = {"signed": 0, "stopped": 0}
    try:
        desk = app.test_client()
        staff_login(desk)
        for _ in range(RACES):
            tablet = app.test_client()
            staff_login(tablet)
            url = open_checkin(tablet)
            handover(tablet, url)
            tablet.post(
                "/kiosk/screening",
                data=MultiDict(_screening(tablet)),
            )
            certify_answers(tablet)
            signing = consent_data(page(tablet, "/kiosk/consent"))
            stop_form = {"csrf_token": csrf(page(desk, url))}
            answers = race(tablet, desk, url, signing, stop_form, rng.uniform(-0.3, 0.1))
            checkin_id = url.rsplit("/", 1)[1]
            store = svc(app).store
            signed = store.latest_submission(checkin_id, PATIENT_SIGNING) is not None
            kinds = [e.kind for e in store.events(checkin_id) if e.kind in ("signed", "stopped")]
            assert kinds in (["signed"], ["stopped"]), (kinds, answers)
            assert signed == (kinds == ["signed"])
            assert (answers["stop"] == 409) == signed, answers  # staff told it was too late
            outcomes[kinds[0]] += 1
    finally:
        svc(app).close()
        close_logs()
    assert outcomes["signed"] and outcomes["stopped"], outcomes  # both orders were raced


def race(tablet: Any, desk: Any, url: str, signing: Any, stop: Any, delay: float) -> dict[str, int]:
    """Post the signature and the staff stop together, the signature ``delay`` seconds later
    (earlier when negative); returns their status codes."""
    start = threading.Barrier(2)
    answers: dict[str, int] = {}

    def post_signature() -> None:
        start.wait()
        time.sleep(max(0.0, delay))
        answers["sign"] = tablet.post("/kiosk/consent", data=MultiDict(signing)).status_code

    def post_stop() -> None:
        start.wait()
        time.sleep(max(0.0, -delay))
        answers["stop"] = desk.post(f"{url}/stop", data=stop).status_code

    threads = [threading.Thread(target=post_signature), threading.Thread(target=post_stop)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def _screening(client: Any) -> Any:
    from .kiosk_client import screening_data

    return screening_data(page(client, "/kiosk/screening"))


def test_clear_is_refused_after_signing_and_before_screening(tmp_path: Path) -> None:
    app = make_app(tmp_path / "data", packet_workers=0)
    try:
        desk = app.test_client()
        staff_login(desk)
        url = open_checkin(desk)
        form = {"csrf_token": csrf(page(desk, url))}
        assert desk.post(f"{url}/clear", data=form).status_code == 409  # not screened yet
        checkin_id = url.rsplit("/", 1)[1]
        assert [e.kind for e in svc(app).store.events(checkin_id)] == ["opened"]
    finally:
        svc(app).close()
        close_logs()
