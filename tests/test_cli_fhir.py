"""``tpi-forms fhir``: a signed packet in, a valid FHIR transaction Bundle out; bad input exits 2."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from conftest_fhir import check_resource
from seal_fixtures import make_pki

from tpi_forms.cli import main
from tpi_forms.fhir.bundle import FhirExportError, bundle_from_packet
from tpi_forms.pdf.packet import render_blank_packet
from tpi_forms.pdf.seal import seal_pdf
from tpi_forms.record.model import ConsentRecord


@pytest.fixture(scope="module")
def packet(
    tmp_path_factory: pytest.TempPathFactory, signed_es: tuple[ConsentRecord, bytes]
) -> Path:
    path = tmp_path_factory.mktemp("fhir") / "packet.pdf"
    path.write_bytes(signed_es[1])
    return path


def test_bundle_from_a_signed_packet(packet: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fhir", str(packet)]) == 0
    bundle = json.loads(capsys.readouterr().out)
    check_resource(bundle)
    resources = {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}
    assert set(resources) == {
        "Questionnaire",
        "Patient",
        "QuestionnaireResponse",
        "Consent",
        "Provenance",
    }
    attachment = resources["Consent"]["sourceAttachment"]
    pdf = packet.read_bytes()
    assert base64.b64decode(attachment["data"]) == pdf
    assert base64.b64decode(attachment["hash"]) == hashlib.sha1(pdf).digest()
    assert resources["Questionnaire"]["language"] == "es"
    assert resources["Patient"]["name"] == [{"text": "Alex Example"}]


def test_options_link_the_packet_and_an_existing_patient(
    packet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "fhir",
        str(packet),
        "--packet-url",
        "https://archive.example.org/p.pdf",
        "--patient",
        "Patient/9",
    ]
    assert main([*args, "--base-url", "https://forms.example.org/fhir"]) == 0
    bundle = json.loads(capsys.readouterr().out)
    check_resource(bundle)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert "Patient" not in kinds
    consent = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Consent"
    )
    assert consent["patient"] == {"reference": "Patient/9"}
    assert consent["sourceAttachment"]["url"] == "https://archive.example.org/p.pdf"
    assert "data" not in consent["sourceAttachment"]
    assert bundle["entry"][0]["resource"]["url"].startswith(
        "https://forms.example.org/fhir/Questionnaire/"
    )


@pytest.mark.parametrize("locale", ["en", "es"])
def test_questionnaire_without_a_packet(locale: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fhir", "--questionnaire", "--locale", locale]) == 0
    resource = json.loads(capsys.readouterr().out)
    check_resource(resource)
    assert resource["resourceType"] == "Questionnaire" and resource["language"] == locale


def test_a_damaged_packet_is_not_exported(packet: Path) -> None:
    pdf = bytearray(packet.read_bytes())
    embedded = pdf.index(b"/EmbeddedFile")
    stream = pdf.index(b"stream", embedded) + len(b"stream\n") + 20
    pdf[stream] ^= 0xFF  # one flipped bit pattern inside the embedded record's stream
    with pytest.raises(FhirExportError, match="does not verify|no readable consent record"):
        bundle_from_packet(bytes(pdf))


@pytest.mark.parametrize(
    "content, message",
    [
        (b"hello, not a pdf", "not a PDF"),
        (None, "no readable consent record"),
    ],
)
def test_bad_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    path = tmp_path / "input.pdf"
    path.write_bytes(render_blank_packet() if content is None else content)
    assert main(["fhir", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_missing_file_and_missing_argument_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fhir", str(tmp_path / "nowhere.pdf")]) == 2
    assert main(["fhir"]) == 2
    assert "--questionnaire" in capsys.readouterr().err


def test_a_sealed_packet_needs_a_seal_that_chains_to_the_trust_roots(
    packet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pki = make_pki()
    sealed = tmp_path / "sealed.pdf"
    sealed.write_bytes(seal_pdf(packet.read_bytes(), pki.clinic_key, pki.clinic_cert))
    (tmp_path / "ca.pem").write_bytes(pki.ca_cert)
    (tmp_path / "other.pem").write_bytes(pki.other_ca_cert)
    assert main(["fhir", str(sealed), "--trust", str(tmp_path / "ca.pem")]) == 0
    bundle = json.loads(capsys.readouterr().out)
    consent = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Consent"
    )
    assert base64.b64decode(consent["sourceAttachment"]["data"]) == sealed.read_bytes()
    assert main(["fhir", str(sealed), "--trust", str(tmp_path / "other.pem")]) == 2
    assert "seal_trusted" in capsys.readouterr().err
    assert main(["fhir", str(packet), "--trust", str(tmp_path / "ca.pem")]) == 2  # no seal at all
