"""Dates, times and lists formatted per locale and time zone (Babel), for documents and forms.

Every signing time is shown with its zone so a reader years later knows when it was::

    >>> import datetime as dt
    >>> when = dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.timezone.utc)
    >>> format_datetime(when, "en", "America/New_York")
    'March 2, 2026, 10:30\xa0AM Eastern Standard Time (GMT-05:00)'

CLDR puts a narrow no-break space (U+202F) before AM/PM; it is replaced with a plain no-break
space (U+00A0), which every font that documents embed has.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import lists as babel_lists

from .errors import FormatError

DATE_FORMATS = ("short", "medium", "long", "full")
_SPACES = str.maketrans({"\u202f": "\u00a0"})


def zone(name: str | dt.tzinfo) -> dt.tzinfo:
    """An IANA time zone by name (``Europe/Madrid``); `FormatError` if unknown."""
    if isinstance(name, dt.tzinfo):
        return name
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise FormatError(
            f"unknown time zone '{name}' (use an IANA name such as 'America/Chicago')"
        ) from None


def babel_locale(locale: str) -> Locale:
    """The Babel locale for a code such as ``en`` or ``es_MX``; `FormatError` if Babel lacks it."""
    try:
        return Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        raise FormatError(f"unknown locale '{locale}'") from None


def format_date(value: dt.date, locale: str, format: str = "long") -> str:
    """A calendar date in the locale's words: ``March 2, 2026`` / ``2 de marzo de 2026``.

    A `datetime.datetime` is formatted as its own date, without moving it to another zone.
    """
    _check_format(format)
    day = value.date() if isinstance(value, dt.datetime) else value
    return babel_dates.format_date(day, format, locale=babel_locale(locale)).translate(_SPACES)


def format_time(value: dt.datetime, locale: str, tz: str | dt.tzinfo, format: str = "short") -> str:
    """The clock time of an aware datetime in zone ``tz``, e.g. ``10:30 AM`` / ``10:30``."""
    _check_format(format)
    local = to_zone(value, tz)
    clock = babel_dates.format_time(local, format, tzinfo=local.tzinfo, locale=babel_locale(locale))
    return clock.translate(_SPACES)


def format_datetime(
    value: dt.datetime,
    locale: str,
    tz: str | dt.tzinfo,
    date_format: str = "long",
    time_format: str = "short",
) -> str:
    """Date, time and zone name of an aware datetime, shown in zone ``tz``.

    The zone is written out with its offset from GMT so the moment is unambiguous, e.g.
    ``2 de marzo de 2026, 16:30 hora estándar de Europa central (GMT+01:00)``.
    """
    _check_format(date_format)
    _check_format(time_format)
    local = to_zone(value, tz)
    where = babel_locale(locale)
    day = babel_dates.format_date(local.date(), date_format, locale=where)
    clock = babel_dates.format_time(local, time_format, tzinfo=local.tzinfo, locale=where)
    pattern = str(babel_dates.get_datetime_format(_check_format(date_format), locale=where))
    both = pattern.replace("{1}", day).replace("{0}", clock)
    return f"{both} {zone_name(local, locale)}".translate(_SPACES)


def zone_name(value: dt.datetime, locale: str) -> str:
    """The long zone name in effect at ``value`` with its GMT offset, in the locale's words."""
    if value.tzinfo is None:
        raise FormatError("a time without a time zone cannot be shown unambiguously")
    where = babel_locale(locale)
    name = babel_dates.get_timezone_name(value, "long", locale=where)
    offset = babel_dates.get_timezone_gmt(value, "long", locale=where)
    return name if name == offset else f"{name} ({offset})"


def to_zone(value: dt.datetime, tz: str | dt.tzinfo) -> dt.datetime:
    """``value`` (which must carry a time zone) as local time in ``tz``."""
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise FormatError("a time without a time zone cannot be shown unambiguously")
    return value.astimezone(zone(tz))


def format_list(items: Sequence[str], locale: str) -> str:
    """Items joined the locale's way: ``neck, arm, and leg`` / ``cuello, brazo y pierna``."""
    return babel_lists.format_list(list(items), locale=babel_locale(locale))


def _check_format(format: str) -> Literal["short", "medium", "long", "full"]:
    if format in DATE_FORMATS:
        return cast(Literal["short", "medium", "long", "full"], format)
    raise FormatError(f"unknown format '{format}' (expected one of: {', '.join(DATE_FORMATS)})")
