"""Options several commands share: the planned procedure and the clinic."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..definitions.clinic import Clinic, load_clinic, sample_clinic
from ..screening.procedure import PlannedProcedure


def add_plan_options(parser: argparse.ArgumentParser, *, sites_default: str) -> None:
    """``--sites``, ``--steroid`` and ``--anesthetic`` (also spelt ``--local-anesthetic``)."""
    parser.add_argument(
        "--sites",
        metavar="A,B",
        help=f"planned injection sites, comma-separated, e.g. neck,upper_back ({sites_default})",
    )
    parser.add_argument(
        "--steroid", action="store_true", help="a corticosteroid is mixed with the anaesthetic"
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
    return PlannedProcedure.from_cli(args.sites, args.steroid, args.anesthetic)


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
