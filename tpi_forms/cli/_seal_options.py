"""Options the sealing and verifying commands share: trust roots and the time-stamping authority."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..pdf.pades import LEVELS

__all__ = ["LEVELS", "add_trust_options", "add_tsa_option", "read_all"]


def add_trust_options(parser: argparse.ArgumentParser, *, purpose: str) -> None:
    """``--trust`` and ``--tsa-trust``, each repeatable."""
    parser.add_argument(
        "--trust",
        type=Path,
        action="append",
        default=[],
        metavar="CERT.pem",
        help=f"a root certificate the seal chains to (repeatable); {purpose}",
    )
    parser.add_argument(
        "--tsa-trust",
        type=Path,
        action="append",
        default=[],
        metavar="CERT.pem",
        help="a root certificate a time-stamping authority chains to (repeatable)",
    )


def add_tsa_option(parser: argparse.ArgumentParser, *, required: bool, what: str) -> None:
    parser.add_argument(
        "--tsa",
        metavar="URL",
        required=required,
        help=f"RFC 3161 time-stamping authority (http:// or https://) {what}",
    )


def read_all(paths: list[Path]) -> list[bytes]:
    """The bytes of every file named (an unreadable one is an OSError the CLI reports)."""
    return [path.read_bytes() for path in paths]
