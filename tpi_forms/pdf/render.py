"""Render HTML to archival PDF/A-3 with WeasyPrint, fetching nothing but our own assets.

The HTML is treated as hostile even though this package generates it: `AssetFetcher` serves
only files inside the package's static folder (after resolving symlinks and ``..``) and
``data:`` URIs, and refuses everything else (other ``file://`` paths, ``http(s)``, ``ftp`` …).
A refusal stops the render with `RefusedResourceError`, and the fetcher keeps a list of what it
refused so a test can prove the fetch never happened.

Why PDF/A-3a by default
-----------------------
Only part 3 of PDF/A keeps arbitrary embedded files (parts 1 and 2 drop a JSON attachment), so
the machine-readable record forces PDF/A-3. Of its levels:

* **3b** (basic) only promises the pages look the same in the future.
* **3u** adds that every glyph maps to Unicode, so the text can be searched and copied out
  exactly years later. WeasyPrint writes a ``ToUnicode`` map for every embedded font; the tests
  extract the text of a rendered packet (Latin, Greek, Cyrillic, Hebrew, Armenian, Georgian and
  more, all in DejaVu) and find it unchanged.
* **3a** also needs a tagged logical structure, so a patient's screen reader and an auditor's
  reads headings, tables, lists and figures in reading order. WeasyPrint's ``pdf_tags`` builds
  it from the HTML; `tpi_forms.pdf.tagging` finishes it (header scopes, the language of each
  part) and identifies the file as PDF/UA-1 as well. The tests walk the structure tree of
  signed, blank and bilingual packets.

Hence ``pdf/a-3a``; ``pdf/a-3u`` and ``pdf/a-3b`` stay available (untagged, smaller files).

>>> meta = PdfMetadata(title="Test", lang="en", author="Clinic")
>>> render_pdf("<p>Hello</p>", metadata=meta)[:5]
b'%PDF-'
"""

from __future__ import annotations

import functools
import mimetypes
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse, path2url

from .._resources import static_folder
from ..errors import PdfError, RefusedResourceError
from .streams import LEVEL, write_once
from .tagging import TAGGED_VARIANT, finish_tagged

PDF_VARIANTS = ("pdf/a-3b", "pdf/a-3u", "pdf/a-3a")
"""PDF/A levels that keep embedded files (part 3 only)."""
DEFAULT_VARIANT = "pdf/a-3a"


@dataclass(frozen=True)
class Attachment:
    """A file embedded in the PDF (PDF/A-3 associated file)."""

    name: str
    """File name shown by PDF readers; its extension gives the MIME type (``record.json``)."""
    data: bytes
    """The file's bytes."""
    description: str = ""
    """One line describing the file."""
    relationship: str = "Data"
    """PDF/A-3 ``AFRelationship``: ``Data``, ``Source``, ``Alternative``, ``Supplement``."""


@dataclass(frozen=True)
class PdfMetadata:
    """Document information written to the PDF info dictionary and XMP metadata."""

    title: str
    """Document title."""
    lang: str
    """BCP 47 language of the document (``en``, ``es``)."""
    author: str
    """Who issues the document: the facility."""
    subject: str = ""
    """One-line description."""
    keywords: tuple[str, ...] = ()
    """Keywords for archive search."""
    created: datetime | None = None
    """Creation time (timezone-aware); None: now."""
    modified: datetime | None = None
    """Modification time (timezone-aware); None: the creation time."""
    generator: str = "tpi_forms"
    """Software named as the PDF's creator."""


class AssetFetcher(URLFetcher):  # type: ignore[misc]
    """A WeasyPrint URL fetcher that serves only files under ``root`` and ``data:`` URIs.

    Everything else raises, which (with ``fail_on_errors``) stops the render. ``served`` and
    ``refused`` list the URLs asked for, so callers and tests can see what happened.

    :param root: folder whose files may be served (default: the package's static folder);
        symlinks that point out of it are refused.
    """

    def __init__(self, root: Path | None = None) -> None:
        super().__init__(timeout=1, allowed_protocols=("file", "data"), fail_on_errors=True)
        self.root = (root or static_folder()).resolve()
        self.served: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            self.served.append(url[:40])
            response: URLFetcherResponse = URLFetcher.fetch(self, url)
            return response
        if scheme == "file" and parts.netloc in ("", "localhost"):
            path = self._inside_root(parts.path)
            if path is not None:
                self.served.append(url)
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
        self.refused.append(url)
        raise PermissionError(f"refused to fetch a '{scheme or 'relative'}' resource")

    def _inside_root(self, url_path: str) -> Path | None:
        try:
            path = Path(url2pathname(url_path)).resolve(strict=True)
        except (OSError, RuntimeError, ValueError):
            return None
        if not path.is_file() or not path.is_relative_to(self.root):
            return None
        return path


def static_base_url() -> str:
    """The ``file://`` URL of the static folder, ending in ``/``: relative URLs resolve in it."""
    url: str = path2url(str(static_folder().resolve()) + os.sep)
    return url


