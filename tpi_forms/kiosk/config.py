"""Settings of the kiosk server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..clock import utc_now
from ..errors import TpiFormsError

DEFAULT_IDLE_TIMEOUT = 180
"""Seconds without a tap before an abandoned tablet session is wiped."""


@dataclass(frozen=True)
class RetryPolicy:
    """How many times, and how long apart, a failed packet render is tried again."""

    attempts: int = 4
    """Tries in all for a failure that will likely repeat (the renderer refuses the record)."""
    transient_attempts: int = 40
    """Tries in all for a failure that may pass by itself (a full disk, a worker that died)."""
    first_wait: float = 5.0
    """Seconds before the second try; each later wait doubles."""
    max_wait: float = 600.0
    """Longest wait between two tries, in seconds."""

    def __post_init__(self) -> None:
        if not 1 <= self.attempts <= self.transient_attempts:
            raise TpiFormsError("packet retries: at least 1 try, and no fewer when transient")
        if not 0 < self.first_wait <= self.max_wait:
            raise TpiFormsError("packet retries: the first wait is positive and at most the cap")

    def wait(self, attempt: int) -> float:
        """Seconds to wait after failed try number ``attempt`` (1 is the first try)."""
        return float(min(self.max_wait, self.first_wait * 2 ** min(attempt - 1, 32)))

    def limit(self, transient: bool) -> int:
        """How many tries a failure gets (``transient``: one that may pass by itself)."""
        return self.transient_attempts if transient else self.attempts


@dataclass(frozen=True)
class KioskConfig:
    """How one kiosk server runs; everything has a safe default except the data folder."""

    data_dir: Path
    """Folder of the database, packet PDFs, staff PIN hash, secret key and log file."""
    idle_timeout: int = DEFAULT_IDLE_TIMEOUT
    """Seconds without a request (server) or a tap (page script) before a session is wiped."""
    clinic_file: Path | None = None
    """The clinic's TOML file; None uses the fictitious sample clinic."""
    self_checkin: bool = True
    """Whether a patient may start a check-in on the tablet without staff."""
    max_content_length: int = 4 * 1024 * 1024
    """Largest request body accepted, in bytes (a drawn signature is well under 1 MB)."""
    pin_max_attempts: int = 5
    """Wrong staff PINs in a row before a lock-out."""
    pin_lockout_seconds: int = 300
    """How long a lock-out lasts."""
    secure_cookies: bool = False
    """Mark cookies ``Secure`` (set when served over TLS, directly or behind a TLS proxy)."""
    device_id: str = "kiosk"
    """Name of this kiosk in audit trails and packets."""
    log_file: bool = True
    """Write the kiosk log to ``<data_dir>/kiosk.log`` (never holds patient data)."""
    testing: bool = False
    """Flask testing mode (exceptions propagate)."""
    csrf: bool = True
    """CSRF protection on every form; only tests of other things turn it off."""
    wait_refresh_seconds: int = 10
    """How often the waiting page checks whether staff cleared the patient."""
    packet_workers: int = 0
    """Worker processes rendering packet PDFs in the background; 0 renders in one thread."""
    packet_retry: RetryPolicy = RetryPolicy()
    """How often a packet whose rendering fails is tried again before staff are told."""
    clock: Callable[[], dt.datetime] = utc_now
    """The current time (time-zone aware); the clinic's day comes from it. Tests set their own."""
