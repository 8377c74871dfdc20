"""Hostile input files get one line and exit 2 from the CLI, within bounded time and memory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packet_fixtures import signature_png
from screening_helpers import TODAY, answers

from tpi_forms import AnswersError, validate_answers
from tpi_forms._json import RECORD_LIMITS, JsonLimits, parse_json
from tpi_forms._toml import read_toml
from tpi_forms.definitions.questionnaire import load_questionnaire
from tpi_forms.errors import DefinitionError, InputError, RecordError
from tpi_forms.pdf.packet import MAX_RECORD_BYTES
from tpi_forms.pdf.render import Attachment, PdfMetadata, render_pdf
from tpi_forms.record.model import ConsentRecord
from tpi_forms.screening.answers import MAX_ANSWER_KEYS

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = ROOT / "tpi_forms" / "definitions"
MAX_CPU_SECONDS = 5.0
MAX_RSS_MIB = 300


@dataclass(frozen=True)
class Run:
    """What one ``tpi-forms`` process did."""

    code: int
    """Exit code."""
    out: str
    """Standard output."""
    err: str
    """Standard error."""
    cpu_seconds: float
    """User plus system CPU time."""
    peak_mib: float
    """Peak resident memory."""


# Runs the command line and, on the way out, copies the process's peak memory (VmHWM: of this
# program only, where getrusage's maxrss would also count the forking test process).
_MEASURED = """
import atexit, runpy, sys
def report(path=sys.argv[1]):
    with open("/proc/self/status") as status, open(path, "w") as out:
        out.write(next(line for line in status if line.startswith("VmHWM:")))
