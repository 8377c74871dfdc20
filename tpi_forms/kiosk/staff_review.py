"""Staff pages of the consent process: the clinician's review and decision, and the signatures
after the patient's (practitioner, witness, interpreter).

The review page shows every answer in the staff page's language, whatever language the patient
used, each finding with the answers behind it and their follow-ups beside it. Only a clinician
account records a decision (others get 403 with a message saying so); the practitioner's
signature, also a clinician's, comes last and makes the record final (`.signing`).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from ..consent.document import ConsentDocument, build_consent
from ..definitions.questionnaire import load_questionnaire
from ..errors import ConflictError, RecordError
from ..i18n import format_list
from ..record.model import Signature
from ..record.review import ReviewDecision
from . import flow, signing
from .answers_words import answer_steps, finding_answers, follow_ups
from .review_store import NEEDS_REVIEW, record_decision
from .security import client_key
from .services import services
from .staff import current_user, staff_required
from .staff_review_forms import DecisionForm, SignForm
from .state import (
    PATIENT_SIGNING,
    SCREENING,
    SIGNATURE,
    CheckInState,
    checkin_state,
    guard_may_decide,
)
from .store import CheckIn, new_token
from .text import medicine_name, page_locale, page_words

log = logging.getLogger("tpi_forms.kiosk")
blueprint = Blueprint("staff_review", __name__, url_prefix="/staff/checkins")
DECIDERS = ("clinician",)
"""Roles that may decide on a screening and sign as the practitioner."""


def _state(checkin_id: str) -> CheckInState:
    svc = services()
    found: CheckIn | None = svc.store.checkin(checkin_id)
    if found is None:
        abort(404)
    return checkin_state(svc.store, found)


def staff_findings(state: CheckInState, locale: str) -> list[dict[str, Any]]:
    """The screening's findings in ``locale`` (screened again in that language, on the same day
    and plan), each with the answers behind it and their follow-ups, in words."""
    answers = state.answers or {}
    stored = state.screening or {}
    day = stored.get("as_of")
    today = dt.date.fromisoformat(day) if isinstance(day, str) else services().today()
    again = flow.screen_answers(answers, state.checkin.patient, locale, today)
    by_rule = {f["rule_id"]: f for f in again["findings"]}
    t = page_words()
    out = []
    for finding in stored.get("findings", ()):
        shown = by_rule.get(finding["rule_id"], finding)
        out.append(
            {
                "severity": finding["severity"],
                "rationale": shown["clinician_rationale"],
                "source": shown["source"],
                "answers": finding_answers(finding, answers, locale, t["review.not_answered"]),
            }
        )
    return out


def marked_questions(state: CheckInState) -> tuple[str, ...]:
    """The questions behind any finding, with their follow-ups."""
    triggers = [q for f in (state.screening or {}).get("findings", ()) for q in f.get("triggers")]
    return follow_ups(triggers)


def _review_page(state: CheckInState, form: DecisionForm, code: int = 200) -> tuple[str, int]:
    here = page_locale()
    t = page_words()
    user = current_user()
    page = render_template(
        "kiosk/staff_review.html",
        state=state,
        findings=staff_findings(state, here),
        steps=[
            s
            for s in answer_steps(
                state.answers or {}, here, t["review.not_answered"], marked=marked_questions(state)
            )
            if s.rows
        ],
        form=form,
        may_decide=user is not None and user.role in DECIDERS,
        decidable=state.needs_review and state.certified and not state.patient_signed,
    )
    return page, code


@blueprint.get("/<checkin_id>/review")
@staff_required
def review(checkin_id: str) -> Any:
    state = _state(checkin_id)
    if state.screening is None:
        return redirect(url_for("staff.checkin", checkin_id=checkin_id))
    token = services().store.latest_submission(checkin_id, SCREENING)
    assert token is not None
    form = DecisionForm(plan=dict(state.checkin.patient.get("plan") or {}))
    form.screening.data = token.token
    return _review_page(state, form)


@blueprint.post("/<checkin_id>/decision")
@staff_required
def decide(checkin_id: str) -> Any:
    user = current_user()
    assert user is not None
    if user.role not in DECIDERS:
        log.warning("staff role %s refused for a review decision", user.role)
        return refused_with(page_words()["review.clinician_only"])
    state = _state(checkin_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _review_page(state, form, 422)
    svc = services()
    token = str(form.screening.data or "")
    findings = [str(f["rule_id"]) for f in (state.screening or {}).get("findings", ())]
    changed = form.changed_plan()
    if changed is not None:  # findings the changed plan brings are decided on too
        day = svc.today()
        again = flow.screen_answers(state.answers or {}, {"plan": changed}, "en", day)
        findings += [f["rule_id"] for f in again["findings"] if f["rule_id"] not in findings]
    note = (form.note.data or "").strip()
    try:  # the record's own checks, now, so the decision cannot fail later at signing
        ReviewDecision(
            str(form.outcome.data),
            user.name,
            user.credentials or None,
            svc.now(),
            note=note,
            changed_procedure=None
            if changed is None
            else flow.planned_procedure({"plan": changed}),
            findings=tuple(findings),
            staff_account=user.id,
        )
    except RecordError:
        form.note.errors = [page_words()["review.note_bad"]]
        return _review_page(state, form, 422)
    try:
        record_decision(
            svc.store,
            checkin_id,
            token,
            outcome=str(form.outcome.data),
            note=note,
            changed_plan=changed,
            findings=findings,
            user=user,
            device=svc.config.device_id,
            guard=guard_may_decide(checkin_id, token),
            at=svc.now(),
        )
    except ConflictError:
        abort(409)
    log.info("review decision recorded (%s)", form.outcome.data)
    return redirect(url_for("staff.checkin", checkin_id=checkin_id))


def refused_with(text: str) -> tuple[str, int]:
    """The 403 page with ``text`` as its message."""
    t = page_words()
    page = render_template("kiosk/error.html", code=403, title=t["error.403.title"], text=text)
    return page, 403


def _document(state: CheckInState, locale: str) -> ConsentDocument:
    svc = services()
    plan = signing.plan_of(state.checkin.patient, state.decision)
    return build_consent(plan, svc.clinic, locale, answers=state.answers or {})


def meanings(state: CheckInState, role: str) -> dict[str, str]:
    """The role's title and meaning in the staff page's language and in the patient's."""
    here = page_locale()
    patient_locale = str(state.checkin.patient.get("locale") or here)
    staff_role = {r.id: r for r in _document(state, here).signer_roles}[role]
    out = {"title": staff_role.title, "meaning": staff_role.meaning}
    if patient_locale != here:
        theirs = {r.id: r for r in _document(state, patient_locale).signer_roles}[role]
        out |= {"patient_title": theirs.title, "patient_meaning": theirs.meaning}
    return out


