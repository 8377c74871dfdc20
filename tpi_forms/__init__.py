"""Screening questionnaire, explainable rules and signed consent packets for trigger point
injections.

Names that render PDFs (`render_packet`, `render_blank_packet`, `render_packets`,
`render_blank_packets`, `iter_packets`, `iter_blank_packets`, `PacketRenderer`,
`PacketSettings`, `BlankPatient`, `BlankPacketRequest`, `build_record`) load WeasyPrint on
first use, so importing the package stays quick for code that only screens or renders HTML.
"""

import importlib as _importlib
import typing as _typing

from .__about__ import __version__
from .consent.document import ConsentDocument, ConsentRisk, build_consent, consent_hash_of
from .consent.highlights import patient_highlights
from .consent.signing import parse_consent_submission
from .definitions.clinic import Clinic, ClinicLogo, Practitioner, load_clinic, sample_clinic
from .definitions.consent import ConsentDefinition, load_consent_definition
from .definitions.questionnaire import Questionnaire, load_questionnaire
from .definitions.quiz import Quiz, load_quiz
from .definitions.texts import Text
from .errors import (
    AccountError,
    AnswersError,
    AppointmentsError,
    ClinicError,
    ConflictError,
    ConsentFormError,
    ConsentRecordError,
    DefinitionError,
    FhirExportError,
    FormatError,
    InputError,
    ListenError,
    PacketError,
    PacketReadError,
    PdfError,
    PinError,
    ProcedureError,
    RecordError,
    RefusedResourceError,
    SealError,
    SignatureError,
    StoreError,
    TooLarge,
    TpiFormsError,
    UnknownLocaleError,
)
from .fhir.bundle import (
    FhirSettings,
    to_fhir_bundle,
    to_fhir_consent,
    to_fhir_questionnaire,
    to_fhir_questionnaire_response,
)
from .json_types import Answer, JsonObject, JsonValue
from .record.model import AuditEvent, ConsentRecord, Signature, record_hash
from .record.required_signers import required_signers
from .record.review import REVIEW_OUTCOMES, Certification, ReviewDecision, certify
from .screening.answers import answers_schema, compute_scores, validate_answers
from .screening.engine import Finding, ScreeningResult, finding_reasons, screen
from .screening.procedure import PlannedProcedure
from .screening.scenarios import example_answers, example_signature_png
from .verify.packet import Verification, verify_packet
from .web.consent_parts import consent_parts, render_consent_part, render_consent_sign
from .web.forms import build_form_class
from .web.html import PageOptions, render_consent_page, render_form_html, render_kiosk_page
from .web.screening_form import ScreeningForm

if _typing.TYPE_CHECKING:
    from .pdf.batch import (
        BlankPacketRequest,
        iter_blank_packets,
        iter_packets,
        render_blank_packets,
        render_packets,
    )
    from .pdf.packet import (
        BlankPatient,
        PacketRenderer,
        PacketSettings,
        build_record,
        render_blank_packet,
        render_packet,
    )

# Name -> module for the names loaded on first use (see the module docstring).
_LAZY = {
    "BlankPacketRequest": "pdf.batch",
    "BlankPatient": "pdf.packet",
    "PacketRenderer": "pdf.packet",
    "PacketSettings": "pdf.packet",
    "build_record": "pdf.packet",
    "iter_blank_packets": "pdf.batch",
    "iter_packets": "pdf.batch",
    "render_blank_packet": "pdf.packet",
    "render_packet": "pdf.packet",
    "render_blank_packets": "pdf.batch",
    "render_packets": "pdf.batch",
}


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tpi_forms' has no attribute '{name}'")
    value = getattr(_importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "AccountError",
    "Answer",
    "AnswersError",
    "AppointmentsError",
    "AuditEvent",
    "BlankPacketRequest",
    "BlankPatient",
    "Certification",
    "Clinic",
    "ClinicError",
    "ClinicLogo",
    "ConflictError",
    "ConsentDefinition",
    "ConsentDocument",
    "ConsentFormError",
    "ConsentRecord",
    "ConsentRecordError",
    "ConsentRisk",
    "DefinitionError",
    "FhirExportError",
    "FhirSettings",
    "Finding",
    "FormatError",
    "InputError",
    "JsonObject",
    "JsonValue",
    "ListenError",
    "PacketError",
    "PacketReadError",
    "PacketRenderer",
    "PacketSettings",
    "PageOptions",
    "PdfError",
    "PinError",
    "PlannedProcedure",
    "Practitioner",
    "ProcedureError",
    "Questionnaire",
    "Quiz",
    "REVIEW_OUTCOMES",
    "RecordError",
    "RefusedResourceError",
    "ReviewDecision",
    "ScreeningForm",
    "ScreeningResult",
    "SealError",
    "Signature",
    "SignatureError",
    "StoreError",
    "Text",
    "TooLarge",
    "TpiFormsError",
    "UnknownLocaleError",
    "Verification",
    "__version__",
    "answers_schema",
    "build_consent",
    "build_form_class",
    "build_record",
    "certify",
    "compute_scores",
    "consent_hash_of",
    "consent_parts",
    "example_answers",
    "example_signature_png",
    "finding_reasons",
    "iter_blank_packets",
    "iter_packets",
    "load_clinic",
    "load_consent_definition",
    "load_questionnaire",
    "load_quiz",
    "parse_consent_submission",
    "patient_highlights",
    "record_hash",
    "render_blank_packet",
    "render_blank_packets",
    "render_consent_page",
    "render_consent_part",
    "render_consent_sign",
    "render_form_html",
    "render_kiosk_page",
    "render_packet",
    "render_packets",
    "required_signers",
    "sample_clinic",
    "screen",
    "to_fhir_bundle",
    "to_fhir_consent",
    "to_fhir_questionnaire",
    "to_fhir_questionnaire_response",
    "validate_answers",
    "verify_packet",
]
