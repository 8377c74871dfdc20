"""Write an archive verification (`tpi_forms.verify.archive`) as CSV or as one HTML page.

Both show one line per packet: its path in the folder, the patient's initials, the consent
version, the seal level, each check's result in words and the overall result, in the words of
the ``report.<locale>.toml`` set. The HTML page is self-contained (its style is inline; it
names no other file, script or image) and everything in it is escaped. CSV cells that a
spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) start with an apostrophe.

>>> write_csv(report, Path("report.csv"), "en")  # doctest: +SKIP
>>> Path("report.html").write_text(report_html(report, "es"), encoding="utf-8")  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from pathlib import Path

from .. import clock
from .._resources import make_environment
from ..definitions.words import words
from ..i18n import format_datetime
from ..pdf.paper import write_atomically
from .archive import SEAL_NONE, SEAL_UNCHECKED, ArchiveEntry, ArchiveReport

__all__ = ["check_label", "csv_text", "report_html", "report_rows", "write_csv", "write_html"]

_NUMBERED = re.compile(r"^seal_(\d+)_(.+)$")


def check_label(name: str, t: Mapping[str, str]) -> str:
    """A check's id in words: ``seal_2_trusted`` → "Seal certificate trusted (seal 2)"."""
    if f"check.{name}" in t:
        return t[f"check.{name}"]
    numbered = _NUMBERED.match(name)
    if numbered:
        inner = check_label(f"seal_{numbered.group(2)}", t)
        return t["check.numbered"].format(check=inner, number=numbered.group(1))
    if re.fullmatch(r"seal_\d+", name):
        return t["check.numbered"].format(check=t["check.seal"], number=name[5:])
    return t["check.other"].format(name=name.replace("_", " "))


def _level(entry: ArchiveEntry, t: Mapping[str, str]) -> str:
    if entry.seal_level == SEAL_NONE:
        return t["level.none"]
    if entry.seal_level == SEAL_UNCHECKED:
        return t["level.unchecked"]
    return entry.seal_level


def report_rows(report: ArchiveReport, locale: str) -> tuple[list[str], list[list[str]]]:
    """The header and one row per packet, in words: what both the CSV and the HTML show."""
    t = words("report", locale, default="en")
    names = report.check_names
    header = [t["file"], t["initials"], t["consent_version"], t["seal_level"], t["result"]]
    header += [check_label(name, t) for name in names]
    rows = []
    for entry in report.entries:
        results = dict(entry.checks)
        row = [
            entry.path,
            entry.initials or t["unknown"],
            entry.consent_version or t["unknown"],
            _level(entry, t),
            t["overall_pass"] if entry.ok else t["overall_fail"],
        ]
        for name in names:
            found = results.get(name)
            row.append(t["not_run"] if found is None else t["passed" if found else "failed"])
        rows.append(row)
    return header, rows


def _cell(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_text(report: ArchiveReport, locale: str) -> str:
    """The report as CSV text (a header line, then one line per packet)."""
    header, rows = report_rows(report, locale)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in (header, *rows):
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def write_csv(report: ArchiveReport, path: Path, locale: str) -> None:
    """Write `csv_text` to ``path`` whole (UTF-8 with a byte-order mark, which spreadsheets
    expect)."""
    write_atomically(path, csv_text(report, locale).encode("utf-8-sig"))


def write_html(report: ArchiveReport, path: Path, locale: str) -> None:
    """Write `report_html` to ``path`` whole (UTF-8)."""
    write_atomically(path, report_html(report, locale).encode("utf-8"))


def report_html(report: ArchiveReport, locale: str) -> str:
    """The report as one self-contained, escaped HTML page."""
    t = words("report", locale, default="en")
    header, rows = report_rows(report, locale)
    failed = sum(1 for e in report.entries if not e.ok)
    total = len(report.entries)
    summary = t["summary"].format(
        total=total, root=report.root, passed=total - failed, failed=failed
    )
    return (
        make_environment()
        .get_template("report/archive.html")
        .render(
            t=t,
            locale=locale,
            summary=summary,
            generated=format_datetime(clock.utc_now(), locale, "UTC"),
            header=header,
            rows=[(entry.ok, row) for entry, row in zip(report.entries, rows, strict=True)],
        )
    )
