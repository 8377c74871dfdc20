"""The consent pages of signed packets, laid out once and reused for every patient they fit.

Laying out a packet is most of its cost, and its consent pages (the consent as assembled: the
definition version, the plan, the language, the clinic, the risks highlighted for the answers)
are the same for every patient given the same consent. `layout_packet` therefore lays out:

* the consent alone (``pdf/consent_part.html``), once per distinct consent HTML, kept in a
  `ConsentPageCache`;
* the packet itself, with one empty page in place of each consent page
  (``consent_placeholder`` in ``pdf/_consent_page.html``), so that every page of it has its own
  running header (the patient's name, date of birth, consent version) and "page X of Y".

Each consent page of the packet is then the cached page's content with the packet page's
margin boxes: the pages draw exactly as a render of the whole packet would (the tests compare
the text and the pixels of every page with one). If anything does not line up (another number
of empty pages than the consent has, another page size), the whole packet is laid out the
ordinary way instead; the result is the same, only slower.

The cache is keyed by the consent part's HTML (so a changed definition, plan, clinic, logo or
set of words is another entry) and by the stylesheets' generation (`ParsedStyles`: a
stylesheet changed on disk drops every entry). It is bounded by entries and by pages held,
least recently used first out, and belongs to one `PacketRenderer`: each worker process has
its own, and a renderer lays out one packet at a time (WeasyPrint's font configuration is
shared by its documents and is not made for threads).

>>> cache = ConsentPageCache(max_entries=4, max_pages=32)
>>> cache.entries, cache.pages
(0, 0)
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
import weasyprint
from weasyprint.document import Page
from weasyprint.formatting_structure import boxes

from ..errors import PacketError
from .render import AssetFetcher, ParsedStyles, layout_html

PLACEHOLDER_CLASS = "consent-placeholder"
"""Class of the empty block that stands for one consent page in the packet's own layout."""
SAME_ON_EVERY_PAGE = ("@top-left", "@top-right", "@bottom-left")
"""Margin boxes of the shipped stylesheet that print the same on every page of a packet (the
clinic and title, the patient, the notice: strings set once at the top); only "page X of Y"
(``@bottom-right``) differs from page to page."""
_ONCE_CSS = (
    "@page :nth(n+2) {" + "".join(f"{k} {{ content: none }}" for k in SAME_ON_EVERY_PAGE) + "}"
)


@dataclass
class _Entry:
    document: weasyprint.Document
    pages: int


