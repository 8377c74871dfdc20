"""Throw-away PKIs for seal tests, made at test time (no key is ever committed).

`make_pki` gives a CA and a clinic certificate (EC P-256 or RSA-2048) for B-B seals.
`serve_pki` runs a whole certomancer PKI (tests/pki/certomancer.yml: root and issuing CA, OCSP
responder, CRLs, two time-stamping authorities) over HTTP on 127.0.0.1, for B-T to B-LTA seals.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PKI_CONFIG = Path(__file__).parent / "pki" / "certomancer.yml"
SEALED_ON = dt.datetime(2030, 3, 2, 9, 30, tzinfo=dt.UTC)
"""The day the long-term tests seal packets on: inside every test certificate's validity."""


@dataclass(frozen=True)
class Pki:
    """PEM bytes of a root CA and a clinic certificate issued by it."""

    ca_cert: bytes
    """The root CA certificate."""
    clinic_key: bytes
    """The clinic's private key (PKCS#8, unencrypted)."""
    clinic_cert: bytes
    """The clinic certificate, issued by the root."""
    other_ca_cert: bytes
    """An unrelated root the seal does not chain to."""


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test"),
        ]
    )


def _ca(common: str, now: dt.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(_name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_pki(key_type: str = "ec") -> Pki:
    """A root CA and a clinic certificate with an ``ec`` (P-256) or ``rsa`` (2048-bit) key."""
    now = dt.datetime.now(dt.UTC)
    ca_key, ca_cert = _ca("Test Root CA", now)
    _, other_cert = _ca("Other Root CA", now)
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = (
        ec.generate_private_key(ec.SECP256R1())
        if key_type == "ec"
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Sample Pain Clinic seal"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return Pki(
        ca_cert=ca_cert.public_bytes(pem),
        clinic_key=key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        clinic_cert=cert.public_bytes(pem),
        other_ca_cert=other_cert.public_bytes(pem),
    )


# --- the certomancer PKI -------------------------------------------------------------------------

_EC_KEYS = ("root", "interm", "interm-ocsp", "tsa-root", "tsa", "tsa-short", "clinic")
_RSA_KEYS = ("clinic-rsa",)


@dataclass(frozen=True)
class LocalPki:
    """A certomancer PKI answering OCSP, CRL and RFC 3161 requests on 127.0.0.1."""

    url: str
    """``http://127.0.0.1:PORT``, the prefix of every service address in the certificates."""
    arch: Any
    """The certomancer `PKIArchitecture`."""
    key_dir: Path
    """Where the generated keys are."""

    def tsa_url(self, label: str = "tsa") -> str:
        return f"{self.url}/clinic-pki/tsa/{label}"

    def cert_pem(self, label: str) -> bytes:
        from asn1crypto import pem  # type: ignore[import-untyped]

        pem_bytes: bytes = pem.armor("CERTIFICATE", self.arch.get_cert(label).dump())
        return pem_bytes

    def key_pem(self, label: str) -> bytes:
        """The private key of certificate ``label`` (clinic, clinic-revoked-later, ...)."""
        key_label = self.arch.get_cert_spec(label).subject_key
        return (self.key_dir / f"{key_label}.key.pem").read_bytes()

    def chain_pem(self) -> bytes:
        """The issuing CA, which the clinic embeds with its seal."""
        return self.cert_pem("interm")

    @property
    def root_pem(self) -> bytes:
        return self.cert_pem("root")

    @property
    def tsa_root_pem(self) -> bytes:
        return self.cert_pem("tsa-root")


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _write_keys(directory: Path) -> None:
    pkcs8 = serialization.PrivateFormat.PKCS8
    for label in _EC_KEYS + _RSA_KEYS:
        key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            if label in _RSA_KEYS
            else ec.generate_private_key(ec.SECP256R1())
        )
        data = key.private_bytes(serialization.Encoding.PEM, pkcs8, serialization.NoEncryption())
        (directory / f"{label}.key.pem").write_bytes(data)


@contextlib.contextmanager
def serve_pki() -> Iterator[LocalPki]:
    """Start the certomancer PKI on a free loopback port; stop it on exit."""
    from certomancer.integrations.animator import Animator, AnimatorArchStore
    from certomancer.registry import ArchLabel, CertomancerConfig

    with tempfile.TemporaryDirectory(prefix="tpi-pki-") as tmp:
        key_dir = Path(tmp)
        _write_keys(key_dir)
        app: dict[str, Any] = {}

        def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
            return app["animator"](environ, start_response)

        server = make_server("127.0.0.1", 0, wsgi, handler_class=_QuietHandler)
        url = f"http://127.0.0.1:{server.server_port}"
        config = CertomancerConfig.from_file(
            str(PKI_CONFIG), key_search_dir=str(key_dir), external_url_prefix=url
        )
        app["animator"] = Animator(AnimatorArchStore(config.pki_archs), with_web_ui=False)
        thread = threading.Thread(target=server.serve_forever, name="certomancer", daemon=True)
        thread.start()
        try:
            yield LocalPki(url, config.get_pki_arch(ArchLabel("clinic-pki")), key_dir)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
