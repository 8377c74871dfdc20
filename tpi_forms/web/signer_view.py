"""One signature block as the page templates see it (``partials/signer.html``), re-filled from a
refused submission's values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..consent.fields import METHODS
from ..consent.signing import SignerBlock


def _value(values: Mapping[str, Any], key: str) -> str:
    value = values.get(key)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return value if isinstance(value, str) else ""


def _ticked(values: Mapping[str, Any], key: str) -> bool:
    return _value(values, key) not in ("", "0", "false", "no", "off")


def _block_view(
    block: SignerBlock, values: Mapping[str, Any], errors: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    f = block.fields
    chosen = _value(values, f.signer) or block.roles[0].id
    method = _value(values, f.method)
    return {
        "block": block,
        "id": block.id,
        "f": f,
        "chosen": chosen,
        "method": method if method in METHODS else "typed",
        "method_chosen": method in METHODS,
        "printed_name": _value(values, f.printed_name),
        "intent": _ticked(values, f.intent),
        "png": _value(values, f.png),
        "strokes": _value(values, f.strokes),
        "extra": {x.id: _value(values, f.extra(x.id)) for role in block.roles for x in role.fields},
        "has_errors": any(k.startswith(f.name("")) for k in errors),
    }
