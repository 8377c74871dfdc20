"""A broken questionnaire definition gives one line naming the file, key path and problem."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tpi_forms import DefinitionError, load_questionnaire
from tpi_forms.definitions.conditions import AllOf, Comparison

STRUCTURE = """\
id = "mini"
version = "1"

[plan]
sites_question = "sites"
local_anesthetics = ["lidocaine"]

[[sections]]
id = "first"

[[sections.questions]]
id = "sites"
type = "multichoice"
choices = ["neck", "back"]
min_items = 1

[[sections.questions]]
id = "thinner"
type = "boolean"

[[sections]]
id = "second"

[[sections.questions]]
id = "thinner_name"
type = "string"
enable_when = { all = [{ question = "thinner", equals = true }, { question = "sites", includes = "neck" }] }

[[rules]]
id = "thinner"
severity = "review"
when = { question = "thinner", equals = true }
source = "ASRA/ESRA"
"""

TEXT = """\
title = "T"

[sections.first]
title = "First"

[sections.second]
title = "Second"

[questions.sites]
label = "Where?"

[questions.sites.choices]
neck = "Neck"
back = "Back"

[questions.thinner]
label = "Blood thinner?"

[questions.thinner_name]
label = "Which one?"

[rules.thinner]
patient = "A clinician will check."
clinician = "Anticoagulant."
"""


def write(
    tmp_path: Path, structure: str = STRUCTURE, en: str = TEXT, es: str | None = TEXT
) -> Path:
    path = tmp_path / "mini.toml"
    path.write_text(structure, encoding="utf-8")
    (tmp_path / "mini.en.toml").write_text(en, encoding="utf-8")
    if es is not None:
        (tmp_path / "mini.es.toml").write_text(es, encoding="utf-8")
    return path


def load_error(tmp_path: Path, **files: str) -> str:
    with pytest.raises(DefinitionError) as info:
        load_questionnaire(write(tmp_path, **files))
    message = str(info.value)
    assert "\n" not in message, "errors are one line"
    return message


def test_valid_definition_loads(tmp_path: Path) -> None:
    q = load_questionnaire(write(tmp_path))
    assert q.locales == ("en", "es")
    assert [s.id for s in q.sections] == ["first", "second"]
    cond = q.question("thinner_name").enable_when
    assert isinstance(cond, AllOf)
    assert cond.parts[1] == Comparison("question", "sites", "includes", "neck")
    assert q.question("thinner").required is True
    assert q.question("sites").choice_label("back", "es") == "Back"


def test_shipped_default_loads() -> None:
    q = load_questionnaire()
    assert {"en", "es"} <= set(q.locales)
    assert q.version


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # missing key
        (
            'id = "thinner"\ntype = "boolean"',
            'id = "thinner"',
            "mini.toml: sections[0].questions[1]: missing required key 'type'",
        ),
        ('version = "1"\n', "", "mini.toml: missing required key 'version'"),
        # wrong type
        (
            "min_items = 1",
            'min_items = "one"',
            "mini.toml: sections[0].questions[0].min_items: expected an integer, got a string",
        ),
        (
            'severity = "review"',
            "severity = true",
            "mini.toml: rules[0].severity: expected a string, got true or false",
        ),
        (
            'local_anesthetics = ["lidocaine"]',
            'local_anesthetics = "lidocaine"',
            "mini.toml: plan.local_anesthetics: expected an array, got a string",
        ),
        # unknown reference
        (
            '{ question = "thinner", equals = true }, {',
            '{ question = "takes_blod_thinner", equals = true }, {',
            "mini.toml: sections[1].questions[0].enable_when.all[0]: unknown question 'takes_blod_thinner'",
        ),
        (
            'includes = "neck"',
            'includes = "knee"',
            "mini.toml: sections[1].questions[0].enable_when.all[1].includes: 'includes' value 'knee' is not a choice (choices: neck, back)",
        ),
        (
            'sites_question = "sites"',
            'sites_question = "thinner"',
            "mini.toml: plan.sites_question: 'thinner' is not a multichoice question",
        ),
        # duplicate id
        (
            'id = "thinner_name"',
            'id = "thinner"',
            "mini.toml: sections[1].questions[0].id: duplicate question id 'thinner' (first used at sections[0].questions[1].id)",
        ),
        (
            'id = "second"',
            'id = "first"',
            "mini.toml: sections[1].id: duplicate section id 'first'",
        ),
        # other mistakes a clinic makes
        (
            'type = "boolean"',
            'type = "yesno"',
            "mini.toml: sections[0].questions[1].type: unknown type 'yesno'",
        ),
        (
            'severity = "review"',
            'severity = "urgent"',
            "mini.toml: rules[0].severity: unknown severity 'urgent'",
        ),
        (
            "equals = true }\nsource",
            "equals = 1 }\nsource",
            "mini.toml: rules[0].when.equals: 'equals' value 1 does not fit a boolean answer",
        ),
        (
            "equals = true }\nsource",
            "at_least = 1 }\nsource",
            "mini.toml: rules[0].when.at_least: operator 'at_least' does not apply to boolean question 'thinner'",
        ),
        (
            "min_items = 1",
            "min_itmes = 1",
            "mini.toml: sections[0].questions[0].min_itmes: unknown key 'min_itmes'",
        ),
        ('id = "mini"', 'id = "mini', "mini.toml: invalid TOML"),
    ],
)
def test_structure_errors_name_the_path(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in STRUCTURE
    message = load_error(tmp_path, structure=STRUCTURE.replace(old, new, 1))
    assert message.startswith(expected), message


def test_question_may_not_depend_on_a_later_one(tmp_path: Path) -> None:
    structure = STRUCTURE.replace(
        'id = "thinner"\ntype = "boolean"',
        'id = "thinner"\ntype = "boolean"\nenable_when = { question = "thinner_name", answered = true }',
    )
    message = load_error(tmp_path, structure=structure)
    assert (
        message
        == "mini.toml: sections[0].questions[1].enable_when: depends on 'thinner_name', which is asked later"
    )


@pytest.mark.parametrize(
    ("es", "expected"),
    [
        (
            TEXT.replace('[questions.thinner]\nlabel = "Blood thinner?"\n', ""),
            "mini.es.toml: questions.thinner.label: missing text (present in the 'en' file)",
        ),
        (
            TEXT + '\n[questions.thinnr]\nlabel = "x"\n',
            "mini.es.toml: questions.thinnr: text for an element the definition does not have",
        ),
        (
            TEXT.replace('label = "Which one?"', "label = 3"),
            "mini.es.toml: questions.thinner_name.label: expected a string",
        ),
        (
            TEXT.replace('label = "Which one?"', 'label = "  "'),
            "mini.es.toml: questions.thinner_name.label: must not be empty",
        ),
    ],
)
def test_translation_errors_name_the_file(tmp_path: Path, es: str, expected: str) -> None:
    assert load_error(tmp_path, es=es) == expected


def test_text_missing_in_every_language(tmp_path: Path) -> None:
    text = TEXT.replace(
        '[rules.thinner]\npatient = "A clinician will check."\n', "[rules.thinner]\n"
    )
    assert (
        load_error(tmp_path, en=text, es=text)
        == "mini.en.toml: rules.thinner.patient: missing text"
    )


def test_no_translation_files(tmp_path: Path) -> None:
    path = tmp_path / "alone.toml"
    path.write_text(STRUCTURE, encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"^alone.toml: no translation files found"):
        load_questionnaire(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match=r"^nowhere.toml: file not found$"):
        load_questionnaire(tmp_path / "nowhere.toml")


def test_one_language_is_enough(tmp_path: Path) -> None:
    q = load_questionnaire(write(tmp_path, es=None))
    assert q.locales == ("en",)


def test_adding_a_language_is_adding_a_file(tmp_path: Path) -> None:
    path = write(tmp_path)
    (tmp_path / "mini.fr.toml").write_text(TEXT.replace('"Neck"', '"Cou"'), encoding="utf-8")
    q = load_questionnaire(path)
    assert q.locales == ("en", "es", "fr")
    assert q.question("sites").choice_label("neck", "fr") == "Cou"


def test_definition_text_is_dedented_example() -> None:
    # The README's format example must stay loadable: it is this module's STRUCTURE.
    assert textwrap.dedent(STRUCTURE) == STRUCTURE


# --- identity questions -----------------------------------------------------------------------

IDENTITY_QUESTIONS = """
[[sections]]
id = "who"

