"""``tpi-forms screen``, ``example-answers`` and ``schema answers``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from screening_helpers import TODAY, answers

from tpi_forms.cli import main
from tpi_forms.screening.scenarios import SCENARIOS


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, data: Any, name: str = "answers.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_example_scenarios_give_their_status(
    scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "example-answers", "--scenario", scenario)
    assert code == 0 and not err
    path = tmp_path / "answers.json"
    path.write_text(out, encoding="utf-8")
    code, out, err = run(capsys, "screen", str(path), "--today", TODAY.isoformat())
    assert code == 0, err
    result = json.loads(out)
    assert result["status"] == scenario
    assert result["as_of"] == TODAY.isoformat()


def test_example_answers_name_the_fictitious_patient(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "example-answers", "--scenario", "clear")
    assert code == 0
    assert json.loads(out)["patient_name"] == "Alex Example"


def test_unknown_scenario_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["example-answers", "--scenario", "maybe"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_steroid_sites_and_anesthetic_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, answers(diabetes=True, lung_disease=True, pain_sites=["leg"]))
    code, out, _ = run(capsys, "screen", path, "--today", "2026-11-24")
    assert json.loads(out)["status"] == "clear"
    code, out, _ = run(
        capsys,
        "screen",
        path,
        "--steroid",
        "--sites",
        "chest_wall,leg",
        "--anesthetic",
        "bupivacaine",
    )
    result = json.loads(out)
    assert code == 0
    assert [f["rule_id"] for f in result["findings"]] == [
        "collapsed_lung_risk",
        "diabetes_with_steroid",
    ]
    assert result["procedure"] == {
        "sites": ["chest_wall", "leg"],
        "sites_from_answers": False,
        "local_anesthetic": "bupivacaine",
        "corticosteroid": True,
    }


def test_locale_and_today(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = answers(
        prior_treatments=["trigger_point_injection"],
        prior_tpi_problem=False,
        last_injection_date="2026-11-01",
        prior_tpi_same_site=False,
    )
    path = write(tmp_path, raw)
    code, out, _ = run(capsys, "screen", path, "--locale", "es", "--today", "2026-11-24")
    result = json.loads(out)
    assert result["status"] == "clear"  # a coverage rule: information, not a precaution
    assert result["locale"] == "es"
    (finding,) = [f for f in result["findings"] if f["rule_id"] == "recent_injection"]
    assert finding["severity"] == "info" and "6 semanas" in finding["patient_message"]
    code, out, _ = run(capsys, "screen", path, "--today", "2027-01-01")
    later = json.loads(out)
    assert "recent_injection" not in [f["rule_id"] for f in later["findings"]]


def test_invalid_answers_print_errors_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "Quintessa Zorblatt"
    path = write(tmp_path, answers(pain_score=11, patient_name=secret, takes_blood_thinner="yes"))
    code, out, err = run(capsys, "screen", path)
    assert code == 2
    assert out == ""
    body, summary = err.rstrip("\n").rsplit("\n", 1)
    assert set(json.loads(body)["errors"]) == {"pain_score", "takes_blood_thinner"}
    assert summary.startswith("tpi-forms screen: error: 2 invalid answer(s)")
    assert secret not in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "answers.json: not valid JSON (line 1, column 2"),
        ("", "answers.json: not valid JSON"),
        (b"\xff\xfe", "not UTF-8 text"),
    ],
)
def test_unreadable_file_exits_2(
    content: str | bytes, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "answers.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "screen", str(path))
    assert code == 2 and out == ""
    assert message in err
    assert err.count("\n") == 1


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "screen", str(tmp_path / "nope.json"))
    assert code == 2
    assert "cannot read" in err and "No such file" in err


def test_json_that_is_not_an_object_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "screen", write(tmp_path, [1, 2]))
    assert code == 2
    assert "Answers must be a JSON object" in err


@pytest.mark.parametrize(
    "option", [["--sites", "elbow"], ["--anesthetic", "procaine"], ["--locale", "fr"]]
)
def test_bad_plan_or_locale_exits_2(
    option: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "screen", write(tmp_path, answers()), *option)
    assert code == 2 and out == ""
    assert err.startswith("tpi-forms screen: error:")


def test_bad_today_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["screen", write(tmp_path, answers()), "--today", "tomorrow"])
    assert info.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_schema_answers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema", "answers")
    assert code == 0
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    for scenario in SCENARIOS:
        jsonschema.validate(answers(scenario), schema, cls=jsonschema.Draft202012Validator)
