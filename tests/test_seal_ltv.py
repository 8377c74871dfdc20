"""Long-term seals against a real local PKI (certomancer over HTTP on 127.0.0.1).

Sealing happens on `SEALED_ON`; the tests then travel in time (freezegun, which the PKI's HTTP
server in this process follows too) to check the packets after certificates expire or are
revoked, and after the time-stamping authority's certificate expires.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pikepdf
import pytest
from freezegun import freeze_time
from seal_fixtures import SEALED_ON, LocalPki, serve_pki

from tpi_forms.errors import SealError
from tpi_forms.pdf.seal import reseal_pdf, seal_pdf
from tpi_forms.record.model import ConsentRecord
from tpi_forms.verify.packet import Verification, verify_packet

LATER = SEALED_ON + dt.timedelta(hours=1)


def day(year: int, month: int, date: int) -> dt.datetime:
    return dt.datetime(year, month, date, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def pki() -> Iterator[LocalPki]:
    with serve_pki() as served:
        yield served


@pytest.fixture(scope="module")
def packet(signed_en: tuple[ConsentRecord, bytes]) -> bytes:
    return signed_en[1]


def seal(
    pki: LocalPki,
    pdf: bytes,
    level: str,
    *,
    cert: str = "clinic",
    when: dt.datetime = SEALED_ON,
    tsa: str = "tsa",
) -> bytes:
    with freeze_time(when, tick=True, real_asyncio=True):
        return seal_pdf(
            pdf,
            pki.key_pem(cert),
            pki.cert_pem(cert),
            chain_pem=pki.chain_pem(),
            level=level,
            tsa_url=pki.tsa_url(tsa) if level != "B-B" else None,
            trust_roots=[pki.root_pem, pki.tsa_root_pem],
        )


def verify(
    pki: LocalPki,
    pdf: bytes,
    when: dt.datetime,
    *,
    online: bool = False,
    tsa_roots: list[bytes] | None = None,
    require_level: str | None = None,
) -> Verification:
    """`verify_packet` on ``when``, trusting the clinic root and the time-stamping root."""
    with freeze_time(when, tick=True, real_asyncio=True):
        return verify_packet(
            pdf,
            trust_roots=[pki.root_pem],
            tsa_roots=[pki.tsa_root_pem] if tsa_roots is None else tsa_roots,
            online=online,
            require_level=require_level,
        )


def by_name(result: Verification) -> dict[str, tuple[bool, str]]:
    return {c.name: (c.passed, c.detail) for c in result.checks}


@pytest.fixture(scope="module")
def sealed(pki: LocalPki, packet: bytes) -> dict[str, bytes]:
    return {level: seal(pki, packet, level) for level in ("B-B", "B-T", "B-LT", "B-LTA")}


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT", "B-LTA"])
def test_each_level_verifies_and_is_reported(
    pki: LocalPki, sealed: dict[str, bytes], level: str
) -> None:
    result = verify(pki, sealed[level], LATER)
    assert result.ok, result.failed()
    assert result.seal_level == level
    checks = by_name(result)
    assert checks["seal_level"] == (True, f"PAdES {level} reached")
    assert ("seal_timestamp" in checks) == (level != "B-B")
    assert ("seal_revocation" in checks) == (level in ("B-LT", "B-LTA"))
    assert ("seal_archive_timestamps" in checks) == (level == "B-LTA")
    if level != "B-B":
        assert "RFC 3161 timestamp 2030-03-02 09:30 UTC" in checks["seal_timestamp"][1]
    if level in ("B-LT", "B-LTA"):
        assert "OCSP response(s)" in checks["seal_revocation"][1]


def test_the_updates_after_a_seal_are_analysed_once(
    pki: LocalPki, sealed: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The revisions check and the seal check share pyHanko's difference analysis of the
    revocation data added after the seal (B-LT: no long-term validation analysing it again)."""
    from pyhanko.sign.validation import EmbeddedPdfSignature

    analysed: list[int] = []
    original = EmbeddedPdfSignature.evaluate_modifications

    def counting(self: EmbeddedPdfSignature, *args: Any, **kwargs: Any) -> Any:
        analysed.append(self.signed_revision)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(EmbeddedPdfSignature, "evaluate_modifications", counting)
    result = verify(pki, sealed["B-LT"], LATER)
    assert result.ok, result.failed()
    seal_revision = min(analysed)
    assert analysed.count(seal_revision) == 1, analysed
    checks = by_name(result)
    assert "only revocation data and timestamps were added" in checks["seal_intact"][1]