atexit.register(report)
sys.argv = ["tpi-forms", *sys.argv[2:]]
runpy.run_module("tpi_forms", run_name="__main__")
"""


def tpi_forms(*args: str | Path, cwd: Path) -> Run:
    """Run ``python -m tpi_forms ARGS``; measure its CPU time (``wait4``) and peak memory."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        with tempfile.NamedTemporaryFile("r") as peak:
            proc = subprocess.Popen(
                [sys.executable, "-c", _MEASURED, peak.name, *map(str, args)],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            peak_kib = int(peak.read().split()[1])
        out.seek(0)
        err.seek(0)
        return Run(
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            usage.ru_utime + usage.ru_stime,
            peak_kib / 1024,
        )


def assert_one_line_error(run: Run, command: str, message: str) -> None:
    assert "Traceback" not in run.err + run.out, run.err[-2000:]
    assert run.code == 2, (run.code, run.err[-500:])
    assert run.err.count("\n") == 1, run.err[-2000:]
    assert run.err.startswith(f"tpi-forms {command}: error: "), run.err
    assert message in run.err, run.err
    assert run.cpu_seconds < MAX_CPU_SECONDS, run.cpu_seconds
    assert run.peak_mib < MAX_RSS_MIB, run.peak_mib


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Hostile inputs, written once: each is named by what it attacks."""
    path = tmp_path_factory.mktemp("hostile")
    (path / "deep.json").write_text("[" * 100_000, "utf-8")
    (path / "digits.json").write_text('{"pain_score": ' + "9" * 5000 + "}", "utf-8")
    with (path / "flood.json").open("w", encoding="utf-8") as fh:  # 45 MB of {}
        fh.write("[")
        chunk = "{}," * 100_000
        for _ in range(150):
            fh.write(chunk)
        fh.write("{}]")
    (path / "duplicate.json").write_text('{"pain_score": 3, "pain_score": 9}', "utf-8")
    (path / "sig.png").write_bytes(signature_png(1))
    (path / "deep.toml").write_text("a = " + "[" * 50_000 + "]" * 50_000 + "\n", "utf-8")
    (path / "digits.toml").write_text("a = " + "9" * 5000 + "\n", "utf-8")
    (path / "dotted.toml").write_text(
        ".".join(["a"] * 50_000) + " = 1\n", "utf-8"
    )  # 40 s of tomllib
    enable_when(path / "deep_condition", "{ all = [%s] }", 300)
    enable_when(path / "nested_condition", "{ not = %s }", 20)
    record = render_pdf(
        "<p>A packet whose record is 100000 opening brackets.</p>",
        metadata=PdfMetadata(title="Deep record", lang="en", author="Test"),
        attachments=[Attachment("record.json", b"[" * 100_000, "the record")],
    )
    (path / "deep_record.pdf").write_bytes(record)
    return path


def enable_when(folder: Path, wrap: str, levels: int) -> None:
    """A copy of the shipped questionnaire with one follow-up's condition nested ``levels`` deep."""
    folder.mkdir()
    for locale in ("en", "es"):
        shutil.copy(DEFINITIONS / f"tpi_screening.{locale}.toml", folder)
    shipped = '{ question = "takes_blood_thinner", equals = true }'
    condition = shipped
    for _ in range(levels):
        condition = wrap % condition
    text = (DEFINITIONS / "tpi_screening.toml").read_text("utf-8")
    assert f"enable_when = {shipped}" in text
    (folder / "tpi_screening.toml").write_text(
        text.replace(f"enable_when = {shipped}", f"enable_when = {condition}", 1), "utf-8"
    )


PACKET = ("--signature", "sig.png", "--signer-name", "Ana Ruiz", "-o", "out.pdf")


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("screen", ["deep.json"], "deep.json: nested more than 64 levels deep"),
        ("packet", ["deep.json", *PACKET], "deep.json: nested more than 64 levels deep"),
        ("screen", ["digits.json"], "digits.json: a number is longer than 40 characters"),
        ("packet", ["digits.json", *PACKET], "digits.json: a number is longer than 40 characters"),
        ("screen", ["flood.json"], "flood.json: larger than 1 MiB"),
        ("packet", ["flood.json", *PACKET], "flood.json: larger than 1 MiB"),
        ("screen", ["duplicate.json"], "duplicate.json: an object has the same key twice"),
        ("check", ["clinic", "deep.toml"], "deep.toml: nested more than 64 levels deep"),
        ("check", ["questionnaire", "deep.toml"], "deep.toml: nested more than 64 levels deep"),
        ("check", ["clinic", "dotted.toml"], "dotted.toml: a key has more than 16 dotted parts"),
        ("check", ["clinic", "digits.toml"], "digits.toml: invalid TOML: a number has too many"),
        (
            "packet",
            ["deep.json", *PACKET, "--clinic", "deep.toml"],
            "deep.toml: nested more than 64 levels deep",
        ),
        (
            "check",
            ["questionnaire", "deep_condition/tpi_screening.toml"],
            "tpi_screening.toml: nested more than 64 levels deep",
        ),
        (
            "check",
            ["questionnaire", "nested_condition/tpi_screening.toml"],
            "conditions are nested more than 16 levels deep",
        ),
        (
            "fhir",
            ["--questionnaire", "--definition", "deep_condition/tpi_screening.toml"],
            "tpi_screening.toml: nested more than 64 levels deep",
        ),
    ],
)
def test_hostile_input_is_one_line_and_exit_2(
    command: str, args: list[str], message: str, folder: Path
) -> None:
    assert_one_line_error(tpi_forms(command, *args, cwd=folder), command, message)


def test_verify_reports_a_deep_record_as_a_failed_check(folder: Path) -> None:
    run = tpi_forms("verify", "deep_record.pdf", cwd=folder)
    assert "Traceback" not in run.err + run.out, run.err[-2000:]
    assert (run.code, run.err) == (1, "")
    assert "FAIL record_embedded: record: nested more than 64 levels deep" in run.out
    assert run.cpu_seconds < MAX_CPU_SECONDS and run.peak_mib < MAX_RSS_MIB


def test_fhir_refuses_a_packet_with_a_deep_record(folder: Path) -> None:
    run = tpi_forms("fhir", "deep_record.pdf", cwd=folder)
    assert "Traceback" not in run.err + run.out, run.err[-2000:]
    assert run.code == 2 and run.err.count("\n") == 1, run.err[-2000:]
    assert run.cpu_seconds < MAX_CPU_SECONDS and run.peak_mib < MAX_RSS_MIB


