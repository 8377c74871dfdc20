"""Staff accounts: one per person, with a role and an argon2id secret; disabled, never deleted.

Part 11 §11.100: a signature or action is unique to one individual, so every staff action names
the account that did it. An account is never deleted (the audit trail names it); a change —
disable, enable, a new secret — is a new row in ``staff_user_changes`` and the latest row wins::

    >>> import tempfile
    >>> from tpi_forms.kiosk.store import KioskStore
    >>> store = KioskStore(tempfile.mkdtemp())
    >>> accounts = StaffAccounts(store)
    >>> ana = accounts.create("Ana Ruiz", "clinician", "246810", credentials="MD", by=COMMAND_LINE)
    >>> (ana.display_name, accounts.verify(ana.id, "246810") == ana, accounts.verify(ana.id, "1"))
    ('Ana Ruiz, MD', True, None)
    >>> store.close()

0.1.0 had one shared staff PIN (`StaffPin`, ``<data>/staff_pin.argon2``). It logs in only while
no account exists, and then only to make the first admin account; making any account retires it.
"""

from __future__ import annotations

import secrets
import sqlite3
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import AccountError, PinError
from .store import KioskStore, fsync_folder, new_token, now_utc, write_atomic

ROLES = ("clinician", "front_desk", "admin")
"""Roles of a staff account: a clinician decides on screenings, front desk runs check-ins."""
PIN_FILE = "staff_pin.argon2"
MIN_PIN_LENGTH = 6
MAX_PIN_LENGTH = 128
MAX_NAME_LENGTH = 100
MAX_CREDENTIALS_LENGTH = 40
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}
"""Control, invisible formatting, surrogate, private-use and unassigned characters."""

_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile


@dataclass(frozen=True)
class Actor:
    """Who did something: a staff account, the command line, or 0.1.0's shared PIN."""

    id: str
    """The account id, or ``command_line`` / ``shared_pin``."""
    name: str
    """The person's name (the operating-system user on the command line)."""
    role: str
    """The account's role, or ``command_line`` / ``shared_pin``."""

    def detail(self) -> dict[str, str]:
        """The event details naming this actor: ``by``, ``by_name`` and ``role``."""
        return {"by": self.id, "by_name": self.name, "role": self.role}


COMMAND_LINE = Actor("command_line", "command line", "command_line")
"""Changes made with ``tpi-forms kiosk add-user`` and friends (see `command_line_actor`)."""
SHARED_PIN = Actor("shared_pin", "shared staff PIN", "shared_pin")
"""The first admin account made by logging in with 0.1.0's shared PIN."""


def command_line_actor() -> Actor:
    """The command line, naming the operating-system user who ran it."""
    import getpass

    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        return COMMAND_LINE
    return Actor(COMMAND_LINE.id, f"command line ({user})", COMMAND_LINE.role)


@dataclass(frozen=True)
class StaffUser:
    """One person's staff account as it stands now."""

    id: str
    """Random id, named by the audit events of everything this person did."""
    created_at: datetime
    """When the account was made (UTC)."""
    name: str
    """The person's name as it appears in audit trails (unique among accounts)."""
    credentials: str
    """Credentials after the name, e.g. ``MD`` or ``RN`` (may be empty)."""
    role: str
    """``clinician``, ``front_desk`` or ``admin``."""
    active: bool
    """False once disabled (a later ``enabled`` change makes it active again)."""
    created_by: str
    """Id of the account (or ``command_line`` / ``shared_pin``) that made it."""

    @property
    def display_name(self) -> str:
        """The name with credentials, e.g. ``Ana Ruiz, MD``."""
        return f"{self.name}, {self.credentials}" if self.credentials else self.name

    @property
    def actor(self) -> Actor:
        """This account as the doer of an action."""
        return Actor(self.id, self.display_name, self.role)


def check_pin_rules(pin: str) -> str:
    """The PIN stripped of surrounding whitespace, or `PinError` if too short or too long."""
    pin = pin.strip()
    if not MIN_PIN_LENGTH <= len(pin) <= MAX_PIN_LENGTH:
        raise PinError(
            f"a staff PIN or password has {MIN_PIN_LENGTH} to {MAX_PIN_LENGTH} characters"
        )
    return pin


def generate_pin(digits: int = 8) -> str:
    """A random numeric PIN."""
    return "".join(secrets.choice("0123456789") for _ in range(digits))


