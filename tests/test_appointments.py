"""The appointment list: usable rows become packet requests; others are named by line only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tpi_forms.pdf.appointments import AppointmentsError, read_appointments

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
    assert second.file_name == "09-30_A-2.pdf"  # no slash reaches the file system
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