def _sign_page(
    state: CheckInState, role: str, form: SignForm, code: int = 200, error: str | None = None
) -> Any:
    page = render_template(
        "kiosk/staff_sign.html",
        state=state,
        role=role,
        form=form,
        meaning=meanings(state, role),
        error=error,
    )
    return page, code


@blueprint.route("/<checkin_id>/sign/<role>", methods=["GET", "POST"])
@staff_required
def sign(checkin_id: str, role: str) -> Any:
    """A signature after the patient's: the practitioner's (a clinician's own, last), a
    witness's (their own account), an interpreter's (recorded by the staff member present)."""
    if role not in signing.COUNTERSIGNERS:
        abort(404)
    user = current_user()
    assert user is not None
    if role == signing.PRACTITIONER and user.role not in DECIDERS:
        return refused_with(page_words()["sign.clinician_only"])
    state = _state(checkin_id)
    if state.awaiting_practitioner and signing.PRACTITIONER in state.signed_roles:
        signing.finish(services(), checkin_id)  # stopped between the signature and the record
        return redirect(url_for("staff.checkin", checkin_id=checkin_id))
    if not state.awaiting_practitioner or role in state.signed_roles:
        return redirect(url_for("staff.checkin", checkin_id=checkin_id))
    form = SignForm(role, asks_id=_asks_interpreter_id(state))
    if request.method == "GET":
        form.submission_token.data = new_token()
        return _sign_page(state, role, form)
    if not form.validate_on_submit():
        return _sign_page(state, role, form, 422)
    svc = services()
    if role != "interpreter":
        problem = _check_pin(user.id, form.pin.data or "")
        if problem is not None:
            return _sign_page(state, role, form, problem[1], error=problem[0])
    patient_locale = str(state.checkin.patient.get("locale") or "en")
    document_role = {r.id: r for r in _document(state, patient_locale).signer_roles}[role]
    interpreter = role == "interpreter"
    asks_id = interpreter and "interpreter_id" in {f.id for f in document_role.fields}
    signature = Signature(
        role=role,
        printed_name=form.value("name") if interpreter else user.display_name,
        signed_at=svc.now(),
        meaning=document_role.meaning,
        method="typed",
        language=form.value("language") if interpreter else None,
        interpreter_id=(form.value("interpreter_id") or None) if asks_id else None,
        intent_confirmed=True,
    )
    token = str(form.submission_token.data or "")
    try:
        signing.store_countersignature(svc, checkin_id, token, signature, user.actor.detail())
    except ConflictError:
        abort(409)
    except RecordError:
        log.error("the record could not be made after the %s signed", role)
        abort(409)
    log.info("%s signed", role)
    return redirect(url_for("staff.checkin", checkin_id=checkin_id))


