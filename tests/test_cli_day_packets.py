"""``tpi-forms day-packets`` writes one pre-filled packet per usable appointment, with progress."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from packet_fixtures import pdf_text, squash

from tpi_forms.cli import main
from tpi_forms.cli.day_packets import ProgressBar

CSV = (
    "appointment_id,time,patient_name,date_of_birth,language,sites,steroid\n"
    "A-0901,09:00,Alex Example,1980-04-12,en,neck;upper_back,no\n"
    "A-0930,09:30,Sam Example,1961-07-04,es,lower_back,yes\n"
    "A-1000,10:00,Kim Example,1990-01-01,fr,neck,no\n"
)


@pytest.mark.slow
def test_writes_packets_and_reports_bad_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "day.csv").write_text(CSV, encoding="utf-8")
    out = tmp_path / "out"
    code = main(
        ["day-packets", str(tmp_path / "day.csv"), "--out-dir", str(out), "--page-size", "a4"]
    )
    captured = capsys.readouterr()
    assert code == 1  # one row was skipped
    assert "skipped line 4: language must be one of en, es" in captured.err
    assert "Kim" not in captured.err
    assert "[" + "#" * 30 + "] 2/2 packets" in captured.err
    assert captured.out.strip() == f"wrote 2 packet(s) to {out}"
    assert sorted(p.name for p in out.iterdir()) == ["09-00_A-0901.pdf", "09-30_A-0930.pdf"]
    spanish = pdf_text((out / "09-30_A-0930.pdf").read_bytes())
    assert all(squash("Paciente: Sam Example") in squash(page) for page in spanish)


def test_bad_options_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["day-packets", str(tmp_path / "none.csv"), "--out-dir", str(tmp_path)]) == 2
    assert "cannot read none.csv" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["day-packets", "x.csv", "--out-dir", "o", "--workers", "0"])
    assert info.value.code == 2


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_redraws_on_a_terminal_and_prints_once_to_a_file() -> None:
    live = Terminal()
    bar = ProgressBar(live, width=4)
    for done in range(1, 3):
        bar(done, 2)
    assert live.getvalue() == "\r[##..] 1/2 packets\r[####] 2/2 packets\n"
    plain = io.StringIO()
    bar = ProgressBar(plain, width=4)
    for done in range(1, 3):
        bar(done, 2)
    assert plain.getvalue() == "[####] 2/2 packets\n"


# -- file names: unique, never overwriting (issue 17) --------------------------------------------

HEADER = "appointment_id,time,patient_name,date_of_birth,language,sites,steroid\n"


def fake_packets(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Render in this process with a fake renderer: each 'PDF' names its patient; returns calls."""
    from tpi_forms.pdf import batch

    calls: list[str] = []

    def render(renderer: object, item: batch.BlankPacketRequest) -> bytes:
        name = item.patient.name if item.patient else None
        calls.append(str(name))
        return f"%PDF-fake {name}".encode()

    monkeypatch.setattr(batch, "_render_blank", render)
    return calls


def day(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "day.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_ids_that_clean_to_the_same_name_get_files_of_their_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_packets(monkeypatch)
    csv = day(tmp_path, "A 1,09:00,Ann One,,en,,no\nA/1,09:00,Ben Two,,en,,no\n")
    out = tmp_path / "out"
    assert main(["day-packets", str(csv), "--out-dir", str(out), "--workers", "1"]) == 0
    files = sorted(out.iterdir())
    assert len(files) == 2 and all("/" not in f.name and " " not in f.name for f in files)
    assert {f.read_bytes() for f in files} == {b"%PDF-fake Ann One", b"%PDF-fake Ben Two"}
    assert capsys.readouterr().out.strip() == f"wrote 2 packet(s) to {out}"


def test_a_file_already_in_the_folder_is_never_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = fake_packets(monkeypatch)
    csv = day(tmp_path, "A-1,09:00,Ann One,,en,,no\nA-2,09:30,Ben Two,,en,,no\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "09-00_A-1.pdf").write_bytes(b"printed this morning")
    assert main(["day-packets", str(csv), "--out-dir", str(out), "--workers", "1"]) == 1
    assert (out / "09-00_A-1.pdf").read_bytes() == b"printed this morning"
    assert (out / "09-30_A-2.pdf").read_bytes() == b"%PDF-fake Ben Two"
    captured = capsys.readouterr()
    assert (
        "skipped line 2: 09-00_A-1.pdf is already in the folder (not overwritten)" in captured.err
    )
    assert "Ann" not in captured.err
    assert captured.out.strip() == f"wrote 1 packet(s) to {out}"
    assert calls == ["Ben Two"]  # the skipped row is not rendered either


def test_a_repeated_appointment_is_refused_by_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_packets(monkeypatch)
    csv = day(tmp_path, "A-1,09:00,Ann One,,en,,no\nA-1,09:00,Ann Again,,en,,no\n")
    out = tmp_path / "out"
    assert main(["day-packets", str(csv), "--out-dir", str(out), "--workers", "1"]) == 1
    assert [f.name for f in out.iterdir()] == ["09-00_A-1.pdf"]
    assert (out / "09-00_A-1.pdf").read_bytes() == b"%PDF-fake Ann One"
    captured = capsys.readouterr()
    assert "skipped line 3: the same appointment_id as line 2" in captured.err
    assert "Ann" not in captured.err
    assert captured.out.strip() == f"wrote 1 packet(s) to {out}"


def test_each_file_is_written_as_soon_as_its_packet_is_ready(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tpi_forms.pdf import batch

    out = tmp_path / "out"
    seen: list[list[str]] = []  # the files in the folder when each packet starts rendering

    def render(renderer: object, item: batch.BlankPacketRequest) -> bytes:
        seen.append(sorted(p.name for p in out.iterdir()))
        return b"%PDF-fake"

    monkeypatch.setattr(batch, "_render_blank", render)
    rows = "".join(f"A-{i},09:0{i},,,en,,no\n" for i in range(3))
    assert (
        main(["day-packets", str(day(tmp_path, rows)), "--out-dir", str(out), "--workers", "1"])
        == 0
    )
    assert seen == [[], ["09-00_A-0.pdf"], ["09-00_A-0.pdf", "09-01_A-1.pdf"]]
    assert capsys.readouterr().out.strip() == f"wrote 3 packet(s) to {out}"


def test_a_failing_packet_stops_the_batch_and_keeps_what_was_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tpi_forms.errors import PacketError
    from tpi_forms.pdf import batch

    def render(renderer: object, item: batch.BlankPacketRequest) -> bytes:
        if item.patient and item.patient.name == "Ben Two":
            raise PacketError("the packet could not be rendered")
        return b"%PDF-fake"

    monkeypatch.setattr(batch, "_render_blank", render)
    rows = "A-1,09:00,Ann One,,en,,no\nA-2,09:30,Ben Two,,en,,no\nA-3,10:00,Cy Three,,en,,no\n"
    out = tmp_path / "out"
    assert (
        main(["day-packets", str(day(tmp_path, rows)), "--out-dir", str(out), "--workers", "1"])
        == 2
    )
    assert [p.name for p in out.iterdir()] == ["09-00_A-1.pdf"]
    captured = capsys.readouterr()
    assert captured.out.strip() == f"wrote 1 packet(s) to {out}"
    assert "error: the packet could not be rendered" in captured.err
