"""``tpi_forms.__all__`` is sorted and names exactly the public members of the package."""

from __future__ import annotations

import subprocess
import sys
import types

import tpi_forms


def test_all_is_sorted() -> None:
    assert tpi_forms.__all__ == sorted(tpi_forms.__all__)


def test_all_is_complete() -> None:
    public = {
        name
        for name in dir(tpi_forms)
        if not name.startswith("_") and not isinstance(getattr(tpi_forms, name), types.ModuleType)
    }
    assert public | {"__version__"} == set(tpi_forms.__all__)


def test_every_name_resolves() -> None:
    for name in tpi_forms.__all__:
        assert getattr(tpi_forms, name) is not None


def test_import_does_not_load_weasyprint() -> None:
    # Screening and HTML code should not pay for WeasyPrint's start-up; PDF names load it lazily.
    code = (
        "import sys, tpi_forms; assert 'weasyprint' not in sys.modules; "
        "tpi_forms.render_packet; assert 'weasyprint' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
