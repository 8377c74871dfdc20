"""Readers the project did not write: qpdf, poppler's pdfinfo and pdfsig (NSS trust store).

They run on blank, signed, sealed (EC and RSA) and long-term (B-LTA) packets and fail on any
error or warning. A missing tool is a failure, not a skip: ``.ci/run`` installs qpdf,
poppler-utils and libnss3-tools.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from freezegun import freeze_time
from packet_fixtures import no_weasyprint_logs
from seal_fixtures import SEALED_ON, LocalPki, Pki, make_pki, serve_pki

from tpi_forms.pdf.packet import render_blank_packet
from tpi_forms.pdf.seal import seal_pdf
from tpi_forms.record.model import ConsentRecord

UNSEALED = ("blank", "signed")
SEALED = ("sealed-ec", "sealed-rsa")
ALL = (*UNSEALED, *SEALED, "sealed-b-lta")


def tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is missing: apt-get install qpdf poppler-utils libnss3-tools"
    return found


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool(argv[0]), *argv[1:]], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def pkis() -> dict[str, Pki]:
    return {"sealed-ec": make_pki("ec"), "sealed-rsa": make_pki("rsa")}


@pytest.fixture(scope="module")
def local_pki() -> Iterator[LocalPki]:
    with serve_pki() as served:
        yield served


@pytest.fixture(scope="module")
def files(
    pkis: dict[str, Pki],
    local_pki: LocalPki,
    tmp_path_factory: pytest.TempPathFactory,
    signed_en: tuple[ConsentRecord, bytes],
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("independent")
    signed = signed_en[1]
    with no_weasyprint_logs():
        data = {"blank": render_blank_packet(), "signed": signed}
    for name, pki in pkis.items():
        data[name] = seal_pdf(signed, pki.clinic_key, pki.clinic_cert)
    with freeze_time(SEALED_ON, tick=True, real_asyncio=True):
        data["sealed-b-lta"] = seal_pdf(
            signed,
            local_pki.key_pem("clinic"),
            local_pki.cert_pem("clinic"),
            chain_pem=local_pki.chain_pem(),
            level="B-LTA",
            tsa_url=local_pki.tsa_url(),
            trust_roots=[local_pki.root_pem, local_pki.tsa_root_pem],
        )
    paths = {}
    for name, content in data.items():
        paths[name] = folder / f"{name}.pdf"
        paths[name].write_bytes(content)
    return paths


def nss_store(folder: Path, root_pem: bytes) -> str:
    """A fresh NSS database that trusts ``root_pem`` (what pdfsig validates against)."""
    folder.mkdir()
    (folder / "root.pem").write_bytes(root_pem)
    store = f"sql:{folder}"
    assert run("certutil", "-N", "-d", store, "--empty-password").returncode == 0
    added = run(
        "certutil", "-A", "-d", store, "-n", "root", "-t", "CT,C,C", "-i", str(folder / "root.pem")
    )
    assert added.returncode == 0, added.stderr
    return store


@pytest.mark.parametrize("name", ALL)
def test_qpdf_finds_no_error_or_warning(files: dict[str, Path], name: str) -> None:
    checked = run("qpdf", "--check", str(files[name]))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No syntax or stream encoding errors found" in checked.stdout
    assert "WARNING" not in checked.stdout + checked.stderr
    assert "PDF Version: 1.7" in checked.stdout


@pytest.mark.parametrize("name", ALL)
def test_pdfinfo_reads_pdf_1_7_with_info_matching_xmp(files: dict[str, Path], name: str) -> None:
    info = run("pdfinfo", str(files[name]))
    assert info.returncode == 0 and info.stderr == "", info.stderr
    assert re.search(r"^PDF version:\s+1\.7$", info.stdout, re.M)
    producer = re.search(r"^Producer:\s+(.+)$", info.stdout, re.M)
    assert producer is not None
    meta = run("pdfinfo", "-meta", str(files[name]))
    assert meta.returncode == 0 and meta.stderr == "", meta.stderr
    xmp = re.search(r'pdf:Producer(?:="([^"]*)"|>([^<]*)<)', meta.stdout)
    assert xmp is not None
    assert producer.group(1) == (xmp.group(1) or xmp.group(2))
    assert ("pyHanko" in producer.group(1)) == (name not in UNSEALED)
    assert re.search(r'pdfaid:part(?:="3"|>3<)', meta.stdout)


@pytest.mark.parametrize("name", SEALED)
def test_pdfsig_finds_the_seal_valid_and_trusted(
    files: dict[str, Path], pkis: dict[str, Pki], name: str, tmp_path: Path
) -> None:
    store = nss_store(tmp_path / "nss", pkis[name].ca_cert)
    checked = run("pdfsig", "-nssdir", store, str(files[name]))
    assert checked.returncode == 0 and checked.stderr == "", checked.stderr
    assert checked.stdout.count("Signature #") == 1
    assert "Signature Field Name: ClinicSeal" in checked.stdout
    assert "Signature Type: ETSI.CAdES.detached" in checked.stdout
    assert "Total document signed" in checked.stdout
    assert "Signature Validation: Signature is Valid." in checked.stdout
    assert "Certificate Validation: Certificate is Trusted." in checked.stdout


def test_pdfsig_does_not_trust_a_seal_from_another_root(
    files: dict[str, Path], pkis: dict[str, Pki], tmp_path: Path
) -> None:
    store = nss_store(tmp_path / "nss", pkis["sealed-ec"].other_ca_cert)
    checked = run("pdfsig", "-nssdir", store, str(files["sealed-ec"]))
    assert "Signature Validation: Signature is Valid." in checked.stdout
    assert "Certificate Validation: Certificate is Trusted." not in checked.stdout


def test_pdfsig_sees_a_changed_byte(
    files: dict[str, Path], pkis: dict[str, Pki], tmp_path: Path
) -> None:
    data = files["sealed-rsa"].read_bytes()
    at = data.index(b"WeasyPrint")
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(data[:at] + b"V" + data[at + 1 :])
    store = nss_store(tmp_path / "nss", pkis["sealed-rsa"].ca_cert)
    checked = run("pdfsig", "-nssdir", store, str(changed))
    assert "Signature Validation: Digest Mismatch." in checked.stdout
    assert "Signature is Valid" not in checked.stdout


@pytest.mark.parametrize("name", UNSEALED)
def test_pdfsig_finds_no_signature_in_unsealed_packets(files: dict[str, Path], name: str) -> None:
    checked = run("pdfsig", str(files[name]))
    assert checked.returncode == 2  # poppler's code for "no signatures"
    assert "does not contain any signatures" in checked.stdout + checked.stderr


def test_pdfsig_on_a_b_lta_packet(files: dict[str, Path]) -> None:
    """The test PKI lives in 2030, after poppler's (real) clock: only the signatures are checked.

    poppler cannot validate RFC 3161 document timestamps; it says so on stderr, and nothing else.
    """
    checked = run("pdfsig", "-nocert", str(files["sealed-b-lta"]))
    assert checked.returncode == 0
    seal, stamp = checked.stdout.split("Signature #2:")
    assert "Signature Field Name: ClinicSeal" in seal
    assert "Signature Validation: Signature is Valid." in seal
    assert "Signing Time: Mar 02 2030 09:30" in seal
    assert "Signature Field Name: ArchiveTimestamp1" in stamp
    assert "Total document signed" in stamp
    assert checked.stderr.strip() in (
        "",
        "Unimplemented Feature (0): Unable to validate this type of signature",
    )
    assert "Invalid" not in checked.stdout
