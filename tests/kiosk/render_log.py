"""A picklable renderer for worker-process tests: it notes which process rendered which record."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

FAKE_PDF = b"%PDF-1.7 fake"


@dataclass(frozen=True)
class LoggingRender:
    """Appends ``<pid> sample`` or ``<pid> patient`` to ``log`` for each record, then a fake PDF.

    A record is the sample when its JSON is ``sample`` (the warm-up's).
    """

    log: Path
    sample: bytes

    def __call__(self, record_json: bytes) -> bytes:
        kind = "sample" if record_json == self.sample else "patient"
        with self.log.open("a", encoding="utf-8") as out:  # one short line: one append
            out.write(f"{os.getpid()} {kind}\n")
        return FAKE_PDF


@dataclass(frozen=True)
class FixedSample:
    """A warm-up sample that is always the same bytes (picklable)."""

    data: bytes

    def __call__(self) -> bytes:
        return self.data
