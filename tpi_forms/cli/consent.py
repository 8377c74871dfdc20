"""``tpi-forms consent``: print the consent document for a planned procedure as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..consent.document import build_consent
from ._options import add_clinic_options, add_plan_options, clinic_from, plan_from


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
    add_plan_options(parser, sites_default="default: none named; the clinician marks them")
    add_clinic_options(parser)
    parser.add_argument("--performer", metavar="ID", help="id of the practitioner who performs it")
    parser.add_argument(
        "--discussed-by", metavar="ID", help="id of the practitioner who held the discussion"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    clinic = clinic_from(args)
    procedure = plan_from(args)
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
