"""The clinician's decision, the patient's certification and each signer's own event in the record."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_profiles import examples
from packet_fixtures import SIGNED, make_record, signature_png
from review_fixtures import CERTIFIED, DECIDED, STATEMENT, decision, review_record, signatures

import tpi_forms
from tpi_forms.definitions.clinic import sample_clinic
from tpi_forms.errors import RecordError
from tpi_forms.pdf.packet import assemble_consent, build_record
from tpi_forms.record.model import AuditEvent, ConsentRecord, Signature, canonical_json
from tpi_forms.record.review import (
    REVIEW_OUTCOMES,
    Certification,
    ReviewDecision,
    answers_sha256,
    certify,
)
from tpi_forms.screening.procedure import PlannedProcedure
from tpi_forms.screening.scenarios import example_answers


def one_line(exc: pytest.ExceptionInfo[RecordError]) -> str:
    text = str(exc.value)
    assert text and "\n" not in text and "Traceback" not in text
    return text


def test_the_public_api_exports_the_review_model() -> None:
    assert tpi_forms.ReviewDecision is ReviewDecision
    assert tpi_forms.Certification is Certification
    assert tpi_forms.certify is certify
    assert tpi_forms.REVIEW_OUTCOMES == ("proceed", "proceed_with_changes", "no_procedure")


@pytest.mark.parametrize("outcome", REVIEW_OUTCOMES)
def test_a_decision_round_trips_through_its_dict(outcome: str) -> None:
    made = decision(outcome)
    again = ReviewDecision.from_dict(made.to_dict())
    assert again == made
    assert canonical_json(again.to_dict()) == canonical_json(made.to_dict())
    assert made.clinician == "Casey Clinician, MD"
    assert made.goes_ahead is (outcome != "no_procedure")


def test_a_decision_is_stored_in_nfc_without_surrounding_space() -> None:
    made = decision(clinician_name=" Zoe\u0308 Clinician ", note="  ok\nline two ")
    assert made.clinician_name == "Zoë Clinician"
    assert made.note == "ok\nline two"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"outcome": "maybe"}, "unknown review outcome 'maybe'"),
        ({"clinician_name": "  "}, "clinician's name must not be empty"),
        ({"clinician_name": "Casey\u200bClinician"}, "clinician's name has a hidden"),
        ({"clinician_credentials": "M\x00D"}, "credentials has a hidden"),
        ({"decided_at": dt.datetime(2026, 3, 2, 15, 0)}, "timezone-aware"),
        ({"note": "fine\u202eevil"}, "decision note has a hidden"),
        ({"note": "x" * 2001}, "longer than 2000 characters"),
        ({"findings": ("Blood Thinner",)}, "rule id"),
        ({"findings": ("blood_thinner", "blood_thinner")}, "named twice"),
        ({"findings": "blood_thinner"}, "list of rule ids"),
        ({"changed_procedure": PlannedProcedure()}, "'proceed_with_changes' decision only"),
        ({"staff_account": "casey\x1b"}, "staff account has a hidden"),
    ],
)
def test_a_bad_decision_is_refused_in_one_line(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(RecordError) as exc:
        decision(**changes)
    assert message in one_line(exc)


@pytest.mark.parametrize("outcome", ["proceed_with_changes", "no_procedure"])
def test_a_decision_other_than_proceed_needs_a_note(outcome: str) -> None:
    with pytest.raises(RecordError, match="needs a note saying why"):
        decision(outcome, note=" ")
    assert decision("proceed", note="").note == ""


def test_proceed_with_changes_needs_the_changed_plan() -> None:
    with pytest.raises(RecordError, match="'proceed_with_changes' decision only"):
        decision("proceed_with_changes", changed_procedure=None)


def test_a_decision_dict_with_a_wrong_field_is_refused_in_one_line() -> None:
    data = decision("proceed_with_changes").to_dict()
    plan = data["changed_procedure"]
    assert isinstance(plan, dict)
    plan["corticosteroid"] = "no"
    with pytest.raises(RecordError) as exc:
        ReviewDecision.from_dict(data)
    assert "changed plan" in one_line(exc)
    del data["decided_at"]
    with pytest.raises(RecordError, match="misses a field"):
        ReviewDecision.from_dict(data)


def test_certify_hashes_the_canonical_json_of_the_answers() -> None:
    answers = example_answers("review")
    made = certify(answers, STATEMENT, CERTIFIED)
    assert made.answers_sha256 == hashlib.sha256(canonical_json(answers)).hexdigest()
    assert made.answers_sha256 == answers_sha256(dict(reversed(list(answers.items()))))
    assert Certification.from_dict(made.to_dict()) == made
    changed = {**answers, "pain_score": 5}
    assert certify(changed, STATEMENT, CERTIFIED).answers_sha256 != made.answers_sha256


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"answers_sha256": "ABC"}, "64 lowercase hex"),
        ({"statement": ""}, "statement must not be empty"),
        ({"statement": "true\u2066"}, "statement has a hidden"),
        ({"certified_at": dt.datetime(2026, 3, 2)}, "timezone-aware"),
    ],
)
def test_a_bad_certification_is_refused(changes: dict[str, Any], message: str) -> None:
    good = certify({"a": 1}, STATEMENT, CERTIFIED)
    with pytest.raises(RecordError) as exc:
        dataclasses.replace(good, **changes)
    assert message in one_line(exc)


def test_a_record_without_review_or_certification_keeps_the_0_1_0_layout() -> None:
    record = make_record()
    data = record.to_dict()
    assert "review" not in data and "certification" not in data
    signatures = data["signatures"]
    assert isinstance(signatures, list)
    assert all(isinstance(s, dict) and "interpreter_id" not in s for s in signatures)
    again = ConsentRecord.from_json(record.to_json())
    assert again.review is None and again.certification is None
    assert again.to_json() == record.to_json()


def test_a_reviewed_and_certified_record_round_trips_with_the_same_hash() -> None:
    record = review_record()
    assert record.format == "tpi_forms.consent_record/2"
    assert make_record().format == "tpi_forms.consent_record/1"
    assert record.review == decision()
    assert record.certification is not None
    assert record.certification.answers_sha256 == answers_sha256(record.answers)
    again = ConsentRecord.from_json(record.to_json())
    assert again == record
    assert again.to_json() == record.to_json()


def test_a_record_refuses_a_review_of_the_wrong_type() -> None:
    record = make_record()
    with pytest.raises(RecordError, match="'review' must be a ReviewDecision"):
        dataclasses.replace(record, review={"outcome": "proceed"})  # type: ignore[arg-type]


def test_a_certification_of_other_answers_is_refused() -> None:
    other = certify({**example_answers("review"), "pain_score": 9}, STATEMENT, CERTIFIED)
    with pytest.raises(RecordError) as exc:
        review_record(certification=other)
    assert one_line(exc) == "the certification is of other answers than the record's"


def test_answers_certified_after_signing_are_refused() -> None:
    late = certify(example_answers("review"), STATEMENT, SIGNED + dt.timedelta(seconds=1))
    with pytest.raises(RecordError, match="certified after the consent was signed"):
        review_record(certification=late)


def test_require_review_refuses_a_review_screening_without_a_decision() -> None:
    answers = example_answers("review")
    signers = signatures()
    with pytest.raises(RecordError) as exc:
        build_record(
            answers, signers, created_at=SIGNED + dt.timedelta(hours=1), require_review=True
        )
    assert one_line(exc) == "a 'review' screening needs a clinician's decision"
    # Existing callers (no require_review) keep working.
    record = build_record(answers, signers, created_at=SIGNED + dt.timedelta(hours=1))
    assert record.review is None and record.screening["status"] == "review"


def test_require_review_needs_every_flagged_finding_named() -> None:
    with pytest.raises(RecordError, match="does not name the finding 'blood_thinner'"):
        review_record(review=decision(findings=()))
    assert review_record(review=decision(findings=()), require_review=False).review is not None


def test_a_decision_naming_an_unknown_rule_is_refused() -> None:
    with pytest.raises(RecordError, match="unknown finding 'no_such_rule'"):
        review_record(review=decision(findings=("blood_thinner", "no_such_rule")))


def test_a_decision_after_the_record_is_refused() -> None:
    with pytest.raises(RecordError, match="decision is later than the record"):
        review_record(review=decision(decided_at=SIGNED + dt.timedelta(hours=1)))


def test_no_procedure_before_the_consent_signature_is_refused() -> None:
    with pytest.raises(RecordError, match="signed after a 'no procedure today' decision"):
        review_record(review=decision("no_procedure"), require_review=False)


def test_no_procedure_after_the_signatures_is_kept_as_evidence() -> None:
    stop = decision("no_procedure", decided_at=SIGNED + dt.timedelta(minutes=7))
    record = review_record(review=stop, require_review=False)
    assert record.review is not None and record.review.outcome == "no_procedure"
    with pytest.raises(RecordError, match="needs a decision to go ahead"):
        review_record(review=stop, require_review=True)


def test_proceed_with_changes_makes_the_changed_plan_the_records_plan() -> None:
    changed = decision("proceed_with_changes")
    record = review_record(review=changed)
    assert record.procedure["sites"] == ("neck",)
    assert record.procedure["corticosteroid"] is False
    assert record.consent_document.plan.sites == ("neck",)
    assert record.review is not None and record.review.changed_procedure == PlannedProcedure(
        sites=("neck",), corticosteroid=False
    )
    with pytest.raises(RecordError, match="not the one the clinician's decision changed"):
        build_record(
            example_answers("review"),
            signatures(),
            procedure=PlannedProcedure(sites=("neck", "upper_back")),
            review=changed,
            created_at=SIGNED + dt.timedelta(hours=1),
        )


def _signed_events(signers: list[Signature]) -> list[AuditEvent]:
    return [AuditEvent(s.signed_at, "signed", {"role": s.role}) for s in signers]


def test_each_signer_needs_its_own_signed_event_at_its_time() -> None:
    signers = signatures()
    answers = example_answers("review")
    made = build_record(
        answers, signers, audit=_signed_events(signers), created_at=SIGNED + dt.timedelta(hours=1)
    )
    assert [e.at for e in made.audit] == [s.signed_at for s in signers]
    only_patient = _signed_events(signers)[:1]
    certified = certify(answers, STATEMENT, CERTIFIED)
    with pytest.raises(RecordError) as exc:
        build_record(
            answers,
            signers,
            audit=only_patient,
            created_at=SIGNED + dt.timedelta(hours=1),
            certification=certified,
        )
    assert one_line(exc) == "no 'signed' event of its own for: practitioner"
    # Without a decision or certification (as before 0.2.0) one event for the consent is kept.
    legacy = build_record(
        answers, signers, audit=only_patient, created_at=SIGNED + dt.timedelta(hours=1)
    )
    assert legacy.audit == tuple(only_patient)
    shared_time = [AuditEvent(SIGNED, "signed", {"role": s.role}) for s in signers]
    with pytest.raises(RecordError, match="'practitioner' signature's 'signed' event is not at"):
        build_record(answers, signers, audit=shared_time, created_at=SIGNED + dt.timedelta(hours=1))
    stranger = [*_signed_events(signers), AuditEvent(SIGNED, "signed", {"role": "witness"})]
    with pytest.raises(RecordError, match="names the role 'witness', which has no signature"):
        build_record(answers, signers, audit=stranger, created_at=SIGNED + dt.timedelta(hours=1))


def test_an_audit_trail_without_signed_events_is_accepted_as_before() -> None:
    other = [AuditEvent(SIGNED, "consent_time_on_page", {"seconds": 10})]
    record = build_record(
        example_answers("clear"),
        signatures(),
        audit=other,
        created_at=SIGNED + dt.timedelta(hours=1),
    )
    assert record.audit == tuple(other)


def _interpreter_consent(fields: list[str]) -> dict[str, Any]:
    plan = PlannedProcedure(sites=("neck",))
    consent = assemble_consent(plan, sample_clinic(), "es")
    for role in consent["signer_roles"]:
        if role["id"] == "interpreter":
            role["fields"] = [{"id": f, "label": f.title()} for f in fields]
    return consent


def _interpreter(**fields: str) -> Signature:
    return Signature(
        role="interpreter",
        printed_name="Rosa Intérprete",
        signed_at=SIGNED + dt.timedelta(minutes=1),
        meaning="Interpreté este formulario.",
        image_png=signature_png(2),
        **fields,  # type: ignore[arg-type]
    )


def test_an_interpreter_gives_an_id_when_the_consent_asks_for_it() -> None:
    consent = _interpreter_consent(["language", "interpreter_id"])
    patient = signatures("es")[0]
    signer = _interpreter(language="Español", interpreter_id="Language Line #4471")
    record = build_record(
        example_answers("clear"),
        [patient, signer],
        procedure=PlannedProcedure(sites=("neck",)),
        locale="es",
        consent=consent,
        created_at=SIGNED + dt.timedelta(hours=1),
    )
    stored_signatures = record.to_dict()["signatures"]
    assert isinstance(stored_signatures, list)
    stored = stored_signatures[1]
    assert isinstance(stored, dict)
    assert stored["interpreter_id"] == "Language Line #4471"
    assert ConsentRecord.from_json(record.to_json()).signatures[1] == signer
    with pytest.raises(RecordError, match="'interpreter' signature needs its interpreter_id"):
        build_record(
            example_answers("clear"),
            [patient, _interpreter(language="Español")],
            procedure=PlannedProcedure(sites=("neck",)),
            locale="es",
            consent=consent,
            created_at=SIGNED + dt.timedelta(hours=1),
        )


def test_the_shipped_interpreter_role_takes_no_id() -> None:
    with pytest.raises(RecordError, match="'interpreter' signature has no interpreter_id field"):
        build_record(
            example_answers("clear"),
            [signatures()[0], _interpreter(language="Español", interpreter_id="4471")],
            created_at=SIGNED + dt.timedelta(hours=1),
        )


def test_an_interpreter_id_with_a_hidden_character_is_refused() -> None:
    with pytest.raises(RecordError, match="interpreter's ID or service has a hidden"):
        _interpreter(language="Español", interpreter_id="44\u200b71")


def test_decided_before_certified_before_signed_in_the_shared_fixture() -> None:
    record = review_record()
    times = [e.at for e in record.audit]
    assert times == sorted(times)
    assert DECIDED < CERTIFIED < SIGNED


def test_a_record_claiming_the_0_1_0_format_with_a_decision_is_not_canonical() -> None:
    data = review_record().to_dict()
    data["format"] = "tpi_forms.consent_record/1"
    again = ConsentRecord.from_dict(data)
    assert again.format == "tpi_forms.consent_record/2"
    assert again.to_json() != canonical_json(data)  # verify reports it as not canonical


def test_an_unknown_record_format_is_refused_in_one_line() -> None:
    data = make_record().to_dict()
    data["format"] = "tpi_forms.consent_record/3"
    with pytest.raises(RecordError) as exc:
        ConsentRecord.from_dict(data)
    assert one_line(exc) == (
        "unknown record format (this version reads up to 'tpi_forms.consent_record/2')"
    )


@settings(max_examples=examples(100), deadline=None)
@given(
    name=st.text(min_size=0, max_size=30),
    note=st.text(max_size=60),
    credentials=st.none() | st.text(max_size=10),
)
def test_any_decision_text_is_refused_in_one_line_or_round_trips(
    name: str, note: str, credentials: str | None
) -> None:
    try:
        made = decision(
            "no_procedure", clinician_name=name, note=note, clinician_credentials=credentials
        )
    except RecordError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert ReviewDecision.from_dict(made.to_dict()) == made
    assert made.note and made.clinician_name == made.clinician_name.strip()
    canonical_json(made.to_dict())
