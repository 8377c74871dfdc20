"""A second procedure defined purely as data: a corticosteroid injection into a joint or bursa.

The questionnaire (``definitions/joint_screening*.toml``) and the consent
(``definitions/joint_consent*.toml``) use the same formats as the shipped trigger point
injection definitions, and go through the same public API with no change to the library:
screening with its own rules, the screening form and the consent page as HTML, a signed
packet (PDF/A-3 with the record embedded), its verification, and a FHIR R4 Bundle.

    python examples/custom_procedure/run.py --out joint-demo [--locale es]

The content is a SAMPLE to show the format, not reviewed clinical content, and the patient is
fictitious.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from tpi_forms import (
    build_consent,
    example_signature_png,
    load_consent_definition,
    load_questionnaire,
    sample_clinic,
    screen,
    validate_answers,
)
from tpi_forms.fhir.bundle import bundle_from_packet
from tpi_forms.pdf.packet import PacketRenderer, PacketSettings, build_record
from tpi_forms.record.model import AuditEvent, Signature
from tpi_forms.screening.procedure import PlannedProcedure
from tpi_forms.verify.packet import verify_packet
from tpi_forms.web.forms import build_form_class, form_data
from tpi_forms.web.html import copy_static, render_consent_page, render_form_html

HERE = Path(__file__).resolve().parent
QUESTIONNAIRE = HERE / "definitions" / "joint_screening.toml"
CONSENT = HERE / "definitions" / "joint_consent.toml"

# A fictitious patient.
ANSWERS: dict[str, Any] = {
    "patient_name": "Sam Example",
    "date_of_birth": "1961-07-04",
    "injection_sites": ["shoulder_right"],
    "pain_score": 6,
    "joint_hot_swollen": False,
    "artificial_joint": False,
    "prior_steroid_shot": True,
    "last_steroid_shot_date": "2025-01-15",
    "steroid_shots_past_year": 1,
    "fever_or_illness_today": False,
    "skin_problem_at_site": False,
    "takes_blood_thinner": False,
    "diabetes": True,
    "allergies": ["none"],
}


def page(title: str, body: str, locale: str) -> str:
    return (
        f'<!doctype html>\n<html lang="{locale}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title>"
        '<link rel="stylesheet" href="static/tpi-forms.css"></head>'
        f"<body><main>{body}</main>"
        '<script src="static/tpi-forms.js" defer></script></body></html>\n'
    )


def run(out: Path, locale: str) -> int:
    out.mkdir(parents=True, exist_ok=True)
    questionnaire = load_questionnaire(QUESTIONNAIRE)
    definition = load_consent_definition(CONSENT, questionnaire)
    clinic = sample_clinic()
    plan = PlannedProcedure(sites=("shoulder_right",), corticosteroid=True)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    # 1. Screening with this procedure's own rules.
    answers = validate_answers(ANSWERS, questionnaire, today=now.date(), locale=locale)
    result = screen(answers, plan, questionnaire=questionnaire, locale=locale, today=now.date())
    print(f"screening: {result.status}")
    for finding in result.findings:
        print(f"  {finding.severity}: {finding.rule_id} ({finding.source})")

    # 2. HTML: the screening form (portal fragment in a page) and the consent review-and-sign page.
    copy_static(out)
    form = build_form_class(questionnaire, locale)(data=form_data(answers, questionnaire))
    fragment = render_form_html(form, action="#", plan=plan.as_values(answers, questionnaire))
    (out / "screening.html").write_text(
        page(questionnaire.title.get(locale), fragment, locale), encoding="utf-8"
    )
    document = build_consent(plan, clinic, locale, definition=definition)
    (out / "consent.html").write_text(render_consent_page(document, action="#"), encoding="utf-8")

    # 3. A signed packet through the same record and renderer as trigger point injections.
    signatures = [
        Signature(
            "patient",
            ANSWERS["patient_name"],
            now,
            document.signer_role("patient").meaning,
            "drawn",
            example_signature_png(),
        ),
        Signature(
            "practitioner",
            clinic.practitioner().display_name,
            now,
            document.signer_role("practitioner").meaning,
            "typed",
        ),
    ]
    record = build_record(
        answers,
        signatures,
        procedure=plan,
        clinic=clinic,
        locale=locale,
        audit=[AuditEvent(now, "signed", {"role": "patient"}, "example")],
        device_id="example",
        created_at=now,
        questionnaire=questionnaire,
        consent=document.to_dict(),
    )
    # The packet names the procedure by the consent's own title: no template to override.
    pdf = PacketRenderer(PacketSettings(questionnaire_path=str(QUESTIONNAIRE))).render(record)
    (out / "packet.pdf").write_bytes(pdf)

    # 4. Verify it as an archivist would, years later, with the same definitions.
    verification = verify_packet(pdf, consent_definition=definition)
    for check in verification.checks:
        print(f"  {'PASS' if check.passed else 'FAIL'} {check.name}: {check.detail}")
    if not verification.ok:
        return 1

    # 5. FHIR R4 for the health record.
    bundle = bundle_from_packet(pdf, questionnaire=questionnaire, consent_definition=definition)
    (out / "bundle.json").write_text(
        json.dumps(bundle, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    for name in ("screening.html", "consent.html", "packet.pdf", "bundle.json"):
        print(out / name)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write to")
    parser.add_argument(
        "--locale", default="en", choices=("en", "es"), help="language (default: en)"
    )
    args = parser.parse_args(argv)
    return run(args.out, args.locale)


if __name__ == "__main__":
    sys.exit(main())
