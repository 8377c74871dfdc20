"""Tablet pages: start screen, screening, waiting, consent and signing, done; then a clean slate.

The tablet's check-in lives only in its server-side session: no patient page takes a check-in
id from the URL, so a patient can reach nothing but their own check-in. Every change is a POST
followed by a redirect (no form is ever re-posted by the back button), every page is
``no-store``, and finishing or timing out wipes the session.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from ..definitions.questionnaire import load_questionnaire
from ..errors import ConflictError, ConsentFormError
from . import consent_pages, draft, flow, signing
from .security import KioskSession
from .services import services
from .state import (
    PATIENT_SIGNING,
    SCREENING,
    STEP_CERTIFY,
    STEP_CONSENT,
    STEP_DONE,
    STEP_SCREENING,
    STEP_STOPPED,
    STEP_WAIT,
    CheckInState,
    checkin_state,
    guard_first_screening,
)
from .store import TOKEN_PATTERN, new_token
from .text import PATIENT_KEY, page_locale, set_page_locale

log = logging.getLogger("tpi_forms.kiosk")
blueprint = Blueprint("patient", __name__)
F = TypeVar("F", bound=Callable[..., Any])

STEP_ENDPOINTS = {
    STEP_SCREENING: "patient.screening",
    STEP_CERTIFY: "certify.check",
    STEP_WAIT: "patient.wait",
    STEP_STOPPED: "patient.wait",
    STEP_CONSENT: "patient.consent",
    STEP_DONE: "patient.done",
}

CHANGING_KEY = "changing_answers"
"""Set in the session when a "change" link of the certification page opened the screening:
only then may the screening be sent again."""

_token_locks: dict[str, tuple[threading.Lock, int]] = {}
_token_guard = threading.Lock()


@contextmanager
def one_at_a_time(token: str) -> Iterator[None]:
    """Serialise requests carrying the same submission token (a double tap renders once)."""
    with _token_guard:
        lock, users = _token_locks.get(token, (threading.Lock(), 0))
        _token_locks[token] = (lock, users + 1)
    try:
        with lock:
            yield
    finally:
        with _token_guard:
            lock, users = _token_locks[token]
            if users <= 1:
                del _token_locks[token]
            else:
                _token_locks[token] = (lock, users - 1)


def current_state() -> CheckInState | None:
    """The state of the check-in bound to this tablet session, or None."""
    checkin_id = session.get("checkin")
    if not isinstance(checkin_id, str):
        return None
    store = services().store
    checkin = store.checkin(checkin_id)
    return None if checkin is None else checkin_state(store, checkin)


def with_checkin(*steps: str) -> Callable[[F], F]:
    """Run the view only when the tablet's check-in is at one of ``steps``; else go where it is."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            state = current_state()
            if state is None:
                return redirect(url_for("patient.start"))
            if state.step not in steps and request.method == "GET":
                return redirect(url_for(STEP_ENDPOINTS[state.step]))
            return view(state, *args, **kwargs)

        return cast(F, wrapper)

    return decorate


def submission_token() -> str:
    """The posted submission token, or 400 when missing or malformed."""
    token = request.form.get("submission_token", "")
    if not TOKEN_PATTERN.fullmatch(token):
        abort(400)
    return token


def locale_of(state: CheckInState) -> str:
    """The patient's language for this check-in."""
    return str(state.checkin.patient.get("locale") or "en")


@blueprint.get("/")
def start() -> Any:
    if current_state() is not None:
        return redirect(url_for("patient.next_step"))
    return render_template(
        "kiosk/start.html",
        self_checkin=services().config.self_checkin,
        expired=cast(KioskSession, session).expired,
    )


@blueprint.post("/kiosk/self")
def self_checkin() -> BaseResponse:
    svc = services()
    if not svc.config.self_checkin:
        abort(403)
    locale = request.form.get("locale") or page_locale()
    if locale not in flow.locales():
        abort(400)
    checkin = svc.store.create_checkin(
        {"name": None, "date_of_birth": None, "plan": None, "locale": locale}, mode="self"
    )
    kiosk = cast(KioskSession, session)
    kiosk.clear()
    kiosk["checkin"] = checkin.id
    set_page_locale(locale, PATIENT_KEY)
    kiosk.rotate()
    log.info("self check-in opened")
    return redirect(url_for("patient.next_step"))


@blueprint.get("/kiosk/next")
def next_step() -> BaseResponse:
    state = current_state()
    if state is None:
        return redirect(url_for("patient.start"))
    return redirect(url_for(STEP_ENDPOINTS[state.step]))


def already_done(token: str, state: CheckInState, kind: str, *steps: str) -> bool:
    """Whether this submission was stored before (a double tap or a retry) or its step is past.

    A token stored for another check-in or another kind of submission is refused (409).
    """
    earlier = services().store.submission(token)
    if earlier is not None:
        if earlier.checkin_id != state.checkin.id or earlier.kind != kind:
            abort(409)
        return True
    return state.step not in steps


