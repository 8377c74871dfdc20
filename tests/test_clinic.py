"""Clinic configuration: the sample, the example file, direct construction and one-line errors."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tpi_forms.definitions.clinic import (
    MAX_LOGO_BYTES,
    Clinic,
    ClinicError,
    ClinicLogo,
    Practitioner,
    load_clinic,
    sample_clinic,
)
from tpi_forms.errors import DefinitionError

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "clinic.toml"

GOOD = """\
name = "Test Clinic"
address = ["1 Test Road", "Testville"]
phone = "555-0000"
time_zone = "Europe/Madrid"
default_locale = "es"

[[practitioners]]
id = "a"
name = "Ana Test"
credentials = "MD"

[[practitioners]]
id = "b"
name = "Ben Test"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "clinic.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_clinic_is_marked_fictitious() -> None:
    clinic = sample_clinic()
    assert "fictitious" in clinic.name.lower()
    assert clinic.practitioners
    assert clinic.time_zone == "America/Chicago"


def test_example_clinic_file_loads() -> None:
    clinic = load_clinic(EXAMPLE)
    assert clinic.name == "Example Family Practice"
    assert [p.id for p in clinic.practitioners] == ["rivera", "chen"]
    assert clinic.practitioner("chen").display_name == "Morgan Chen, PA-C"


def test_good_file(tmp_path: Path) -> None:
    clinic = load_clinic(write(tmp_path, GOOD))
    assert clinic.address == ("1 Test Road", "Testville")
    assert clinic.default_locale == "es"
    assert clinic.practitioner().id == "a"
    assert clinic.practitioner("b").display_name == "Ben Test"
    assert clinic.logo is None and clinic.logo_sha256() is None


def test_defaults_for_optional_keys(tmp_path: Path) -> None:
    text = GOOD.replace('time_zone = "Europe/Madrid"\n', "").replace('default_locale = "es"\n', "")
    clinic = load_clinic(write(tmp_path, text))
    assert (clinic.time_zone, clinic.default_locale) == ("UTC", "en")


COLOURS: dict[str, Any] = {"RGBA": (10, 120, 200, 255), "RGB": (10, 120, 200), "L": 90}


def image_bytes(fmt: str = "PNG", mode: str = "RGBA", size: tuple[int, int] = (40, 20)) -> bytes:
    image = Image.new(mode, size, COLOURS.get(mode, 3))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def test_logo_relative_to_the_clinic_file(tmp_path: Path) -> None:
    (tmp_path / "art").mkdir()
    data = image_bytes()
    (tmp_path / "art" / "logo.png").write_bytes(data)
    clinic = load_clinic(write(tmp_path, 'logo = "art/logo.png"\n' + GOOD))
    assert clinic.logo == ClinicLogo("logo.png", data)
    assert clinic.logo_sha256() == hashlib.sha256(data).hexdigest()
    assert clinic.logo is not None and clinic.logo.media_type == "image/png"
    assert clinic.logo.data_uri() == "data:image/png;base64," + base64.b64encode(data).decode()


