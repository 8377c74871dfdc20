"""The command line loads WeasyPrint only for commands that render a PDF."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tpi_forms.definitions.clinic import SAMPLE_CLINIC
from tpi_forms.screening.scenarios import example_answers

SAMPLE_CLINIC_FILE = Path(__file__).parents[1] / "tpi_forms" / "definitions" / SAMPLE_CLINIC


def imported(*args: str) -> list[str]:
    """The modules ``python -X importtime`` reports for ``args`` (it exits 0)."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return [
        line.rsplit("|", 1)[-1].strip()
        for line in run.stderr.splitlines()
        if line.startswith("import time:")
    ]


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("lazy") / "answers.json"
    path.write_text(json.dumps(example_answers("review")), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "command",
    [
        ["--help"],
        ["--version"],
        ["screen", "{answers}"],
        ["consent"],
        ["example-answers"],
        ["schema", "answers"],
        ["check", "clinic", str(SAMPLE_CLINIC_FILE)],
        *([name, "--help"] for name in ("packet", "blank", "day-packets", "demo", "kiosk")),
    ],
    ids=" ".join,
)
def test_commands_that_render_nothing_do_not_import_weasyprint(
    command: list[str], answers: str
) -> None:
    modules = imported("-m", "tpi_forms", *(a.format(answers=answers) for a in command))
    assert "tpi_forms.cli" in modules
    assert [m for m in modules if m.split(".")[0] == "weasyprint"] == []


def test_the_check_sees_weasyprint_when_it_is_imported() -> None:
    assert "weasyprint" in imported("-c", "import tpi_forms.pdf.packet")
