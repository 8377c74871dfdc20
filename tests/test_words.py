"""Named word sets: languages found from the files, checked in step, a documented fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

import tpi_forms
from tpi_forms.definitions.words import (
    language_name,
    load_words,
    placeholders_of,
    word_locales,
    word_set,
    words,
)
from tpi_forms.errors import DefinitionError, UnknownLocaleError

SHIPPED_SETS = ("ui", "kiosk", "packet", "verify")


def write(folder: Path, name: str, **by_locale: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for locale, text in by_locale.items():
        (folder / f"{name}.{locale}.toml").write_text(text, encoding="utf-8")
    return folder


GOOD_EN = '[staff]\nlogin_title = "Staff log-in"\ntries = "Tries left: {left}."\n'
GOOD_ES = '[staff]\nlogin_title = "Entrada del personal"\ntries = "Intentos: {left}."\n'


@pytest.mark.parametrize("name", SHIPPED_SETS)
def test_shipped_sets_are_complete_in_english_and_spanish(name: str) -> None:
    found = word_set(name)
    assert found.locales == ("en", "es") == word_locales(name)
    assert found.source == "en"
    assert set(found.by_locale["en"]) == set(found.by_locale["es"]) == set(found.keys)


def test_words_are_keyed_by_dotted_paths() -> None:
    assert words("kiosk", "es")["staff.login_title"] == "Entrada del personal"
    assert words("kiosk", "en")["error.404.title"] == "Page not found"


@pytest.mark.parametrize(
    ("asked", "served"), [("es", "es"), ("es_MX", "es"), ("es-US", "es"), ("en_GB", "en")]
)
def test_a_regional_locale_falls_back_to_its_language(asked: str, served: str) -> None:
    assert word_set("kiosk").resolve(asked) == served
    assert words("kiosk", asked) is words("kiosk", served)


def test_an_unknown_locale_is_refused_unless_a_default_is_asked_for() -> None:
    with pytest.raises(
        UnknownLocaleError, match=r"no packet text in locale 'fr' \(available: en, es\)"
    ):
        words("packet", "fr")
    assert words("packet", "fr", default="en") is words("packet", "en")


def test_languages_are_the_files_found(tmp_path: Path) -> None:
    folder = write(tmp_path, "demo", en=GOOD_EN, es=GOOD_ES, fr=GOOD_EN, es_MX=GOOD_ES)
    (folder / "demo.toml").write_text("", encoding="utf-8")  # not a language file
    (folder / "demo.EN.toml").write_text(GOOD_EN, encoding="utf-8")  # not a locale code
    found = load_words("demo", folder)
    assert found.locales == ("en", "es", "es_MX", "fr")
    assert found.resolve("es_MX") == "es_MX" and found.resolve("fr_CA") == "fr"
    assert found.text("staff.tries").get("fr") == "Tries left: {left}."


@pytest.mark.parametrize(
    ("es", "message"),
    [
        (
            '[staff]\ntries = "Intentos: {left}."\n',
            "demo.es.toml: staff.login_title: missing text (present in the 'en' file)",
        ),
        (
            GOOD_ES + 'stray = "x"\n',
            "demo.es.toml: staff.stray: text that no page or document uses (not in the 'en' file)",
        ),
        (
            '[staff]\nlogin_title = "Entrada"\ntries = "Intentos: {quedan}."\n',
            "demo.es.toml: staff.tries: unknown placeholder {quedan} (this text may use: {left})",
        ),
        (
            '[staff]\nlogin_title = "Entrada"\ntries = "Intentos: {left:>3}."\n',
            "demo.es.toml: staff.tries: unknown placeholder {left:>3} (this text may use: {left})",
        ),
        (
            '[staff]\nlogin_title = "Entrada {"\ntries = "{left}"\n',
            "demo.es.toml: staff.login_title: unpaired { or } (write {{ or }} for a brace)",
        ),
        (
            '[staff]\nlogin_title = "  "\ntries = "{left}"\n',
            "demo.es.toml: staff.login_title: must not be empty",
        ),
        (
            '[staff]\nlogin_title = 3\ntries = "{left}"\n',
            "demo.es.toml: staff.login_title: expected a string",
        ),
        (
            '[staff]\nlogin_title = "Entrada"\ntries = "{left}"\n[staff.deeper]\nx = "y"\n',
            "demo.es.toml: staff.deeper: text that no page or document uses (not in the 'en' file)",
        ),
        ("[staff\n", "demo.es.toml: invalid TOML"),
    ],
)
def test_a_file_out_of_step_is_a_one_line_error(tmp_path: Path, es: str, message: str) -> None:
    folder = write(tmp_path, "demo", en=GOOD_EN, es=es)
    with pytest.raises(DefinitionError) as caught:
        load_words("demo", folder)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_a_translation_may_leave_a_placeholder_out(tmp_path: Path) -> None:
    es = '[staff]\nlogin_title = "Entrada"\ntries = "Le quedan pocos intentos."\n'
    assert load_words("demo", write(tmp_path, "demo", en=GOOD_EN, es=es)).locales == ("en", "es")


def test_a_set_without_english_is_checked_against_its_first_file(tmp_path: Path) -> None:
    folder = write(tmp_path, "demo", es=GOOD_ES, fr='[staff]\nlogin_title = "Connexion"\n')
    with pytest.raises(DefinitionError, match=r"^demo\.fr\.toml: staff\.tries: .*'es' file"):
        load_words("demo", folder)


def test_no_files_and_bad_names_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match=r"^demo\.<locale>\.toml: no translation files"):
        load_words("demo", tmp_path)
    with pytest.raises(DefinitionError, match="lower-case"):
        load_words("../ui", tmp_path)


def test_a_locale_unknown_to_babel_is_refused(tmp_path: Path) -> None:
    folder = write(tmp_path, "demo", en=GOOD_EN, qq=GOOD_EN)
    with pytest.raises(DefinitionError, match=r"^demo\.qq\.toml: unknown language 'qq'"):
        load_words("demo", folder)


def test_keys_and_a_replaced_set_fix_what_a_folder_must_hold(tmp_path: Path) -> None:
    folder = write(tmp_path, "demo", en=GOOD_EN, es=GOOD_ES)
    with pytest.raises(DefinitionError, match=r"^demo\.en\.toml: staff\.missing: missing text$"):
        load_words("demo", folder, keys=("staff.login_title", "staff.tries", "staff.missing"))
    shipped = load_words("demo", folder)
    own = write(tmp_path / "own", "demo", en='[staff]\nlogin_title = "Own"\n')
    with pytest.raises(DefinitionError, match=r"^demo\.en\.toml: staff\.tries: missing text$"):
        load_words("demo", own, like=shipped)
    write(own, "demo", en=GOOD_EN.replace("{left}", "{total}"))
    with pytest.raises(DefinitionError, match=r"unknown placeholder \{total\}"):
        load_words("demo", own, like=shipped)
    allowed = load_words("demo", own, like=shipped, placeholders={"staff.tries": ("total",)})
    assert allowed.words("en")["staff.tries"] == "Tries left: {total}."


def test_placeholders_of() -> None:
    assert placeholders_of("Step {n} of {total}, {{literal}}") == {"n", "total"}
    assert placeholders_of("Plain words") == set()
    assert placeholders_of("Broken }") is None


@pytest.mark.parametrize(
    ("locale", "name"),
    [("en", "English"), ("es", "Español"), ("fr", "Français"), ("es_MX", "Español (México)")],
)
def test_language_names_come_from_babel(locale: str, name: str) -> None:
    assert language_name(locale) == name


def test_no_language_name_is_written_in_the_code() -> None:
    package = Path(tpi_forms.__file__).parent
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for name in ("Español", '"English"', "Français"):
            assert name not in text or path.name == "words.py", (path, name)
