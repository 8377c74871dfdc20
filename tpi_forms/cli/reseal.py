"""``tpi-forms reseal``: a fresh document timestamp on archived packets (PAdES B-LTA renewal)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import TpiFormsError
from ._seal_options import add_trust_options, add_tsa_option, read_all


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "reseal",
        help="renew the long-term seal of archived packets with a fresh document timestamp",
        description=(
            "Check that each packet's seal is intact and its newest timestamp still validates, "
            "add the revocation data of that timestamp's authority, and cover everything with a "
            "new RFC 3161 document timestamp (PAdES B-LTA). Run it before the newest timestamp's "
            "certificate expires ('tpi-forms verify' prints the date). Each file is replaced "
            "only when its renewal succeeds."
        ),
    )
    parser.add_argument("packets", type=Path, nargs="+", metavar="PACKET.pdf", help="sealed packet")
    add_tsa_option(parser, required=True, what="for the new document timestamp")
    add_trust_options(parser, purpose="required, with the time-stamping roots")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        help="write the renewed packet here instead of replacing it (one packet only)",
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait for each server (default 10)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.trust:
        raise TpiFormsError("--trust is required: the root certificate the seal chains to")
    if args.output is not None and len(args.packets) != 1:
        raise TpiFormsError("--output takes one packet")
    try:
        from ..pdf.seal import reseal_pdf
    except ImportError:
        raise TpiFormsError(
            "resealing needs the 'pades' extra: pip install 'tpi_forms[pades]'"
        ) from None
    from ..pdf.packet import write_atomically

    roots = read_all(args.trust + args.tsa_trust)
    failed = 0
    for path in args.packets:
        data = path.read_bytes()
        if not data.startswith(b"%PDF-"):
            raise TpiFormsError(f"{path}: not a PDF file")
        try:
            renewed = reseal_pdf(data, tsa_url=args.tsa, trust_roots=roots, timeout=args.timeout)
        except TpiFormsError as exc:
            print(f"FAIL {path}: {exc}")
            failed += 1
            continue
        target = args.output or path
        write_atomically(target, renewed)
        print(f"resealed {target} ({len(renewed) // 1024} KiB, document timestamp added)")
    return 1 if failed else 0
