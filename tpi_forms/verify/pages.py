"""The pages of a packet against a re-render of its embedded record.

A packet is rendered deterministically: the same record, templates, fonts and software give the
same bytes. So `page_checks` renders the embedded record again with the code that made the
packet (`PacketRenderer.render`, the last ``packet_generated`` event giving the time) and
compares:

- ``page_count``: the packet has as many pages as the re-render;
- ``page_text``: every page's text, in reading order and without whitespace, equals the same
  page of the re-render;
- ``page_drawing``: every page's content (text, lines, boxes, images drawn) is the re-render's,
  so a white box or a drawn "No" over an answer is found even when the text stays the same;
- ``hidden_text``: no page shows text the re-render does not show invisibly (render modes 3
  and 7, white fill, less than a point high, or placed off the page), so text a reader does not
  see cannot stand in for text that was covered.

When the file is the re-render byte for byte (an untouched unsealed packet), every page check
passes without reading the pages; otherwise (a sealed packet, or any other) the pages of the
file's last revision are read and compared. A packet made with a clinic's own
templates, or with other fonts or another version, differs from the re-render; pass the
clinic's `PacketRenderer` to verify it.

One re-render is made per record (an LRU of the last few is kept, keyed by the record's SHA-256
and the renderer), so checking a packet costs one render.
"""

from __future__ import annotations

import io
import threading
import unicodedata
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..record.model import ConsentRecord
from .limits import Deadline, TooLarge

CheckLine = tuple[str, bool, str]
PAGE_CHECKS = ("page_count", "page_text", "page_drawing", "hidden_text")
_A4_HEIGHT = 841.89
_CACHE_SIZE = 4
_MAX_FORM_DEPTH = 8


@dataclass
class _Render:
    pdf: bytes
    pages: list[_Page] | None = None


@dataclass(frozen=True)
class _Page:
    text: str
    drawing: bytes
    hidden: Counter[bytes]


_cache: OrderedDict[tuple[object, ...], _Render] = OrderedDict()
_renderers: dict[tuple[object, ...], Any] = {}
_lock = threading.Lock()


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _page_size(reader: Any) -> str:
    try:
        height = float(reader.pages[0].mediabox.height)
    except Exception:  # no pages, or a damaged box: Letter, as the renderer's default
        return "letter"
    return "a4" if abs(height - _A4_HEIGHT) < 2 else "letter"


def _renderer(page_size: str, definition: Any | None, record: ConsentRecord) -> Any:
    from ..pdf.packet import PacketRenderer, PacketSettings

    questionnaire = getattr(definition, "questionnaire", None)
    if getattr(questionnaire, "id", None) != record.questionnaire_id:
        questionnaire = None
    key = (page_size, id(questionnaire) if questionnaire is not None else None)
    with _lock:
        renderer = _renderers.get(key)
        if renderer is None:
            renderer = PacketRenderer(PacketSettings(page_size=page_size))
            if questionnaire is not None:
                renderer.questionnaire = questionnaire
            _renderers.clear() if len(_renderers) > 8 else None
            _renderers[key] = renderer
    return renderer


def rerender(record: ConsentRecord, digest: str, renderer: Any) -> _Render:
    """The packet the renderer makes from the embedded ``record`` (cached by ``digest``).

    :raises ValueError: the record's audit trail does not end with the packet's generation.
    """
    key = (digest, id(renderer))
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    if not record.audit or record.audit[-1].event != "packet_generated":
        raise ValueError("the record's audit trail does not end with the packet's generation")
    last = record.audit[-1]
    before = ConsentRecord(**{**record.__dict__, "audit": record.audit[:-1]})
    pdf = renderer.render(before, generated_at=last.at)
    made = _Render(pdf)
    with _lock:
        _cache[key] = made
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return made


