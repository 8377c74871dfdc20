"""Verify bombs (issue 17, attack 5): refused as "too large to verify safely" within 5 s and
300 MiB, never a hang.

The files are made in ``tmp_path`` from the session's packet: Flate streams that inflate to
2 GiB (built from one compressed MiB of zeros repeated, so making them costs nothing) as the
record attachment, an image or a page's content stream; an image declaring 60000 x 60000
pixels; and 60 MB of trailing junk (a sparse file; the command line reads files up to 64 MiB).

``tpi-forms verify`` runs in a child process. Its time is measured around the command, its peak
memory is its own ``VmHWM``, which a watchdog in this process also reads while it runs. The
watchdog kills a child that runs longer than `KILL_SECONDS` (a hang) or whose peak passes
`KILL_MIB`, and the child's address space is capped at `ADDRESS_SPACE` (a MemoryError under
that cap counts as running out of memory), so a bomb costs the machine at most that much
however the verification behaves.
"""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest

from tpi_forms.record.model import ConsentRecord

ROOT = Path(__file__).resolve().parents[2]
GIB = 1 << 30
MAX_SECONDS = 5.0
MAX_PEAK_MIB = 300
KILL_SECONDS = 30.0
"""A verification still running after this long is killed (and fails: a hang)."""
KILL_MIB = 1024
"""A verification whose peak memory passes this is killed (and fails)."""
ADDRESS_SPACE = 3 * GIB
"""The child's RLIMIT_AS: the last guard should the watchdog be too slow."""
JUNK = 60_000_000
"""Trailing junk: below the command line's 64 MiB read limit, far above what a packet ends with."""

MEASURE = """
import json, sys, time


def peak_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


from tpi_forms.cli import main

began = time.monotonic()
code = main(["verify", sys.argv[1]])
sys.stdout.flush()
print(json.dumps({"code": code, "seconds": time.monotonic() - began, "peak_mib": peak_mib()}),
      file=sys.stderr)
"""


def zeros_bomb(size: int) -> bytes:
    """A zlib stream of ``size`` zero bytes (a whole number of MiB), about size / 1000 long."""
    mib = size >> 20
    chunk = bytes(1 << 20)
    deflate = zlib.compressobj(9)
    head = deflate.compress(chunk) + deflate.flush(zlib.Z_FULL_FLUSH)
    middle = deflate.compress(chunk) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = deflate.flush(zlib.Z_FINISH)[:-4]
    adler = ((size % 65521) << 16) | 1  # Adler-32 of zeros: a = 1, b = size
    return head + middle * (mib - 1) + end + adler.to_bytes(4, "big")


def inflated_size(data: bytes) -> int:
    """How many bytes ``data`` inflates to, counted a MiB at a time."""
    inflate = zlib.decompressobj()
    total, rest = 0, data
    while rest:
        total += len(inflate.decompress(rest, 1 << 20))
        rest = inflate.unconsumed_tail
    return total + len(inflate.flush())


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return zeros_bomb(2 * GIB)


@pytest.fixture(scope="module")
def packet(signed_en: tuple[ConsentRecord, bytes]) -> bytes:
    return signed_en[1]


def test_the_bomb_is_what_it_claims(bomb: bytes) -> None:
    small = zeros_bomb(8 << 20)
    assert zlib.decompress(small) == bytes(8 << 20)
    assert len(bomb) < 3_000_000
    assert inflated_size(bomb) == 2 * GIB


def _rewrite(packet: bytes, edit: Callable[[pikepdf.Pdf], None]) -> bytes:
    with pikepdf.open(io.BytesIO(packet)) as doc:
        edit(doc)
        out = io.BytesIO()
        doc.save(out, stream_decode_level=pikepdf.StreamDecodeLevel.none)
        return out.getvalue()


def _first_image(doc: pikepdf.Pdf) -> pikepdf.Stream:
    for page in doc.pages:
        for _, xobject in page.obj.Resources.get("/XObject", {}).items():
            if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == "/Image":
                return xobject
    raise AssertionError("the packet has no image")


def attachment_bomb(packet: bytes, bomb: bytes) -> bytes:
    def edit(doc: pikepdf.Pdf) -> None:
        stream = doc.attachments["record.json"].obj.EF.F
        stream.write(bomb, filter=pikepdf.Name.FlateDecode)

    return _rewrite(packet, edit)


def image_bomb(packet: bytes, bomb: bytes) -> bytes:
    def edit(doc: pikepdf.Pdf) -> None:
        image = _first_image(doc)
        image.write(bomb, filter=pikepdf.Name.FlateDecode)
        image.Width, image.Height = 32768, 16384  # 2 GiB of 4-byte pixels

    return _rewrite(packet, edit)


def declared_image(packet: bytes, bomb: bytes) -> bytes:
    def edit(doc: pikepdf.Pdf) -> None:
        image = _first_image(doc)
        image.Width, image.Height = 60000, 60000  # the data stays small

    return _rewrite(packet, edit)


