"""Signed and blank packets: every section's text, headers on every page, escaping, layout, batches."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pikepdf
import pypdf
import pytest
from packet_fixtures import HOSTILE_NAME, SIGNED, make_record, no_weasyprint_logs, pdf_text, squash
from PIL import Image

from tpi_forms._resources import templates_folder
from tpi_forms.packet import (
    MAX_ANSWER_CHARS,
    PacketError,
    PacketRenderer,
    PacketSettings,
    render_blank_packet,
    render_packet,
    render_packets,
)
from tpi_forms.procedure import PlannedProcedure
from tpi_forms.record import ConsentRecord, record_hash

LONG_NAME = ("Александра-Εὐφροσύνη-Wolfeschlegelsteinhausenbergerdorff-ბერიძე-Õunapuu" * 3)[:118]
LONG_ANSWER = ("Paracetamol/Acetaminophen-500mg-" + "Ибупрофен" * 8 + "-Ωμεπραζόλη-") * 4


@pytest.fixture(scope="module")
def en() -> tuple[ConsentRecord, bytes]:
    record = make_record("en")
    with no_weasyprint_logs():
        return record, render_packet(record, generated_at=SIGNED)


@pytest.fixture(scope="module")
def es_hostile() -> bytes:
    with no_weasyprint_logs():
        return render_packet(make_record("es", name=HOSTILE_NAME, representative=True))


@pytest.fixture(scope="module")
def long_input() -> bytes:
    record = make_record("en", name=LONG_NAME, answers={"current_medicines": LONG_ANSWER})
    with no_weasyprint_logs():
        return render_packet(record)


@pytest.fixture(scope="module")
def blank_es() -> bytes:
    with no_weasyprint_logs():
        return render_blank_packet(PlannedProcedure(corticosteroid=True), locale="es")


def embedded(pdf: bytes) -> bytes:
    data: bytes = pypdf.PdfReader(io.BytesIO(pdf)).attachments["record.json"][0]
    return data


def test_every_section_is_present(en: tuple[ConsentRecord, bytes]) -> None:
    record, pdf = en
    text = squash(" ".join(pdf_text(pdf)))
    for expected in [
        "Summary",
        "Screening result",
        "Review: a clinician must decide",
        "You take a blood thinner",  # the finding's patient message
        "Screening answers",
        "Where is your pain?",  # a label, not the id pain_sites
        "Neck and Upper back",
        "Apixaban",
        "Consent as shown to the patient",
        "What is a trigger point shot?",
        "Collapsed lung",
        "Steroid in the shot",
        "Signatures",
        "Interpreter",
        "Español",
        "Drawn by hand on the screen",
        "Audit trail",
        "form_opened",
        "consent_time_on_page",
        "seconds=312",
        "packet_generated",
        "kiosk-7",
        record.consent_hash,
    ]:
        assert squash(expected) in text, expected
    assert "pain_sites" not in text


def test_signing_times_show_their_zone(en: tuple[ConsentRecord, bytes]) -> None:
    text = " ".join(pdf_text(en[1]))
    assert "March 2, 2026, 9:30" in text
    assert "Central Standard Time (GMT-06:00)" in text


def test_header_and_footer_on_every_page(en: tuple[ConsentRecord, bytes]) -> None:
    pages = pdf_text(en[1])
    assert len(pages) >= 5
    for number, page in enumerate(pages, start=1):
        flat = squash(page)
        assert squash("Sample Pain Clinic (fictitious)") in flat
        assert squash("Patient: Alex Example") in flat
        assert squash("Date of birth: April 12, 1980") in flat
        assert squash("Consent version: 0.1.0") in flat
        assert squash("Trigger point injection: screening and consent") in flat
        assert f"Page{number}of{len(pages)}" in flat


def test_record_is_embedded_and_its_hash_printed(en: tuple[ConsentRecord, bytes]) -> None:
    record, pdf = en
    data = embedded(pdf)
    final = ConsentRecord.from_json(data)
    assert final.to_json() == data
    assert final.audit[:-1] == record.audit
    assert final.audit[-1].event == "packet_generated"
    assert final.audit[-1].at == SIGNED
    assert record_hash(final) in squash(pdf_text(pdf)[-1])


def test_metadata_names_the_facility_and_language(en: tuple[ConsentRecord, bytes]) -> None:
    with pikepdf.open(io.BytesIO(en[1])) as pdf:
        meta = pdf.open_metadata()
        assert meta.pdfa_status == "3U"
        assert meta["dc:title"] == "Trigger point injection: screening and consent"
        assert str(pdf.Root.Lang) == "en"
        assert pdf.Root.AF[0].AFRelationship == "/Data"
    info = pypdf.PdfReader(io.BytesIO(en[1])).metadata
    assert info is not None and info.author == "Sample Pain Clinic (fictitious)"
    assert info.creation_date == SIGNED


def test_hostile_text_prints_literally(es_hostile: bytes) -> None:
    text = " ".join(pdf_text(es_hostile))
    assert "<img src=x onerror=alert(1)> {{7*7}}" in text
    assert "Página 1 de" in text
    assert "Representante legal" in text and "Mother" in text
    data = json.loads(embedded(es_hostile))
    assert data["answers"]["patient_name"] == HOSTILE_NAME


def test_hostile_text_is_escaped_in_the_html() -> None:
    html = PacketRenderer().html(make_record("en", name=HOSTILE_NAME), "0" * 64)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; {{7*7}}" in html


def _right_margin_is_blank(png: Path) -> bool:
    image = Image.open(png).convert("L")
    width, height = image.size
    margin = round(width * 12 / 210)  # 12 mm of an A4 page's 210 mm (the page margin is 16 mm)
    strip = image.crop((width - margin, 0, width, height))
    extrema = strip.getextrema()
    assert isinstance(extrema[0], int)
    return extrema[0] > 200  # no dark pixel


def test_long_names_and_answers_do_not_overflow(long_input: bytes, tmp_path: Path) -> None:
    text = squash(" ".join(pdf_text(long_input)))
    assert squash(LONG_NAME) in text
    assert squash(LONG_ANSWER) in text
    (tmp_path / "long.pdf").write_bytes(long_input)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", str(tmp_path / "long.pdf"), str(tmp_path / "p")],
        check=True,
    )
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) == len(pypdf.PdfReader(io.BytesIO(long_input)).pages)
    assert all(_right_margin_is_blank(p) for p in pages)


def test_right_margin_check_sees_overflow(tmp_path: Path) -> None:
    """The layout check above can fail: a line that cannot wrap reaches the edge."""
    from tpi_forms.pdf import PdfMetadata, render_pdf

    html = "<p style='white-space: nowrap; font-size: 20pt'>" + "W" * 80 + "</p>"
    (tmp_path / "wide.pdf").write_bytes(render_pdf(html, metadata=PdfMetadata("t", "en", "c")))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", str(tmp_path / "wide.pdf"), str(tmp_path / "w")],
        check=True,
    )
    assert not _right_margin_is_blank(sorted(tmp_path.glob("w-*.png"))[0])


def test_answers_longer_than_the_limit_are_refused() -> None:
    record = make_record("en")
    answers = {**record.answers, "current_medicines": "x" * (MAX_ANSWER_CHARS + 1)}
    with pytest.raises(PacketError, match="current_medicines"):
        render_packet(ConsentRecord(**{**record.__dict__, "answers": answers}))


def test_blank_packet_has_boxes_lines_consent_and_signature_blocks(blank_es: bytes) -> None:
    text = squash(" ".join(pdf_text(blank_es)))
    for expected in [
        "(formulario en papel)",
        "¿Dónde le duele?",
        "Cuello",
        "Marque todas las que correspondan",
        "Consentimiento para inyección en puntos gatillo",
        "Esteroide en la inyección",
        "Firmas",
        "Representante legal",
        "Intérprete",
        "Idioma interpretado",
        "Testigo",
    ]:
        assert squash(expected) in text, expected
    with pikepdf.open(io.BytesIO(blank_es)) as pdf:
        assert pdf.open_metadata().pdfa_status == "3U"
        assert len(pdf.attachments) == 0


def test_a_clinic_overrides_templates_first(tmp_path: Path) -> None:
    shipped = (templates_folder() / "pdf" / "packet_text.toml").read_text(encoding="utf-8")
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "packet_text.toml").write_text(
        shipped.replace(
            'packet_title = "Trigger point injection: screening and consent"',
            'packet_title = "Clinic Own Title"',
        ),
        encoding="utf-8",
    )
    renderer = PacketRenderer(PacketSettings(template_dirs=(str(tmp_path),), variant="pdf/a-3b"))
    pdf = renderer.render(make_record("en"))
    assert "Clinic Own Title" in pdf_text(pdf)[0]
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert doc.open_metadata().pdfa_status == "3B"


def test_render_packets_keeps_order_and_reports_progress() -> None:
    records = [make_record("en", name=f"Patient Number {i}") for i in range(3)]
    seen: list[tuple[int, int]] = []
    pdfs = render_packets(
        records, workers=2, progress=lambda done, total: seen.append((done, total))
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]
    for i, pdf in enumerate(pdfs):
        assert json.loads(embedded(pdf))["answers"]["patient_name"] == f"Patient Number {i}"
