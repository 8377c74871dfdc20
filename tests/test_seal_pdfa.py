"""Sealing keeps the packet PDF/A-3: PDF 1.7 with EC and RSA keys, Info and XMP in step."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pikepdf
import pypdf
import pytest
from seal_fixtures import Pki, make_pki

from tpi_forms.errors import SealError
from tpi_forms.pdf.seal import seal_pdf
from tpi_forms.record.model import ConsentRecord
from tpi_forms.verify.packet import verify_packet

PRODUCER = "{http://ns.adobe.com/pdf/1.3/}Producer"
MODIFIED = "{http://ns.adobe.com/xap/1.0/}ModifyDate"
CHANGED_BY_A_SEAL = {PRODUCER, MODIFIED, "{http://ns.adobe.com/xap/1.0/}MetadataDate"}


@pytest.fixture(scope="module")
def packet(signed_en: tuple[ConsentRecord, bytes]) -> bytes:
    return signed_en[1]


@pytest.fixture(scope="module", params=["ec", "rsa"])
def key_type(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def pki(key_type: str) -> Pki:
    return make_pki(key_type)


@pytest.fixture(scope="module")
def sealed(packet: bytes, pki: Pki) -> bytes:
    return seal_pdf(packet, pki.clinic_key, pki.clinic_cert)


def xmp(pdf: bytes) -> dict[str, object]:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        meta = doc.open_metadata()
        return {key: meta.get(key) for key in meta}


def test_the_seal_is_made_with_the_key_type_asked_for(sealed: bytes, key_type: str) -> None:
    trailer: Any = pypdf.PdfReader(io.BytesIO(sealed)).trailer
    contents = trailer["/Root"]["/AcroForm"]["/Fields"][0].get_object()["/V"]["/Contents"]
    from asn1crypto import cms  # type: ignore[import-untyped]

    signer = cms.ContentInfo.load(bytes(contents).rstrip(b"\0"))["content"]["signer_infos"][0]
    algorithm = signer["signature_algorithm"].signature_algo
    assert algorithm == {"ec": "ecdsa", "rsa": "rsassa_pkcs1v15"}[key_type]


def test_sealed_packet_stays_pdf_1_7(sealed: bytes) -> None:
    assert sealed.startswith(b"%PDF-1.7\n")
    with pikepdf.open(io.BytesIO(sealed)) as pdf:
        assert pdf.pdf_version == "1.7"
        assert "/Version" not in pdf.Root or str(pdf.Root.Version) <= "/1.7"
        extensions = pdf.Root.get("/Extensions", pikepdf.Dictionary())
        assert "/ISO_" not in extensions  # ISO/TS 32002 belongs to PDF 2.0
        assert str(extensions.ESIC.BaseVersion) == "/1.7"  # PAdES's own declaration
    assert pypdf.PdfReader(io.BytesIO(sealed)).pdf_header == "%PDF-1.7"


def test_info_and_xmp_agree_on_producer_and_dates(sealed: bytes) -> None:
    with pikepdf.open(io.BytesIO(sealed)) as pdf:
        info = pdf.docinfo
        meta = pdf.open_metadata()
        producer = str(info.Producer)
        assert producer == meta[PRODUCER]
        assert "WeasyPrint" in producer and "pyHanko" in producer  # who made it, who sealed it
        modified = pikepdf.models.metadata.decode_pdf_date(str(info.ModDate))
        assert modified == dt.datetime.fromisoformat(meta[MODIFIED])
        created = pikepdf.models.metadata.decode_pdf_date(str(info.CreationDate))
        assert created == dt.datetime.fromisoformat(
            meta["{http://ns.adobe.com/xap/1.0/}CreateDate"]
        )
        assert modified >= created
    document_info = pypdf.PdfReader(io.BytesIO(sealed)).metadata
    assert document_info is not None and document_info.producer == producer


def test_the_rest_of_the_xmp_is_kept(packet: bytes, sealed: bytes) -> None:
    before, after = xmp(packet), xmp(sealed)
    assert after["{http://www.aiim.org/pdfa/ns/id/}part"] == "3"
    kept = {k: v for k, v in before.items() if k not in CHANGED_BY_A_SEAL}
    assert {k: after.get(k) for k in kept} == kept
    with pikepdf.open(io.BytesIO(packet)) as a, pikepdf.open(io.BytesIO(sealed)) as b:
        assert b.open_metadata().pdfa_status == a.open_metadata().pdfa_status == "3A"
    assert after["{http://www.aiim.org/pdfua/ns/id/}part"] == "1"


def test_sealed_packet_verifies(sealed: bytes, pki: Pki) -> None:
    result = verify_packet(sealed, trust_roots=[pki.ca_cert])
    assert result.ok, result.failed()
    assert result.seal_level == "B-B"


def test_the_xmp_update_handles_either_form_and_adds_what_is_missing() -> None:
    from tpi_forms.pdf.seal import _updated_xmp

    packet = (
        b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF'
        b' xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">'
        b'<rdf:Description rdf:about="" pdfaid:part="3" xmp:MetadataDate="2020-01-01T00:00:00Z"/>'
        b'<rdf:Description rdf:about=""><xmp:ModifyDate>2020-01-01T00:00:00Z</xmp:ModifyDate>'
        b'</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="r"?>'
    )
    when = dt.datetime(2030, 3, 2, 9, 30, tzinfo=dt.UTC)
    updated = _updated_xmp(packet, "WeasyPrint 70.0; pyHanko 0.38.0", when)
    assert updated.startswith(b'<?xpacket begin="\xef\xbb\xbf"') and updated.endswith(b'end="r"?>')
    assert b"<xmp:ModifyDate>2030-03-02T09:30:00+00:00</xmp:ModifyDate>" in updated
    assert b'xmp:MetadataDate="2030-03-02T09:30:00+00:00"' in updated
    assert b'pdf:Producer="WeasyPrint 70.0; pyHanko 0.38.0"' in updated  # added: it was missing
    assert b'pdfaid:part="3"' in updated
    assert updated.count(b"ModifyDate>") == 2  # not added a second time


@pytest.mark.parametrize(
    "xmp",
    [
        b"<x:xmpmeta",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a SYSTEM "file:///etc/passwd">]><x>&a;</x>',
    ],
)
def test_broken_or_hostile_xmp_is_a_clear_error(xmp: bytes) -> None:
    from tpi_forms.pdf.seal import _updated_xmp

    with pytest.raises(SealError, match="XMP metadata"):
        _updated_xmp(xmp, "p", dt.datetime(2030, 1, 1, tzinfo=dt.UTC))


def test_sealing_keeps_the_structure_tree(packet: bytes, sealed: bytes) -> None:
    with pikepdf.open(io.BytesIO(packet)) as a, pikepdf.open(io.BytesIO(sealed)) as b:
        assert str(b.Root.MarkInfo.Marked) == "True"
        assert str(b.Root.ViewerPreferences.DisplayDocTitle) == "True"
        assert str(b.Root.Lang) == str(a.Root.Lang) == "en"
        before, after = a.Root.StructTreeRoot.K[0], b.Root.StructTreeRoot.K[0]
        assert len(after.K) == len(before.K) > 5
        assert [str(k.S) for k in after.K] == [str(k.S) for k in before.K]
        figures = [k for k in after.K if k.S == "/Sect" for k in k.K if k.S == "/Div"]
        assert figures  # the signature blocks are still there
