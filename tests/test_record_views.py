"""A record keeps screening, consent and clinic as JSON objects, and gives them back typed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from packet_fixtures import make_record

from tpi_forms import (
    ClinicLogo,
    ConsentDocument,
    ConsentRecord,
    ConsentRecordError,
    RecordError,
    ScreeningResult,
    build_consent,
    example_answers,
    example_signature_png,
    sample_clinic,
    screen,
)
from tpi_forms.screening.procedure import PlannedProcedure

TODAY = dt.date(2026, 3, 2)


@pytest.mark.parametrize("scenario", ["clear", "review", "contraindicated"])
def test_a_screening_result_round_trips_through_its_dict(scenario: str) -> None:
    plan = PlannedProcedure(sites=("neck",), corticosteroid=True)
    result = screen(example_answers(scenario), plan, locale="es", today=TODAY)
    assert ScreeningResult.from_dict(result.to_dict()) == result


def test_the_record_gives_its_parts_back_typed() -> None:
    clinic = dataclasses.replace(
        sample_clinic(), logo=ClinicLogo("logo.png", example_signature_png(3, (120, 60)))
    )
    record = make_record("es", scenario="review", clinic=clinic)
    result = record.screening_result
    stored = record.to_dict()["screening"]
    assert isinstance(result, ScreeningResult) and isinstance(stored, dict)
    assert result.status == record.screening["status"] == stored["status"] == "review"
    assert result.to_dict() == stored
    assert [f.rule_id for f in result.findings] == [f["rule_id"] for f in stored["findings"]]
    document = record.consent_document
    assert isinstance(document, ConsentDocument)
    assert document.to_dict() == record.to_dict()["consent"]
    assert document.version == record.consent_version
    assert record.clinic_info == clinic  # the logo included


def test_the_typed_parts_survive_the_json_a_packet_embeds() -> None:
    record = make_record(scenario="contraindicated")
    again = ConsentRecord.from_json(record.to_json())
    assert again.screening_result == record.screening_result
    assert again.consent_document == record.consent_document
    assert again.clinic_info == record.clinic_info == sample_clinic()


def test_a_consent_document_round_trips_through_its_dict() -> None:
    document = build_consent(PlannedProcedure(sites=("neck",)), sample_clinic(), "en")
    assert ConsentDocument.from_dict(document.to_dict()) == document


def changed(record: ConsentRecord, part: str, change: dict[str, Any]) -> ConsentRecord:
    data: dict[str, Any] = record.to_dict()
    data[part] = {**data[part], **change}
    return ConsentRecord.from_dict(data)


def test_a_malformed_screening_is_a_record_error() -> None:
    broken = changed(make_record(), "screening", {"as_of": "not a day"})
    with pytest.raises(RecordError, match="screening result"):
        _ = broken.screening_result
    missing = changed(make_record(), "screening", {"findings": None})
    with pytest.raises(RecordError, match="screening result"):
        _ = missing.screening_result


def test_a_changed_consent_text_is_a_consent_record_error() -> None:
    broken = changed(make_record(), "consent", {"title": "Something else"})
    with pytest.raises(ConsentRecordError, match="hash"):
        _ = broken.consent_document
