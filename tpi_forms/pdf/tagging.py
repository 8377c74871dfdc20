"""Finish WeasyPrint's tagged PDF for PDF/A-3a and PDF/UA-1: header scopes, part languages, XMP.

WeasyPrint's ``pdf/a-3a`` variant writes the structure tree (headings, tables, lists, figures
with their ``alt`` text, in reading order), ``MarkInfo``, ``DisplayDocTitle`` and the
document's ``Lang``. It can declare only one standard in the XMP and leaves three things a
screen reader needs, which `finish_tagged` adds once the tree is built:

* **PDF/UA-1 identification**: ``pdfuaid:part="1"`` in the XMP, with the PDF/A extension
  schema that PDF/A-3 asks for any property outside its predefined schemas.
* **Header scope**: a ``TH`` in a row that also has data cells heads that row (``/Scope
  /Row``, and the row's cells name it in ``/Headers``: WeasyPrint took it for a column
  header); a ``TH`` in a row of headers heads its column (``/Scope /Column``).
* **Language of each part**: a ``<section lang="es">`` (or ``article``) becomes a structure
  element with ``/Lang (es)``, so a bilingual packet is read in each part's language.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pydyf  # type: ignore[import-untyped]
import weasyprint

from ..errors import PdfError

TAGGED_VARIANT = "pdf/a-3a"
"""The PDF/A level whose packets are tagged and identified as PDF/UA-1 too."""
PDFUA_NAMESPACE = "http://www.aiim.org/pdfua/ns/id/"
"""XMP namespace of the PDF/UA identification (ISO 14289-1, 5)."""
LANGUAGE_PARTS = {"section": "/Sect", "article": "/Art"}
"""HTML elements whose ``lang`` attribute becomes the ``/Lang`` of their structure element."""

_PDFUA_XMP = (
    b'<rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/"'
    b' pdfuaid:part="1"/>'
    b'<rdf:Description rdf:about=""'
    b' xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"'
    b' xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"'
    b' xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
    b'<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">'
    b"<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>"
    b"<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>"
    b"<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>"
    b'<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">'
    b"<pdfaProperty:name>part</pdfaProperty:name>"
    b"<pdfaProperty:valueType>Integer</pdfaProperty:valueType>"
    b"<pdfaProperty:category>internal</pdfaProperty:category>"
    b"<pdfaProperty:description>Part of ISO 14289 the document conforms to"
    b"</pdfaProperty:description>"
    b"</rdf:li></rdf:Seq></pdfaSchema:property>"
    b"</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>"
)


def finish_tagged(document: weasyprint.Document, pdf: pydyf.PDF) -> None:
    """Add header scopes, part languages and the PDF/UA-1 identification (WeasyPrint finisher).

    :raises PdfError: the document is not tagged, or its parts could not be matched to the
        structure tree (nothing would say which language they are in).
    """
    if "StructTreeRoot" not in pdf.catalog:
        raise PdfError("the document is not tagged (render it as pdf/a-3a)")
    elements = list(_walk(pdf, _get(pdf, pdf.catalog["StructTreeRoot"])))
    _scope_headers(pdf, elements)
    _tag_languages(pdf, document, elements)
    _declare_pdfua(pdf)


def _get(pdf: Any, value: Any) -> Any:
    """The object a reference (``"12 0 R"``) names, or the value itself."""
    if isinstance(value, bytes | str):
        text = value.decode("ascii") if isinstance(value, bytes) else value
        number, generation, r = (text.split() + ["", "", ""])[:3]
        if r == "R" and number.isdigit():
            return pdf.objects[int(number)]
    return value


def _kids(pdf: Any, element: Any) -> list[Any]:
    kids = element.get("K", ())
    if not isinstance(kids, list):
        kids = [kids]
    found = [_get(pdf, kid) for kid in kids]
    return [kid for kid in found if isinstance(kid, dict) and kid.get("Type") == "/StructElem"]


def _walk(pdf: Any, element: Any) -> Iterator[Any]:
    """Every structure element under ``element``, in reading order (pre-order)."""
    for kid in _kids(pdf, element):
        yield kid
        yield from _walk(pdf, kid)


def _scope_headers(pdf: Any, elements: list[Any]) -> None:
    for row in (e for e in elements if e.get("S") == "/TR"):
        cells = _kids(pdf, row)
        headers = [c for c in cells if c.get("S") == "/TH"]
        data = [c for c in cells if c.get("S") == "/TD"]
        for header in headers:
            attributes = header.setdefault("A", pydyf.Dictionary({"O": "/Table"}))
            attributes["Scope"] = "/Row" if data else "/Column"
        row_ids = [h["ID"] for h in headers if "ID" in h]
        for cell in data:
            attributes = cell.setdefault("A", pydyf.Dictionary({"O": "/Table"}))
            named = list(attributes.get("Headers", ()))
            attributes["Headers"] = pydyf.Array(row_ids + [h for h in named if h not in row_ids])


def _part_boxes(box: Any, inside_margin: bool = False) -> Iterator[Any]:
    """Boxes of `LANGUAGE_PARTS` elements on a page, in the order WeasyPrint tags them."""
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout.absolute import AbsolutePlaceholder

    if isinstance(box, AbsolutePlaceholder):
        box = box._box
    if isinstance(box, boxes.MarginBox):
        return
    if box.element is not None and box.element_tag in LANGUAGE_PARTS:
        yield box
    for child in getattr(box, "children", ()):
        yield from _part_boxes(child)


def _tag_languages(pdf: pydyf.PDF, document: weasyprint.Document, elements: list[Any]) -> None:
    parts = [
        (n, box) for n, page in enumerate(document.pages) for box in _part_boxes(page._page_box)
    ]
    if not any(box.element.get("lang") for _, box in parts):
        return
    tagged = [e for e in elements if e.get("S") in LANGUAGE_PARTS.values()]
    if len(tagged) != len(parts):
        raise PdfError("the document's parts could not be matched to its structure tree")
    for element, (page, box) in zip(tagged, parts, strict=True):
        if (
            element.get("S") != LANGUAGE_PARTS[box.element_tag]
            or element.get("Pg") != pdf.page_references[page]
        ):
            raise PdfError("the document's parts could not be matched to its structure tree")
        lang = box.element.get("lang")
        if lang:
            element["Lang"] = pydyf.String(lang)


def _declare_pdfua(pdf: Any) -> None:
    metadata = _get(pdf, pdf.catalog.get("Metadata"))
    chunks = getattr(metadata, "stream", None)
    content = b"".join(c if isinstance(c, bytes) else str(c).encode() for c in chunks or ())
    end = content.rfind(b"</rdf:RDF>")
    if end < 0:
        raise PdfError("the document has no XMP metadata to declare PDF/UA in")
    if PDFUA_NAMESPACE.encode() not in content:
        content = content[:end] + _PDFUA_XMP + content[end:]
    metadata.stream[:] = [content]