def subsetting_path() -> str:
    """How WeasyPrint subsets fonts here: ``"harfbuzz"`` (fast) or ``"fonttools"`` (slow).

    Mirrors the test in ``weasyprint/pdf/fonts.py``: HarfBuzz-Subset loaded and HarfBuzz ≥ 4.1.
    The fontTools path makes WeasyPrint log a warning on every render.
    """
    from weasyprint.text import ffi

    if ffi.harfbuzz_subset and ffi.harfbuzz.hb_version_atleast(4, 1, 0):
        return "harfbuzz"
    return "fonttools"


class ParsedStyles:
    """Stylesheets parsed once, with the font configuration they were parsed with, for many renders.

    WeasyPrint parses every stylesheet for every document unless it is handed parsed ones; a
    `PacketRenderer` keeps one of these. A file changed on disk (its modification time) is
    parsed again, with a new font configuration, and `generation` counts up so that anything
    laid out with the old sheets (`tpi_forms.pdf.consent_cache`) is dropped. Safe across
    threads; a worker process has its own.

    :raises RefusedResourceError: a stylesheet names anything but our assets or ``data:``.
    """

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        self.generation = 0
        self._lock = threading.Lock()
        self._stamp: tuple[int, ...] | None = None
        self._sheets: tuple[weasyprint.CSS, ...] = ()
        self._font_config: FontConfiguration | None = None

    def _stamps(self) -> tuple[int, ...]:
        root = static_folder()
        stamps = []
        for name in self.names:
            try:
                stamps.append((root / name).stat().st_mtime_ns)
            except OSError:
                stamps.append(-1)  # parsing it names the problem
        return tuple(stamps)

    def parsed(self) -> tuple[tuple[weasyprint.CSS, ...], FontConfiguration]:
        """The parsed sheets and their font configuration (parsed again if a file changed)."""
        stamp = self._stamps()
        with self._lock:
            if stamp != self._stamp or self._font_config is None:
                fetcher = AssetFetcher()
                base_url = static_base_url()
                font_config = FontConfiguration()
                try:
                    sheets = tuple(
                        weasyprint.CSS(
                            url=base_url + name,
                            url_fetcher=fetcher,
                            base_url=base_url,
                            font_config=font_config,
                        )
                        for name in self.names
                    )
                except FatalURLFetchingError as exc:
                    raise RefusedResourceError(_refused_message(fetcher)) from exc
                if fetcher.refused:
                    raise RefusedResourceError(_refused_message(fetcher))
                self._sheets, self._font_config, self._stamp = sheets, font_config, stamp
                self.generation += 1
            return self._sheets, self._font_config

    def sheets(self) -> tuple[weasyprint.CSS, ...]:
        """The parsed stylesheets (parsed again first if a file changed)."""
        return self.parsed()[0]

    @property
    def font_config(self) -> FontConfiguration:
        """The font configuration the sheets were parsed with; a document uses the same."""
        return self.parsed()[1]


OUTPUT_INTENT = "tpi-forms-srgb"
"""Our key for the sRGB output intent (see `_color_profiles`)."""


@functools.cache
def _srgb_icc() -> bytes:
    with (files("weasyprint.pdf") / "sRGB2014.icc").open("rb") as icc:
        return icc.read()


def _color_profiles() -> dict[str, object]:
    """The sRGB output-intent profile, read from WeasyPrint's own ICC file.

    WeasyPrint 70 opens ``sRGB2014.icc`` for PDF/A and never closes it (a ResourceWarning on
    every render); handing it the profile under our own key avoids that path.
    """
    from weasyprint.css import ColorProfile

    profile = ColorProfile(
        BytesIO(_srgb_icc()), "sRGB2014.icc", "relative-colorimetric", (["r"], ["g"], ["b"])
    )
    return {OUTPUT_INTENT: profile}


def _unique_associated_files(document: object, pdf: object) -> None:
    """WeasyPrint 70 lists each attachment twice in the catalog's ``/AF``; keep each once."""
    catalog = getattr(pdf, "catalog", {})
    if "AF" in catalog:
        unique = list(dict.fromkeys(catalog["AF"]))
        catalog["AF"].clear()
        catalog["AF"].extend(unique)


def _finisher(tagged: bool, level: int) -> Callable[[object, object], None]:
    """What is done to the PDF before pydyf writes it: attachments listed once, the tags of
    ``tagged`` PDFs finished, every stream compressed at zlib ``level`` (`write_once`)."""

    def finish(document: object, pdf: object) -> None:
        _unique_associated_files(document, pdf)
        if tagged:
            finish_tagged(document, pdf)
        write_once(pdf, level)

    return finish


def _refused_message(fetcher: AssetFetcher) -> str:
    count = len(fetcher.refused)
    return f"the document names a resource outside the package's assets ({count} refused)"


def _pdf_date(value: datetime) -> str:
    if value.tzinfo is None:
        raise PdfError("PDF dates must be timezone-aware")
    return value.isoformat(timespec="seconds")


