"""``tpi_forms.__all__`` is sorted and names exactly the public members of the package."""

from __future__ import annotations

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
