"""``tpi-forms verify``: check a packet's embedded record, pages, consent and seal."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .._json import MAX_PACKET_FILE_BYTES, read_limited
from ..verify.packet import verify_packet


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "verify",
        help="verify a signed packet (record hash, pages, signatures, consent, seal)",
        description=(
            "Re-read the record embedded in a packet, recompute its hash, compare it with the "
            "pages, the signature images and the consent definition, and validate the seal. "
            "Prints each check; exits 0 when all pass, 1 when one fails, 2 on bad input."
        ),
    )
    parser.add_argument("packet", type=Path, help="the packet PDF")
    parser.add_argument(
        "--trust",
        type=Path,
        action="append",
        metavar="CERT.pem",
        help="a root certificate the seal must chain to (repeatable); requires a seal",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    roots = [p.read_bytes() for p in args.trust] if args.trust else None
    pdf = read_limited(args.packet, MAX_PACKET_FILE_BYTES)
    result = verify_packet(pdf, trust_roots=roots)
    for check in result.checks:
        print(f"{'PASS' if check.passed else 'FAIL'} {check.name}: {check.detail}")
    print(
        "ok: every check passed" if result.ok else f"FAILED: {len(result.failed())} check(s) failed"
    )
    return 0 if result.ok else 1
