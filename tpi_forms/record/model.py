"""The signed consent record: what was answered, screened, explained and signed, and when.

A `ConsentRecord` is the machine-readable truth behind a packet. It is embedded in the PDF as
canonical JSON (`canonical_json`: sorted keys, UTF-8, no whitespace, NFC strings), and its
SHA-256 (`record_hash`) is printed on the packet's audit page. The record never contains the
PDF, so the hash is computed first and then printed: no circularity.

>>> canonical_json({"b": 1, "a": "e\u0301"})
b'{"a":"\\xc3\\xa9","b":1}'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .._canonical import canonical_json as _canonical_text
from .._json import RECORD_LIMITS, parse_json
from .._text import hidden_character, nfc
from ..consent.document import ConsentDocument
from ..definitions.clinic import Clinic
from ..errors import InputError, RecordError
from ..json_types import JsonObject, JsonValue
from ..screening.engine import ScreeningResult
from .signers import _check_signers, _signer_roles

if TYPE_CHECKING:
    from .review import Certification, ReviewDecision

RECORD_FORMAT = "tpi_forms.consent_record/1"
"""Format id of a record without a decision or certification (as 0.1.0 wrote every record)."""
PROCESS_FORMAT = "tpi_forms.consent_record/2"
"""Format id of a record with a clinician's decision or a certification (0.2.0 on)."""
METHODS = ("drawn", "typed")

MAX_NAME = 200
"""Longest printed name, relationship or language, in characters."""
MAX_MEANING = 1000
"""Longest meaning statement, in characters."""
MAX_IMAGE_BYTES = 512 * 1024
"""Largest signature PNG, in bytes."""
MAX_IMAGE_SIDE = 2000
"""Largest signature image width or height, in pixels."""
MAX_EVENTS = 1000
"""Most audit events in one record."""
MAX_DETAIL = 500
"""Longest audit detail value, in characters."""

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_ROLE_ID = re.compile(r"[a-z0-9][a-z0-9_]{0,63}")
RECORD_ATTACHMENT = "record.json"
"""Name of the embedded record in every packet."""


def canonical_json(obj: Any) -> bytes:
    """JSON bytes that are the same for equal data: sorted keys, no whitespace, UTF-8, NFC.

    The same serialisation as consent content hashes (`tpi_forms._canonical`). Floats
    (computed scores) are written as Python's shortest round-trip ``repr``; NaN and infinity
    are refused.
    """
    try:
        return _canonical_text(obj).encode("utf-8")
    except (ValueError, TypeError, UnicodeEncodeError) as exc:  # NaN, a set, a lone surrogate
        raise RecordError(
            f"a value cannot be stored as canonical JSON ({type(exc).__name__})"
        ) from None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise RecordError(f"{what} must be a timezone-aware datetime")


def _limit(value: str | None, limit: int, what: str, *, required: bool = False) -> None:
    if value is None:
        if required:
            raise RecordError(f"{what} is required")
        return
    if required and not value.strip():
        raise RecordError(f"{what} must not be empty")
    if len(value) > limit:
        raise RecordError(f"{what} is longer than {limit} characters")


def _name(value: str | None, what: str) -> str | None:
    """A printed name (or relationship, language) in NFC; refused with a hidden character."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"{what} must be text")
    if hidden_character(value):
        raise RecordError(f"{what} has a hidden or control character")
    return nfc(value)


_NAMES = (  # Signature fields read as names
    ("printed_name", "printed name"),
    ("relationship", "relationship"),
    ("language", "interpreter language"),
    ("interpreter_id", "interpreter's ID or service"),
)


def check_png(data: bytes) -> tuple[int, int]:
    """Check a signature PNG's size limits; return its (width, height) in pixels."""
    if len(data) > MAX_IMAGE_BYTES:
        raise RecordError(f"signature image is larger than {MAX_IMAGE_BYTES // 1024} KiB")
    if not data.startswith(PNG_MAGIC) or len(data) < 24:
        raise RecordError("signature image is not a PNG file")
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    if not (0 < width <= MAX_IMAGE_SIDE and 0 < height <= MAX_IMAGE_SIDE):
        raise RecordError(f"signature image must be at most {MAX_IMAGE_SIDE} pixels on each side")
    return width, height


