"""The released packet renderer: a 0.1.0 packet is re-rendered as 0.1.0 drew it, and only so."""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path
from typing import Any

import pikepdf
import pypdf
import pytest
import weasyprint
from packet_fixtures import make_record, no_weasyprint_logs, reembed, squash
from review_fixtures import CERTIFIED, STATEMENT, decision, review_record

from tpi_forms.errors import PacketError
from tpi_forms.pdf.audit import describe_event
from tpi_forms.pdf.packet import render_packet
from tpi_forms.pdf.released import (
    RELEASES,
    ReleasedPacketRenderer,
    _describe_event,
    release_of,
)
from tpi_forms.record.model import ConsentRecord
from tpi_forms.record.review import certify
from tpi_forms.verify.packet import Verification, verify_packet

FIXTURES = Path(__file__).parent / "fixtures"
# Made by 0.1.0 (the code of commit a8fe43f, whose __about__ says 0.1.0) under WeasyPrint 70.0;
# never regenerate them. packet-0.1.0.pdf and .es.pdf: see tests/test_released.py.
# packet-0.1.0.a4-kiosk.es.pdf: 0.1.0's tests/packet_fixtures.make_record("es",
# scenario="contraindicated", name="Alex Example", representative=True) at the sample clinic
# with a 120x60 PNG logo, two more audit events (kiosk_cleared by "Sam Lee, MD", clinician; a
# custom "risk_group_read" with group "neck" from kiosk-9), rendered on A4 paper. Synthetic
# patient and staff.
PACKETS = ["packet-0.1.0.pdf", "packet-0.1.0.es.pdf", "packet-0.1.0.a4-kiosk.es.pdf"]
PAGE_CHECKS = {"page_count", "page_text", "page_drawing", "hidden_text"}


def embedded(pdf: bytes) -> ConsentRecord:
    data: bytes = pypdf.PdfReader(io.BytesIO(pdf)).attachments["record.json"][0]
    return ConsentRecord.from_json(data)


def before_packet(record: ConsentRecord) -> ConsentRecord:
    """The record as it was handed to the renderer: without its ``packet_generated`` event."""
    return dataclasses.replace(record, audit=record.audit[:-1])


def failed(result: Verification) -> dict[str, str]:
    return {c.name: c.detail for c in result.failed()}


