"""Compress each PDF stream once, before pydyf writes the file.

pydyf compresses a stream every time its bytes are asked for, and it asks twice when it writes
a PDF/A file: once to write the object and once to hash every object for the file identifier
(``/ID``) that PDF/A requires. `compress_once`, run by our WeasyPrint finisher, compresses each
stream's content once at the same level (zlib 9) and hands pydyf the compressed bytes, so the
file is the same and half of the compression work is not done. ``bench/bench_packet.py``
measures it.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import pydyf  # type: ignore[import-untyped]

_to_bytes: Callable[[Any], bytes] | None = getattr(pydyf, "_to_bytes", None)


def compress_once(pdf: Any) -> None:
    """Replace every compressible stream's content with its FlateDecode bytes, compressed once.

    Streams that already name a filter (images) are left alone, and so is everything when this
    pydyf has no ``_to_bytes`` (the file is then compressed the usual way).
    """
    if _to_bytes is None:
        return
    for obj in pdf.objects:
        if not isinstance(obj, pydyf.Stream) or not obj.compress or "Filter" in obj.extra:
            continue
        content = b"\n".join(_to_bytes(item) for item in obj.stream)
        obj.stream = [zlib.compress(content, 9)]
        obj.extra["Filter"] = "/FlateDecode"
        obj.compress = False
