"""The README's quick start stays true: two commands, and CI runs the test one word for word."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest

from tpi_forms.cli import main

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", section, re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


# Debian's Python refuses pip outside a virtual environment, so both commands make one first.
VENV = "python3 -m venv .venv && . .venv/bin/activate && "


def test_quick_start_is_two_commands_in_a_virtual_environment() -> None:
    kiosk, tests = quick_start_commands()
    assert kiosk == VENV + 'pip install -q ".[kiosk]" && tpi-forms kiosk'
    system, in_venv = tests.split(VENV)
    assert system.startswith("apt-get update -qq && apt-get install -y -qq ")
    assert "python3-venv" in system.split() and "pip" not in system
    assert in_venv == 'pip install -q -e ".[test]" && python -m pytest'


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text("utf-8").splitlines()
    test_command = quick_start_commands()[1]
    assert test_command in [line.strip() for line in ci]


def blocks(kind: str) -> list[str]:
    readme = (ROOT / "README.md").read_text("utf-8")
    return re.findall(rf"```{kind}\n(.*?)```", readme, re.S)


def test_library_tour_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tour,) = blocks("python")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(tour, "README.md", "exec"), namespace)
    assert namespace["result"].status == "review"  # type: ignore[attr-defined]
    assert namespace["pdf"][:5] == b"%PDF-"  # type: ignore[index]


def test_rule_example_is_the_shipped_rule() -> None:
    (example,) = blocks("toml")
    rule = tomllib.loads(example)["rules"][0]
    shipped = tomllib.loads((ROOT / "tpi_forms/definitions/tpi_screening.toml").read_text("utf-8"))
    assert rule in shipped["rules"]


def test_check_example_is_what_the_command_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (console,) = blocks("console")
    command, expected = console.strip().splitlines()
    folder = ROOT / "tpi_forms" / "definitions"
    for suffix in ("", ".en", ".es"):
        text = (folder / f"tpi_screening{suffix}.toml").read_text("utf-8")
        if not suffix:
            text = text.replace('"takes_blood_thinner", equals', '"takes_blod_thinner", equals', 1)
        (tmp_path / f"my_screening{suffix}.toml").write_text(text, "utf-8")
    args = shlex.split(command.removeprefix("$ "))[1:]
    args[-1] = str(tmp_path / args[-1])
    assert main(args) == 2
    assert capsys.readouterr().err.strip() == expected
