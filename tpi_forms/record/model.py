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
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from .._canonical import canonical_json as _canonical_text
from ..definitions.consent import SIGNER_FIELDS, consenting_roles
from ..errors import RecordError

RECORD_FORMAT = "tpi_forms.consent_record/1"
"""Format id written into every record; bumped when the layout changes."""
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
    """The signer's name as printed under the signature."""
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

    def __post_init__(self) -> None:
        if not isinstance(self.role, str) or not _ROLE_ID.fullmatch(self.role):
            raise RecordError("a signer role is an id of a-z, 0-9 and _ (at most 64 characters)")
        if self.method not in METHODS:
            raise RecordError(f"unknown signature method '{self.method}' (expected drawn or typed)")
        _limit(self.printed_name, MAX_NAME, "printed name", required=True)
        _limit(self.meaning, MAX_MEANING, "signature meaning", required=True)
        _limit(self.relationship, MAX_NAME, "relationship")
        _limit(self.language, MAX_NAME, "interpreter language")
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

    def to_dict(self) -> dict[str, Any]:
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
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Signature:
        raw = data.get("image_png_base64")
        try:
            image = None if raw is None else base64.b64decode(raw, validate=True)
        except (binascii.Error, TypeError):
            raise RecordError("signature image is not valid base64") from None
        signature = cls(
            role=data["role"],
            printed_name=data["printed_name"],
            signed_at=_parse_time(data["signed_at"], "signing time"),
            meaning=data["meaning"],
            method=data["method"],
            image_png=image,
            relationship=data.get("relationship"),
            language=data.get("language"),
            intent_confirmed=bool(data["intent_confirmed"]),
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "event": self.event,
            "detail": dict(self.detail),
            "device_id": self.device_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditEvent:
        return cls(
            at=_parse_time(data["at"], "audit event time"),
            event=data["event"],
            detail=data.get("detail") or {},
            device_id=data.get("device_id"),
        )


def _parse_time(value: Any, what: str) -> datetime:
    try:
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
    answers: Mapping[str, Any]
    """Validated answers, keyed by question id (JSON-native values)."""
    procedure: Mapping[str, Any]
    """The planned procedure: sites, local anaesthetic, corticosteroid."""
    screening: Mapping[str, Any]
    """The screening result (``ScreeningResult.to_dict()``)."""
    consent: Mapping[str, Any]
    """The consent document as assembled (``ConsentDocument.to_dict()``, with version and hash)."""
    clinic: Mapping[str, Any]
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
    """Record format id."""

    def __post_init__(self) -> None:
        _aware(self.created_at, "record creation time")
        _limit(self.device_id, MAX_NAME, "device id")
        if self.format != RECORD_FORMAT:
            raise RecordError(f"unknown record format (this version reads '{RECORD_FORMAT}')")
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

    def to_dict(self) -> dict[str, Any]:
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
        }

    def to_json(self) -> bytes:
        """The record as canonical JSON bytes (what the packet embeds and `record_hash` hashes)."""
        return canonical_json(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConsentRecord:
        try:
            questionnaire = data["questionnaire"]
            return cls(
                questionnaire_id=questionnaire["id"],
                questionnaire_version=questionnaire["version"],
                locale=data["locale"],
                answers=data["answers"],
                procedure=data["procedure"],
                screening=data["screening"],
                consent=data["consent"],
                clinic=data["clinic"],
                signatures=tuple(Signature.from_dict(s) for s in data["signatures"]),
                audit=tuple(AuditEvent.from_dict(e) for e in data["audit"]),
                created_at=_parse_time(data["created_at"], "record creation time"),
                device_id=data.get("device_id"),
                format=data["format"],
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise RecordError(
                f"record is missing a field or has a wrong type ({exc!r:.60})"
            ) from None

    @classmethod
    def from_json(cls, data: bytes | str) -> ConsentRecord:
        """Read a record written by `to_json`; `RecordError` when it is not one."""
        try:
            parsed = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise RecordError("record is not valid UTF-8 JSON") from None
        if not isinstance(parsed, dict):
            raise RecordError("record is not a JSON object")
        return cls.from_dict(parsed)

    def with_events(self, events: Sequence[AuditEvent]) -> ConsentRecord:
        """A copy with ``events`` appended to the audit trail; earlier entries stay as they were."""
        return ConsentRecord(**{**self.__dict__, "audit": (*self.audit, *events)})


@dataclass(frozen=True)
class SignerRole:
    """A signer role as the record's consent names it: what a signature in that role needs."""

    id: str
    """The role's id (``patient``, ``guardian`` …)."""
    required: bool
    """The consent is incomplete without it (or its alternative's) signature."""
    alternative_to: str | None
    """The role this one signs in place of."""
    fields: tuple[str, ...]
    """Extra fields a signature in this role must fill (``relationship``, ``language``)."""


def _signer_roles(consent: Mapping[str, Any]) -> dict[str, SignerRole]:
    """The consent's ``signer_roles`` by id; `RecordError` when they are malformed."""
    raw = consent.get("signer_roles")
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        raise RecordError("the record's consent names no signer roles")
    roles: dict[str, SignerRole] = {}
    try:
        for item in raw:
            fields = tuple(str(f["id"]) for f in item.get("fields", ()))
            alternative = item.get("alternative_to")
            role = SignerRole(
                str(item["id"]),
                bool(item["required"]),
                None if alternative is None else str(alternative),
                fields,
            )
            roles[role.id] = role
    except (KeyError, TypeError, AttributeError):
        raise RecordError("the record's consent has a malformed signer role") from None
    for role in roles.values():
        unknown = [f for f in role.fields if f not in SIGNER_FIELDS]
        if unknown:
            raise RecordError(
                f"signer role '{role.id}' of the record's consent asks for an unknown field"
                f" (known: {', '.join(SIGNER_FIELDS)})"
            )
    return roles


def _check_signers(signatures: Sequence[Signature], roles: Mapping[str, SignerRole]) -> None:
    """Every signature has a role of the consent and that role's fields; the consenter signed."""
    for signature in signatures:
        role = roles.get(signature.role)
        if role is None:
            raise RecordError(
                f"unknown signer role '{signature.role}' (the consent's roles: {', '.join(roles)})"
            )
        for name in SIGNER_FIELDS:
            value = getattr(signature, name)
            if name in role.fields and not (value and value.strip()):
                raise RecordError(f"the '{role.id}' signature needs its {name}")
            if name not in role.fields and value is not None:
                raise RecordError(f"the '{role.id}' signature has no {name} field")
    consenting = consenting_roles(tuple(roles.values()))
    if consenting and not any(s.role in consenting for s in signatures):
        raise RecordError(f"a consent record needs a signature of one of: {', '.join(consenting)}")


def record_hash(record: ConsentRecord) -> str:
    """SHA-256 (hex) of the record's canonical JSON."""
    return sha256_hex(record.to_json())
