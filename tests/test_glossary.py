"""Spanish patient text uses one term per concept: the glossary's, never a term it replaced."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tpi_forms.definitions.questionnaire import load_questionnaire

DEFINITIONS = Path(__file__).resolve().parent.parent / "tpi_forms" / "definitions"
GLOSSARY = tomllib.loads((DEFINITIONS / "glossary" / "es.toml").read_text("utf-8"))["terms"]


def strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, f"{path}.{key}" if path else key)


def patient_texts() -> list[tuple[str, str]]:
    """(where, text) for every Spanish text a patient reads."""
    found: list[tuple[str, str]] = []
    for name in ("tpi_consent.es.toml", "ui.es.toml", "packet.es.toml"):
        data = tomllib.loads((DEFINITIONS / name).read_text("utf-8"))
        found += [(f"{name}: {where}", text) for where, text in strings(data)]
    screening = tomllib.loads((DEFINITIONS / "tpi_screening.es.toml").read_text("utf-8"))
    for where, text in strings(screening):
        if not where.endswith(".clinician"):  # the clinician's rationale is staff text
            found.append((f"tpi_screening.es.toml: {where}", text))
    return found


def uses(text: str, term: str, whole_text: bool) -> bool:
    if whole_text:
        return text.strip().lower() == term.lower()
    return re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.IGNORECASE) is not None


def replaced_terms_in(texts: list[tuple[str, str]]) -> list[str]:
    found = []
    for entry in GLOSSARY:
        for term in entry["replaces"]:
            for where, text in texts:
                if uses(text, term, entry.get("whole_text", False)):
                    found.append(f"{where}: '{term}' (use '{entry['term']}')")
    return found


def test_no_spanish_patient_text_uses_a_replaced_term() -> None:
    texts = patient_texts()
    assert len(texts) > 200
    assert replaced_terms_in(texts) == []


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Le pondremos un pinchazo.", "pinchazo"),
        ("Un médico lee sus respuestas.", "médico"),
        ("Use el ratón.", "ratón"),
        ("Rara", "Rara"),
        ("Dijo que es alérgico.", "alérgico"),
    ],
)
def test_a_replaced_term_is_caught(text: str, term: str) -> None:
    found = replaced_terms_in([("sample", text)])
    assert any(f"'{term}'" in line for line in found), found


def test_chosen_terms_are_used() -> None:
    every = " ".join(text for _, text in patient_texts()).lower()
    for term in ("profesional de salud", "punción seca", "solución salina", "sarpullido", "mouse"):
        assert term in every, term
    consent = tomllib.loads((DEFINITIONS / "tpi_consent.es.toml").read_text("utf-8"))
    assert consent["frequencies"]["rare"] == "Rara vez"
    assert "muy rara vez" in every  # whole_text terms do not flag ordinary phrases


def test_every_entry_names_its_concept_term_and_replacements() -> None:
    for entry in GLOSSARY:
        assert set(entry) <= {"concept", "term", "replaces", "whole_text"}
        assert entry["concept"] and entry["term"] and entry["replaces"]
        for term in entry["replaces"]:
            assert term.lower() not in entry["term"].lower() or entry.get("whole_text"), term
    assert load_questionnaire().locales == ("en", "es")
