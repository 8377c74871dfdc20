"""Staff pages: log-in by account, check-in list, opening a check-in, clearing, packets.

Every view here needs a staff session, which holds the logged-in account's id; every action
records who did it. A patient holding the tablet has none: handing the tablet over drops it,
and only a staff member's own PIN brings it back. `role_required` keeps a view to some roles.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from ..definitions.questionnaire import load_questionnaire
from ..definitions.words import language_name, words
from ..errors import ConflictError
from ..i18n import format_list
from ..pdf.audit import describe_event
from ..screening.engine import finding_reasons
from . import consent_pages
from .accounts import ROLES, SHARED_PIN, Actor, StaffUser
from .packets import REASONS
from .sealing import first_certificate_pem
from .security import KioskSession, Lockout, client_key
from .services import services
from .staff_forms import CheckInForm, LoginForm
from .state import (
    CONSENT,
    PACKET_RETRY,
    CheckInState,
    checkin_state,
    guard_may_clear,
    guard_may_stop,
)
from .store import CheckIn
from .text import PATIENT_KEY, medicine_name, page_locale, page_words, set_page_locale

log = logging.getLogger("tpi_forms.kiosk")
blueprint = Blueprint("staff", __name__, url_prefix="/staff")

F = TypeVar("F", bound=Callable[..., Any])
CLINICAL = ("clinician", "admin")
"""Roles that decide whether a patient may go on to the consent (clear, stop)."""
ACTION_ROLES = {"clear": CLINICAL, "stop": CLINICAL, "copy-given": ROLES}
"""Which roles may take each check-in action."""
NOTICE_KEY = "staff_notice"
"""Where the session keeps a message for the next staff page (kiosk word key and values)."""


def set_notice(key: str, **values: str) -> None:
    """Show the kiosk words ``key``, filled with ``values``, on the next staff page.

    The key is kept, not the text, so the message speaks that page's language.
    """
    session[NOTICE_KEY] = (key, values)


def pop_notice() -> str | None:
    """The message `set_notice` left for this page, in its language (once), or None."""
    found = session.pop(NOTICE_KEY, None)
    if not isinstance(found, tuple | list) or len(found) != 2:
        return None
    key, values = found
    return page_words()[key].format(**values)


def current_user() -> StaffUser | None:
    """The logged-in staff account; None when nobody is, or the account was disabled since."""
    if "staff_account" not in g:
        uid = session.get("staff_user")
        user = services().accounts.user(uid) if isinstance(uid, str) else None
        g.staff_account = user if user is not None and user.active else None
    found = g.staff_account
    return found if isinstance(found, StaffUser) else None


def current_actor() -> Actor:
    """The logged-in account as the doer of an action (the view must require a log-in)."""
    user = current_user()
    assert user is not None
    return user.actor


UNANSWERED_SHOWN = 10
"""Self check-ins with no answers yet shown on the staff list (the rest are counted)."""


def is_staff() -> bool:
    """True when this session is logged in to an active staff account."""
    return current_user() is not None


def refused() -> tuple[str, int]:
    """The page for a staff member whose role may not do what was asked (403)."""
    t = page_words()
    page = render_template(
        "kiosk/error.html", code=403, title=t["error.403.title"], text=t["staff.role_refused"]
    )
    return page, 403


def staff_required(view: F) -> F:
    """Send a session without staff log-in to the log-in page."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not is_staff():
            return redirect(url_for("staff.login"))
        return view(*args, **kwargs)

    return cast(F, wrapper)


def role_required(*roles: str) -> Callable[[F], F]:
    """Let only accounts with one of ``roles`` run the view: no log-in goes to the log-in page,
    another role gets 403. E.g. ``@role_required("clinician")`` for a clinician's decision."""
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"role_required needs roles from {', '.join(ROLES)}")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("staff.login"))
            if user.role not in roles:
                log.warning("staff role %s refused at %s", user.role, request.endpoint)
                return refused()
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


def lockout_message(state: Lockout, lockout_seconds: float) -> str:
    """The lock-out in words, e.g. "Too many wrong tries. Try again in 5 minutes."."""
    t = page_words()
    minutes = max(1, round((state.locked_for or lockout_seconds) / 60))
    return t["staff.locked_one"] if minutes == 1 else t["staff.locked_many"].format(minutes=minutes)