def relabel(pdf: bytes, creator: str) -> bytes:
    """The packet saved again naming ``creator`` as the software that made it."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        doc.docinfo["/Creator"] = creator
        with doc.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["xmp:CreatorTool"] = creator
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()


@pytest.mark.parametrize("name", PACKETS)
def test_the_released_renderer_draws_a_0_1_0_packet_byte_for_byte(name: str) -> None:
    pdf = (FIXTURES / name).read_bytes()
    record = embedded(pdf)
    size = "a4" if "a4" in name else "letter"
    with no_weasyprint_logs():
        made = ReleasedPacketRenderer("0.1.0", page_size=size).render(
            before_packet(record), generated_at=record.audit[-1].at
        )
    assert made == pdf


def test_a_0_1_0_kiosk_packet_on_a4_with_a_logo_verifies_in_full() -> None:
    result = verify_packet((FIXTURES / PACKETS[2]).read_bytes())
    assert result.ok, result.failed()
    checks = {c.name: c.detail for c in result.checks}
    assert "byte for byte" in checks["page_drawing"]
    assert "matches the record" in checks["logo_image"]


def test_a_0_1_0_packet_saved_again_is_compared_page_by_page_and_passes() -> None:
    # Saved again, the file is no longer the re-render byte for byte: the pages are compared.
    pdf = reembed((FIXTURES / PACKETS[0]).read_bytes(), lambda data: None)
    assert pdf != (FIXTURES / PACKETS[0]).read_bytes()
    result = verify_packet(pdf)
    assert result.ok, result.failed()
    drawing = next(c for c in result.checks if c.name == "page_drawing")
    assert "byte for byte" not in drawing.detail


def test_a_changed_answer_in_a_0_1_0_packet_fails() -> None:
    def change(data: dict[str, object]) -> None:
        answers = data["answers"]
        assert isinstance(answers, dict) and answers["has_driver"] is True
        answers["has_driver"] = False

    problems = failed(verify_packet(reembed((FIXTURES / PACKETS[0]).read_bytes(), change)))
    assert "page_text" in problems and "record_hash_printed" in problems
    assert "made by" not in problems["page_text"]  # compared with 0.1.0's own drawing


def _page_text(pdf: bytes, page: int) -> str:
    return squash(pypdf.PdfReader(io.BytesIO(pdf)).pages[page].extract_text())


def _swap_two_glyphs(pdf: bytes, page: int) -> bytes:
    """The packet saved again with two letters of a word on ``page`` swapped in place (the
    first swap that changes the page's text, spaces aside)."""
    text = _page_text(pdf, page)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        contents = doc.pages[page].Contents
        data = contents.read_bytes()
        for match in re.finditer(rb"<([0-9a-f]{4})>(-?[0-9.]+)<([0-9a-f]{4})>", data):
            first, kern, second = match.groups()  # [<0036>0<0046>0 ...] TJ: glyph, kerning
            swapped = b"<" + second + b">" + kern + b"<" + first + b">"
            contents.write(data[: match.start()] + swapped + data[match.end() :])
            out = io.BytesIO()
            doc.save(out)
            if _page_text(out.getvalue(), page) != text:
                return out.getvalue()
    raise AssertionError("no two letters to swap")


def test_edited_page_text_of_a_0_1_0_packet_fails() -> None:
    pdf = (FIXTURES / PACKETS[0]).read_bytes()
    forged = _swap_two_glyphs(pdf, 1)
    problems = failed(verify_packet(forged))
    assert set(problems) == {"page_text", "page_drawing"}
    assert problems["page_text"].endswith("on page(s) 2")


def test_a_0_1_0_packet_relabelled_as_this_version_fails() -> None:
    pdf = relabel((FIXTURES / PACKETS[0]).read_bytes(), "tpi_forms 0.2.0.dev0")
    problems = failed(verify_packet(pdf))
    assert {"page_text", "page_drawing"} <= set(problems) <= PAGE_CHECKS


def test_a_current_packet_of_a_0_1_0_record_relabelled_as_0_1_0_fails() -> None:
    # Today's renderer draws the 0.1.0 record otherwise (words, stylesheet, tagging): naming
    # 0.1.0 makes verify compare with 0.1.0's drawing, which the pages are not.
    record = embedded((FIXTURES / PACKETS[0]).read_bytes())
    with no_weasyprint_logs():
        current = render_packet(before_packet(record), generated_at=record.audit[-1].at)
    assert verify_packet(current).failed() == ()  # with its own label it passes
    problems = failed(verify_packet(relabel(current, "tpi_forms")))
    assert {"page_text", "page_drawing"} <= set(problems) <= PAGE_CHECKS
    assert "made by" not in problems["page_text"]  # the relabelled creator was believed


def test_a_current_packet_relabelled_as_0_1_0_fails(
    signed_en: tuple[ConsentRecord, bytes],
) -> None:
    problems = failed(verify_packet(relabel(signed_en[1], "tpi_forms")))
    assert {"page_text", "page_drawing"} <= set(problems) <= PAGE_CHECKS


def test_a_decision_cannot_be_left_off_by_naming_0_1_0() -> None:
    # 0.1.0 printed no clinician's decision: a record with one is refused, not drawn without it.
    with no_weasyprint_logs():
        packet = render_packet(review_record("en"))
    problems = failed(verify_packet(relabel(packet, "tpi_forms")))
    assert set(problems) == PAGE_CHECKS
    assert all("cannot be rendered again (PacketError)" in d for d in problems.values())


def test_the_release_refuses_what_it_could_not_have_made() -> None:
    record = before_packet(embedded((FIXTURES / PACKETS[0]).read_bytes()))
    renderer = ReleasedPacketRenderer()
    consent: Any = record.to_dict()["consent"]
    for role in consent["signer_roles"]:
        if role["id"] == "interpreter":  # as consent 0.2 asks for it
            role["fields"].append({"id": "interpreter_id", "label": "ID or service"})
    with_id = tuple(
        dataclasses.replace(s, interpreter_id="Language Line 4711")
        if s.role == "interpreter"
        else s
        for s in record.signatures
    )
    refused = {
        "decision": dataclasses.replace(record, review=decision()),
        "certification": dataclasses.replace(
            record, certification=certify(record.answers, STATEMENT, CERTIFIED)
        ),
        "signer field 'interpreter_id'": dataclasses.replace(
            record, consent=consent, signatures=with_id
        ),
    }
    for why, newer in refused.items():
        with pytest.raises(PacketError, match=why):
            renderer.render(newer)
    with no_weasyprint_logs():
        assert renderer.render(record)[:5] == b"%PDF-"  # the record itself renders


def test_the_packet_creator_names_the_release() -> None:
    assert release_of("tpi_forms") == "0.1.0"
    for other in ("tpi_forms 0.2.0.dev0", "tpi_forms ", "", "WeasyPrint 70.0", "TPI_FORMS"):
        assert release_of(other) is None
    assert [r.version for r in RELEASES] == ["0.1.0"]
    with pytest.raises(PacketError, match="no released packet renderer '9.9.9'"):
        ReleasedPacketRenderer("9.9.9")
    with pytest.raises(PacketError, match="unknown page size"):
        ReleasedPacketRenderer(page_size="legal")


def test_the_release_keeps_its_own_files() -> None:
    renderer = ReleasedPacketRenderer(page_size="a4")
    folder = RELEASES[0].folder
    assert sorted(p.name for p in (folder / "pdf").iterdir()) == [
        "_consent.html",
        "base.html",
        "packet.css",
        "packet.html",
        "page-a4.css",
        "page-letter.css",
    ]
    assert renderer.words.locales == ("en", "es")
    assert renderer.words.words("es")["local_anesthetic"] == "Medicamento para adormecer"
    assert renderer.questionnaire.version == "1.0.0"
    assert renderer.stylesheets[0].endswith("released/packet-0.1.0/pdf/page-a4.css")


def test_a_group_detail_prints_as_0_1_0_printed_it() -> None:
    # Risk groups came in 0.2, which words a group's id; 0.1.0 printed the value as recorded.
    t = ReleasedPacketRenderer().words.words("en")
    detail: dict[str, str | int] = {"group": "neck", "seconds": 40}
    old = _describe_event("risk_group_read", detail, t, {}, None)
    assert old.detail == "Group: neck; Time on the consent: 40 s"
    assert describe_event("risk_group_read", detail, t, {}, None).detail.startswith("Group: Neck")
    staff: dict[str, str | int] = {"by": "u7Kq", "by_name": "Sam Lee, MD", "role": "clinician"}
    assert _describe_event("kiosk_cleared", staff, t, {}, "desk-1") == describe_event(
        "kiosk_cleared", staff, t, {}, "desk-1"
    )


def test_a_record_of_this_version_is_not_drawn_by_the_release() -> None:
    # Selection is by the packet's creator only: today's packets keep today's renderer.
    with no_weasyprint_logs():
        pdf = render_packet(make_record("es"))
    metadata = pypdf.PdfReader(io.BytesIO(pdf)).metadata
    creator = str(metadata.get("/Creator") if metadata is not None else "")
    assert creator.startswith("tpi_forms 0.") and release_of(creator) is None
    assert verify_packet(pdf).ok


def test_a_failed_page_check_names_the_weasyprint_that_drew_the_packet() -> None:
    forged = _swap_two_glyphs((FIXTURES / PACKETS[0]).read_bytes(), 1)
    with pikepdf.open(io.BytesIO(forged)) as doc:
        doc.docinfo["/Producer"] = "WeasyPrint 52.5"
        out = io.BytesIO()
        doc.save(out)
    problems = failed(verify_packet(out.getvalue()))
    assert problems["page_text"].endswith(
        f"; it was drawn by WeasyPrint 52.5, this is WeasyPrint {weasyprint.__version__}"
    )
    assert "made by" not in problems["page_text"]  # the same creator: 0.1.0


def test_a_sealed_0_1_0_packet_verifies_in_full_with_its_root() -> None:
    # Sealed later (tpi-forms reseal, say): the seal's update keeps the packet's creator, so the
    # pages of the sealed revision are compared with 0.1.0's drawing.
    from seal_fixtures import make_pki

    from tpi_forms.pdf.seal import seal_pdf

    pki = make_pki()
    sealed = seal_pdf((FIXTURES / PACKETS[1]).read_bytes(), pki.clinic_key, pki.clinic_cert)
    result = verify_packet(sealed, trust_roots=[pki.ca_cert])
    assert result.ok, result.failed()
    checks = {c.name: c.detail for c in result.checks}
    assert checks["page_drawing"] == "every page is the re-render's, object for object"
    forged = _swap_two_glyphs(sealed, 1)
    problems = failed(verify_packet(forged, trust_roots=[pki.ca_cert]))
    assert {"page_text", "page_drawing"} <= set(problems)


def test_a_0_1_0_packet_verifies_with_either_consent_definition_given() -> None:
    # A caller's definition lends its questionnaire to the release only at the version the
    # record cites (1.0.0); today's (2.0.0) words its answers otherwise.
    from tpi_forms.definitions.consent import load_consent_definition
    from tpi_forms.definitions.released import load_released_consent

    pdf = (FIXTURES / PACKETS[0]).read_bytes()
    for definition in (load_released_consent("0.1.0"), load_consent_definition()):
        result = verify_packet(pdf, consent_definition=definition)
        assert result.ok, (definition.version, result.failed())
