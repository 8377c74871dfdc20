"""Staff pages: PIN log-in, check-in list, opening a check-in, clearing, packets.

Every view here needs a staff session. A patient holding the tablet has none: handing the
tablet over drops it, and only the PIN brings it back.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
from collections.abc import Callable
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
from ..definitions.words import language_name, words
from ..errors import ConflictError
from ..i18n import format_list
from ..pdf.audit import describe_event
from ..screening.engine import finding_reasons
from .packets import REASONS
from .sealing import first_certificate_pem
from .security import KioskSession, client_key
from .services import services
from .state import (
    CONSENT,
    PACKET_RETRY,
    CheckInState,
    checkin_state,
    guard_may_clear,
    guard_may_stop,
)
from .store import CheckIn
from .text import (
    PATIENT_KEY,
    FormWords,
    kiosk_locales,
    medicine_name,
    page_locale,
    page_words,
    set_page_locale,
)

log = logging.getLogger("tpi_forms.kiosk")
blueprint = Blueprint("staff", __name__, url_prefix="/staff")

F = TypeVar("F", bound=Callable[..., Any])
# WTForms 3.3 deprecates (value, label) tuples as choices in favour of SelectChoice.
_SELECT_CHOICE: Any = getattr(wtforms.fields.choices, "SelectChoice", None)


def choices(pairs: Any) -> list[Any]:
    """Choices for a select field, in the form this WTForms version prefers."""
    if _SELECT_CHOICE is None:
        return list(pairs)
    return [_SELECT_CHOICE(value, label) for value, label in pairs]


UNANSWERED_SHOWN = 10
"""Self check-ins with no answers yet shown on the staff list (the rest are counted)."""
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


class KioskForm(FlaskForm):  # type: ignore[misc]
    """A staff form whose labels and messages are the kiosk's words in the page's language.

    Each field's label is the word ``<labels>.<field name>``.
    """

    labels = ""
    """The section of ``kiosk.<locale>.toml`` holding this form's labels."""

    class Meta:
        def get_translations(self, form: Any) -> FormWords:
            return FormWords(page_words())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        t = page_words()
        for field in self:
            key = f"{self.labels}.{field.name}"
            if key in t:
                field.label.text = t[key]


class LoginForm(KioskForm):
    """The staff PIN or password."""

    labels = "staff"
    pin = PasswordField(
        validators=[DataRequired(), Length(max=128)],
        render_kw={"autocomplete": "off", "inputmode": "numeric"},
    )


class MultiCheckboxField(SelectMultipleField):
    """Several choices as check boxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _not_future(form: FlaskForm, field: DateField) -> None:
    if field.data is not None and field.data > services().today():
        raise ValidationError(page_words()["new.future"])


class CheckInForm(KioskForm):
    """A new check-in: who the patient is and what is planned."""

    labels = "new"
    name = StringField(validators=[InputRequired(), Length(max=120)], render_kw=NO_AUTOFILL)
    date_of_birth = DateField(validators=[InputRequired(), _not_future], render_kw=NO_AUTOFILL)
    sites = MultiCheckboxField()
    local_anesthetic = SelectField()
    corticosteroid = BooleanField()
    locale = SelectField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        q = load_questionnaire()
        here = page_locale()
        self.sites.choices = choices((c.id, c.label.get(here)) for c in q.plan.sites)
        self.local_anesthetic.choices = choices(
            (m, medicine_name(m, here)) for m in q.plan.local_anesthetics
        )
        self.locale.choices = choices((loc, language_name(loc)) for loc in kiosk_locales())
        if not self.is_submitted():
            self.locale.data = here


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    svc = services()
    form = LoginForm()
    client = client_key(request)
    state = svc.limiter.state(client)
    message = None
    code = 200
    t = page_words()
    if state.locked_for > 0:
        minutes = max(1, round(state.locked_for / 60))
        message = t["staff.locked_for"].format(minutes=minutes)
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
            message = t["staff.locked_now"]
            code = 429
        else:
            message = t["staff.pin_wrong"].format(left=state.attempts_left)
            code = 401
    elif request.method == "POST":
        code = 400
        message = t["staff.pin_missing"]
    form.pin.data = ""
    return render_template("kiosk/staff_login.html", form=form, message=message), code


@blueprint.post("/logout")
@staff_required
def logout() -> BaseResponse:
    session.pop("staff", None)
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


@blueprint.get("/")
@staff_required
def dashboard() -> str:
    svc = services()
    # Anonymous self check-ins that never answered anything are listed apart (a few, and a
    # count): however many are opened, they cannot push real patients off the list.
    listed = svc.store.checkins(limit=100, unanswered_self=False)
    states = [checkin_state(svc.store, c) for c in listed]
    unanswered = svc.store.checkins(limit=UNANSWERED_SHOWN, unanswered_self=True)
    return render_template(
        "kiosk/staff_dashboard.html",
        states=states,
        unanswered=[checkin_state(svc.store, c) for c in unanswered],
        unanswered_count=svc.store.count_unanswered_self(),
        tablet_checkin=session.get("checkin"),
        quarantined=len(svc.store.quarantined()),
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
    here = page_locale()
    event_words = words("packet", here, default="en")
    events = [
        (e.at, describe_event(f"kiosk_{e.kind}", e.detail, event_words))
        for e in svc.store.events(checkin_id)
    ]
    patient_locale = str(state.checkin.patient.get("locale") or "")
    return render_template(
        "kiosk/staff_checkin.html",
        state=state,
        reasons=reasons,
        events=events,
        patient_language=language_name(patient_locale) if patient_locale else "",
        plan_text=_plan_text(state, here),
        on_this_tablet=session.get("checkin") == checkin_id,
        packet_problem=packet_problem(state),
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
    kiosk = cast(KioskSession, session)
    kiosk.clear()  # staff log-in and any other check-in leave with the staff member
    kiosk["checkin"] = checkin_id
    set_page_locale(str(state.checkin.patient.get("locale") or ""), PATIENT_KEY)
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
    _load(checkin_id)  # 404 for an unknown check-in
    # The guard decides inside the event's write transaction: a signature cannot land between.
    guards = {"clear": guard_may_clear, "stop": guard_may_stop}
    guard = guards[action](checkin_id) if action in guards else _any
    try:
        svc.store.add_event_if(checkin_id, events[action], {"by": "staff"}, guard)
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
