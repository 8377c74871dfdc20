"""Staff pages: PIN log-in, check-in list, opening a check-in, clearing, packets.

Every view here needs a staff session. A patient holding the tablet has none: handing the
tablet over drops it, and only the PIN brings it back.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

import wtforms.fields.choices
from flask import (
    Blueprint,
    Response,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm  # type: ignore[import-untyped]
from werkzeug.wrappers import Response as BaseResponse
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from ..definitions.questionnaire import load_questionnaire
from ..screening.engine import finding_reasons
from .packets import REASONS
from .security import KioskSession, client_key
from .services import services
from .state import CONSENT, PACKET_RETRY, CheckInState, checkin_state
from .store import CheckIn
from .text import kiosk_text

log = logging.getLogger("tpi_forms.kiosk")
blueprint = Blueprint("staff", __name__, url_prefix="/staff")

F = TypeVar("F", bound=Callable[..., Any])
LOCALES = (("en", "English"), ("es", "Español"))
# WTForms 3.3 deprecates (value, label) tuples as choices in favour of SelectChoice.
_SELECT_CHOICE: Any = getattr(wtforms.fields.choices, "SelectChoice", None)


def choices(pairs: Any) -> list[Any]:
    """Choices for a select field, in the form this WTForms version prefers."""
    if _SELECT_CHOICE is None:
        return list(pairs)
    return [_SELECT_CHOICE(value, label) for value, label in pairs]


NO_AUTOFILL = {"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}


def is_staff() -> bool:
    """True when this session logged in with the staff PIN."""
    return session.get("staff") is True


def staff_required(view: F) -> F:
    """Send a session without staff log-in to the PIN page."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not is_staff():
            return redirect(url_for("staff.login"))
        return view(*args, **kwargs)

    return cast(F, wrapper)


class LoginForm(FlaskForm):  # type: ignore[misc]
    """The staff PIN or password."""

    pin = PasswordField(
        "Staff PIN",
        validators=[DataRequired(), Length(max=128)],
        render_kw={"autocomplete": "off", "inputmode": "numeric"},
    )