def page_checks(
    pdf_bytes: bytes,
    reader: Any,
    record: ConsentRecord,
    digest: str,
    *,
    consent_definition: Any | None,
    renderer: Any | None,
    deadline: Deadline,
) -> list[CheckLine]:
    """The four page checks (`PAGE_CHECKS`) of a packet whose record was read.

    :raises TooLarge: the time budget ran out.
    """
    import pypdf

    renderer = renderer or _renderer(_page_size(reader), consent_definition, record)
    try:
        made = rerender(record, digest, renderer)
    except Exception as exc:  # the renderer refuses a record it did not make (PacketError, ...)
        why = f"the record cannot be rendered again ({type(exc).__name__})"
        return [(name, False, why) for name in PAGE_CHECKS]
    deadline.check()
    if pdf_bytes.rstrip() == made.pdf.rstrip():
        same = "the file is the re-render of its record, byte for byte"
        count = len(reader.pages)
        return [
            ("page_count", True, f"{count} pages, as the record renders to"),
            ("page_text", True, same),
            ("page_drawing", True, same),
            ("hidden_text", True, "no text is hidden on the pages"),
        ]
    if made.pages is None:
        made.pages = _read_pages(pypdf.PdfReader(io.BytesIO(made.pdf)).pages, deadline)
    wanted = made.pages
    try:
        found = _read_pages(reader.pages, deadline)
    except TooLarge:
        raise
    except Exception as exc:  # pypdf raises many types on damaged content
        why = f"the pages cannot be read ({type(exc).__name__})"
        return [("page_count", len(reader.pages) == len(wanted), why)] + [
            (name, False, why) for name in PAGE_CHECKS[1:]
        ]
    return [
        _count_check(len(found), len(wanted)),
        _compare("page_text", [p.text for p in found], [p.text for p in wanted], "text"),
        _compare(
            "page_drawing",
            [p.drawing for p in found],
            [w.drawing for w in wanted],
            "drawing",
        ),
        _hidden_check(found, wanted),
    ]


def _count_check(found: int, wanted: int) -> CheckLine:
    if found == wanted:
        return ("page_count", True, f"{found} pages, as the record renders to")
    return ("page_count", False, f"{found} pages, but the record renders to {wanted}")


def _compare(name: str, found: Sequence[object], wanted: Sequence[object], what: str) -> CheckLine:
    differ = [str(i) for i, (a, b) in enumerate(zip(found, wanted, strict=False), 1) if a != b]
    if len(found) != len(wanted):
        differ.append("the missing or extra pages")
    if not differ:
        return (name, True, f"the {what} of every page is what the record renders to")
    shown = ", ".join(differ[:10]) + (" …" if len(differ) > 10 else "")
    return (name, False, f"the {what} differs from what the record renders to on page(s) {shown}")


def _hidden_check(found: Sequence[_Page], wanted: Sequence[_Page]) -> CheckLine:
    pages = []
    for number, page in enumerate(found, start=1):
        expected = wanted[number - 1].hidden if number <= len(wanted) else Counter()
        if page.hidden - expected:
            pages.append(str(number))
    if pages:
        return ("hidden_text", False, f"invisible text on page(s) {', '.join(pages)}")
    return ("hidden_text", True, "no text is hidden on the pages")


def _read_pages(pages: Any, deadline: Deadline) -> list[_Page]:
    out = []
    for page in pages:
        deadline.check()
        text = _norm(page.extract_text() or "")
        contents = page.get_contents()
        drawing = b"" if contents is None else contents.get_data()
        hidden: Counter[bytes] = Counter()
        box = page.mediabox
        bounds = (float(box.left), float(box.bottom), float(box.right), float(box.top))
        _hidden_shows(drawing, page.get("/Resources"), bounds, hidden, 0)
        out.append(_Page(text, drawing, hidden))
    return out


_SHOW = {b"Tj", b"TJ", b"'", b'"'}
_FILL = {b"g", b"rg", b"k", b"sc", b"scn"}


def _mul(a: Sequence[float], b: Sequence[float]) -> list[float]:
    return [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]


def _white(operator: bytes, values: list[float]) -> bool:
    if operator == b"k" or len(values) == 4:
        return all(v == 0 for v in values)
    return bool(values) and all(v == 1 for v in values)


