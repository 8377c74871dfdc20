"""``tpi-forms packet``: render a signed consent packet (PDF/A-3) from answers and a signature."""

from __future__ import annotations

import argparse
import base64
import os
from pathlib import Path
from typing import Any

from .._json import ANSWERS_LIMITS, read_json_file, read_limited
from ..errors import TpiFormsError
from ._options import (
    add_clinic_options,
    add_page_size_option,
    add_plan_options,
    clinic_from,
    plan_from,
)
from ._seal_options import LEVELS, add_trust_options, add_tsa_option, read_all


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "packet",
        help="render a signed consent packet (archival PDF/A-3 with the record embedded)",
        description=(
            "Screen the answers, assemble the consent for the planned procedure, and write a "
            "signed packet: summary, answers, consent, signature page and audit trail, with the "
            "machine-readable record embedded. Check it later with 'tpi-forms verify'."
        ),
    )
    parser.add_argument("answers", type=Path, help="answers as a JSON object keyed by question id")
    parser.add_argument(
        "--signature", type=Path, required=True, help="the patient's drawn signature (PNG)"
    )
    parser.add_argument("--signer-name", required=True, help="the signer's printed name")
    parser.add_argument(
        "--representative",
        metavar="RELATIONSHIP",
        help="the signer is the patient's legal representative with this relationship",
    )
    add_plan_options(parser, sites_default="default: the patient's pain sites")
    add_clinic_options(parser)
    parser.add_argument("--device-id", help="device or kiosk id for the audit trail")
    parser.add_argument(
        "--seal", type=Path, metavar="KEY.pem", help="seal with this private key (PAdES)"
    )
    parser.add_argument(
        "--cert", type=Path, metavar="CERT.pem", help="the clinic certificate for --seal"
    )
    parser.add_argument(
        "--passphrase-env", metavar="VAR", help="environment variable holding the key's passphrase"
    )
    add_tsa_option(parser, required=False, what="for the seal's timestamp (PAdES B-T)")
    parser.add_argument(
        "--level",
        choices=LEVELS,
        help=(
            "PAdES level of the seal (default: B-T with --tsa, else B-B); B-LT also embeds the "
            "certificates' revocation data (OCSP, CRL) and B-LTA adds a document timestamp: "
            "both need --tsa and --trust"
        ),
    )
    add_trust_options(parser, purpose="with --level B-LT or B-LTA, to fetch revocation data")
    add_page_size_option(parser)
    parser.add_argument("-o", "--output", type=Path, required=True, help="PDF file to write")
    parser.set_defaults(func=run)


def _read_answers(path: Path) -> dict[str, Any]:
    answers = read_json_file(path, ANSWERS_LIMITS)
    if not isinstance(answers, dict):
        raise TpiFormsError(f"{path}: answers must be a JSON object")
    return answers


def run(args: argparse.Namespace) -> int:
    from .. import clock
    from ..consent.signature import DATA_URL_PREFIX, DEFAULT_LIMITS, validate_drawn_signature
    from ..pdf.packet import (
        PacketRenderer,
        PacketSettings,
        assemble_consent,
        build_record,
        render_packet,
        write_atomically,
    )
    from ..record.model import AuditEvent, Signature
    from ..screening.answers import validate_answers

    if (args.seal is None) != (args.cert is None):
        raise TpiFormsError("--seal and --cert go together")
    if args.seal is None and (args.tsa or args.level or args.trust or args.tsa_trust):
        raise TpiFormsError("--tsa, --level, --trust and --tsa-trust need --seal")
    level = args.level or ("B-T" if args.tsa else "B-B")
    rank = LEVELS.index(level)
    if rank == 0 and args.tsa:
        raise TpiFormsError("--level B-B takes no --tsa (a timestamp makes it B-T)")
    if rank >= 1 and not args.tsa:
        raise TpiFormsError(f"--level {level} needs --tsa")
    if rank >= 2 and not args.trust:
        raise TpiFormsError(f"--level {level} needs --trust (the seal's root certificate)")
    clinic = clinic_from(args)
    locale = args.locale or clinic.default_locale
    procedure = plan_from(args)
    answers = _read_answers(args.answers)
    png = read_limited(args.signature, DEFAULT_LIMITS.max_png_bytes)
    drawn = validate_drawn_signature(DATA_URL_PREFIX + base64.b64encode(png).decode("ascii"))
    role = "legal_representative" if args.representative else "patient"
    now = clock.utc_now()
    today = clock.today(clinic.time_zone, now)
    valid = validate_answers(answers, today=today, locale=locale)  # before any other use
    consent = assemble_consent(procedure, clinic, locale, answers=valid)
    meaning = next(
        (r["meaning"] for r in consent.get("signer_roles", ()) if r.get("id") == role), role
    )
    signature = Signature(
        role=role,
        printed_name=args.signer_name,
        signed_at=now,
        meaning=meaning,
        image_png=drawn.png,
        relationship=args.representative,
    )
    record = build_record(
        answers,
        [signature],
        procedure=procedure,
        clinic=clinic,
        locale=locale,
        audit=[AuditEvent(now, "signed", {"role": role, "via": "command line"}, args.device_id)],
        device_id=args.device_id,
        created_at=now,
        consent=consent,
    )
    pdf = render_packet(record, renderer=PacketRenderer(PacketSettings(page_size=args.page_size)))
    if args.seal is not None:
        try:
            from ..pdf.seal import seal_pdf
        except ImportError:
            raise TpiFormsError(
                "sealing needs the 'pades' extra: pip install 'tpi_forms[pades]'"
            ) from None
        passphrase = None
        if args.passphrase_env:
            value = os.environ.get(args.passphrase_env)
            if value is None:
                raise TpiFormsError(f"environment variable {args.passphrase_env} is not set")
            passphrase = value.encode("utf-8")
        pdf = seal_pdf(
            pdf,
            args.seal.read_bytes(),
            args.cert.read_bytes(),
            passphrase=passphrase,
            level=level,
            tsa_url=args.tsa,
            trust_roots=read_all(args.trust + args.tsa_trust),
        )
    write_atomically(args.output, pdf)
    sealed = f", sealed PAdES {level}" if args.seal else ""
    print(f"wrote {args.output} ({len(pdf) // 1024} KiB{sealed})")
    return 0
