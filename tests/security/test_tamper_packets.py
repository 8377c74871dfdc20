"""Tampered unsealed packets fail `verify_packet`, each with the check that finds it.

The four forgeries that passed 0.1.0's verify: pages swapped in from another patient's
packet, most pages deleted, an incremental update painting over the answers, and an edited
record re-embedded with its new SHA-256 added as invisible text. The packets are built with
pikepdf (a test dependency) and pyHanko's incremental writer, from the session's packet.
"""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest
from packet_fixtures import SIGNED, make_record, no_weasyprint_logs, reembed
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from tpi_forms.cli import main
from tpi_forms.pdf.packet import render_packet
from tpi_forms.record.model import ConsentRecord, sha256_hex
from tpi_forms.verify.packet import Verification, verify_packet
from tpi_forms.verify.report import what_it_proves

ANSWERS_PAGE = 1  # "Screening answers", with the blood thinner question


@pytest.fixture(scope="module")
def packet(signed_en: tuple[ConsentRecord, bytes]) -> bytes:
    return signed_en[1]


@pytest.fixture(scope="module")
def other_patients_packet() -> bytes:
    with no_weasyprint_logs():
        return render_packet(make_record("en", name="Jordan Other"), generated_at=SIGNED)


def failed(result: Verification) -> dict[str, str]:
    return {c.name: c.detail for c in result.failed()}


def _save(doc: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _helvetica(doc: pikepdf.Pdf) -> pikepdf.Dictionary:
    return doc.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )


def test_the_untampered_packet_passes(packet: bytes) -> None:
    result = verify_packet(packet)
    assert result.ok, result.failed()
    assert (
        "a forger who re-renders a packet from an edited record can pass these checks: "
        "seal packets to prevent that" in what_it_proves(result)
    )


def test_pages_swapped_in_from_another_patients_packet_fail(
    packet: bytes, other_patients_packet: bytes
) -> None:
    with (
        pikepdf.open(io.BytesIO(packet)) as doc,
        pikepdf.open(io.BytesIO(other_patients_packet)) as other,
    ):
        for index in range(3):
            doc.pages[index] = other.pages[index]
        forged = _save(doc)
    result = verify_packet(forged)
    assert not result.ok
    problems = failed(result)
    assert problems["page_text"].endswith("on page(s) 1, 2, 3")
    assert problems["page_drawing"].endswith("on page(s) 1, 2, 3")
    assert "page_count" not in problems  # still 8 pages


def test_six_of_eight_pages_deleted_fail(packet: bytes) -> None:
    with pikepdf.open(io.BytesIO(packet)) as doc:
        assert len(doc.pages) == 8
        del doc.pages[1:7]
        forged = _save(doc)
    result = verify_packet(forged)
    assert failed(result)["page_count"] == "2 pages, but the record renders to 8"
    assert not result.ok


