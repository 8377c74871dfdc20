"""The published JSON Schemas accept the shipped definitions and catch what editors should flag."""

from __future__ import annotations

import tomllib
from typing import Any

import jsonschema
import pytest

from tpi_forms._resources import definition_folder
from tpi_forms.schemas import SCHEMA_NAMES, definition_schema


def shipped(name: str) -> dict[str, Any]:
    return tomllib.loads((definition_folder() / name).read_text("utf-8"))


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schema_is_valid(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(definition_schema(name))


def test_shipped_questionnaire_matches_schema() -> None:
    jsonschema.validate(shipped("tpi_screening.toml"), definition_schema("questionnaire"))
    for locale in ("en", "es"):
        jsonschema.validate(shipped(f"tpi_screening.{locale}.toml"), definition_schema("text"))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["sections"][0]["questions"][0].update(type="yesno"),
        lambda d: d["sections"][0]["questions"][0].update(misspelt=True),
        lambda d: d.pop("version"),
        lambda d: d["rules"][0].update(when={"question": "x"}),
        lambda d: d["rules"][0].update(when={"plan": "colour", "equals": "red"}),
    ],
)
def test_schema_flags_mistakes(mutate: Any) -> None:
    data = shipped("tpi_screening.toml")
    mutate(data)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, definition_schema("questionnaire"))


def test_unknown_schema_name() -> None:
    with pytest.raises(ValueError, match="unknown schema 'nope'"):
        definition_schema("nope")
