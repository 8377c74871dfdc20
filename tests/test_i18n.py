"""Dates, times, zones and lists per locale."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tpi_forms.errors import FormatError
from tpi_forms.i18n import format_date, format_datetime, format_list, format_time, to_zone, zone

WINTER = dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC)
SUMMER = dt.datetime(2026, 7, 2, 15, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en", "March 2, 2026"), ("es", "2 de marzo de 2026")],
)
def test_format_date_long(locale: str, expected: str) -> None:
    assert format_date(dt.date(2026, 3, 2), locale) == expected


def test_format_date_short_differs_by_locale() -> None:
    assert format_date(dt.date(2026, 3, 2), "en", "short") == "3/2/26"
    assert format_date(dt.date(2026, 3, 2), "es", "short") == "2/3/26"


def test_format_date_of_a_datetime_keeps_its_own_day() -> None:
    late = dt.datetime(2026, 3, 2, 23, 30, tzinfo=ZoneInfo("America/Chicago"))
    assert format_date(late, "en") == "March 2, 2026"


@pytest.mark.parametrize(
    ("when", "locale", "tz", "expected"),
    [
        (
            WINTER,
            "en",
            "America/New_York",
            "March 2, 2026, 10:30\xa0AM Eastern Standard Time (GMT-05:00)",
        ),
        (
            SUMMER,
            "en",
            "America/New_York",
            "July 2, 2026, 11:30\xa0AM Eastern Daylight Time (GMT-04:00)",
        ),
        (
            WINTER,
            "es",
            "Europe/Madrid",
            "2 de marzo de 2026, 16:30 hora estándar de Europa central (GMT+01:00)",
        ),
        (
            SUMMER,
            "es",
            "America/Chicago",
            "2 de julio de 2026, 10:30 hora de verano central (GMT-05:00)",
        ),
    ],
)
def test_format_datetime_names_the_zone(
    when: dt.datetime, locale: str, tz: str, expected: str
) -> None:
    assert format_datetime(when, locale, tz) == expected


def test_same_moment_in_two_zones() -> None:
    assert format_time(WINTER, "es", "Europe/Madrid") == "16:30"
    assert format_time(WINTER, "es", ZoneInfo("Asia/Tokyo")) == "0:30"
    assert to_zone(WINTER, "Asia/Tokyo").day == 3


def test_no_narrow_spaces_that_fonts_lack() -> None:
    assert "\u202f" not in format_datetime(WINTER, "en", "UTC")
    assert "\u202f" not in format_time(WINTER, "en", "UTC")


def test_naive_time_is_refused() -> None:
    with pytest.raises(FormatError, match="without a time zone"):
        format_datetime(dt.datetime(2026, 3, 2, 15, 30), "en", "UTC")


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd"])
def test_unknown_zone(name: str) -> None:
    with pytest.raises(FormatError, match="unknown time zone"):
        zone(name)


def test_unknown_locale_and_format() -> None:
    with pytest.raises(FormatError, match="unknown locale 'xx'"):
        format_date(dt.date(2026, 1, 1), "xx")
    with pytest.raises(FormatError, match="unknown format 'huge'"):
        format_date(dt.date(2026, 1, 1), "en", "huge")


def test_format_list() -> None:
    assert format_list(["neck", "shoulder", "upper back"], "en") == "neck, shoulder, and upper back"
    assert format_list(["cuello", "hombro", "espalda"], "es") == "cuello, hombro y espalda"
    assert format_list(["neck"], "en") == "neck"
