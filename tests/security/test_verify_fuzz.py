"""Property tests: a real packet with bytes changed, cut or added never makes verify raise.

`verify_packet` either returns its checks or raises `PacketReadError` (one line); a change in
the data of any compressed stream fails a check unless the stream still inflates to the same
bytes (deflate has more than one encoding of them). The number of examples follows the
Hypothesis profile ("ci": a quarter, the same ones every run; see tests/conftest.py).
"""

from __future__ import annotations

import re
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_profiles import examples

from tpi_forms.errors import PacketReadError
from tpi_forms.record.model import ConsentRecord
from tpi_forms.verify.packet import verify_packet

_STREAM = re.compile(rb"stream\r?\n")
_SETTINGS = settings(
    max_examples=examples(30),  # about a second each: every check runs on every example
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Sample:
    """The session's packet and its Flate streams' byte ranges, with a short repr (Hypothesis
    prints the arguments of a failing example)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.flate_ranges = _flate_ranges(data)

    def __repr__(self) -> str:
        return f"<packet of {len(self.data)} bytes>"


@pytest.fixture(scope="module")
def sample(signed_en: tuple[ConsentRecord, bytes]) -> Sample:
    return Sample(signed_en[1])


def _flate_ranges(packet: bytes) -> list[range]:
    """The byte ranges of the data of every Flate stream in the packet."""
    ranges = []
    for match in _STREAM.finditer(packet):
        start = match.end()
        head = packet[packet.rfind(b" obj", 0, match.start()) : match.start()]
        end = packet.find(b"endstream", start)
        if b"/FlateDecode" in head and end > start and not head.rstrip().endswith(b"end"):
            ranges.append(range(start, packet.rfind(b"\n", start, end)))
    assert len(ranges) > 10
    return ranges


def _verify_without_traceback(data: bytes) -> bool | None:
    """The result's ``ok``, or None for a one-line `PacketReadError`; anything else fails."""
    try:
        result = verify_packet(data)
    except PacketReadError as exc:
        assert "\n" not in str(exc)
        return None
    for check in result.checks:
        assert "\n" not in check.detail
    return result.ok


@_SETTINGS
@given(
    changes=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=6
    ),
    cut=st.one_of(st.none(), st.floats(0, 1)),
    inserted=st.binary(max_size=64),
)
def test_a_mutated_packet_gives_checks_or_one_line(
    sample: Sample, changes: list[tuple[float, int]], cut: float | None, inserted: bytes
) -> None:
    data = bytearray(sample.data)
    for where, xor in changes:
        index = int(where * len(data))
        data[index] ^= xor
    if inserted:
        at = int((cut or 0.5) * len(data))
        data[at:at] = inserted
    elif cut is not None:
        del data[int(cut * len(data)) :]
    _verify_without_traceback(bytes(data))


@_SETTINGS
@given(which=st.integers(0, 10_000), where=st.floats(0, 1, exclude_max=True))
def test_a_changed_byte_in_any_compressed_stream_fails(
    sample: Sample, which: int, where: float
) -> None:
    span = sample.flate_ranges[which % len(sample.flate_ranges)]
    index = span[int(where * len(span))]
    data = bytearray(sample.data)
    data[index] ^= 0x01
    ok = _verify_without_traceback(bytes(data))
    if ok:  # deflate has more than one encoding of the same bytes: then nothing changed
        assert _inflate(data[span.start : span.stop]) == _inflate(
            sample.data[span.start : span.stop]
        )
    else:
        assert ok is False


def _inflate(data: bytes | bytearray) -> bytes | None:
    try:
        return zlib.decompress(bytes(data))
    except zlib.error:
        return None


@_SETTINGS
@given(st.binary(min_size=0, max_size=400))
def test_any_bytes_after_a_pdf_header_give_checks_or_one_line(tail: bytes) -> None:
    _verify_without_traceback(b"%PDF-1.7\n" + tail)
