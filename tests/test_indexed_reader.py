"""IndexedPdfReader reads every object of a sealed, tagged packet as pyHanko's reader does."""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator

import pytest
from freezegun import freeze_time
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from seal_fixtures import SEALED_ON, LocalPki, serve_pki

from tpi_forms.pdf import indexed_reader
from tpi_forms.pdf.indexed_reader import IndexedPdfReader
from tpi_forms.pdf.seal import seal_pdf
from tpi_forms.record.model import ConsentRecord


@pytest.fixture(scope="module")
def pki() -> Iterator[LocalPki]:
    with serve_pki() as served:
        yield served


@pytest.fixture(scope="module")
def sealed(pki: LocalPki, signed_en: tuple[ConsentRecord, bytes]) -> bytes:
    packet = signed_en[1]
    with freeze_time(SEALED_ON, tick=True, real_asyncio=True):
        return seal_pdf(
            packet,
            pki.key_pem("clinic"),
            pki.cert_pem("clinic"),
            chain_pem=pki.chain_pem(),
            level="B-LTA",
            tsa_url=pki.tsa_url("tsa"),
            trust_roots=[pki.root_pem, pki.tsa_root_pem],
        )


def written(obj: object) -> bytes:
    out = io.BytesIO()
    assert isinstance(obj, generic.PdfObject)
    obj.write_to_stream(out)
    return out.getvalue()


def every_object(reader: PdfFileReader) -> dict[int, bytes]:
    size = int(reader.trailer["/Size"])
    return {
        n: written(reader.get_object(generic.Reference(n, 0, reader)))  # type: ignore[no-untyped-call]
        for n in range(1, size)
    }


def test_every_object_of_a_sealed_packet_reads_the_same(sealed: bytes) -> None:
    ours = IndexedPdfReader(io.BytesIO(sealed), strict=False)
    theirs = PdfFileReader(io.BytesIO(sealed), strict=False)
    objects = every_object(ours)
    assert objects == every_object(theirs)
    assert len(objects) > 1000  # the structure tree: what made pyHanko's way slow
    assert ours._object_streams  # read through the index
    assert all(index is not None for index in ours._object_streams.values())


def test_the_seal_checks_read_through_the_index(
    sealed: bytes, pki: LocalPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tpi_forms.verify.packet import verify_packet

    readers: list[IndexedPdfReader] = []
    real_init = IndexedPdfReader.__init__

    def recording(self: IndexedPdfReader, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)
        readers.append(self)

    monkeypatch.setattr(IndexedPdfReader, "__init__", recording)
    with freeze_time(SEALED_ON, tick=True, real_asyncio=True):
        result = verify_packet(sealed, trust_roots=[pki.root_pem], tsa_roots=[pki.tsa_root_pem])
    assert result.ok, result.failed()
    assert readers and any(r._object_streams for r in readers)


def test_a_damaged_object_stream_header_is_read_by_pyhankos_own_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One object stream whose header names object 2 with a broken offset ("x").
    body = b"<< /A 1 >>"
    header = b"2 x "
    stream = zlib.compress(header + body)
    pdf = io.BytesIO()
    pdf.write(b"%PDF-1.7\n")
    offsets = {}
    offsets[1] = pdf.tell()
    pdf.write(b"1 0 obj << /Type /Catalog >> endobj\n")
    offsets[3] = pdf.tell()
    pdf.write(
        b"3 0 obj << /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(header), len(stream))
        + stream
        + b"\nendstream endobj\n"
    )
    xref = pdf.tell()
    pdf.write(b"xref\n0 4\n0000000000 65535 f \n")
    for n in (1, 2, 3):
        pdf.write(b"%010d 00000 n \n" % offsets.get(n, 0))
    pdf.write(b"trailer << /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref)
    reader = IndexedPdfReader(io.BytesIO(pdf.getvalue()), strict=False)
    fallbacks: list[int] = []
    real = indexed_reader._pyhanko_read

    def counting(self: object, idnum: int, stmnum: int, idx: int) -> object:
        fallbacks.append(idnum)
        return real(self, idnum, stmnum, idx)

    monkeypatch.setattr(indexed_reader, "_pyhanko_read", counting)
    assert reader._index(3) is None  # not indexed: the header does not parse
    assert isinstance(reader._get_object_from_stream(2, 3, 0), generic.NullObject)
    assert fallbacks == [2]
