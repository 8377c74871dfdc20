"""Released definition versions, kept so that records signed under them can still be checked.

A signed record cites the consent definition's id and version, and its consent hash covers the
text that version produced. When the shipped content changes, the files of each released version
stay in the package under ``definitions/released/<id>/<version>/`` (see ``index.toml`` there),
so verification rebuilds the consent from the very version the record cites::

    >>> load_released_consent("0.1.0").version
    '0.1.0'
    >>> consent_definition_for("tpi_consent", "0.1.0").questionnaire.version
    '1.0.0'
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib.resources.abc import Traversable
from typing import Any

from .._resources import definition_folder
from .._toml import read_toml
from ..errors import DefinitionError
from .consent import DEFAULT_CONSENT, ConsentDefinition, load_consent_definition
from .consent import _load as _load_consent
from .question_types import QUESTION_TYPES
from .questionnaire import DEFAULT_QUESTIONNAIRE, Questionnaire, _read, load_questionnaire
from .texts import locale_files

RELEASED = "released"
"""Folder (inside ``definitions/``) of the released versions."""


def released_folder() -> Traversable:
    """The folder holding ``index.toml`` and one ``<id>/<version>/`` folder per release."""
    return definition_folder() / RELEASED


@functools.cache
def _index() -> Mapping[str, Mapping[str, Mapping[str, Any]]]:
    node = read_toml(released_folder() / "index.toml")
    return {key: dict(value) for key, value in node.data.items()}


def released_versions(definition_id: str) -> tuple[str, ...]:
    """The versions of ``definition_id`` kept in the package, oldest first."""
    versions = _index().get(definition_id, {})
    return tuple(sorted(versions, key=_version_key))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _version_folder(definition_id: str, version: str) -> Traversable:
    if version not in _index().get(definition_id, {}):
        known = ", ".join(released_versions(definition_id)) or "none"
        raise DefinitionError(
            f"{RELEASED}/index.toml",
            definition_id,
            f"no released version '{version[:40]}' (released: {known})",
        )
    return released_folder() / definition_id / version


@functools.cache
def load_released_questionnaire(version: str) -> Questionnaire:
    """The shipped questionnaire as it was released at ``version``."""
    folder = _version_folder(DEFAULT_QUESTIONNAIRE, version)
    return _read(folder, DEFAULT_QUESTIONNAIRE, QUESTION_TYPES)


@functools.cache
def load_released_consent(version: str) -> ConsentDefinition:
    """The shipped consent as it was released at ``version``, with the questionnaire it used."""
    folder = _version_folder(DEFAULT_CONSENT, version)
    entry = _index()[DEFAULT_CONSENT][version]
    q_version = str(entry.get("questionnaire_version", ""))
    questionnaire = questionnaire_for(DEFAULT_QUESTIONNAIRE, q_version)
    if questionnaire is None:
        raise DefinitionError(
            f"{RELEASED}/index.toml",
            f"{DEFAULT_CONSENT}.{version}.questionnaire_version",
            f"questionnaire version '{q_version[:40]}' is not available",
        )
    return _load_consent(
        read_toml(folder / f"{DEFAULT_CONSENT}.toml"),
        locale_files(folder, DEFAULT_CONSENT),
        questionnaire,
    )


def questionnaire_for(definition_id: str, version: str) -> Questionnaire | None:
    """The shipped questionnaire ``definition_id`` at ``version`` (current or released), or None."""
    current = load_questionnaire()
    if (current.id, current.version) == (definition_id, version):
        return current
    if definition_id == DEFAULT_QUESTIONNAIRE and version in released_versions(definition_id):
        return load_released_questionnaire(version)
    return None


def consent_definition_for(definition_id: str, version: str) -> ConsentDefinition | None:
    """The shipped consent ``definition_id`` at ``version`` (current or released), or None."""
    current = load_consent_definition()
    if (current.id, current.version) == (definition_id, version):
        return current
    if definition_id == DEFAULT_CONSENT and version in released_versions(definition_id):
        return load_released_consent(version)
    return None


def definition_for_record(
    definition_id: object, version: object, given: Any | None = None
) -> Any | None:
    """The consent definition to rebuild a record's consent from.

    ``given`` (a caller's own definition) when there is one: verification then uses it only if
    its id and version are the ones the record cites. Otherwise the shipped definition at the
    version the record cites (current or released), or None when there is none.
    """
    if given is not None:
        return given
    if isinstance(definition_id, str) and isinstance(version, str):
        return consent_definition_for(definition_id, version)
    return None
