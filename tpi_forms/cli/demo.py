"""``tpi-forms demo``: write the project's sample outputs to a folder and list them."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

from ..screening.procedure import PlannedProcedure

# The demo patient signs at a fixed time, so the sample record is the same on every run.
SIGNED_AT = dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC)
PLAN = PlannedProcedure(sites=("neck", "upper_back"), corticosteroid=True)


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "demo",
        help="write sample outputs (forms, screening, consent, packets) to a folder",
        description=(
            "Write the project's sample outputs for a fictitious patient to a folder and print "
            "what was written: the kiosk and portal pages and the consent read part by part "
            "with its understanding check (they open from disk), a screening result, the "
            "consent document, a signed PDF/A packet and blank paper packets."
        ),
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("demo-output"),
        help="folder to write to (default: demo-output)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..consent.document import build_consent
    from ..definitions.clinic import sample_clinic
    from ..pdf.packet import build_record, render_blank_packet, render_packet, write_atomically
    from ..pdf.render import subsetting_path
    from ..record.model import AuditEvent, Signature
    from ..screening.engine import screen
    from ..screening.scenarios import example_answers, example_signature_png
    from ..web.consent_parts import write_paged_consent_demo
    from ..web.html import write_static_demo

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = list(write_static_demo(out))
    written += write_paged_consent_demo(out)

    clinic = sample_clinic()
    answers = example_answers("review")
    written.append(_write_json(out / "answers.review.json", answers))
    result = screen(answers, PLAN, today=SIGNED_AT.date())
    written.append(_write_json(out / "screening-result.json", result.to_dict()))
    consent = build_consent(PLAN, clinic, "en", answers=answers)
    written.append(_write_json(out / "consent.en.json", consent.to_dict()))

    signatures = [
        Signature(
            role="patient",
            printed_name=answers["patient_name"],
            signed_at=SIGNED_AT,
            meaning=consent.signer_role("patient").meaning,
            image_png=example_signature_png(),
        ),
        Signature(
            role="practitioner",
            printed_name=f"{clinic.practitioners[0].name}, {clinic.practitioners[0].credentials}",
            signed_at=SIGNED_AT + dt.timedelta(minutes=2),
            meaning=consent.signer_role("practitioner").meaning,
            method="typed",
        ),
    ]
    audit = [
        AuditEvent(SIGNED_AT - dt.timedelta(minutes=9), "form_opened", {}, "demo-tablet"),
        AuditEvent(
            SIGNED_AT - dt.timedelta(seconds=5),
            "consent_time_on_page",
            {"seconds": 184},
            "demo-tablet",
        ),
        AuditEvent(SIGNED_AT, "signed", {"role": "patient"}, "demo-tablet"),
    ]
    record = build_record(
        answers,
        signatures,
        procedure=PLAN,
        clinic=clinic,
        audit=audit,
        device_id="demo-tablet",
        created_at=SIGNED_AT,
    )
    pdfs = {
        "signed-packet.pdf": render_packet(record, generated_at=SIGNED_AT),
        "blank-packet.en.pdf": render_blank_packet(PLAN, clinic, "en"),
        "blank-packet.es.pdf": render_blank_packet(PLAN, clinic, "es"),
    }
    for name, data in pdfs.items():
        write_atomically(out / name, data)
        written.append(out / name)

    for path in written:
        print(path)
    path_used = subsetting_path()
    note = "" if path_used == "harfbuzz" else " (slower; install libharfbuzz-subset0 for ~3x speed)"
    print(f"PDF font subsetting: {path_used}{note}")
    print(f"Screening status of the sample answers: {result.status}")
    print("Check the signed packet with: tpi-forms verify " + str(out / "signed-packet.pdf"))
    return 0


def _write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n", "utf-8")
    return path