def _asks_interpreter_id(state: CheckInState) -> bool:
    """Whether the consent's interpreter role asks for an ID or service besides the name."""
    roles = {r.id: r for r in _document(state, page_locale()).signer_roles}
    role = roles.get("interpreter")
    return role is not None and "interpreter_id" in {f.id for f in role.fields}


def _check_pin(account: str, secret: str) -> tuple[str, int] | None:
    """None when ``secret`` is the account's own; else the message and status (401, 429).

    Counted by the same limiter as the log-in, per device and per account.
    """
    from .staff import lockout_message, wrong_pin_message

    svc = services()
    client = client_key(request, trust_header=svc.config.trust_client_header)
    attempt = svc.limiter.reserve(client, account)
    if attempt is None:
        state = svc.limiter.state(client, account)
        return lockout_message(state, svc.limiter.lockout_seconds), 429
    with attempt:
        if svc.accounts.verify(account, secret) is not None:
            attempt.succeeded()
            return None
        state = attempt.failed()
    svc.store.add_event(None, "staff_login_failed", {"account": account, "client": client})
    if state.locked_for > 0:
        return lockout_message(state, svc.limiter.lockout_seconds), 429
    return wrong_pin_message(state), 401


def clear_as_proceed(checkin_id: str) -> Any:
    """Staff's "clear" on a screening that needs review is the decision to proceed as planned:
    recorded as a clinician's decision (only a clinician may make it), or None when the
    screening needs no decision or already has one to go ahead."""
    state = _state(checkin_id)
    going = state.decision is not None and state.decision.goes_ahead
    if not state.needs_review or going:
        return None
    user = current_user()
    assert user is not None
    if user.role not in DECIDERS:
        return refused_with(page_words()["review.clinician_only"])
    svc = services()
    token = svc.store.latest_submission(checkin_id, SCREENING)
    assert token is not None
    findings = [str(f["rule_id"]) for f in (state.screening or {}).get("findings", ())]
    try:
        record_decision(
            svc.store,
            checkin_id,
            token.token,
            outcome="proceed",
            note="",
            changed_plan=None,
            findings=findings,
            user=user,
            device=svc.config.device_id,
            guard=guard_may_decide(checkin_id, token.token),
            at=svc.now(),
        )
    except ConflictError:
        abort(409)
    return redirect(url_for("staff.checkin", checkin_id=checkin_id))


__all__ = ["NEEDS_REVIEW", "blueprint", "clear_as_proceed"]


def signers(state: CheckInState) -> list[dict[str, Any]]:
    """Who signed, in order: the patient's signing, then each signature after it, with the
    role's title in the staff page's language, the name and the time."""
    store = services().store
    titles = {r.id: r.title for r in _document(state, page_locale()).signer_roles}
    out = []
    for sub in store.submissions(state.checkin.id):
        given: list[Any] = []
        if sub.kind == PATIENT_SIGNING:
            given = list(sub.payload["signatures"])
        elif sub.kind == SIGNATURE:
            given = [sub.payload["signature"]]
        for s in given:
            role = titles.get(s["role"], "")
            out.append({"role": role, "name": s["printed_name"], "at": sub.created_at})
    return out


def countersigners(state: CheckInState) -> list[dict[str, str]]:
    """The signatures still open after the patient's, as buttons: role id and words."""
    t = page_words()
    return [
        {"role": role, "label": t[f"sign.button_{role}"]}
        for role in signing.COUNTERSIGNERS
        if role not in state.signed_roles
    ]


def changed_plan_text(state: CheckInState) -> str:
    """The clinician's changed plan in words (sites, local anaesthetic, steroid), or ""."""
    plan = None if state.decision is None else state.decision.changed_plan
    if not plan:
        return ""
    t = page_words()
    here = page_locale()
    labels = {c.id: c.label.get(here) for c in load_questionnaire().plan.sites}
    named = [labels.get(s, s) for s in plan.get("sites") or ()]
    key = "checkin.plan_text_steroid" if plan.get("corticosteroid") else "checkin.plan_text"
    return t[key].format(
        sites=format_list(named, here) if named else t["checkin.pain_sites"],
        medicine=medicine_name(str(plan.get("local_anesthetic") or ""), here),
    )


@blueprint.app_context_processor
def consent_process() -> dict[str, Any]:
    """What the staff check-in page shows of the consent process."""
    return {
        "changed_plan_text": changed_plan_text,
        "review_findings": lambda state: staff_findings(state, page_locale()),
        "signers_of": signers,
        "countersigners_of": countersigners,
    }