@pytest.mark.parametrize("level", ["B-T", "B-LT", "B-LTA"])
def test_long_term_packets_stay_pdf_1_7_with_info_and_xmp_in_step(
    sealed: dict[str, bytes], level: str
) -> None:
    with pikepdf.open(io.BytesIO(sealed[level])) as pdf:
        assert pdf.pdf_version == "1.7" and "/Version" not in pdf.Root
        assert "/ISO_" not in pdf.Root.Extensions
        assert str(pdf.docinfo.Producer) == pdf.open_metadata()["pdf:Producer"]
        assert pdf.open_metadata()["pdfaid:part"] == "3"
        assert ("/DSS" in pdf.Root) == (level != "B-T")
        fields = [str(f.T) for f in pdf.Root.AcroForm.Fields]
        assert fields == (
            ["ClinicSeal", "ArchiveTimestamp1"] if level == "B-LTA" else ["ClinicSeal"]
        )
        for field in pdf.Root.AcroForm.Fields:  # invisible: nothing to render, no font
            assert [float(x) for x in field.Rect] == [0, 0, 0, 0]


def test_a_level_below_the_one_required_fails(pki: LocalPki, sealed: dict[str, bytes]) -> None:
    result = verify(pki, sealed["B-T"], LATER, require_level="B-LTA")
    assert not result.ok
    assert by_name(result)["seal_level"] == (
        False,
        "PAdES B-T reached; at least B-LTA was required",
    )
    assert verify(pki, sealed["B-LTA"], LATER, require_level="B-LT").ok


def test_a_timestamp_authority_outside_the_given_roots_fails(
    pki: LocalPki, sealed: dict[str, bytes]
) -> None:
    result = verify(pki, sealed["B-T"], LATER, tsa_roots=[])
    assert not result.ok
    assert by_name(result)["seal_timestamp"][0] is False
    assert result.seal_level == "B-B"


def test_long_term_seal_outlives_its_certificate(pki: LocalPki, packet: bytes) -> None:
    """A certificate that expired after sealing: B-LT validates, B-B no longer can."""
    lt = seal(pki, packet, "B-LT", cert="clinic-short")  # expires 2030-04-01
    result = verify(pki, lt, day(2030, 6, 1))
    assert result.ok, result.failed()
    assert result.seal_level == "B-LT"
    assert "valid at the seal's timestamp 2030-03-02" in by_name(result)["seal_trusted"][1]

    bare = seal(pki, packet, "B-B", cert="clinic-short")
    result = verify(pki, bare, day(2030, 6, 1))
    assert not result.ok and result.seal_level is None
    assert by_name(result)["seal_trusted"] == (
        False,
        "the certificate expired on 2030-04-01 and no timestamp proves the seal is older",
    )


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LT"])
def test_sealing_with_an_expired_certificate_is_refused(
    pki: LocalPki, packet: bytes, level: str
) -> None:
    with pytest.raises(SealError, match="expired on 2030-04-01"):
        seal(pki, packet, level, cert="clinic-short", when=day(2030, 5, 1))


def test_a_seal_made_after_its_certificate_expired_fails(pki: LocalPki, packet: bytes) -> None:
    """Made by another tool that does not refuse: the timestamp proves it came too late."""
    from pyhanko.keys import load_private_key_from_pemder_data
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    signer = signers.SimpleSigner(
        signing_cert=pki.arch.get_cert("clinic-short"),
        signing_key=load_private_key_from_pemder_data(pki.key_pem("clinic-short"), None),
        cert_registry=SimpleCertificateStore.from_certs([pki.arch.get_cert("interm")]),  # type: ignore[no-untyped-call]
    )
    with freeze_time(day(2030, 5, 1), tick=True, real_asyncio=True):
        late = signers.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(packet)),
            signers.PdfSignatureMetadata(
                field_name="ClinicSeal", subfilter=fields.SigSeedSubFilter.PADES
            ),
            signer=signer,
            timestamper=timestamps.HTTPTimeStamper(pki.tsa_url()),
        ).getvalue()
    result = verify(pki, late, day(2030, 5, 2))
    assert not result.ok and result.seal_level is None
    trusted = by_name(result)["seal_trusted"]
    assert trusted == (
        False,
        "the certificate expired on 2030-04-01, before the seal's timestamp 2030-05-01 00:00 UTC",
    )


