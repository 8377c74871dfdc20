"""``tpi-forms packet --tsa``, ``verify`` with levels and ``reseal``, against the local PKI."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from freezegun import freeze_time
from packet_fixtures import signature_png
from seal_fixtures import SEALED_ON, LocalPki, serve_pki

from tpi_forms.cli import main
from tpi_forms.screening.scenarios import example_answers

LATER = SEALED_ON + dt.timedelta(hours=1)


@pytest.fixture(scope="session")
def pki() -> Iterator[LocalPki]:
    with serve_pki() as served:
        yield served


@pytest.fixture(scope="module")
def files(pki: LocalPki, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ltv-cli")
    paths = {name: folder / name for name in ("answers.json", "signature.png", "key.pem")}
    paths["answers.json"].write_text(json.dumps(example_answers("clear")), encoding="utf-8")
    paths["signature.png"].write_bytes(signature_png(2))
    paths["key.pem"].write_bytes(pki.key_pem("clinic"))
    for name, data in {
        "cert.pem": pki.cert_pem("clinic") + pki.chain_pem(),
        "root.pem": pki.root_pem,
        "tsa-root.pem": pki.tsa_root_pem,
    }.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return paths


def packet_argv(files: dict[str, Path], out: Path, *extra: str) -> list[str]:
    return [
        "packet",
        str(files["answers.json"]),
        "--signature",
        str(files["signature.png"]),
        "--signer-name",
        "Alex Example",
        "--seal",
        str(files["key.pem"]),
        "--cert",
        str(files["cert.pem"]),
        "-o",
        str(out),
        *extra,
    ]


def trust(files: dict[str, Path]) -> list[str]:
    return ["--trust", str(files["root.pem"]), "--tsa-trust", str(files["tsa-root.pem"])]


@pytest.fixture(scope="module")
def lta_packet(pki: LocalPki, files: dict[str, Path]) -> Path:
    out = files["key.pem"].parent / "lta.pdf"
    argv = packet_argv(files, out, "--tsa", pki.tsa_url(), "--level", "B-LTA", *trust(files))
    with freeze_time(SEALED_ON, tick=True, real_asyncio=True):
        assert main(argv) == 0
    return out


def test_packet_with_tsa_is_b_t_and_verify_reports_it(
    pki: LocalPki, files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bt.pdf"
    with freeze_time(SEALED_ON, tick=True, real_asyncio=True):
        assert main(packet_argv(files, out, "--tsa", pki.tsa_url())) == 0
        assert "sealed PAdES B-T" in capsys.readouterr().out
        assert main(["verify", str(out), *trust(files)]) == 0
    printed = capsys.readouterr().out
    assert "PASS seal_timestamp: RFC 3161 timestamp 2030-03-02 09:30 UTC" in printed
    assert "PASS seal_level: PAdES B-T reached" in printed
    assert printed.rstrip().endswith("ok: every check passed (seal: PAdES B-T)")


def test_packet_at_b_lta_verifies_with_its_level(
    lta_packet: Path, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    with freeze_time(LATER, tick=True, real_asyncio=True):
        assert main(["verify", str(lta_packet), *trust(files), "--level", "B-LTA"]) == 0
        printed = capsys.readouterr().out
        assert "PASS seal_archive_timestamps: 1 document timestamp(s)" in printed
        assert "PASS seal_level: PAdES B-LTA reached" in printed
        assert main(["verify", str(lta_packet), *trust(files), "--online"]) == 0
        assert (
            "PASS seal_current_status: revocation status fetched today" in capsys.readouterr().out
        )


def test_reseal_adds_a_document_timestamp(
    pki: LocalPki,
    lta_packet: Path,
    files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    renewed = tmp_path / "renewed.pdf"
    argv = ["reseal", str(lta_packet), "--tsa", pki.tsa_url(), *trust(files), "-o", str(renewed)]
    with freeze_time(LATER, tick=True, real_asyncio=True):
        assert main(argv) == 0
        assert f"resealed {renewed}" in capsys.readouterr().out
        assert main(["verify", str(renewed), *trust(files), "--level", "B-LTA"]) == 0
    assert "PASS seal_archive_timestamps: 2 document timestamp(s)" in capsys.readouterr().out
    assert renewed.read_bytes().startswith(lta_packet.read_bytes())


def test_reseal_in_place_of_several_packets_reports_each(
    pki: LocalPki,
    lta_packet: Path,
    files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    good = tmp_path / "good.pdf"
    good.write_bytes(lta_packet.read_bytes())
    unsealed = tmp_path / "unsealed.pdf"
    with freeze_time(SEALED_ON, tick=True, real_asyncio=True):
        argv = packet_argv(files, unsealed)
        del argv[argv.index("--seal") : argv.index("--seal") + 4]
        assert main(argv) == 0
    before = unsealed.read_bytes()
    capsys.readouterr()
    argv = ["reseal", str(good), str(unsealed), "--tsa", pki.tsa_url(), *trust(files)]
    with freeze_time(LATER, tick=True, real_asyncio=True):
        assert main(argv) == 1
    printed = capsys.readouterr().out
    assert f"resealed {good}" in printed
    assert f"FAIL {unsealed}: the packet has no seal to renew" in printed
    assert unsealed.read_bytes() == before
    assert len(good.read_bytes()) > len(lta_packet.read_bytes())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--tsa", "{tsa}", "--no-seal"], "need --seal"),
        (["--level", "B-LT", "--tsa", "{tsa}"], "--level B-LT needs --trust"),
        (["--level", "B-T"], "--level B-T needs --tsa"),
        (["--level", "B-B", "--tsa", "{tsa}"], "--level B-B takes no --tsa"),
    ],
)
def test_packet_seal_options_bad_input_exits_2(
    pki: LocalPki,
    files: dict[str, Path],
    tmp_path: Path,
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out.pdf"
    full = packet_argv(files, out, *[a.format(tsa=pki.tsa_url()) for a in argv if a != "--no-seal"])
    if "--no-seal" in argv:
        del full[full.index("--seal") : full.index("--seal") + 4]
    assert main(full) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["verify", "{lta}", "--online"], "need --trust"),
        (["verify", "{lta}", "--level", "B-LT"], "need --trust"),
        (["reseal", "{lta}", "--tsa", "{tsa}"], "--trust is required"),
        (["reseal", "{answers}", "--tsa", "{tsa}", "--trust", "{root}"], "not a PDF file"),
        (
            ["reseal", "{lta}", "{lta}", "-o", "{out}", "--tsa", "{tsa}", "--trust", "{root}"],
            "one packet",
        ),
        (
            ["verify", "{lta}", "--trust", "{root}", "--tsa-trust", "{answers}"],
            "time-stamping root 1",
        ),
    ],
)
def test_verify_and_reseal_bad_input_exits_2(
    pki: LocalPki,
    lta_packet: Path,
    files: dict[str, Path],
    tmp_path: Path,
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    names = {
        "lta": str(lta_packet),
        "tsa": pki.tsa_url(),
        "root": str(files["root.pem"]),
        "answers": str(files["answers.json"]),
        "out": str(tmp_path / "out.pdf"),
    }
    assert main([a.format(**names) for a in argv]) == 2
    assert message in capsys.readouterr().err