def _paint_over(pdf: bytes, page: int, content: bytes) -> bytes:
    """An incremental update that draws ``content`` (with Helvetica as /Fx) on top of a page."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    font = writer.add_object(
        generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Font"),
                generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
                generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica"),
            }
        )
    )
    stream = writer.add_object(generic.StreamObject(stream_data=content))
    fonts = generic.DictionaryObject({generic.NameObject("/Fx"): font})
    resources = generic.DictionaryObject({generic.NameObject("/Font"): fonts})
    writer.add_stream_to_page(page, stream, resources=resources)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_incremental_update_painting_over_the_answers_fails(packet: bytes) -> None:
    white_box_and_no = b"q 1 g 40 300 532 380 re f Q BT 0 g /Fx 11 Tf 60 600 Td (No) Tj ET"
    forged = _paint_over(packet, ANSWERS_PAGE, white_box_and_no)
    assert forged.startswith(packet)  # the original bytes are untouched: an update
    result = verify_packet(forged)
    problems = failed(result)
    assert problems["revisions"] == "1 incremental update(s) after the original save"
    assert problems["page_text"].endswith("on page(s) 2")
    assert problems["page_drawing"].endswith("on page(s) 2")


def test_a_white_box_alone_is_found_by_the_drawing_check(packet: bytes) -> None:
    """Covering an answer changes no text: the drawing check still sees it."""
    forged = _paint_over(packet, ANSWERS_PAGE, b"q 1 g 40 300 532 40 re f Q")
    problems = failed(verify_packet(forged))
    assert "page_text" not in problems
    assert problems["page_drawing"].endswith("on page(s) 2")


def _edited_record_with_invisible_hash(packet: bytes) -> bytes:
    def change(data: dict[str, object]) -> None:
        answers = data["answers"]
        assert isinstance(answers, dict) and answers["takes_blood_thinner"] is True
        answers["takes_blood_thinner"] = False

    edited = reembed(packet, change)
    with pikepdf.open(io.BytesIO(edited)) as doc:
        new_hash = sha256_hex(doc.attachments["record.json"].get_file().read_bytes())
        page = doc.pages[-1]
        page.obj.Resources.Font.Fx = _helvetica(doc)
        hidden = b"BT 3 Tr /Fx 8 Tf 40 40 Td (" + new_hash.encode() + b") Tj ET"
        page.contents_add(doc.make_stream(hidden))
        return _save(doc)


def test_an_edited_record_with_its_hash_as_invisible_text_fails(packet: bytes) -> None:
    forged = _edited_record_with_invisible_hash(packet)
    result = verify_packet(forged)
    assert result.record is not None and result.record.answers["takes_blood_thinner"] is False
    checks = {c.name: c for c in result.checks}
    assert checks["record_hash_printed"].passed  # what fooled 0.1.0: the new hash is "printed"
    problems = failed(result)
    assert problems["hidden_text"] == "invisible text on page(s) 8"
    assert {"page_text", "page_drawing"} <= set(problems)


@pytest.mark.parametrize(
    "show",
    [
        b"BT 1 g /Fx 8 Tf 40 40 Td ({hash}) Tj ET",  # white on white
        b"BT /Fx 0.2 Tf 40 40 Td ({hash}) Tj ET",  # a fifth of a point high
        b"BT /Fx 8 Tf 900 40 Td ({hash}) Tj ET",  # off the page
        b"BT 7 Tr /Fx 8 Tf 40 40 Td ({hash}) Tj ET",  # clipping only
    ],
    ids=["white", "tiny", "off-page", "clip-mode"],
)
def test_other_ways_of_hiding_text_are_refused(packet: bytes, show: bytes) -> None:
    with pikepdf.open(io.BytesIO(packet)) as doc:
        page = doc.pages[-1]
        page.obj.Resources.Font.Fx = _helvetica(doc)
        page.contents_add(doc.make_stream(show.replace(b"{hash}", b"0" * 64)))
        forged = _save(doc)
    assert failed(verify_packet(forged))["hidden_text"] == "invisible text on page(s) 8"


def test_a_second_embedded_record_fails(packet: bytes) -> None:
    with pikepdf.open(io.BytesIO(packet)) as doc:
        record = doc.attachments["record.json"].get_file().read_bytes()
        doc.attachments["record-2.json"] = pikepdf.AttachedFileSpec(doc, record)
        forged = _save(doc)
    problems = failed(verify_packet(forged))
    assert problems["one_attachment"] == "2 embedded files; a packet embeds only the record"


def test_fhir_refuses_a_tampered_packet(
    packet: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "forged.pdf"
    path.write_bytes(_edited_record_with_invisible_hash(packet))
    assert main(["fhir", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "does not verify" in captured.err
    assert "hidden_text" in captured.err


def test_verify_cli_names_the_failed_check(
    packet: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "forged.pdf"
    path.write_bytes(_edited_record_with_invisible_hash(packet))
    assert main(["verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL hidden_text: invisible text on page(s) 8" in out
    assert out.rstrip().endswith("check(s) failed")


def test_canonical_reembedding_alone_is_not_a_change(packet: bytes) -> None:
    """Re-saving the file with the same record (not byte for byte the re-render any more) still
    passes: the pages are compared page by page, not as bytes."""
    resaved = reembed(packet, lambda data: None)
    assert resaved != packet
    result = verify_packet(resaved)
    assert result.ok, result.failed()
    assert "byte for byte" not in {c.name: c for c in result.checks}["page_text"].detail