def content_bomb(packet: bytes, bomb: bytes) -> bytes:
    def edit(doc: pikepdf.Pdf) -> None:
        doc.pages[0].obj.Contents = doc.make_stream(b"")
        doc.pages[0].obj.Contents.write(bomb, filter=pikepdf.Name.FlateDecode)

    return _rewrite(packet, edit)


BOMBS = {
    "attachment": (attachment_bomb, "a stream decompresses to more than 32 MiB"),
    "image": (image_bomb, "an image declares more than 32 MiB of pixels"),
    "declared-image": (declared_image, "an image declares more than 32 MiB of pixels"),
    "content": (content_bomb, "a stream decompresses to more than 32 MiB"),
}


@dataclass
class Run:
    code: int | None
    stdout: str
    stderr: str
    seconds: float
    peak_mib: float
    killed: str | None


def _vm_hwm_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0  # exiting


def _cap_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def measure(path: Path, tmp_path: Path) -> Run:
    """Run ``tpi-forms verify path`` in a child process, watched, killed if it runs away."""
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    killed = None
    peak = 0.0
    with out.open("w") as stdout, err.open("w") as stderr:
        start = time.monotonic()
        child = subprocess.Popen(
            [sys.executable, "-c", MEASURE, str(path)],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
            preexec_fn=_cap_address_space,
        )
        while child.poll() is None:
            peak = max(peak, _vm_hwm_mib(child.pid))
            elapsed = time.monotonic() - start
            if peak > KILL_MIB:
                killed = f"killed after {elapsed:.1f} s: its memory passed {KILL_MIB} MiB"
            elif elapsed > KILL_SECONDS:
                killed = f"killed after {KILL_SECONDS:g} s: still running ({peak:.0f} MiB)"
            if killed:
                child.kill()
                child.wait()
                break
            time.sleep(0.01)
        wall = time.monotonic() - start
    run = Run(child.returncode, out.read_text(), err.read_text(), wall, peak, killed)
    lines = run.stderr.strip().splitlines()
    try:
        stats = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        stats = None
    if isinstance(stats, dict):
        run.code = stats["code"]
        run.seconds = stats["seconds"]
        run.peak_mib = max(run.peak_mib, stats["peak_mib"])
    return run


def problems(run: Run, reason: str) -> list[str]:
    """What is wrong with ``run`` for a file that must be refused for ``reason``."""
    found = []
    if run.killed:
        found.append(run.killed)
    if run.seconds >= MAX_SECONDS:
        found.append(f"took {run.seconds:.1f} s (at most {MAX_SECONDS:g} s)")
    if run.peak_mib >= MAX_PEAK_MIB:
        found.append(f"peak memory {run.peak_mib:.0f} MiB (at most {MAX_PEAK_MIB} MiB)")
    if "MemoryError" in run.stdout + run.stderr:
        found.append(
            f"out of memory (MemoryError within its {ADDRESS_SPACE >> 30} GiB of address space)"
        )
    if "Traceback" in run.stderr:
        last = [line for line in run.stderr.splitlines() if line and not line.startswith("{")]
        found.append(f"a traceback ({last[-1] if last else '?'})")
    if run.killed:
        return found
    lines = run.stdout.strip().splitlines()
    refusal = f"FAIL size_limits: too large to verify safely ({reason})"
    if lines and lines[-1].startswith("ok"):
        found.append(f"verify says {lines[-1]!r}")
    elif refusal not in lines or lines[-1] != "FAILED: 1 check(s) failed" or run.code != 1:
        said = [line for line in lines if line.startswith("FAIL")] or lines[-1:]
        found.append(f"not refused as {refusal!r}: exit {run.code}, {' | '.join(said)!r}")
    return found


@pytest.mark.parametrize("kind", list(BOMBS))
def test_a_bomb_is_refused_quickly_and_in_little_memory(
    kind: str, packet: bytes, bomb: bytes, tmp_path: Path
) -> None:
    make, reason = BOMBS[kind]
    data = make(packet, bomb)
    assert len(data) < 3_000_000
    path = tmp_path / f"{kind}.pdf"
    path.write_bytes(data)
    run = measure(path, tmp_path)
    found = problems(run, reason)
    assert not found, f"{kind} bomb: " + "; ".join(found)


def test_trailing_junk_is_refused_quickly_and_in_little_memory(
    packet: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "junk.pdf"
    with path.open("wb") as handle:
        handle.write(packet)
        handle.truncate(len(packet) + JUNK)  # sparse: no disk, no memory
        handle.seek(0, io.SEEK_END)
        handle.write(b"junk" * 256)
    assert packet.endswith(b"%%EOF\n")
    trailing = JUNK + len(b"junk" * 256)
    run = measure(path, tmp_path)
    found = problems(run, f"{trailing} bytes follow the end of the file")
    assert not found, "trailing junk: " + "; ".join(found)
