"""Tampered unsealed packets must fail `verify_packet` (and ``tpi-forms verify`` and ``fhir``).

The four forgeries of an unsealed packet that passed verify: pages 1-3 swapped in from another
patient's packet; 6 of its 8 pages deleted (all but the signatures and the audit trail); an
incremental update that paints over the answers page; and the embedded record edited (blood
thinner yes -> no), re-embedded, with its new SHA-256 added to a page as invisible text.
``tpi-forms fhir`` must not export the edited answer. The forgeries are made with pikepdf and
pyHanko's incremental writer from the genuine packet of the session (``signed_en``), which
itself verifies.
"""

from __future__ import annotations

import io
import json
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

ANSWERS_PAGE = 1  # the second page, "Screening answers", with the blood thinner question


@pytest.fixture(scope="module")
def packet(signed_en: tuple[ConsentRecord, bytes]) -> bytes:
    """The genuine unsealed packet (Alex Example, blood thinner: yes; 8 pages); it verifies."""
    record, pdf = signed_en
    assert record.answers["takes_blood_thinner"] is True
    genuine = verify_packet(pdf)
    assert genuine.ok, genuine.failed()
    return pdf


@pytest.fixture(scope="module")
def other_patients_packet() -> bytes:
    with no_weasyprint_logs():
        return render_packet(make_record("en", name="Jordan Other"), generated_at=SIGNED)


def failed(result: Verification) -> dict[str, str]:
    return {c.name: c.detail for c in result.failed()}


def passes_as_ok(result: Verification) -> str:
    return "verify says ok on the forged packet: " + "; ".join(
        f"{c.name}: {c.detail}" for c in result.checks
    )


def _save(doc: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_pages_swapped_in_from_another_patients_packet_fail(
    packet: bytes, other_patients_packet: bytes
) -> None:
    with (
        pikepdf.open(io.BytesIO(packet)) as doc,
        pikepdf.open(io.BytesIO(other_patients_packet)) as other,
    ):
        assert len(doc.pages) == len(other.pages) == 8
        for index in range(3):
            doc.pages[index] = other.pages[index]
        forged = _save(doc)
    result = verify_packet(forged)
    assert not result.ok, passes_as_ok(result)
    problems = failed(result)
    assert {"page_text", "page_drawing"} <= set(problems)
    assert "page_count" not in problems  # still 8 pages


def test_six_of_eight_pages_deleted_fail(packet: bytes) -> None:
    with pikepdf.open(io.BytesIO(packet)) as doc:
        assert len(doc.pages) == 8
        del doc.pages[0:6]  # only the signatures and the audit trail are left
        forged = _save(doc)
    result = verify_packet(forged)
    assert not result.ok, passes_as_ok(result)
    assert failed(result)["page_count"] == "2 pages, but the record renders to 8"


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
    assert not result.ok, passes_as_ok(result)
    assert failed(result)["revisions"] == "1 incremental update(s) after the original save"


def _edited_record_with_invisible_hash(packet: bytes) -> bytes:
    """The blood thinner answer turned from yes to no in record.json, re-embedded, and the new
    record's SHA-256 written on the last page in text render mode 3 (invisible)."""

    def change(data: dict[str, object]) -> None:
        answers = data["answers"]
        assert isinstance(answers, dict) and answers["takes_blood_thinner"] is True
        answers["takes_blood_thinner"] = False

    edited = reembed(packet, change)
    with pikepdf.open(io.BytesIO(edited)) as doc:
        new_hash = sha256_hex(doc.attachments["record.json"].get_file().read_bytes())
        page = doc.pages[-1]
        page.obj.Resources.Font.Fx = doc.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
            )
        )
        hidden = b"BT 3 Tr /Fx 8 Tf 40 40 Td (" + new_hash.encode() + b") Tj ET"
        page.contents_add(doc.make_stream(hidden))
        return _save(doc)


def test_an_edited_record_with_its_hash_as_invisible_text_fails(packet: bytes) -> None:
    forged = _edited_record_with_invisible_hash(packet)
    result = verify_packet(forged)
    assert result.record is not None and result.record.answers["takes_blood_thinner"] is False
    assert not result.ok, passes_as_ok(result)
    problems = failed(result)
    assert problems["hidden_text"] == "invisible text on page(s) 8"
    assert {"page_text", "page_drawing"} <= set(problems)


def test_verify_cli_fails_the_edited_record_with_its_hash_as_invisible_text(
    packet: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "forged.pdf"
    path.write_bytes(_edited_record_with_invisible_hash(packet))
    code = main(["verify", str(path)])
    out = capsys.readouterr().out
    assert code == 1, f"tpi-forms verify exited {code} on the forged packet:\n{out}"
    assert "FAIL hidden_text: invisible text on page(s) 8" in out
    assert out.rstrip().splitlines()[-1].startswith("FAILED: ")


def _exported_answer(bundle_json: str, link_id: str) -> str:
    """The answer a printed FHIR Bundle's QuestionnaireResponse gives to ``link_id``."""

    def walk(node: object) -> list[object]:
        if isinstance(node, dict):
            if node.get("linkId") == link_id and "answer" in node:
                return [node["answer"]]
            return [a for value in node.values() for a in walk(value)]
        if isinstance(node, list):
            return [a for value in node for a in walk(value)]
        return []

    try:
        bundle = json.loads(bundle_json)
    except ValueError:
        return "output is not JSON"
    responses = [
        e.get("resource")
        for e in bundle.get("entry", [])
        if isinstance(e, dict)
        and isinstance(e.get("resource"), dict)
        and e["resource"].get("resourceType") == "QuestionnaireResponse"
    ]
    return f"{link_id} = {walk(responses)}"


def test_fhir_refuses_the_edited_record_with_its_hash_as_invisible_text(
    packet: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "forged.pdf"
    path.write_bytes(_edited_record_with_invisible_hash(packet))
    code = main(["fhir", str(path)])
    captured = capsys.readouterr()
    exported = _exported_answer(captured.out, "takes_blood_thinner") if captured.out else ""
    assert code == 2, f"tpi-forms fhir exported the forged packet (exit {code}): {exported}"
    assert captured.out == ""
    assert "does not verify" in captured.err and "hidden_text" in captured.err