@dataclass(frozen=True)
class Signature:
    """One signer's signature, with the printed name, time and meaning Part 11 §11.50 asks for."""

    role: str
    """Id of a signer role of the consent signed (``patient``, ``practitioner`` …); the record
    checks it against its consent's ``signer_roles``."""
    printed_name: str
    """The signer's name as printed under the signature (stored in NFC; no hidden characters)."""
    signed_at: datetime
    """When the signer signed (timezone-aware)."""
    meaning: str
    """What the signature means, in the document's language ("I consent to …")."""
    method: str = "drawn"
    """``drawn`` (an image of a hand-drawn signature) or ``typed`` (the name typed as signature)."""
    image_png: bytes | None = None
    """The drawn signature as a normalised PNG; None for a typed signature."""
    relationship: str | None = None
    """The relationship to the patient, when the role asks for it (a legal representative)."""
    language: str | None = None
    """The language interpreted into, when the role asks for it (an interpreter)."""
    intent_confirmed: bool = True
    """The signer confirmed they meant to sign electronically."""
    interpreter_id: str | None = None
    """The interpreter's ID number or the name of their service, when the role asks for it;
    written into the record only when given (records without it hash as before)."""

    def __post_init__(self) -> None:
        if not isinstance(self.role, str) or not _ROLE_ID.fullmatch(self.role):
            raise RecordError("a signer role is an id of a-z, 0-9 and _ (at most 64 characters)")
        if self.method not in METHODS:
            raise RecordError(f"unknown signature method '{self.method}' (expected drawn or typed)")
        for attr, what in _NAMES:
            object.__setattr__(self, attr, _name(getattr(self, attr), what))
        _limit(self.printed_name, MAX_NAME, "printed name", required=True)
        _limit(self.meaning, MAX_MEANING, "signature meaning", required=True)
        _limit(self.relationship, MAX_NAME, "relationship")
        _limit(self.language, MAX_NAME, "interpreter language")
        _limit(self.interpreter_id, MAX_NAME, "interpreter's ID or service")
        _aware(self.signed_at, "signing time")
        if self.method == "drawn":
            if self.image_png is None:
                raise RecordError("a drawn signature needs its image")
            check_png(self.image_png)
        elif self.image_png is not None:
            raise RecordError("a typed signature has no image")

    @property
    def image_sha256(self) -> str | None:
        """SHA-256 (hex) of the PNG bytes, or None for a typed signature."""
        return None if self.image_png is None else sha256_hex(self.image_png)

    def to_dict(self) -> JsonObject:
        return {
            "role": self.role,
            "printed_name": self.printed_name,
            "signed_at": self.signed_at.isoformat(),
            "meaning": self.meaning,
            "method": self.method,
            "image_png_base64": None
            if self.image_png is None
            else base64.b64encode(self.image_png).decode("ascii"),
            "image_sha256": self.image_sha256,
            "relationship": self.relationship,
            "language": self.language,
            "intent_confirmed": self.intent_confirmed,
            # Only when given, so signatures without it hash as 0.1.0 wrote them.
            **({} if self.interpreter_id is None else {"interpreter_id": self.interpreter_id}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, JsonValue]) -> Signature:
        """Read `to_dict`'s form; each value is checked as the signature is made."""
        raw: Any = data  # each value is checked here or by __post_init__ (RecordError, TypeError …)
        encoded = raw.get("image_png_base64")
        try:
            image = None if encoded is None else base64.b64decode(encoded, validate=True)
        except (binascii.Error, TypeError):
            raise RecordError("signature image is not valid base64") from None
        signature = cls(
            role=raw["role"],
            printed_name=raw["printed_name"],
            signed_at=_parse_time(data["signed_at"], "signing time"),
            meaning=raw["meaning"],
            method=raw["method"],
            image_png=image,
            relationship=raw.get("relationship"),
            language=raw.get("language"),
            intent_confirmed=bool(data["intent_confirmed"]),
            interpreter_id=raw.get("interpreter_id"),
        )
        if data.get("image_sha256") != signature.image_sha256:
            raise RecordError("signature image does not match its recorded SHA-256")
        return signature


