"""Print the day's paper packets: one blank packet per appointment, from the appointment list.

Each packet carries the screening questions to tick and the consent for that patient's planned
procedure (sites, steroid or not) in the patient's language, with empty signature blocks.
Files are named by appointment time and id, never by patient name.

    python examples/print_day_packets.py appointments.csv --out packets/

The CSV has a header row and these columns (extra columns are ignored)::

    appointment_id,time,language,sites,steroid
    A-0901,09:00,en,neck;upper_back,no
    A-0930,09:30,es,lower_back,yes

``sites`` are site ids of the questionnaire, separated by ``;`` (empty: the patient marks
them); ``steroid`` is ``yes`` or ``no``. A row that cannot be used is reported by its line
number and skipped; the exit code is then 1.

Patient names and dates of birth are written by hand: blank packets have no field for them yet.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from tpi_forms import TpiFormsError, load_clinic, load_questionnaire, sample_clinic
from tpi_forms.clinic import Clinic
from tpi_forms.packet import PacketRenderer, write_atomically
from tpi_forms.procedure import PlannedProcedure

LANGUAGES = ("en", "es")


@dataclass(frozen=True)
class Appointment:
    """One row of the appointment list."""

    line: int
    """Line number in the CSV file (for messages that name no patient)."""
    appointment_id: str
    time: str
    language: str
    procedure: PlannedProcedure

    @property
    def file_name(self) -> str:
        safe = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{self.time}_{self.appointment_id}").strip("-")
        return f"{safe}.pdf"


def read_appointments(path: Path, errors: list[str]) -> list[Appointment]:
    """The usable rows; a message per unusable row goes to ``errors``."""
    questionnaire = load_questionnaire()
    appointments = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                appointment = _appointment(line, row)
                appointment.procedure.check(questionnaire)  # sites the questionnaire knows
                appointments.append(appointment)
            except (TpiFormsError, KeyError, ValueError) as exc:
                errors.append(f"line {line}: {exc}")
    return appointments


def _appointment(line: int, row: dict[str, str]) -> Appointment:
    language = (row["language"] or "en").strip()
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    steroid = row["steroid"].strip().lower()
    if steroid not in ("yes", "no"):
        raise ValueError("steroid must be yes or no")
    sites = row["sites"].replace(";", ",")
    return Appointment(
        line=line,
        appointment_id=row["appointment_id"].strip(),
        time=row["time"].strip(),
        language=language,
        procedure=PlannedProcedure.from_cli(sites, steroid == "yes", "lidocaine"),
    )


def progress_bar(total: int) -> Callable[[int], None]:
    """A progress bar on stderr: tqdm when installed, else a plain one."""
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is in the test environment

        def plain(done: int) -> None:
            filled = 30 * done // max(total, 1)
            print(
                f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total}", end="", file=sys.stderr
            )
            if done == total:
                print(file=sys.stderr)

        return plain
    bar = tqdm(total=total, unit="packet", file=sys.stderr)

    def update(done: int) -> None:
        bar.update(done - bar.n)
        if done == total:
            bar.close()

    return update


def print_packets(
    appointments: Iterable[Appointment], out: Path, clinic: Clinic, errors: list[str]
) -> list[Path]:
    """Write one blank packet per appointment to ``out``; returns the files written."""
    items = list(appointments)
    out.mkdir(parents=True, exist_ok=True)
    renderer = PacketRenderer()
    advance = progress_bar(len(items))
    written = []
    for done, appointment in enumerate(items, start=1):
        try:
            pdf = renderer.render_blank(appointment.procedure, clinic, appointment.language)
        except TpiFormsError as exc:
            errors.append(f"line {appointment.line}: {exc}")
        else:
            target = out / appointment.file_name
            write_atomically(target, pdf)
            written.append(target)
        advance(done)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("appointments", type=Path, help="the day's appointment list (CSV)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the packets")
    parser.add_argument(
        "--clinic", type=Path, help="clinic file (default: the fictitious sample clinic)"
    )
    args = parser.parse_args(argv)
    clinic = load_clinic(args.clinic) if args.clinic else sample_clinic()
    errors: list[str] = []
    written = print_packets(read_appointments(args.appointments, errors), args.out, clinic, errors)
    for message in errors:
        print(message, file=sys.stderr)
    print(f"wrote {len(written)} packet(s) to {args.out}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