class MultiCheckboxField(SelectMultipleField):
    """Several choices as check boxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _not_future(form: FlaskForm, field: DateField) -> None:
    if field.data is not None and field.data > services().today():
        raise ValidationError("The date of birth cannot be in the future.")


class CheckInForm(FlaskForm):  # type: ignore[misc]
    """A new check-in: who the patient is and what is planned."""

    name = StringField(
        "Patient's full name", validators=[InputRequired(), Length(max=120)], render_kw=NO_AUTOFILL
    )
    date_of_birth = DateField(
        "Date of birth", validators=[InputRequired(), _not_future], render_kw=NO_AUTOFILL
    )
    sites = MultiCheckboxField("Planned sites (none ticked: the patient's pain sites)")
    local_anesthetic = SelectField("Local anaesthetic")
    corticosteroid = BooleanField("Corticosteroid mixed in")
    locale = SelectField("Patient's language")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        q = load_questionnaire()
        self.sites.choices = choices((c.id, c.label.get("en")) for c in q.plan.sites)
        self.local_anesthetic.choices = choices(
            (m, m.capitalize()) for m in q.plan.local_anesthetics
        )
        self.locale.choices = choices(LOCALES)


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    svc = services()
    form = LoginForm()
    client = client_key(request)
    state = svc.limiter.state(client)
    message = None
    code = 200
    if state.locked_for > 0:
        minutes = max(1, round(state.locked_for / 60))
        message = f"Too many wrong tries. Try again in about {minutes} minute(s)."
        code = 429
    elif form.validate_on_submit():
        if svc.pin.verify(form.pin.data or ""):
            svc.limiter.success(client)
            kiosk = cast(KioskSession, session)
            kiosk["staff"] = True
            kiosk.rotate()
            svc.store.add_event(None, "staff_login", {})
            return redirect(url_for("staff.dashboard"))
        state = svc.limiter.failure(client)
        svc.store.add_event(None, "staff_login_failed", {})
        if state.locked_for > 0:
            svc.store.add_event(None, "staff_locked_out", {})
            log.warning("staff PIN locked out after %s wrong tries", svc.limiter.max_attempts)
            message = "Too many wrong tries. The PIN is locked for a few minutes."
            code = 429
        else:
            message = f"That PIN is not right. {state.attempts_left} tries left."
            code = 401
    elif request.method == "POST":
        code = 400
        message = "Enter the staff PIN."
    form.pin.data = ""
    return render_template("kiosk/staff_login.html", form=form, message=message), code


@blueprint.post("/logout")
@staff_required
def logout() -> BaseResponse:
    session.pop("staff", None)
    cast(KioskSession, session).rotate()
    return redirect(url_for("patient.start"))


def staff_words() -> Mapping[str, str]:
    """The kiosk's staff words in the clinic's language."""
    return kiosk_text(services().clinic.default_locale)


def packet_problem(state: CheckInState) -> dict[str, str] | None:
    """Why the packet could not be made, in words (reason, error type, tries), or None.

    Only the stored reason key, error type and count are shown: never an exception's message.
    """
    failure = state.packet_failure
    if failure is None:
        return None
    words = staff_words()
    reason = failure.get("reason")
    attempts = failure.get("attempts")
    return {
        "title": words["staff_packet_failed_title"],
        "reason": words[f"staff_packet_reason_{reason if reason in REASONS else 'render'}"],
        "error": str(failure.get("error") or ""),
        "text": words["staff_packet_failed_text"].format(
            attempts=attempts if isinstance(attempts, int) else "?"
        ),
    }


@blueprint.get("/")
@staff_required
def dashboard() -> str:
    svc = services()
    states = [checkin_state(svc.store, c) for c in svc.store.checkins(limit=100)]
    return render_template(
        "kiosk/staff_dashboard.html",
        states=states,
        tablet_checkin=session.get("checkin"),
        staff_text=staff_words(),
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
        checkin = services().store.create_checkin(patient, mode="staff")
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
    return render_template(
        "kiosk/staff_checkin.html",
        state=state,
        reasons=reasons,
        events=svc.store.events(checkin_id),
        on_this_tablet=session.get("checkin") == checkin_id,
        packet_problem=packet_problem(state),
        staff_text=staff_words(),
    )


@blueprint.post("/checkins/<checkin_id>/handover")
@staff_required
def handover(checkin_id: str) -> BaseResponse:
    svc = services()
    state = checkin_state(svc.store, _load(checkin_id))
    if state.step in ("done", "stopped"):
        abort(409)
    kiosk = cast(KioskSession, session)
    kiosk.clear()  # staff log-in and any other check-in leave with the staff member
    kiosk["checkin"] = checkin_id
    kiosk.rotate()
    svc.store.add_event(checkin_id, "handed_to_tablet", {"device": svc.config.device_id})
    return redirect(url_for("patient.next_step"))


@blueprint.post("/checkins/<checkin_id>/<action>")
@staff_required
def act(checkin_id: str, action: str) -> BaseResponse:
    events = {"clear": "cleared", "stop": "stopped", "copy-given": "copy_given"}
    if action not in events:
        abort(404)
    svc = services()
    state = checkin_state(svc.store, _load(checkin_id))
    if action == "clear" and (state.screening is None or state.signed):
        abort(409)
    if action == "stop" and state.signed:
        abort(409)
    svc.store.add_event(checkin_id, events[action], {"by": "staff"})
    return redirect(url_for("staff.checkin", checkin_id=checkin_id))


@blueprint.post("/checkins/<checkin_id>/packet/retry")
@staff_required
def retry_packet(checkin_id: str) -> BaseResponse:
    """Staff's "try again" for a packet the kiosk stopped trying to make."""
    svc = services()
    state = checkin_state(svc.store, _load(checkin_id))
    signed = svc.store.latest_submission(checkin_id, CONSENT)
    if state.packet_failure is None or signed is None:
        abort(409)
    svc.store.add_event(checkin_id, PACKET_RETRY, {"by": "staff"})
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