@dataclass(frozen=True)
class AuditEvent:
    """One time-stamped event of the signing session (Part 11 §11.10(e) style audit trail)."""

    at: datetime
    """When it happened (timezone-aware)."""
    event: str
    """What happened: ``form_opened``, ``section_viewed``, ``consent_time_on_page``, ``signed``,
    ``packet_generated`` …"""
    detail: Mapping[str, str | int] = field(default_factory=lambda: MappingProxyType({}))
    """Event details (section id, seconds on page, signer role …)."""
    device_id: str | None = None
    """The device or kiosk it happened on."""

    def __post_init__(self) -> None:
        _aware(self.at, "audit event time")
        _limit(self.event, 100, "audit event name", required=True)
        _limit(self.device_id, MAX_NAME, "device id")
        for key, value in self.detail.items():
            _limit(key, 100, "audit detail key", required=True)
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise RecordError("audit detail values must be strings or integers")
            if isinstance(value, str):
                _limit(value, MAX_DETAIL, "audit detail value")
        object.__setattr__(self, "detail", MappingProxyType(dict(self.detail)))

    def to_dict(self) -> JsonObject:
        return {
            "at": self.at.isoformat(),
            "event": self.event,
            "detail": dict(self.detail),
            "device_id": self.device_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, JsonValue]) -> AuditEvent:
        """Read `to_dict`'s form; each value is checked as the event is made."""
        raw: Any = data  # each value is checked by __post_init__ (RecordError, TypeError …)
        return cls(
            at=_parse_time(data["at"], "audit event time"),
            event=raw["event"],
            detail=raw.get("detail") or {},
            device_id=raw.get("device_id"),
        )


def _parse_time(value: object, what: str) -> datetime:
    try:
        if not isinstance(value, str):
            raise TypeError(what)
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise RecordError(f"{what} is not an ISO 8601 date and time") from None
    _aware(parsed, what)
    return parsed


