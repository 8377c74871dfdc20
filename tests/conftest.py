"""Shared test set-up: Hypothesis profiles, xdist workers, and the signed packets that many
tests read."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher, profiles
from hypothesis import HealthCheck, settings
from packet_fixtures import SIGNED, make_record, no_weasyprint_logs, once_per_run

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


WORKERS_PER_CORE = 1.5
"""pytest-xdist workers per core for ``-n auto`` (pyproject addopts): some tests wait (servers
starting, idle timeouts), so a worker more than the cores keeps them busy; more workers than
that cost more (each imports and collects everything) than they win. On 2 cores: 3 workers,
4 min 33 s; 4 workers, 4 min 50 s; 2 workers, 5 min 4 s."""


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto``: `WORKERS_PER_CORE` a core, unless PYTEST_XDIST_AUTO_NUM_WORKERS says how many
    (then xdist's own hook reads it)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS") or config.option.numprocesses == "logical":
        return None
    return max(1, int(WORKERS_PER_CORE * len(os.sched_getaffinity(0))))


@pytest.fixture(scope="session", autouse=True)
def cheap_staff_secrets() -> Iterator[PasswordHasher]:
    """Staff secrets hashed with argon2's test profile (``profiles.CHEAPEST``) in this process.

    The kiosk hashes each secret with the RFC 9106 low-memory profile, about 0.1 s of CPU per
    hash and per check; the kiosk and browser tests make and check hundreds. They check the
    same code with the cheapest parameters; `tests/kiosk/test_accounts.py` checks the real
    ones (with `production_hasher`), and kiosks started as their own process keep them.
    """
    from tpi_forms.kiosk import accounts

    production = accounts._HASHER
    accounts._HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)
    try:
        yield production
    finally:
        accounts._HASHER = production


@pytest.fixture
def production_hasher(
    cheap_staff_secrets: PasswordHasher, monkeypatch: pytest.MonkeyPatch
) -> PasswordHasher:
    """The kiosk's own hasher back in place for one test."""
    from tpi_forms.kiosk import accounts

    monkeypatch.setattr(accounts, "_HASHER", cheap_staff_secrets)
    return cheap_staff_secrets


@pytest.fixture(scope="session")
def signed_en(tmp_path_factory: pytest.TempPathFactory) -> tuple[ConsentRecord, bytes]:
    """The usual English record (``make_record("en")``) and its packet, rendered once per run
    (`once_per_run`: one worker renders it for all), without a WeasyPrint warning."""
    record = make_record("en")

    def render() -> bytes:
        with no_weasyprint_logs():
            return render_packet(record, generated_at=SIGNED)

    return record, once_per_run(tmp_path_factory, "signed-en.pdf", render)


@pytest.fixture(scope="session")
def signed_es(tmp_path_factory: pytest.TempPathFactory) -> tuple[ConsentRecord, bytes]:
    """`signed_en` in Spanish: ``make_record("es")`` and its packet, rendered once per run."""
    record = make_record("es")

    def render() -> bytes:
        with no_weasyprint_logs():
            return render_packet(record, generated_at=SIGNED)

    return record, once_per_run(tmp_path_factory, "signed-es.pdf", render)
