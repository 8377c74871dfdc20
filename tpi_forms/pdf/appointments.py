"""A day's appointment list (CSV) read into pre-filled blank packet requests.

The CSV has a header row and these columns (extra columns are ignored)::

    appointment_id,time,patient_name,date_of_birth,language,sites,steroid
    A-0901,09:00,Alex Example,1980-04-12,en,neck;upper_back,no
    A-0930,09:30,Sam Example,1961-07-04,es,lower_back,yes

``patient_name`` and ``date_of_birth`` (``YYYY-MM-DD``) may be empty or missing: the packet then
has lines to write them on. ``sites`` are site ids of the questionnaire separated by ``;`` (empty:
the clinician marks them); ``steroid`` is ``yes`` or ``no``; ``language`` is one the
questionnaire has. A row that cannot be used is reported by its line number, never by the
patient's name; so is a row that repeats an earlier row's ``appointment_id``.

Each packet's file is named by time and appointment id (`packet_file_name`); two rows of a list
never share a name, and `write_new` never replaces a file already in the folder.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import hashlib
import os
import re
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from ..definitions.clinic import Clinic
from ..definitions.questionnaire import Questionnaire, load_questionnaire
from ..errors import AppointmentsError, TpiFormsError
from ..screening.procedure import PlannedProcedure
from .batch import BlankPacketRequest
from .packet import BlankPatient

REQUIRED_COLUMNS = ("appointment_id", "time", "sites", "steroid")
CLEAN_TIME = re.compile(r"[0-9]{1,2}:[0-9]{2}")
CLEAN_ID = re.compile(r"[A-Za-z0-9_-]+")
NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS}


@dataclass(frozen=True)
class Appointment:
    """One usable row of the appointment list."""

    line: int
    """Line number in the CSV file (messages name lines, never patients)."""
    appointment_id: str
    """The clinic's id of the appointment; with the time it names the packet's file."""
    time: str
    """The appointment's time as written in the list, e.g. ``09:00``."""
    language: str
    """Language of the packet."""
    procedure: PlannedProcedure
    """The planned procedure whose consent the packet prints."""
    patient: BlankPatient
    """Name and date of birth printed on the packet (either may be missing: a line to write on)."""
    file_name: str = ""
    """Its packet's file name, from `packet_file_name` (unique in its list); no patient name."""

    def __post_init__(self) -> None:
        if not self.file_name:
            object.__setattr__(self, "file_name", packet_file_name(self.time, self.appointment_id))

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
    lines_by_id: dict[str, int] = {}
    lines_by_file: dict[str, int] = {}
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
                    appointments.append(_unique(appointment, lines_by_id, lines_by_file))
                except (TpiFormsError, ValueError) as exc:
                    errors.append(f"line {line}: {exc}")
        except (csv.Error, UnicodeDecodeError) as exc:
            raise AppointmentsError(f"{path.name}: not a readable CSV file ({exc})") from None
    return appointments, errors


def packet_file_name(time: str, appointment_id: str, *, hashed: bool = False) -> str:
    """``<time>_<appointment id>.pdf``, e.g. ``09-00_A-0901.pdf``; never a patient's name.

    When the time is not ``HH:MM`` or the id has characters other than letters, digits, ``-``
    and ``_`` (or ``hashed``), those are replaced and 8 hex digits of a hash of the time and id
    are added, so ``A 1`` and ``A/1`` at 09:00 get names of their own.
    """
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{time}_{appointment_id}").strip("-_")
    if not hashed and CLEAN_TIME.fullmatch(time) and CLEAN_ID.fullmatch(appointment_id):
        return f"{safe}.pdf"
    digest = hashlib.sha256(f"{time}\n{appointment_id}".encode()).hexdigest()
    return f"{safe or 'appointment'}-{digest[:8]}.pdf"


def write_new(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless a file is there already; False (nothing written) then.

    The bytes go to a temporary file in the same folder, which is then linked to ``path`` in one
    step that fails when ``path`` exists: never a half-written file, never a replaced one. On a
    disk without hard links (a FAT memory stick) the file is created exclusively and written.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        _write_synced(tmp, data)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in NO_HARD_LINKS:
                raise
            return _write_exclusive(path, data)
    finally:
        tmp.unlink(missing_ok=True)
    return True


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("xb") as handle:  # "x": fails when the file exists
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _write_exclusive(path: Path, data: bytes) -> bool:
    try:
        _write_synced(path, data)
    except FileExistsError:
        return False
    except BaseException:
        path.unlink(missing_ok=True)  # ours: it did not exist before
        raise
    return True


def _unique(
    appointment: Appointment, lines_by_id: dict[str, int], lines_by_file: dict[str, int]
) -> Appointment:
    """The appointment with a file name no earlier row has; a repeated appointment is refused.

    Names are compared ignoring case: on some disks ``A-1.pdf`` and ``a-1.pdf`` are one file.
    """
    earlier = lines_by_id.get(appointment.appointment_id)
    if earlier is not None:
        raise ValueError(f"the same appointment_id as line {earlier}")
    if appointment.file_name.casefold() in lines_by_file:
        hashed = packet_file_name(appointment.time, appointment.appointment_id, hashed=True)
        appointment = replace(appointment, file_name=hashed)
    earlier = lines_by_file.get(appointment.file_name.casefold())
    if earlier is not None:
        raise ValueError(f"its file name would be the same as line {earlier}'s")
    lines_by_id[appointment.appointment_id] = appointment.line
    lines_by_file[appointment.file_name.casefold()] = appointment.line
    return appointment


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
