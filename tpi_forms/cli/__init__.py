"""The ``tpi-forms`` command line: one module per command, each with ``register``.

Every command prints a clear one-line message and exits 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..__about__ import __version__
from ..errors import TpiFormsError
from . import (
    blank,
    check,
    consent,
    day_packets,
    demo,
    diff,
    example_answers,
    fhir,
    kiosk,
    packet,
    reseal,
    schema,
    screen,
    verify,
)

# Each module has register(subparsers) that adds its parser and sets func=run(args) -> int.
COMMANDS = [
    check,
    consent,
    diff,
    demo,
    screen,
    example_answers,
    schema,
    packet,
    blank,
    day_packets,
    verify,
    reseal,
    fhir,
    kiosk,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tpi-forms",
        description=(
            "Screening questionnaires, screening rules and signed consent packets for trigger "
            "point injections. The default clinical content is a template for each clinic's "
            "clinicians to review."
        ),
    )
    parser.add_argument("--version", action="version", version=f"tpi-forms {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 success, 1 a check failed, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except TpiFormsError as exc:
        print(f"tpi-forms {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into a command that stopped reading (`| head`)
        sys.stderr.close()
        return 0
    except OSError as exc:
        print(
            f"tpi-forms {args.command}: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(
                ": "
            ),
            file=sys.stderr,
        )
        return 2
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
