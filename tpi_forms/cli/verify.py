"""``tpi-forms verify``: check a packet's embedded record, pages, consent and seal."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .._json import MAX_PACKET_FILE_BYTES, read_limited
from ..errors import TpiFormsError
from ..verify.packet import verify_packet
from ._seal_options import LEVELS, add_trust_options, read_all
from .verify_archive import add_archive_options, run_archive


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "verify",
        help="verify a signed packet (record hash, pages, signatures, consent, seal)",
        description=(
            "Re-read the record embedded in a packet, recompute its hash, compare it with the "
            "pages, the signature images and the consent definition, and validate the seal and "
            "its timestamps and revocation data, reporting the PAdES level reached (B-B, B-T, "
            "B-LT, B-LTA). Prints each check; exits 0 when all pass, 1 when one fails, 2 on bad "
            "input. Given a folder, verifies every *.pdf in it and below it in parallel and "
            "writes one line per packet (patient initials only) to --report and --csv."
        ),
    )
    parser.add_argument(
        "packet", type=Path, help="the packet PDF, or a folder: every *.pdf in it and below it"
    )
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
    add_archive_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.packet.is_dir():
        return run_archive(args)
    if args.report or args.csv:
        raise TpiFormsError("--report and --csv need a folder of packets")
    if not args.trust and (args.tsa_trust or args.level or args.online):
        raise TpiFormsError("--tsa-trust, --level and --online need --trust")
    roots = read_all(args.trust) if args.trust else None
    result = verify_packet(
        read_limited(args.packet, MAX_PACKET_FILE_BYTES),
        trust_roots=roots,
        tsa_roots=read_all(args.tsa_trust),
        online=args.online,
        require_level=args.level,
    )
    for check in result.checks:
        print(f"{'PASS' if check.passed else 'FAIL'} {check.name}: {check.detail}")
    level = f" (seal: PAdES {result.seal_level})" if result.seal_level else ""
    print(
        f"ok: every check passed{level}"
        if result.ok
        else f"FAILED: {len(result.failed())} check(s) failed{level}"
    )
    return 0 if result.ok else 1
