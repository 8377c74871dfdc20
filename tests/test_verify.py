"""verify_packet: a fresh packet passes; one changed byte in the record, attachment or pages fails."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import json
import re
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from packet_fixtures import make_record, no_weasyprint_logs, reembed, signature_png
from PIL import Image

from tpi_forms.consent.document import build_consent
from tpi_forms.definitions.consent import load_consent_definition
from tpi_forms.definitions.questionnaire import load_questionnaire
from tpi_forms.pdf.packet import PacketRenderer, PacketSettings, build_record, render_packet
from tpi_forms.record.model import ConsentRecord, Signature, sha256_hex
from tpi_forms.screening.procedure import PlannedProcedure
from tpi_forms.verify.packet import PacketReadError, Verification, pixel_digest, verify_packet

CHECKS = [
    "pdf_readable",
    "size_limits",
    "streams_intact",
    "record_embedded",
    "one_attachment",
    "revisions",
    "page_count",
    "page_text",
    "page_drawing",
    "hidden_text",
    "record_hash_printed",
    "record_matches_pages",
    "signature_images",
    "logo_image",
    "consent_hash",
]


@pytest.fixture(scope="module")
def packet(signed_en: tuple[ConsentRecord, bytes]) -> bytes:
    return signed_en[1]  # rendered once for the run (tests/conftest.py)


def failed(result: Verification) -> set[str]:
    return {c.name for c in result.checks if not c.passed}


def test_a_fresh_packet_passes_every_check(packet: bytes) -> None:
    result = verify_packet(packet)
    assert [c.name for c in result.checks] == CHECKS
    assert result.ok, result.failed()
    assert result.record is not None
    assert result.record_sha256 == sha256_hex(result.record.to_json())
    name, passed, detail = result.checks[-1]
    assert (name, passed) == ("consent_hash", True) and "rebuilt" in detail


def _flip_in_stream(pdf: bytes, objgen: tuple[int, int], offset: int = 40) -> bytes:
    match = re.search(rb"\n%d %d obj\b" % objgen, pdf)
    assert match is not None
    start = pdf.index(b"stream\n", match.end()) + len(b"stream\n") + offset
    return pdf[:start] + bytes([pdf[start] ^ 0x01]) + pdf[start + 1 :]


def _attachment_objgen(pdf: bytes) -> tuple[int, int]:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        objgen: tuple[int, int] = doc.attachments["record.json"].obj.EF.F.objgen
        return objgen


def _content_objgen(pdf: bytes, page: int) -> tuple[int, int]:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        objgen: tuple[int, int] = doc.pages[page].obj.Contents.objgen
        return objgen


@pytest.mark.parametrize("offset", [5, 40, 200])
def test_one_changed_byte_in_the_attachment_fails(packet: bytes, offset: int) -> None:
    result = verify_packet(_flip_in_stream(packet, _attachment_objgen(packet), offset))
    assert not result.ok
    assert "streams_intact" in failed(result)


@pytest.mark.parametrize("page", [0, -1])
def test_one_changed_byte_in_the_page_content_fails(packet: bytes, page: int) -> None:
    result = verify_packet(_flip_in_stream(packet, _content_objgen(packet, page)))
    assert not result.ok
    assert "streams_intact" in failed(result)


def test_a_changed_answer_in_the_record_fails(packet: bytes) -> None:
    def change(data: dict[str, object]) -> None:
        data["answers"]["takes_blood_thinner"] = False  # type: ignore[index]

    result = verify_packet(reembed(packet, change))
    assert result.checks[1].passed  # the file itself is well formed
    # the pages show the old answer and the old hash: the re-render of the edited record differs
    assert failed(result) == {"record_hash_printed", "page_text", "page_drawing"}


def test_one_changed_byte_in_the_record_fails(packet: bytes) -> None:
    def change(data: dict[str, object]) -> None:
        data["device_id"] = "kiosk-8"

    assert "record_hash_printed" in failed(verify_packet(reembed(packet, change)))


def test_a_moved_signature_fails(packet: bytes) -> None:
    """Part 11 §11.70: another signature image cannot be put into the record."""
    other = signature_png(7)

    def change(data: dict[str, object]) -> None:
        import base64

        signer = data["signatures"][0]  # type: ignore[index]
        signer["image_png_base64"] = base64.b64encode(other).decode()
        signer["image_sha256"] = sha256_hex(other)

    assert failed(verify_packet(reembed(packet, change))) >= {
        "record_hash_printed",
        "signature_images",
    }


def test_a_replaced_page_image_fails(packet: bytes) -> None:
    with pikepdf.open(io.BytesIO(packet)) as doc:
        for page in doc.pages:
            xobjects = page.obj.Resources.get("/XObject", {})
            for name in list(xobjects.keys()):
                image = xobjects[name]
                if image.get("/Subtype") != "/Image":
                    continue
                pil = pikepdf.PdfImage(image).as_pil_image()
                pil.putpixel((pil.width // 2, pil.height // 2), (0,) * len(pil.getbands()))
                image.write(pil.tobytes())  # same size and colour space, one pixel changed
        out = io.BytesIO()
        doc.save(out)
    result = verify_packet(out.getvalue())
    assert failed(result) == {"signature_images"}


def test_consent_text_changed_with_its_hash_fails(packet: bytes) -> None:
    from tpi_forms.consent.document import consent_hash_of

    def change(data: dict[str, object]) -> None:
        consent = data["consent"]
        consent["sections"][0]["paragraphs"][0] = "Nothing can go wrong."  # type: ignore[index]
        consent["content_hash"] = consent_hash_of(consent)  # type: ignore[arg-type]

    assert failed(verify_packet(reembed(packet, change))) >= {
        "record_hash_printed",
        "consent_hash",
        "record_matches_pages",
    }


def test_consent_check_without_the_definition_of_that_version(packet: bytes) -> None:
    import dataclasses

    other = dataclasses.replace(load_consent_definition(), version="9.9.9")
    result = verify_packet(packet, consent_definition=other)
    check = {c.name: c for c in result.checks}["consent_hash"]
    assert check.passed and "not available" in check.detail


def test_a_removed_attachment_fails(packet: bytes) -> None:
    with pikepdf.open(io.BytesIO(packet)) as doc:
        del doc.attachments["record.json"]
        out = io.BytesIO()
        doc.save(out)
    result = verify_packet(out.getvalue())
    assert not result.ok and "record_embedded" in failed(result)


def test_trust_roots_without_a_seal_fail(packet: bytes) -> None:
    result = verify_packet(packet, trust_roots=[])
    assert {c.name: c.passed for c in result.checks}["seal"] is False


def test_not_a_pdf_is_bad_input() -> None:
    with pytest.raises(PacketReadError):
        verify_packet(b"hello")


def test_truncated_pdf_fails_without_crashing(packet: bytes) -> None:
    assert not verify_packet(packet[: len(packet) // 2]).ok


def test_pixel_digest_ignores_png_encoding_but_not_pixels() -> None:
    image = Image.open(io.BytesIO(signature_png(1)))
    other = io.BytesIO()
    image.save(other, "PNG", compress_level=1)
    assert pixel_digest(Image.open(other)) == pixel_digest(image)
    changed = image.copy()
    changed.putpixel((0, 0), (0, 0, 0, 255))
    assert pixel_digest(changed) != pixel_digest(image)


def test_an_undecodable_recorded_image_fails_the_check(packet: bytes) -> None:
    import base64

    broken = signature_png(1)[:40] + b"\0" * 64

    def change(data: dict[str, object]) -> None:
        signer = data["signatures"][0]  # type: ignore[index]
        signer["image_png_base64"] = base64.b64encode(broken).decode()
        signer["image_sha256"] = sha256_hex(broken)

    result = verify_packet(reembed(packet, change))
    assert {"record_hash_printed", "signature_images"} <= failed(result)


def _clinic_consent_packet(definition_id: str) -> bytes:
    """A packet whose consent is a clinic's own, sharing the shipped consent's version 0.1.0."""
    from tpi_forms.consent.document import consent_hash_of
    from tpi_forms.record.model import ConsentRecord

    record = make_record("en")
    consent = json.loads(json.dumps(record.to_dict()["consent"]))
    consent["definition_id"] = definition_id
    consent["sections"][0]["paragraphs"][0] = "Our clinic's own words about the shot."
    consent["content_hash"] = consent_hash_of(consent)
    assert consent["version"] == load_consent_definition().version
    with no_weasyprint_logs():
        return render_packet(ConsentRecord(**{**record.__dict__, "consent": consent}))


def test_a_clinic_consent_with_the_shipped_version_is_not_rebuilt_from_the_shipped_one() -> None:
    result = verify_packet(_clinic_consent_packet("clinic_tpi_consent"))
    assert result.ok, result.failed()
    check = {c.name: c for c in result.checks}["consent_hash"]
    assert "clinic_tpi_consent 0.1.0 is not available" in check.detail
    assert "rebuilt for this plan" not in check.detail


def test_the_definition_given_must_have_the_id_the_record_cites(packet: bytes) -> None:
    import dataclasses

    other = dataclasses.replace(load_consent_definition(), id="clinic_tpi_consent")
    check = {c.name: c for c in verify_packet(packet, consent_definition=other).checks}
    assert check["consent_hash"].passed
    assert "tpi_consent 0.1.0 is not available" in check["consent_hash"].detail
    shipped = {c.name: c for c in verify_packet(packet).checks}["consent_hash"]
    assert "equals the consent definition tpi_consent 0.1.0 rebuilt" in shipped.detail


def test_a_changed_consent_claiming_the_shipped_id_still_fails() -> None:
    result = verify_packet(_clinic_consent_packet("tpi_consent"))
    check = {c.name: c for c in result.checks}["consent_hash"]
    assert not check.passed and "differs from the consent definition tpi_consent 0.1.0" in (
        check.detail
    )


def test_the_patient_name_is_found_by_the_questionnaires_identity(tmp_path: Path) -> None:
    """A questionnaire whose name question is ``full_name``: verification looks for that answer."""
    example = Path(__file__).resolve().parent.parent / "examples" / "custom_procedure"
    for source in (example / "definitions").glob("*.toml"):
        text = source.read_text(encoding="utf-8").replace("patient_name", "full_name")
        (tmp_path / source.name).write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("joint_example", example / "run.py")
    assert spec is not None and spec.loader is not None
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    answers = {("full_name" if k == "patient_name" else k): v for k, v in run.ANSWERS.items()}

    q = load_questionnaire(tmp_path / "joint_screening.toml")
    definition = load_consent_definition(tmp_path / "joint_consent.toml", q)
    assert q.identity is not None and q.identity.name == "full_name"
    plan = PlannedProcedure(sites=("shoulder_right",), corticosteroid=True)
    now = dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC)
    document = build_consent(plan, locale="en", definition=definition)
    signer = Signature("patient", "Sam Example", now, "I agree.", "drawn", signature_png(3))
    record = build_record(
        answers,
        [signer],
        procedure=plan,
        questionnaire=q,
        created_at=now,
        consent=document.to_dict(),
    )
    renderer = PacketRenderer(
        PacketSettings(questionnaire_path=str(tmp_path / "joint_screening.toml"))
    )
    with no_weasyprint_logs():
        pdf = render_packet(record, renderer=renderer)
    assert verify_packet(pdf, consent_definition=definition).ok

    def rename(data: dict[str, Any]) -> None:
        data["answers"]["full_name"] = "Someone Else"

    result = verify_packet(reembed(pdf, rename), consent_definition=definition)
    checks = {c.name: c for c in result.checks}
    assert not checks["record_matches_pages"].passed
    assert checks["record_matches_pages"].detail == "not found on the pages: patient name"
