"""``tpi-forms blank``: a blank packet to print for paper check-in."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from ..errors import TpiFormsError
from ._options import (
    add_clinic_options,
    add_page_size_option,
    add_plan_options,
    clinic_from,
    plan_from,
)


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "blank",
        help="render a blank packet to print (tick boxes, lines, empty signature blocks)",
        description=(
            "Write the screening questions with boxes to tick and lines to write on, the consent "
            "for the planned procedure, and empty signature blocks, as a PDF/A-3 file to print."
        ),
    )
    add_plan_options(parser, sites_default="default: none named; the clinician marks them")
    add_clinic_options(parser)
    parser.add_argument(
        "--patient-name", help="print this patient's name in the header and the name field"
    )
    parser.add_argument(
        "--date-of-birth",
        metavar="YYYY-MM-DD",
        help="print this date of birth in the header and the date-of-birth field",
    )
    parser.add_argument(
        "--also-locale",
        action="append",
        default=[],
        metavar="LOCALE",
        help="add the whole packet again in this language, after the first (repeatable)",
    )
    add_page_size_option(parser)
    parser.add_argument("-o", "--output", type=Path, required=True, help="PDF file to write")
    parser.set_defaults(func=run)


def parse_date_of_birth(text: str | None) -> dt.date | None:
    """``--date-of-birth`` as a date; the message names the option, never the value given."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise TpiFormsError(
            "--date-of-birth must be a date written YYYY-MM-DD (for example 1980-04-12)"
        ) from None


def run(args: argparse.Namespace) -> int:
    from ..pdf.packet import (
        BlankPatient,
        PacketRenderer,
        PacketSettings,
        render_blank_packet,
        write_atomically,
    )

    clinic = clinic_from(args)
    procedure = plan_from(args)
    patient = BlankPatient(args.patient_name, parse_date_of_birth(args.date_of_birth))
    renderer = PacketRenderer(PacketSettings(page_size=args.page_size))
    locale = args.locale or clinic.default_locale
    if args.also_locale:
        from ..pdf.bilingual import render_multilingual_blank

        pdf = render_multilingual_blank(
            (locale, *args.also_locale), procedure, clinic, patient=patient, renderer=renderer
        )
    else:
        pdf = render_blank_packet(procedure, clinic, locale, patient=patient, renderer=renderer)
    write_atomically(args.output, pdf)
    print(f"wrote {args.output} ({len(pdf) // 1024} KiB)")
    return 0
