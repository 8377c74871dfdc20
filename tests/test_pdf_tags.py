"""Tagged packets: PDF/A-3a and PDF/UA-1, a structure tree a screen reader can follow."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from packet_fixtures import no_weasyprint_logs

from tpi_forms.cli import main
from tpi_forms.errors import PacketError
from tpi_forms.pdf.bilingual import render_multilingual_blank
from tpi_forms.pdf.packet import render_blank_packet
from tpi_forms.record.model import ConsentRecord


@pytest.fixture(scope="module")
def blank() -> bytes:
    with no_weasyprint_logs():
        return render_blank_packet()


@pytest.fixture(scope="module")
def bilingual() -> bytes:
    with no_weasyprint_logs():
        return render_multilingual_blank(("en", "es"))


def elements(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    """Every structure element, in reading order."""

    def walk(node: pikepdf.Object) -> Iterator[pikepdf.Dictionary]:
        kids = node.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/StructElem":
                yield kid
                yield from walk(kid)

    yield from walk(pdf.Root.StructTreeRoot)


def kinds(pdf: pikepdf.Pdf) -> list[str]:
    return [str(e.S) for e in elements(pdf)]


def check_tagged(data: bytes, lang: str) -> pikepdf.Pdf:
    """The checks every tagged packet passes; returns the open file for more."""
    pdf = pikepdf.open(io.BytesIO(data))
    root = pdf.Root
    assert "/StructTreeRoot" in root
    assert str(root.MarkInfo.Marked) == "True"
    assert str(root.ViewerPreferences.DisplayDocTitle) == "True"
    assert str(root.Lang) == lang
    meta = pdf.open_metadata()
    assert meta.pdfa_status == "3A"
    assert meta["{http://www.aiim.org/pdfua/ns/id/}part"] == "1"
    assert meta["dc:title"]
    found = kinds(pdf)
    assert found[0] == "/Document"
    assert "/H1" in found and "/H2" in found
    for element in elements(pdf):
        if element.S == "/Table":
            assert "/TH" in [str(e.S) for e in _below(element)]
        if element.S == "/TH":
            assert str(element.A.Scope) in ("/Row", "/Column")
        if element.S == "/Figure":
            assert len(str(element.get("/Alt", ""))) > 10  # alternate text in words
    return pdf


def _below(element: pikepdf.Dictionary) -> Iterator[pikepdf.Dictionary]:
    kids = element.get("/K")
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/StructElem":
            yield kid
            yield from _below(kid)


def test_signed_packet_is_tagged(signed_en: tuple[ConsentRecord, bytes]) -> None:
    with check_tagged(signed_en[1], "en") as pdf:
        found = kinds(pdf)
        assert found.count("/Table") >= 10 and "/Sect" in found
        figures = [str(e.Alt) for e in elements(pdf) if e.S == "/Figure"]
        assert [f.split(",")[0] for f in figures] == [
            "Signature of Alex Example",
            "Signature of Rosa Intérprete",
        ]
        assert len(figures) == 2  # the practitioner typed their name: no image, no figure


def test_signature_alternate_text_names_signer_way_and_time(
    signed_en: tuple[ConsentRecord, bytes], signed_es: tuple[ConsentRecord, bytes]
) -> None:
    with pikepdf.open(io.BytesIO(signed_en[1])) as pdf:
        alt = [str(e.Alt) for e in elements(pdf) if e.S == "/Figure"][0]
    assert alt.startswith("Signature of Alex Example, drawn on screen, ")
    assert "2026" in alt and "9:30" in alt  # 15:30 UTC in the clinic's zone
    with check_tagged(signed_es[1], "es") as pdf:
        alt = [str(e.Alt) for e in elements(pdf) if e.S == "/Figure"][0]
    assert alt.startswith("Firma de Alex Example, dibujada en la pantalla, ")
    assert "marzo" in alt and "9:30" in alt


def test_row_headers_head_their_row(signed_en: tuple[ConsentRecord, bytes]) -> None:
    with pikepdf.open(io.BytesIO(signed_en[1])) as pdf:
        rows = [e for e in elements(pdf) if e.S == "/TR"]
        kv = [r for r in rows if [str(c.S) for c in r.K] == ["/TH", "/TD"]]
        assert len(kv) > 20
        for row in kv:
            header, cell = row.K[0], row.K[1]
            assert header.A.Scope == "/Row"
            assert list(cell.A.Headers) == [header.ID]
        heads = [r for r in rows if {str(c.S) for c in r.K} == {"/TH"}]
        assert heads and all(c.A.Scope == "/Column" for r in heads for c in r.K)


def test_blank_packet_is_tagged_with_lists(blank: bytes) -> None:
    with check_tagged(blank, "en") as pdf:
        found = kinds(pdf)
        assert "/L" in found and "/LI" in found and "/LBody" in found
        assert "/Figure" not in found  # nothing drawn yet


def test_bilingual_packet_tags_each_part_language(bilingual: bytes) -> None:
    with check_tagged(bilingual, "en") as pdf:
        parts = [e for e in elements(pdf) if e.S == "/Art"]
        langs = [str(e.Lang) for e in parts]
        assert "en" in langs and "es" in langs
        assert langs == sorted(langs)  # the English part, then the Spanish one
        assert all("/Lang" not in e for e in elements(pdf) if e.S == "/Sect")  # inherit
        assert kinds(pdf).count("/H1") == 2
        title = pdf.open_metadata()["dc:title"]
        assert "paper form" in title and "formulario en papel" in title


def test_a_multilingual_packet_names_two_languages_once() -> None:
    with pytest.raises(PacketError, match="at least two"):
        render_multilingual_blank(("en",))
    with pytest.raises(PacketError, match="each once"):
        render_multilingual_blank(("es", "es"))


def test_reading_order_follows_the_pages(signed_en: tuple[ConsentRecord, bytes]) -> None:
    """The structure tree reads the pages in order; the section headings come as printed."""
    with pikepdf.open(io.BytesIO(signed_en[1])) as pdf:
        pages = {page.obj.objgen: number for number, page in enumerate(pdf.pages)}
        order = [pages[e.Pg.objgen] for e in elements(pdf) if "/Pg" in e]
        assert order == sorted(order) and order[-1] == len(pdf.pages) - 1
        sections = [e for e in elements(pdf) if e.S == "/Sect"]
        first_heading = [
            next(str(k.S) for k in s.K if isinstance(k, pikepdf.Dictionary)) for s in sections
        ]
        assert first_heading[0] == "/H1"  # the title opens the first section
        assert first_heading.count("/H2") >= 4  # answers, consent, signatures, audit trail


def test_cli_prints_a_blank_packet_in_two_languages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "blank.pdf"
    assert main(["blank", "--locale", "es", "--also-locale", "en", "-o", str(out)]) == 0
    with check_tagged(out.read_bytes(), "es") as pdf:
        assert [str(e.Lang) for e in elements(pdf) if e.S == "/Art"][0] == "es"
        assert {str(e.Lang) for e in elements(pdf) if e.S == "/Art"} == {"es", "en"}
    assert main(["blank", "--also-locale", "en", "-o", str(out)]) == 2  # en twice
    assert "each once" in capsys.readouterr().err


def test_poppler_reads_the_same_structure(
    signed_en: tuple[ConsentRecord, bytes], tmp_path: Path
) -> None:
    """pdfinfo (poppler, not ours) walks the tree: the title heading, row headers, figures."""
    import subprocess

    path = tmp_path / "signed.pdf"
    path.write_bytes(signed_en[1])
    tree = subprocess.run(
        ["pdfinfo", "-struct-text", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r'H1 \(block\)\n\s+Span \(inline\)\n\s+"Consent for trigger point', tree)
    assert tree.count("Figure") == 2
    attributes = subprocess.run(
        ["pdfinfo", "-struct", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert attributes.count("/Scope /Row") > 20 and "/Scope /Column" in attributes
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert re.search(r"^Tagged:\s+yes$", info.stdout, re.M)
    assert re.search(r"^PDF version:\s+1\.7$", info.stdout, re.M)
