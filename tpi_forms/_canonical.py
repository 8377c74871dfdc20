"""Canonical JSON: the one serialisation every content hash and record hash is computed over.

Sorted keys, no whitespace, ``ensure_ascii=False``, every string (keys too) NFC-normalised;
NaN and infinity are refused. Callers encode the text as UTF-8 before hashing.

>>> canonical_json({"b": 1, "a": "e\u0301"}) == '{"a":"\u00e9","b":1}'
True
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from typing import Any


def nfc(value: Any) -> Any:
    """``value`` with every string in it, keys included, in Unicode normal form C."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, Mapping):
        return {nfc(k): nfc(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [nfc(v) for v in value]
    return value


def canonical_json(data: Any) -> str:
    """The canonical JSON text of ``data``.

    :raises ValueError: NaN or infinity.
    :raises TypeError: a value JSON cannot hold (a set, bytes …).
    """
    return json.dumps(
        nfc(data), sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )
