"""What the kiosk views share: settings, store, staff PIN, attempt limiter, clinic and seal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app

from .. import clock
from ..definitions.clinic import Clinic
from .config import KioskConfig
from .packets import PacketQueue
from .sealing import ClinicSeal
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
    seal: ClinicSeal | None = None
    """The seal every packet is sealed with (None only when sealing is turned off)."""

    def now(self) -> dt.datetime:
        """The current time, from the configured clock."""
        return self.config.clock()

    def today(self) -> dt.date:
        """The clinic's calendar day now: the day every screening on this kiosk is made on."""
        return clock.today(self.clinic.time_zone, self.now())

    def close(self) -> None:
        """Stop the packet workers and close the store (when the server stops)."""
        self.packets.close()
        self.store.close()


def services() -> KioskServices:
    """The services of the running app."""
    found = current_app.extensions["tpi_kiosk"]
    assert isinstance(found, KioskServices)
    return found
