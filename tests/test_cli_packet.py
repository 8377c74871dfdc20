"""``tpi-forms packet``, ``blank`` and ``verify`` from the command line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pikepdf
import pytest
from packet_fixtures import pdf_text, signature_png, squash
from seal_fixtures import Pki, make_pki

from tpi_forms.cli import main
from tpi_forms.screening.scenarios import example_answers


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli")
    pki: Pki = make_pki()
    paths = {
        "answers": folder / "answers.json",
        "signature": folder / "signature.png",
        "key": folder / "key.pem",
        "cert": folder / "cert.pem",
        "ca": folder / "ca.pem",
        "other_ca": folder / "other.pem",
        "packet": folder / "packet.pdf",
        "sealed": folder / "sealed.pdf",
    }
    paths["answers"].write_text(json.dumps(example_answers("review")), encoding="utf-8")
    paths["signature"].write_bytes(signature_png(4))
    paths["key"].write_bytes(pki.clinic_key)
    paths["cert"].write_bytes(pki.clinic_cert)
    paths["ca"].write_bytes(pki.ca_cert)
    paths["other_ca"].write_bytes(pki.other_ca_cert)
    base = [
        "packet",
        str(paths["answers"]),
        "--signature",
        str(paths["signature"]),
        "--signer-name",
        "María Pérez",
    ]
    assert (
        main([*base, "--locale", "es", "--steroid", "--sites", "neck", "-o", str(paths["packet"])])
        == 0
    )
    assert (
        main(
            [
                *base,
                "--seal",
                str(paths["key"]),
                "--cert",
                str(paths["cert"]),
                "-o",
                str(paths["sealed"]),
            ]
        )
        == 0
    )
    return paths


def test_packet_writes_a_verifiable_spanish_packet(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = files["packet"].read_bytes()
    text = squash(" ".join(pdf_text(pdf)))
    assert squash("María Pérez") in text and squash("Esteroide en la inyección") in text
    capsys.readouterr()
    assert main(["verify", str(files["packet"])]) == 0
    out = capsys.readouterr().out
    assert "PASS record_hash_printed" in out and "PASS signature_images" in out
    assert out.strip().endswith("ok: every check passed")


def test_sealed_packet_verifies_against_its_root_only(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(files["sealed"]), "--trust", str(files["ca"])]) == 0
    assert "PASS seal_trusted" in capsys.readouterr().out
    assert main(["verify", str(files["sealed"]), "--trust", str(files["other_ca"])]) == 1
    assert "FAIL seal_trusted" in capsys.readouterr().out
    assert main(["verify", str(files["packet"]), "--trust", str(files["ca"])]) == 1
    assert "FAIL seal" in capsys.readouterr().out


def test_verify_fails_on_a_tampered_packet(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = files["sealed"].read_bytes()
    index = data.index(b"WeasyPrint")
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(data[:index] + b"X" + data[index + 1 :])
    assert main(["verify", str(bad), "--trust", str(files["ca"])]) == 1
    assert "FAIL seal_intact" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["verify", "{answers}"],  # not a PDF
        ["verify", "{missing}"],
        ["verify", "{packet}", "--trust", "{answers}"],  # not a certificate
    ],
)
def test_verify_bad_input_exits_2(
    files: dict[str, Path], tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    names = {k: str(v) for k, v in files.items()} | {"missing": str(tmp_path / "missing.pdf")}
    assert main([a.format(**names) for a in argv]) == 2
    assert "error" in capsys.readouterr().err


def _packet_argv(files: dict[str, Path], out: Path, **changes: str) -> list[str]:
    argv = {
        "answers": str(files["answers"]),
        "--signature": str(files["signature"]),
        "--signer-name": "Ana",
        "-o": str(out),
    }
    argv.update(changes)
    flat = ["packet", argv.pop("answers")]
    for key, value in argv.items():
        flat += [key, value]
    return flat


def test_packet_bad_input_exits_2_and_writes_nothing(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.pdf"
    bad_answers = tmp_path / "bad.json"
    bad_answers.write_text(
        json.dumps({**example_answers("clear"), "pain_score": 99}), encoding="utf-8"
    )
    tiny = tmp_path / "tiny.png"
    tiny.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 30)
    for argv in (
        _packet_argv(files, out, answers=str(bad_answers)),
        _packet_argv(files, out, **{"--signature": str(tiny)}),
        _packet_argv(files, out, **{"--signer-name": "x" * 500}),
        _packet_argv(files, out, **{"--seal": str(files["key"])}),
        _packet_argv(files, out, **{"--locale": "xx"}),
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("tpi-forms packet: error:") and "x" * 50 not in err
        assert not out.exists()
        assert list(tmp_path.glob(".out.pdf*")) == []


def test_blank_writes_a_paper_packet(tmp_path: Path) -> None:
    out = tmp_path / "blank.pdf"
    assert main(["blank", "--locale", "es", "--steroid", "-o", str(out)]) == 0
    pdf = out.read_bytes()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert doc.open_metadata().pdfa_status == "3A"
    text = squash(" ".join(pdf_text(pdf)))
    assert squash("formulario en papel") in text and squash("Riesgos del esteroide") in text


def test_blank_prints_a_named_patient_on_a4(tmp_path: Path) -> None:
    out = tmp_path / "named.pdf"
    argv = ["blank", "--patient-name", "Ana <b>Pérez</b>", "--date-of-birth", "1980-04-12"]
    assert main([*argv, "--page-size", "a4", "-o", str(out)]) == 0
    pages = pdf_text(out.read_bytes())
    assert all(squash("Patient: Ana <b>Pérez</b>") in squash(p) for p in pages)
    assert all(squash("Date of birth: April 12, 1980") in squash(p) for p in pages)
    with pikepdf.open(out) as doc:
        assert [round(float(x)) for x in doc.pages[0].mediabox] == [0, 0, 595, 842]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--date-of-birth", "12/04/1980"], "--date-of-birth must be a date written YYYY-MM-DD"),
        (["--date-of-birth", "1980-02-30"], "--date-of-birth must be a date written YYYY-MM-DD"),
        (["--date-of-birth", "2999-01-01"], "the date of birth is in the future"),
        (["--patient-name", "Zed" * 100], "the patient's name is longer than 200 characters"),
    ],
)
def test_blank_bad_patient_exits_2_without_repeating_it(
    tmp_path: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "blank.pdf"
    assert main(["blank", *argv, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tpi-forms blank: error:") and message in err
    assert argv[1] not in err and "ZedZed" not in err
    assert not out.exists()


@pytest.mark.parametrize("command", ["blank", "packet"])
def test_an_unknown_page_size_exits_2(
    files: dict[str, Path], tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.pdf"
    argv = (["blank", "-o", str(out)] if command == "blank" else _packet_argv(files, out)) + [
        "--page-size",
        "legal",
    ]
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "invalid choice: 'legal'" in capsys.readouterr().err
    assert not out.exists()


def test_packet_on_a4_and_letter(files: dict[str, Path], tmp_path: Path) -> None:
    sizes = {}
    for size in ("a4", "letter"):
        out = tmp_path / f"{size}.pdf"
        assert main([*_packet_argv(files, out), "--page-size", size]) == 0
        with pikepdf.open(out) as doc:
            sizes[size] = [round(float(x)) for x in doc.pages[0].mediabox]
    assert sizes == {"a4": [0, 0, 595, 842], "letter": [0, 0, 612, 792]}
