"""A clinic's cryptographic seal on a packet: PAdES baseline B-B with pyHanko (extra ``pades``).

The seal is invisible (no appearance stream, so no font to embed) and is added as an
incremental update, so the packet stays PDF/A-3 and every byte before the seal is kept. Any
change after sealing leaves the seal no longer covering the whole file, which `validate_seals`
reports. Trust is never implied: a seal is "trusted" only against the roots the caller gives.

>>> sealed = seal_pdf(pdf, key_pem, cert_pem)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator, Sequence

from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from ..errors import SealError

SEAL_FIELD = "ClinicSeal"
"""Name of the (invisible) signature field the seal is written to."""
PADES_SUBFILTER = "/ETSI.CAdES.detached"


def seal_pdf(
    pdf_bytes: bytes,
    key_pem: bytes,
    cert_pem: bytes,
    *,
    passphrase: bytes | None = None,
    chain_pem: bytes = b"",
    reason: str = "Consent packet sealed by the clinic",
    location: str | None = None,
) -> bytes:
    """Seal ``pdf_bytes`` with the clinic's key and certificate: PAdES B-B, SHA-256, invisible.

    :param cert_pem: the clinic certificate (PEM or DER); further certificates in it, and those
        in ``chain_pem``, are embedded as the chain.
    """
    try:
        key = load_private_key_from_pemder_data(key_pem, passphrase=passphrase)
        certs = list(load_certs_from_pemder_data(cert_pem))
        chain = certs[1:] + (list(load_certs_from_pemder_data(chain_pem)) if chain_pem else [])
    except (ValueError, TypeError) as exc:
        raise SealError(f"cannot read the seal key or certificate ({type(exc).__name__})") from None
    if not certs:
        raise SealError("the certificate file holds no certificate")
    signer = signers.SimpleSigner(
        signing_cert=certs[0],
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs(chain),  # type: ignore[no-untyped-call]
    )
    meta = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
        output = signers.sign_pdf(
            writer,
            meta,
            signer=signer,
            new_field_spec=fields.SigFieldSpec(sig_field_name=SEAL_FIELD),
        )
    except (SigningError, ValueError) as exc:
        raise SealError(f"the packet could not be sealed ({type(exc).__name__})") from None
    sealed: bytes = output.getvalue()
    return sealed


def _roots(trust_roots: Sequence[bytes]) -> list[object]:
    roots: list[object] = []
    for number, data in enumerate(trust_roots, start=1):
        try:
            found = list(load_certs_from_pemder_data(data))
        except (ValueError, TypeError):
            found = []
        if not found:
            raise SealError(f"trust root {number} is not a PEM or DER certificate")
        roots.extend(found)
    return roots


@contextlib.contextmanager
def _quiet_path_building() -> Iterator[None]:
    """pyHanko logs a traceback when a chain does not reach a trust root; we report it instead."""
    logger = logging.getLogger("pyhanko.sign.validation")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def validate_seals(
    pdf_bytes: bytes, trust_roots: Sequence[bytes] | None
) -> list[tuple[str, bool, str]]:
    """Checks for every seal in the file: intact, PAdES, covering the whole file, and trusted.

    With ``trust_roots`` given, a file without a seal fails (one was expected).
    """
    roots = _roots(trust_roots or ())  # a bad trust root is bad input, seal or not
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        seals = reader.embedded_signatures
    except Exception as exc:  # pyHanko raises many types on damaged files
        return [("seal", False, f"the signature structure cannot be read ({type(exc).__name__})")]
    if not seals:
        return (
            [("seal", False, "no seal found, but trust roots were given")]
            if trust_roots is not None
            else []
        )
    results: list[tuple[str, bool, str]] = []
    for number, seal in enumerate(seals, start=1):
        name = "seal" if len(seals) == 1 else f"seal_{number}"
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        try:
            with _quiet_path_building():
                status = validate_pdf_signature(seal, context)
        except Exception as exc:
            results.append((name, False, f"the seal cannot be validated ({type(exc).__name__})"))
            continue
        subfilter = str(seal.sig_object.get("/SubFilter"))
        whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        intact = bool(status.intact and status.valid)
        signer = status.signing_cert.subject.human_friendly
        results.append(
            (
                f"{name}_intact",
                intact and whole and subfilter == PADES_SUBFILTER,
                f"signed by {signer}; "
                + ("digest and signature valid" if intact else "digest or signature INVALID")
                + ("; covers the whole file" if whole else "; the file was changed after sealing")
                + ("; PAdES" if subfilter == PADES_SUBFILTER else f"; not PAdES ({subfilter})"),
            )
        )
        if trust_roots is not None:
            results.append(
                (
                    f"{name}_trusted",
                    bool(status.trusted),
                    "chains to a given trust root"
                    if status.trusted
                    else "does not chain to a given trust root",
                )
            )
    return results
