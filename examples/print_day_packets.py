"""Print the day's paper packets: one pre-filled blank packet per appointment, from the list.

Each packet carries the patient's name and date of birth (in the header of every page and in
the questionnaire's own fields), the screening questions to tick and the consent for that
patient's planned procedure (sites, steroid or not) in the patient's language, with empty
signature blocks. The packets render over all cores with the batch API
(`tpi_forms.pdf.batch.render_blank_packets`) behind a progress bar. Files are named by appointment
time and id, never by patient name.

    python examples/print_day_packets.py appointments.csv --out packets/ [--page-size a4]

The CSV format is `tpi_forms.pdf.appointments`' (the same as ``tpi-forms day-packets``, which does
this job from the command line)::

    appointment_id,time,patient_name,date_of_birth,language,sites,steroid
    A-0901,09:00,Alex Example,1980-04-12,en,neck;upper_back,no
    A-0930,09:30,Sam Example,1961-07-04,es,lower_back,yes

A row that cannot be used is reported by its line number (never by the patient's name) and
skipped; the exit code is then 1. This script shows the batch API with a tqdm progress bar.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from tpi_forms import TpiFormsError, load_clinic, sample_clinic
from tpi_forms.definitions.clinic import Clinic
from tpi_forms.pdf.appointments import Appointment, read_appointments
from tpi_forms.pdf.batch import render_blank_packets
from tpi_forms.pdf.packet import PAGE_SIZES, PacketSettings, write_atomically


def progress_bar(total: int) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` bar on stderr: tqdm when installed, else a plain one."""
    try:
        from tqdm import tqdm  # type: ignore[import-untyped]
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
    requests = [a.request(clinic) for a in items]
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
    appointments, errors = read_appointments(args.appointments)
    written = print_packets(
        appointments,
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
