"""``tpi-forms demo``: write the project's sample outputs to a folder and list them."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

from ..screening.procedure import PlannedProcedure

# The demo patient signs at a fixed time, so the sample record is the same on every run; the
# clinician decided before and the practitioner signs after (`demo_record`).
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
            "consent document, signed PDF/A packets of a screening a clinician reviewed (in "
            "English, and in Spanish with the staff parts also in English) and blank paper "
            "packets."
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
    from ..pdf.packet import render_blank_packet, render_packet, write_atomically
    from ..pdf.render import subsetting_path
    from ..screening.engine import screen
    from ..screening.scenarios import example_answers
    from ..web.consent_parts import write_paged_consent_demo
    from ..web.html import write_static_demo
    from .demo_record import demo_record

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

    record, made_at = demo_record(answers, PLAN, clinic, consent, SIGNED_AT)
    spanish = build_consent(PLAN, clinic, "es", answers=answers)
    record_es, made_es = demo_record(answers, PLAN, clinic, spanish, SIGNED_AT, "es")
    pdfs = {
        "signed-packet.pdf": render_packet(record, generated_at=made_at),
        "signed-packet.es.pdf": render_packet(record_es, generated_at=made_es),
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
