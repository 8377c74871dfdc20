"""The patient's own answers before the consent: shown in words, step by step, each step with a
"change" link back to it, and a box to tick, "these answers are true to the best of my knowledge".

Ticking it and sending stores the certification (`.review_store`) with an ``answers_certified``
event at that moment; signing the consent is refused without it (`.state.guard_may_sign`).
Until then the patient may change answers: the screening is sent again and screened again.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from ..errors import ConflictError
from ..record.review import answers_sha256
from .answers_words import answer_steps
from .patient import locale_of, with_checkin
from .review_store import record_certification
from .services import services
from .state import SCREENING, STEP_CERTIFY, CheckInState, guard_may_certify
from .text import kiosk_text

log = logging.getLogger("tpi_forms.kiosk")
blueprint = Blueprint("certify", __name__)
TICK = "answers_true"
"""The posted name of the box "these answers are true"."""


def _page(state: CheckInState, *, error: bool = False) -> tuple[str, int]:
    locale = locale_of(state)
    t = kiosk_text(locale)
    steps = answer_steps(state.answers or {}, locale, t["certify.not_answered"])
    page = render_template(
        "kiosk/certify.html",
        locale=locale,
        steps=[s for s in steps if s.rows],
        error=error,
        tick=TICK,
    )
    return page, 422 if error else 200


@blueprint.route("/kiosk/check", methods=["GET", "POST"])
@with_checkin(STEP_CERTIFY)
def check(state: CheckInState) -> Any:
    """The certification page; its form posts here."""
    if request.method == "GET":
        return _page(state)
    if state.step != STEP_CERTIFY:
        return redirect(url_for("patient.next_step"))
    if request.form.get(TICK) != "yes":
        return _page(state, error=True)
    svc = services()
    screening = svc.store.latest_submission(state.checkin.id, SCREENING)
    assert screening is not None  # the certify step comes after a screening
    statement = kiosk_text(locale_of(state))["certify.statement"]
    try:
        record_certification(
            svc.store,
            state.checkin.id,
            screening.token,
            statement=statement,
            answers_sha256=answers_sha256(screening.payload),
            device=svc.config.device_id,
            guard=guard_may_certify(state.checkin.id, screening.token),
            at=svc.now(),
        )
    except ConflictError:
        abort(409)
    log.info("answers certified")
    return redirect(url_for("patient.next_step"))


def change_url(step: int) -> str:
    """The screening page opened on ``step``, with the answers given."""
    return url_for("patient.screening", step=step)


@blueprint.app_context_processor
def certify_context() -> dict[str, Any]:
    return {"change_url": change_url}
