"""A day's appointment list (CSV) read into pre-filled blank packet requests.

The CSV has a header row and these columns (extra columns are ignored)::

    appointment_id,time,patient_name,date_of_birth,language,sites,steroid
    A-0901,09:00,Alex Example,1980-04-12,en,neck;upper_back,no
    A-0930,09:30,Sam Example,1961-07-04,es,lower_back,yes

``patient_name`` and ``date_of_birth`` (``YYYY-MM-DD``) may be empty or missing: the packet then
has lines to write them on. ``sites`` are site ids of the questionnaire separated by ``;`` (empty:
the clinician marks them); ``steroid`` is ``yes`` or ``no``; ``language`` is one the
questionnaire has. A row that cannot be used is reported by its line number, never by the
patient's name.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from ..definitions.clinic import Clinic
from ..definitions.questionnaire import Questionnaire, load_questionnaire
from ..errors import AppointmentsError, TpiFormsError
from ..screening.procedure import PlannedProcedure
from .batch import BlankPacketRequest
from .packet import BlankPatient

REQUIRED_COLUMNS = ("appointment_id", "time", "sites", "steroid")


@dataclass(frozen=True)
class Appointment:
    """One usable row of the appointment list."""

    line: int
    """Line number in the CSV file (messages name lines, never patients)."""
    appointment_id: str
    time: str
    language: str
    procedure: PlannedProcedure
    patient: BlankPatient
    """Name and date of birth printed on the packet (either may be missing: a line to write on)."""

    @property
    def file_name(self) -> str:
        """``<time>_<appointment id>.pdf`` with unsafe characters replaced; no patient name."""
        safe = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{self.time}_{self.appointment_id}").strip("-")
        return f"{safe or 'appointment'}.pdf"

    def request(self, clinic: Clinic | None = None) -> BlankPacketRequest:
        """This appointment's packet, for `tpi_forms.pdf.batch.render_blank_packets`."""
        return BlankPacketRequest(self.procedure, clinic, self.language, self.patient)


def read_appointments(
    path: str | Path, questionnaire: Questionnaire | None = None
) -> tuple[list[Appointment], list[str]]:
    """The usable rows of ``path`` and a message for each row that cannot be used."""
    q = questionnaire or load_questionnaire()
    path = Path(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise AppointmentsError(f"cannot read {path.name}: {exc.strerror}") from None
    appointments: list[Appointment] = []
    errors: list[str] = []
    with handle:
        try:
            reader = csv.DictReader(handle)
            missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise AppointmentsError(f"{path.name}: missing column(s): {', '.join(missing)}")
            for line, row in enumerate(reader, start=2):
                try:
                    appointment = _appointment(line, row, q)
                    appointment.procedure.check(q)
                    appointments.append(appointment)
                except (TpiFormsError, ValueError) as exc:
                    errors.append(f"line {line}: {exc}")
        except (csv.Error, UnicodeDecodeError) as exc:
            raise AppointmentsError(f"{path.name}: not a readable CSV file ({exc})") from None
    return appointments, errors


def _appointment(line: int, row: dict[str, str | None], q: Questionnaire) -> Appointment:
    def cell(name: str) -> str:
        return (row.get(name) or "").strip()

    language = cell("language") or q.locales[0]
    if language not in q.locales:
        raise ValueError(f"language must be one of {', '.join(q.locales)}")
    steroid = cell("steroid").lower()
    if steroid not in ("yes", "no"):
        raise ValueError("steroid must be yes or no")
    if not cell("appointment_id") or not cell("time"):
        raise ValueError("appointment_id and time are needed (they name the file)")
    sites = tuple(site.strip() for site in cell("sites").split(";") if site.strip())
    born = cell("date_of_birth")
    try:
        date_of_birth = dt.date.fromisoformat(born) if born else None
    except ValueError:
        raise ValueError("date_of_birth must be a date written YYYY-MM-DD") from None
    return Appointment(
        line=line,
        appointment_id=cell("appointment_id"),
        time=cell("time"),
        language=language,
        procedure=PlannedProcedure(sites=sites or None, corticosteroid=steroid == "yes"),
        patient=BlankPatient(cell("patient_name") or None, date_of_birth),
    )
