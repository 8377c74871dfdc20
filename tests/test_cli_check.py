"""``tpi-forms check`` reports ok or one line naming the file and key path, with exit code 2."""

from __future__ import annotations

import shutil
from importlib.resources import as_file
from pathlib import Path

import pytest

from tpi_forms._resources import definition_folder
from tpi_forms.cli import main


def copy_definitions(tmp_path: Path) -> Path:
    folder = tmp_path / "definitions"
    with as_file(definition_folder()) as src:
        shutil.copytree(src, folder)
    return folder


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("questionnaire", "tpi_screening.toml"),
        ("consent", "tpi_consent.toml"),
        ("clinic", "sample_clinic.toml"),
    ],
)
def test_shipped_files_are_ok(
    kind: str, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_definitions(tmp_path)
    assert main(["check", kind, str(folder / name)]) == 0
    assert capsys.readouterr().out.startswith(f"ok: {folder / name}")


def test_misspelt_reference_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_definitions(tmp_path)
    path = folder / "tpi_screening.toml"
    text = path.read_text("utf-8")
    assert '{ question = "takes_blood_thinner", equals = true }' in text
    path.write_text(
        text.replace(
            '{ question = "takes_blood_thinner", equals = true }',
            '{ question = "takes_blod_thinner", equals = true }',
            1,
        ),
        "utf-8",
    )
    assert main(["check", "questionnaire", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "tpi_screening.toml: " in err and "unknown question 'takes_blod_thinner'" in err
    assert "Traceback" not in err


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "clinic", str(tmp_path / "none.toml")]) == 2
    assert capsys.readouterr().err.strip() == "tpi-forms check: error: none.toml: file not found"


def test_unknown_kind_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["check", "recipe", "x.toml"])
    assert info.value.code == 2
    assert "invalid choice: 'recipe'" in capsys.readouterr().err
