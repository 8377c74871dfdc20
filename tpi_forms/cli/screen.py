"""``tpi-forms screen``: screen a JSON file of answers for a planned procedure."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from .._json import ANSWERS_LIMITS, read_json_file
from ..errors import AnswersError
from ..screening.engine import screen
from ._options import add_plan_options, plan_from


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "screen",
        help="screen a JSON file of answers and print the result as JSON",
        description=(
            "Validate the answers in ANSWERS.json, screen them for the planned procedure and "
            "print the result as JSON. Invalid answers are printed as JSON on stderr (exit 2)."
        ),
    )
    parser.add_argument("answers", type=Path, metavar="ANSWERS.json", help="answers JSON object")
    add_plan_options(parser, sites_default="default: the patient's pain sites")
    parser.add_argument("--locale", default="en", help="language of the messages (default: en)")
    parser.add_argument(
        "--today",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="day of screening (default: today)",
    )
    parser.set_defaults(func=run)


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a date as YYYY-MM-DD") from None


def run(args: argparse.Namespace) -> int:
    raw = read_json_file(args.answers, ANSWERS_LIMITS)  # size, depth and number limits
    procedure = plan_from(args)
    try:
        result = screen(raw, procedure, locale=args.locale, today=args.today)
    except AnswersError as exc:
        print(
            json.dumps({"errors": exc.errors}, indent=2, sort_keys=True, ensure_ascii=False),
            file=sys.stderr,
        )
        count = sum(len(v) for v in exc.errors.values())
        print(
            f"tpi-forms screen: error: {count} invalid answer(s) in {len(exc.errors)} question(s); "
            "no screening result",
            file=sys.stderr,
        )
        return 2
    print(result.to_json())
    return 0
