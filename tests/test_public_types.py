"""No `typing.Any` in the public API: every function and method of a name in ``__all__``."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterator

import pytest

import tpi_forms
import tpi_forms.json_types


def has_any(hint: object) -> bool:
    return hint is typing.Any or any(has_any(arg) for arg in typing.get_args(hint))


def public_callables() -> Iterator[tuple[str, Callable[..., object]]]:
    for name in tpi_forms.__all__:
        value = getattr(tpi_forms, name)
        if inspect.isclass(value):
            for attr, member in vars(value).items():
                if attr.startswith("_") and attr != "__init__":
                    continue
                if isinstance(member, staticmethod | classmethod):
                    member = member.__func__
                if isinstance(member, property):
                    member = member.fget
                if inspect.isfunction(member):
                    yield f"{name}.{attr}", member
        elif inspect.isfunction(value):
            yield name, value


def any_in(function: Callable[..., object]) -> set[str]:
    hints = typing.get_type_hints(function)
    return {param for param, hint in hints.items() if has_any(hint)}


PUBLIC = dict(public_callables())


def test_the_walk_finds_the_api() -> None:
    assert {"screen", "build_form_class", "verify_packet", "build_record"} <= set(PUBLIC)
    assert {"ConsentRecord.from_json", "ScreeningResult.from_dict", "Clinic.to_dict"} <= set(PUBLIC)
    assert "ScreeningForm.answers" in PUBLIC
    records = {"ConsentRecord.__init__", "ConsentRecord.from_dict", "Signature.from_dict"}
    assert records | {"AuditEvent.from_dict"} <= set(PUBLIC)


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_no_any_in_a_public_signature(name: str) -> None:
    assert any_in(PUBLIC[name]) == set()


def test_the_check_sees_any() -> None:
    def loose(data: typing.Any, items: list[typing.Any]) -> dict[str, typing.Any]:
        return {}

    def tight(data: tpi_forms.json_types.JsonValue) -> tpi_forms.json_types.JsonObject:
        return {}

    assert any_in(loose) == {"data", "items", "return"}
    assert any_in(tight) == set()


def test_the_seams_named_in_the_issue_are_typed() -> None:
    hints = typing.get_type_hints(tpi_forms.verify_packet)
    assert hints["consent_definition"] == tpi_forms.ConsentDefinition | None
    hints = typing.get_type_hints(tpi_forms.build_form_class)
    assert hints["return"] == type[tpi_forms.ScreeningForm]
