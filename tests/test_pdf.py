"""Low-level PDF rendering: PDF/A-3 markers, attachments, metadata, and the guarded URL fetcher."""

from __future__ import annotations

import datetime as dt
import io
import os
import unicodedata
from pathlib import Path

import pikepdf
import pypdf
import pytest
from packet_fixtures import no_weasyprint_logs, squash

from tpi_forms._resources import static_folder
from tpi_forms.errors import PdfError, RefusedResourceError
from tpi_forms.pdf.render import (
    PDF_VARIANTS,
    AssetFetcher,
    Attachment,
    PdfMetadata,
    render_pdf,
    static_base_url,
    subsetting_path,
)

WHEN = dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC)
META = PdfMetadata(title="Título de prueba", lang="es", author="Clínica Ejemplo", created=WHEN)
# Scripts DejaVu Sans covers, written left to right (text extraction reorders right-to-left text).
SCRIPTS = (
    "Latin Ünïcödé Ångström office fi",
    "Ελληνικά κείμενο",
    "Русский текст",
    "Հայերեն տեքստ",
    "ქართული ტექსტი",
    "Tiếng Việt có dấu",
    "Čeština Polski Łódź",
)


@pytest.fixture(scope="module")
def rendered() -> dict[str, bytes]:
    html = (
        "<html><body style=\"font-family: 'DejaVu Sans'; font-variant-ligatures: none\">"
        + "".join(f"<p>{s}</p>" for s in SCRIPTS)
        + "</body></html>"
    )
    with no_weasyprint_logs():
        return {
            variant: render_pdf(
                html,
                metadata=META,
                variant=variant,
                attachments=[Attachment("record.json", b'{"a":1}', "the record")],
            )
            for variant in PDF_VARIANTS
        }


@pytest.mark.parametrize(
    ("variant", "part", "level"), [("pdf/a-3b", 3, "B"), ("pdf/a-3u", 3, "U"), ("pdf/a-3a", 3, "A")]
)
def test_pdfa_identification_and_output_intent(
    rendered: dict[str, bytes], variant: str, part: int, level: str
) -> None:
    with pikepdf.open(io.BytesIO(rendered[variant])) as pdf:
        meta = pdf.open_metadata()
        assert meta.pdfa_status == f"{part}{level}"
        intents = pdf.Root.OutputIntents
        assert len(intents) == 1
        assert intents[0].S == "/GTS_PDFA1"
        assert "/DestOutputProfile" in intents[0]
        assert "sRGB" in str(intents[0].OutputConditionIdentifier)


def test_attachment_is_embedded_with_relationship_data(rendered: dict[str, bytes]) -> None:
    with pikepdf.open(io.BytesIO(rendered["pdf/a-3u"])) as pdf:
        files = pdf.attachments
        assert list(files) == ["record.json"]
        spec = files["record.json"]
        assert spec.obj.AFRelationship == "/Data"
        assert spec.get_file().read_bytes() == b'{"a":1}'
        assert str(spec.get_file().mime_type) == "application/json"
        af = [f.F for f in pdf.Root.AF]
        assert af == ["record.json"]


def test_metadata(rendered: dict[str, bytes]) -> None:
    reader = pypdf.PdfReader(io.BytesIO(rendered["pdf/a-3u"]))
    info = reader.metadata
    assert info is not None
    assert info.title == "Título de prueba"
    assert info.author == "Clínica Ejemplo"
    assert info.creation_date == WHEN
    with pikepdf.open(io.BytesIO(rendered["pdf/a-3u"])) as pdf:
        assert str(pdf.Root.Lang) == "es"
        xmp = pdf.open_metadata()
        assert xmp["dc:title"] == "Título de prueba"


def test_every_script_extracts_as_written(rendered: dict[str, bytes]) -> None:
    """Evidence for PDF/A-3u: each glyph maps back to its Unicode text."""
    text = pypdf.PdfReader(io.BytesIO(rendered["pdf/a-3u"])).pages[0].extract_text()
    for sample in SCRIPTS:
        assert squash(unicodedata.normalize("NFC", sample)) in squash(
            unicodedata.normalize("NFC", text)
        )


