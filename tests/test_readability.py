"""Patient text stays plain: English Flesch-Kincaid grade <= 8, Spanish Fernández-Huerta >= 60.

The figures come from ``bench/readability.py`` (run it for the table); this test prints them
and fails naming the element and its hardest sentence when a change raises the reading level.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import textstat  # type: ignore[import-untyped]

BENCH = Path(__file__).resolve().parent.parent / "bench" / "readability.py"


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tpi_forms_bench_readability", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


readability = _load_bench()


@pytest.fixture(scope="module")
def figures(pytestconfig: pytest.Config) -> list[Any]:
    rows: list[Any] = readability.figures()
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():  # shown without -s
        print("\n" + readability.table(rows))
    return rows


@pytest.mark.parametrize("locale", ["en", "es"])
@pytest.mark.parametrize("source", ["consent", "questionnaire", "quiz"])
def test_reading_level_within_limits(figures: list[Any], source: str, locale: str) -> None:
    rows = [f for f in figures if f.source == source and f.locale == locale]
    assert rows, "nothing measured"
    failures = [f.describe_failure() for f in rows if not f.passes]
    assert not failures, "\n".join(failures)


def test_every_consent_element_is_measured(figures: list[Any]) -> None:
    elements = {f.element for f in figures if f.source == "consent" and f.locale == "en"}
    assert {
        "body",
        "intro",
        "notice",
        "section:steroid",
        "risk:pneumothorax",
        "risk:blood_sugar",
    } <= elements
    assert {"signer:patient", "signer:interpreter", "section:electronic_signature"} <= elements
    assert any(e.startswith("question:") for e in {f.element for f in figures})


def test_failure_names_the_hardest_sentence() -> None:
    text = (
        "Take a rest. "
        "Intramuscular administration of corticosteroid preparations occasionally precipitates "
        "transient hyperglycaemia necessitating intensified glycaemic monitoring. "
        "Call us."
    )
    figure = readability.Figure("consent", "risk:test", "en", text, readability.measure(text, "en"))
    assert not figure.passes
    sentence, grade = figure.worst_sentence()
    assert sentence.startswith("Intramuscular administration") and grade > 8
    assert (
        "worst sentence" in figure.describe_failure()
        and "Intramuscular" in figure.describe_failure()
    )
    hard_es = (
        "La administración intramuscular de preparaciones corticosteroideas ocasionalmente "
        "desencadena hiperglucemia transitoria que necesita monitorización intensificada."
    )
    figure_es = readability.Figure(
        "consent", "x", "es", hard_es, readability.measure(hard_es, "es")
    )
    assert not figure_es.passes and "hiperglucemia" in figure_es.describe_failure()


def test_language_is_reset_after_spanish() -> None:
    readability.measure("Una frase corta.", "es")
    english = readability.measure("The cat sat on the mat.", "en")
    assert english == textstat.flesch_kincaid_grade("The cat sat on the mat.")
    assert english < 3


BODY_GOAL_EN = 6.0
"""Goal for the whole English consent body (Flesch-Kincaid grade); elements stay within 8."""
GOAL_ES = 65.0
"""Goal for every Spanish element (Fernández-Huerta ease)."""


def test_release_goals_hold(figures: list[Any]) -> None:
    body = next(f for f in figures if (f.source, f.element, f.locale) == ("consent", "body", "en"))
    assert body.score <= BODY_GOAL_EN, body.describe_failure()
    spanish = [f for f in figures if f.locale == "es" and f.score < GOAL_ES]
    assert not spanish, "\n".join(f.describe_failure() for f in spanish)


@pytest.mark.parametrize("locale", ["en", "es"])
def test_clinic_setting_sections_are_plain_too(locale: str) -> None:
    import dataclasses

    from tpi_forms.consent.document import build_consent
    from tpi_forms.definitions.clinic import sample_clinic
    from tpi_forms.definitions.clinic_consent import ClinicConsentSettings

    clinic = dataclasses.replace(
        sample_clinic(), consent=ClinicConsentSettings(trainees=True, paper_copy_fee=True)
    )
    doc = build_consent(readability.FULL_PLAN, clinic, locale)
    elements = dict(readability.consent_elements(doc))
    assert "section:team" in elements
    for element in ("section:team", "section:electronic_signature"):
        score = readability.measure(elements[element], locale)
        assert score <= 8.0 if locale == "en" else score >= GOAL_ES, (element, score)
