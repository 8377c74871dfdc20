"""``python tests/cold_kiosk.py OPTIONS``: ``tpi-forms kiosk OPTIONS`` whose packet workers
start cold, for tests that start and stop real servers.

A kiosk's packet workers each render a sample packet as they start (`KioskConfig.warm_packets`),
and a stop waits for that render: seconds of CPU per start that these tests do not look at
(tests/kiosk/test_warm_up.py does). Everything else is the real command line.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Any

import tpi_forms
from tpi_forms.cli import main
from tpi_forms.kiosk import config


def cold_config() -> Any:
    """`KioskConfig` with ``warm_packets=False`` unless told otherwise (to stand in for it)."""
    return functools.partial(config.KioskConfig, warm_packets=False)


def cold_kiosk(options: list[str]) -> tuple[list[str], dict[str, str]]:
    """The command and environment of a cold ``tpi-forms kiosk options`` process, which
    imports the same tpi_forms as this one, its output unbuffered."""
    source = str(Path(tpi_forms.__file__).parent.parent)
    path = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1"}
    return [sys.executable, __file__, *options], env


if __name__ == "__main__":
    setattr(config, "KioskConfig", cold_config())  # noqa: B010 (mypy: not a type assignment)
    sys.exit(main(["kiosk", *sys.argv[1:]]))
