"""The clinic that uses the forms: facility details, time zone, language and practitioners.

A clinic is a small TOML file (see ``examples/clinic.toml``) or a `Clinic` built in Python::

    >>> clinic = Clinic(
    ...     name="Example Clinic",
    ...     address=("1 Main Street", "Springfield"),
    ...     phone="555-0100",
    ...     time_zone="America/Chicago",
    ...     practitioners=(Practitioner("lee", "Sam Lee", "MD"),),
    ... )
    >>> clinic.practitioner("lee").display_name
    'Sam Lee, MD'
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._resources import definition_folder
from .._toml import Node, read_toml, unique_ids
from ..errors import ClinicError, DefinitionError, FormatError
from ..i18n import babel_locale, zone

LOGO_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg")
SAMPLE_CLINIC = "sample_clinic.toml"


@dataclass(frozen=True)
class Practitioner:
    """A clinician who performs the procedure or holds the consent discussion."""

    id: str
    """Stable id used to pick the practitioner for a document (``performer="lee"``)."""
    name: str
    """Full name as printed on documents."""
    credentials: str | None = None
    """Degrees or licence, e.g. ``MD`` or ``DO, FAAPMR``; printed after the name."""

    def __post_init__(self) -> None:
        for field in ("id", "name"):
            if not getattr(self, field).strip():
                raise ClinicError(f"practitioner {field} must not be empty")
        if self.credentials is not None and not self.credentials.strip():
            raise ClinicError("practitioner credentials must not be empty (leave them out instead)")

    @property
    def display_name(self) -> str:
        """Name and credentials as printed: ``Sam Lee, MD``."""
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


@dataclass(frozen=True)
class Clinic:
    """A facility: what documents print about it, and the zone its times are shown in."""

    name: str
    """Facility name as printed on documents."""
    address: tuple[str, ...]
    """Postal address, one line per element."""
    phone: str
    """Phone number patients call with questions or problems after the procedure."""
    time_zone: str = "UTC"
    """IANA time zone (``America/Chicago``) in which dates and times are shown."""
    default_locale: str = "en"
    """Language of documents when none is asked for."""
    practitioners: tuple[Practitioner, ...] = ()
    """Clinicians who may perform the procedure or hold the discussion; the first is the default."""
    logo: Path | None = None
    """A PNG, JPEG or SVG file printed at the top of documents, or None."""

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ClinicError("clinic name must not be empty")
        if not self.phone.strip():
            raise ClinicError("clinic phone must not be empty")
        if not self.address or any(not line.strip() for line in self.address):
            raise ClinicError("clinic address needs at least one line and no empty lines")
        if not self.practitioners:
            raise ClinicError("a clinic needs at least one practitioner")
        seen: set[str] = set()
        for practitioner in self.practitioners:
            if practitioner.id in seen:
                raise ClinicError(f"duplicate practitioner id '{practitioner.id}'")
            seen.add(practitioner.id)
        try:
            zone(self.time_zone)
            babel_locale(self.default_locale)
        except FormatError as exc:
            raise ClinicError(str(exc)) from None
        if self.logo is not None:
            _check_logo(self.logo)

    def practitioner(self, practitioner_id: str | None = None) -> Practitioner:
        """The practitioner with this id, or the first one when ``practitioner_id`` is None."""
        if practitioner_id is None:
            return self.practitioners[0]
        for practitioner in self.practitioners:
            if practitioner.id == practitioner_id:
                return practitioner
        known = ", ".join(p.id for p in self.practitioners)
        raise ClinicError(f"unknown practitioner '{practitioner_id}' (known: {known})")

    def logo_sha256(self) -> str | None:
        """SHA-256 (hex) of the logo file's bytes, so records can prove which logo was shown."""
        if self.logo is None:
            return None
        return hashlib.sha256(self.logo.read_bytes()).hexdigest()


def _check_logo(path: Path) -> None:
    if path.suffix.lower() not in LOGO_SUFFIXES:
        raise ClinicError(f"logo '{path.name}' must be a PNG, JPEG or SVG file")
    if not path.is_file():
        raise ClinicError(f"logo file '{path}' does not exist")


_CLINIC_KEYS = ("name", "address", "phone", "time_zone", "default_locale", "logo", "practitioners")


def load_clinic(path: str | Path) -> Clinic:
    """Read a clinic file; `DefinitionError` names the file, key and problem on one line.

    A relative ``logo`` path is relative to the clinic file.
    """
    path = Path(path)
    return _build(read_toml(path), path.resolve().parent)


@functools.cache
def sample_clinic() -> Clinic:
    """The fictitious sample clinic shipped for demos and tests (not a real facility)."""
    entry = definition_folder() / SAMPLE_CLINIC
    return _build(read_toml(entry), None)


def _build(root: Node, folder: Path | None) -> Clinic:
    root.check_keys(_CLINIC_KEYS)
    name = root.str("name")
    address = tuple(root.str_list("address", required=True))
    if not address:
        root.fail("needs at least one line", "address")
    phone = root.str("phone")
    time_zone = root.opt_str("time_zone") or "UTC"
    try:
        zone(time_zone)
    except FormatError as exc:
        root.fail(str(exc), "time_zone")
    default_locale = root.opt_str("default_locale") or "en"
    try:
        babel_locale(default_locale)
    except FormatError as exc:
        root.fail(str(exc), "default_locale")
    logo = _logo(root, folder)
    nodes = root.tables("practitioners")
    if not nodes:
        root.fail("a clinic needs at least one practitioner", "practitioners")
    unique_ids(((n, n.str("id")) for n in nodes), "practitioner")
    practitioners = tuple(_practitioner(n) for n in nodes)
    try:
        return Clinic(name, address, phone, time_zone, default_locale, practitioners, logo)
    except ClinicError as exc:  # every field was checked above; kept for a clear message anyway
        raise DefinitionError(root.file, "", str(exc)) from None


def _logo(root: Node, folder: Path | None) -> Path | None:
    raw = root.opt_str("logo")
    if raw is None:
        return None
    if folder is None:
        root.fail("a shipped clinic cannot name a logo file", "logo")
    logo = Path(raw)
    if not logo.is_absolute():
        logo = folder / logo
    try:
        _check_logo(logo)
    except ClinicError as exc:
        root.fail(str(exc), "logo")
    return logo


def _practitioner(node: Node) -> Practitioner:
    node.check_keys(("id", "name", "credentials"))
    return Practitioner(node.str("id"), node.str("name"), node.opt_str("credentials"))


def clinic_to_dict(clinic: Clinic) -> dict[str, Any]:
    """The clinic as JSON-native data (the logo as file name and SHA-256 of its bytes)."""
    return {
        "name": clinic.name,
        "address": list(clinic.address),
        "phone": clinic.phone,
        "time_zone": clinic.time_zone,
        "default_locale": clinic.default_locale,
        "practitioners": [
            {"id": p.id, "name": p.name, "credentials": p.credentials} for p in clinic.practitioners
        ],
        "logo": None
        if clinic.logo is None
        else {"file": clinic.logo.name, "sha256": clinic.logo_sha256()},
    }
