"""``tpi-forms consent``: print the consent document for a planned procedure as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..clinic import load_clinic, sample_clinic
from ..consent import build_consent
from ..procedure import PlannedProcedure


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "consent",
        help="print the consent document for a planned procedure as JSON",
        description=(
            "Assemble the informed-consent document for a planned procedure at a clinic and print "
            "it as JSON, with its version and content hash. The default content is a template "
            "for the clinic's clinicians to review."
        ),
    )
    parser.add_argument("--steroid", action="store_true", help="a corticosteroid is planned")
    parser.add_argument(
        "--sites",
        metavar="A,B",
        help="planned injection sites, comma-separated, e.g. neck,upper_back "
        "(default: none named; the clinician marks them)",
    )
    parser.add_argument(
        "--anesthetic", default="lidocaine", help="planned local anaesthetic (default: lidocaine)"
    )
    parser.add_argument(
        "--locale", help="language of the document (default: the clinic's default locale)"
    )
    parser.add_argument(
        "--clinic",
        type=Path,
        metavar="CLINIC.toml",
        help="clinic configuration file (default: the fictitious sample clinic)",
    )
    parser.add_argument("--performer", metavar="ID", help="id of the practitioner who performs it")
    parser.add_argument(
        "--discussed-by", metavar="ID", help="id of the practitioner who held the discussion"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    clinic = load_clinic(args.clinic) if args.clinic else sample_clinic()
    procedure = PlannedProcedure.from_cli(args.sites, args.steroid, args.anesthetic)
    doc = build_consent(
        procedure,
        clinic,
        args.locale,
        performer=args.performer,
        discussed_by=args.discussed_by,
    )
    json.dump(doc.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0
