"""``tpi-forms fhir``: print a signed packet as a FHIR R4 Bundle, or print the Questionnaire."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .._json import MAX_PACKET_FILE_BYTES, read_limited
from ..definitions.questionnaire import load_questionnaire
from ..fhir.bundle import FhirExportError, FhirSettings, bundle_from_packet, to_fhir_questionnaire


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "fhir",
        help="print a signed packet as a FHIR R4 Bundle (or the Questionnaire)",
        description=(
            "Verify a signed packet, read its embedded record and print a FHIR R4 transaction "
            "Bundle (Questionnaire, Patient, QuestionnaireResponse, Consent with the packet as "
            "its source, Provenance with the signatures). With --questionnaire, print the "
            "screening Questionnaire instead. Exits 2 when the input is not a readable packet."
        ),
    )
    parser.add_argument("packet", type=Path, nargs="?", help="the signed packet PDF")
    parser.add_argument(
        "--questionnaire", action="store_true", help="print the Questionnaire; no packet needed"
    )
    parser.add_argument(
        "--locale", default="en", help="language of the Questionnaire (default: en)"
    )
    parser.add_argument(
        "--definition",
        type=Path,
        metavar="QUESTIONNAIRE.toml",
        help="questionnaire definition (default: the shipped one)",
    )
    parser.add_argument("--base-url", help="canonical base URL (default: urn:tpi-forms: names)")
    parser.add_argument(
        "--packet-url",
        help="where the packet is archived: link to it instead of embedding the PDF in the Consent",
    )
    parser.add_argument(
        "--patient", metavar="REFERENCE", help="an existing Patient, e.g. Patient/123"
    )
    parser.add_argument(
        "--trust",
        type=Path,
        action="append",
        metavar="CERT.pem",
        help="a root certificate the packet's seal must chain to (repeatable); requires a seal",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = FhirSettings(base_url=args.base_url)
    questionnaire = load_questionnaire(args.definition) if args.definition else None
    if args.questionnaire:
        if args.packet is not None:
            raise FhirExportError("give either a packet or --questionnaire, not both")
        resource = to_fhir_questionnaire(questionnaire, args.locale, settings=settings)
    elif args.packet is None:
        raise FhirExportError("give a packet PDF, or --questionnaire")
    else:
        resource = bundle_from_packet(
            read_limited(args.packet, MAX_PACKET_FILE_BYTES),
            packet_url=args.packet_url,
            questionnaire=questionnaire,
            patient=args.patient,
            settings=settings,
            trust_roots=[p.read_bytes() for p in args.trust] if args.trust else None,
        )
    json.dump(resource, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0
