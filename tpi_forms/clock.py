"""What day it is: the one place that turns the computer's clock into a calendar day.

A screening compares dates with "today" (a last injection within 42 days, a date that cannot be
in the future). Near midnight that day depends on where you are, so it is always the day in the
clinic's time zone, decided here::

    >>> import datetime as dt
    >>> late = dt.datetime(2026, 3, 3, 7, 30, tzinfo=dt.UTC)
    >>> today("America/Los_Angeles", late)
    datetime.date(2026, 3, 2)
    >>> today("UTC", late)
    datetime.date(2026, 3, 3)

No other module calls ``date.today()`` or a ``datetime.now()`` without a time zone (a test
checks the package source).
"""

from __future__ import annotations

import datetime as dt

from .i18n import to_zone

LATEST_ZONE = "Etc/GMT-14"
"""The zone where a new day starts first (UTC+14, e.g. Kiritimati): no place on Earth is later."""


def utc_now() -> dt.datetime:
    """This moment, as a time-zone-aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


def today(time_zone: str | dt.tzinfo | None, now: dt.datetime | None = None) -> dt.date:
    """The calendar day at ``now`` (default: this moment) in ``time_zone``, an IANA name.

    ``time_zone=None`` is this computer's own zone: the day a library caller gets when it names
    no clinic. ``now`` must carry a time zone (`FormatError` otherwise).
    """
    moment = utc_now() if now is None else now
    if time_zone is None:
        return to_zone(moment, dt.UTC).astimezone().date()
    return to_zone(moment, time_zone).date()


def latest_today(now: dt.datetime | None = None) -> dt.date:
    """The latest calendar day anywhere on Earth at ``now``: a date after it is in the future
    wherever the patient is (the check for a date of birth given without a clinic)."""
    return today(LATEST_ZONE, now)