def test_a_logo_is_read_once_and_kept_as_bytes(tmp_path: Path) -> None:
    path = tmp_path / "logo.jpg"
    path.write_bytes(image_bytes("JPEG", "RGB"))
    logo = ClinicLogo.read(path)
    path.write_bytes(image_bytes("JPEG", "L"))
    assert logo.data != path.read_bytes()
    assert (logo.file_name, logo.media_type) == ("logo.jpg", "image/jpeg")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "must be a PNG or JPEG file"),
        ("logo.png", b"", "is empty"),
        ("logo.png", b"\x89PNG\r\n\x1a\n", "is not a readable PNG image"),
        ("logo.png", image_bytes("JPEG", "RGB"), "is not a readable PNG image"),
        ("logo.jpg", image_bytes("PNG"), "is not a readable JPEG image"),
        ("logo.png", image_bytes("PNG", "I;16"), "must be an 8-bit PNG image"),
        ("logo.png", image_bytes("PNG", "L", (2001, 4)), "at most 2000 pixels on each side"),
        ("logo.png", b"\0" * (MAX_LOGO_BYTES + 1), "is larger than 1024 KiB"),
        ("../logo.png", image_bytes(), "must be a PNG or JPEG file"),
    ],
)
def test_a_bad_logo_gives_a_one_line_error(name: str, data: bytes, message: str) -> None:
    with pytest.raises(ClinicError) as info:
        ClinicLogo(name, data)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_too_big_logo_file_stops_the_read_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.png"
    path.write_bytes(image_bytes() + b"\0" * (3 * MAX_LOGO_BYTES))
    read: list[int] = []
    original = Path.open

    class Counting(io.BufferedReader):
        def read(self, size: int | None = -1) -> bytes:
            chunk = super().read(size)
            read.append(len(chunk))
            return chunk

    def counting_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        return Counting(original(self, "rb", buffering=0))

    monkeypatch.setattr(Path, "open", counting_open)
    with pytest.raises(ClinicError, match="^logo 'huge.png' is larger than 1024 KiB$"):
        ClinicLogo.read(path)
    assert MAX_LOGO_BYTES < sum(read) <= MAX_LOGO_BYTES + 64 * 1024


