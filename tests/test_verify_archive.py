"""verify DIR: a folder of 50 packets, some tampered, reported packet by packet (CSV, HTML, exit)."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from packet_fixtures import SIGNED, make_record, no_weasyprint_logs, reembed
from seal_fixtures import Pki, make_pki

from tpi_forms.cli import main
from tpi_forms.cli.verify_archive import progress_printer
from tpi_forms.definitions.consent import load_consent_definition
from tpi_forms.errors import InputError
from tpi_forms.pdf.packet import render_packet
from tpi_forms.pdf.seal import seal_pdf
from tpi_forms.record.model import ConsentRecord
from tpi_forms.verify.archive import ArchiveReport, find_packets, initials, verify_archive
from tpi_forms.verify.report import check_label, csv_text, report_html

SPANISH_NAME = "María José Núñez-Ortiz"
FULL_NAMES = ("Alex Example", SPANISH_NAME, "Rosa Intérprete", "Alex Sample")
DATES_OF_BIRTH = ("1980-04-12", "April 12, 1980", "12 de abril de 1980")

CONSENT_VERSION = load_consent_definition().version
"""The version every packet of the archive cites: the consent the packets were made from."""


def flip_bytes(pdf: bytes) -> bytes:
    """Change bytes inside the third compressed stream (zlib's checksum will see it)."""
    starts = [m.end() for m in re.finditer(rb"stream\r?\n", pdf)]
    at = starts[2] + 40
    return pdf[:at] + bytes(b ^ 0xFF for b in pdf[at : at + 4]) + pdf[at + 4 :]


def rename_patient(pdf: bytes) -> bytes:
    def change(data: dict[str, object]) -> None:
        answers = data["answers"]
        assert isinstance(answers, dict)
        answers["patient_name"] = "Someone Else"

    return reembed(pdf, change)


def truncate(pdf: bytes) -> bytes:
    return pdf[: len(pdf) // 3]


TAMPERS: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "flipped": (flip_bytes, "streams_intact"),
    "edited": (rename_patient, "record_hash_printed"),
    "truncated": (truncate, "pdf_readable"),
}


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki("ec")


@pytest.fixture(scope="module")
def packets(signed_en: tuple[ConsentRecord, bytes], pki: Pki) -> dict[str, bytes]:
    """Three distinct packets: English, Spanish (another patient) and the English one sealed."""
    with no_weasyprint_logs():
        spanish = render_packet(make_record("es", name=SPANISH_NAME), generated_at=SIGNED)
    sealed = seal_pdf(signed_en[1], pki.clinic_key, pki.clinic_cert)
    return {"en": signed_en[1], "es": spanish, "sealed": sealed}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, packets: dict[str, bytes]) -> Path:
    """50 packets in nested folders: 40 good copies, 10 changed (each its own way)."""
    root = tmp_path_factory.mktemp("archive")
    kinds = ["en", "es", "sealed"]
    for n in range(40):
        kind = kinds[n % 3]
        folder = root / f"2026-{n % 4 + 1:02d}" / ("day" if n % 2 else "")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"good-{kind}-{n:02d}.pdf").write_bytes(packets[kind])
    bad = root / "bad"
    bad.mkdir()
    for n in range(9):
        tamper = list(TAMPERS)[n % 3]
        kind = kinds[n // 3]
        (bad / f"{tamper}-{kind}-{n}.pdf").write_bytes(TAMPERS[tamper][0](packets[kind]))
    (bad / "notes.PDF").write_bytes(b"not a PDF at all")
    (root / "readme.txt").write_text("not a packet", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def report(archive: Path) -> ArchiveReport:
    done: list[tuple[int, int]] = []
    found = verify_archive(archive, workers=2, progress=lambda d, t: done.append((d, t)))
    assert done == [(n, 50) for n in range(1, 51)]
    return found


def expected(path: str) -> tuple[bool, str | None, str, str]:
    """(passes, a check that fails, initials, seal level) from the file's name."""
    name = path.rsplit("/", 1)[-1]
    kind = name.split("-")[1] if "-" in name else ""
    who = {"en": "A. E.", "es": "M. J. N. O.", "sealed": "A. E."}.get(kind, "")
    level = "unchecked" if kind == "sealed" else "none"
    if name.startswith("good-sealed"):
        return False, "seal_trusted", who, level  # no trust roots given: "seal not trusted"
    if name.startswith("good-"):
        return True, None, who, level
    if name == "notes.PDF":
        return False, "file_readable", "", "none"
    tamper = name.split("-")[0]
    failing = TAMPERS[tamper][1]
    if tamper == "flipped" and kind == "sealed":
        failing = "seal_intact"
    if tamper == "edited":
        who = "S. E."  # the forger's name, as the record now says (its hash gives it away)
    elif tamper == "truncated":
        who = ""  # the record could not be read
    return False, failing, who, level


def test_every_packet_is_reported_once_in_path_order(report: ArchiveReport, archive: Path) -> None:
    paths = [e.path for e in report.entries]
    assert len(paths) == 50 == len(set(paths))
    assert paths == sorted(paths)
    assert paths == [p.as_posix() for p in find_packets(archive)]
    assert "readme.txt" not in paths


def test_each_packet_is_reported_correctly(report: ArchiveReport) -> None:
    assert not report.ok
    assert sum(e.ok for e in report.entries) == 27  # 40 good, 13 of them sealed: not trusted
    for entry in report.entries:
        passes, failing, who, level = expected(entry.path)
        assert entry.ok is passes, entry.path
        failed = [name for name, ok in entry.checks if not ok]
        if failing is not None:
            assert failing in failed, (entry.path, failed)
        else:
            assert failed == []
        if failing != "file_readable" and failing != "pdf_readable":
            assert entry.consent_version == CONSENT_VERSION, entry.path
        if not entry.path.startswith("bad/flipped"):  # depends on which stream was hit
            assert entry.initials == who, entry.path
        if failing not in ("pdf_readable", "file_readable"):
            assert entry.seal_level == level, entry.path


def test_csv_has_one_line_per_packet_in_words(report: ArchiveReport) -> None:
    rows = list(csv.reader(io.StringIO(csv_text(report, "en"))))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["File", "Patient initials", "Consent version", "Seal level", "Result"]
    assert "Record hash printed on the pages" in header and "Seal intact" in header
    assert len(body) == 50
    column = header.index("Streams intact")
    for row, entry in zip(body, report.entries, strict=True):
        assert row[0] == entry.path
        assert row[4] == ("PASS" if entry.ok else "FAIL")
        assert set(row[5:]) <= {"passed", "failed", "not run"}
        results = dict(entry.checks)
        assert (
            row[column]
            == {True: "passed", False: "failed", None: "not run"}[results.get("streams_intact")]
        )
    sealed = [r for r in body if r[0].endswith(".pdf") and "good-sealed" in r[0]]
    assert sealed and all(r[3] == "sealed, not validated (no trust roots given)" for r in sealed)
    es = list(csv.reader(io.StringIO(csv_text(report, "es"))))
    assert es[0][:2] == ["Archivo", "Iniciales del paciente"]
    assert {r[4] for r in es[1:]} == {"CORRECTO", "FALLO"}


def test_no_full_name_or_date_of_birth_in_any_report(report: ArchiveReport) -> None:
    for locale in ("en", "es"):
        for text in (csv_text(report, locale), html.unescape(report_html(report, locale))):
            for secret in FULL_NAMES + DATES_OF_BIRTH + ("Someone Else",):
                assert secret not in text, secret
            for part in ("Example", "Núñez", "María"):
                assert part not in text
            assert "M. J. N. O." in text and "A. E." in text


def test_html_report_is_self_contained_and_escaped(
    tmp_path: Path, packets: dict[str, bytes]
) -> None:
    root = tmp_path / "<script>alert(1)<"
    root.mkdir()
    (root / '"><img src=x onerror=alert(1)>.pdf').write_bytes(packets["en"])
    page = report_html(verify_archive(root, workers=1), "es")
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;.pdf" in page
    assert not re.search(r"<[^>]*\s(src|href)=", page, re.I)  # names no other file
    assert '<html lang="es">' in page and "Informe de verificación de paquetes" in page
    assert "1 paquetes revisados" in page


def test_a_formula_in_a_file_name_is_not_run_by_a_spreadsheet(
    tmp_path: Path, packets: dict[str, bytes]
) -> None:
    (tmp_path / "=HYPERLINK(1).pdf").write_bytes(packets["en"])
    rows = list(csv.reader(io.StringIO(csv_text(verify_archive(tmp_path, workers=1), "en"))))
    assert rows[1][0] == "'=HYPERLINK(1).pdf"


def test_with_trust_roots_the_level_is_reported(
    tmp_path: Path, packets: dict[str, bytes], pki: Pki
) -> None:
    (tmp_path / "sealed.pdf").write_bytes(packets["sealed"])
    (tmp_path / "unsealed.pdf").write_bytes(packets["en"])
    found = verify_archive(tmp_path, workers=1, trust_roots=[pki.ca_cert])
    sealed, unsealed = found.entries
    assert sealed.ok and sealed.seal_level == "B-B"
    assert not unsealed.ok and unsealed.seal_level == "none"
    assert ("seal", False) in unsealed.checks  # a seal was expected


def test_cli_writes_both_reports_and_exits_1_on_a_failure(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html_file, csv_file = tmp_path / "report.html", tmp_path / "report.csv"
    code = main(
        [
            "verify",
            str(archive),
            "--report",
            str(html_file),
            "--csv",
            str(csv_file),
            "--workers",
            "2",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 1
    assert err.splitlines() == [f"{n}/50" for n in range(1, 51)]  # stderr is not a terminal
    lines = out.splitlines()
    assert len(lines) == 51 and lines[-1] == "FAILED: 23 of 50 packets"
    assert sum(line.startswith("PASS ") for line in lines) == 27
    assert any(
        x.startswith("FAIL bad/edited-en-1.pdf: ") and "Record hash printed" in x for x in lines
    )
    rows = list(csv.reader(io.StringIO(csv_file.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 51
    assert html_file.read_text(encoding="utf-8").count("<tr class=") == 50
    for secret in FULL_NAMES:
        assert secret not in out + csv_file.read_text(encoding="utf-8-sig")


def test_cli_exits_0_when_every_packet_passes(
    tmp_path: Path, packets: dict[str, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    for n in range(3):
        (tmp_path / f"p{n}.pdf").write_bytes(packets["es"])
    assert main(["verify", str(tmp_path), "--workers", "1", "--report-locale", "es"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "ok: all 3 packets passed"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--workers", "0"], "--workers must be at least 1"),
        (["--report-locale", "fr"], "--report-locale must be one of: en, es"),
        (["--level", "B-T", "--trust", "ROOT"], "give a packet, not a folder"),
    ],
)
def test_cli_bad_options_are_one_line(
    tmp_path: Path,
    packets: dict[str, bytes],
    pki: Pki,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    (tmp_path / "root.pem").write_bytes(pki.ca_cert)
    (tmp_path / "p.pdf").write_bytes(packets["en"])
    argv = [str(tmp_path / "root.pem") if a == "ROOT" else a for a in argv]
    assert main(["verify", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.splitlines()) == 1


def test_an_empty_folder_and_reports_for_one_packet_are_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(InputError, match="no \\*.pdf file"):
        verify_archive(tmp_path)
    assert main(["verify", str(tmp_path / "x.pdf"), "--csv", "r.csv"]) == 2
    assert "--report and --csv need a folder" in capsys.readouterr().err


def test_progress_on_a_terminal_is_one_bar_redrawn() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    show = progress_printer(stream)
    for n in range(1, 5):
        show(n, 4)
    text = stream.getvalue()
    assert text.count("\r") == 4 and text.endswith("] 4/4\n") and text.count("\n") == 1
    assert "[" + "#" * 15 + "." * 15 + "] 2/4" in text


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("Alex Example", "A. E."),
        ("  maría  josé ", "M. J."),
        ("李小龍", "李."),
        ("", ""),
        ("Jean-Luc de la Tour Smith", "J. L. D. L."),
    ],
)
def test_initials(name: str, found: str) -> None:
    assert initials(name) == found


def test_check_labels_are_words() -> None:
    from tpi_forms.definitions.words import words

    t = words("report", "en")
    assert check_label("seal_2_trusted", t) == "Seal certificate trusted (seal 2)"
    assert check_label("seal_3", t) == "Seal (seal 3)"
    assert check_label("pages_match", t) == "Other check: pages match"
