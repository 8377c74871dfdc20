"""The staff accounts page (admins only): add an account, disable or enable it, give a new PIN.

An account is never deleted: the audit trail names it. While no account exists, a session that
logged in with 0.1.0's shared PIN reaches this page only, to make the first admin account; that
retires the shared PIN.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from ..errors import AccountError, PinError
from .accounts import (
    MAX_CREDENTIALS_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PIN_LENGTH,
    ROLES,
    SHARED_PIN,
    StaffUser,
    check_pin_rules,
    clean_text,
    generate_pin,
)
from .security import KioskSession
from .services import services
from .staff import current_user, pop_notice, refused, role_required, set_notice
from .staff_forms import NO_AUTOFILL, KioskForm, choices
from .text import page_words

log = logging.getLogger("tpi_forms.kiosk")
blueprint = Blueprint("staff_users", __name__, url_prefix="/staff/users")
CHANGES = {"disable": "disabled", "enable": "enabled", "new-pin": "secret"}
"""The changes an admin can make to an account, by the URL's word."""


def in_setup() -> bool:
    """True when this session logged in with the shared PIN and still no account exists."""
    svc = services()
    return session.get("staff_setup") is True and svc.accounts.count() == 0 and svc.pin.is_set()


class AccountForm(KioskForm):
    """A new staff account: the person's name, credentials, role and PIN."""

    labels = "users"
    name = StringField(render_kw=NO_AUTOFILL)
    credentials = StringField(render_kw=NO_AUTOFILL)
    role = SelectField()
    pin = PasswordField(render_kw={"autocomplete": "new-password"})

    def __init__(self, *, setup: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        t = page_words()
        self.setup = setup
        self.name.validators = [
            InputRequired(t["users.name_missing"]),
            Length(max=MAX_NAME_LENGTH),
        ]
        self.credentials.validators = [Length(max=MAX_CREDENTIALS_LENGTH)]
        self.pin.description = "" if setup else t["users.pin_hint"]
        if not setup:
            self.pin.render_kw = {**(self.pin.render_kw or {}), "aria-describedby": "pin-hint"}
        if setup:  # the first account is the person's own admin account
            del self.role
            return
        self.role.choices = choices((r, t[f"role.{r}"]) for r in ROLES)

    def validate_name(self, field: StringField) -> None:
        t = page_words()
        try:
            name = clean_text(field.data or "", "name", max_length=MAX_NAME_LENGTH, required=True)
        except AccountError:
            raise ValidationError(t["users.name_bad"]) from None
        if services().accounts.by_name(name) is not None:
            raise ValidationError(t["users.name_taken"])

    def validate_credentials(self, field: StringField) -> None:
        try:
            clean_text(
                field.data or "", "credentials", max_length=MAX_CREDENTIALS_LENGTH, required=False
            )
        except AccountError:
            raise ValidationError(page_words()["users.name_bad"]) from None

    def validate_pin(self, field: PasswordField) -> None:
        if not (field.data or "").strip() and not self.setup:
            return  # an admin left it empty: a PIN is made and shown once
        try:
            check_pin_rules((field.data or "")[: MAX_PIN_LENGTH + 1])
        except PinError:
            raise ValidationError(page_words()["users.pin_rules"]) from None


def _page(form: AccountForm, *, setup: bool, error: str | None = None, code: int = 200) -> Any:
    user = current_user()
    page = render_template(
        "kiosk/staff_users.html",
        form=form,
        setup=setup,
        users=[] if setup else services().accounts.users(),
        me=user.id if user else None,
        notice=pop_notice(),
        shown_once=session.pop("staff_shown_once", None),
        error=error,
    )
    return page, code


def _admin_or_setup() -> StaffUser | BaseResponse | tuple[str, int] | None:
    """The admin account, None in the shared-PIN set-up, or the response that refuses."""
    if in_setup():
        return None
    user = current_user()
    if user is None:
        return redirect(url_for("staff.login"))
    if user.role != "admin":
        log.warning("staff role %s refused at the accounts page", user.role)
        return refused()
    return user


@blueprint.route("", methods=["GET", "POST"])
def users() -> Any:
    """List the accounts and add one (admins); or make the first admin account (set-up)."""
    who = _admin_or_setup()
    if who is not None and not isinstance(who, StaffUser):
        return who
    setup = who is None
    form = AccountForm(setup=setup)
    if request.method == "GET":
        return _page(form, setup=setup)
    if not form.validate_on_submit():
        return _page(form, setup=setup, code=422)
    svc = services()
    t = page_words()
    secret = (form.pin.data or "").strip() or generate_pin()
    role = "admin" if setup else str(form.role.data)
    try:
        made = svc.accounts.create(
            form.name.data or "",
            role,
            secret,
            credentials=form.credentials.data or "",
            by=SHARED_PIN if who is None else who.actor,
        )
    except AccountError:  # another admin added the same name meanwhile
        return _page(form, setup=setup, error=t["users.name_taken"], code=422)
    if svc.pin.retire():
        log.info("the shared staff PIN is retired: staff log in with their own accounts")
    log.info("staff account added (%s)", role)
    if setup:
        kiosk = cast(KioskSession, session)
        kiosk.pop("staff_setup", None)
        kiosk.rotate()
        set_notice("staff.setup_done")
        return redirect(url_for("staff.login"))
    set_notice("users.added", name=made.display_name)
    if not (form.pin.data or "").strip():
        session["staff_shown_once"] = {"name": made.display_name, "pin": secret}
    return redirect(url_for("staff_users.users"))


@blueprint.post("/<user_id>/<change>")
@role_required("admin")
def change(user_id: str, change: str) -> Any:
    """Disable or enable an account, or give it a new PIN (shown once)."""
    if change not in CHANGES:
        abort(404)
    svc = services()
    t = page_words()
    me = current_user()
    assert me is not None
    target = svc.accounts.user(user_id)
    form = AccountForm(setup=False, formdata=None)
    if target is None:
        abort(404)
    if change == "disable" and target.id == me.id:
        return _page(form, setup=False, error=t["users.not_self"], code=409)
    try:
        if change == "disable":
            svc.accounts.disable(target.id, by=me.actor)
        elif change == "enable":
            svc.accounts.enable(target.id, by=me.actor)
        else:
            secret = generate_pin()
            svc.accounts.change_secret(target.id, secret, by=me.actor)
            session["staff_shown_once"] = {"name": target.display_name, "pin": secret}
    except AccountError:
        return _page(form, setup=False, error=t["users.last_admin"], code=409)
    log.info("staff account changed (%s)", CHANGES[change])
    return redirect(url_for("staff_users.users"))
