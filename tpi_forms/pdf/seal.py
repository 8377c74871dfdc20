"""A clinic's cryptographic seal on a packet: PAdES B-B to B-LTA with pyHanko (extra ``pades``).

The seal is invisible (no appearance stream, so no font to embed) and is added as an
incremental update, so every byte before the seal is kept. The levels build on each other:

- **B-B**: the seal alone (a CMS signature, SHA-256, ``ETSI.CAdES.detached``);
- **B-T**: plus an RFC 3161 timestamp from a time-stamping authority (``tsa_url``), which proves
  the seal existed while the certificate was valid;
- **B-LT**: plus the certificates and revocation data (OCSP responses, CRLs) of the seal and the
  timestamp, fetched at sealing time and kept in the document security store (DSS), so the seal
  validates offline after the certificates expire;
- **B-LTA**: plus a document timestamp over all of it. `reseal_pdf` adds a fresh one, with the
  revocation data of the previous one, before the previous timestamp's certificate expires.

**The file stays PDF 1.7**, as its PDF/A-3 claim requires. pyHanko declares the ISO/TS 32002
extension, and with it ``/Version /2.0``, whenever the key is ECDSA on a named curve. That
extension belongs to PDF 2.0; in PDF 1.7 an ECDSA seal is defined by PAdES itself (ETSI EN 319
142-1 through CAdES, whose algorithms ETSI TS 119 312 lists), which the ESIC extension pyHanko
adds for every PAdES seal already declares. So every update here goes through `_ArchivalWriter`,
which declines that extension and the version bump it carries, and refuses any other PDF 2.0
extension (none is reachable with SHA-256). The same writer keeps the Info dictionary and the XMP
metadata in step: pyHanko appends its name to the Info producer but replaces the XMP producer,
and reads the clock twice; here both get one producer and one modification time, and the rest of
the XMP is kept as it was written.
Trust is never implied: chains are built only to the roots the caller gives.

>>> sealed = seal_pdf(pdf, key_pem, cert_pem)  # doctest: +SKIP
>>> lta = seal_pdf(pdf, key, cert, level="B-LTA", tsa_url=url, trust_roots=[ca])  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import urllib.parse
from collections.abc import Awaitable, Iterable, Sequence
from typing import Any, TypeVar

from lxml import etree  # type: ignore[import-untyped]
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.extensions import DeveloperExtension
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import SigningError, extract_certificate_info
from pyhanko.sign.signers.constants import ISO32002
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper, TimestampDSSContentSettings
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    EmbeddedPdfSignature,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
    collect_validation_info,
)
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .._event_loop import outside_event_loop
from ..errors import SealError
from .indexed_reader import IndexedPdfReader
from .pades import LEVELS

SEAL_FIELD = "ClinicSeal"
"""Name of the (invisible) signature field the seal is written to."""
ARCHIVE_TIMESTAMP_FIELD = "ArchiveTimestamp"
"""Prefix of the (invisible) document timestamp fields `seal_pdf` and `reseal_pdf` add."""
PADES_SUBFILTER = "/ETSI.CAdES.detached"

T = TypeVar("T")
_ARCHIVAL = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)
"""Changes after a seal that keep it whole: none, or only DSS and document timestamps."""
_NS_PDF = "http://ns.adobe.com/pdf/1.3/"
_NS_XMP = "http://ns.adobe.com/xap/1.0/"
_NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


class _ArchivalWriter(IncrementalPdfFileWriter):
    """An incremental update that stays PDF 1.7 and keeps Info and XMP metadata in step."""

    def ensure_output_version(self, version: tuple[int, int]) -> None:
        if version <= (1, 7):
            super().ensure_output_version(version)  # type: ignore[no-untyped-call]

    def register_extension(self, ext: DeveloperExtension) -> None:
        if (ext.prefix_name, ext.extension_level) == (ISO32002.prefix_name, 32002):
            return  # PDF 2.0's list of ECDSA curves; PAdES (ESIC) covers ECDSA in PDF 1.7
        if str(ext.base_version) > "/1.7":
            raise SealError(f"the seal would need the PDF 2.0 extension {ext.prefix_name}")
        super().register_extension(ext)

    def _update_meta(self) -> None:
        """Write one producer and one modification time to both Info and XMP.

        This replaces pyHanko's own hook, which it calls just before writing an update; the
        tests check that Info and XMP agree after every kind of update, so a pyHanko release
        that stopped calling it would show there.
        """
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        producer = VENDOR
        info_ref = self.trailer.raw_get("/Info") if "/Info" in self.trailer else None
        if isinstance(info_ref, generic.IndirectObject):
            info = info_ref.get_object()  # type: ignore[no-untyped-call]
            earlier = str(info.get("/Producer", "")).strip()
            if earlier and VENDOR not in earlier:
                producer = f"{earlier}; {VENDOR}"
            elif earlier:
                producer = earlier
            info["/Producer"] = generic.TextStringObject(producer)
            info["/ModDate"] = generic.pdf_date(now)
            self.mark_update(info_ref)
        if "/Metadata" not in self.root:
            return
        data = getattr(self.root["/Metadata"], "data", None)
        if not isinstance(data, bytes):
            raise SealError("the packet's XMP metadata is not a stream")
        xmp = _updated_xmp(data, producer, now)
        stream = generic.StreamObject(
            {
                generic.pdf_name("/Type"): generic.pdf_name("/Metadata"),
                generic.pdf_name("/Subtype"): generic.pdf_name("/XML"),
            },
            stream_data=xmp,
        )
        self.root["/Metadata"] = self.add_object(stream)
        self.update_root()  # type: ignore[no-untyped-call]


def _updated_xmp(data: bytes, producer: str, when: dt.datetime) -> bytes:
    """The XMP packet with ``pdf:Producer`` and ``xmp:ModifyDate`` set, the rest kept."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        raise SealError("the packet's XMP metadata is not well-formed XML") from None
    stamp = when.isoformat()
    required = {f"{{{_NS_PDF}}}Producer": producer, f"{{{_NS_XMP}}}ModifyDate": stamp}
    optional = {f"{{{_NS_XMP}}}MetadataDate": stamp}  # updated only where it is written
    descriptions = list(root.iter(f"{{{_NS_RDF}}}Description"))
    if not descriptions:
        raise SealError("the packet's XMP metadata has no rdf:Description")
    for name, value in (required | optional).items():
        found = False
        for description in descriptions:
            if name in description.attrib:
                description.set(name, value)
                found = True
            for element in description.findall(name):
                element.text = value
                found = True
        if not found and name in required:
            descriptions[0].set(name, value)
    out: bytes = etree.tostring(root.getroottree(), encoding="utf-8", xml_declaration=False)
    return out


