"""The kiosk's clinic seal: the clinic's own key and certificate, or a self-signed one made once.

On first start without ``--seal-key/--seal-cert`` the kiosk makes an EC P-256 key and a
self-signed certificate in ``<data>/seal/`` (mode 0600). Every packet is sealed with it (PAdES
B-B, PDF/A kept). The certificate is what ``tpi-forms verify --trust`` needs: a self-signed
seal proves the packet was not changed since this kiosk sealed it, to whoever trusts this
certificate (keep a copy apart from the kiosk). A clinic with a certificate from its own or a
public CA passes it instead, and verifiers trust that CA.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ..errors import SealError
from .packet_files import write_atomic

SEAL_FOLDER = "seal"
KEY_FILE = "clinic-seal-key.pem"
CERT_FILE = "clinic-seal-cert.pem"
VALID_YEARS = 10
"""How long a self-signed seal certificate made by the kiosk is valid."""


@dataclass(frozen=True)
class ClinicSeal:
    """The key and certificate every packet is sealed with."""

    key_pem: bytes
    """The private key (PEM, unencrypted)."""
    cert_pem: bytes
    """The certificate, possibly followed by its chain (PEM or DER)."""
    cert_path: Path
    """Where the certificate is (to give to ``tpi-forms verify --trust``)."""
    self_signed: bool
    """True when the kiosk made it (no clinic CA)."""
    created: bool
    """True when it was made by this start."""


def clinic_seal(
    data_dir: str | Path,
    clinic_name: str,
    key_file: str | Path | None = None,
    cert_file: str | Path | None = None,
) -> ClinicSeal:
    """The clinic's own seal from ``key_file``/``cert_file``, else the kiosk's (made if missing).

    :raises SealError: only one of the two files given, a file that cannot be read, or a key and
        certificate that do not belong together.
    """
    if (key_file is None) != (cert_file is None):
        raise SealError("give both --seal-key and --seal-cert, or neither")
    if key_file is not None and cert_file is not None:
        key_pem, cert_pem = _read(Path(key_file), "seal key"), _read(Path(cert_file), "seal cert")
        _check_pair(key_pem, cert_pem)
        return ClinicSeal(key_pem, cert_pem, Path(cert_file), False, False)
    folder = Path(data_dir) / SEAL_FOLDER
    key_path, cert_path = folder / KEY_FILE, folder / CERT_FILE
    if key_path.is_file() and cert_path.is_file():
        key_pem, cert_pem = key_path.read_bytes(), cert_path.read_bytes()
        _check_pair(key_pem, cert_pem)
        return ClinicSeal(key_pem, cert_pem, cert_path, True, False)
    key_pem, cert_pem = make_self_signed(clinic_name)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomic(key_path, key_pem)  # mode 0600, complete or absent
    write_atomic(cert_path, cert_pem)
    return ClinicSeal(key_pem, cert_pem, cert_path, True, True)


def make_self_signed(clinic_name: str) -> tuple[bytes, bytes]:
    """A new EC P-256 key and a self-signed seal certificate naming the clinic (PEM, PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    organisation = " ".join(clinic_name.split())[:64] or "Clinic"
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} consent seal"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * VALID_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert.public_bytes(pem)


def first_certificate_pem(cert_pem: bytes) -> bytes:
    """The seal certificate alone, as PEM (the file may hold the chain after it, or be DER)."""
    return _first_certificate(cert_pem).public_bytes(serialization.Encoding.PEM)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SealError(f"cannot read the {what} file {path} ({exc.strerror})") from None


def _check_pair(key_pem: bytes, cert_pem: bytes) -> None:
    """Refuse now, not at the first packet, a key and certificate that do not belong together."""
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
        cert_key = _first_certificate(cert_pem).public_key()
    except (ValueError, TypeError) as exc:
        raise SealError(f"cannot read the seal key or certificate ({type(exc).__name__})") from None
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if key.public_key().public_bytes(der, public) != cert_key.public_bytes(der, public):
        raise SealError("the seal key does not belong to the seal certificate")


def _first_certificate(cert_pem: bytes) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificates(cert_pem)[0]
    except ValueError:
        return x509.load_der_x509_certificate(cert_pem)
