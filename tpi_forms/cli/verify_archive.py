"""``tpi-forms verify DIR``: verify every packet in a folder tree and write a report."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from ..errors import TpiFormsError
from ._seal_options import read_all

BAR_WIDTH = 30
"""Characters of the progress bar drawn on a terminal."""


def add_archive_options(parser: argparse.ArgumentParser) -> None:
    """The options that apply when ``verify`` is given a folder."""
    group = parser.add_argument_group("a folder of packets (verify DIR)")
    group.add_argument("--report", type=Path, metavar="FILE.html", help="write an HTML report")
    group.add_argument("--csv", type=Path, metavar="FILE.csv", help="write a CSV report")
    group.add_argument(
        "--workers", type=int, default=2, metavar="N", help="packets verified at once (default 2)"
    )
    group.add_argument(
        "--report-locale", default="en", metavar="LOCALE", help="language of the report (en, es)"
    )


def progress_printer(stream: TextIO) -> Callable[[int, int], None]:
    """``progress(done, total)``: a bar redrawn in place on a terminal, else ``12/50`` lines."""
    tty = stream.isatty()

    def show(done: int, total: int) -> None:
        if tty:
            filled = BAR_WIDTH * done // total
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            stream.write(f"\r[{bar}] {done}/{total}" + ("\n" if done == total else ""))
        else:
            stream.write(f"{done}/{total}\n")
        stream.flush()

    return show


def run_archive(args: argparse.Namespace) -> int:
    from ..definitions.words import word_set
    from ..verify.archive import verify_archive
    from ..verify.report import check_label, write_csv, write_html

    if args.level or args.online:
        raise TpiFormsError("--level and --online check one packet; give a packet, not a folder")
    if args.report_locale not in word_set("report").locales:
        raise TpiFormsError(
            f"--report-locale must be one of: {', '.join(word_set('report').locales)}"
        )
    report = verify_archive(
        args.packet,
        workers=args.workers,
        trust_roots=read_all(args.trust) if args.trust else None,
        tsa_roots=read_all(args.tsa_trust),
        progress=progress_printer(sys.stderr),
    )
    t: Any = word_set("report").words(args.report_locale)
    for entry in report.entries:
        failed = [check_label(name, t) for name, passed in entry.checks if not passed]
        line = f"{'PASS' if entry.ok else 'FAIL'} {entry.path}"
        print(line + (f": {'; '.join(failed)}" if failed else ""))
    if args.report:
        write_html(report, args.report, args.report_locale)
    if args.csv:
        write_csv(report, args.csv, args.report_locale)
    bad = sum(1 for e in report.entries if not e.ok)
    total = len(report.entries)
    print(f"ok: all {total} packets passed" if report.ok else f"FAILED: {bad} of {total} packets")
    return 0 if report.ok else 1
