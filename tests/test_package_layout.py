"""The package's shape: modules small enough to read in one sitting."""

from __future__ import annotations

from pathlib import Path

import tpi_forms

MAX_MODULE_LINES = 500


def test_no_module_is_over_500_lines() -> None:
    package = Path(tpi_forms.__file__).parent
    sizes = {
        str(path.relative_to(package)): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(package.rglob("*.py"))
    }
    assert len(sizes) > 50  # the walk found the package
    assert {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES} == {}
