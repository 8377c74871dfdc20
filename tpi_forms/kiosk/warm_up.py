"""Packet workers that start warm: a made-up sample packet rendered once at start, then dropped.

The first render in a process pays for loading WeasyPrint, the fonts, the stylesheets and the
seal's signing code (seconds). A kiosk pays it at start, in the background, rendering the record
of a fictional sample patient (`tpi_forms.screening.scenarios`) for the kiosk's own clinic and
language; the PDF is thrown away, never stored or shown. A warm-up that fails is logged (its
error type only) and changes nothing else: the first real packet then simply starts cold.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from ..definitions.clinic import Clinic

log = logging.getLogger("tpi_forms.kiosk")

SAMPLE_DEVICE = "warm-up"
"""The device id in the sample record (it is never stored)."""


@dataclass(frozen=True)
class SampleRecord:
    """Makes the JSON of a signed record of the fictional sample patient (picklable)."""

    clinic: Clinic | None = None
    """The clinic the kiosk's packets are for (None: the sample clinic)."""
    locale: str | None = None
    """The packet's language; None: the clinic's default language."""

    def __call__(self) -> bytes:
        from ..clock import utc_now
        from ..record.assemble import build_record
        from ..record.model import Signature
        from ..screening.scenarios import example_answers, example_signature_png

        now = utc_now()
        clinic = self.clinic
        answers = example_answers("clear")
        practitioner = clinic.practitioners[0].name if clinic and clinic.practitioners else None
        signatures = [
            Signature(
                "patient",
                str(answers["patient_name"]),
                now - dt.timedelta(minutes=5),
                "I consent.",
                image_png=example_signature_png(),
            ),
            Signature(
                "practitioner", practitioner or "Sam Sample", now, "I explained.", method="typed"
            ),
        ]
        record = build_record(
            answers,
            signatures,
            clinic=clinic,
            locale=self.locale or (clinic.default_locale if clinic else "en"),
            device_id=SAMPLE_DEVICE,
            created_at=now,
        )
        return record.to_json()


def warm(render: Callable[[bytes], bytes], sample: Callable[[], bytes]) -> bool:
    """Render ``sample()`` once with ``render`` and drop the PDF; False (logged) if it failed."""
    try:
        render(sample())
    except Exception as exc:  # a warm-up never stops a worker
        log.warning("packet warm-up failed (%s); the first packet starts cold", type(exc).__name__)
        return False
    return True


def worker_ready() -> int:
    """A job that returns once a worker process has started (and so is warm): its pid."""
    return os.getpid()