def wrong_pin_message(state: Lockout) -> str:
    """A wrong PIN in words, e.g. "That PIN is not right. 1 try left."."""
    t = page_words()
    left = state.attempts_left
    return t["staff.pin_wrong_one"] if left == 1 else t["staff.pin_wrong_many"].format(left=left)


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Log in as one account: choose the name, type the PIN.

    Each attempt is reserved with the limiter (per client and per account) before argon2 runs.
    While no account exists, 0.1.0's shared PIN opens only the first-account page.
    """
    svc = services()
    t = page_words()
    setup = svc.accounts.count() == 0 and svc.pin.is_set()
    form = LoginForm(svc.accounts.users(active_only=True), setup=setup)
    client = client_key(request, trust_header=svc.config.trust_client_header)
    message = pop_notice()
    code = 200
    if request.method == "GET":
        state = svc.limiter.state(client)
        if state.locked_for > 0:
            message, code = lockout_message(state, svc.limiter.lockout_seconds), 429
    elif form.validate_on_submit():
        account = SHARED_PIN.id if setup else str(form.account.data)
        secret = form.pin.data or ""
        attempt = svc.limiter.reserve(client, account)
        if attempt is None:
            state = svc.limiter.state(client, account)
            message, code = lockout_message(state, svc.limiter.lockout_seconds), 429
        else:
            with attempt:
                user = None if setup else svc.accounts.verify(account, secret)
                if user is not None or (setup and svc.pin.verify(secret)):
                    attempt.succeeded()
                    return _logged_in(user, client)
                state = attempt.failed()
            tried = {"account": account, "client": client}
            svc.store.add_event(None, "staff_login_failed", tried)
            if state.locked_for > 0:
                scope = "account" if state.account_locked else "client"
                svc.store.add_event(None, "staff_locked_out", {**tried, "scope": scope})
                log.warning("staff log-in locked out (%s)", scope)
                message, code = lockout_message(state, svc.limiter.lockout_seconds), 429
            else:
                message, code = wrong_pin_message(state), 401
    else:
        message, code = t["staff.login_missing"], 400
    form.pin.data = ""
    page = render_template(
        "kiosk/staff_login.html",
        form=form,
        message=message,
        setup=setup,
        no_accounts=not setup and svc.accounts.count() == 0,
    )
    return page, code


def _logged_in(user: StaffUser | None, client: str) -> BaseResponse:
    """Start the staff session of ``user`` (None: the shared PIN's set-up session)."""
    kiosk = cast(KioskSession, session)
    for key in ("staff_user", "staff_setup"):
        kiosk.pop(key, None)
    kiosk.rotate()
    g.pop("staff_account", None)
    store = services().store
    if user is None:
        kiosk["staff_setup"] = True
        store.add_event(None, "staff_login", {**SHARED_PIN.detail(), "client": client})
        return redirect(url_for("staff_users.users"))
    kiosk["staff_user"] = user.id
    store.add_event(None, "staff_login", {**user.actor.detail(), "client": client})
    return redirect(url_for("staff.dashboard"))


@blueprint.post("/logout")
@staff_required
def logout() -> BaseResponse:
    services().store.add_event(None, "staff_logout", current_actor().detail())
    session.pop("staff_user", None)
    cast(KioskSession, session).rotate()
    return redirect(url_for("patient.start"))


def packet_problem(state: CheckInState) -> dict[str, str] | None:
    """Why the packet could not be made, in words (reason, error type, tries), or None.

    Only the stored reason key, error type and count are shown: never an exception's message.
    """
    failure = state.packet_failure
    if failure is None:
        return None
    words = page_words()
    reason = failure.get("reason")
    attempts = failure.get("attempts")
    return {
        "title": words["packet_failure.title"],
        "reason": words[f"packet_failure.reason_{reason if reason in REASONS else 'render'}"],
        "error": str(failure.get("error") or ""),
        "text": words["packet_failure.text"].format(
            attempts=attempts if isinstance(attempts, int) else "?"
        ),
    }


def waits(state: CheckInState) -> bool:
    """The record is signed and its packet is still to be made (not given up on)."""
    return state.signed and state.packet is None and state.packet_failure is None


@blueprint.get("/")
@staff_required
def dashboard() -> str:
    svc = services()
    # Anonymous self check-ins that never answered anything are listed apart (a few, and a
    # count): however many are opened, they cannot push real patients off the list.
    listed = svc.store.checkins(limit=100, unanswered_self=False)
    states = [checkin_state(svc.store, c) for c in listed]
    waiting = [s for s in states if waits(s)]
    unanswered = svc.store.checkins(limit=UNANSWERED_SHOWN, unanswered_self=True)
    return render_template(
        "kiosk/staff_dashboard.html",
        states=states,
        unanswered=[checkin_state(svc.store, c) for c in unanswered],
        unanswered_count=svc.store.count_unanswered_self(),
        tablet_checkin=session.get("checkin"),
        quarantined=len(svc.store.quarantined()),
        ahead={s.checkin.id: svc.packets.ahead_of_checkin(s.checkin.id) for s in waiting},
        sealed=svc.seal is not None,
    )


@blueprint.route("/checkins/new", methods=["GET", "POST"])
@staff_required
def new_checkin() -> Any:
    form = CheckInForm()
    if form.validate_on_submit():
        date_of_birth = form.date_of_birth.data
        assert isinstance(date_of_birth, dt.date)
        patient = {
            "name": " ".join((form.name.data or "").split()),
            "date_of_birth": date_of_birth.isoformat(),
            "plan": {
                "sites": list(form.sites.data or []) or None,
                "local_anesthetic": form.local_anesthetic.data,
                "corticosteroid": bool(form.corticosteroid.data),
            },
            "locale": form.locale.data,
        }
        checkin = services().store.create_checkin(
            patient, mode="staff", detail=current_actor().detail()
        )
        log.info("check-in opened by staff")
        return redirect(url_for("staff.checkin", checkin_id=checkin.id))
    code = 422 if request.method == "POST" else 200
    return render_template("kiosk/staff_new.html", form=form), code


def _load(checkin_id: str) -> CheckIn:
    found = services().store.checkin(checkin_id)
    if found is None:
        abort(404)
    return found


@blueprint.get("/checkins/<checkin_id>")
@staff_required
def checkin(checkin_id: str) -> str:
    svc = services()
    state = checkin_state(svc.store, _load(checkin_id))
    screening = state.screening or {}
    reasons = [
        finding_reasons(f, locale=str(screening.get("locale", "en")))
        for f in screening.get("findings", ())
    ]
    here = page_locale()
    event_words = words("packet", here, default="en")
    titles = consent_pages.consent_titles(here)  # the consent's parts in words, not ids
    events = [
        (e.at, describe_event(f"kiosk_{e.kind}", e.detail, event_words, titles))
        for e in svc.store.events(checkin_id)
    ]
    patient_locale = str(state.checkin.patient.get("locale") or "")
    user = current_user()
    return render_template(
        "kiosk/staff_checkin.html",
        state=state,
        reasons=reasons,
        events=events,
        patient_language=language_name(patient_locale) if patient_locale else "",
        plan_text=_plan_text(state, here),
        on_this_tablet=session.get("checkin") == checkin_id,
        packet_problem=packet_problem(state),
        ahead=svc.packets.ahead_of_checkin(checkin_id) if waits(state) else None,
        may_decide=user is not None and user.role in CLINICAL,
    )


def _plan_text(state: CheckInState, locale: str) -> str:
    """The plan staff entered, in words: sites, local anaesthetic, steroid."""
    plan = state.checkin.patient.get("plan")
    if not plan:
        return ""
    t = page_words()
    q = load_questionnaire()
    labels = {c.id: c.label.get(locale) for c in q.plan.sites}
    named = [labels.get(s, s) for s in plan.get("sites") or ()]
    key = "checkin.plan_text_steroid" if plan.get("corticosteroid") else "checkin.plan_text"
    return t[key].format(
        sites=format_list(named, locale) if named else t["checkin.pain_sites"],
        medicine=medicine_name(str(plan.get("local_anesthetic") or ""), locale),
    )


@blueprint.post("/checkins/<checkin_id>/handover")
@staff_required
def handover(checkin_id: str) -> BaseResponse:
    svc = services()
    state = checkin_state(svc.store, _load(checkin_id))
    if state.step in ("done", "stopped"):
        abort(409)
    detail = {"device": svc.config.device_id, **current_actor().detail()}
    kiosk = cast(KioskSession, session)
    kiosk.clear()  # staff log-in and any other check-in leave with the staff member
    kiosk["checkin"] = checkin_id
    set_page_locale(str(state.checkin.patient.get("locale") or ""), PATIENT_KEY)
    kiosk.rotate()
    svc.store.add_event(checkin_id, "handed_to_tablet", detail)
    return redirect(url_for("patient.next_step"))


@blueprint.post("/checkins/<checkin_id>/<action>")
@staff_required
def act(checkin_id: str, action: str) -> Any:
    events = {"clear": "cleared", "stop": "stopped", "copy-given": "copy_given"}
    if action not in events:
        abort(404)
    user = current_user()
    assert user is not None
    if user.role not in ACTION_ROLES[action]:
        log.warning("staff role %s refused for %s", user.role, action)
        return refused()
    svc = services()
    _load(checkin_id)  # 404 for an unknown check-in
    if action == "clear":  # on a screening that needs review, clearing is a decision
        from .staff_review import clear_as_proceed

        decided = clear_as_proceed(checkin_id)
        if decided is not None:
            return decided
    # The guard decides inside the event's write transaction: a signature cannot land between.
    guards = {"clear": guard_may_clear, "stop": guard_may_stop}
    guard = guards[action](checkin_id) if action in guards else _any
    try:
        svc.store.add_event_if(checkin_id, events[action], user.actor.detail(), guard)
    except ConflictError:
        abort(409)
    return redirect(url_for("staff.checkin", checkin_id=checkin_id))


def _any(conn: Any) -> None:
    """A store guard that allows the event (marking a paper copy given)."""


@blueprint.post("/checkins/<checkin_id>/packet/retry")
@staff_required
def retry_packet(checkin_id: str) -> BaseResponse:
    """Staff's "try again" for a packet the kiosk stopped trying to make."""
    svc = services()
    state = checkin_state(svc.store, _load(checkin_id))
    signed = svc.store.latest_submission(checkin_id, CONSENT)
    if state.packet_failure is None or signed is None:
        abort(409)
    svc.store.add_event(checkin_id, PACKET_RETRY, current_actor().detail())
    svc.packets.retry(signed.token)
    log.info("packet retry requested by staff")
    return redirect(url_for("staff.checkin", checkin_id=checkin_id))


@blueprint.get("/checkins/<checkin_id>/packet.pdf")
@staff_required
def packet(checkin_id: str) -> Response:
    svc = services()
    _load(checkin_id)
    data = svc.store.read_packet(checkin_id)
    if data is None:
        abort(404)
    response = make_response(data)
    response.mimetype = "application/pdf"
    disposition = "attachment" if request.args.get("download") == "1" else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="consent-{checkin_id}.pdf"'
    return response


@blueprint.get("/quarantine")
@staff_required
def quarantine() -> str:
    """Packets found without a database row (e.g. after a restore), read from their records."""
    entries = []
    for entry in services().store.quarantined():
        signed = dt.datetime.fromisoformat(entry.signed_at) if entry.signed_at else None
        found = dt.datetime.fromisoformat(entry.found_at)
        entries.append({"entry": entry, "signed_at": signed, "found_at": found})
    return render_template("kiosk/staff_quarantine.html", entries=entries)


@blueprint.get("/quarantine/<filename>")
@staff_required
def quarantined_packet(filename: str) -> Response:
    data = services().store.read_quarantined(filename)
    if data is None:
        abort(404)
    response = make_response(data)
    response.mimetype = "application/pdf"
    digest = hashlib.sha256(data).hexdigest()[:16]
    response.headers["Content-Disposition"] = f'inline; filename="quarantined-{digest}.pdf"'
    return response


@blueprint.get("/seal-certificate.pem")
@staff_required
def seal_certificate() -> Response:
    """The clinic seal's certificate, for ``tpi-forms verify --trust``."""
    seal = services().seal
    if seal is None:
        abort(404)
    response = make_response(first_certificate_pem(seal.cert_pem))
    response.mimetype = "application/x-pem-file"
    response.headers["Content-Disposition"] = 'attachment; filename="clinic-seal-certificate.pem"'
    return response
