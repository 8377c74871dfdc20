"""A clinic logo of 3 GB (issue 17, attack 8b): one line naming the file, exit 2, bounded memory."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CLINIC = """\
name = "Test Clinic"
address = ["1 Test Road", "Testville"]
phone = "555-0000"
time_zone = "America/Chicago"
default_locale = "en"
logo = "huge.png"

[[practitioners]]
id = "a"
name = "Ana Test"
credentials = "MD"
"""

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MEMORY_LIMIT = 1024**3
"""The command's address space: far below the logo's size, far above what a clinic file needs."""


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def test_a_3_gb_logo_is_refused_in_one_line_without_reading_it(tmp_path: Path) -> None:
    logo = tmp_path / "huge.png"
    with logo.open("wb") as file:  # sparse: 3 GB on paper, a few bytes on disk
        file.write(PNG_SIGNATURE)
        file.truncate(3 * 1024**3)
    (tmp_path / "clinic.toml").write_text(CLINIC, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "tpi_forms", "consent", "--clinic", str(tmp_path / "clinic.toml")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        preexec_fn=_limit_memory,
    )
    assert "Traceback" not in done.stderr, done.stderr[-600:]
    assert done.returncode == 2, done.stderr[-600:]
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "huge.png" in done.stderr
    assert time.monotonic() - started < 10
