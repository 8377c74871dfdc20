"""``tpi-forms check``: load a definition or clinic file; report the first problem in one line."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..definitions.clinic import load_clinic
from ..definitions.consent import load_consent_definition
from ..definitions.questionnaire import load_questionnaire

# Kind name -> loader; each raises DefinitionError naming file, key path and problem.
LOADERS: dict[str, Callable[[Path], Any]] = {
    "clinic": load_clinic,
    "consent": load_consent_definition,
    "questionnaire": load_questionnaire,
}


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "check",
        help="check a definition or clinic file a clinic has edited",
        description=(
            "Load a definition file (with its translation files beside it) or a clinic file and "
            "print 'ok' with a summary, or the first problem with its file and key path (exit 2)."
        ),
    )
    parser.add_argument("kind", choices=sorted(LOADERS), help="what the file defines")
    parser.add_argument("file", type=Path, help="the structure file, e.g. tpi_screening.toml")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    loaded = LOADERS[args.kind](args.file)
    version = getattr(loaded, "version", None)
    locales = getattr(loaded, "locales", None)
    details = []
    if version:
        details.append(f"version {version}")
    if locales:
        details.append(f"languages {', '.join(locales)}")
    print(f"ok: {args.file}" + (f" ({'; '.join(details)})" if details else ""))
    return 0
