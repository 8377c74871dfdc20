"""The signed record: canonical JSON, hashing, round trips and limits."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_profiles import examples
from packet_fixtures import SIGNED, make_record, signature_png

from tpi_forms.errors import RecordError
from tpi_forms.record.model import (
    MAX_IMAGE_BYTES,
    MAX_NAME,
    AuditEvent,
    ConsentRecord,
    Signature,
    canonical_json,
    record_hash,
    sha256_hex,
)


@pytest.fixture(scope="module")
def record() -> ConsentRecord:
    return make_record()


def test_canonical_json_sorts_keys_drops_whitespace_and_normalises_to_nfc() -> None:
    assert (
        canonical_json({"b": [1, True, None], "a": "e\u0301"})
        == '{"a":"é","b":[1,true,null]}'.encode()
    )
    assert canonical_json({"é": 1}) == canonical_json({"e\u0301": 1})


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "\ud800", {1, 2}])
def test_canonical_json_refuses_what_json_cannot_hold_exactly(bad: object) -> None:
    with pytest.raises(RecordError, match="canonical JSON"):
        canonical_json({"x": bad})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=examples(200), deadline=None)
@given(json_values)
def test_canonical_json_is_stable_under_reordering_and_reparsing(value: Any) -> None:
    once = canonical_json(value)
    assert canonical_json(json.loads(once)) == once


def test_round_trip_keeps_every_field_and_the_hash(record: ConsentRecord) -> None:
    again = ConsentRecord.from_json(record.to_json())
    assert again.to_json() == record.to_json()
    assert record_hash(again) == record_hash(record) == sha256_hex(record.to_json())
    assert again.signatures == record.signatures
    assert again.audit == record.audit


def test_record_holds_the_parts_of_the_packet(record: ConsentRecord) -> None:
    data = json.loads(record.to_json())
    assert data["format"] == "tpi_forms.consent_record/1"
    assert data["questionnaire"]["id"] == "tpi_screening"
    assert data["screening"]["status"] == "review"
    assert data["consent"]["version"] and len(data["consent"]["content_hash"]) == 64
    first = data["signatures"][0]
    assert first["image_sha256"] == sha256_hex(record.signatures[0].image_png or b"")
    assert first["image_png_base64"]
    assert data["device_id"] == "kiosk-7"
    assert [e["event"] for e in data["audit"]][:2] == ["form_opened", "section_viewed"]


def test_changing_any_value_changes_the_hash(record: ConsentRecord) -> None:
    data = json.loads(record.to_json())
    data["answers"]["pain_score"] = 9
    assert sha256_hex(canonical_json(data)) != record_hash(record)


def test_a_swapped_signature_image_is_detected(record: ConsentRecord) -> None:
    data = json.loads(record.to_json())
    data["signatures"][0]["image_png_base64"] = data["signatures"][2]["image_png_base64"]
    with pytest.raises(RecordError, match="SHA-256"):
        ConsentRecord.from_dict(data)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"role": "Friend!"}, "signer role is an id"),
        ({"role": ""}, "signer role is an id"),
        ({"method": "stamped"}, "unknown signature method"),
        ({"printed_name": " "}, "printed name must not be empty"),
        ({"printed_name": "x" * (MAX_NAME + 1)}, "longer than"),
        ({"signed_at": dt.datetime(2026, 3, 2, 15, 30)}, "timezone-aware"),
        ({"image_png": None}, "needs its image"),
        ({"image_png": b"GIF89a" + b"\0" * 40}, "not a PNG"),
        ({"image_png": b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_IMAGE_BYTES}, "larger than"),
        ({"method": "typed"}, "typed signature has no image"),
    ],
)
def test_signature_limits(changes: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {
        "role": "patient",
        "printed_name": "Ana Ruiz",
        "signed_at": SIGNED,
        "meaning": "I agree.",
        "image_png": signature_png(),
    }
    fields.update(changes)
    with pytest.raises(RecordError, match=message):
        Signature(**fields)


def test_oversized_image_dimensions_are_refused() -> None:
    png = bytearray(signature_png())
    png[16:20] = (5000).to_bytes(4, "big")
    with pytest.raises(RecordError, match="pixels"):
        Signature("patient", "Ana", SIGNED, "I agree.", image_png=bytes(png))


def test_audit_events_are_checked_and_frozen() -> None:
    event = AuditEvent(SIGNED, "section_viewed", {"section": "risks", "seconds": 12}, "kiosk")
    with pytest.raises(TypeError):
        event.detail["section"] = "x"  # type: ignore[index]
    with pytest.raises(RecordError, match="timezone-aware"):
        AuditEvent(dt.datetime(2026, 1, 1), "form_opened")
    with pytest.raises(RecordError, match="strings or integers"):
        AuditEvent(SIGNED, "form_opened", {"x": 1.5})  # type: ignore[dict-item]


def test_a_record_needs_the_patient_or_a_representative(record: ConsentRecord) -> None:
    with pytest.raises(RecordError, match="^a consent record needs a signature of one of: "):
        ConsentRecord(**{**record.__dict__, "signatures": record.signatures[1:2]})


def _signed(role: str, **extra: Any) -> Signature:
    return Signature(role, "Ana Ruiz", SIGNED, "I agree.", method="typed", **extra)


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        (_signed("friend"), "unknown signer role 'friend' (the consent's roles: patient, "),
        (
            _signed("legal_representative"),
            "the 'legal_representative' signature needs its relationship",
        ),
        (_signed("legal_representative", relationship=" "), "the 'legal_representative' signature"),
        (_signed("interpreter"), "the 'interpreter' signature needs its language"),
        (
            _signed("patient", relationship="Mother"),
            "the 'patient' signature has no relationship field",
        ),
        (_signed("witness", language="Español"), "the 'witness' signature has no language field"),
    ],
)
def test_signatures_follow_the_roles_of_the_consent(
    record: ConsentRecord, signature: Signature, message: str
) -> None:
    with pytest.raises(RecordError) as info:
        ConsentRecord(**{**record.__dict__, "signatures": (*record.signatures, signature)})
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_the_consenting_roles_come_from_the_consent_not_from_fixed_ids(
    record: ConsentRecord,
) -> None:
    """A consent whose person consenting is a ``client`` (or their ``guardian``)."""
    consent = json.loads(json.dumps(record.to_dict()["consent"]))
    roles = consent["signer_roles"]
    roles[0]["id"], roles[1]["id"], roles[1]["alternative_to"] = "client", "guardian", "client"
    guardian = _signed("guardian", relationship="Aunt")
    practitioner = record.signatures[1]
    made = ConsentRecord(**{**record.__dict__, "consent": consent, "signatures": (guardian,)})
    assert made.signatures == (guardian,)
    with pytest.raises(RecordError, match="^unknown signer role 'patient'"):
        ConsentRecord(**{**record.__dict__, "consent": consent})
    with pytest.raises(RecordError, match="needs a signature of one of: client, guardian$"):
        ConsentRecord(**{**record.__dict__, "consent": consent, "signatures": (practitioner,)})
    for role in roles:
        role["required"] = role["id"] != "client"
    again = ConsentRecord(
        **{**record.__dict__, "consent": consent, "signatures": (practitioner,)}
    )  # the first required role that signs for themselves is now the practitioner
    assert again.signatures == (practitioner,)


@pytest.mark.parametrize(
    "roles",
    [
        None,
        [],
        "patient",
        [{"id": "patient"}],
        [1],
        [{"id": "patient", "required": True, "fields": [{"id": "image_png", "label": "x"}]}],
    ],
)
def test_a_consent_without_usable_signer_roles_is_refused(
    record: ConsentRecord, roles: Any
) -> None:
    consent = {**json.loads(json.dumps(record.to_dict()["consent"])), "signer_roles": roles}
    with pytest.raises(RecordError, match="signer role"):
        ConsentRecord(**{**record.__dict__, "consent": consent})


def test_with_events_appends_and_keeps_earlier_entries(record: ConsentRecord) -> None:
    later = record.with_events([AuditEvent(SIGNED + dt.timedelta(hours=1), "packet_generated")])
    assert later.audit[:-1] == record.audit
    assert later.audit[-1].event == "packet_generated"
    assert record_hash(later) != record_hash(record)


@pytest.mark.parametrize("bad", [b"not json", b"[]", b'{"format": "x"}'])
def test_from_json_refuses_what_is_not_a_record(bad: bytes) -> None:
    with pytest.raises(RecordError):
        ConsentRecord.from_json(bad)


@pytest.mark.parametrize(
    "change",
    [
        {"signatures": "x"},
        {"signatures": [[1, 2]]},
        {"audit": [{"at": "2026-03-02T15:30:00+00:00", "event": "x", "detail": [1]}]},
        {"created_at": "yesterday"},
        {"answers": None},
    ],
)
def test_from_dict_turns_wrong_shapes_into_record_errors(
    record: ConsentRecord, change: dict[str, Any]
) -> None:
    data = {**json.loads(record.to_json()), **change}
    with pytest.raises(RecordError):
        ConsentRecord.from_dict(data)
