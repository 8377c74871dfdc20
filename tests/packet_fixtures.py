"""Records, signatures and PDF readers shared by the packet, verify, seal and CLI tests."""

from __future__ import annotations

import datetime as dt
import fcntl
import io
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pypdf
import pytest

from tpi_forms.definitions.clinic import Clinic, sample_clinic
from tpi_forms.pdf.packet import build_record
from tpi_forms.record.model import AuditEvent, ConsentRecord, Signature
from tpi_forms.screening.procedure import PlannedProcedure
from tpi_forms.screening.scenarios import example_answers, example_signature_png

SIGNED = dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC)
HOSTILE_NAME = "<img src=x onerror=alert(1)> {{7*7}}"


def signature_png(seed: int = 0, size: tuple[int, int] = (600, 200)) -> bytes:
    """A normalised drawn signature (through the real signature checks)."""
    return example_signature_png(seed, size)


def make_record(
    locale: str = "en",
    *,
    scenario: str = "review",
    name: str | None = None,
    answers: dict[str, Any] | None = None,
    steroid: bool = True,
    representative: bool = False,
    clinic: Clinic | None = None,
) -> ConsentRecord:
    """A realistic record: real screening and consent, four signers, a short audit trail."""
    raw: dict[str, Any] = example_answers(scenario)
    if name is not None:
        raw["patient_name"] = name
    raw.update(answers or {})
    first = "legal_representative" if representative else "patient"
    signer_name = name if name is not None else raw["patient_name"]
    signatures = [
        Signature(
            role=first,
            printed_name=signer_name,
            signed_at=SIGNED,
            meaning="I agree to the shot.",
            image_png=signature_png(1),
            relationship="Mother" if representative else None,
        ),
        Signature(
            role="practitioner",
            printed_name="Alex Sample, MD",
            signed_at=SIGNED + dt.timedelta(minutes=2),
            meaning="I explained the risks, benefits and other choices.",
            method="typed",
        ),
        Signature(
            role="interpreter",
            printed_name="Rosa Intérprete",
            signed_at=SIGNED + dt.timedelta(minutes=3),
            meaning="I interpreted this form fully and correctly.",
            image_png=signature_png(2),
            language="Español",
        ),
    ]
    audit = [
        AuditEvent(SIGNED - dt.timedelta(minutes=10), "form_opened", {}, "kiosk-7"),
        AuditEvent(
            SIGNED - dt.timedelta(minutes=6), "section_viewed", {"section": "risks"}, "kiosk-7"
        ),
        AuditEvent(
            SIGNED - dt.timedelta(minutes=1), "consent_time_on_page", {"seconds": 312}, "kiosk-7"
        ),
        *(AuditEvent(s.signed_at, "signed", {"role": s.role}, "kiosk-7") for s in signatures),
    ]
    return build_record(
        raw,
        signatures,
        procedure=PlannedProcedure(sites=("neck", "upper_back"), corticosteroid=steroid),
        clinic=clinic or sample_clinic(),
        locale=locale,
        audit=audit,
        device_id="kiosk-7",
        created_at=SIGNED + dt.timedelta(minutes=4),
    )


def reembed(pdf: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    """Rewrite the embedded record the way a forger would: valid PDF, valid JSON, new content."""
    import json

    import pikepdf

    from tpi_forms.record.model import canonical_json

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        stream = doc.attachments["record.json"].obj.EF.F
        data = json.loads(stream.read_bytes())
        change(data)
        stream.write(canonical_json(data))
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()


def pdf_text(pdf: bytes) -> list[str]:
    """The extracted text of every page."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [page.extract_text() or "" for page in reader.pages]


def squash(text: str) -> str:
    """Text without whitespace, for searches that must not depend on line breaks."""
    return "".join(text.split())


@contextmanager
def no_weasyprint_logs() -> Iterator[list[logging.LogRecord]]:
    """Fail when WeasyPrint logs a warning or error (like WeasyPrint's own ``assert_no_logs``)."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect(level=logging.WARNING)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
    assert not records, [r.getMessage() for r in records]


def once_per_run(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[], bytes]
) -> bytes:
    """``make()``, called once per test run: the first xdist worker to ask writes it to a file
    beside the workers' temporary folders, under a lock, and the others read that file."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, above each worker's own
    path = Path(shared) / name
    with open(path.with_name(name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return path.read_bytes()
        made = make()
        part = path.with_name(name + ".part")
        part.write_bytes(made)
        part.replace(path)
        return made
