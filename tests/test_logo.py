"""A clinic with a logo: the packet prints it, verifies in full, and a changed logo fails.

Before the clinic round trip, verification rebuilt the clinic without its logo (so the consent
hash differed and a logo packet never verified), and no template printed the logo.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import re
import subprocess
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from packet_fixtures import make_record, no_weasyprint_logs, pdf_text, reembed, squash
from PIL import Image, ImageDraw

from tpi_forms._resources import templates_folder
from tpi_forms.consent.document import build_consent
from tpi_forms.definitions.clinic import Clinic, ClinicLogo, load_clinic
from tpi_forms.errors import PacketError, RecordError
from tpi_forms.pdf.packet import (
    PacketRenderer,
    PacketSettings,
    build_record,
    render_blank_packet,
    render_packet,
)
from tpi_forms.pdf.render import PdfMetadata, render_pdf
from tpi_forms.record.model import ConsentRecord
from tpi_forms.screening.procedure import PlannedProcedure
from tpi_forms.verify.packet import _page_images, pixel_digest, verify_packet
from tpi_forms.web.html import render_consent_page

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "clinic.toml"
SIZE = (240, 80)
RED, BLUE = (200, 30, 30, 255), (20, 60, 200, 255)


def logo_png(mark: tuple[int, int] | None = None) -> bytes:
    """Red on the left, blue on the right, a transparent band at the bottom."""
    image = Image.new("RGBA", SIZE, RED)
    draw = ImageDraw.Draw(image)
    draw.rectangle((SIZE[0] // 2, 0, SIZE[0], SIZE[1]), fill=BLUE)
    draw.rectangle((0, SIZE[1] - 10, SIZE[0], SIZE[1]), fill=(0, 0, 0, 0))
    if mark is not None:
        image.putpixel(mark, (0, 255, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Clinic:
    folder = tmp_path_factory.mktemp("clinic")
    (folder / "art").mkdir()
    (folder / "art" / "logo.png").write_bytes(logo_png())
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        '# logo = "logo.png"', 'logo = "art/logo.png"'
    )
    (folder / "clinic.toml").write_text(text, encoding="utf-8")
    return load_clinic(folder / "clinic.toml")


@pytest.fixture(scope="module")
def packet(clinic: Clinic) -> tuple[ConsentRecord, bytes]:
    record = make_record("en", clinic=clinic)
    with no_weasyprint_logs():
        return record, render_packet(record)


def page_images(page: Any) -> list[Any]:
    """The images the page's content draws (``Do``), read with pikepdf's own parser."""
    xobjects = page.obj.Resources.get("/XObject", {})
    drawn = {
        str(i.operands[0])
        for i in pikepdf.parse_content_stream(page)
        if isinstance(i, pikepdf.ContentStreamInstruction) and str(i.operator) == "Do"
    }
    return [xobjects[n] for n in drawn if xobjects[n].get("/Subtype") == "/Image"]


def logo_pages(pdf: bytes) -> list[int]:
    """Indexes of the pages that draw an image of the logo's size."""
    found = []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for index, page in enumerate(doc.pages):
            if any((int(i.Width), int(i.Height)) == SIZE for i in page_images(page)):
                found.append(index)
    return found


def consent_page(pdf: bytes) -> int:
    pages = [squash(p) for p in pdf_text(pdf)]
    return next(i for i, p in enumerate(pages) if squash("Consent as shown to the patient") in p)


def failed(pdf: bytes) -> set[str]:
    return {c.name for c in verify_packet(pdf).failed()}


def test_the_record_carries_the_logo(packet: tuple[ConsentRecord, bytes], clinic: Clinic) -> None:
    record, _ = packet
    assert clinic.logo is not None
    logo = record.clinic["logo"]
    assert base64.b64decode(logo["data_base64"]) == clinic.logo.data
    assert logo["sha256"] == record.consent["facility"]["logo_sha256"] == clinic.logo_sha256()
    assert Clinic.from_dict(record.clinic) == clinic