def test_revoked_after_sealing_with_the_timestamp_before_stays_valid(
    pki: LocalPki, packet: bytes
) -> None:
    lt = seal(pki, packet, "B-LT", cert="clinic-revoked-later")  # revoked 2030-06-01
    offline = verify(pki, lt, day(2030, 7, 1))
    assert offline.ok, offline.failed()
    assert offline.seal_level == "B-LT"
    online = verify(pki, lt, day(2030, 7, 1), online=True)
    assert online.ok, online.failed()
    assert online.seal_level == "B-LT"
    assert by_name(online)["seal_current_status"] == (
        True,
        "revocation status fetched today: revoked on 2030-06-01 00:00 UTC, after the seal's "
        "time 2030-03-02 09:30 UTC: the seal stays valid",
    )


def test_revoked_before_sealing_fails(pki: LocalPki, packet: bytes) -> None:
    with pytest.raises(SealError, match="revoked"):
        seal(pki, packet, "B-LT", cert="clinic-revoked-before")  # revoked 2030-01-01
    bt = seal(pki, packet, "B-T", cert="clinic-revoked-before")
    result = verify(pki, bt, LATER, online=True)
    assert not result.ok and result.seal_level is None
    passed, detail = by_name(result)["seal_current_status"]
    assert not passed
    assert "revoked on 2030-01-01 00:00 UTC, and nothing proves the seal is older" in detail


def _flip_in_signature_of(pdf: bytes, token: object) -> bytes:
    """Change one hex digit of the CMS signature value of ``token`` where it sits in the file."""
    value: bytes = token["signer_infos"][0]["signature"].native  # type: ignore[index]
    for encoded in (value.hex().encode(), value.hex().upper().encode()):
        at = pdf.find(encoded)
        if at >= 0:
            middle = at + len(encoded) // 2
            digit = b"0" if pdf[middle : middle + 1] != b"0" else b"1"
            return pdf[:middle] + digit + pdf[middle + 1 :]
    raise AssertionError("token not found in the file")


def test_a_tampered_signature_timestamp_fails(pki: LocalPki, sealed: dict[str, bytes]) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader

    original = sealed["B-LT"]
    seal_sig = PdfFileReader(io.BytesIO(original)).embedded_regular_signatures[0]
    (attr,) = [
        a
        for a in seal_sig.signer_info["unsigned_attrs"]
        if a["type"].native == "signature_time_stamp_token"
    ]
    tampered = _flip_in_signature_of(original, attr["values"][0]["content"])
    result = verify(pki, tampered, LATER)
    assert not result.ok
    checks = by_name(result)
    assert checks["seal_intact"][0]  # the seal itself is untouched
    assert checks["seal_timestamp"] == (
        False,
        "the RFC 3161 timestamp token is damaged or does not match the seal",
    )
    assert result.seal_level == "B-B"


def test_a_tampered_document_timestamp_fails(pki: LocalPki, sealed: dict[str, bytes]) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader

    original = sealed["B-LTA"]
    stamp = PdfFileReader(io.BytesIO(original)).embedded_timestamp_signatures[0]
    tampered = _flip_in_signature_of(original, stamp.signed_data)
    result = verify(pki, tampered, LATER)
    assert not result.ok
    assert by_name(result)["seal_archive_timestamps"] == (False, "document timestamp(s) 1 damaged")
    assert result.seal_level != "B-LTA"


