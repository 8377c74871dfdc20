"""Every error class lives in `tpi_forms.errors`, under `TpiFormsError`, and is exported."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import tpi_forms
import tpi_forms.errors

# Raised and caught inside one function, never seen outside its module.
PRIVATE = {"tpi_forms._json._Refused"}


def _modules() -> list[str]:
    found = pkgutil.walk_packages(tpi_forms.__path__, prefix="tpi_forms.")
    return sorted(m.name for m in found if m.name != "tpi_forms.__main__")


def _error_classes(module_name: str) -> list[type[BaseException]]:
    module = importlib.import_module(module_name)
    return [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, BaseException)
        and value.__module__ == module_name
    ]


ERRORS = _error_classes("tpi_forms.errors")


def test_every_error_class_is_in_the_errors_module() -> None:
    elsewhere = {
        f"{cls.__module__}.{cls.__qualname__}"
        for name in _modules()
        if name != "tpi_forms.errors"
        for cls in _error_classes(name)
    }
    assert elsewhere == PRIVATE


def test_every_error_is_a_tpi_forms_error() -> None:
    assert len(ERRORS) > 20
    assert [cls.__name__ for cls in ERRORS if not issubclass(cls, tpi_forms.TpiFormsError)] == []


def test_every_error_is_exported() -> None:
    for cls in ERRORS:
        assert cls.__name__ in tpi_forms.__all__
        assert getattr(tpi_forms, cls.__name__) is cls


def test_a_library_error_is_caught_as_the_exported_class() -> None:
    with pytest.raises(tpi_forms.UnknownLocaleError):
        tpi_forms.build_form_class(locale="xx")
