"""Compress each PDF stream once and serialise each PDF object once, before pydyf writes the file.

pydyf makes an object's bytes every time they are asked for, and it asks twice when it writes a
PDF/A file: once to write the object and once to hash every object for the file identifier
(``/ID``) that PDF/A requires. So every stream was compressed twice and every dictionary and
array turned into bytes twice. `write_once`, run by our WeasyPrint finisher:

* compresses each stream's content once (`compress_once`) and hands pydyf the compressed bytes;
* then replaces every object of the file by its bytes, made once (`Serialised`), so that both
  of pydyf's passes read the same bytes;
* and compresses the object stream and the cross-reference stream that pydyf makes while it
  writes, once each, as pydyf adds them to the file (`_add_compressed`).

The level is zlib's: 6 (zlib's own default) for the packets this version makes, 9 for a
released renderer that must make a released version's packets byte for byte (pydyf compressed
them at 9). Level 6 makes the file about 3 % larger and compresses about four times faster.
A pydyf that writes otherwise still writes the same file, compressing what is left at its own
level. ``bench/bench_packet.py`` measures it; ``tests/test_pdf_streams.py`` checks that the
file is pydyf's own at the same level, byte for byte.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable
from typing import Any

import pydyf  # type: ignore[import-untyped]

_to_bytes: Callable[[Any], bytes] | None = getattr(pydyf, "_to_bytes", None)

LEVEL = 6
"""zlib level of the streams of the packets this version makes."""
PYDYF_LEVEL = 9
"""zlib level pydyf compresses at: the level of released versions' packets."""


class Serialised(pydyf.Object):  # type: ignore[misc]
    """A PDF object whose bytes are made once; pydyf writes and hashes these bytes."""

    def __init__(self, source: Any) -> None:
        super().__init__()
        self.number = source.number
        self.offset = source.offset
        self.generation = source.generation
        self.free = source.free
        self._compressible: bool = source.compressible
        self._data: bytes = source.data

    @property
    def data(self) -> bytes:
        return self._data

    @property
    def compressible(self) -> bool:
        return self._compressible


def compress_once(pdf: Any, level: int = LEVEL) -> None:
    """Replace every compressible stream's content with its FlateDecode bytes, compressed once.

    Streams that already name a filter (images) are left alone, and so is everything when this
    pydyf has no ``_to_bytes`` (the file is then compressed the usual way).
    """
    if _to_bytes is None:
        return
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Stream) and obj.compress and "Filter" not in obj.extra:
            compress_once_stream(obj, level)


def compress_once_stream(obj: Any, level: int) -> None:
    """``obj``'s content as its FlateDecode bytes at ``level``, no longer compressed by pydyf."""
    assert _to_bytes is not None
    content = b"\n".join(_to_bytes(item) for item in obj.stream)
    obj.stream = [zlib.compress(content, level)]
    obj.extra["Filter"] = "/FlateDecode"
    obj.compress = False


def write_once(pdf: Any, level: int = LEVEL) -> None:
    """`compress_once`, then every object of ``pdf`` in use made into its bytes once.

    The last thing done before pydyf writes: nothing may change an object afterwards (the
    document information and the streams pydyf makes while writing are its own).
    """
    if _to_bytes is None:
        return
    compress_once(pdf, level)
    pdf.objects[:] = [obj if obj.free == "f" else Serialised(obj) for obj in pdf.objects]
    pdf.add_object = functools.partial(_add_compressed, pdf.add_object, level)


def _add_compressed(add: Callable[[Any], None], level: int, obj: Any) -> None:
    """pydyf's ``add_object``, with a stream pydyf made while writing compressed at ``level``
    first (pydyf adds it before it asks for its bytes, twice for the object stream)."""
    if isinstance(obj, pydyf.Stream) and obj.compress and "Filter" not in obj.extra:
        compress_once_stream(obj, level)
    add(obj)