class ConsentPageCache:
    """Laid-out consent pages, least recently used first out (see the module's text).

    :param max_entries: distinct consents kept (0 keeps none: every packet is laid out whole).
    :param max_pages: pages kept over all entries; an entry larger than this is not kept.
    """

    def __init__(self, max_entries: int = 8, max_pages: int = 64) -> None:
        if max_entries < 0 or max_pages < 0:
            raise PacketError("the consent page cache's limits must be 0 or more")
        self.max_entries = max_entries
        self.max_pages = max_pages
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[tuple[int, str], _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._once: tuple[int, weasyprint.CSS] | None = None

    @property
    def entries(self) -> int:
        """How many consents are held."""
        return len(self._entries)

    @property
    def pages(self) -> int:
        """How many laid-out pages are held, over all entries."""
        return sum(e.pages for e in self._entries.values())

    @property
    def enabled(self) -> bool:
        """Whether anything can be kept (both limits above 0)."""
        return self.max_entries > 0 and self.max_pages > 0

    def clear(self) -> None:
        """Drop every entry (a clinic's definitions or files changed)."""
        with self._lock:
            self._entries.clear()

    def once_sheet(self, styles: ParsedStyles, generation: int) -> weasyprint.CSS:
        """The stylesheet that leaves `SAME_ON_EVERY_PAGE` out after the first page."""
        with self._lock:
            if self._once is None or self._once[0] != generation:
                sheet = weasyprint.CSS(string=_ONCE_CSS, font_config=styles.font_config)
                self._once = (generation, sheet)
            return self._once[1]

    def get(self, key: tuple[int, str], make: Callable[[], weasyprint.Document]) -> _Entry:
        """The entry for ``key``, laid out by ``make`` when it is not held."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry
        document = make()
        entry = _Entry(document, len(document.pages))
        with self._lock:
            self.misses += 1
            if entry.pages <= self.max_pages:
                self._entries[key] = entry
                while len(self._entries) > self.max_entries or self.pages > self.max_pages:
                    self._entries.popitem(last=False)
        return entry


def layout_packet(
    env: jinja2.Environment,
    context: Mapping[str, Any],
    *,
    stylesheets: tuple[str, ...],
    styles: ParsedStyles,
    cache: ConsentPageCache,
    variant: str,
    fetcher: AssetFetcher,
    margins_once: bool = False,
) -> weasyprint.Document:
    """The signed packet's pages for ``context``, its consent pages from ``cache``.

    :param margins_once: lay out the `SAME_ON_EVERY_PAGE` margin boxes on the first page only
        and draw them on every page; only for the shipped templates and stylesheet, whose
        running strings are set once (a clinic's own may print other margins on other pages).
    """

    def whole() -> weasyprint.Document:
        html = env.get_template("pdf/packet.html").render(context)
        return layout_html(html, stylesheets, variant=variant, fetcher=fetcher, styles=styles)

    if not cache.enabled:
        return whole()
    part = env.get_template("pdf/consent_part.html").render(context)
    styles.parsed()  # parse (again) first if a stylesheet changed, so the generation is current
    key = (styles.generation, hashlib.sha256(part.encode("utf-8")).hexdigest())

    def consent() -> weasyprint.Document:
        return layout_html(part, stylesheets, variant=variant, fetcher=fetcher, styles=styles)

    entry = cache.get(key, consent)
    if styles.generation != key[0]:  # a stylesheet changed while this entry was made
        cache.clear()
        return whole()
    html = env.get_template("pdf/packet.html").render({**context, "consent_pages": entry.pages})
    once = cache.once_sheet(styles, key[0]) if margins_once else None
    packet = layout_html(
        html, stylesheets, variant=variant, fetcher=fetcher, styles=styles, extra=once
    )
    composed = compose(packet, entry.document, entry.pages, margins_once=once is not None)
    return composed if composed is not None else whole()


def compose(
    packet: weasyprint.Document,
    consent: weasyprint.Document,
    count: int,
    *,
    margins_once: bool = False,
) -> weasyprint.Document | None:
    """``packet`` with its placeholder pages drawn from ``consent``'s; None if they do not fit.

    With ``margins_once``, the first page's `SAME_ON_EVERY_PAGE` margin boxes are drawn on
    every other page too, in the first page's order.
    """
    at = [n for n, page in enumerate(packet.pages) if _holds_placeholder(page)]
    if not at or at != list(range(at[0], at[0] + count)):
        return None
    pages = list(packet.pages)
    first = pages[0]
    if any((p.width, p.height) != (first.width, first.height) for p in [*pages, *consent.pages]):
        return None
    first_margins = _margins(first)
    if margins_once and not all(k in first_margins for k in SAME_ON_EVERY_PAGE):
        return None
    sources = dict(zip(at, consent.pages, strict=True))
    for n, page in enumerate(pages):
        if n not in sources and (n == 0 or not margins_once):
            continue
        box = (sources[n] if n in sources else page)._page_box
        content = [c for c in box.children if not isinstance(c, boxes.MarginBox)]
        own = _margins(page)
        if margins_once and n > 0:
            if any(k in own for k in SAME_ON_EVERY_PAGE):
                return None
            margins = [
                own.get(k, b) if k not in SAME_ON_EVERY_PAGE else b
                for k, b in first_margins.items()
            ]
            margins += [b for k, b in own.items() if k not in first_margins]
        else:
            margins = list(own.values())
        pages[n] = Page(page._page_box.copy_with_children(content + margins))
    composed: weasyprint.Document = packet.copy(pages)
    return composed


def _margins(page: Page) -> dict[str, boxes.MarginBox]:
    return {c.at_keyword: c for c in page._page_box.children if isinstance(c, boxes.MarginBox)}


def _holds_placeholder(page: Page) -> bool:
    for box in page._page_box.descendants():
        element = box.element
        if (
            element is not None
            and box.element_tag == "div"
            and PLACEHOLDER_CLASS in element.get("class", "").split()
        ):
            return True
    return False
