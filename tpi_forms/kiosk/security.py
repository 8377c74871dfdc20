"""Kiosk security: staff PIN (argon2id), attempt limiting, server-side sessions, HTTP headers.

- The staff PIN is stored only as an argon2id hash in the data folder.
- `AttemptLimiter` locks a client out for a while after too many wrong PINs.
- `IdleSessionInterface` keeps sessions on the server, behind a random cookie id; a session
  idle longer than the timeout is wiped, and `wipe`/`rotate` issue a fresh id. A page's own
  automatic refresh (the waiting page, ``?refresh=1``) is not activity: it cannot keep a session
  alive past the idle timeout.
- `apply_security_headers` sets CSP, frame, referrer and sniffing headers and ``no-store``.
- `HostAllowList` answers 400 to any ``Host`` not allowed (DNS rebinding, forged hosts).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from ..errors import PinError
from .store import write_atomic

PIN_FILE = "staff_pin.argon2"
SECRET_FILE = "secret_key"
MIN_PIN_LENGTH = 6
MAX_PIN_LENGTH = 128

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile


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


class StaffPin:
    """The staff PIN's argon2id hash in ``<data>/staff_pin.argon2`` (mode 0600)."""

    def __init__(self, folder: str | Path) -> None:
        self.path = Path(folder) / PIN_FILE

    def is_set(self) -> bool:
        """True when a hash is stored."""
        return self.path.is_file() and bool(self.path.read_text("ascii").strip())

    def set(self, pin: str) -> None:
        """Hash and store a new PIN (replacing any earlier one)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(self.path, _HASHER.hash(check_pin_rules(pin)).encode("ascii"))

    def ensure(self, pin_file: str | Path | None = None) -> str | None:
        """Make sure a PIN is set; returns a newly generated PIN to show once, else None.

        With ``pin_file`` the PIN is read from that file (its first line) and stored hashed.
        """
        if pin_file is not None:
            lines = Path(pin_file).read_text("utf-8").splitlines()
            self.set(lines[0] if lines else "")
            return None
        if self.is_set():
            return None
        pin = generate_pin()
        self.set(pin)
        return pin

    def verify(self, pin: str) -> bool:
        """True when ``pin`` matches the stored hash (False when none is stored)."""
        if not self.is_set() or len(pin) > MAX_PIN_LENGTH:
            return False
        try:
            return _HASHER.verify(self.path.read_text("ascii").strip(), pin.strip())
        except (VerificationError, InvalidHashError):
            return False


def secret_key(folder: str | Path) -> bytes:
    """The app's secret key, made once and kept in ``<data>/secret_key`` (mode 0600)."""
    path = Path(folder) / SECRET_FILE
    if not path.is_file():
        write_atomic(path, secrets.token_hex(32).encode("ascii"))
    return path.read_bytes().strip()


@dataclass(frozen=True)
class Lockout:
    """The state of one client in the attempt limiter."""

    locked_for: float
    """Seconds until the client may try again; 0 when it may try now."""
    attempts_left: int
    """Wrong attempts left before a lock-out."""


