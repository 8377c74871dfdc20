"""Read a rendered consent page's form as a browser would post it, and record what a parser reads."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator, Mapping
from html.parser import HTMLParser
from typing import Any

from PIL import Image, ImageDraw

from tpi_forms.consent.document import ConsentDocument
from tpi_forms.consent.fields import NAMES
from tpi_forms.consent.signature import DATA_URL_PREFIX


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "id" in values:
            self.ids.add(values["id"])
        if tag in ("input", "textarea", "select", "button") and values.get("name"):
            self.inputs.append({"tag": tag, **values})


def page_inputs(html: str) -> list[dict[str, str]]:
    """Every named form control of the page, with its attributes."""
    parser = _Inputs()
    parser.feed(html)
    return parser.inputs


def page_ids(html: str) -> set[str]:
    """Every element id of the page."""
    parser = _Inputs()
    parser.feed(html)
    return parser.ids


def posted(html: str, filled: Mapping[str, str]) -> dict[str, str]:
    """What the page posts: its controls as rendered (checked boxes and radios, text values),
    then ``filled``; every key must be a control of the page, every radio or checkbox value one
    the page offers."""
    inputs = page_inputs(html)
    data: dict[str, str] = {}
    for i in inputs:
        if i["tag"] != "input" or "disabled" in i:
            continue
        if i.get("type") not in ("radio", "checkbox") or "checked" in i:
            data[i["name"]] = i.get("value", "")
    offered: dict[str, set[str]] = {}
    for i in inputs:
        if i.get("type") in ("radio", "checkbox"):
            offered.setdefault(i["name"], set()).add(i.get("value", ""))
        else:
            offered.setdefault(i["name"], set())
    for name, value in filled.items():
        assert name in offered, f"'{name}' is not a field of the page"
        if offered[name]:
            assert value in offered[name], f"'{value}' is not a choice of '{name}'"
        data[name] = value
    return data


def ticked_risks(document: ConsentDocument) -> dict[str, str]:
    """Every risk acknowledgement box of the document's page, ticked."""
    return {NAMES.risk(r.id): "yes" for r in document.risks}


def drawn_png() -> str:
    """A drawn signature as the page script posts it (a PNG ``data:`` URL)."""
    image = Image.new("RGBA", (900, 360), (0, 0, 0, 0))
    ImageDraw.Draw(image).line(
        [(90, 200), (300, 100), (500, 260), (800, 120)], fill="black", width=6
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return DATA_URL_PREFIX + base64.b64encode(buffer.getvalue()).decode()


class Recording(Mapping[str, Any]):
    """A posted form that remembers every key a parser asked for."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = dict(data)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return self.data.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)
