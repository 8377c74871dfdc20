"""Kiosk security: attempt limiting, server-side sessions, HTTP headers.

- Staff accounts and 0.1.0's shared PIN (argon2id hashes) live in `.accounts`.
- `AttemptLimiter` counts wrong secrets per client and per account, reserving each attempt
  before its secret is checked, and locks either out for a while after too many.
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
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from ..errors import PinError
from .accounts import (
    MAX_PIN_LENGTH,
    MIN_PIN_LENGTH,
    PIN_FILE,
    StaffPin,
    check_pin_rules,
    generate_pin,
)
from .store import write_atomic

SECRET_FILE = "secret_key"

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


def secret_key(folder: str | Path) -> bytes:
    """The app's secret key, made once and kept in ``<data>/secret_key`` (mode 0600)."""
    path = Path(folder) / SECRET_FILE
    if not path.is_file():
        write_atomic(path, secrets.token_hex(32).encode("ascii"))
    return path.read_bytes().strip()


@dataclass(frozen=True)
class Lockout:
    """Where one client and one account stand in the attempt limiter."""

    locked_for: float
    """Seconds until they may try again (the longer lock of the two); 0 when not locked."""
    attempts_left: int
    """Wrong attempts left before a lock-out (the fewer of the two; attempts under way count)."""
    account_locked: bool = False
    """True when the account is locked for every client, not only this client."""


@dataclass
class _Count:
    """Wrong attempts of one client or one account."""

    failures: list[float] = field(default_factory=list)
    """When each recent wrong attempt was settled (clock seconds)."""
    pending: int = 0
    """Attempts reserved and not yet settled."""
    locked_until: float = 0.0
    """Clock time the lock-out ends; 0 when not locked."""


class Attempt:
    """One reserved log-in attempt; settle it once with `failed` or `succeeded`.

    Used as a context manager, an attempt left unsettled (an error while checking) is released
    without counting.
    """

    def __init__(self, limiter: AttemptLimiter, client: str, account: str | None) -> None:
        self.limiter = limiter
        self.client = client
        self.account = account
        self.settled = False

    def failed(self) -> Lockout:
        """Count a wrong secret against the client and the account; returns the new state."""
        return self.limiter._settle(self, failed=True)

    def succeeded(self) -> None:
        """Forget the wrong attempts of the client and the account that got in."""
        self.limiter._settle(self, succeeded=True)

    def release(self) -> None:
        """Give the reservation back without counting it."""
        self.limiter._settle(self)

    def __enter__(self) -> Attempt:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.settled:
            self.release()


class AttemptLimiter:
    """Counts wrong secrets per client (device) and per account, atomically.

    - A client with ``max_attempts`` wrong secrets within ``lockout_seconds`` is locked out
      for ``lockout_seconds``: that client only, whichever account it tried.
    - An account with ``account_max_attempts`` wrong secrets within ``lockout_seconds``, from
      any clients, is locked for every client for ``lockout_seconds``.
    - `reserve` takes an attempt under the lock *before* the secret is checked, and a reserved
      attempt counts against both limits until it is settled: parallel attempts never check
      more secrets than the limits allow.

    A locked client stays locked as long as the counting window, so one client adds at most
    ``max_attempts`` failures to an account's window; with ``account_max_attempts`` above
    ``max_attempts`` (the default is twice), a patient tapping wrong PINs on the tablet cannot
    lock the desk's accounts out.
    """

    def __init__(
        self,
        max_attempts: int = 5,
        lockout_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        account_max_attempts: int | None = None,
    ) -> None:
        self.max_attempts = max_attempts
        self.account_max_attempts = account_max_attempts or 2 * max_attempts
        self.lockout_seconds = lockout_seconds
        self.clock = clock
        self._counts: dict[tuple[str, str], _Count] = {}
        self._lock = threading.Lock()

    def _limits(self, client: str, account: str | None) -> list[tuple[tuple[str, str], int]]:
        keys = [(("client", client), self.max_attempts)]
        if account:
            keys.append((("account", account), self.account_max_attempts))
        return keys

    def _count(self, key: tuple[str, str], now: float) -> _Count:
        count = self._counts.setdefault(key, _Count())
        if count.locked_until and count.locked_until <= now:
            count.locked_until = 0.0
            count.failures.clear()
        count.failures = [t for t in count.failures if now - t < self.lockout_seconds]
        return count

    def _forget_idle(self) -> None:
        idle = [
            k for k, c in self._counts.items() if not (c.failures or c.pending or c.locked_until)
        ]
        for key in idle:
            del self._counts[key]

    def _state(self, client: str, account: str | None, now: float) -> Lockout:
        locked_for, left, account_locked = 0.0, self.max_attempts, False
        for key, limit in self._limits(client, account):
            count = self._count(key, now)
            locked_for = max(locked_for, count.locked_until - now)
            left = min(left, limit - len(count.failures) - count.pending)
            account_locked = account_locked or (key[0] == "account" and count.locked_until > now)
        return Lockout(max(0.0, locked_for), max(0, left), account_locked)

    def state(self, client: str, account: str | None = None) -> Lockout:
        """How long ``client`` (and ``account``) are locked out for and the attempts left."""
        with self._lock:
            state = self._state(client, account, self.clock())
            self._forget_idle()
            return state

    def reserve(self, client: str, account: str | None = None) -> Attempt | None:
        """Reserve one attempt for ``client`` at ``account``; None when either is locked out
        or has no attempt left (counting the attempts under way)."""
        with self._lock:
            now = self.clock()
            state = self._state(client, account, now)
            if state.locked_for > 0 or state.attempts_left <= 0:
                self._forget_idle()
                return None
            for key, _ in self._limits(client, account):
                self._counts[key].pending += 1
            return Attempt(self, client, account)

    def _settle(
        self, attempt: Attempt, *, failed: bool = False, succeeded: bool = False
    ) -> Lockout:
        with self._lock:
            if attempt.settled:
                raise RuntimeError("a log-in attempt is settled once")
            attempt.settled = True
            now = self.clock()
            for key, limit in self._limits(attempt.client, attempt.account):
                count = self._count(key, now)
                count.pending -= 1
                if succeeded:
                    count.failures.clear()
                elif failed:
                    count.failures.append(now)
                    if len(count.failures) >= limit:
                        count.locked_until = now + self.lockout_seconds
            state = self._state(attempt.client, attempt.account, now)
            self._forget_idle()
            return state


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


def client_key(request: Request, *, trust_header: bool = False) -> str:
    """The client an attempt is counted against: its address (the kiosk serves a LAN).

    With ``trust_header`` (tests only: any client could name any address) the first address in
    ``X-Forwarded-For`` stands in for it, so tests can be two devices on one loopback address.
    """
    if trust_header:
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
        if forwarded:
            return forwarded[:64]
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


__all__ = [
    "MAX_PIN_LENGTH",
    "MIN_PIN_LENGTH",
    "PIN_FILE",
    "Attempt",
    "AttemptLimiter",
    "HostAllowList",
    "IdleSessionInterface",
    "KioskSession",
    "Lockout",
    "PinError",
    "StaffPin",
    "apply_security_headers",
    "check_pin_rules",
    "client_key",
    "generate_pin",
    "host_name",
    "secret_key",
]
