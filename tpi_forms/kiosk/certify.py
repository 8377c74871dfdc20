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

from ..consent.fields import RISKS_SECTION, SUMMARY_SECTION
from ..errors import ConflictError
from ..record.review import answers_sha256
from . import flow
from .answers_words import answer_steps
from .patient import current_state, locale_of, with_checkin
from .review_store import record_certification
from .services import services
from .state import SCREENING, STEP_CERTIFY, STEP_CONSENT, CheckInState, guard_may_certify
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


VIEWED = "section_viewed"
"""Event: the patient first saw a consent section on screen (detail: section, device)."""


@blueprint.post("/kiosk/consent/viewed")
def viewed() -> tuple[str, int]:
    """The consent page tells when a section is first on screen: a ``section_viewed`` event at
    that time, once per section (204; nothing stored for an unknown section or another step)."""
    state = current_state()
    section = request.form.get("section", "")
    if state is None or state.step != STEP_CONSENT or len(section) > 100:
        return "", 204
    svc = services()
    document = flow.consent_document(state, svc.clinic, locale_of(state))
    known = {SUMMARY_SECTION, RISKS_SECTION, *(s.id for s in document.sections)}
    if section not in known:
        return "", 204
    seen = svc.store.events(state.checkin.id, kinds=[VIEWED])
    if any(e.detail.get("section") == section for e in seen):
        return "", 204
    svc.store.add_event(
        state.checkin.id, VIEWED, {"section": section, "device": svc.config.device_id}
    )
    return "", 204


def change_url(step: int) -> str:
    """The screening page opened on ``step``, with the answers given."""
    return url_for("patient.screening", step=step)


@blueprint.app_context_processor
def certify_context() -> dict[str, Any]:
    return {"change_url": change_url}
