"""``tpi-forms day-packets``: print the day's pre-filled paper packets from the appointment list."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from ._options import add_page_size_option, clinic_from, positive_int


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "day-packets",
        help="print one pre-filled blank packet per appointment from a CSV list",
        description=(
            "Read the day's appointment list (CSV with columns appointment_id, time, "
            "patient_name, date_of_birth, language, sites, steroid) and write one blank packet "
            "per appointment, pre-filled with the patient's name and date of birth, rendered "
            "over all cores with a progress bar. Files are named by time and appointment id. "
            "Rows that cannot be used are reported by line number (exit 1)."
        ),
    )
    parser.add_argument("appointments", type=Path, metavar="APPOINTMENTS.csv")
    parser.add_argument("--out-dir", type=Path, required=True, help="folder for the packets")
    parser.add_argument(
        "--clinic",
        type=Path,
        metavar="CLINIC.toml",
        help="clinic configuration file (default: the fictitious sample clinic)",
    )
    add_page_size_option(parser)
    parser.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="processes to render with (default: all cores)",
    )
    parser.set_defaults(func=run)


class ProgressBar:
    """``progress(done, total)`` drawn as a bar on a stream; redrawn in place on a terminal."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.live = stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        filled = self.width * done // max(total, 1)
        bar = f"[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} packets"
        if self.live:
            print(f"\r{bar}", end="" if done < total else "\n", file=self.stream, flush=True)
        elif done == total:
            print(bar, file=self.stream)


def run(args: argparse.Namespace) -> int:
    from ..pdf.appointments import read_appointments
    from ..pdf.batch import render_blank_packets
    from ..pdf.packet import PacketSettings, write_atomically

    clinic = clinic_from(args)
    appointments, errors = read_appointments(args.appointments)
    for message in errors:
        print(f"skipped {message}", file=sys.stderr)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    pdfs = render_blank_packets(
        [a.request(clinic) for a in appointments],
        workers=args.workers,
        progress=ProgressBar(sys.stderr),
        settings=PacketSettings(page_size=args.page_size),
    )
    for appointment, pdf in zip(appointments, pdfs, strict=True):
        write_atomically(args.out_dir / appointment.file_name, pdf)
    print(f"wrote {len(pdfs)} packet(s) to {args.out_dir}")
    return 1 if errors else 0
