"""Print the day's paper packets: one pre-filled blank packet per appointment, from the list.

Each packet carries the patient's name and date of birth (in the header of every page and in
the questionnaire's own fields), the screening questions to tick and the consent for that
patient's planned procedure (sites, steroid or not) in the patient's language, with empty
signature blocks. The packets render over all cores with the batch API
(`tpi_forms.batch.render_blank_packets`) behind a progress bar. Files are named by appointment
time and id, never by patient name.

    python examples/print_day_packets.py appointments.csv --out packets/ [--page-size a4]

The CSV has a header row and these columns (extra columns are ignored)::

    appointment_id,time,patient_name,date_of_birth,language,sites,steroid
    A-0901,09:00,Alex Example,1980-04-12,en,neck;upper_back,no
    A-0930,09:30,Sam Example,1961-07-04,es,lower_back,yes

``patient_name`` and ``date_of_birth`` (``YYYY-MM-DD``) may be empty or missing: the packet
then has lines to write them on. ``sites`` are site ids of the questionnaire, separated by
``;`` (empty: the patient marks them); ``steroid`` is ``yes`` or ``no``. A row that cannot be
used is reported by its line number (never by the patient's name) and skipped; the exit code
is then 1.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from tpi_forms import TpiFormsError, load_clinic, load_questionnaire, sample_clinic
from tpi_forms.batch import BlankPacketRequest, render_blank_packets
from tpi_forms.clinic import Clinic
from tpi_forms.packet import PAGE_SIZES, BlankPatient, PacketSettings, write_atomically
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
    patient: BlankPatient
    """Name and date of birth printed on the packet (either may be missing)."""

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
    born = (row.get("date_of_birth") or "").strip()
    try:
        date_of_birth = dt.date.fromisoformat(born) if born else None
    except ValueError:
        raise ValueError("date_of_birth must be a date written YYYY-MM-DD") from None
    return Appointment(
        line=line,
        appointment_id=row["appointment_id"].strip(),
        time=row["time"].strip(),
        language=language,
        procedure=PlannedProcedure.from_cli(sites, steroid == "yes", "lidocaine"),
        patient=BlankPatient(row.get("patient_name"), date_of_birth),
    )


def progress_bar(total: int) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` bar on stderr: tqdm when installed, else a plain one."""
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is in the test environment

        def plain(done: int, total: int) -> None:
            filled = 30 * done // max(total, 1)
            print(
                f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total}", end="", file=sys.stderr
            )
            if done == total:
                print(file=sys.stderr)

        return plain
    bar = tqdm(total=total, unit="packet", file=sys.stderr)

    def update(done: int, total: int) -> None:
        bar.update(done - bar.n)
        if done == total:
            bar.close()

    return update


def print_packets(
    appointments: Iterable[Appointment],
    out: Path,
    clinic: Clinic,
    errors: list[str],
    *,
    settings: PacketSettings | None = None,
    workers: int | None = None,
) -> list[Path]:
    """Write one pre-filled blank packet per appointment to ``out``; returns the files written."""
    items = list(appointments)
    out.mkdir(parents=True, exist_ok=True)
    if not items:
        return []
    requests = [BlankPacketRequest(a.procedure, clinic, a.language, a.patient) for a in items]
    try:
        pdfs = render_blank_packets(
            requests, workers=workers, progress=progress_bar(len(items)), settings=settings
        )
    except TpiFormsError as exc:
        errors.append(f"no packets written: {exc}")
        return []
    written = []
    for appointment, pdf in zip(items, pdfs, strict=True):
        target = out / appointment.file_name
        write_atomically(target, pdf)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("appointments", type=Path, help="the day's appointment list (CSV)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the packets")
    parser.add_argument(
        "--clinic", type=Path, help="clinic file (default: the fictitious sample clinic)"
    )
    parser.add_argument(
        "--page-size", choices=PAGE_SIZES, default="letter", help="paper size (default: letter)"
    )
    parser.add_argument("--workers", type=int, help="processes to render with (default: all cores)")
    args = parser.parse_args(argv)
    clinic = load_clinic(args.clinic) if args.clinic else sample_clinic()
    errors: list[str] = []
    written = print_packets(
        read_appointments(args.appointments, errors),
        args.out,
        clinic,
        errors,
        settings=PacketSettings(page_size=args.page_size),
        workers=args.workers,
    )
    for message in errors:
        print(message, file=sys.stderr)
    print(f"wrote {len(written)} packet(s) to {args.out}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