def _frozen(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


def _present(key: str, value: ReviewDecision | Certification | None) -> dict[str, Any]:
    """``{key: value.to_dict()}``, or nothing for None: records without it hash as before."""
    return {} if value is None else {key: value.to_dict()}


def _thawed(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thawed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_thawed(v) for v in value]
    return value


@dataclass(frozen=True)
class ConsentRecord:
    """Everything a packet proves: answers, screening, consent as shown, signatures, audit trail."""

    questionnaire_id: str
    """Id of the questionnaire definition the answers follow."""
    questionnaire_version: str
    """Version of that definition."""
    locale: str
    """Language the patient read and signed in."""
    answers: Mapping[str, JsonValue]
    """Validated answers, keyed by question id (JSON-native values)."""
    procedure: Mapping[str, JsonValue]
    """The planned procedure: sites, local anaesthetic, corticosteroid."""
    screening: Mapping[str, JsonValue]
    """The screening result (``ScreeningResult.to_dict()``)."""
    consent: Mapping[str, JsonValue]
    """The consent document as assembled (``ConsentDocument.to_dict()``, with version and hash)."""
    clinic: Mapping[str, JsonValue]
    """The facility (``Clinic.to_dict()``, logo bytes included)."""
    signatures: tuple[Signature, ...]
    """Every signer, in signing order."""
    audit: tuple[AuditEvent, ...]
    """The signing session's events, oldest first."""
    created_at: datetime
    """When the record was made (timezone-aware)."""
    device_id: str | None = None
    """The device or kiosk the record was made on."""
    format: str = RECORD_FORMAT
    """Record format id: set to `PROCESS_FORMAT` when a decision or certification is present."""
    review: ReviewDecision | None = None
    """The clinician's decision on the screening (`tpi_forms.record.review`), when made."""
    certification: Certification | None = None
    """The patient's certification of their answers, when made."""

    def __post_init__(self) -> None:
        from .review import record_format

        _aware(self.created_at, "record creation time")
        _limit(self.device_id, MAX_NAME, "device id")
        fmt = record_format(self.format, self.review, self.certification)
        object.__setattr__(self, "format", fmt)
        if len(self.audit) > MAX_EVENTS:
            raise RecordError(f"a record holds at most {MAX_EVENTS} audit events")
        for name in ("answers", "procedure", "screening", "consent", "clinic"):
            if not isinstance(getattr(self, name), Mapping):
                raise RecordError(f"record field '{name}' must be a JSON object")
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        _check_signers(self.signatures, _signer_roles(self.consent))
        object.__setattr__(self, "signatures", tuple(self.signatures))
        object.__setattr__(self, "audit", tuple(self.audit))
        canonical_json(self.to_dict())  # refuse what cannot be stored now, not at render time

    @property
    def consent_version(self) -> str:
        return str(self.consent.get("version", ""))

    @property
    def consent_hash(self) -> str:
        return str(self.consent.get("content_hash", ""))

    @property
    def screening_result(self) -> ScreeningResult:
        """`screening` as a `ScreeningResult`; `RecordError` when it is not one."""
        return ScreeningResult.from_dict(self.screening)

    @property
    def consent_document(self) -> ConsentDocument:
        """`consent` as a `ConsentDocument`; `ConsentRecordError` when its hash does not match."""
        return ConsentDocument.from_dict(self.consent)

    @property
    def clinic_info(self) -> Clinic:
        """`clinic` as a `Clinic` (its logo included); `ClinicError` when it is not one."""
        return Clinic.from_dict(self.clinic)

    def to_dict(self) -> JsonObject:
        return {
            "format": self.format,
            "questionnaire": {"id": self.questionnaire_id, "version": self.questionnaire_version},
            "locale": self.locale,
            "answers": _thawed(self.answers),
            "procedure": _thawed(self.procedure),
            "screening": _thawed(self.screening),
            "consent": _thawed(self.consent),
            "clinic": _thawed(self.clinic),
            "signatures": [s.to_dict() for s in self.signatures],
            "audit": [e.to_dict() for e in self.audit],
            "created_at": self.created_at.isoformat(),
            "device_id": self.device_id,
            # Written only when present, so records without them (0.1.0) hash as before.
            **_present("review", self.review),
            **_present("certification", self.certification),
        }

    def to_json(self) -> bytes:
        """The record as canonical JSON bytes (what the packet embeds and `record_hash` hashes)."""
        return canonical_json(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, JsonValue]) -> ConsentRecord:
        """Read `to_dict`'s form; `RecordError` when a field is missing or of a wrong type."""
        from .review import Certification, ReviewDecision

        raw: Any = data  # each value is checked by __post_init__ or the part it makes (TypeError …)
        try:
            questionnaire = raw["questionnaire"]
            review, certification = raw.get("review"), raw.get("certification")
            return cls(
                questionnaire_id=questionnaire["id"],
                questionnaire_version=questionnaire["version"],
                locale=raw["locale"],
                answers=raw["answers"],
                procedure=raw["procedure"],
                screening=raw["screening"],
                consent=raw["consent"],
                clinic=raw["clinic"],
                signatures=tuple(Signature.from_dict(s) for s in raw["signatures"]),
                audit=tuple(AuditEvent.from_dict(e) for e in raw["audit"]),
                created_at=_parse_time(raw["created_at"], "record creation time"),
                device_id=raw.get("device_id"),
                format=raw["format"],
                review=None if review is None else ReviewDecision.from_dict(review),
                certification=None
                if certification is None
                else Certification.from_dict(certification),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise RecordError(
                f"record is missing a field or has a wrong type ({exc!r:.60})"
            ) from None

    @classmethod
    def from_json(cls, data: bytes | str) -> ConsentRecord:
        """Read a record written by `to_json`; `RecordError` when it is not one.

        The JSON is read within `RECORD_LIMITS` (8 MiB, 64 levels deep, numbers of 40 characters).
        """
        try:
            parsed = parse_json(data, "record", RECORD_LIMITS)
        except InputError as exc:
            raise RecordError(str(exc)) from None
        if not isinstance(parsed, dict):
            raise RecordError("record is not a JSON object")
        return cls.from_dict(parsed)

    def with_events(self, events: Sequence[AuditEvent]) -> ConsentRecord:
        """A copy with ``events`` appended to the audit trail; earlier entries stay as they were."""
        return ConsentRecord(**{**self.__dict__, "audit": (*self.audit, *events)})


def record_hash(record: ConsentRecord) -> str:
    """SHA-256 (hex) of the record's canonical JSON."""
    return sha256_hex(record.to_json())
