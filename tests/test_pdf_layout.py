"""Rendered-page checks: no page ends a packet with a lone row, and write-in lines read as their
own label's (captions just under their lines, space to write between a label and its line)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest
from packet_fixtures import SIGNED, make_record, no_weasyprint_logs
from PIL import Image

from tpi_forms.definitions.words import words
from tpi_forms.pdf.batch import render_packets
from tpi_forms.pdf.packet import render_blank_packet
from tpi_forms.record.model import AuditEvent, ConsentRecord

DPI = 144  # two pixels a point: thin lines stay dark; pixel rows / SCALE are points
SCALE = DPI / 72
HEADER_LINES = 3  # the running header: facility and title, patient, date of birth, version
FOOTER_LINES = 1
MARGIN_TOP, MARGIN_BOTTOM = 30 * 72 / 25.4, 20 * 72 / 25.4  # packet.css @page margins, in pt


def kiosk_record(events: int) -> ConsentRecord:
    """A record with a kiosk's long audit trail: ``events`` more rows on the audit page."""
    extra = [
        AuditEvent(
            SIGNED - dt.timedelta(minutes=30, seconds=-20 * i),
            "section_viewed",
            {"section": "risks"},
            "kiosk-7",
        )
        for i in range(events)
    ]
    return make_record("en").with_events(extra)


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))  # type: ignore[union-attr]


def body_lines(pdf: Path, page: int) -> list[str]:
    """The text lines of a page (pdftotext -layout) without the running header and footer."""
    text = subprocess.run(
        ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[HEADER_LINES : len(lines) - FOOTER_LINES]


def text_lines(pdf: Path, page: int) -> list[tuple[str, float, float]]:
    """Each text line of a page as (text, top, bottom) in points, from pdftotext -bbox-layout."""
    xml = subprocess.run(
        ["pdftotext", "-bbox-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = []
    for line in re.finditer(
        r'<line xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</line>', xml, re.S
    ):
        text = " ".join(re.findall(r">([^<]+)</word>", line.group(3)))
        found.append((text, float(line.group(1)), float(line.group(2))))
    return sorted(found, key=lambda x: x[1])


def rules(pdf: Path, page: int, tmp: Path) -> list[float]:
    """The heights (pt) of the long horizontal lines drawn on a page, inside its margins."""
    stem = tmp / f"page-{page}"
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-gray",
            "-r",
            str(DPI),
            "-f",
            str(page),
            "-l",
            str(page),
            str(pdf),
            str(stem),
        ],
        check=True,
    )
    image = Image.open(next(tmp.glob(f"page-{page}*.png"))).convert("L")
    width, height = image.size
    data = image.tobytes()  # one byte a pixel ("L"), row after row
    found: list[float] = []
    for y in range(int((MARGIN_TOP + 3) * SCALE), height - int((MARGIN_BOTTOM + 3) * SCALE)):
        run = best = 0
        for value in data[y * width : (y + 1) * width]:
            run = run + 1 if value < 200 else 0
            best = max(best, run)
        if best > width * 0.25 and (not found or y / SCALE - found[-1] > 2):
            found.append(y / SCALE)
    return found


@pytest.fixture(scope="module")
def blank_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("blank") / "blank.pdf"
    with no_weasyprint_logs():
        path.write_bytes(render_blank_packet())
    return path


@pytest.mark.slow
def test_no_packet_ends_with_a_lone_row(tmp_path: Path) -> None:
    """Long kiosk audit trails of every length in a range: the last page is never one row."""
    counts = list(range(14, 30))
    with no_weasyprint_logs():
        pdfs = render_packets([kiosk_record(n) for n in counts], workers=2)
    pages_seen = set()
    for n, data in zip(counts, pdfs, strict=True):
        pdf = tmp_path / f"kiosk-{n}.pdf"
        pdf.write_bytes(data)
        pages = page_count(pdf)
        pages_seen.add(pages)
        last = body_lines(pdf, pages)
        assert len(last) >= 3, (n, last)  # never a lone row, or a note with no table above it
        for page in range(1, pages + 1):
            assert len(body_lines(pdf, page)) >= 2, (n, page)
    assert len(pages_seen) >= 2  # the range crosses a page break of the audit trail


def test_signed_and_blank_pages_never_hold_one_line(
    signed_en: tuple[ConsentRecord, bytes], blank_pdf: Path, tmp_path: Path
) -> None:
    signed = tmp_path / "signed.pdf"
    signed.write_bytes(signed_en[1])
    for pdf in (signed, blank_pdf):
        for page in range(1, page_count(pdf) + 1):
            assert len(body_lines(pdf, page)) >= 2, (pdf.name, page)


def test_signature_lines_have_captions_just_under_them(blank_pdf: Path, tmp_path: Path) -> None:
    t = words("packet", "en")
    captions = {t["signature"], t["printed_name"], t["date_time"]}
    seen: dict[str, int] = dict.fromkeys(captions, 0)
    for page in range(1, page_count(blank_pdf) + 1):
        lines = text_lines(blank_pdf, page)
        if not any(text in captions for text, _, _ in lines):
            continue
        drawn = rules(blank_pdf, page, tmp_path)
        for text, top, bottom in lines:
            if text not in captions:
                continue
            seen[text] += 1
            above = max(y for y in drawn if y <= top)
            below = [y for y in drawn if y >= bottom]
            gap_above = top - above
            assert gap_above < 4, (page, text, gap_above)  # right under its own line
            if below:
                assert gap_above < min(below) - bottom, (page, text)  # nearer its own line
    roles = 5  # patient, legal representative, clinician, witness, interpreter
    assert seen == dict.fromkeys(captions, roles)


def test_write_in_lines_sit_nearer_their_own_label(blank_pdf: Path, tmp_path: Path) -> None:
    """On the first page (name and date of birth to write in): the text just above each line
    is nearer to it than the text just below it."""
    lines = text_lines(blank_pdf, 1)
    drawn = [y for y in rules(blank_pdf, 1, tmp_path)]
    checked = 0
    for y in drawn:
        above = [bottom for _, _, bottom in lines if bottom <= y]
        below = [top for _, top, _ in lines if top >= y]
        if not above or not below:
            continue
        label_gap, next_gap = y - max(above), min(below) - y
        heading_rule = label_gap < 4  # the rule under a section heading
        if not heading_rule:
            checked += 1
            assert label_gap < next_gap, (y, label_gap, next_gap)
    assert checked >= 2  # the name line and the date-of-birth line