def test_reseal_renews_the_archive_before_its_timestamp_expires(
    pki: LocalPki, packet: bytes
) -> None:
    lta = seal(pki, packet, "B-LTA", tsa="tsa-short")  # that authority expires 2031-01-01
    assert verify(pki, lta, day(2030, 12, 1)).ok
    missed = verify(pki, lta, day(2031, 6, 1))
    assert not missed.ok
    assert "was a renewal missed?" in by_name(missed)["seal_archive_timestamps"][1]

    with freeze_time(day(2030, 12, 1), tick=True, real_asyncio=True):
        renewed = reseal_pdf(
            lta, tsa_url=pki.tsa_url(), trust_roots=[pki.root_pem, pki.tsa_root_pem]
        )
    assert renewed.startswith(lta)  # an incremental update: every earlier byte kept
    for when in (day(2031, 6, 1), day(2033, 6, 1)):  # after the clinic certificate expired too
        result = verify(pki, renewed, when)
        assert result.ok, (when, result.failed())
        assert result.seal_level == "B-LTA"
        archive = by_name(result)["seal_archive_timestamps"][1]
        assert archive.startswith("2 document timestamp(s), the newest 2030-12-01")
        assert "renew with 'tpi-forms reseal' before 2045-01-01" in archive
    with pikepdf.open(io.BytesIO(renewed)) as pdf:
        assert pdf.pdf_version == "1.7" and "/Version" not in pdf.Root
        assert str(pdf.docinfo.Producer) == pdf.open_metadata()["pdf:Producer"]


def test_reseal_turns_a_b_t_packet_into_b_lta(pki: LocalPki, sealed: dict[str, bytes]) -> None:
    """Called from inside an event loop, as an async web app would (the other tests: without)."""

    async def handler() -> bytes:
        return reseal_pdf(
            sealed["B-T"], tsa_url=pki.tsa_url(), trust_roots=[pki.root_pem, pki.tsa_root_pem]
        )

    with freeze_time(LATER, tick=True, real_asyncio=True):
        renewed = asyncio.run(handler())
    result = verify(pki, renewed, LATER + dt.timedelta(minutes=5))
    assert result.ok, result.failed()
    assert result.seal_level == "B-LTA"


def test_reseal_refuses_a_packet_changed_after_sealing(
    pki: LocalPki, sealed: dict[str, bytes]
) -> None:
    from pyhanko.pdf_utils.generic import NameObject, TextStringObject
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(sealed["B-LT"]))
    writer.root[NameObject("/Lang")] = TextStringObject("fr")
    writer.update_root()  # type: ignore[no-untyped-call]
    changed = io.BytesIO()
    writer.write(changed)  # type: ignore[no-untyped-call]
    with (
        freeze_time(LATER, tick=True, real_asyncio=True),
        pytest.raises(SealError, match="no longer matches the file"),
    ):
        reseal_pdf(changed.getvalue(), tsa_url=pki.tsa_url(), trust_roots=[pki.root_pem])


def test_reseal_needs_a_seal_and_roots(pki: LocalPki, packet: bytes) -> None:
    with pytest.raises(SealError, match="no seal to renew"):
        reseal_pdf(packet, tsa_url=pki.tsa_url(), trust_roots=[pki.root_pem])
    with pytest.raises(SealError, match="needs the trust roots"):
        reseal_pdf(packet, tsa_url=pki.tsa_url(), trust_roots=[])


@pytest.mark.parametrize(
    ("level", "url", "message"),
    [
        ("B-T", "ftp://127.0.0.1/tsa", "must be an http:// or https:// URL"),
        ("B-T", "http://127.0.0.1:9/tsa", "time-stamping authority did not answer"),
        ("B-T", None, "needs a time-stamping authority URL"),
        ("B-LT", "{tsa}", "needs the trust roots"),
        ("B-X", None, "unknown seal level"),
    ],
)
def test_bad_long_term_settings_are_clear_errors(
    pki: LocalPki, packet: bytes, level: str, url: str | None, message: str
) -> None:
    with (
        freeze_time(SEALED_ON, tick=True, real_asyncio=True),
        pytest.raises(SealError, match=message),
    ):
        seal_pdf(
            packet,
            pki.key_pem("clinic"),
            pki.cert_pem("clinic"),
            level=level,
            tsa_url=url.format(tsa=pki.tsa_url()) if url else None,
        )
