"""``tpi-forms blank``: a blank packet to print for paper check-in."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..clinic import load_clinic, sample_clinic
from ..packet import render_blank_packet, write_atomically
from ..procedure import PlannedProcedure


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "blank",
        help="render a blank packet to print (tick boxes, lines, empty signature blocks)",
        description=(
            "Write the screening questions with boxes to tick and lines to write on, the consent "
            "for the planned procedure, and empty signature blocks, as a PDF/A-3 file to print."
        ),
    )
    parser.add_argument("--sites", help="planned sites, comma separated")
    parser.add_argument("--steroid", action="store_true", help="a corticosteroid is mixed in")
    parser.add_argument("--local-anesthetic", default="lidocaine", help="default: lidocaine")
    parser.add_argument("--locale", help="document language (default: the clinic's)")
    parser.add_argument(
        "--clinic", type=Path, help="clinic file (default: the fictitious sample clinic)"
    )
    parser.add_argument("-o", "--output", type=Path, required=True, help="PDF file to write")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    clinic = load_clinic(args.clinic) if args.clinic else sample_clinic()
    procedure = PlannedProcedure.from_cli(args.sites, args.steroid, args.local_anesthetic)
    pdf = render_blank_packet(procedure, clinic, args.locale or clinic.default_locale)
    write_atomically(args.output, pdf)
    print(f"wrote {args.output} ({len(pdf) // 1024} KiB)")
    return 0
