"""What the kiosk views share: settings, store, staff accounts, attempt limiter, clinic and seal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app

from .. import clock
from ..definitions.clinic import Clinic
from .accounts import StaffAccounts, StaffPin
from .config import KioskConfig
from .packets import PacketQueue
from .sealing import ClinicSeal
from .security import AttemptLimiter
from .store import KioskStore


@dataclass(frozen=True)
class KioskServices:
    """The objects one kiosk app works with."""

    config: KioskConfig
    """The server's settings."""
    store: KioskStore
    """The database and packet files."""
    accounts: StaffAccounts
    """The staff accounts (one per person)."""
    pin: StaffPin
    """0.1.0's shared staff PIN, a set-up PIN until the first account exists."""
    limiter: AttemptLimiter
    """Wrong-PIN lock-outs per client and per account."""
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
