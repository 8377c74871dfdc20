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


class InputError(TpiFormsError, ValueError):
    """An input (answers file, embedded record, image file) is unreadable, too large or bad JSON.

    The message names the input and the limit it breaks, e.g.
    ``answers.json: nested more than 64 levels deep``; it never repeats the content.
    """


class FormatError(TpiFormsError, ValueError):
    """A locale, time zone or time that cannot be formatted as asked."""


class ProcedureError(TpiFormsError):
    """A planned procedure names a site or medicine the questionnaire does not know."""


class StoreError(TpiFormsError):
    """The store refused an operation (the message never repeats patient data)."""


class ListenError(TpiFormsError):
    """The kiosk cannot listen on the address it was given (in use, not this machine's, ...)."""


class PinError(TpiFormsError, ValueError):
    """A staff PIN does not meet the rules."""


class AccountError(StoreError, ValueError):
    """A staff account cannot be made or changed as asked (e.g. a name already taken)."""


class ConflictError(StoreError):
    """A submission token was reused for another check-in or kind, or the step is already done."""


class ClinicError(TpiFormsError, ValueError):
    """A `Clinic` or `Practitioner` built in Python has a wrong value."""


class UnknownLocaleError(TpiFormsError):
    """A locale was asked for that the definition has no text for."""


class RecordError(TpiFormsError, ValueError):
    """A record, signature or audit event breaks a rule (the message never repeats patient text)."""


class FhirExportError(TpiFormsError):
    """Data cannot be exported as FHIR (the message names the question, never the answer)."""


class PacketReadError(TpiFormsError):
    """The bytes are not a PDF at all (a damaged packet still verifies, with failed checks)."""


class TooLarge(TpiFormsError):
    """A packet exceeds one of verify's caps (decompressed size, objects, file size, time); the
    message says which, in one line without patient text. `verify_packet` reports it as the
    failed check ``size_limits``, "too large to verify safely"."""


class SignatureError(TpiFormsError):
    """A submitted signature was refused; the message says why, never what was submitted.

    ``code`` groups the reasons for the signer's own words
    (`tpi_forms.definitions.ui_text`): ``blank``, ``faint``, ``unreadable``, ``typed_name``
    or ``typed_intent``.
    """

    def __init__(self, message: str, code: str = "unreadable") -> None:
        super().__init__(message)
        self.code = code


class ConsentRecordError(TpiFormsError):
    """A stored consent dict is malformed or its content hash does not match its content."""


class ConsentFormError(TpiFormsError):
    """A consent form submission is incomplete or invalid.

    ``errors`` maps page element ids (``""`` for the form as a whole) to messages for the
    signer. The exception message counts them and never repeats what was typed.
    """

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        count = sum(len(v) for v in errors.values())
        super().__init__(f"{count} problem(s) with the consent form: {', '.join(errors) or '-'}")


class PdfError(TpiFormsError):
    """A PDF could not be rendered."""


class RefusedResourceError(PdfError):
    """The HTML or CSS named a resource outside the package's static assets."""


class AppointmentsError(TpiFormsError):
    """The appointment list cannot be read at all (missing file or columns)."""


class PacketError(TpiFormsError):
    """A packet cannot be made from this input (the message never repeats patient text)."""


class SealError(TpiFormsError):
    """A seal could not be made: a wrong key, certificate or passphrase, or a broken PDF."""
