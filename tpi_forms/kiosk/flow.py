"""The kiosk's use of the library's public API: form, screening, consent, signatures, packet.

This module is the integration example: each function is a few calls a clinic portal would
make in the same order (definition → form → answers → screening → consent → signatures); the
record is made after the last signature (`.signing`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, cast

from flask import url_for
from flask_wtf import FlaskForm  # type: ignore[import-untyped]
from flask_wtf.csrf import generate_csrf  # type: ignore[import-untyped]
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField

from ..consent.document import ConsentDocument, build_consent
from ..consent.signing import ConsentSubmission, parse_consent_submission
from ..definitions.clinic import Clinic
from ..definitions.consent import consenting_roles
from ..definitions.questionnaire import load_questionnaire
from ..errors import ConsentFormError
from ..record.model import AuditEvent
from ..record.required_signers import required_signers as required_signers_of
from ..record.required_signers import screening_findings
from ..screening.engine import screen
from ..screening.procedure import PlannedProcedure
from ..web.forms import build_form_class
from ..web.html import PageOptions, render_consent_page, render_kiosk_page
from ..web.screening_form import ScreeningForm
from .state import CheckInState
from .store import Event

_FORM_CLASSES: dict[str, type[ScreeningForm]] = {}


def locales() -> tuple[str, ...]:
    """Languages the questionnaire ships in."""
    return load_questionnaire().locales


def screening_form(
    locale: str,
    as_of: dt.date,
    prefill: Mapping[str, Any] | None = None,
    draft: MultiDict[str, str] | None = None,
) -> ScreeningForm:
    """The screening form (Flask-WTF, so CSRF-protected), bound to the posted data if any.

    ``as_of`` is the clinic's day (its date checks use it); ``prefill`` (a check-in's patient
    data) fills the name and date of birth staff entered, in the questions the questionnaire's
    ``[identity]`` names; ``draft`` (answers in progress kept in the session) fills the form as
    the patient left it.
    """
    cls = _FORM_CLASSES.get(locale)
    if cls is None:
        base = build_form_class(locale=locale, base=FlaskForm)
        cls = cast(
            type[ScreeningForm], type(base.__name__, (base,), {"submission_token": HiddenField()})
        )
        _FORM_CLASSES[locale] = cls
    data: dict[str, Any] = {}
    identity = load_questionnaire().identity
    if prefill and identity is not None:
        if prefill.get("name"):
            data[identity.name] = prefill["name"]
        if prefill.get("date_of_birth"):
            data[identity.date_of_birth] = dt.date.fromisoformat(str(prefill["date_of_birth"]))
    if draft is not None:
        form = cls(formdata=draft, data=data)
    else:
        form = cls(data=data) if data else cls()
    form.as_of = as_of
    return form


def _page_options(locale: str, **body_data: str) -> PageOptions:
    """Library page options plus the kiosk's script: idle warning and wipe, and drafts."""
    from flask import current_app, render_template

    config = current_app.extensions["tpi_kiosk"].config
    return PageOptions(
        static_url=url_for("shared_static", filename=""),
        extra_scripts=(url_for("kiosk_static", filename="kiosk.js"),),
        extra_styles=(url_for("kiosk_static", filename="kiosk.css"),),
        body_data={
            "kiosk-idle-seconds": str(int(config.idle_timeout)),
            "kiosk-warn-seconds": str(int(config.idle_warning)),
            **body_data,
        },
        body_end=Markup(render_template("kiosk/_idle.html", locale=locale)),
    )


def render_screening(
    form: ScreeningForm, token: str, *, locale: str, draft_step: int | None = None
) -> str:
    """The tablet's screening page, carrying a fresh submission token; its script keeps a
    draft of the answers in the session, and opens on ``draft_step`` when one is given."""
    form.submission_token.data = token
    body = {"kiosk-draft-url": url_for("patient.screening_draft")}
    if draft_step is not None:
        body["kiosk-draft-step"] = str(draft_step)
    options = _page_options(locale, **body)
    return render_kiosk_page(form, action=url_for("patient.screening"), options=options)


def planned_procedure(patient: Mapping[str, Any]) -> PlannedProcedure:
    """The plan staff entered at check-in (self check-in: the default plan)."""
    plan = patient.get("plan") or {}
    sites = plan.get("sites")
    return PlannedProcedure(
        sites=tuple(sites) if sites else None,
        local_anesthetic=str(plan.get("local_anesthetic") or "lidocaine"),
        corticosteroid=bool(plan.get("corticosteroid", False)),
    )


def screen_answers(
    answers: Mapping[str, Any], patient: Mapping[str, Any], locale: str, today: dt.date
) -> Any:
    """Screen validated answers for the check-in's plan on the clinic's day, as JSON-native data."""
    return screen(answers, planned_procedure(patient), locale=locale, today=today).to_dict()


def consent_document(state: CheckInState, clinic: Clinic, locale: str) -> ConsentDocument:
    """The consent for this check-in's plan (the clinician's changed plan when they changed
    it), sites from the answers when the plan names none."""
    changed = None if state.decision is None else state.decision.changed_plan
    plan = planned_procedure({"plan": changed} if changed else state.checkin.patient)
    return build_consent(plan, clinic, locale, answers=state.answers or {})


def signer_roles(document: ConsentDocument) -> tuple[str, ...]:
    """The signature block shown on the tablet: the person consenting (the patient, or whoever
    the consent lets sign in their place); the clinician and others sign elsewhere."""
    return consenting_roles(document.signer_roles)[:1]


def required_signers(state: CheckInState) -> tuple[str, ...]:
    """The signer roles the check-in's screening asks for (a minor's legal representative)."""
    return required_signers_of(screening_findings(state.screening or {}))


def render_consent(
    document: ConsentDocument,
    token: str,
    *,
    locale: str,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, Sequence[str]] | None = None,
    required: Sequence[str] = (),
) -> str:
    """The consent review-and-sign page, carrying CSRF and submission tokens; ``required``
    are the signers the screening asks for (`required_signers`)."""
    return render_consent_page(
        document,
        action=url_for("patient.consent"),
        roles=signer_roles(document),
        required_signers=required,
        values=values,
        errors=errors,
        hidden={"csrf_token": generate_csrf(), "submission_token": token},
        options=_page_options(locale, **{"kiosk-viewed-url": url_for("certify.viewed")}),
    )


def read_signing(
    formdata: Mapping[str, Any],
    document: ConsentDocument,
    device_id: str,
    now: dt.datetime,
    required: Sequence[str] = (),
) -> ConsentSubmission:
    """The checked signatures and review evidence, signed at ``now``; raises `ConsentFormError`.
    ``required``: the signers the screening asks for (`required_signers`)."""
    return parse_consent_submission(
        document,
        formdata,
        roles=signer_roles(document),
        required_signers=required,
        now=now,
        device_id=device_id,
    )


def audit_trail(events: Sequence[Event], device_id: str) -> list[AuditEvent]:
    """The kiosk's stored events of a check-in as record audit events (oldest first)."""
    out = []
    for e in events:
        detail = {k: v for k, v in e.detail.items() if isinstance(v, str | int)}
        detail = {k: v for k, v in detail.items() if not isinstance(v, bool)}
        out.append(AuditEvent(e.at, f"kiosk_{e.kind}", detail, device_id))
    return out


__all__ = [
    "ConsentFormError",
    "consent_document",
    "locales",
    "read_signing",
    "render_consent",
    "render_screening",
    "required_signers",
    "screen_answers",
    "screening_form",
    "signer_roles",
]
