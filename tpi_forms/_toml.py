"""Typed access to parsed TOML that reports every problem with its file and key path."""

from __future__ import annotations

import builtins
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NoReturn

from ._json import nested_deeper_than
from .errors import DefinitionError

MAX_TOML_BYTES = 1024 * 1024
"""Largest definition or clinic file, in bytes (the shipped ones are under 13 KiB)."""
MAX_TOML_DEPTH = 64
"""Most levels of tables and arrays inside one another in a definition or clinic file."""
MAX_KEY_PARTS = 16
"""Most parts of one dotted key (``a.b.c`` has 3): tomllib's time grows with their square."""

# A dotted key of more than MAX_KEY_PARTS parts, found before parsing. The look-behind lets a
# match start only where a key can, so the search stays fast on any text.
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
_LONG_KEY = re.compile(
    rf"""(?<![\w."'\\-]){_KEY_PART}(?:[ \t]*\.[ \t]*{_KEY_PART}){{{MAX_KEY_PARTS}}}"""
)


def read_toml(path: Path | Any, display_name: str | None = None) -> Node:
    """Parse a TOML file (a path or an ``importlib.resources`` traversable) into a `Node`.

    Files larger than `MAX_TOML_BYTES` or nested deeper than `MAX_TOML_DEPTH` are refused with a
    `DefinitionError` before anything else reads them.
    """
    name: str = display_name or getattr(path, "name", None) or str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_TOML_BYTES + 1)
    except FileNotFoundError:
        raise DefinitionError(name, "", "file not found") from None
    except OSError as exc:
        raise DefinitionError(name, "", f"cannot read it ({exc.strerror or exc})") from None
    if len(raw) > MAX_TOML_BYTES:
        raise DefinitionError(name, "", f"larger than {MAX_TOML_BYTES // (1024 * 1024)} MiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DefinitionError(name, "", f"not UTF-8 text ({exc.reason})") from None
    if _LONG_KEY.search(text):
        raise DefinitionError(name, "", f"a key has more than {MAX_KEY_PARTS} dotted parts")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(name, "", f"invalid TOML: {exc}") from None
    except RecursionError:  # deeper than tomllib can go: far deeper than the limit
        raise DefinitionError(name, "", f"nested more than {MAX_TOML_DEPTH} levels deep") from None
    except ValueError:  # Python refuses to convert integers of more than 4300 digits
        raise DefinitionError(name, "", "invalid TOML: a number has too many digits") from None
    if nested_deeper_than(data, MAX_TOML_DEPTH):
        raise DefinitionError(name, "", f"nested more than {MAX_TOML_DEPTH} levels deep")
    return Node(data, name, "")


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    bool: "true or false",
    list: "an array",
    dict: "a table",
}


class Node:
    """A table from a definition file, with the file name and key path it came from.

    Getters check the type of each value and raise `DefinitionError` naming the exact key.
    """

    def __init__(
        self, data: Mapping[builtins.str, Any], file: builtins.str, path: builtins.str
    ) -> None:
        self.data = data
        self.file = file
        self.path = path

    def fail(
        self, problem: builtins.str, key: builtins.str | builtins.int | None = None
    ) -> NoReturn:
        """Raise a `DefinitionError` at this node, or at ``key`` below it."""
        path = self.path if key is None else _join(self.path, key)
        raise DefinitionError(self.file, path, problem)

    def keys(self) -> Iterable[builtins.str]:
        return self.data.keys()

    def __contains__(self, key: builtins.str) -> builtins.bool:
        return key in self.data

    def check_keys(self, allowed: Iterable[builtins.str]) -> None:
        """Refuse keys this table does not know (a misspelt key is an error, not ignored)."""
        allowed_set = set(allowed)
        for key in self.data:
            if key not in allowed_set:
                known = ", ".join(sorted(allowed_set))
                self.fail(f"unknown key '{key}' (expected one of: {known})", key)

    def _get(self, key: builtins.str, kind: type, required: builtins.bool) -> Any:
        if key not in self.data:
            if required:
                self.fail(f"missing required key '{key}'")
            return None
        value = self.data[key]
        # bool is a subclass of int: an integer field must not accept true/false.
        wrong = not isinstance(value, kind) or (kind is int and isinstance(value, bool))
        if wrong:
            self.fail(f"expected {_TYPE_NAMES[kind]}, got {_describe(value)}", key)
        return value

    def str(self, key: builtins.str) -> builtins.str:
        value: builtins.str = self._get(key, str, True)
        if not value.strip():
            self.fail("must not be empty", key)
        return value

    def opt_str(self, key: builtins.str) -> builtins.str | None:
        value: builtins.str | None = self._get(key, str, False)
        if value is not None and not value.strip():
            self.fail("must not be empty", key)
        return value

    def int(self, key: builtins.str) -> builtins.int:
        value: builtins.int = self._get(key, int, True)
        return value

    def opt_int(self, key: builtins.str) -> builtins.int | None:
        value: builtins.int | None = self._get(key, int, False)
        return value

    def bool(self, key: builtins.str, default: builtins.bool) -> builtins.bool:
        value: builtins.bool | None = self._get(key, bool, False)
        return default if value is None else value

    def str_list(self, key: builtins.str, required: builtins.bool = False) -> list[builtins.str]:
        value: list[Any] | None = self._get(key, list, required)
        if value is None:
            return []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.fail(f"expected a non-empty string, got {_describe(item)}", f"{key}[{i}]")
        return list(value)

    def table(self, key: builtins.str) -> Node:
        return Node(self._get(key, dict, True), self.file, _join(self.path, key))

    def opt_table(self, key: builtins.str) -> Node | None:
        value = self._get(key, dict, False)
        return None if value is None else Node(value, self.file, _join(self.path, key))

    def tables(self, key: builtins.str, required: builtins.bool = True) -> list[Node]:
        """An array of tables (``[[key]]``); each element checked to be a table."""
        value: list[Any] | None = self._get(key, list, required)
        if value is None:
            return []
        nodes = []
        for i, item in enumerate(value):
            item_path = _join(_join(self.path, key), i)
            if not isinstance(item, dict):
                raise DefinitionError(
                    self.file, item_path, f"expected a table, got {_describe(item)}"
                )
            nodes.append(Node(item, self.file, item_path))
        return nodes

    def items(self) -> Iterator[tuple[builtins.str, Any]]:
        return iter(self.data.items())


def _describe(value: Any) -> str:
    for kind, name in _TYPE_NAMES.items():
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return name
    return type(value).__name__


def unique_ids(
    nodes: Iterable[tuple[Node, str]], what: str, seen: dict[str, str] | None = None
) -> None:
    """Fail on the second node that reuses an id; ``nodes`` yields (node, id) pairs."""
    seen = {} if seen is None else seen
    for node, ident in nodes:
        if ident in seen:
            node.fail(f"duplicate {what} id '{ident}' (first used at {seen[ident]})", "id")
        seen[ident] = _join(node.path, "id")
