"""``tpi-forms example-answers``: print the answers of a fictitious patient as JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..screening.scenarios import SCENARIOS, example_answers


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "example-answers",
        help="print example answers (fictitious patient) that give a screening status",
        description="Print the answers of Alex Example, a fictitious patient, as JSON.",
    )
    parser.add_argument(
        "--scenario",
        choices=SCENARIOS,
        default="clear",
        help="the screening status the answers give (default: clear)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(json.dumps(example_answers(args.scenario), indent=2, sort_keys=True, ensure_ascii=False))
    return 0