def _hidden_shows(
    content: bytes,
    resources: Any,
    bounds: tuple[float, float, float, float],
    hidden: Counter[bytes],
    depth: int,
    ctm: Sequence[float] = (1, 0, 0, 1, 0, 0),
) -> None:
    """Count the text shown invisibly: mode 3 or 7, white, under a point high or off the page."""
    if depth > _MAX_FORM_DEPTH or not content:
        return
    state: dict[str, Any] = {"ctm": list(ctm), "mode": 0, "white": False, "size": 0.0}
    stack: list[dict[str, Any]] = []
    tm = [1.0, 0, 0, 1, 0, 0]
    line = list(tm)
    leading = 0.0
    for operands, operator in _operations(content):
        if operator == b"q":
            stack.append(dict(state, ctm=list(state["ctm"])))
        elif operator == b"Q" and stack:
            state = stack.pop()
        elif operator == b"cm" and len(operands) == 6:
            state["ctm"] = _mul([float(x) for x in operands], state["ctm"])
        elif operator == b"Tr" and operands:
            state["mode"] = int(operands[0])
        elif operator == b"Tf" and len(operands) == 2:
            state["size"] = float(operands[1])
        elif operator in _FILL:
            state["white"] = _white(operator, [float(x) for x in operands if _numeric(x)])
        elif operator == b"BT":
            tm, line = [1.0, 0, 0, 1, 0, 0], [1.0, 0, 0, 1, 0, 0]
        elif operator == b"Tm" and len(operands) == 6:
            tm = [float(x) for x in operands]
            line = list(tm)
        elif operator in (b"Td", b"TD") and len(operands) == 2:
            line = _mul([1, 0, 0, 1, float(operands[0]), float(operands[1])], line)
            tm = list(line)
            if operator == b"TD":
                leading = -float(operands[1])
        elif operator == b"TL" and operands:
            leading = float(operands[0])
        elif operator in (b"T*", b"'", b'"'):
            line = _mul([1, 0, 0, 1, 0, -leading], line)
            tm = list(line)
        if operator in _SHOW:
            _count_show(operands, state, tm, bounds, hidden)
        elif operator == b"Do" and operands:
            _form(operands[0], resources, bounds, hidden, depth, state["ctm"])


def _numeric(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _count_show(
    operands: list[Any],
    state: dict[str, Any],
    tm: list[float],
    bounds: tuple[float, float, float, float],
    hidden: Counter[bytes],
) -> None:
    m = _mul(tm, state["ctm"])
    x, y = m[4], m[5]
    height = abs(state["size"]) * max(abs(m[0]), abs(m[1]), abs(m[2]), abs(m[3]))
    left, bottom, right, top = bounds
    off = x < left - 1 or x > right + 1 or y < bottom - 1 or y > top + 1
    if state["mode"] in (3, 7) or state["white"] or height < 1 or off:
        hidden[_shown_bytes(operands)] += 1


def _shown_bytes(operands: list[Any]) -> bytes:
    parts: list[bytes] = []
    for op in operands:
        items = op if isinstance(op, list) else [op]
        for item in items:
            raw: object = getattr(item, "original_bytes", item)
            if isinstance(raw, bytes):
                parts.append(raw)
            elif isinstance(raw, str):
                parts.append(raw.encode("utf-8", "replace"))
    return b"".join(parts)


def _operations(content: bytes) -> list[tuple[list[Any], bytes]]:
    from pypdf.generic import ContentStream, StreamObject

    holder = StreamObject()
    holder.set_data(content)
    operations: list[tuple[list[Any], bytes]] = ContentStream(holder, None).operations
    return operations


def _form(
    name: Any,
    resources: Any,
    bounds: tuple[float, float, float, float],
    hidden: Counter[bytes],
    depth: int,
    ctm: Sequence[float],
) -> None:
    try:
        xobjects = resources.get_object().get("/XObject")
        xobject = xobjects.get_object().get(str(name)).get_object()
    except AttributeError:
        return
    if xobject.get("/Subtype") != "/Form":
        return
    matrix = xobject.get("/Matrix")
    local = [float(v) for v in matrix] if matrix is not None and len(matrix) == 6 else None
    form_ctm = _mul(local, ctm) if local is not None else ctm
    inner = xobject.get("/Resources", resources)
    _hidden_shows(xobject.get_data(), inner, bounds, hidden, depth + 1, form_ctm)
