"""pyHanko's PDF reader, reading objects out of object streams through an index (the pades extra).

pyHanko 0.38 reads an object kept in an object stream by parsing the stream's header from the
start until it meets the object's number, for every object it reads. A tagged packet keeps its
thousands of structure elements in one object stream, and checking a seal reads each of them
(pyHanko's difference analysis walks the structure tree), so the work grows with the square of
their number: about 20 s of CPU to verify one sealed packet. `IndexedPdfReader` parses each
object stream's header once and then reads the object at its offset. What it reads is what
pyHanko reads (the first entry with the number, at the offset the header gives); anything
unusual (a damaged header, an index out of range, an object that does not parse) goes to
pyHanko's own code, with its warnings and strict-mode errors. The tests compare both readers
object by object on sealed packets, and ``tests/test_seal.py`` times nothing: the seal tests
just stop taking minutes.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.reader import PdfFileReader

_read_whitespace: Any = misc.read_non_whitespace  # pyHanko's readers are untyped
_read_number: Any = generic.NumberObject.read_from_stream
_pyhanko_read: Any = PdfFileReader._get_object_from_stream

_Index = tuple[bytes, int, int, dict[int, tuple[int, int]]]
"""Decoded data, /First, /N, and the first (position, offset) of each object number."""


class IndexedPdfReader(PdfFileReader):
    """A `PdfFileReader` that indexes each object stream once (see the module's text)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._object_streams: dict[int, _Index | None] = {}

    def _index(self, stmnum: int) -> _Index | None:
        if stmnum in self._object_streams:
            return self._object_streams[stmnum]
        index: _Index | None = None
        stream = generic.Reference(stmnum, 0, self).get_object()
        if isinstance(stream, generic.StreamObject) and stream.get("/Type") == "/ObjStm":
            data = stream.read_data(DecodePurpose.OBJECT_STREAM)
            count, first = int(stream["/N"]), int(stream["/First"])
            header = BytesIO(data)
            offsets: dict[int, tuple[int, int]] | None = {}
            for position in range(count):
                try:
                    _read_whitespace(header, seek_back=True)
                    number = _read_number(header)
                    _read_whitespace(header, seek_back=True)
                    offset = _read_number(header)
                    _read_whitespace(header, seek_back=True)
                except ValueError:
                    offsets = None  # a damaged header: pyHanko's own code decides
                    break
                assert offsets is not None
                offsets.setdefault(int(number), (position, int(offset)))
            if offsets is not None:
                index = (data, first, count, offsets)
        self._object_streams[stmnum] = index
        return index

    def _get_object_from_stream(self, idnum: int, stmnum: int, idx: int) -> Any:
        index = self._index(stmnum)
        if index is None:
            return _pyhanko_read(self, idnum, stmnum, idx)
        data, first, count, offsets = index
        found = offsets.get(idnum)
        if not (0 <= idx < count) or found is None or (self.strict and found[0] != idx):
            return _pyhanko_read(self, idnum, stmnum, idx)
        content = BytesIO(data)
        content.seek(first + found[1])
        try:
            obj = generic.read_object(content, generic.Reference(idnum, 0, self))
        except (misc.PdfStreamError, misc.PdfReadError):
            return _pyhanko_read(self, idnum, stmnum, idx)
        if self.strict and isinstance(obj, generic.StreamObject | generic.IndirectObject):
            return _pyhanko_read(self, idnum, stmnum, idx)  # its strict error
        return obj
