"""Who a blank paper packet is printed for: a name and a date of birth, both optional."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .. import clock
from .._text import hidden_character, nfc
from ..errors import PacketError
from ..record.model import MAX_NAME


@dataclass(frozen=True)
class BlankPatient:
    """Who a blank packet is printed for; both fields are optional and printed as given."""

    name: str | None = None
    """The patient's name, printed in the header and the questionnaire's name field (as NFC)."""
    date_of_birth: dt.date | None = None
    """The patient's date of birth, printed in the header and the date-of-birth field."""

    def __post_init__(self) -> None:
        if self.name is not None:
            if not isinstance(self.name, str):
                raise PacketError("the patient's name must be text")
            if len(self.name) > MAX_NAME:
                raise PacketError(f"the patient's name is longer than {MAX_NAME} characters")
            if hidden_character(self.name):
                raise PacketError("the patient's name has a hidden or control character")
            object.__setattr__(self, "name", nfc(self.name.strip()) or None)
        dob = self.date_of_birth
        if dob is not None:
            if isinstance(dob, dt.datetime) or not isinstance(dob, dt.date):
                raise PacketError("the date of birth must be a date (without a time)")
            if dob > clock.latest_today():
                raise PacketError("the date of birth is in the future")
