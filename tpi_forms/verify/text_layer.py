"""The text a packet's pages copy out as for a string of the record: like is compared with like.

WeasyPrint gives each glyph of a font one text in the PDF's text layer (the text of the glyph's
cluster where the glyph is first drawn) and draws a syllable's glyphs in the order they are
seen. For most scripts the text copied out of a page is the text printed. Devanagari draws
some letters as several glyphs in another order (the "r" of "शर्मा" above the last letter), so
"अनीता शर्मा" prints right but copies out as "अनीता शार्मा" (Kozea/WeasyPrint#2841); a fact of the
record is then not found on the pages as it is written.

`text_layer` renders the strings of the record themselves, one to a page, with the stylesheets
(fonts, font features) and the language of the packet, and reads them back with the same text
extraction that reads the packet's pages. What it gives comes from the record's string and the
renderer alone, never from the pages: a packet that prints another name does not copy out as
this one. `verify_packet` looks for a fact as written first and, only when it is not found, as
`text_layer` gives it.

>>> text_layer(("Ana Ruiz",), locale="en")
('AnaRuiz',)
"""

from __future__ import annotations

import datetime as dt
import html
import io
import unicodedata
from collections.abc import Mapping, Sequence

DEFAULT_STYLESHEETS = ("pdf/page-letter.css", "pdf/packet.css")
"""The shipped packet's stylesheets (`PacketRenderer.stylesheets` of the default settings)."""
MAX_TEXTS = 16
"""Most strings rendered for one verification (a record's facts are far fewer)."""
_FIXED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # the render's date is not part of its text
_BOXES = [
    *(f"{edge}-{place}" for edge in ("top", "bottom") for place in ("left", "center", "right")),
    *(f"{edge}-{place}" for edge in ("left", "right") for place in ("top", "middle", "bottom")),
    *(f"{y}-{x}-corner" for y in ("top", "bottom") for x in ("left", "right")),
]
_NO_MARGIN_TEXT = "@page { " + " ".join(f"@{box} {{ content: none; }}" for box in _BOXES) + " }"
"""The page boxes print nothing: no running header or footer (page numbers) in the text."""


def norm(text: str) -> str:
    """Text as verification compares it: NFKC, without whitespace."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def text_layer(
    texts: Sequence[str], *, locale: str, stylesheets: Sequence[str] = DEFAULT_STYLESHEETS
) -> tuple[str, ...] | None:
    """How each of ``texts`` copies out of a page the packet's renderer prints it on (`norm`ed).

    None when they cannot be rendered (too many, or the renderer refuses one).
    """
    if not texts or len(texts) > MAX_TEXTS:
        return None
    import pypdf

    from ..pdf.render import PdfMetadata, render_pdf

    pages = "".join(f'<div style="break-before: page">{html.escape(text)}</div>' for text in texts)
    lang = html.escape(locale, quote=True)
    document = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<style>{_NO_MARGIN_TEXT}</style></head><body>{pages}</body></html>"
    )
    try:
        pdf = render_pdf(
            document,
            metadata=PdfMetadata(title="", lang=locale, author="", created=_FIXED),
            stylesheets=stylesheets,
            variant="pdf/a-3b",  # untagged: the text drawn is the same, the render faster
        )
        reader = pypdf.PdfReader(io.BytesIO(pdf))
        if len(reader.pages) != len(texts):
            return None
        return tuple(norm(page.extract_text() or "") for page in reader.pages)
    except Exception:  # a renderer or reader error: the fact is looked for as written only
        return None


def not_copied_out(
    missing: Sequence[str],
    texts: Mapping[str, str],
    read: str,
    *,
    locale: str,
    renderer: object = None,
) -> list[str]:
    """Of the facts ``missing`` (names of ``texts``) from the page text ``read`` as written,
    those the pages do not hold as `text_layer` gives them either.

    ``renderer`` is the packet's renderer: its ``stylesheets`` when it has them (a
    `tpi_forms.PacketRenderer`), else the shipped packet's.
    """
    if not missing:
        return []
    wanted = list(dict.fromkeys(texts[name] for name in missing))
    sheets = getattr(renderer, "stylesheets", None)
    if not isinstance(sheets, tuple | list) or not all(isinstance(s, str) for s in sheets):
        sheets = DEFAULT_STYLESHEETS
    forms = text_layer(wanted, locale=locale, stylesheets=sheets)
    if forms is None:
        return list(missing)
    copied = dict(zip(wanted, forms, strict=True))
    return [name for name in missing if not copied[texts[name]] or copied[texts[name]] not in read]