def hash_secret(secret: str) -> str:
    """The argon2id hash of a secret that meets `check_pin_rules`."""
    return _HASHER.hash(check_pin_rules(secret))


def secret_matches(hashed: str, secret: str) -> bool:
    """True when ``secret`` (stripped) matches the argon2id hash; never raises."""
    secret = secret.strip()
    if len(secret) > MAX_PIN_LENGTH:  # a huge input is wrong without running argon2
        return False
    try:
        return _HASHER.verify(hashed, secret)
    except (VerificationError, InvalidHashError):
        return False


def clean_text(value: str, what: str, *, max_length: int, required: bool) -> str:
    """Text normalised (NFC, single spaces), or `AccountError` naming what is wrong."""
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if any(unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in text):
        raise AccountError(f"the {what} has a control or invisible character")
    if required and not text:
        raise AccountError(f"the {what} is empty")
    if len(text) > max_length:
        raise AccountError(f"the {what} has more than {max_length} characters")
    return text


class StaffPin:
    """0.1.0's shared staff PIN: an argon2id hash in ``<data>/staff_pin.argon2`` (mode 0600).

    Since staff accounts exist it is a set-up PIN only: while no account exists it opens the
    page that makes the first admin account, and making any account retires it.
    """

    def __init__(self, folder: str | Path) -> None:
        self.path = Path(folder) / PIN_FILE

    def is_set(self) -> bool:
        """True when a hash is stored."""
        return self.path.is_file() and bool(self.path.read_text("ascii").strip())

    def set(self, pin: str) -> None:
        """Hash and store a new PIN (replacing any earlier one)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(self.path, hash_secret(pin).encode("ascii"))

    def ensure(self, pin_file: str | Path | None = None) -> str | None:
        """Make sure a PIN is set; returns a newly generated PIN to show once, else None.

        With ``pin_file`` the PIN is read from that file (its first line) and stored hashed.
        """
        if pin_file is not None:
            self.set(read_secret_file(pin_file))
            return None
        if self.is_set():
            return None
        pin = generate_pin()
        self.set(pin)
        return pin

    def verify(self, pin: str) -> bool:
        """True when ``pin`` matches the stored hash (False when none is stored)."""
        if not self.is_set():
            return False
        return secret_matches(self.path.read_text("ascii").strip(), pin)

    def retire(self) -> bool:
        """Remove the shared PIN (once staff have their own accounts); True if there was one."""
        if not self.path.exists():
            return False
        self.path.unlink()
        fsync_folder(self.path.parent)
        return True


def read_secret_file(path: str | Path) -> str:
    """The first line of a secret file (`check_pin_rules` decides whether it will do)."""
    lines = Path(path).read_text("utf-8").splitlines()
    return lines[0] if lines else ""


_USER_SQL = """
    SELECT u.id, u.created_at, u.name, u.credentials, u.role, u.created_by,
        (SELECT c.change FROM staff_user_changes c WHERE c.user_id = u.id
            AND c.change IN ('disabled', 'enabled') ORDER BY c.seq DESC LIMIT 1),
        COALESCE((SELECT c.secret_hash FROM staff_user_changes c WHERE c.user_id = u.id
            AND c.change = 'secret' ORDER BY c.seq DESC LIMIT 1), u.secret_hash)
    FROM staff_users u