# -- the reader itself ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 65 + "]" * 65, "nested more than 64 levels deep"),
        ('{"a":' * 65 + "1" + "}" * 65, "nested more than 64 levels deep"),
        ("[" * 100_000, "nested more than 64 levels deep"),
        ("1" * 41, "a number is longer than 40 characters"),
        ("1." + "0" * 39, "a number is longer than 40 characters"),
        ("1e999", "a number is too large"),
        ("NaN", "NaN and Infinity are not JSON numbers"),
        ('{"a": 1, "a": 2}', "an object has the same key twice"),
        ("[" + "[]," * 100_001 + "[]]", "more than 100000 arrays and objects"),
        ("{", "not valid JSON (line 1, column 2: "),
        ("", "not valid JSON (line 1, column 1: "),
    ],
)
def test_reader_refuses_with_one_line(text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_json(text, "in.json", JsonLimits(max_bytes=10_000_000))
    assert str(info.value).startswith(f"in.json: {message}")
    assert "\n" not in str(info.value)


def test_reader_accepts_what_it_should() -> None:
    deepest: list[object] = []
    for _ in range(63):
        deepest = [deepest]
    assert parse_json("[" * 64 + "]" * 64, "x") == deepest
    assert parse_json(b'{"a": [1, 2.5, "\\u00e9", null, true]}', "x") == {
        "a": [1, 2.5, "é", None, True]
    }
    assert parse_json("1" * 40, "x") == int("1" * 40)
    with pytest.raises(InputError, match="x: larger than 1 KiB"):
        parse_json(b" " * 1025, "x", JsonLimits(max_bytes=1024))
    with pytest.raises(InputError, match="x: not UTF-8 text"):
        parse_json(b"\xff", "x")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='[]{}"\\:,0123456789.eE-+ntrufalsNIy \n', max_size=300))
def test_reader_raises_nothing_but_its_own_error(text: str) -> None:
    try:
        parse_json(text, "x")
    except InputError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="[]{}=\"'.,abc019 \n#", max_size=300))
def test_toml_reader_raises_nothing_but_a_definition_error(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.toml"
        path.write_text(text, "utf-8")
        try:
            read_toml(path)
        except DefinitionError as exc:
            assert "\n" not in str(exc)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x = " + "{a = " * 65 + "1" + "}" * 65, "nested more than 64 levels deep"),
        ("x = " + "[" * 65 + "]" * 65, "nested more than 64 levels deep"),
        ("[" + ".".join(["a"] * 17) + "]", "a key has more than 16 dotted parts"),
        (" . ".join(['"\\u0061"'] * 17) + " = 1", "a key has more than 16 dotted parts"),
    ],
)
def test_toml_depth_and_key_length_are_limited(text: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(DefinitionError, match=f"x.toml: {message}"):
        read_toml(path)
    path.write_text("[" + ".".join(["a"] * 16) + "]\nx = 1\n", "utf-8")
    assert read_toml(path).data


def test_toml_files_are_size_limited(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_text("# " + "x" * (1024 * 1024) + "\n", "utf-8")
    with pytest.raises(DefinitionError, match="big.toml: larger than 1 MiB"):
        read_toml(path)


def test_record_limit_is_the_most_a_packet_embeds() -> None:
    assert RECORD_LIMITS.max_bytes == MAX_RECORD_BYTES


def test_record_from_json_is_bounded() -> None:
    with pytest.raises(RecordError, match="record: nested more than 64 levels deep"):
        ConsentRecord.from_json(b"[" * 100_000)
    with pytest.raises(RecordError, match="record: a number is longer than 40 characters"):
        ConsentRecord.from_json(b"9" * 5000)


def test_condition_depth_is_bounded_in_python(tmp_path: Path) -> None:
    enable_when(tmp_path / "q", "{ not = %s }", 17)
    with pytest.raises(DefinitionError, match="nested more than 16 levels deep"):
        load_questionnaire(tmp_path / "q" / "tpi_screening.toml")
    enable_when(tmp_path / "ok", "{ not = { not = %s } }", 8)  # 16 levels of "not" under it
    assert load_questionnaire(tmp_path / "ok" / "tpi_screening.toml")


# -- oversize containers in answers ------------------------------------------------------------


def test_answers_with_too_many_keys_are_refused_as_a_whole() -> None:
    raw = {f"k{i}": 1 for i in range(MAX_ANSWER_KEYS + 1)}
    with pytest.raises(AnswersError) as info:
        validate_answers(raw, today=TODAY)
    assert list(info.value.errors) == [""]
    assert str(MAX_ANSWER_KEYS) in info.value.errors[""][0]


def test_a_huge_multichoice_list_is_refused_at_once() -> None:
    with pytest.raises(AnswersError) as info:
        validate_answers(answers(pain_sites=["neck"] * 1_000_000), today=TODAY)
    assert list(info.value.errors) == ["pain_sites"]
