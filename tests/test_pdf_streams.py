"""Streams compressed once, objects serialised once (tpi_forms.pdf.streams).

pydyf makes every object's bytes twice when it writes a PDF/A file (once for the file, once
for its identifier). Our finisher makes them once: at pydyf's own level the file must be
pydyf's own byte for byte; at this version's level (zlib 6) the pages, the record and every
object must be the same once decompressed, the file a little larger, and nothing compressed
twice.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from packet_fixtures import make_record

from tpi_forms.pdf import streams
from tpi_forms.pdf.packet import RECORD_ATTACHMENT, PacketRenderer
from tpi_forms.pdf.render import Attachment, PdfMetadata, render_pdf
from tpi_forms.pdf.streams import LEVEL, PYDYF_LEVEL
from tpi_forms.record.model import ConsentRecord, record_hash
from tpi_forms.verify.packet import verify_packet

GENERATED = dt.datetime(2026, 3, 2, 15, 40, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def packet_job() -> Callable[[int], bytes]:
    """The full signed packet's HTML and record, rendered at a given zlib level."""
    renderer = PacketRenderer()
    final = renderer.finalise(make_record("en"), GENERATED)
    data = final.to_json()
    final = ConsentRecord.from_json(data)
    digest = record_hash(final)
    html = renderer.html(final, digest)

    def render(level: int) -> bytes:
        return render_pdf(
            html,
            stylesheets=renderer.stylesheets,
            attachments=[Attachment(RECORD_ATTACHMENT, data, "Consent record", "Data")],
            metadata=PdfMetadata(title="Packet", lang="en", author="Clinic", created=GENERATED),
            compress_level=level,
        )

    return render


@pytest.fixture
def compressions(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every zlib compression made while rendering: ``"ours"`` or ``"pydyf"``."""
    made: list[str] = []
    compress, compressobj = zlib.compress, zlib.compressobj

    def ours(data: Any, level: int = -1) -> bytes:
        made.append("ours")
        return compress(data, level)

    def pydyf(*args: Any, **kwargs: Any) -> Any:
        made.append("pydyf")
        return compressobj(*args, **kwargs)

    monkeypatch.setattr(zlib, "compress", ours)
    monkeypatch.setattr(zlib, "compressobj", pydyf)
    yield made


def qdf_lines(pdf: bytes, tmp_path: Path, name: str) -> list[str]:
    """The file with every stream decompressed and every object apart (qpdf's QDF form),
    without the file identifier (a hash of the compressed bytes)."""
    source, target = tmp_path / f"{name}.pdf", tmp_path / f"{name}.qdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["qpdf", "--qdf", "--object-streams=disable", "--decode-level=generalized", source, target],
        check=True,
    )
    lines = target.read_bytes().decode("latin-1").splitlines()
    return [line for line in lines if not line.lstrip().startswith("/ID [")]


def test_at_pydyfs_level_the_file_is_pydyfs_own_byte_for_byte(
    packet_job: Callable[[int], bytes],
    compressions: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    once = packet_job(PYDYF_LEVEL)
    assert compressions and set(compressions) == {"ours"}  # pydyf compressed nothing itself
    ours = len(compressions)
    monkeypatch.setattr(streams, "_to_bytes", None)  # pydyf's own way: every stream, twice
    compressions.clear()
    twice = packet_job(PYDYF_LEVEL)
    assert once == twice
    assert set(compressions) == {"pydyf"}
    assert len(compressions) > ours  # the object stream and every content stream twice


def test_at_this_versions_level_only_the_compressed_bytes_differ(
    packet_job: Callable[[int], bytes], tmp_path: Path
) -> None:
    ours, pydyfs = packet_job(LEVEL), packet_job(PYDYF_LEVEL)
    assert ours != pydyfs
    assert qdf_lines(ours, tmp_path, "ours") == qdf_lines(pydyfs, tmp_path, "pydyf")
    assert len(pydyfs) < len(ours) < len(pydyfs) * 1.05


def flate_streams(pdf: bytes) -> int:
    """How many streams of ``pdf`` are FlateDecode (the object and cross-reference streams too:
    a stream's dictionary is never inside an object stream, so each is in the file as text)."""
    return len(re.findall(rb"/Filter\s*/FlateDecode", pdf))


def test_a_packet_compresses_each_stream_once_and_verifies(compressions: list[str]) -> None:
    pdf = PacketRenderer().render(make_record("es"), generated_at=GENERATED)
    assert set(compressions) == {"ours"}
    assert len(compressions) <= flate_streams(pdf)
    result = verify_packet(pdf)
    assert result.ok, [c.name for c in result.checks if not c.passed]
