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
