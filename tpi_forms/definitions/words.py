"""Named word sets (``ui``, ``kiosk``, ``packet``): one ``<name>.<locale>.toml`` file a language.

Every word a page or document shows that is not part of a definition lives in a word set. The
languages of a set are the files found, never a list in code, so adding a language is adding
files. Loading checks each file against the set's source file (English when there is one):
the same keys, non-empty strings, and no ``{placeholder}`` the code does not fill. An error
names the file and the key, e.g.
``kiosk.fr.toml: staff.login_title: missing text (present in the 'en' file)``.

>>> words("kiosk", "es")["done.finish_button"]
'Terminar'
>>> words("kiosk", "es_MX") is words("kiosk", "es")  # a regional locale falls back to its language
True
>>> language_name("es")
'Español'
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from babel import Locale
from babel import UnknownLocaleError as BabelUnknownLocale

from .._resources import definition_folder
from ..errors import DefinitionError, UnknownLocaleError
from .texts import Text, TextCatalog, locale_files

SOURCE_LOCALE = "en"
"""The language every other file of a set is checked against, when the set has it."""
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class WordSet:
    """One named set of words in every language its files have, checked complete."""

    name: str
    """The set's name: its files are ``<name>.<locale>.toml``."""
    by_locale: Mapping[str, Mapping[str, str]]
    """Locale to its words, keyed ``section.key`` (dotted paths of the TOML tables)."""
    source: str
    """The locale the others were checked against (``en`` when the set has it)."""

    @property
    def locales(self) -> tuple[str, ...]:
        """The languages of the set, sorted: one for each file found."""
        return tuple(self.by_locale)

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key of the set, in the order of the source file."""
        return tuple(self.by_locale[self.source])

    def resolve(self, locale: str, default: str | None = None) -> str:
        """The locale of the set that serves ``locale``: itself, else its language.

        ``es_MX`` (or ``es-MX``) is served by ``es`` when the set has no ``es_MX`` file. A
        locale the set cannot serve gives ``default`` when one is given (itself resolved),
        else `UnknownLocaleError`.
        """
        code = locale.replace("-", "_")
        if code in self.by_locale:
            return code
        language = code.split("_")[0]
        if language in self.by_locale:
            return language
        if default is not None:
            return self.resolve(default)
        have = ", ".join(self.locales)
        raise UnknownLocaleError(f"no {self.name} text in locale '{locale}' (available: {have})")

    def words(self, locale: str, default: str | None = None) -> Mapping[str, str]:
        """The words in ``locale`` (see `resolve` for the fallback), keyed ``section.key``."""
        return self.by_locale[self.resolve(locale, default)]

    def text(self, key: str) -> Text:
        """One key in every language, as a `Text`."""
        return Text(MappingProxyType({loc: words[key] for loc, words in self.by_locale.items()}))


def load_words(
    name: str,
    folder: Path | Any | None = None,
    *,
    keys: Sequence[str] | None = None,
    like: WordSet | None = None,
    placeholders: Mapping[str, Sequence[str]] | None = None,
) -> WordSet:
    """Read and check every ``<name>.<locale>.toml`` in ``folder`` (default: the shipped one).

    :param keys: the keys the set must have (default: those of its source file).
    :param like: a set this one replaces (a clinic's own packet words): it must have the same
        keys, and its placeholders are checked against that set's source words.
    :param placeholders: for some keys, the placeholders a text may use (default: those of the
        source text of that key).
    :raises DefinitionError: naming the file and key that is missing, stray, not a string,
        empty, or uses a placeholder the code does not fill.
    """
    if not _NAME_RE.match(name):
        raise DefinitionError(f"{name}.toml", "", "a word set's name is lower-case a-z, 0-9, _")
    folder = folder if folder is not None else definition_folder()
    catalog = TextCatalog.from_entries(f"{name}.<locale>.toml", locale_files(folder, name))
    for locale in catalog.locales:
        _check_babel_knows(locale, catalog.files[locale].file)
    source = SOURCE_LOCALE if SOURCE_LOCALE in catalog.files else catalog.locales[0]
    stray = "text that no page or document uses"
    if keys is None and like is not None:
        keys, stray = like.keys, f"{stray} (not in the shipped '{like.source}' file)"
    elif keys is None:
        keys, stray = tuple(_flat_keys(catalog, source)), f"{stray} (not in the '{source}' file)"
    texts = {key: catalog.text(*key.split(".")) for key in keys}
    catalog.check_all_used(stray)
    reference = like.by_locale[like.source] if like is not None else None
    for key, text in texts.items():
        allowed = _allowed(key, text, source, reference, placeholders or {})
        for locale, value in text.by_locale.items():
            _check_placeholders(catalog.files[locale].file, key, value, allowed)
    by_locale = {
        loc: MappingProxyType({key: text.by_locale[loc] for key, text in texts.items()})
        for loc in catalog.locales
    }
    return WordSet(name, MappingProxyType(by_locale), source)


@functools.cache
def word_set(name: str) -> WordSet:
    """The shipped word set ``name``, loaded and checked once."""
    return load_words(name)


def words(name: str, locale: str, *, default: str | None = None) -> Mapping[str, str]:
    """The shipped words of set ``name`` in ``locale``, keyed ``section.key``.

    ``es_MX`` falls back to ``es``; a locale the set lacks gives ``default`` when one is given,
    else `UnknownLocaleError`.
    """
    return word_set(name).words(locale, default)


def word_locales(name: str) -> tuple[str, ...]:
    """The languages the shipped set ``name`` has, one for each file."""
    return word_set(name).locales


@functools.cache
def language_name(locale: str) -> str:
    """The name of a language in that language, from Babel: ``English``, ``Español``."""
    name = _babel(locale).get_display_name(locale) or locale
    return name[:1].upper() + name[1:]


# -- checks ---------------------------------------------------------------------------------------


def _babel(locale: str) -> Locale:
    return Locale.parse(locale)


def _check_babel_knows(locale: str, file: str) -> None:
    try:
        _babel(locale)
    except (BabelUnknownLocale, ValueError):
        raise DefinitionError(
            file, "", f"unknown language '{locale}' (not in the Unicode CLDR data)"
        ) from None


def _flat_keys(catalog: TextCatalog, locale: str) -> Iterator[str]:
    node = catalog.files[locale]

    def walk(data: Mapping[str, Any], prefix: str) -> Iterator[str]:
        for key, value in data.items():
            path = f"{prefix}{key}"
            if isinstance(value, dict):
                yield from walk(value, path + ".")
            else:
                yield path

    return walk(node.data, "")


def placeholders_of(value: str) -> set[str] | None:
    """The ``{names}`` a text uses, or None when its braces do not pair up."""
    try:
        parts = list(string.Formatter().parse(value))
    except ValueError:
        return None
    return {
        field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
        for _, field, spec, conversion in parts
        if field is not None
    }


def _allowed(
    key: str,
    text: Text,
    source: str,
    reference: Mapping[str, str] | None,
    declared: Mapping[str, Sequence[str]],
) -> set[str]:
    if key in declared:
        return set(declared[key])
    model = reference[key] if reference is not None else text.by_locale[source]
    return placeholders_of(model) or set()


def _check_placeholders(file: str, key: str, value: str, allowed: set[str]) -> None:
    used = placeholders_of(value)
    if used is None:
        raise DefinitionError(file, key, "unpaired { or } (write {{ or }} for a brace)")
    unknown = sorted(used - allowed)
    if unknown:
        may = ", ".join("{" + p + "}" for p in sorted(allowed)) if allowed else "none"
        raise DefinitionError(
            file, key, f"unknown placeholder {{{unknown[0]}}} (this text may use: {may})"
        )
