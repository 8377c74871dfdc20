"""Paper sizes packets print on, and writing files whole; cheap to import from the command line."""

from __future__ import annotations

import os
from pathlib import Path

PAGE_SIZES = ("letter", "a4")
"""Paper sizes packets print on: US Letter (the default) and ISO A4."""


def write_atomically(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, so no half-written file is left."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