def test_clinic_round_trips_through_its_dict(tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_bytes(image_bytes("PNG", "P"))
    clinic = load_clinic(write(tmp_path, 'logo = "logo.png"\n' + GOOD))
    data = clinic.to_dict()
    assert data["logo"]["sha256"] == clinic.logo_sha256() and data["logo"]["file"] == "logo.png"
    again = Clinic.from_dict(data)
    assert again == clinic and again.logo_sha256() == clinic.logo_sha256()
    assert Clinic.from_dict(sample_clinic().to_dict()) == sample_clinic()


def _tampered(data: dict[str, Any], **logo: Any) -> dict[str, Any]:
    return {**data, "logo": {**data["logo"], **logo}}


def test_from_dict_refuses_a_logo_that_is_not_the_recorded_one(tmp_path: Path) -> None:
    logo = ClinicLogo("logo.png", image_bytes())
    data = dataclasses.replace(sample_clinic(), logo=logo).to_dict()
    other = base64.b64encode(image_bytes("PNG", "RGB")).decode()
    for change, message in [
        ({"data_base64": other}, "does not match its recorded SHA-256"),
        ({"sha256": "0" * 64}, "does not match its recorded SHA-256"),
        ({"media_type": "image/jpeg"}, "does not match its recorded SHA-256 and type"),
        ({"data_base64": "not base64!"}, "not valid base64"),
        ({"data_base64": None}, "has no image data"),
        ({"data_base64": "A" * (2 * MAX_LOGO_BYTES)}, "larger than"),
        ({"file": "logo.svg"}, "must be a PNG or JPEG file"),
    ]:
        with pytest.raises(ClinicError, match=message):
            Clinic.from_dict(_tampered(data, **change))
    with pytest.raises(ClinicError, match="missing a field"):
        Clinic.from_dict({k: v for k, v in data.items() if k != "phone"})


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('name = "Test Clinic"\n', ""), "clinic.toml: missing required key 'name'"),
        (
            ('name = "Test Clinic"', "name = 3"),
            "clinic.toml: name: expected a string, got an integer",
        ),
        (('name = "Test Clinic"', 'name = "  "'), "clinic.toml: name: must not be empty"),
        (
            ('address = ["1 Test Road", "Testville"]', 'address = "1 Test Road"'),
            "clinic.toml: address: expected an array",
        ),
        (
            ('address = ["1 Test Road", "Testville"]', "address = []"),
            "clinic.toml: address: needs at least one line",
        ),
        (
            ('address = ["1 Test Road", "Testville"]', 'address = ["x", 2]'),
            "clinic.toml: address[1]: expected a non-empty string",
        ),
        (('phone = "555-0000"\n', ""), "clinic.toml: missing required key 'phone'"),
        (
            ('"Europe/Madrid"', '"Mars/Olympus"'),
            "clinic.toml: time_zone: unknown time zone 'Mars/Olympus'",
        ),
        (('"Europe/Madrid"', '"../../etc/passwd"'), "clinic.toml: time_zone: unknown time zone"),
        (
            ('default_locale = "es"', 'default_locale = "xx"'),
            "clinic.toml: default_locale: unknown locale 'xx'",
        ),
        (
            ('default_locale = "es"', 'default_language = "es"'),
            "clinic.toml: default_language: unknown key",
        ),
        (
            ('id = "b"', 'id = "a"'),
            "clinic.toml: practitioners[1].id: duplicate practitioner id 'a'",
        ),
        (('name = "Ben Test"\n', ""), "clinic.toml: practitioners[1]: missing required key 'name'"),
        (
            ('credentials = "MD"', "credentials = true"),
            "clinic.toml: practitioners[0].credentials: expected a string",
        ),
        (
            ('credentials = "MD"', 'licence = "MD"'),
            "clinic.toml: practitioners[0].licence: unknown key",
        ),
        (
            ('name = "Test Clinic"', 'name = "Test Clinic"\nlogo = "logo.gif"'),
            "clinic.toml: logo: logo 'logo.gif' must be a PNG or JPEG file",
        ),
        (
            ('name = "Test Clinic"', 'name = "Test Clinic"\nlogo = "missing.png"'),
            "clinic.toml: logo: logo file",
        ),
        (('name = "Test Clinic"', 'name = "Test Clinic'), "clinic.toml: invalid TOML"),
    ],
)
def test_wrong_or_missing_field_gives_one_line_error(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(DefinitionError) as info:
        load_clinic(write(tmp_path, GOOD.replace(old, new, 1)))
    message = str(info.value)
    assert message.startswith(expected), message
    assert "\n" not in message


def test_no_practitioners(tmp_path: Path) -> None:
    text = GOOD.split("[[practitioners]]")[0]
    with pytest.raises(
        DefinitionError, match=r"^clinic\.toml: missing required key 'practitioners'$"
    ):
        load_clinic(write(tmp_path, text))
    with pytest.raises(DefinitionError, match="at least one practitioner"):
        load_clinic(write(tmp_path, text + "practitioners = []\n"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="file not found"):
        load_clinic(tmp_path / "nope.toml")


def test_direct_construction_checks_values(tmp_path: Path) -> None:
    people = (Practitioner("x", "Pat Doe"),)
    clinic = Clinic("C", ("Line",), "1", "Asia/Tokyo", "es", people)
    assert clinic.practitioner().display_name == "Pat Doe"
    with pytest.raises(ClinicError, match="unknown time zone"):
        Clinic("C", ("Line",), "1", "Nowhere/Land", "en", people)
    with pytest.raises(ClinicError, match="unknown locale"):
        Clinic("C", ("Line",), "1", "UTC", "zz", people)
    with pytest.raises(ClinicError, match="at least one practitioner"):
        Clinic("C", ("Line",), "1")
    with pytest.raises(ClinicError, match="duplicate practitioner id 'x'"):
        Clinic("C", ("Line",), "1", practitioners=people * 2)
    with pytest.raises(ClinicError, match="address"):
        Clinic("C", (), "1", practitioners=people)
    with pytest.raises(ClinicError, match="must be a ClinicLogo"):
        Clinic("C", ("Line",), "1", practitioners=people, logo=tmp_path / "logo.png")  # type: ignore[arg-type]
    with pytest.raises(ClinicError, match="PNG or JPEG"):
        ClinicLogo.read(tmp_path / "logo.bmp")
    with pytest.raises(ClinicError, match="does not exist"):
        ClinicLogo.read(tmp_path / "logo.png")
    with pytest.raises(ClinicError, match="name must not be empty"):
        Practitioner("y", " ")
    with pytest.raises(ClinicError, match="unknown practitioner 'zz'"):
        clinic.practitioner("zz")
