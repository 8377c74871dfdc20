"""Options several commands share: the planned procedure, the clinic and the paper size.

Only cheap imports here: every command's ``register`` uses this module to build the parser.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..definitions.clinic import Clinic, load_clinic, sample_clinic
from ..pdf.paper import PAGE_SIZES
from ..screening.procedure import PlannedProcedure


def add_plan_options(parser: argparse.ArgumentParser, *, sites_default: str) -> None:
    """``--sites``, ``--steroid``, ``--botulinum-toxin`` and ``--anesthetic`` (also spelt
    ``--local-anesthetic``)."""
    parser.add_argument(
        "--sites",
        metavar="A,B",
        help=f"planned injection sites, comma-separated, e.g. neck,upper_back ({sites_default})",
    )
    parser.add_argument(
        "--steroid", action="store_true", help="a corticosteroid is mixed with the anaesthetic"
    )
    parser.add_argument(
        "--botulinum-toxin",
        action="store_true",
        help="botulinum toxin is injected (off-label; only at a clinic whose [consent] offers it)",
    )
    parser.add_argument(
        "--anesthetic",
        "--local-anesthetic",
        dest="anesthetic",
        default="lidocaine",
        help="planned local anaesthetic (default: lidocaine)",
    )


def plan_from(args: argparse.Namespace) -> PlannedProcedure:
    """The planned procedure the options of `add_plan_options` describe."""
    return parse_plan(
        args.sites, args.steroid, args.anesthetic, getattr(args, "botulinum_toxin", False)
    )


def parse_plan(
    sites: str | None,
    corticosteroid: bool,
    local_anesthetic: str,
    botulinum_toxin: bool = False,
) -> PlannedProcedure:
    """A planned procedure from command-line strings: ``--sites neck,upper_back``."""
    parsed = None if not sites else tuple(s.strip() for s in sites.split(",") if s.strip())
    return PlannedProcedure(
        sites=parsed or None,
        local_anesthetic=local_anesthetic,
        corticosteroid=corticosteroid,
        botulinum_toxin=botulinum_toxin,
    )


def add_page_size_option(parser: argparse.ArgumentParser) -> None:
    """``--page-size letter|a4``."""
    parser.add_argument(
        "--page-size", choices=PAGE_SIZES, default="letter", help="paper size (default: letter)"
    )


def add_clinic_options(parser: argparse.ArgumentParser) -> None:
    """``--clinic`` and ``--locale`` (default: the clinic's language)."""
    parser.add_argument(
        "--clinic",
        type=Path,
        metavar="CLINIC.toml",
        help="clinic configuration file (default: the fictitious sample clinic)",
    )
    parser.add_argument(
        "--locale", help="language of the document (default: the clinic's default locale)"
    )


def clinic_from(args: argparse.Namespace) -> Clinic:
    """The clinic named by ``--clinic``, or the sample clinic."""
    return load_clinic(args.clinic) if args.clinic else sample_clinic()


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got '{text}'")
    return value
