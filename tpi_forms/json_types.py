"""Types of JSON-native data: answers, the parts of a record, what ``to_dict`` returns.

Values read from JSON (or made to be written as JSON) are `JsonValue`; containers are read-only
(`Mapping`, `Sequence`), so a ``dict[str, int]`` or a record's frozen parts fit as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, ForwardRef, TypeAlias

if TYPE_CHECKING:
    JsonValue: TypeAlias = (
        None | bool | int | float | str | Sequence["JsonValue"] | Mapping[str, "JsonValue"]
    )
else:  # the same type; its self-reference names this module, so any module's hints resolve it
    _SELF = ForwardRef("JsonValue", module=__name__)
    JsonValue = None | bool | int | float | str | Sequence[_SELF] | Mapping[str, _SELF]
"""Any value JSON can carry: null, true/false, a number, a string, an array or an object."""

JsonObject: TypeAlias = dict[str, JsonValue]
"""A JSON object made for the caller, e.g. what ``to_dict`` returns."""

Answer: TypeAlias = JsonValue
"""One answer as JSON carries it: ``true``, ``7``, ``"neck"``, ``["neck", "upper_back"]`` …"""
