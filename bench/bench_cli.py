"""Cold start of the command line: CPU time of ``tpi-forms --help`` in a fresh process.

Run: ``python bench/bench_cli.py`` (a few seconds). Starts ``python -m tpi_forms --help`` (from
this checkout) several times, one process after another, and prints the user + system CPU time
of each process (min and median; goal ≤ 0.3 s), the same for a bare ``python -c pass`` (the
interpreter's own share), whether WeasyPrint was imported (it must not be), and the load average
at start. Exits 1 when the minimum is over ``--limit`` or WeasyPrint was imported.

    python bench/bench_cli.py --runs 9 --json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The checkout whose ``tpi_forms`` is measured (the cwd's package shadows an installed one)."""


def cpu_seconds(args: list[str]) -> float:
    """User + system CPU time of one fresh process running ``args`` (it must exit 0)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(args, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def imports_weasyprint(args: list[str]) -> bool:
    """Whether ``python -X importtime`` sees WeasyPrint imported by ``args``."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    names = (line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines())
    return any(name.split(".")[0] == "weasyprint" for name in names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="processes per command (default 7)")
    parser.add_argument(
        "--limit", type=float, default=0.3, help="goal for the minimum, seconds (default 0.3)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    runs = max(1, args.runs)
    load = os.getloadavg()
    command = ["-m", "tpi_forms", "--help"]
    subprocess.run([sys.executable, *command], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    helps: list[float] = []
    bare: list[float] = []
    for _ in range(runs):  # interleaved, so a burst of load hits both alike
        helps.append(cpu_seconds([sys.executable, *command]))
        bare.append(cpu_seconds([sys.executable, "-c", "pass"]))
    weasyprint = imports_weasyprint(command)
    figures = {
        "load_average_at_start": [round(x, 2) for x in load],
        "cpus": os.cpu_count() or 1,
        "runs": runs,
        "help_cpu_min_s": round(min(helps), 3),
        "help_cpu_median_s": round(statistics.median(helps), 3),
        "python_cpu_min_s": round(min(bare), 3),
        "python_cpu_median_s": round(statistics.median(bare), 3),
        "limit_s": args.limit,
        "imports_weasyprint": weasyprint,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:>22}: {value}")
    return 1 if weasyprint or min(helps) > args.limit else 0


if __name__ == "__main__":
    sys.exit(main())
