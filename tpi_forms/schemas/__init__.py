"""JSON Schemas of the definition file formats, for editors and CI checks of clinic files."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

SCHEMA_NAMES = ("clinic", "consent", "highlights", "questionnaire", "quiz", "text")


def definition_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of a file format: ``clinic``, ``consent``, ``highlights``,
    ``questionnaire``, ``quiz`` or ``text``."""
    if name not in SCHEMA_NAMES:
        raise ValueError(f"unknown schema '{name}' (expected one of: {', '.join(SCHEMA_NAMES)})")
    data: dict[str, Any] = json.loads((files(__name__) / f"{name}.schema.json").read_text("utf-8"))
    return data
