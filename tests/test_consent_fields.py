"""The consent form's field names: every name the parser reads is a field of the rendered page."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from page_forms import Recording, drawn_png, page_ids, page_inputs, posted, ticked_risks

from tpi_forms.consent.document import ConsentDocument, build_consent
from tpi_forms.consent.fields import NAMES, REVIEW_PARTS
from tpi_forms.consent.signing import parse_consent_submission, signer_blocks
from tpi_forms.definitions.clinic import sample_clinic
from tpi_forms.errors import ConsentFormError
from tpi_forms.screening.procedure import PlannedProcedure
from tpi_forms.web.html import render_consent_page

NOW = dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module", params=["en", "es"])
def document(request: pytest.FixtureRequest) -> ConsentDocument:
    plan = PlannedProcedure(sites=("neck", "chest_wall"), corticosteroid=True)
    return build_consent(plan, sample_clinic(), request.param)


def submissions(document: ConsentDocument, html: str) -> list[dict[str, str]]:
    """Posts that between them take every path of the parser: both signature methods, the
    representative in the patient's place, every optional signer."""
    review = {NAMES.review(part): "1" for part in ("script", "reached_end")}
    common = {**ticked_risks(document), **review, NAMES.esign_consent: "yes"}
    drawn: dict[str, str] = {}
    typed: dict[str, str] = {}
    for block in signer_blocks(document):
        f = block.fields
        drawn.update(
            {
                f.printed_name: "Ana Ruiz",
                f.method: "drawn",
                f.png: drawn_png(),
                f.strokes: json.dumps([[[0.1, 0.5], [0.3, 0.2]]]),
                f.intent: "yes",
            }
        )
        typed.update({f.printed_name: "Ana Ruiz", f.method: "typed", f.intent: "yes"})
        for role in block.roles:
            for extra in role.fields:
                drawn[f.extra(extra.id)] = typed[f.extra(extra.id)] = "Español"
    alternative = {
        block.fields.signer: block.roles[-1].id
        for block in signer_blocks(document)
        if len(block.roles) > 1
    }
    return [
        posted(html, {**common, **drawn}),
        posted(html, {**common, **typed, **alternative}),
    ]


def test_every_name_the_parser_reads_is_a_field_of_the_page(document: ConsentDocument) -> None:
    html = render_consent_page(document, action="/sign")
    names = {i["name"] for i in page_inputs(html)}
    read: set[str] = set()
    for data in submissions(document, html):
        form = Recording(data)
        result = parse_consent_submission(document, form, now=NOW)
        assert len(result.signatures) == len(signer_blocks(document))
        read |= form.read
    assert read <= names, sorted(read - names)
    # and the parser reads what the page posts (apart from the host's own hidden fields)
    assert {NAMES.consent_hash, *(NAMES.review(p) for p in REVIEW_PARTS)} <= read
    assert {NAMES.risk(r.id) for r in document.risks} <= read


def test_every_error_sits_at_an_element_of_the_page(document: ConsentDocument) -> None:
    html = render_consent_page(document, action="/sign")
    empty = posted(html, {})
    del empty[NAMES.signer("patient").signer]  # nobody chosen to sign for the patient
    with pytest.raises(ConsentFormError) as info:
        parse_consent_submission(document, empty, now=NOW)
    keys = set(info.value.errors) - {""}
    assert keys and keys <= page_ids(html), sorted(keys - page_ids(html))
    again = render_consent_page(document, action="/sign", values=empty, errors=info.value.errors)
    for key in keys:
        assert f'id="{key}-error"' in again


def test_names_are_the_ones_browsers_and_hosts_rely_on() -> None:
    patient = NAMES.signer("patient")
    assert (NAMES.consent_hash, NAMES.esign_consent) == ("consent_hash", "esign_consent")
    assert NAMES.review("reached_end") == "review-reached_end"
    assert NAMES.risk("bruising") == "risk-bruising"
    assert (patient.printed_name, patient.method_option("drawn"), patient.pad) == (
        "patient-printed_name",
        "patient-method-drawn",
        "patient-pad",
    )
    with pytest.raises(KeyError):
        NAMES.review("minutes")