def _load_signer(
    key_pem: bytes, cert_pem: bytes, chain_pem: bytes, passphrase: bytes | None
) -> signers.SimpleSigner:
    try:
        key = load_private_key_from_pemder_data(key_pem, passphrase=passphrase)
        certs = list(load_certs_from_pemder_data(cert_pem))
        chain = certs[1:] + (list(load_certs_from_pemder_data(chain_pem)) if chain_pem else [])
    except (ValueError, TypeError) as exc:
        raise SealError(f"cannot read the seal key or certificate ({type(exc).__name__})") from None
    if not certs:
        raise SealError("the certificate file holds no certificate")
    now = dt.datetime.now(dt.UTC)
    validity = certs[0]["tbs_certificate"]["validity"]
    if validity["not_after"].native < now:
        raise SealError(f"the seal certificate expired on {validity['not_after'].native:%Y-%m-%d}")
    if validity["not_before"].native > now:
        raise SealError(
            f"the seal certificate is not valid before {validity['not_before'].native:%Y-%m-%d}"
        )
    return signers.SimpleSigner(
        signing_cert=certs[0],
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs(chain),  # type: ignore[no-untyped-call]
    )


def load_roots(trust_roots: Sequence[bytes], what: str = "trust root") -> list[Any]:
    """Certificates from PEM or DER bytes; a clear error naming the one that is not."""
    roots: list[Any] = []
    for number, data in enumerate(trust_roots, start=1):
        try:
            found = list(load_certs_from_pemder_data(data))
        except (ValueError, TypeError):
            found = []
        if not found:
            raise SealError(f"{what} {number} is not a PEM or DER certificate")
        roots.extend(found)
    return roots


