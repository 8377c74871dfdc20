"""A digest of everything a page is made of, to compare a packet's pages with a re-render's.

`page_digests` hashes each page's object tree: its dictionaries, arrays and values, and the
decoded bytes of every stream it reaches (content, fonts and their text maps, images, form
XObjects), following references but not ``/Parent``. Object numbers, stream lengths and
compression do not count, so a file re-saved by another tool keeps its digests; anything a
reader draws or extracts does. The invisible signature widget a seal adds (a ``/Sig`` field
with an empty rectangle) is left out; every other annotation counts.

Two pages with the same digest show the same drawing and the same text, so the page checks of
`tpi_forms.verify.pages` read the text only of files whose digests differ.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .limits import Deadline

_SKIP = {"/Parent", "/Length", "/Filter", "/DecodeParms", "/StructParents", "/P"}
_MAX_DEPTH = 64


def page_digests(pages: Any, deadline: Deadline) -> list[str]:
    """The SHA-256 of each page's tree, in page order."""
    memo: dict[tuple[int, int], bytes] = {}
    out = []
    for page in pages:
        deadline.check()
        out.append(hashlib.sha256(_digest(page, memo, 0)).hexdigest())
    return out


def _invisible_seal(annot: Any) -> bool:
    field = annot
    for _ in range(4):  # the widget, or the field it belongs to, is a signature field
        if field.get("/FT") == "/Sig":
            break
        parent = field.get("/Parent")
        if parent is None:
            return False
        field = parent.get_object()
    else:
        return False
    rect = annot.get("/Rect")
    try:
        x1, y1, x2, y2 = (float(v) for v in rect)
    except (TypeError, ValueError):
        return False
    return annot.get("/Subtype") == "/Widget" and (x2 - x1) * (y2 - y1) == 0


def _digest(obj: Any, memo: dict[tuple[int, int], bytes], depth: int) -> bytes:
    from pypdf.generic import DictionaryObject, IndirectObject, StreamObject

    if depth > _MAX_DEPTH:
        return b"<too deep>"
    if isinstance(obj, IndirectObject):
        key = (obj.idnum, obj.generation)
        if key in memo:
            return memo[key]
        memo[key] = b"<cycle>"
        found = _digest(obj.get_object(), memo, depth + 1)
        memo[key] = found
        return found
    if isinstance(obj, DictionaryObject):
        parts = []
        for name in sorted(str(k) for k in obj):
            if name in _SKIP:
                continue
            value = obj.raw_get(name) if name != "/Annots" else _visible_annots(obj)
            if name == "/Annots" and not value:
                continue  # no annotation but the seal's invisible widget
            parts.append(name.encode() + b"=" + _digest(value, memo, depth + 1))
        if isinstance(obj, StreamObject):
            parts.append(b"data=" + hashlib.sha256(obj.get_data()).digest())
        return hashlib.sha256(b"{" + b";".join(parts) + b"}").digest()
    if isinstance(obj, list):
        inner = b",".join(_digest(v, memo, depth + 1) for v in obj)
        return hashlib.sha256(b"[" + inner + b"]").digest()
    return repr(obj).encode("utf-8", "replace")


def _visible_annots(page: Any) -> list[Any]:
    annots = page.get("/Annots")
    if annots is None:
        return []
    annots = annots.get_object()
    return [a for a in annots if not _invisible_seal(a.get_object())]