def test_a_logo_packet_verifies_in_full(packet: tuple[ConsentRecord, bytes]) -> None:
    result = verify_packet(packet[1])
    assert result.ok, result.failed()
    checks = {c.name: c for c in result.checks}
    assert "first page, consent" in checks["logo_image"].detail
    assert "rebuilt for this plan and clinic" in checks["consent_hash"].detail


def test_the_logo_is_on_the_first_page_and_the_consent(packet: tuple[ConsentRecord, bytes]) -> None:
    pdf = packet[1]
    assert logo_pages(pdf) == [0, consent_page(pdf)]
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        image = next(i for i in page_images(doc.pages[0]) if int(i.Width) == SIZE[0])
        drawn = pikepdf.PdfImage(image).as_pil_image().convert("RGB")
        assert drawn.getpixel((10, 10)) == RED[:3] and drawn.getpixel((230, 10)) == BLUE[:3]
        assert image.get("/SMask") is not None  # the transparent band is kept


def test_the_logo_shows_at_the_top_of_the_first_page(
    packet: tuple[ConsentRecord, bytes], tmp_path: Path
) -> None:
    (tmp_path / "logo.pdf").write_bytes(packet[1])
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            str(tmp_path / "logo.pdf"),
            str(tmp_path / "p"),
        ],
        check=True,
    )
    (png,) = tmp_path.glob("p-*.png")
    page = Image.open(png).convert("RGB")
    width, height = page.size

    def near(colour: tuple[int, ...], x: int, y: int) -> bool:
        pixel = page.getpixel((x, y))
        assert isinstance(pixel, tuple)
        return all(abs(a - b) < 40 for a, b in zip(pixel, colour, strict=False))

    top = [(x, y) for y in range(height // 4) for x in range(width // 2)]
    reds = [p for p in top if near(RED, *p)]
    blues = [p for p in top if near(BLUE, *p)]
    assert reds and blues, "the logo is not printed at the top of the first page"
    assert max(x for x, _ in reds) < min(x for x, _ in blues)  # red left of blue, as drawn
    # below the header block the page has no logo colours
    assert not any(
        near(RED, x, y) for y in range(height // 3, height, 7) for x in range(0, width, 7)
    )


def test_a_changed_logo_in_the_record_fails(packet: tuple[ConsentRecord, bytes]) -> None:
    other = logo_png(mark=(5, 5))

    def same_hash_other_bytes(data: dict[str, Any]) -> None:
        data["clinic"]["logo"]["data_base64"] = base64.b64encode(other).decode()

    def consistent_forgery(data: dict[str, Any]) -> None:
        data["clinic"]["logo"] = ClinicLogo("logo.png", other).to_dict()

    assert {"record_hash_printed", "logo_image", "consent_hash"} <= failed(
        reembed(packet[1], same_hash_other_bytes)
    )
    assert {"record_hash_printed", "logo_image", "consent_hash"} <= failed(
        reembed(packet[1], consistent_forgery)
    )


def test_a_removed_logo_in_the_record_fails(packet: tuple[ConsentRecord, bytes]) -> None:
    def remove(data: dict[str, Any]) -> None:
        data["clinic"]["logo"] = None

    assert {"logo_image", "consent_hash"} <= failed(reembed(packet[1], remove))


def _edit_logo_images(pdf: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            for image in page_images(page):
                if (int(image.Width), int(image.Height)) != SIZE:
                    continue
                rgb = pikepdf.PdfImage(image).as_pil_image()
                rgb.putpixel((SIZE[0] // 4, SIZE[1] // 2), (0, 255, 0))
                image.write(rgb.tobytes())  # same size and colour space, one pixel changed
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()


def test_a_changed_logo_on_the_page_fails(packet: tuple[ConsentRecord, bytes]) -> None:
    assert failed(_edit_logo_images(packet[1])) == {"logo_image"}


def test_a_packet_without_the_logo_on_its_first_page_fails(clinic: Clinic, tmp_path: Path) -> None:
    """A clinic's own base template that leaves the logo out: the pages no longer show it."""
    shipped = (templates_folder() / "pdf" / "base.html").read_text(encoding="utf-8")
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "base.html").write_text(
        "\n".join(line for line in shipped.splitlines() if "first-page-header" not in line),
        encoding="utf-8",
    )
    renderer = PacketRenderer(PacketSettings(template_dirs=(str(tmp_path),)))
    with no_weasyprint_logs():
        pdf = render_packet(make_record("en", clinic=clinic), renderer=renderer)
    # with the shipped templates, the pages also differ from the re-render
    assert {c.name for c in verify_packet(pdf).failed()} == {"logo_image", "page_drawing"}
    result = verify_packet(pdf, renderer=renderer)
    assert {c.name for c in result.failed()} == {"logo_image"}
    assert "first page" in result.failed()[0].detail


def test_the_consent_page_shows_the_logo_as_a_data_uri(clinic: Clinic) -> None:
    assert clinic.logo is not None
    document = build_consent(PlannedProcedure(sites=("neck",)), clinic, "es")
    html = render_consent_page(document, action="/sign")
    src = "data:image/png;base64," + base64.b64encode(clinic.logo.data).decode()
    assert f'<img class="tpi-logo" src="{src}" alt="Example Family Practice">' in html
    assert len(re.findall(r"<img ", html)) == 1


def test_a_blank_packet_prints_the_logo(clinic: Clinic) -> None:
    with no_weasyprint_logs():
        pdf = render_blank_packet(clinic=clinic)
    pages = logo_pages(pdf)
    assert len(pages) == 2 and pages[0] == 0
    assert squash("This form tells you about the shot") in squash(pdf_text(pdf)[pages[1]])


def test_the_consent_and_the_clinic_must_name_one_logo(clinic: Clinic) -> None:
    plain = dataclasses.replace(clinic, logo=None)
    document = build_consent(PlannedProcedure(sites=("neck",)), plain)
    record = make_record("en", clinic=clinic)
    with pytest.raises(RecordError, match="^the consent names another logo than the clinic's$"):
        build_record(
            dict(record.answers), record.signatures, clinic=clinic, consent=document.to_dict()
        )
    forged = ConsentRecord(**{**record.__dict__, "consent": document.to_dict()})
    with pytest.raises(PacketError, match="not the one the consent names"):
        render_packet(forged)


def _jpeg(mode: str, colour: Any) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (30, 12), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def _png(mode: str, transparency: bool = False) -> bytes:
    image = Image.new("RGBA", (30, 12), RED)
    ImageDraw.Draw(image).rectangle((15, 0, 30, 12), fill=(0, 0, 0, 0) if transparency else BLUE)
    converted = image.convert(mode) if mode != "RGBA" else image
    buffer = io.BytesIO()
    converted.save(buffer, "PNG", **({"transparency": 0} if transparency and mode == "P" else {}))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("l.png", _png("RGBA", transparency=True)),
        ("l.png", _png("RGB")),
        ("l.png", _png("P")),
        ("l.png", _png("P", transparency=True)),
        ("l.png", _png("L")),
        ("l.png", _png("LA")),
        ("l.png", _png("1")),
        ("l.jpg", _jpeg("RGB", (200, 30, 30))),
        ("l.jpg", _jpeg("L", 90)),
        ("l.jpeg", _jpeg("CMYK", (0, 200, 200, 10))),
    ],
)
def test_every_accepted_logo_is_drawn_with_the_pixels_verification_expects(
    name: str, data: bytes
) -> None:
    logo = ClinicLogo(name, data)
    html = f'<img src="{logo.data_uri()}" alt="x"><p>x</p>'
    with no_weasyprint_logs():
        pdf = render_pdf(html, metadata=PdfMetadata(title="t", lang="en", author="a"))
    import pypdf

    images = _page_images(pypdf.PdfReader(io.BytesIO(pdf)))
    assert not isinstance(images, str)
    with Image.open(io.BytesIO(logo.data)) as image:
        assert pixel_digest(image) in images[0]
