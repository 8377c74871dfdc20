"""The text of a packet's pages, extracted once per page for all of `verify_packet`'s checks.

Text extraction is the slowest step of verification (pypdf reads every text operator of a
page). The page checks, the record's facts and the process checks each look for text on the
pages; one `PageText` per verification extracts each page at most once, and only the pages a
check needs: a search that has found everything stops reading.

Text is compared as `norm` gives it: NFKC, without whitespace.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .text_layer import norm, not_copied_out

__all__ = ["PageText", "norm"]


class PageText:
    """The `norm`ed text of each of ``pages`` (pypdf pages), extracted on first use."""

    def __init__(self, pages: Sequence[Any]) -> None:
        self.pages = pages
        self._texts: dict[int, str | Exception] = {}

    def _extract(self, index: int) -> str | Exception:
        if index not in self._texts:
            try:
                self._texts[index] = norm(self.pages[index].extract_text() or "")
            except Exception as exc:  # pypdf raises many types on damaged content
                self._texts[index] = exc
        return self._texts[index]

    def read(self, index: int) -> str:
        """The page's text; raises what extraction raised on a damaged page."""
        found = self._extract(index)
        if isinstance(found, Exception):
            raise found
        return found

    def text(self, index: int) -> str:
        """The page's text, or '' when it cannot be read."""
        found = self._extract(index)
        return "" if isinstance(found, Exception) else found

    def joined(self, separator: str = "") -> str:
        """Every page's text, in page order (the readable pages)."""
        return separator.join(self.text(i) for i in range(len(self.pages)))

    def _order(self, from_end: bool) -> Iterator[int]:
        return reversed(range(len(self.pages))) if from_end else iter(range(len(self.pages)))

    def missing(self, facts: Mapping[str, str], *, from_end: bool = False) -> list[str]:
        """Names of ``facts`` (`norm`ed texts) found on no page; reading stops once every one
        is found. Empty facts are not looked for."""
        left = {k: v for k, v in facts.items() if v}
        for index in self._order(from_end):
            if not left:
                break
            text = self.text(index)
            left = {k: v for k, v in left.items() if v not in text}
        return list(left)

    def not_printed(
        self,
        texts: Mapping[str, str],
        *,
        locale: str,
        renderer: object,
        from_end: bool = False,
        separator: str = "\n",
    ) -> list[str]:
        """Names of ``texts`` (as the record writes them) found on no page, neither as written
        nor as the packet's text layer copies them out (`tpi_forms.verify.text_layer`).

        ``separator`` joins the pages' texts for the second search: ``"\\n"`` when each fact
        is printed within one page, ``""`` when it may run on from one page to the next.
        """
        missing = self.missing({k: norm(v) for k, v in texts.items()}, from_end=from_end)
        if not missing:
            return []
        read = self.joined(separator)
        return not_copied_out(missing, texts, read, locale=locale, renderer=renderer)

    def contains(self, phrase: str, *, from_end: bool = False) -> bool:
        """Whether a page holds ``phrase`` (compared case-folded)."""
        return any(phrase in self.text(i).casefold() for i in self._order(from_end))
