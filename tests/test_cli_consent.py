"""``tpi-forms consent`` prints the consent document as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tpi_forms.cli import main
from tpi_forms.consent.document import consent_hash_of

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "clinic.toml"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["consent", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else {}), err


def test_default(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, _ = run(capsys)
    assert code == 0
    assert doc["locale"] == "en" and doc["plan"]["corticosteroid"] is False
    assert "fictitious" in doc["facility"]["name"]
    assert doc["content_hash"] == consent_hash_of(doc)


def test_steroid_sites_locale(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, _ = run(capsys, "--steroid", "--sites", "neck,upper_back", "--locale", "es")
    assert code == 0
    assert doc["plan"] == {
        "sites": ["neck", "upper_back"],
        "local_anesthetic": "lidocaine",
        "corticosteroid": True,
    }
    assert doc["locale"] == "es" and doc["title"].startswith("Consentimiento")
    risks = {r["id"]: r for r in doc["risks"]}
    assert "blood_sugar" in risks and risks["pneumothorax"]["highlighted"] is True
    assert doc["content_hash"] == consent_hash_of(doc)


def test_clinic_file_and_people(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, _ = run(
        capsys,
        "--clinic",
        str(EXAMPLE),
        "--performer",
        "chen",
        "--discussed-by",
        "rivera",
        "--anesthetic",
        "bupivacaine",
        "--sites",
        "neck",
    )
    assert code == 0
    assert doc["facility"]["name"] == "Example Family Practice"
    assert (doc["performer"]["id"], doc["discussed_by"]["id"]) == ("chen", "rivera")
    assert doc["medicines"][0]["id"] == "bupivacaine"


def test_same_input_same_output(capsys: pytest.CaptureFixture[str]) -> None:
    first = run(capsys, "--sites", "neck")[1]
    assert run(capsys, "--sites", "neck")[1] == first


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sites", "knee"], "unknown site 'knee'"),
        (["--locale", "fr"], "no consent text in locale 'fr'"),
        (["--performer", "nobody"], "unknown practitioner 'nobody'"),
        (["--anesthetic", "procaine"], "unknown local anaesthetic 'procaine'"),
        (["--clinic", "missing-clinic.toml"], "missing-clinic.toml: file not found"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    assert message in err and err.count("\n") == 1


def test_broken_clinic_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "clinic.toml"
    bad.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace(
            'time_zone = "America/New_York"', 'time_zone = "Nowhere"'
        ),
        encoding="utf-8",
    )
    code, _, err = run(capsys, "--clinic", str(bad))
    assert code == 2
    assert (
        err.strip()
        == "tpi-forms consent: error: clinic.toml: time_zone: unknown time zone 'Nowhere' (use an IANA name such as 'America/Chicago')"
    )


def test_botulinum_toxin_only_where_the_clinic_offers_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "--botulinum-toxin")
    assert code == 2
    assert err.strip().splitlines() == [
        "tpi-forms consent: error: the clinic does not offer botulinum toxin (its [consent] settings)"
    ]
    text = EXAMPLE.read_text(encoding="utf-8")
    offering = tmp_path / "clinic.toml"
    offering.write_text(text + "\n[consent]\nbotulinum_toxin = true\n", encoding="utf-8")
    code, doc, _ = run(capsys, "--botulinum-toxin", "--clinic", str(offering))
    assert code == 0
    assert doc["plan"]["botulinum_toxin"] is True
    assert any(m["kind"] == "botulinum_toxin" for m in doc["medicines"])
    code, doc, _ = run(capsys, "--clinic", str(offering))
    assert code == 0 and "botulinum_toxin" not in doc["plan"]
