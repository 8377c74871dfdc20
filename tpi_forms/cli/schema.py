"""``tpi-forms schema NAME``: print a JSON Schema of the project's JSON documents."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from ..schemas import definition_schema
from ..screening.answers import answers_schema

# Name -> function returning the schema. Add one line per document.
SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "answers": answers_schema,
    "clinic": lambda: definition_schema("clinic"),
    "consent": lambda: definition_schema("consent"),
    "highlights": lambda: definition_schema("highlights"),
    "questionnaire": lambda: definition_schema("questionnaire"),
    "quiz": lambda: definition_schema("quiz"),
    "text": lambda: definition_schema("text"),
}


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "schema",
        help="print a JSON Schema (draft 2020-12)",
        description="Print the JSON Schema (draft 2020-12) of one of the project's JSON documents.",
    )
    parser.add_argument("name", choices=sorted(SCHEMAS), help="which schema")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(json.dumps(SCHEMAS[args.name](), indent=2, sort_keys=True, ensure_ascii=False))
    return 0
