"""Paper sizes packets print on; a module of its own so the command line can list them cheaply."""

from __future__ import annotations

PAGE_SIZES = ("letter", "a4")
"""Paper sizes packets print on: US Letter (the default) and ISO A4."""