class AttemptLimiter:
    """Counts wrong PIN attempts per client; locks a client out after ``max_attempts``."""

    def __init__(
        self,
        max_attempts: int = 5,
        lockout_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_attempts = max_attempts
        self.lockout_seconds = lockout_seconds
        self.clock = clock
        self._failures: dict[str, int] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def state(self, client: str) -> Lockout:
        """How long ``client`` is locked out for and how many attempts it has left."""
        with self._lock:
            now = self.clock()
            until = self._locked_until.get(client, 0.0)
            if until and until <= now:
                del self._locked_until[client]
                self._failures.pop(client, None)
                until = 0.0
            return Lockout(max(0.0, until - now), self.max_attempts - self._failures.get(client, 0))

    def failure(self, client: str) -> Lockout:
        """Count a wrong attempt; returns the new state."""
        with self._lock:
            count = self._failures.get(client, 0) + 1
            self._failures[client] = count
            if count >= self.max_attempts:
                self._locked_until[client] = self.clock() + self.lockout_seconds
        return self.state(client)

    def success(self, client: str) -> None:
        """Forget the wrong attempts of a client that got in."""
        with self._lock:
            self._failures.pop(client, None)
            self._locked_until.pop(client, None)


# -- server-side sessions with idle expiry -------------------------------------------------------


class KioskSession(CallbackDict[str, Any], SessionMixin):
    """A session whose data stays on the server; the cookie holds only a random id."""

    def __init__(
        self,
        sid: str,
        data: dict[str, Any] | None = None,
        *,
        new: bool = False,
        expired: bool = False,
    ) -> None:
        def touched(_: Any) -> None:
            self.modified = True

        super().__init__(data or {}, touched)
        self.sid = sid
        self.new = new
        self.expired = expired
        """True when the client came back with a session that had timed out (and was wiped)."""
        self.modified = False
        self.rotate_requested = False
        self.last_seen: float | None = None
        """For a passive request (`is_passive`): the time of the last real one, which stays
        the session's last activity."""

    def wipe(self) -> None:
        """Forget everything and take a fresh id (the old id no longer opens anything)."""
        self.clear()
        self.rotate_requested = True

    def rotate(self) -> None:
        """Keep the data under a fresh id (after logging in)."""
        self.rotate_requested = True


PASSIVE_ARG = "refresh"
"""Query argument of a page's own automatic refresh (the waiting page): not activity."""


def is_passive(request: Request) -> bool:
    """True for a GET a page makes by itself (``?refresh=1``): it keeps no session alive."""
    return request.method == "GET" and request.args.get(PASSIVE_ARG) == "1"


class IdleSessionInterface(SessionInterface):
    """Sessions kept in memory on the server, wiped after ``idle_seconds`` without a request.

    The kiosk runs as one process (waitress threads), so memory is the right place: a restart
    also wipes every session, which is what a kiosk wants.
    """

    def __init__(self, idle_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.idle_seconds = idle_seconds
        self.clock = clock
        self._sessions: dict[str, tuple[dict[str, Any], float]] = {}
        self._lock = threading.Lock()

    def _new_sid(self) -> str:
        return secrets.token_urlsafe(32)

    def open_session(self, app: Flask, request: Request) -> KioskSession:
        sid = request.cookies.get(self.get_cookie_name(app), "")
        now = self.clock()
        with self._lock:
            self._expire(now)
            found = self._sessions.get(sid)
            if found is not None:
                data, seen = found
                if is_passive(request):  # a page refreshing itself: nobody touched the tablet
                    session = KioskSession(sid, dict(data))
                    session.last_seen = seen
                    return session
                self._sessions[sid] = (data, now)
                return KioskSession(sid, dict(data))
        return KioskSession(self._new_sid(), new=True, expired=bool(sid))

    def _expire(self, now: float) -> None:
        stale = [s for s, (_, seen) in self._sessions.items() if now - seen > self.idle_seconds]
        for sid in stale:
            del self._sessions[sid]

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, KioskSession)
        name = self.get_cookie_name(app)
        secure = self.get_cookie_secure(app)
        with self._lock:
            if session.rotate_requested:
                self._sessions.pop(session.sid, None)
                session.sid = self._new_sid()
                session.new = True
            if not session and not session.new:
                self._sessions.pop(session.sid, None)
            if session:
                seen = self.clock() if session.last_seen is None else session.last_seen
                self._sessions[session.sid] = (dict(session), seen)
        if session.new and not session:
            if session.rotate_requested:  # wiped: drop the cookie too
                response.delete_cookie(
                    name, path="/", secure=secure, httponly=True, samesite="Strict"
                )
            return
        if session.new or session.rotate_requested:
            response.set_cookie(
                name,
                session.sid,
                path="/",
                httponly=True,
                secure=secure,
                samesite="Strict",
            )
        response.vary.add("Cookie")

    def count(self) -> int:
        """Live sessions (for tests)."""
        with self._lock:
            return len(self._sessions)


def apply_security_headers(response: Response, *, no_store: bool = True) -> Response:
    """Set the security headers, and ``Cache-Control: no-store`` unless told otherwise."""
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    if no_store:
        response.headers["Cache-Control"] = "no-store, max-age=0"
        response.headers["Pragma"] = "no-cache"
        response.headers["Expires"] = "0"
    return response


def client_key(request: Request) -> str:
    """The client an attempt is counted against: its address (the kiosk serves a LAN)."""
    return request.remote_addr or "unknown"


# -- the Host allow-list -------------------------------------------------------------------------


def host_name(host: str) -> str:
    """The name in a ``Host`` header, without port, lower case: ``[::1]:80`` gives ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


class HostAllowList:
    """WSGI middleware: a request whose ``Host`` is not allowed gets 400, its host never echoed.

    The kiosk builds no URL from the Host header then, so DNS rebinding and forged hosts in
    redirects cannot reach it.
    """

    def __init__(self, app: Callable[..., Any], hosts: Iterable[str], refusal: str) -> None:
        self.app = app
        self.hosts = frozenset(host_name(h) for h in hosts if h.strip())
        self.refusal = refusal.encode("utf-8")

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        host = str(environ.get("HTTP_HOST") or "")
        if host_name(host) in self.hosts:
            return self.app(environ, start_response)
        headers = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(self.refusal))),
            ("Cache-Control", "no-store"),
            *SECURITY_HEADERS.items(),
        ]
        start_response("400 Bad Request", headers)
        return [self.refusal]
