"""Verify every packet in a folder tree, in parallel, for a yearly archive check.

`verify_archive` finds each ``*.pdf`` under a folder (symbolic links are not followed, so the
check stays inside the folder), runs `verify_packet` on each over a process pool and returns
one `ArchiveEntry` per file, in path order. An entry keeps only what a report may show: the
path relative to the folder, the patient's **initials** (never a full name or a date of birth),
the consent version, the seal level and each check's outcome. A file that cannot be read, or
is not a PDF, is an entry whose ``file_readable`` check failed; it never stops the run.
`tpi_forms.verify.report` writes the entries as CSV or HTML.

>>> report = verify_archive(Path("archive/2026"), workers=2)  # doctest: +SKIP
>>> report.ok, [e.path for e in report.entries if not e.ok]  # doctest: +SKIP
(False, ['03/packet-0042.pdf'])
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from .._json import MAX_PACKET_FILE_BYTES, read_limited
from .._text import nfc
from ..errors import InputError, TpiFormsError

__all__ = ["ArchiveEntry", "ArchiveReport", "find_packets", "initials", "verify_archive"]

DEFAULT_WORKERS = 2
"""Processes `verify_archive` uses unless told otherwise."""
MAX_INITIALS = 4
"""At most this many initials are kept of a name (the first ones)."""
SEAL_NONE = "none"
"""`ArchiveEntry.seal_level` of a packet without a seal."""
SEAL_UNCHECKED = "unchecked"
"""`ArchiveEntry.seal_level` of a sealed packet verified without trust roots."""

Progress = Callable[[int, int], None]
"""``progress(done, total)``, called in this process after each packet."""


@dataclass(frozen=True)
class ArchiveEntry:
    """What the report says about one packet: nothing that names the patient in full."""

    path: str
    """The file's path relative to the folder, with ``/`` between parts."""
    initials: str
    """The patient's initials (``A. E.``); empty when the record could not be read."""
    consent_version: str
    """The consent version the record cites; empty when unknown."""
    seal_level: str
    """``none``, ``unchecked`` (sealed, no trust roots given), or ``B-B`` to ``B-LTA``."""
    checks: tuple[tuple[str, bool], ...]
    """Each check's id and whether it passed, in the order run."""

    @property
    def ok(self) -> bool:
        """True when at least one check ran and all passed."""
        return bool(self.checks) and all(passed for _, passed in self.checks)


@dataclass(frozen=True)
class ArchiveReport:
    """The outcome of `verify_archive`."""

    root: str
    """The folder checked, as given."""
    entries: tuple[ArchiveEntry, ...]
    """One entry per packet, sorted by path."""

    @property
    def ok(self) -> bool:
        """True when there is at least one packet and every one passed."""
        return bool(self.entries) and all(e.ok for e in self.entries)

    @property
    def check_names(self) -> tuple[str, ...]:
        """Every check id any packet ran, in the order first met."""
        return tuple(dict.fromkeys(name for e in self.entries for name, _ in e.checks))


def initials(name: str) -> str:
    """The first letter of each part of a name, upper-cased and dotted: ``"Alex Example"`` →
    ``"A. E."``. At most `MAX_INITIALS`; a name in a script without spaces gives one."""
    parts = [p for p in nfc(name).replace("-", " ").split() if p[0].isalnum()]
    return " ".join(f"{p[0].upper()}." for p in parts[:MAX_INITIALS])


def find_packets(root: Path) -> list[Path]:
    """Every ``*.pdf`` file under ``root`` (any case), relative to it, sorted; links skipped.

    :raises InputError: ``root`` is not a folder.
    """
    if not root.is_dir():
        raise InputError(f"{root}: not a folder")
    found = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in files:
            path = Path(folder) / name
            if name.lower().endswith(".pdf") and not path.is_symlink() and path.is_file():
                found.append(path.relative_to(root))
    return sorted(found, key=lambda p: p.as_posix())


@dataclass(frozen=True)
class _Job:
    root: str
    path: str
    trust_roots: tuple[bytes, ...] | None
    tsa_roots: tuple[bytes, ...]


def _verify_one(job: _Job) -> ArchiveEntry:
    """Verify one file; runs in a worker, and returns only what a report may show."""
    from ..verify.packet import verify_packet

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings name damage the checks report
    try:
        data = read_limited(Path(job.root) / job.path, MAX_PACKET_FILE_BYTES, job.path)
        result = verify_packet(data, trust_roots=job.trust_roots, tsa_roots=job.tsa_roots)
    except TpiFormsError:  # unreadable, too large, not a PDF, a bad trust root ...
        return ArchiveEntry(job.path, "", "", SEAL_NONE, (("file_readable", False),))
    checks = (("file_readable", True), *((c.name, c.passed) for c in result.checks))
    sealed = any(name == "seal" or name.startswith("seal_") for name, _ in checks)
    if result.seal_level:
        level = result.seal_level
    else:
        level = SEAL_UNCHECKED if sealed and job.trust_roots is None else SEAL_NONE
    record = result.record
    if record is None:
        return ArchiveEntry(job.path, "", "", level, checks)
    return ArchiveEntry(job.path, _patient_initials(record), record.consent_version, level, checks)


def _patient_initials(record: object) -> str:
    from ..definitions.questionnaire import load_questionnaire
    from ..pdf.printed import identity_questions

    answers = getattr(record, "answers", {})
    questionnaire = load_questionnaire()
    name_id, _ = identity_questions(questionnaire)
    name = answers.get(name_id) if name_id is not None else None
    return initials(name) if isinstance(name, str) else ""


def _check_roots(trust_roots: tuple[bytes, ...], tsa_roots: tuple[bytes, ...]) -> None:
    """A bad trust root is the caller's mistake, reported once, not as a failure of each file."""
    if not trust_roots and not tsa_roots:
        return
    try:
        from ..pdf.seal import load_roots
    except ImportError:
        return  # each packet's own check says pyHanko is missing
    load_roots(trust_roots)
    load_roots(tsa_roots, "time-stamping root")


def _pool_context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")


def verify_archive(
    root: Path,
    *,
    workers: int = DEFAULT_WORKERS,
    trust_roots: Sequence[bytes] | None = None,
    tsa_roots: Sequence[bytes] = (),
    progress: Progress | None = None,
) -> ArchiveReport:
    """Verify every packet under ``root`` over ``workers`` processes (1: in this process).

    :param trust_roots: roots every packet's seal must chain to (as for `verify_packet`).
    :raises InputError: ``root`` is not a folder, holds no ``*.pdf`` file, or ``workers`` < 1.
    """
    if workers < 1:
        raise InputError("--workers must be at least 1")
    paths = find_packets(root)
    if not paths:
        raise InputError(f"{root}: no *.pdf file in this folder or below it")
    roots = None if trust_roots is None else tuple(trust_roots)
    _check_roots(roots or (), tuple(tsa_roots))
    jobs = [_Job(str(root), p.as_posix(), roots, tuple(tsa_roots)) for p in paths]
    total = len(jobs)
    entries: list[ArchiveEntry] = []
    if workers == 1 or total == 1:
        for done, job in enumerate(jobs, start=1):
            entries.append(_verify_one(job))
            if progress:
                progress(done, total)
    else:
        with ProcessPoolExecutor(
            max_workers=min(workers, total), mp_context=_pool_context()
        ) as pool:
            futures = [pool.submit(_verify_one, job) for job in jobs]
            for done, future in enumerate(as_completed(futures), start=1):
                entries.append(future.result())
                if progress:
                    progress(done, total)
    return ArchiveReport(str(root), tuple(sorted(entries, key=lambda e: e.path)))