def test_fonts_are_dejavu_and_embedded(rendered: dict[str, bytes]) -> None:
    with pikepdf.open(io.BytesIO(rendered["pdf/a-3u"])) as pdf:
        fonts = pdf.pages[0].Resources.Font
        names = [str(fonts[k].BaseFont) for k in fonts.keys()]
        assert names and all("DejaVu" in n for n in names)
        for key in fonts.keys():
            descendant = fonts[key].DescendantFonts[0]
            assert (
                "/FontFile2" in descendant.FontDescriptor
                or "/FontFile3" in descendant.FontDescriptor
            )


def test_unknown_variant_is_refused() -> None:
    with pytest.raises(PdfError, match="pdf/a-3u"):
        render_pdf("<p>x</p>", metadata=META, variant="pdf/a-1b")


def test_subsetting_path_reports_harfbuzz() -> None:
    # CI installs libharfbuzz-subset0; the fast path is the one we ship with.
    assert subsetting_path() == "harfbuzz"


HOSTILE = [
    '<img src="file:///etc/passwd">',
    '<img src="http://127.0.0.1:9/x">',
    '<p style="background: url(http://127.0.0.1:9/x)">x</p>',
    "<style>p { background: url('https://example.invalid/x.png') }</style><p>x</p>",
    "<style>@import url('ftp://example.invalid/x.css');</style><p>x</p>",
    "<style>@font-face { font-family: X; src: url(https://example.invalid/f.ttf) } p { font-family: X }</style><p>x</p>",
    '<a rel="attachment" href="file:///etc/hostname">x</a>',
    '<img src="../../pyproject.toml">',
    '<img src="pdf/../../../pyproject.toml">',
    '<link rel="stylesheet" href="file:///etc/passwd">',
    '<object data="file:///etc/passwd"></object>',
    '<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd" width="9" height="9"/></svg>',
]


@pytest.mark.parametrize("html", HOSTILE)
def test_hostile_fetches_are_refused(html: str) -> None:
    fetcher = AssetFetcher()
    with pytest.raises(RefusedResourceError):
        render_pdf(html, metadata=META, fetcher=fetcher)
    assert fetcher.refused
    assert fetcher.served == []


def test_link_rel_attachment_is_refused_before_any_fetch() -> None:
    fetcher = AssetFetcher()
    with pytest.raises(RefusedResourceError, match="attachment"):
        render_pdf(
            '<link rel="attachment" href="file:///etc/passwd">', metadata=META, fetcher=fetcher
        )
    assert fetcher.served == []


def test_own_assets_and_data_uris_are_served() -> None:
    fetcher = AssetFetcher()
    png = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNk"
        "YAAAAAYAAjCB0C8AAAAASUVORK5CYII="
    )
    with no_weasyprint_logs():
        render_pdf(
            f'<img src="{png}" alt="A dot"><p>x</p>',
            metadata=META,
            stylesheets=["pdf/packet.css"],
            fetcher=fetcher,
        )
    assert fetcher.refused == []
    assert fetcher.served[0] == static_base_url() + "pdf/packet.css"
    assert fetcher.served[1].startswith("data:image/png")


def test_symlink_out_of_the_static_folder_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "static"
    root.mkdir()
    secret = tmp_path / "secret.css"
    secret.write_text("p { color: red }")
    os.symlink(secret, root / "link.css")
    (root / "ok.css").write_text("p { color: blue }")
    fetcher = AssetFetcher(root)
    base = root.as_uri() + "/"
    assert fetcher.fetch(base + "ok.css").read() == b"p { color: blue }"
    for url in (
        base + "link.css",
        base + "../secret.css",
        base + "%2e%2e/secret.css",
        "file://otherhost" + str(root / "ok.css"),
    ):
        with pytest.raises(PermissionError):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 4


def test_static_base_url_points_at_the_static_folder() -> None:
    assert static_base_url() == static_folder().resolve().as_uri() + "/"
