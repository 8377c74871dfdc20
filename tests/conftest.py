"""Shared test set-up: Hypothesis profiles, and the signed packet that many tests read."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings
from packet_fixtures import SIGNED, make_record, no_weasyprint_logs

from tpi_forms.pdf.packet import render_packet
from tpi_forms.record.model import ConsentRecord

# "dev" (the default) runs every example a test asks for; "ci" (chosen when the CI variable is
# set, as `.ci/run` does, or with --hypothesis-profile=ci) runs a quarter of them, the same ones
# on every run, and prints how to reproduce a failure. A test asks for its examples through
# `hypothesis_profiles.examples(n)`, which scales by the profile's max_examples.
_default = settings.get_profile("default")
settings.register_profile("dev", parent=_default, max_examples=100, deadline=None)
settings.register_profile(
    "ci",
    parent=_default,
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def signed_en() -> tuple[ConsentRecord, bytes]:
    """The usual English record (``make_record("en")``) and its packet, rendered once per run
    (once per worker with pytest-xdist), without a WeasyPrint warning."""
    record = make_record("en")
    with no_weasyprint_logs():
        return record, render_packet(record, generated_at=SIGNED)
