"""Translated text: one language per data file, checked complete when a definition loads."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .._resources import definition_folder
from .._toml import Node, read_toml
from ..errors import DefinitionError, UnknownLocaleError

_LOCALE_RE = re.compile(r"^[a-z]{2,3}(?:_[A-Z]{2})?$")


@dataclass(frozen=True)
class Text:
    """One piece of patient- or staff-facing text, in every language its definition has."""

    by_locale: Mapping[str, str]
    """Locale code (``en``, ``es``) to the text in that language."""

    def get(self, locale: str) -> str:
        """The text in ``locale``; `UnknownLocaleError` if the definition lacks that language."""
        try:
            return self.by_locale[locale]
        except KeyError:
            have = ", ".join(sorted(self.by_locale))
            raise UnknownLocaleError(f"no text in locale '{locale}' (available: {have})") from None

    @classmethod
    def plain(cls, **by_locale: str) -> Text:
        """Build a `Text` in code, e.g. ``Text.plain(en="Yes", es="Sí")``."""
        return cls(MappingProxyType(dict(by_locale)))


def read_with_words(path: str | Path | None, default_stem: str) -> tuple[Node, dict[str, Any]]:
    """A definition file and the words files beside it (``<stem>.<locale>.toml``); with no
    ``path``, the shipped ``<default_stem>.toml``."""
    if path is None:
        folder: Any = definition_folder()
        return read_toml(folder / f"{default_stem}.toml"), locale_files(folder, default_stem)
    file = Path(path)
    return read_toml(file), locale_files(file.parent, file.name.removesuffix(".toml"))


def locale_files(folder: Any, stem: str) -> dict[str, Any]:
    """The translation files of definition ``stem`` in ``folder``: ``stem.<locale>.toml``.

    ``folder`` is a `pathlib.Path` or an ``importlib.resources`` traversable.
    """
    found: dict[str, Any] = {}
    for entry in folder.iterdir():
        name = entry.name
        if name.startswith(stem + ".") and name.endswith(".toml"):
            locale = name[len(stem) + 1 : -len(".toml")]
            if _LOCALE_RE.match(locale):
                found[locale] = entry
    return dict(sorted(found.items()))


class TextCatalog:
    """All translation files of one definition, read in step so gaps are caught.

    Every lookup must succeed in every language, and after the definition is built
    `check_all_used` refuses keys that no element asked for (a misspelt id, say).
    """

    def __init__(self, definition_file: str, files: Mapping[str, Node]) -> None:
        if not files:
            raise DefinitionError(
                definition_file, "", "no translation files found (expected e.g. NAME.en.toml)"
            )
        self.definition_file = definition_file
        self.files = dict(files)
        self._used: dict[str, set[tuple[str, ...]]] = {loc: set() for loc in files}

    @classmethod
    def from_entries(cls, definition_file: str, entries: Mapping[str, Any]) -> TextCatalog:
        return cls(definition_file, {loc: read_toml(entry) for loc, entry in entries.items()})

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(self.files)

    def _lookup(self, locale: str, keys: tuple[str, ...]) -> str | None:
        node = self.files[locale]
        data: Any = node.data
        for i, key in enumerate(keys):
            if not isinstance(data, dict) or key not in data:
                return None
            data = data[key]
            self._used[locale].add(keys[: i + 1])
        if not isinstance(data, str):
            raise DefinitionError(node.file, ".".join(keys), "expected a string")
        if not data.strip():
            raise DefinitionError(node.file, ".".join(keys), "must not be empty")
        return data

    def text(self, *keys: str) -> Text:
        """Text every language must have; an error names the file that lacks it."""
        found = self.opt_text(*keys)
        if found is None:
            first = self.files[self.locales[0]]
            raise DefinitionError(first.file, ".".join(keys), "missing text")
        return found

    def opt_text(self, *keys: str) -> Text | None:
        """Text that may be absent, but then absent in every language."""
        values = {loc: self._lookup(loc, keys) for loc in self.locales}
        present = {loc: v for loc, v in values.items() if v is not None}
        if not present:
            return None
        for loc, value in values.items():
            if value is None:
                other = next(iter(present))
                raise DefinitionError(
                    self.files[loc].file,
                    ".".join(keys),
                    f"missing text (present in the '{other}' file)",
                )
        return Text(MappingProxyType({loc: v for loc, v in present.items() if v is not None}))

    def check_all_used(
        self, problem: str = "text for an element the definition does not have"
    ) -> None:
        """Refuse text that belongs to nothing in the definition (``problem`` says so)."""
        for loc, node in self.files.items():
            used = self._used[loc]

            def walk(
                data: Any, prefix: tuple[str, ...], node: Node = node, used: set[Any] = used
            ) -> None:
                for key, value in data.items():
                    path = (*prefix, key)
                    if path not in used:
                        raise DefinitionError(node.file, ".".join(path), problem)
                    if isinstance(value, dict):
                        walk(value, path)

            walk(node.data, ())
