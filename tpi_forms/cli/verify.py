"""``tpi-forms verify``: check a packet's embedded record, pages, consent and seal."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .._json import MAX_PACKET_FILE_BYTES, read_limited
from ..definitions.words import word_locales
from ..errors import TpiFormsError
from ..verify.limits import MAX_FILE_BYTES, TooLarge, too_large
from ..verify.packet import Check, Verification, verify_packet
from ..verify.report import summary, what_it_proves
from ._seal_options import LEVELS, add_trust_options, read_all


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "verify",
        help="verify a signed packet (record hash, pages, signatures, consent, seal)",
        description=(
            "Re-read the record embedded in a packet, recompute its hash, compare it with the "
            "pages, the signature images and the consent definition, and validate the seal and "
            "its timestamps and revocation data, reporting the PAdES level reached (B-B, B-T, "
            "B-LT, B-LTA). Prints each check; exits 0 when all pass, 1 when one fails, 2 on bad "
            "input."
        ),
    )
    parser.add_argument("packet", type=Path, help="the packet PDF")
    add_trust_options(parser, purpose="requires a seal")
    parser.add_argument(
        "--level",
        choices=LEVELS,
        help="fail unless the seal reaches at least this PAdES level (needs --trust)",
    )
    parser.add_argument(
        "--online",
        action="store_true",
        help="also fetch today's revocation status of the seal's certificates (needs --trust)",
    )
    parser.add_argument(
        "--lang",
        choices=word_locales("verify"),
        default="en",
        help="language of the report's last lines (what the checks prove)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.trust and (args.tsa_trust or args.level or args.online):
        raise TpiFormsError("--tsa-trust, --level and --online need --trust")
    roots = read_all(args.trust) if args.trust else None
    tsa_roots = read_all(args.tsa_trust)
    try:
        size = args.packet.stat().st_size
    except OSError:
        size = 0  # read_limited names the problem
    if size > MAX_FILE_BYTES:
        refused = too_large(TooLarge(f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB"))
        result = Verification((Check("size_limits", False, refused),), None, None)
    else:
        result = verify_packet(
            read_limited(args.packet, MAX_PACKET_FILE_BYTES),
            trust_roots=roots,
            tsa_roots=tsa_roots,
            online=args.online,
            require_level=args.level,
        )
    for check in result.checks:
        print(f"{'PASS' if check.passed else 'FAIL'} {check.name}: {check.detail}")
    if result.record is not None:
        print(what_it_proves(result, args.lang))
    print(summary(result, args.lang))
    return 0 if result.ok else 1