"""


def _user(row: tuple[Any, ...]) -> StaffUser:
    uid, created, name, credentials, role, created_by, status, _ = row
    return StaffUser(
        uid,
        datetime.fromisoformat(created),
        name,
        credentials,
        role,
        status != "disabled",
        created_by,
    )


class StaffAccounts:
    """The staff accounts kept in a kiosk store; every change is also an audit event.

    Changes happen inside the store's own write transactions (``BEGIN IMMEDIATE``), so two
    admins adding the same name at once cannot both succeed.
    """

    def __init__(self, store: KioskStore) -> None:
        self.store = store

    # -- reading ------------------------------------------------------------------------------

    def _rows(self, conn: sqlite3.Connection, where: str = "", params: tuple[Any, ...] = ()) -> Any:
        return conn.execute(_USER_SQL + where + " ORDER BY u.name COLLATE NOCASE, u.id", params)

    def users(self, *, active_only: bool = False) -> list[StaffUser]:
        """Every account (or only the active ones), by name."""
        found = [_user(row) for row in self._rows(self.store._conn())]
        return [u for u in found if u.active] if active_only else found

    def user(self, user_id: str) -> StaffUser | None:
        """The account with this id, or None."""
        row = self._rows(self.store._conn(), " WHERE u.id = ?", (user_id,)).fetchone()
        return None if row is None else _user(row)

    def count(self) -> int:
        """How many accounts were ever made (disabled ones included)."""
        (n,) = self.store._conn().execute("SELECT count(*) FROM staff_users").fetchone()
        return int(n)

    def by_name(self, name: str) -> StaffUser | None:
        """The account with this name (compared without case), or None."""
        wanted = " ".join(unicodedata.normalize("NFC", name).split()).casefold()
        return next((u for u in self.users() if u.name.casefold() == wanted), None)

    def verify(self, user_id: str, secret: str) -> StaffUser | None:
        """The active account when ``secret`` is its secret; None otherwise (runs argon2 once).

        Call it only after reserving the attempt with the attempt limiter.
        """
        row = self._rows(self.store._conn(), " WHERE u.id = ?", (user_id,)).fetchone()
        if row is None:
            return None
        user = _user(row)
        if not secret_matches(row[-1], secret) or not user.active:
            return None
        return user

    # -- changing -----------------------------------------------------------------------------

    def create(
        self, name: str, role: str, secret: str, *, credentials: str = "", by: Actor
    ) -> StaffUser:
        """Make an account with its own secret; raises `AccountError` or `PinError`.

        The first account ever made is recorded as such (``first_account`` in its event).
        """
        name = clean_text(name, "name", max_length=MAX_NAME_LENGTH, required=True)
        credentials = clean_text(
            credentials, "credentials", max_length=MAX_CREDENTIALS_LENGTH, required=False
        )
        if role not in ROLES:
            raise AccountError(f"a staff role is one of {', '.join(ROLES)}")
        hashed = hash_secret(secret)  # outside the write transaction: argon2 takes a while
        uid, created = new_token(), now_utc()
        with self.store._write() as conn:
            names = {row[0].casefold() for row in conn.execute("SELECT name FROM staff_users")}
            if name.casefold() in names:
                raise AccountError("there is already a staff account with this name")
            conn.execute(
                "INSERT INTO staff_users (id, created_at, name, credentials, role, secret_hash, "
                "created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (uid, created.isoformat(), name, credentials, role, hashed, by.id),
            )
            detail: dict[str, Any] = {**by.detail(), "user": uid, "user_role": role}
            if not names:
                detail["first_account"] = 1
            self.store._insert_event(conn, None, "staff_user_created", detail, created)
        made = self.user(uid)
        assert made is not None
        return made

    def disable(self, user_id: str, *, by: Actor) -> bool:
        """Disable an account (it can no longer log in); False when it was disabled already.

        The last active admin account cannot be disabled (`AccountError`).
        """
        return self._change(user_id, "disabled", by=by)

    def enable(self, user_id: str, *, by: Actor) -> bool:
        """Enable a disabled account again; False when it was active already."""
        return self._change(user_id, "enabled", by=by)

    def change_secret(self, user_id: str, secret: str, *, by: Actor) -> None:
        """Give an account a new secret (the old one no longer logs in)."""
        hashed = hash_secret(secret)
        self._change(user_id, "secret", by=by, secret_hash=hashed)

    def _change(
        self, user_id: str, change: str, *, by: Actor, secret_hash: str | None = None
    ) -> bool:
        at = now_utc()
        with self.store._write() as conn:
            row = self._rows(conn, " WHERE u.id = ?", (user_id,)).fetchone()
            if row is None:
                raise AccountError("there is no staff account with this id")
            user = _user(row)
            if (change == "disabled" and not user.active) or (change == "enabled" and user.active):
                return False
            if change == "disabled" and user.role == "admin":
                admins = [u for u in (_user(r) for r in self._rows(conn)) if u.active]
                if sum(1 for u in admins if u.role == "admin") <= 1:
                    raise AccountError("the last active admin account cannot be disabled")
            conn.execute(
                "INSERT INTO staff_user_changes (user_id, at, change, secret_hash, by) "
                "VALUES (?, ?, ?, ?, ?)",
                (user_id, at.isoformat(), change, secret_hash, by.id),
            )
            kind = "staff_user_secret_changed" if change == "secret" else f"staff_user_{change}"
            detail = {**by.detail(), "user": user_id, "user_role": user.role}
            self.store._insert_event(conn, None, kind, detail, at)
        return True
