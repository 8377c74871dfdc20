"""Reading a submitted consent form into signatures and evidence of review."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from typing import Any

import pytest
from PIL import Image, ImageDraw

from tpi_forms.consent.document import ConsentDocument, build_consent
from tpi_forms.consent.signature import DATA_URL_PREFIX
from tpi_forms.consent.signing import parse_consent_submission, signer_blocks
from tpi_forms.definitions.clinic import sample_clinic
from tpi_forms.errors import ConsentFormError
from tpi_forms.screening.procedure import PlannedProcedure

NOW = dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC)


def document(locale: str = "en") -> ConsentDocument:
    return build_consent(PlannedProcedure(sites=("neck",)), sample_clinic(), locale)


def drawn_png() -> str:
    image = Image.new("RGBA", (900, 360), (0, 0, 0, 0))
    ImageDraw.Draw(image).line(
        [(90, 200), (300, 100), (500, 260), (800, 120)], fill="black", width=6
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return DATA_URL_PREFIX + base64.b64encode(buffer.getvalue()).decode()


def complete(doc: ConsentDocument) -> dict[str, Any]:
    data: dict[str, Any] = {
        "consent_hash": doc.content_hash,
        "review-script": "1",
        "review-seconds": "95",
        "review-sections": "summary trigger_points bogus risks trigger_points",
        "review-reached_end": "1",
        "esign_consent": "yes",
        "patient-signer": "patient",
        "patient-printed_name": "  Ana   Ruiz ",
        "patient-method": "drawn",
        "patient-png": drawn_png(),
        "patient-strokes": json.dumps([[[0.1, 0.5], [0.3, 0.2]]]),
        "patient-intent": "yes",
        "practitioner-printed_name": "Dr Sam Lee",
        "practitioner-method": "typed",
        "practitioner-intent": "yes",
    }
    for risk in doc.risks:
        data[f"risk-{risk.id}"] = "yes"
    return data


def test_a_complete_submission() -> None:
    doc = document()
    result = parse_consent_submission(doc, complete(doc), now=NOW, device_id="tablet-1")
    patient, practitioner = result.signatures
    assert (patient.role, patient.method, patient.printed_name) == ("patient", "drawn", "Ana Ruiz")
    assert patient.meaning == doc.signer_role("patient").meaning
    assert patient.image_png and patient.image_png.startswith(b"\x89PNG")
    assert (practitioner.method, practitioner.image_png, practitioner.signed_at) == (
        "typed",
        None,
        NOW,
    )
    assert result.strokes == {"patient": (((0.1, 0.5), (0.3, 0.2)),)}
    assert result.acknowledged_risks == tuple(r.id for r in doc.risks)
    assert result.review.seconds == 95 and result.review.reached_end
    assert result.review.sections_viewed == ("summary", "trigger_points", "risks")
    events = [(e.event, dict(e.detail)) for e in result.events]
    assert events[0] == (
        "consent_time_on_page",
        {"seconds": 95, "reached_end": "yes", "consent_hash": doc.content_hash},
    )
    assert ("section_viewed", {"section": "risks"}) in events
    assert ("signed", {"role": "patient", "method": "drawn"}) in events
    assert all(e.device_id == "tablet-1" and e.at == NOW for e in result.events)


def test_without_the_page_script_review_is_not_recorded() -> None:
    doc = document()
    data = complete(doc)
    for key in ("review-script", "review-seconds", "review-sections", "review-reached_end"):
        data.pop(key)
    result = parse_consent_submission(doc, data, now=NOW)
    assert result.review.script_ran is False and result.review.seconds is None
    assert dict(result.events[0].detail)["reached_end"] == "not recorded"


def test_a_legal_representative_and_an_interpreter() -> None:
    doc = document("es")
    data = complete(doc)
    data.update(
        {
            "patient-signer": "legal_representative",
            "patient-relationship": "Hija",
            "interpreter-printed_name": "Luis Gómez",
            "interpreter-language": "Español",
            "interpreter-method": "typed",
            "interpreter-intent": "yes",
        }
    )
    rep, _, interpreter = parse_consent_submission(doc, data, now=NOW).signatures
    assert (rep.role, rep.relationship) == ("legal_representative", "Hija")
    assert (interpreter.role, interpreter.language) == ("interpreter", "Español")


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        ({"consent_hash": "0" * 64}, "", "changed while it was open"),
        ({"review-reached_end": ""}, "", "Read the whole consent form"),
        ({"esign_consent": ""}, "esign_consent", "agree to sign on this screen"),
        ({"patient-printed_name": ""}, "patient-printed_name", "Patient: Write the full name"),
        ({"patient-png": ""}, "patient-pad", "Patient: The signature box is empty"),
        ({"patient-png": "data:image/gif;base64,AAAA"}, "patient-pad", "could not be saved"),
        ({"patient-intent": ""}, "patient-intent", "Tick the box to show you mean"),
        ({"patient-method": ""}, "patient-method-typed", "This signature is needed"),
        ({"patient-signer": "nobody"}, "patient-signer-patient", "Choose who is signing"),
        ({"patient-signer": "legal_representative"}, "patient-relationship", "fill this in"),
        ({"practitioner-intent": ""}, "practitioner-intent", "Clinician: Tick the box"),
        ({"practitioner-printed_name": "1234"}, "practitioner-printed_name", "Type your full name"),
        (
            {"witness-printed_name": "Kim"},
            "witness-method-typed",
            "Witness: This signature is needed",
        ),
    ],
)
def test_problems_are_reported_where_to_fix_them(
    change: dict[str, str], key: str, message: str
) -> None:
    doc = document()
    data = complete(doc)
    data.update(change)
    with pytest.raises(ConsentFormError) as caught:
        parse_consent_submission(doc, data, now=NOW)
    assert list(caught.value.errors) == [key]
    assert message.lower() in caught.value.errors[key][0].lower()
    assert "Ana" not in str(caught.value)


def test_unticked_risks_give_one_message_at_the_first() -> None:
    doc = document()
    data = complete(doc)
    for risk in doc.risks[1:]:
        data.pop(f"risk-{risk.id}")
    with pytest.raises(ConsentFormError) as caught:
        parse_consent_submission(doc, data, now=NOW)
    assert list(caught.value.errors) == [f"risk-{doc.risks[1].id}"]


def test_messages_follow_the_document_language() -> None:
    doc = document("es")
    data = complete(doc)
    data["esign_consent"] = ""
    with pytest.raises(ConsentFormError) as caught:
        parse_consent_submission(doc, data, now=NOW)
    assert caught.value.errors["esign_consent"] == [
        "Marque la casilla para aceptar firmar en esta pantalla."
    ]


def test_signer_blocks_and_role_selection() -> None:
    doc = document()
    blocks = signer_blocks(doc)
    assert [b.id for b in blocks] == ["patient", "practitioner", "witness", "interpreter"]
    assert [r.id for r in blocks[0].roles] == ["patient", "legal_representative"]
    assert [b.required for b in blocks] == [True, True, False, False]
    data = complete(doc)
    for key in list(data):
        if key.startswith("practitioner-"):
            data.pop(key)
    result = parse_consent_submission(doc, data, roles=["patient"], now=NOW)
    assert [s.role for s in result.signatures] == ["patient"]


def test_a_multidict_works_too() -> None:
    from werkzeug.datastructures import MultiDict

    doc = document()
    result = parse_consent_submission(doc, MultiDict(complete(doc)), now=NOW)
    assert len(result.signatures) == 2
