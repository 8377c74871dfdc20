"""Verify bombs: refused as "too large to verify safely" within 5 s and 300 MiB, never a hang.

The files are made in ``tmp_path`` from the session's packet: Flate streams that inflate to
2 GiB (built from one compressed MiB of zeros repeated, so making them costs nothing), an image
declaring 60000 x 60000 pixels, and 200 MB of trailing junk (a sparse file). Time and peak
memory are measured in a child process running ``tpi-forms verify`` (its own ``VmHWM``).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest

from tpi_forms.record.model import ConsentRecord
from tpi_forms.verify.limits import MAX_STREAM_BYTES, inflated_size
from tpi_forms.verify.packet import verify_packet

ROOT = Path(__file__).resolve().parents[2]
GIB = 1 << 30
MAX_SECONDS = 5.0
MAX_PEAK_MIB = 300
MEASURE = """
import json, sys, time
start = time.monotonic()


def peak_mib():
    # VmHWM is this process's own peak; ru_maxrss would include the forking parent's
    # (a pytest worker's) size, which exec carries over on Linux.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


from tpi_forms.cli import main
began = time.monotonic()
code = main(["verify", sys.argv[1]])
print(json.dumps({"code": code, "seconds": time.monotonic() - began,
                  "peak_mib": peak_mib()}),
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


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return zeros_bomb(2 * GIB)


@pytest.fixture(scope="module")
def packet(signed_en: tuple[ConsentRecord, bytes]) -> bytes:
    return signed_en[1]


def test_the_bomb_is_what_it_claims() -> None:
    small = zeros_bomb(8 << 20)
    assert zlib.decompress(small) == bytes(8 << 20)
    assert len(zeros_bomb(2 * GIB)) < 3_000_000


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


def measure(path: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, float]]:
    run = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    stats = json.loads(run.stderr.strip().splitlines()[-1])
    return run, stats


@pytest.mark.parametrize("kind", list(BOMBS))
def test_a_bomb_is_refused_quickly_and_in_little_memory(
    kind: str, packet: bytes, bomb: bytes, tmp_path: Path
) -> None:
    make, reason = BOMBS[kind]
    data = make(packet, bomb)
    assert len(data) < 3_000_000
    path = tmp_path / f"{kind}.pdf"
    path.write_bytes(data)
    run, stats = measure(path)
    assert stats["code"] == 1
    lines = run.stdout.strip().splitlines()
    assert f"FAIL size_limits: too large to verify safely ({reason})" in lines
    assert lines[-1] == "FAILED: 1 check(s) failed"
    assert "Traceback" not in run.stderr
    assert stats["seconds"] < MAX_SECONDS, stats
    assert stats["peak_mib"] < MAX_PEAK_MIB, stats


def test_the_attachment_bomb_inflates_to_2_gib(packet: bytes, bomb: bytes) -> None:
    """The bomb is real: counting past the cap finds more than it allows."""
    assert inflated_size(bomb, 4 * MAX_STREAM_BYTES) > 4 * MAX_STREAM_BYTES
    result = verify_packet(attachment_bomb(packet, bomb))
    assert [c.name for c in result.failed()] == ["size_limits"]
    assert result.record is None


def test_200_mb_of_trailing_junk_is_refused(packet: bytes, tmp_path: Path) -> None:
    path = tmp_path / "junk.pdf"
    with path.open("wb") as handle:
        handle.write(packet)
        handle.truncate(len(packet) + 200_000_000)  # sparse: no disk, no memory
        handle.seek(0, io.SEEK_END)
        handle.write(b"junk" * 256)
    run, stats = measure(path)
    assert stats["code"] == 1
    assert (
        "FAIL size_limits: too large to verify safely (the file is larger than 64 MiB)"
        in run.stdout
    )
    assert stats["seconds"] < MAX_SECONDS, stats
    assert stats["peak_mib"] < MAX_PEAK_MIB, stats


def test_trailing_junk_within_the_file_size_limit_is_refused(packet: bytes) -> None:
    result = verify_packet(packet + b"\0" * 5_000_000)
    detail = {c.name: c.detail for c in result.failed()}["size_limits"]
    assert detail == "too large to verify safely (5000000 bytes follow the end of the file)"


def test_too_many_objects_are_refused(packet: bytes) -> None:
    junk_objects = b"".join(b"%d 0 obj null endobj\n" % n for n in range(90_000, 200_001))
    end = packet.rindex(b"startxref")
    result = verify_packet(packet[:end] + junk_objects + packet[end:])
    detail = {c.name: c.detail for c in result.failed()}["size_limits"]
    assert detail == "too large to verify safely (more than 100000 objects)"
