"""Settings of the kiosk server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_IDLE_TIMEOUT = 180
"""Seconds without a tap before an abandoned tablet session is wiped."""
DEFAULT_IDLE_WARNING = 30
"""Seconds before the wipe that the tablet asks "Are you still there?"."""


@dataclass(frozen=True)
class KioskConfig:
    """How one kiosk server runs; everything has a safe default except the data folder."""

    data_dir: Path
    """Folder of the database, packet PDFs, staff PIN hash, secret key and log file."""
    idle_timeout: int = DEFAULT_IDLE_TIMEOUT
    """Seconds without a request (server) or a tap (page script) before a session is wiped."""
    idle_warning: int = DEFAULT_IDLE_WARNING
    """The last seconds of ``idle_timeout`` in which the page asks "Are you still there?" with a
    countdown that any tap cancels (at most half the timeout; 0: no warning)."""
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
