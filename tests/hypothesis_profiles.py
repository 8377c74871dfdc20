"""How many examples a property test runs under the loaded Hypothesis profile."""

from __future__ import annotations

from hypothesis import settings

DEFAULT_EXAMPLES = 100
"""Hypothesis's own max_examples, which the "dev" profile keeps (tests/conftest.py)."""

FEWEST = 10
"""No property test runs fewer examples than this, whatever the profile."""


def examples(wanted: int) -> int:
    """``wanted`` under the "dev" profile; scaled by the profile's max_examples otherwise (a
    quarter under "ci"), and never fewer than ``FEWEST``."""
    return max(FEWEST, wanted * settings().max_examples // DEFAULT_EXAMPLES)
