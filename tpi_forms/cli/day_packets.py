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
            "over all cores with a progress bar; each file is written as soon as it is ready. "
            "Files are named by time and appointment id, and a file already in the folder is "
            "never replaced. Rows that cannot be used, repeated appointments and rows whose file "
            "exists are reported by line number (exit 1)."
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
    from ..pdf.appointments import read_appointments, write_new
    from ..pdf.batch import iter_blank_packets
    from ..pdf.packet import PacketSettings

    clinic = clinic_from(args)
    appointments, errors = read_appointments(args.appointments)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    todo = []
    for appointment in appointments:
        if (args.out_dir / appointment.file_name).exists():
            errors.append(f"line {appointment.line}: {already(appointment.file_name)}")
        else:
            todo.append(appointment)
    for message in sorted(errors, key=_line_number):
        print(f"skipped {message}", file=sys.stderr)
    written = 0
    ready = iter_blank_packets(
        [a.request(clinic) for a in todo],
        workers=args.workers,
        progress=ProgressBar(sys.stderr),
        settings=PacketSettings(page_size=args.page_size),
    )
    try:
        for index, pdf in ready:  # each file as soon as its packet is rendered
            appointment = todo[index]
            if write_new(args.out_dir / appointment.file_name, pdf):
                written += 1
            else:  # made meanwhile by someone else
                errors.append(f"line {appointment.line}: {already(appointment.file_name)}")
                print(f"skipped {errors[-1]}", file=sys.stderr)
    finally:  # also when a packet fails: the files written so far stay, and are counted
        print(f"wrote {written} packet(s) to {args.out_dir}")
    return 1 if errors else 0


def already(file_name: str) -> str:
    """Why a row was not written: its file is in the output folder already."""
    return f"{file_name} is already in the folder (not overwritten)"


def _line_number(message: str) -> int:
    number = message.removeprefix("line ").split(":", 1)[0]
    return int(number) if number.isdigit() else 0
