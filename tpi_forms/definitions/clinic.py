"""The clinic that uses the forms: facility details, time zone, language, practitioners, logo.

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
    >>> Clinic.from_dict(clinic.to_dict()) == clinic
    True

`Clinic.to_dict` is how a signed record keeps the clinic, and `Clinic.from_dict` is how
verification gets it back. The logo travels inside that dict as its bytes (see `ClinicLogo`), so
a record rebuilds the very consent it was signed on, logo hash included, without the clinic's
files.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import hashlib
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._resources import definition_folder
from .._toml import Node, read_toml, unique_ids
from ..errors import ClinicError, DefinitionError, FormatError
from ..i18n import babel_locale, zone

LOGO_TYPES = {
    ".png": ("PNG", "image/png"),
    ".jpg": ("JPEG", "image/jpeg"),
    ".jpeg": ("JPEG", "image/jpeg"),
}
"""Logo file suffixes, with the image format and media type each must hold."""
LOGO_MODES = {"PNG": ("1", "L", "LA", "P", "RGB", "RGBA"), "JPEG": ("L", "RGB", "CMYK")}
"""Pixel modes (Pillow's names) a logo may have: 8-bit images that PDF pages show unchanged."""
MAX_LOGO_BYTES = 1024 * 1024
"""Largest logo file, in bytes; records carry the logo, so it stays small."""
MAX_LOGO_SIDE = 2000
"""Largest logo width or height, in pixels."""
SAMPLE_CLINIC = "sample_clinic.toml"
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ClinicLogo:
    """The clinic's logo as documents print it: the file's name and its exact bytes.

    A logo is read once (`ClinicLogo.read`, at most `MAX_LOGO_BYTES`) and then kept as bytes,
    not as a path: the consent hash names its SHA-256, the packet prints it as a ``data:`` URI,
    and the signed record carries it (base64), so a packet can be verified years later against
    the logo it shows even when the clinic's file has changed or gone. PNG and JPEG only: an
    image has pixels that verification compares with the page, where an SVG would be redrawn.

    >>> ClinicLogo("logo.gif", b"GIF89a")
    Traceback (most recent call last):
    ...
    tpi_forms.errors.ClinicError: logo 'logo.gif' must be a PNG or JPEG file
    """

    file_name: str
    """Name of the file it came from (``logo.png``); its suffix says PNG or JPEG."""
    data: bytes = dataclasses.field(repr=False)
    """The image file's bytes, unchanged."""

    def __post_init__(self) -> None:
        name = self.file_name
        kind = LOGO_TYPES.get(Path(name).suffix.lower())
        if not name or Path(name).name != name or kind is None:
            raise ClinicError(f"logo '{name[:80]}' must be a PNG or JPEG file")
        if not isinstance(self.data, bytes) or not self.data:
            raise ClinicError(f"logo '{name}' is empty")
        if len(self.data) > MAX_LOGO_BYTES:
            raise ClinicError(f"logo '{name}' is larger than {MAX_LOGO_BYTES // 1024} KiB")
        _check_pixels(name, self.data, kind[0])

    @property
    def media_type(self) -> str:
        """``image/png`` or ``image/jpeg``."""
        return LOGO_TYPES[Path(self.file_name).suffix.lower()][1]

    @functools.cached_property
    def sha256(self) -> str:
        """SHA-256 (hex) of the bytes: what the consent hash covers."""
        return hashlib.sha256(self.data).hexdigest()

    def data_uri(self) -> str:
        """The logo as a ``data:`` URI, the only kind of image packets and pages fetch."""
        return f"data:{self.media_type};base64," + base64.b64encode(self.data).decode("ascii")

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> ClinicLogo:
        """Read a logo file, stopping (`ClinicError`) as soon as it is over `MAX_LOGO_BYTES`."""
        path = Path(path)
        if path.suffix.lower() not in LOGO_TYPES:
            raise ClinicError(f"logo '{path.name}' must be a PNG or JPEG file")
        if not path.is_file():
            raise ClinicError(f"logo file '{path}' does not exist")
        data = bytearray()
        try:
            with path.open("rb") as file:
                while chunk := file.read(_CHUNK):
                    data += chunk
                    if len(data) > MAX_LOGO_BYTES:
                        raise ClinicError(
                            f"logo '{path.name}' is larger than {MAX_LOGO_BYTES // 1024} KiB"
                        )
        except OSError as exc:
            raise ClinicError(f"logo file '{path}' cannot be read ({exc.strerror})") from None
        return cls(path.name, bytes(data))

    def to_dict(self) -> dict[str, Any]:
        """File name, media type, SHA-256 and the bytes as base64."""
        return {
            "file": self.file_name,
            "media_type": self.media_type,
            "sha256": self.sha256,
            "data_base64": base64.b64encode(self.data).decode("ascii"),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClinicLogo:
        """Rebuild a logo from `to_dict`; `ClinicError` when its bytes do not match its SHA-256."""
        raw = data.get("data_base64")
        if not isinstance(raw, str):
            raise ClinicError("the clinic logo has no image data")
        if len(raw) > (MAX_LOGO_BYTES + 2) // 3 * 4:
            raise ClinicError(f"the clinic logo is larger than {MAX_LOGO_BYTES // 1024} KiB")
        try:
            image = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise ClinicError("the clinic logo is not valid base64") from None
        logo = cls(str(data.get("file", "")), image)
        if data.get("sha256") != logo.sha256 or data.get("media_type") != logo.media_type:
            raise ClinicError("the clinic logo does not match its recorded SHA-256 and type")
        return logo


def _check_pixels(name: str, data: bytes, expected: str) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data), formats=[expected]) as image:
            width, height = image.size
            if not (0 < width <= MAX_LOGO_SIDE and 0 < height <= MAX_LOGO_SIDE):
                raise ClinicError(
                    f"logo '{name}' must be at most {MAX_LOGO_SIDE} pixels on each side"
                )
            if image.mode not in LOGO_MODES[expected]:
                raise ClinicError(f"logo '{name}' must be an 8-bit {expected} image")
            image.load()
    except ClinicError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ClinicError(f"logo '{name}' is not a readable {expected} image") from None


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
    logo: ClinicLogo | None = None
    """Printed at the top of the packet and on the consent, or None (`ClinicLogo.read`)."""

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
        if self.logo is not None and not isinstance(self.logo, ClinicLogo):
            raise ClinicError("the clinic logo must be a ClinicLogo (ClinicLogo.read(path))")

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
        """SHA-256 (hex) of the logo's bytes, so records can prove which logo was shown."""
        return None if self.logo is None else self.logo.sha256

    def to_dict(self) -> dict[str, Any]:
        """The clinic as JSON-native data, the logo with its bytes (`ClinicLogo.to_dict`)."""
        return {
            "name": self.name,
            "address": list(self.address),
            "phone": self.phone,
            "time_zone": self.time_zone,
            "default_locale": self.default_locale,
            "practitioners": [
                {"id": p.id, "name": p.name, "credentials": p.credentials}
                for p in self.practitioners
            ],
            "logo": None if self.logo is None else self.logo.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Clinic:
        """Rebuild a clinic from `to_dict` output (a record's); `ClinicError` when it is not one."""
        try:
            logo = data.get("logo")
            return cls(
                name=data["name"],
                address=tuple(data["address"]),
                phone=data["phone"],
                time_zone=data["time_zone"],
                default_locale=data["default_locale"],
                practitioners=tuple(
                    Practitioner(p["id"], p["name"], p.get("credentials"))
                    for p in data["practitioners"]
                ),
                logo=None if logo is None else ClinicLogo.from_dict(logo),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ClinicError(
                f"the clinic data is missing a field or has a wrong type ({exc!r:.60})"
            ) from None


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


def _logo(root: Node, folder: Path | None) -> ClinicLogo | None:
    raw = root.opt_str("logo")
    if raw is None:
        return None
    if folder is None:
        root.fail("a shipped clinic cannot name a logo file", "logo")
    path = Path(raw)
    if not path.is_absolute():
        path = folder / path
    try:
        return ClinicLogo.read(path)
    except ClinicError as exc:
        root.fail(str(exc), "logo")


def _practitioner(node: Node) -> Practitioner:
    node.check_keys(("id", "name", "credentials"))
    return Practitioner(node.str("id"), node.str("name"), node.opt_str("credentials"))
