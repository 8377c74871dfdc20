"""The text layer verification compares the record's strings by: rendered, then copied out."""

from __future__ import annotations

import pytest

from tpi_forms.verify import text_layer as layer
from tpi_forms.verify.text_layer import MAX_TEXTS, not_copied_out, text_layer


def test_strings_copy_out_as_written_one_to_a_page_without_header_or_footer() -> None:
    texts = ("Ana Ruiz", "<b>x</b> & y", "王秀英", "Zoë Lefèvre-Ñúñez")
    assert text_layer(texts, locale="en") == ("AnaRuiz", "<b>x</b>&y", "王秀英", "ZoëLefèvre-Ñúñez")


def test_a_hostile_locale_is_only_an_attribute() -> None:
    assert text_layer(["Ana"], locale='en"><p>injected</p><x y="') == ("Ana",)


@pytest.mark.parametrize("count", [0, MAX_TEXTS + 1])
def test_none_or_too_many_strings_are_not_rendered(count: int) -> None:
    assert text_layer(["Ana"] * count, locale="en") is None


def test_a_fact_is_found_as_the_text_layer_gives_it(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[list[str], str, tuple[str, ...]]] = []

    def fake(texts: list[str], *, locale: str, stylesheets: tuple[str, ...]) -> tuple[str, ...]:
        asked.append((texts, locale, stylesheets))
        return tuple(t.upper() for t in texts)

    monkeypatch.setattr(layer, "text_layer", fake)
    texts = {"patient name": "ana", "signer 1 name": "ana", "clinic": "sol"}
    missing = ["signer 1 name", "patient name", "clinic"]
    assert not_copied_out(missing, texts, "xxANAxx", locale="es") == ["clinic"]
    assert asked == [(["ana", "sol"], "es", layer.DEFAULT_STYLESHEETS)]  # each string once


def test_the_renderers_stylesheets_are_used(monkeypatch: pytest.MonkeyPatch) -> None:
    class Renderer:
        stylesheets = ("pdf/page-a4.css", "pdf/packet.css", "clinic.css")

    seen: list[tuple[str, ...]] = []

    def fake(texts: list[str], *, locale: str, stylesheets: tuple[str, ...]) -> None:
        seen.append(stylesheets)

    monkeypatch.setattr(layer, "text_layer", fake)
    assert not_copied_out(["clinic"], {"clinic": "sol"}, "", locale="en", renderer=Renderer())
    assert seen == [Renderer.stylesheets]


@pytest.mark.parametrize("forms", [None, ("",)])
def test_nothing_to_look_for_leaves_the_fact_missing(
    monkeypatch: pytest.MonkeyPatch, forms: tuple[str, ...] | None
) -> None:
    monkeypatch.setattr(layer, "text_layer", lambda texts, **_: forms)
    assert not_copied_out(["clinic"], {"clinic": "sol"}, "any text", locale="en") == ["clinic"]
