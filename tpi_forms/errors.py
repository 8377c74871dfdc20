"""Exceptions raised by tpi_forms, each with a one-line message that names what is wrong."""

from __future__ import annotations


class TpiFormsError(Exception):
    """Base class of every error tpi_forms raises on purpose."""


class DefinitionError(TpiFormsError):
    """A definition or configuration file is broken.

    The message names the file, the key path inside it and what is wrong, e.g.
    ``tpi_screening.toml: sections[2].questions[4].enable_when: unknown question 'x'``.
    """

    def __init__(self, file: str, path: str, problem: str) -> None:
        self.file = file
        self.path = path
        self.problem = problem
        where = f"{file}: {path}: " if path else f"{file}: "
        super().__init__(where + problem)


class AnswersError(TpiFormsError):
    """Answers do not satisfy the questionnaire.

    ``errors`` maps each question id (or ``""`` for the answer object as a whole) to its
    messages. The messages never repeat the patient's answer.
    """

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        count = sum(len(v) for v in errors.values())
        first = next(iter(errors.items()), ("", [""]))
        name = first[0] or "answers"
        super().__init__(f"{count} invalid answer(s); first: {name}: {first[1][0]}")
