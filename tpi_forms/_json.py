"""Read untrusted JSON (answers, embedded records) within limits on size, depth and numbers.

`parse_json` and `read_json_file` refuse, with a one-line `InputError` naming the input and
the limit (never its content): more bytes than allowed (a file is read no further than that),
arrays and objects nested too deep (Python's parser would raise `RecursionError`), too many
arrays and objects, numbers longer than allowed (Python refuses integers of more than 4300
digits with a `ValueError`, and big ones are slow to convert), NaN and Infinity, and an object
that has the same key twice (readers disagree on which value counts).

>>> parse_json(b'{"pain_score": 4}', "answers.json")
{'pain_score': 4}
>>> parse_json("[" * 100 + "]" * 100, "answers.json")
Traceback (most recent call last):
...
tpi_forms.errors.InputError: answers.json: nested more than 64 levels deep
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError


@dataclass(frozen=True)
class JsonLimits:
    """How large, deep and long untrusted JSON may be before it is refused."""

    max_bytes: int = 1024 * 1024
    """Largest input, in bytes of UTF-8."""
    max_depth: int = 64
    """Most levels of arrays and objects inside one another."""
    max_containers: int = 100_000
    """Most arrays and objects (counted as ``[`` and ``{``, so brackets in strings count too)."""
    max_number_chars: int = 40
    """Longest number, in characters (a double needs at most 24)."""


ANSWERS_LIMITS = JsonLimits()
"""Limits of an answers file: 1 MiB."""
RECORD_LIMITS = JsonLimits(max_bytes=8 * 1024 * 1024)
"""Limits of a consent record: 8 MiB, the most a packet embeds (``pdf.packet.MAX_RECORD_BYTES``)."""


MAX_PACKET_FILE_BYTES = 64 * 1024 * 1024
"""Largest packet PDF the command line reads for ``verify`` and ``fhir`` (packets are ~100 KiB)."""


class _Refused(Exception):
    """Raised from inside the parser's hooks; becomes an `InputError`."""


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"


def read_json_file(path: Path, limits: JsonLimits = ANSWERS_LIMITS) -> Any:
    """The parsed JSON of ``path``, reading at most ``limits.max_bytes`` (+1) bytes of it."""
    return parse_json(read_limited(path, limits.max_bytes), str(path), limits)


def read_limited(path: Path, max_bytes: int, name: str | None = None) -> bytes:
    """The bytes of ``path``; `InputError` when it is larger than ``max_bytes`` or unreadable.

    At most ``max_bytes + 1`` bytes are read, so a huge file costs no memory.
    """
    name = name or str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror or type(exc).__name__}") from None
    if len(data) > max_bytes:
        raise InputError(f"{name}: larger than {_size(max_bytes)}")
    return data


def parse_json(data: bytes | str, name: str, limits: JsonLimits = ANSWERS_LIMITS) -> Any:
    """Parse ``data`` (UTF-8 bytes or text) within ``limits``; ``name`` labels the errors."""
    if len(data) > limits.max_bytes or (
        isinstance(data, str) and len(data.encode("utf-8", "surrogatepass")) > limits.max_bytes
    ):
        raise InputError(f"{name}: larger than {_size(limits.max_bytes)}")
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{name}: not UTF-8 text") from None
    else:
        text = data
    if text.count("[") + text.count("{") > limits.max_containers:
        raise InputError(f"{name}: more than {limits.max_containers} arrays and objects")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object,
            parse_int=lambda s: int(_number(s, limits)),
            parse_float=lambda s: _float(_number(s, limits)),
            parse_constant=_constant,
        )
    except RecursionError:  # deeper than Python's parser can go: far deeper than the limit
        raise InputError(f"{name}: nested more than {limits.max_depth} levels deep") from None
    except json.JSONDecodeError as exc:  # the position only: the message must not echo data
        raise InputError(
            f"{name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except _Refused as exc:
        raise InputError(f"{name}: {exc}") from None
    if nested_deeper_than(value, limits.max_depth):
        raise InputError(f"{name}: nested more than {limits.max_depth} levels deep")
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Refused("an object has the same key twice")
    return result


def _number(text: str, limits: JsonLimits) -> str:
    if len(text) > limits.max_number_chars:
        raise _Refused(f"a number is longer than {limits.max_number_chars} characters")
    return text


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused("a number is too large")
    return value


def _constant(text: str) -> Any:
    raise _Refused("NaN and Infinity are not JSON numbers")


def nested_deeper_than(value: Any, max_depth: int) -> bool:
    """Whether arrays and objects (lists, dicts) nest more than ``max_depth`` levels in ``value``.

    Walked with a stack, not recursion, so any depth is safe to check.
    """
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False