def _timestamper(tsa_url: str, timeout: float) -> HTTPTimeStamper:
    parts = urllib.parse.urlsplit(tsa_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SealError("the time-stamping address must be an http:// or https:// URL")
    return HTTPTimeStamper(tsa_url, timeout=timeout)


def _fetching_context(roots: list[Any], extra: Iterable[Any]) -> ValidationContext:
    """Fetches revocation data for every certificate on the way to ``roots``; none may lack it."""
    return ValidationContext(
        trust_roots=roots, other_certs=list(extra), allow_fetching=True, revocation_mode="require"
    )


@outside_event_loop
def seal_pdf(
    pdf_bytes: bytes,
    key_pem: bytes,
    cert_pem: bytes,
    *,
    passphrase: bytes | None = None,
    chain_pem: bytes = b"",
    reason: str = "Consent packet sealed by the clinic",
    location: str | None = None,
    level: str = "B-B",
    tsa_url: str | None = None,
    trust_roots: Sequence[bytes] = (),
    timeout: float = 10.0,
) -> bytes:
    """Seal ``pdf_bytes`` with the clinic's key and certificate, invisibly, at a PAdES ``level``.

    :param cert_pem: the clinic certificate (PEM or DER); further certificates in it, and those
        in ``chain_pem``, are embedded as the chain.
    :param level: ``B-B``, ``B-T`` (needs ``tsa_url``), ``B-LT`` or ``B-LTA`` (both also need
        ``trust_roots``: the roots the seal and the timestamps chain to, so their revocation
        data can be fetched and checked now).
    :raises SealError: a bad key, certificate, passphrase or URL; a certificate expired or
        revoked; a time-stamping or revocation server that does not answer.
    """
    if level not in LEVELS:
        raise SealError(f"unknown seal level {level!r}; choose one of {', '.join(LEVELS)}")
    rank = LEVELS.index(level)
    if rank >= 1 and not tsa_url:
        raise SealError(f"a {level} seal needs a time-stamping authority URL")
    if rank >= 2 and not trust_roots:
        raise SealError(f"a {level} seal needs the trust roots its revocation data chains to")
    roots = load_roots(trust_roots)
    signer = _load_signer(key_pem, cert_pem, chain_pem, passphrase)
    timestamper = _timestamper(tsa_url, timeout) if tsa_url else None
    meta = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    try:
        stream = io.BytesIO(pdf_bytes)
        writer = _ArchivalWriter(stream, prev=IndexedPdfReader(stream, strict=False))
        output = signers.sign_pdf(
            writer,
            meta,
            signer=signer,
            timestamper=timestamper,
            new_field_spec=fields.SigFieldSpec(sig_field_name=SEAL_FIELD),
        )
    except TimestampRequestError as exc:
        raise SealError(f"the time-stamping authority did not answer ({exc})") from None
    except (SigningError, ValueError, OSError) as exc:
        raise SealError(f"the packet could not be sealed ({type(exc).__name__})") from None
    sealed: bytes = output.getvalue()
    if rank < 2:
        return sealed
    assert timestamper is not None
    context = _fetching_context(roots, signer.cert_registry)
    return asyncio.run(
        _released(_add_long_term_data(sealed, context, timestamper, archive=rank == 3), context)
    )


async def _released(work: Awaitable[T], context: ValidationContext) -> T:
    """Await ``work``, then close the HTTP session the context opened for fetching."""
    try:
        return await work
    finally:
        await context.aclose()  # type: ignore[no-untyped-call]


async def _add_long_term_data(
    pdf_bytes: bytes, context: ValidationContext, timestamper: HTTPTimeStamper, *, archive: bool
) -> bytes:
    """One update: the DSS for the newest seal, and, when ``archive``, a document timestamp."""
    reader = IndexedPdfReader(io.BytesIO(pdf_bytes), strict=False)
    seal = reader.embedded_regular_signatures[-1]
    try:
        paths = await collect_validation_info(seal, context)
    except (PathBuildingError, PathValidationError) as exc:
        raise SealError(f"the revocation data cannot be gathered: {_why(exc)}") from None
    writer = _ArchivalWriter(reader.stream, prev=reader)
    DocumentSecurityStore.supply_dss_in_writer(
        writer, None, paths=paths, validation_context=context
    )
    if archive:
        return await _archive_timestamp(writer, context, timestamper)
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    return out.getvalue()


async def _archive_timestamp(
    writer: _ArchivalWriter, context: ValidationContext, timestamper: HTTPTimeStamper
) -> bytes:
    """Add a document timestamp, with its authority's revocation data put in the DSS first."""
    number = 1 + len(writer.prev.embedded_timestamp_signatures)
    stamper = PdfTimeStamper(timestamper, field_name=f"{ARCHIVE_TIMESTAMP_FIELD}{number}")
    try:
        output = await stamper.async_timestamp_pdf(
            writer,
            "sha256",
            validation_context=context,
            dss_settings=TimestampDSSContentSettings(update_before_ts=True, include_vri=False),
        )
    except TimestampRequestError as exc:
        raise SealError(f"the time-stamping authority did not answer ({exc})") from None
    except (PathBuildingError, PathValidationError) as exc:
        raise SealError(f"the timestamp's revocation data is missing: {_why(exc)}") from None
    result: bytes = output.getvalue()
    return result


def _why(exc: Exception) -> str:
    """pyhanko-certvalidator's one-line reason (names certificates, never patient text)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]


@outside_event_loop
def reseal_pdf(
    pdf_bytes: bytes, *, tsa_url: str, trust_roots: Sequence[bytes], timeout: float = 10.0
) -> bytes:
    """Add a fresh document timestamp to a sealed packet (PAdES B-LTA renewal).

    Every seal must be intact, and the newest timestamp in the file (a document timestamp, else
    the seal's own) must still validate against ``trust_roots`` today: its revocation data goes
    into the DSS, then a new document timestamp covers everything. A seal without revocation
    data gets it first (so a B-T packet becomes B-LTA), which needs its certificate valid today.

    :raises SealError: no seal, a changed or broken seal, a timestamp that no longer validates,
        or a server that does not answer.
    """
    roots = load_roots(trust_roots)
    if not roots:
        raise SealError("resealing needs the trust roots of the seal and its timestamps")
    timestamper = _timestamper(tsa_url, timeout)
    try:
        reader = IndexedPdfReader(io.BytesIO(pdf_bytes), strict=False)
        seals = reader.embedded_regular_signatures
    except Exception as exc:  # pyHanko raises many types on damaged files
        raise SealError(f"the packet cannot be read ({type(exc).__name__})") from None
    if not seals:
        raise SealError("the packet has no seal to renew")
    context = _fetching_context(roots, ())
    return asyncio.run(_released(_reseal(reader, roots, context, timestamper), context))


def _signature_timestamp(seal: EmbeddedPdfSignature) -> Any | None:
    """The RFC 3161 token in the seal's unsigned attributes (PAdES B-T), if any."""
    attrs = seal.signer_info["unsigned_attrs"]
    if attrs.native is None:
        return None
    for attr in attrs:
        if attr["type"].native == "signature_time_stamp_token":
            return attr["values"][0]["content"]
    return None


def has_revocation_data(reader: PdfFileReader) -> bool:
    """Whether the document security store holds any OCSP response or CRL."""
    if "/DSS" not in reader.root:
        return False
    dss = DocumentSecurityStore.read_dss(reader)
    return bool(dss.ocsps or dss.crls)


async def _reseal(
    reader: PdfFileReader,
    roots: list[Any],
    context: ValidationContext,
    timestamper: HTTPTimeStamper,
) -> bytes:
    seals = reader.embedded_regular_signatures
    stamps = reader.embedded_timestamp_signatures
    for seal in seals:
        status = await async_validate_pdf_signature(seal, ValidationContext(trust_roots=roots))
        if not (status.intact and status.valid) or status.modification_level not in _ARCHIVAL:
            raise SealError(f"seal {seal.field_name} no longer matches the file; not renewing it")
    if stamps:
        stamped = await async_validate_pdf_timestamp(stamps[-1], ValidationContext(roots))
        if not (stamped.intact and stamped.valid):
            raise SealError("the packet's last document timestamp is broken; not renewing it")
    paths = []
    try:
        newest = stamps[-1].signed_data if stamps else _signature_timestamp(seals[-1])
        if newest is None or not has_revocation_data(reader):
            for seal in seals:
                paths.extend(await collect_validation_info(seal, context))
        if newest is not None:
            info = extract_certificate_info(newest)
            validator = CertificateValidator(
                info.signer_cert, intermediate_certs=info.other_certs, validation_context=context
            )
            path = await validator.async_validate_usage(set(), {"time_stamping"})  # type: ignore[no-untyped-call]
            paths.append(path)
    except (PathBuildingError, PathValidationError) as exc:
        raise SealError(f"the packet's timestamps cannot be renewed: {_why(exc)}") from None
    writer = _ArchivalWriter(reader.stream, prev=reader)
    DocumentSecurityStore.supply_dss_in_writer(
        writer, None, paths=paths, validation_context=context
    )
    return await _archive_timestamp(writer, context, timestamper)
