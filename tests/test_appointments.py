"""The appointment list: usable rows become packet requests; others are named by line only."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from tpi_forms.pdf.appointments import (
    AppointmentsError,
    packet_file_name,
    read_appointments,
    write_new,
)

HEADER = "appointment_id,time,patient_name,date_of_birth,language,sites,steroid\n"


def write(tmp_path: Path, rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "day.csv"
    path.write_text(header + rows, encoding="utf-8")
    return path


def test_usable_rows(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "A-1,09:00,Alex Example,1980-04-12,en,neck;upper_back,no\nA/2,09:30,,,es,,yes\n",
    )
    (first, second), errors = read_appointments(path)
    assert errors == []
    assert first.procedure.sites == ("neck", "upper_back") and not first.procedure.corticosteroid
    assert (first.patient.name, first.patient.date_of_birth) == (
        "Alex Example",
        dt.date(1980, 4, 12),
    )
    assert first.file_name == "09-00_A-1.pdf"
    assert second.procedure.sites is None and second.procedure.corticosteroid
    assert (second.patient.name, second.patient.date_of_birth, second.language) == (
        None,
        None,
        "es",
    )
    assert re.fullmatch(r"09-30_A-2-[0-9a-f]{8}\.pdf", second.file_name)  # no slash
    request = second.request()
    assert (request.locale, request.patient, request.procedure) == (
        "es",
        second.patient,
        second.procedure,
    )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("A,09:00,Kim Secret,1990-01-01,fr,neck,no", "language must be one of en, es"),
        ("A,09:00,Kim Secret,1990-01-01,en,elbow,no", "unknown site 'elbow'"),
        ("A,09:00,Kim Secret,1990-01-01,en,neck,maybe", "steroid must be yes or no"),
        (
            "A,09:00,Kim Secret,31/12/1990,en,neck,no",
            "date_of_birth must be a date written YYYY-MM-DD",
        ),
        ("A,09:00,Kim Secret,2999-01-01,en,neck,no", "the date of birth is in the future"),
        (",09:00,Kim Secret,1990-01-01,en,neck,no", "appointment_id and time are needed"),
    ],
)
def test_unusable_rows_are_named_by_line_only(tmp_path: Path, row: str, message: str) -> None:
    path = write(tmp_path, "A-1,09:00,,,en,neck,no\n" + row + "\n")
    appointments, errors = read_appointments(path)
    assert len(appointments) == 1
    (error,) = errors
    assert error.startswith(f"line 3: {message}")
    assert "Kim" not in error and "Secret" not in error and "1990" not in error


def test_missing_columns(tmp_path: Path) -> None:
    with pytest.raises(AppointmentsError, match=r"day.csv: missing column\(s\): sites, steroid"):
        read_appointments(write(tmp_path, "A,09:00\n", header="appointment_id,time\n"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AppointmentsError, match="cannot read none.csv"):
        read_appointments(tmp_path / "none.csv")


def test_not_text(tmp_path: Path) -> None:
    path = tmp_path / "day.csv"
    path.write_bytes(HEADER.encode() + b"\xff\xfe\x00bad\n")
    with pytest.raises(AppointmentsError, match="not a readable CSV file"):
        read_appointments(path)


def test_file_names_are_unique_and_say_no_patient_name(tmp_path: Path) -> None:
    rows = [
        "A 1,09:00,Kim Secret,,en,,no",
        "A/1,09:00,Kim Secret,,en,,no",
        "A-1,09:00,Kim Secret,,en,,no",
        "a-1,09:00,Kim Secret,,en,,no",  # one file with A-1 on a disk that ignores case
        "A-1,9:00 am,Kim Secret,,en,,no",  # the same id at another time: a repeat
        "B-2,09:00,Kim Secret,,en,,no",
    ]
    appointments, errors = read_appointments(write(tmp_path, "\n".join(rows) + "\n"))
    assert errors == ["line 6: the same appointment_id as line 4"]
    names = [a.file_name for a in appointments]
    assert len({n.casefold() for n in names}) == len(names) == 5
    assert names[2] == "09-00_A-1.pdf" and names[4] == "09-00_B-2.pdf"
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+\.pdf", n) and "Kim" not in n for n in names)
    # A name depends on its row only, so running the list again finds the same files.
    again, _ = read_appointments(write(tmp_path, "A/1,09:00,,,en,,no\n"))
    assert again[0].file_name == names[1]


def test_packet_file_names() -> None:
    assert packet_file_name("09:00", "A-0901") == "09-00_A-0901.pdf"
    assert packet_file_name("09:00", "A 1") != packet_file_name("09:00", "A/1")
    assert packet_file_name("09:00", "A 1").startswith("09-00_A-1-")
    assert packet_file_name("/", "..").startswith("appointment-")


def test_write_new_never_replaces_a_file(tmp_path: Path) -> None:
    target = tmp_path / "09-00_A-1.pdf"
    assert write_new(target, b"first") is True
    assert write_new(target, b"second") is False
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary file left


def test_write_new_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os

    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "packet.pdf"
    assert write_new(target, b"first") is True
    assert write_new(target, b"second") is False
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
