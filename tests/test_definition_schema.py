"""The published JSON Schemas accept the shipped definitions and catch what editors should flag."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from referencing import Registry, Resource

from tpi_forms._resources import definition_folder
from tpi_forms.schemas import SCHEMA_NAMES, definition_schema


def shipped(name: str) -> dict[str, Any]:
    return tomllib.loads((definition_folder() / name).read_text("utf-8"))


def validate(data: dict[str, Any], name: str) -> None:
    """Validate with every schema registered, so cross-schema ``$ref``s resolve."""
    resources = [Resource.from_contents(definition_schema(n)) for n in SCHEMA_NAMES]
    ids = [r.id() for r in resources]
    assert None not in ids, "every schema has an $id"
    registry: Registry[Any] = Registry().with_resources(
        (str(uri), r) for uri, r in zip(ids, resources, strict=True)
    )
    validator = jsonschema.Draft202012Validator(definition_schema(name), registry=registry)
    validator.validate(data)


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schema_is_valid(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(definition_schema(name))


TEXT_FILES = sorted(
    p.name for p in definition_folder().iterdir() if re.fullmatch(r"\w+\.[a-z]{2,3}\.toml", p.name)
)


@pytest.mark.parametrize(
    ("name", "schema"),
    [
        ("tpi_screening.toml", "questionnaire"),
        ("tpi_consent.toml", "consent"),
        ("tpi_quiz.toml", "quiz"),
        ("tpi_highlights.toml", "highlights"),
        ("sample_clinic.toml", "clinic"),
        *((name, "text") for name in TEXT_FILES),
    ],
)
def test_shipped_files_match_schema(name: str, schema: str) -> None:
    validate(shipped(name), schema)


def test_every_text_file_is_checked_by_the_text_schema() -> None:
    stems = {name.split(".")[0] for name in TEXT_FILES}
    assert stems == {
        "tpi_screening",
        "tpi_consent",
        "tpi_quiz",
        "tpi_highlights",
        "ui",
        "kiosk",
        "packet",
        "report",
        "verify",
        "diff",
    }
    assert {name.split(".")[1] for name in TEXT_FILES} == {"en", "es"}


@pytest.mark.parametrize("bad", [{"a": ""}, {"a": {"b": 3}}, {"a": ["x"]}, {"a": "  "}])
def test_text_schema_flags_what_loading_refuses(bad: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate(bad, "text")


def test_consent_schema_flags_a_percentage_frequency() -> None:
    data = shipped("tpi_consent.toml")
    data["risks"][0]["frequency"] = "5%"
    with pytest.raises(jsonschema.ValidationError):
        validate(data, "consent")


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
        validate(data, "questionnaire")


def test_unknown_schema_name() -> None:
    with pytest.raises(ValueError, match="unknown schema 'nope'"):
        definition_schema("nope")


@pytest.mark.parametrize(
    ("name", "schema", "change"),
    [
        ("tpi_quiz.toml", "quiz", lambda d: d["questions"][0].update(choices=["only_one"])),
        ("tpi_quiz.toml", "quiz", lambda d: d["questions"][0].pop("answer")),
        ("tpi_highlights.toml", "highlights", lambda d: d["highlights"][0].pop("when")),
        ("tpi_highlights.toml", "highlights", lambda d: d["highlights"][0].update(risk="Bad Id")),
    ],
)
def test_quiz_and_highlight_schemas_flag_what_loading_refuses(
    name: str, schema: str, change: Any
) -> None:
    data = shipped(name)
    change(data)
    with pytest.raises(jsonschema.ValidationError):
        validate(data, schema)
