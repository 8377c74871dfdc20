"""A wheel carries the templates and definitions: installed into a fresh virtual environment,
it renders a form and a PDF without the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

SNIPPET = """
import sys, pathlib, tpi_forms
from tpi_forms._resources import templates_folder
from tpi_forms.web.html import render_form_html
from tpi_forms.pdf.packet import render_blank_packet
venv = pathlib.Path(sys.prefix).resolve()
assert pathlib.Path(tpi_forms.__file__).resolve().is_relative_to(venv), tpi_forms.__file__
assert templates_folder().resolve().is_relative_to(venv), templates_folder()
form = tpi_forms.build_form_class(locale="es")()
html = render_form_html(form, action="/submit")
assert "pain_score" in html and "<form" in html
pdf = render_blank_packet(locale="es")
assert pdf.startswith(b"%PDF-")
print("rendered", len(html), len(pdf))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (found,) = out.glob("tpi_forms-*.whl")
    return found


def test_wheel_contents(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "tpi_forms/py.typed",
        "tpi_forms/definitions/tpi_screening.toml",
        "tpi_forms/definitions/tpi_screening.es.toml",
        "tpi_forms/definitions/tpi_consent.toml",
        "tpi_forms/schemas/questionnaire.schema.json",
        "tpi_forms/templates/static/signature-pad.js",
    ):
        assert required in names, required
    assert any(n.startswith("tpi_forms/templates/pdf/") for n in names)
    assert not any(n.startswith("tests/") for n in names)


def dependency_folders() -> list[str]:
    """Where the running interpreter finds the wheel's dependencies: its ``sys.path`` without
    the standard library, the checkout and its tests."""
    stdlib = {Path(sysconfig.get_path(key)).resolve() for key in ("stdlib", "platstdlib")}
    stdlib |= {folder / "lib-dynload" for folder in stdlib}
    folders = []
    for entry in sys.path:
        folder = Path(entry or ".").resolve()
        if folder.is_dir() and folder not in stdlib | {ROOT} and not folder.is_relative_to(TESTS):
            folders.append(str(folder))
    return list(dict.fromkeys(folders))


def bare_venv(folder: Path) -> Path:
    """A virtual environment, without pip or system packages, that finds the dependencies through
    a ``.pth`` file listing their folders. Its own site-packages comes first on ``sys.path``, and
    the ``.pth`` files inside the listed folders (an editable install of the checkout) are not read.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    listing = "\n".join(dependency_folders()) + "\n"
    (Path(site_packages) / "tpi_test_dependencies.pth").write_text(listing, encoding="utf-8")
    return python


@pytest.mark.slow
def test_installed_wheel_renders_form_and_pdf(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    python = bare_venv(venv)
    # Only the wheel is installed (the snippet checks tpi_forms and its templates come from it).
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps"]
        + ["--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    work = tmp_path / "elsewhere"
    work.mkdir()
    done = subprocess.run(
        [str(python), "-c", SNIPPET], cwd=work, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("rendered")

    cli = venv / "bin" / "tpi-forms"
    helped = subprocess.run([str(cli), "--help"], cwd=work, env=env, capture_output=True, text=True)
    assert helped.returncode == 0 and "demo" in helped.stdout
    demo = subprocess.run(
        [str(cli), "demo", "--out", "out"], cwd=work, env=env, capture_output=True, text=True
    )
    assert demo.returncode == 0, demo.stderr
    for name in ("kiosk-screening.en.html", "signed-packet.pdf", "blank-packet.es.pdf"):
        assert (work / "out" / name).stat().st_size > 0
    assert (work / "out" / "static" / "signature-pad.js").is_file()
    assert "PDF font subsetting:" in demo.stdout
