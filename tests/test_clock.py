"""One helper decides what day it is, in the clinic's time zone; nothing else reads a local date."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

import tpi_forms
from tpi_forms import clock
from tpi_forms.definitions.clinic import Clinic, Practitioner
from tpi_forms.errors import FormatError
from tpi_forms.record.assemble import build_record
from tpi_forms.record.model import Signature
from tpi_forms.screening.scenarios import example_answers

LATE = dt.datetime(2026, 3, 3, 7, 30, tzinfo=dt.UTC)
"""23:30 on 2 March in Los Angeles; 21:30 on 3 March in Kiritimati."""


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("America/Los_Angeles", dt.date(2026, 3, 2)),
        ("UTC", dt.date(2026, 3, 3)),
        ("Pacific/Kiritimati", dt.date(2026, 3, 3)),
        ("Pacific/Pago_Pago", dt.date(2026, 3, 2)),
    ],
)
def test_the_day_is_the_clinics(zone: str, day: dt.date) -> None:
    assert clock.today(zone, LATE) == day


def test_a_moment_in_another_zone_is_the_same_moment() -> None:
    in_tokyo = LATE.astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert clock.today("America/Los_Angeles", in_tokyo) == dt.date(2026, 3, 2)


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(FormatError, match="without a time zone"):
        clock.today("UTC", dt.datetime(2026, 3, 3, 7, 30))
    with pytest.raises(FormatError, match="unknown time zone"):
        clock.today("Mars/Olympus", LATE)


def test_no_zone_is_this_computers_zone() -> None:
    assert clock.today(None, LATE) == LATE.astimezone().date()
    now = clock.utc_now()
    assert now.tzinfo is not None and now.utcoffset() == dt.timedelta(0)


def test_the_latest_day_anywhere() -> None:
    # At 10:30 UTC on 2 March it is already 3 March at UTC+14, nowhere 4 March.
    assert clock.latest_today(dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.UTC)) == dt.date(2026, 3, 3)
    assert clock.latest_today(dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)) == dt.date(2026, 3, 2)


def test_the_record_screens_on_the_clinics_day_of_created_at() -> None:
    answers = example_answers("clear")
    answers["prior_treatments"] = ["physical_therapy", "trigger_point_injection"]
    answers["prior_tpi_problem"] = False
    answers["prior_tpi_same_site"] = False
    answers["last_injection_date"] = "2026-01-20"  # 41 days before 2 March, 42 before 3 March
    for zone, day, recent in [
        ("America/Los_Angeles", "2026-03-02", True),
        ("UTC", "2026-03-03", False),
    ]:
        clinic = Clinic("C", ("1 Road",), "555", zone, practitioners=(Practitioner("a", "A"),))
        record = build_record(answers, [signature()], clinic=clinic, created_at=LATE)
        findings = record.screening["findings"]
        assert isinstance(findings, tuple)
        found = "recent_injection" in [f["rule_id"] for f in findings]
        assert (record.screening["as_of"], found) == (day, recent), zone
    pinned = build_record(answers, [signature()], created_at=LATE, as_of=dt.date(2026, 3, 2))
    assert pinned.screening["as_of"] == "2026-03-02"


def signature() -> Signature:
    return Signature(
        role="patient",
        printed_name="Alex Example",
        signed_at=LATE,
        meaning="I agree.",
        method="typed",
    )


LOCAL_DAY = re.compile(
    r"\bdate\.today\(|\bdatetime\.today\(|\bdatetime\.now\(\s*\)|\butcnow\(|"
    r"\.astimezone\(\s*\)|\btime\.localtime\("
)


def test_no_module_but_the_clock_reads_a_local_day() -> None:
    package = Path(tpi_forms.__file__).parent
    found = [
        f"{path.relative_to(package)}:{number}"
        for path in sorted(package.rglob("*.py"))
        if path.name != "clock.py" or path.parent != package
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if LOCAL_DAY.search(line)
    ]
    assert found == []
    assert LOCAL_DAY.search((package / "clock.py").read_text(encoding="utf-8"))  # the one helper
