"""What the kiosk views share: settings, store, staff PIN, attempt limiter and clinic."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from ..definitions.clinic import Clinic
from .config import KioskConfig
from .packets import PacketQueue
from .security import AttemptLimiter, StaffPin
from .store import KioskStore


@dataclass(frozen=True)
class KioskServices:
    """The objects one kiosk app works with."""

    config: KioskConfig
    """The server's settings."""
    store: KioskStore
    """The database and packet files."""
    pin: StaffPin
    """The staff PIN hash."""
    limiter: AttemptLimiter
    """Wrong-PIN lock-outs."""
    clinic: Clinic
    """The clinic whose consent and packets are made."""
    packets: PacketQueue
    """Renders the packets of signed records in the background."""

    def close(self) -> None:
        """Stop the packet workers and close the store (when the server stops)."""
        self.packets.close()
        self.store.close()


def services() -> KioskServices:
    """The services of the running app."""
    found = current_app.extensions["tpi_kiosk"]
    assert isinstance(found, KioskServices)
    return found
