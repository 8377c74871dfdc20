"""Clinic configuration: the sample, the example file, direct construction and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tpi_forms.definitions.clinic import (
    Clinic,
    ClinicError,
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


def test_logo_relative_to_the_clinic_file(tmp_path: Path) -> None:
    (tmp_path / "art").mkdir()
    logo = tmp_path / "art" / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n")
    clinic = load_clinic(write(tmp_path, 'logo = "art/logo.png"\n' + GOOD))
    assert clinic.logo == logo
    assert clinic.logo_sha256() is not None and len(clinic.logo_sha256() or "") == 64


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
            "clinic.toml: logo: logo 'logo.gif' must be a PNG, JPEG or SVG file",
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
    with pytest.raises(ClinicError, match="PNG, JPEG or SVG"):
        Clinic("C", ("Line",), "1", practitioners=people, logo=tmp_path / "logo.bmp")
    with pytest.raises(ClinicError, match="does not exist"):
        Clinic("C", ("Line",), "1", practitioners=people, logo=tmp_path / "logo.svg")
    with pytest.raises(ClinicError, match="name must not be empty"):
        Practitioner("y", " ")
    with pytest.raises(ClinicError, match="unknown practitioner 'zz'"):
        clinic.practitioner("zz")
