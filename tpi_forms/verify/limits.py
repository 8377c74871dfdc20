"""Caps that keep `verify_packet` from using gigabytes or hanging on a hostile file.

Before anything else decodes a stream, `scan` walks every object of the file once and refuses
it as "too large to verify safely" when:

- the file is larger than `MAX_FILE_BYTES`, or more than `MAX_TRAILING_BYTES` follow its last
  ``%%EOF`` (a reader searching back through junk for the end of the file is slow);
- it has more than `MAX_OBJECTS` objects;
- one stream decompresses to more than `MAX_STREAM_BYTES`, or all of them together to more than
  `MAX_TOTAL_BYTES` (counted while inflating, `MAX_CHUNK` bytes at a time, so a bomb is never
  held in memory), or an image declares more pixels than `MAX_IMAGE_BYTES` can hold;
- a stream uses a compression a packet never uses and whose output cannot be bounded cheaply;
- it takes longer than `MAX_SECONDS` (checked between objects, and by the later checks through
  the same `Deadline`).

Packets are about 100 KiB with streams of a few MiB at most (fonts, the record, signature
images), so the caps are far above any real packet. Once `scan` passed, every stream is known
to decode to a bounded size, so pypdf and pyHanko read the file safely.
"""

from __future__ import annotations

import re
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

MAX_FILE_BYTES = 64 * 1024 * 1024
"""Largest file verified (the command line reads no more)."""
MAX_TRAILING_BYTES = 4096
"""Most bytes allowed after the last ``%%EOF``."""
MAX_OBJECTS = 100_000
"""Most objects in a file (a packet has a few hundred)."""
MAX_STREAM_BYTES = 32 * 1024 * 1024
"""Most bytes one stream may decompress to."""
MAX_TOTAL_BYTES = 128 * 1024 * 1024
"""Most bytes all streams together may decompress to."""
MAX_IMAGE_BYTES = 32 * 1024 * 1024
"""Most bytes of pixels an image may declare (width x height x 4)."""
MAX_SECONDS = 60.0
"""Longest a verification may take."""
MAX_CHUNK = 1024 * 1024
"""Bytes inflated at a time while counting a stream's size."""

_OBJ = re.compile(rb"\d+\s+\d+\s+obj\b")
_END = re.compile(rb"%%EOF(\r\n|\r|\n)?")
_BOUNDED_FILTERS = {"/FlateDecode", "/Fl", "/DCTDecode", "/DCT", "/ASCIIHexDecode", "/AHx"}
_BOUNDED_FILTERS |= {"/ASCII85Decode", "/A85"}


class TooLarge(Exception):
    """The file exceeds a cap; the message says which, in one line without patient text."""


@dataclass
class Deadline:
    """A wall-clock budget shared by the checks of one verification."""

    seconds: float = MAX_SECONDS
    start: float = field(default_factory=time.monotonic)

    def check(self) -> None:
        """Raise `TooLarge` once the budget is spent."""
        if time.monotonic() - self.start > self.seconds:
            raise TooLarge(f"verification took longer than {self.seconds:g} s")


def too_large(exc: TooLarge, locale: str = "en") -> str:
    """The one line reporting ``exc``: "too large to verify safely (what was too large)"."""
    from ..definitions.words import words

    return f"{words('verify', locale)['report.too_large']} ({exc})"


def _mib(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB"


def check_bytes(pdf_bytes: bytes) -> None:
    """The caps that need no parsing: file size, trailing bytes, object count."""
    if len(pdf_bytes) > MAX_FILE_BYTES:
        raise TooLarge(f"the file is larger than {_mib(MAX_FILE_BYTES)}")
    end = _END.search(pdf_bytes, max(0, pdf_bytes.rfind(b"%%EOF")))
    if end is not None and len(pdf_bytes) - end.end() > MAX_TRAILING_BYTES:
        raise TooLarge(f"{len(pdf_bytes) - end.end()} bytes follow the end of the file")
    count = sum(1 for _ in _OBJ.finditer(pdf_bytes))
    if count > MAX_OBJECTS:
        raise TooLarge(f"more than {MAX_OBJECTS} objects")


def inflated_size(data: bytes, limit: int) -> int:
    """How many bytes Flate ``data`` inflates to, counting at most ``limit + 1`` of them.

    Damaged data counts what inflated before the damage (the streams check reports it).
    """
    inflater = zlib.decompressobj()
    total = 0
    pending = data
    try:
        while pending and total <= limit:
            out = inflater.decompress(pending, MAX_CHUNK)
            total += len(out)
            pending = inflater.unconsumed_tail
            if not out and not pending:
                break
        while total <= limit and not inflater.eof:
            out = inflater.decompress(b"", MAX_CHUNK)
            if not out:
                break
            total += len(out)
    except zlib.error:
        pass
    return total


def _filters(stream: Any) -> list[str]:
    value = stream.get("/Filter")
    if value is None:
        return []
    value = value.get_object()
    names = list(value) if isinstance(value, list) else [value]
    return [str(n.get_object() if hasattr(n, "get_object") else n) for n in names]


def _number(value: Any) -> int:
    try:
        return max(0, int(value.get_object() if hasattr(value, "get_object") else value))
    except (TypeError, ValueError):
        return 0


def _stream_size(stream: Any) -> int:
    """An upper bound, within `MAX_STREAM_BYTES` + 1, of what the stream decodes to."""
    raw: bytes = stream._data
    names = _filters(stream)
    unknown = [n for n in names if n not in _BOUNDED_FILTERS]
    if unknown:
        raise TooLarge(f"a stream uses {unknown[0][1:60]} compression, which packets never use")
    if stream.get("/Subtype") == "/Image":
        pixels = _number(stream.get("/Width")) * _number(stream.get("/Height")) * 4
        if pixels > MAX_IMAGE_BYTES:
            raise TooLarge(f"an image declares more than {_mib(MAX_IMAGE_BYTES)} of pixels")
    if names and names[0] in ("/FlateDecode", "/Fl"):
        return inflated_size(raw, MAX_STREAM_BYTES)
    return len(raw)


def scan(reader: Any, deadline: Deadline) -> int:
    """Walk every object the reader lists; return the bytes all streams decode to.

    :raises TooLarge: a cap is exceeded.
    """
    from pypdf.generic import IndirectObject, StreamObject

    keys: list[tuple[int, int]] = [
        (num, gen) for gen, table in reader.xref.items() for num in table
    ] + [(num, 0) for num in reader.xref_objStm]
    if len(keys) > MAX_OBJECTS:
        raise TooLarge(f"more than {MAX_OBJECTS} objects")
    total = 0
    for num, gen in keys:
        deadline.check()
        try:
            obj = IndirectObject(num, gen, reader).get_object()
        except TooLarge:
            raise
        except Exception:  # a damaged object: the other checks report the damage
            continue
        if not isinstance(obj, StreamObject):
            continue
        size = _stream_size(obj)
        if size > MAX_STREAM_BYTES:
            raise TooLarge(f"a stream decompresses to more than {_mib(MAX_STREAM_BYTES)}")
        total += size
        if total > MAX_TOTAL_BYTES:
            raise TooLarge(f"the streams decompress to more than {_mib(MAX_TOTAL_BYTES)}")
    return total
