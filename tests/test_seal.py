"""PAdES seal: made invisibly, keeps PDF/A, validates against given roots, fails when tampered."""

from __future__ import annotations

import io
import re

import pikepdf
import pytest
from cryptography.hazmat.primitives import serialization
from seal_fixtures import Pki, make_pki

from tpi_forms.kiosk.sealing import make_self_signed
from tpi_forms.pdf.seal import SEAL_FIELD, SealError, seal_pdf
from tpi_forms.record.model import ConsentRecord
from tpi_forms.verify.packet import verify_packet


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


@pytest.fixture(scope="module")
def sealed(pki: Pki, signed_en: tuple[ConsentRecord, bytes]) -> bytes:
    return seal_pdf(signed_en[1], pki.clinic_key, pki.clinic_cert)


def checks(pdf: bytes, roots: list[bytes] | None) -> dict[str, bool]:
    return {c.name: c.passed for c in verify_packet(pdf, trust_roots=roots).checks}


def test_seal_validates_against_its_root(sealed: bytes, pki: Pki) -> None:
    result = verify_packet(sealed, trust_roots=[pki.ca_cert])
    assert result.ok, result.failed()
    by_name = {c.name: c for c in result.checks}
    assert by_name["seal_trusted"].passed
    assert "PAdES" in by_name["seal_intact"].detail
    assert "covers the whole file" in by_name["seal_intact"].detail


def test_seal_is_pades_invisible_and_keeps_pdfa(sealed: bytes) -> None:
    with pikepdf.open(io.BytesIO(sealed)) as pdf:
        assert pdf.open_metadata().pdfa_status == "3U"
        assert len(pdf.attachments) == 1
        (field,) = pdf.Root.AcroForm.Fields
        assert field.T == SEAL_FIELD
        assert field.V.SubFilter == "/ETSI.CAdES.detached"
        assert [float(x) for x in field.Rect] == [0, 0, 0, 0]  # invisible: nothing to render
        assert int(field.F) & 4  # printable flag, as PDF/A wants for every annotation
        assert "/NeedAppearances" not in pdf.Root.AcroForm


def test_an_untrusted_root_fails_but_integrity_holds(sealed: bytes, pki: Pki) -> None:
    result = checks(sealed, [pki.other_ca_cert])
    assert result["seal_intact"] is True
    assert result["seal_trusted"] is False


def test_without_trust_roots_a_seal_is_intact_but_not_trusted(sealed: bytes) -> None:
    """Anyone can seal with a self-signed certificate: without roots the seal is not "ok"."""
    result = checks(sealed, None)
    assert result["seal_intact"] is True
    assert result["seal_trusted"] is False
    verification = verify_packet(sealed)
    assert not verification.ok
    assert [c.name for c in verification.failed()] == ["seal_trusted"]
    assert verification.failed()[0].detail.startswith("seal not trusted")


def test_a_self_signed_forgers_seal_is_not_trusted(
    signed_en: tuple[ConsentRecord, bytes], pki: Pki
) -> None:
    """A forger seals a packet with a certificate of their own: verify without --trust says
    "seal not trusted" and exits 1; with the clinic's root it fails to chain."""
    key, cert = make_self_signed("Sample Pain Clinic")  # the clinic's name, a forger's key
    forged = seal_pdf(signed_en[1], key, cert)
    result = verify_packet(forged)
    check = {c.name: c for c in result.checks}["seal_trusted"]
    assert not result.ok and not check.passed and "seal not trusted" in check.detail
    assert checks(forged, [pki.ca_cert])["seal_trusted"] is False


def test_a_changed_byte_inside_the_sealed_range_fails(sealed: bytes, pki: Pki) -> None:
    # Change a byte of the producer string: harmless to the PDF structure, fatal to the seal.
    index = sealed.index(b"WeasyPrint")
    tampered = sealed[:index] + b"V" + sealed[index + 1 :]
    result = checks(tampered, [pki.ca_cert])
    assert result["seal_intact"] is False


def test_an_update_appended_after_sealing_fails(sealed: bytes, pki: Pki) -> None:
    with pikepdf.open(io.BytesIO(sealed)) as pdf:
        pdf.Root.Lang = pikepdf.String("fr")
        out = io.BytesIO()
        pdf.save(out, linearize=False)
    appended = out.getvalue()
    result = checks(appended, [pki.ca_cert])
    assert not all(result.values())


def test_incremental_update_after_sealing_fails(sealed: bytes, pki: Pki) -> None:
    from pyhanko.pdf_utils.generic import NameObject, TextStringObject
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(sealed))
    writer.root[NameObject("/Lang")] = TextStringObject("fr")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    result = checks(out.getvalue(), [pki.ca_cert])
    assert result["seal_intact"] is False


def test_encrypted_key_needs_its_passphrase(
    pki: Pki, signed_en: tuple[ConsentRecord, bytes]
) -> None:
    key = serialization.load_pem_private_key(pki.clinic_key, None)
    locked = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    packet = signed_en[1]
    sealed = seal_pdf(packet, locked, pki.clinic_cert, passphrase=b"secret")
    assert checks(sealed, [pki.ca_cert])["seal_trusted"]
    with pytest.raises(SealError):
        seal_pdf(packet, locked, pki.clinic_cert, passphrase=b"wrong")


def test_bad_certificate_is_a_clear_error(pki: Pki) -> None:
    with pytest.raises(SealError):
        seal_pdf(b"%PDF-1.7", pki.clinic_key, b"not a certificate")


def test_seal_contains_no_visible_font(sealed: bytes) -> None:
    """pyHanko's default stamp uses a non-embedded font, which PDF/A forbids; we add none."""
    assert not re.search(rb"/BaseFont\s*/Courier", sealed)