def render_pdf(
    html: str,
    *,
    metadata: PdfMetadata,
    stylesheets: Sequence[str] = (),
    attachments: Sequence[Attachment] = (),
    variant: str = DEFAULT_VARIANT,
    fetcher: AssetFetcher | None = None,
    styles: ParsedStyles | None = None,
    compress_level: int = LEVEL,
) -> bytes:
    """Render ``html`` to PDF/A-3 bytes with ``attachments`` embedded.

    :param stylesheets: paths relative to the static folder (``pdf/packet.css``), fetched
        through the same guarded fetcher as everything the HTML names.
    :param fetcher: the guarded fetcher to use (a fresh `AssetFetcher` when None); pass one to
        inspect ``served``/``refused`` afterwards.
    :param styles: stylesheets already parsed (`ParsedStyles`), with the font configuration
        they were parsed with; None parses ``stylesheets`` for this render alone.
    :param compress_level: zlib level of the file's streams (`tpi_forms.pdf.streams`).
    :raises RefusedResourceError: the HTML or CSS named anything but our assets or ``data:``.
    """
    check_variant(variant)
    fetcher = fetcher or AssetFetcher()
    document = layout_html(html, stylesheets, variant=variant, fetcher=fetcher, styles=styles)
    return write_document(
        document,
        metadata=metadata,
        attachments=attachments,
        variant=variant,
        fetcher=fetcher,
        compress_level=compress_level,
    )


def check_variant(variant: str) -> None:
    """Raise `PdfError` unless ``variant`` is one of `PDF_VARIANTS`."""
    if variant not in PDF_VARIANTS:
        raise PdfError(
            f"unknown PDF variant '{variant}' (expected one of: {', '.join(PDF_VARIANTS)})"
        )


def _options(variant: str) -> dict[str, object]:
    return {"pdf_variant": variant, "output_intent": OUTPUT_INTENT}


def layout_html(
    html: str,
    stylesheets: Sequence[str],
    *,
    variant: str,
    fetcher: AssetFetcher,
    styles: ParsedStyles | None = None,
    extra: weasyprint.CSS | None = None,
) -> weasyprint.Document:
    """Lay ``html`` out in pages (WeasyPrint's ``render``) with our guarded fetcher.

    :param extra: one more parsed stylesheet, after the others (with ``styles`` only).

    :raises RefusedResourceError: the HTML or CSS named anything but our assets or ``data:``.
    """
    base_url = static_base_url()
    try:
        if styles is None:
            css = [
                weasyprint.CSS(url=base_url + name, url_fetcher=fetcher, base_url=base_url)
                for name in stylesheets
            ]
            font_config = None
        else:
            sheets, font_config = styles.parsed()
            css = [*sheets, *([extra] if extra is not None else [])]
        document: weasyprint.Document = weasyprint.HTML(
            string=html, base_url=base_url, url_fetcher=fetcher
        ).render(
            stylesheets=css,
            color_profiles=_color_profiles(),
            font_config=font_config,
            **_options(variant),
        )
    except FatalURLFetchingError as exc:
        raise RefusedResourceError(_refused_message(fetcher)) from exc
    if fetcher.refused:
        raise RefusedResourceError(_refused_message(fetcher))
    return document


def write_document(
    document: weasyprint.Document,
    *,
    metadata: PdfMetadata,
    attachments: Sequence[Attachment] = (),
    variant: str = DEFAULT_VARIANT,
    fetcher: AssetFetcher,
    compress_level: int = LEVEL,
) -> bytes:
    """Write laid-out pages as PDF/A-3 bytes with ``metadata`` and ``attachments``.

    :param compress_level: zlib level of the file's streams (`tpi_forms.pdf.streams`).
    :raises RefusedResourceError: the document names an attachment of its own.
    """
    created = metadata.created or datetime.now(UTC)
    modified = metadata.modified or created
    info = document.metadata
    info.title = metadata.title
    info.lang = metadata.lang
    info.authors = [metadata.author]
    info.description = metadata.subject or None
    info.keywords = list(metadata.keywords)
    info.generator = metadata.generator
    info.created = _pdf_date(created)
    info.modified = _pdf_date(modified)
    if info.attachments:  # <link rel=attachment> in the HTML: never embed what it names
        fetcher.refused.extend("<link rel=attachment>" for _ in info.attachments)
        raise RefusedResourceError("the HTML names an attachment; only the caller may attach files")
    embedded = [
        weasyprint.Attachment(
            file_obj=BytesIO(a.data),
            name=a.name,
            description=a.description or None,
            relationship=a.relationship,
            created=created,
            modified=modified,
            url_fetcher=fetcher,
        )
        for a in attachments
    ]
    try:
        pdf: bytes = document.write_pdf(
            attachments=embedded,
            finisher=_finisher(variant == TAGGED_VARIANT, compress_level),
            **_options(variant),
        )
    except FatalURLFetchingError as exc:
        raise RefusedResourceError(_refused_message(fetcher)) from exc
    if fetcher.refused:  # a refusal WeasyPrint swallowed must still fail the render
        raise RefusedResourceError(_refused_message(fetcher))
    return pdf