[[sections.questions]]
id = "full_name"
type = "string"
personal = true

[[sections.questions]]
id = "born"
type = "date"
personal = true
"""

IDENTITY_TEXT = """
[sections.who]
title = "Who"

[questions.full_name]
label = "Name"

[questions.born]
label = "Born"
"""


def with_identity(table: str | None) -> dict[str, str]:
    head, _, rest = STRUCTURE.partition("[[sections]]")
    identity = "" if table is None else f"[identity]\n{table}\n"
    structure = head + identity + IDENTITY_QUESTIONS + "\n[[sections]]" + rest
    text = TEXT + IDENTITY_TEXT
    return {"structure": structure, "en": text, "es": text}


def test_the_questionnaire_names_its_identity_questions(tmp_path: Path) -> None:
    from tpi_forms.definitions.questionnaire import Identity
    from tpi_forms.pdf.printed import identity_questions, patient_identity

    q = load_questionnaire(
        write(tmp_path, **with_identity('name = "full_name"\ndate_of_birth = "born"'))
    )
    assert q.identity == Identity(name="full_name", date_of_birth="born")
    assert identity_questions(q) == ("full_name", "born")
    answers = {"full_name": "Ana Ruiz", "born": "1980-04-12"}
    assert patient_identity(answers, q, "es") == ("Ana Ruiz", "12 de abril de 1980")
    assert load_questionnaire().identity == Identity("patient_name", "date_of_birth")


def test_without_an_identity_table_nothing_is_guessed(tmp_path: Path) -> None:
    from tpi_forms.pdf.printed import identity_questions, patient_identity

    q = load_questionnaire(write(tmp_path, **with_identity(None)))
    assert q.identity is None
    assert identity_questions(q) == (None, None)
    assert patient_identity({"full_name": "Ana", "born": "1980-04-12"}, q, "en") == ("", "")


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('name = "nobody"\ndate_of_birth = "born"', "identity.name: unknown question 'nobody'"),
        (
            'name = "born"\ndate_of_birth = "born"',
            "identity.name: 'born' is a date question; it must be a string one",
        ),
        (
            'name = "full_name"\ndate_of_birth = "full_name"',
            "identity.date_of_birth: 'full_name' is a string question; it must be a date one",
        ),
        (
            'name = "thinner_name"\ndate_of_birth = "born"',
            "identity.name: 'thinner_name' must be marked personal = true",
        ),
        ('name = "full_name"', "identity: missing required key 'date_of_birth'"),
        (
            'name = "full_name"\ndate_of_birth = "born"\nphone = "x"',
            "identity.phone: unknown key",
        ),
    ],
)
def test_identity_errors_name_the_key(tmp_path: Path, table: str, expected: str) -> None:
    message = load_error(tmp_path, **with_identity(table))
    assert message.startswith(f"mini.toml: {expected}"), message