@blueprint.route("/kiosk/screening", methods=["GET", "POST"])
@with_checkin(STEP_SCREENING, STEP_CERTIFY)
def screening(state: CheckInState) -> Any:
    svc = services()
    locale = locale_of(state)
    today = svc.today()
    if request.method == "GET":
        kept = draft.stored_draft(session.get(draft.SESSION_KEY), state.checkin.id)
        if state.step == STEP_CERTIFY:  # a "change" link of the certification page
            kept = draft.from_answers(state.answers or {}, state.checkin.id, request.args)
            session[CHANGING_KEY] = state.checkin.id
        form = flow.screening_form(
            locale,
            today,
            prefill=state.checkin.patient,
            draft=None if kept is None else kept.formdata(),
        )
        step = None if kept is None else kept.step
        return flow.render_screening(form, new_token(), locale=locale, draft_step=step)
    token = submission_token()
    with one_at_a_time(token):
        if already_done(token, state, SCREENING, STEP_SCREENING, STEP_CERTIFY):
            return redirect(url_for("patient.next_step"))
        if state.step == STEP_CERTIFY and session.get(CHANGING_KEY) != state.checkin.id:
            return redirect(url_for("patient.next_step"))  # answers change only by a change link
        form = flow.screening_form(locale, today)
        if not form.validate():
            return flow.render_screening(form, token, locale=locale), 422
        answers = form.answers()
        result = flow.screen_answers(answers, state.checkin.patient, locale, today)
        try:
            svc.store.submit(
                token,
                state.checkin.id,
                SCREENING,
                answers,
                result,
                event=("screened", {"status": result["status"]}),
                guard=guard_first_screening(state.checkin.id),
            )
        except ConflictError:
            abort(409)
    session.pop(draft.SESSION_KEY, None)
    session.pop(CHANGING_KEY, None)
    log.info("screening stored")
    return redirect(url_for("patient.next_step"))


@blueprint.post("/kiosk/screening/draft")
def screening_draft() -> tuple[str, int]:
    """Keep the answers in progress in the session (the page script posts them as they change).

    204 when kept or when there is nothing to keep them for (no check-in, or its screening is
    past); 413 when the draft is too large.
    """
    if request.content_length is None or request.content_length > draft.MAX_BYTES:
        abort(413)
    state = current_state()
    if state is None or state.step != STEP_SCREENING:
        return "", 204
    kept = draft.read_draft(request.form, load_questionnaire(), state.checkin.id)
    session[draft.SESSION_KEY] = kept.to_session()
    return "", 204


@blueprint.get("/kiosk/wait")
@with_checkin(STEP_WAIT, STEP_STOPPED)
def wait(state: CheckInState) -> str:
    return render_template(
        "kiosk/wait.html",
        locale=locale_of(state),
        refresh=services().config.wait_refresh_seconds,
    )


@blueprint.route("/kiosk/consent", methods=["GET", "POST"])
@with_checkin(STEP_CONSENT)
def consent(state: CheckInState) -> Any:
    svc = services()
    locale = locale_of(state)
    document = flow.consent_document(state, svc.clinic, locale)
    paged = consent_pages.paged()
    required = flow.required_signers(state)
    if request.method == "GET":
        if paged:
            return consent_pages.sign_page(state, document, new_token())
        return flow.render_consent(document, new_token(), locale=locale, required=required)
    token = submission_token()
    with one_at_a_time(token):
        if already_done(token, state, PATIENT_SIGNING, STEP_CONSENT):
            return redirect(url_for("patient.next_step"))
        now = svc.now()
        posted = (
            consent_pages.signing_form(state, document, request.form) if paged else request.form
        )
        if posted is None:  # a part not read yet: the server decides, not the form
            return redirect(url_for("patient.consent"))
        try:
            signing_data = flow.read_signing(posted, document, svc.config.device_id, now, required)
        except ConsentFormError as exc:
            if paged:
                page = consent_pages.sign_page(
                    state, document, token, values=request.form, errors=exc.errors
                )
            else:
                page = flow.render_consent(
                    document,
                    token,
                    locale=locale,
                    values=request.form,
                    errors=exc.errors,
                    required=required,
                )
            return page, 422
        try:
            signing.store_patient_signing(svc, state, document, token, signing_data)
        except ConflictError:
            abort(409)
    log.info("consent signed and stored")
    return redirect(url_for("patient.next_step"))


@blueprint.get("/kiosk/done")
@with_checkin(STEP_DONE)
def done(state: CheckInState) -> str:
    return render_template(
        "kiosk/done.html",
        locale=locale_of(state),
        copy_requested=state.copy_requested,
        awaiting_practitioner=state.awaiting_practitioner,
    )


@blueprint.post("/kiosk/copy")
@with_checkin(STEP_DONE)
def copy(state: CheckInState) -> BaseResponse:
    if state.step == STEP_DONE and not state.copy_requested:
        services().store.add_event(state.checkin.id, "copy_requested", {})
    return redirect(url_for("patient.next_step"))


def _wipe(event: str) -> BaseResponse:
    state = current_state()
    if state is not None:
        services().store.add_event(state.checkin.id, event, {})
    cast(KioskSession, session).wipe()
    return redirect(url_for("patient.start"))


@blueprint.post("/kiosk/finish")
def finish() -> BaseResponse:
    return _wipe("tablet_finished")


@blueprint.post("/kiosk/timeout")
def timeout() -> BaseResponse:
    return _wipe("tablet_timed_out")
