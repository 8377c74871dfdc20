"""``tpi-forms diff``: the changes between two definition versions, in words and as a page."""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import pytest

from tpi_forms.cli import main
from tpi_forms.definitions.consent import load_consent_definition
from tpi_forms.definitions.diff import diff_consents, diff_questionnaires
from tpi_forms.definitions.questionnaire import load_questionnaire
from tpi_forms.definitions.released import load_released_questionnaire

DEFINITIONS = Path(__file__).resolve().parent.parent / "tpi_forms" / "definitions"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_consent_0_1_0_to_0_2_0_in_words(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = tmp_path / "consent.html"
    code, out, _ = run(capsys, "diff", "tpi_consent@0.1.0", "tpi_consent", "--html", str(page))
    assert code == 0
    assert out.startswith("What changed: Consent tpi_consent 0.1.0 to tpi_consent 0.2.0\n")
    assert "Language: English" in out
    assert "Added: Section reason" in out and "Added: Section about_risks" in out
    assert "Changed: Section steroid — wording" in out
    assert (
        "  Before: Steroid in the shot: Your plan also puts a steroid in the shot. It may calm"
        in out
    )
    assert "Trigger points are not swollen." in out
    assert "Changed: Signer witness — wording" in out
    assert "Changed: Risk pneumothorax — wording, when it is marked, source" in out
    assert "Changed: Text frequencies.rare" not in out  # unchanged in English
    text = page.read_text("utf-8")
    assert text.startswith("<!DOCTYPE html>") and '<html lang="en">' in text
    assert '<th scope="col">Before</th>' in text and "Trigger points are not swollen." in text


def test_questionnaire_1_0_0_to_2_0_0_in_spanish(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "diff", "tpi_screening@1.0.0", "tpi_screening@2.0.0", "--locale", "es"
    )
    assert code == 0
    assert out.startswith("Qué cambió: Cuestionario tpi_screening 1.0.0 a tpi_screening 2.0.0")
    assert "Añadido: Pregunta thin_build" in out
    assert "Quitado: Regla lung_disease_near_chest" in out
    assert "Añadido: Regla collapsed_lung_risk" in out
    assert (
        "Cambiado: Regla recent_injection — gravedad, mensaje para el paciente, "
        "texto para el profesional de salud, fuente (Gravedad: Revisión por un profesional de "
        "salud a Información)"
    ) in out
    assert "  Antes:   ¿Toma algo para hacer la sangre más líquida?" in out
    assert "  Después: ¿Toma una medicina para la sangre?" in out


def test_the_diff_lists_every_change_once() -> None:
    old_q, new_q = load_released_questionnaire("1.0.0"), load_questionnaire()
    diff = diff_questionnaires(old_q, new_q, "en")
    added = {c.id for c in diff.changes if c.kind == "question" and c.action == "added"}
    assert added == set(new_q.questions) - set(old_q.questions)
    rules = {(c.id, c.action) for c in diff.changes if c.kind == "rule"}
    assert ("under_18", "added") in rules and ("lung_disease_near_chest", "removed") in rules
    severity = next(c for c in diff.changes if c.id == "steroid_allergy_with_steroid")
    assert (severity.old_severity, severity.new_severity) == ("review", "contraindicated")
    assert diff.count("added") + diff.count("removed") + diff.count("changed") == len(diff.changes)
    same = diff_consents(load_consent_definition(), load_consent_definition(), "es")
    assert same.changes == ()


def test_no_changes_and_definition_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for path in DEFINITIONS.glob("tpi_*.toml"):
        shutil.copy(path, tmp_path / path.name)
    own = tmp_path / "tpi_consent.en.toml"
    own.write_text(
        own.read_text("utf-8").replace('rare = "Rare"', 'rare = "<b>Seldom</b>"'), "utf-8"
    )
    page = tmp_path / "page.html"
    code, out, _ = run(
        capsys, "diff", "tpi_consent", str(tmp_path / "tpi_consent.toml"), "--html", str(page)
    )
    assert code == 0
    assert "Changed: Text frequencies.rare — wording" in out and "<b>Seldom</b>" in out
    text = page.read_text("utf-8")
    assert "<b>Seldom</b>" not in text and html.escape("<b>Seldom</b>") in text
    code, out, _ = run(capsys, "diff", "tpi_screening", str(tmp_path / "tpi_screening.toml"))
    assert code == 0 and "No changes." in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tpi_consent@9.9.9", "tpi_consent"], "no released version '9.9.9'"),
        (["tpi_consent@0.1.0", "tpi_screening"], "cannot compare a consent with a questionnaire"),
        (["nothing.toml", "tpi_consent"], "'nothing.toml' is not a definition file"),
        (["tpi_consent@0.1.0", "tpi_consent", "--locale", "fr"], "has no text in 'fr'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, "diff", *args)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1
