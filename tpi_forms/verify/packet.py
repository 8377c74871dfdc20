"""Check a consent packet years later: is the embedded record intact, and is it what the pages show?

`verify_packet` runs every check it can and reports each one; ``ok`` is true only when all
passed. It reads the PDF with pypdf (a small, pure-Python dependency), and validates a PAdES
seal with pyHanko when the ``pades`` extra is installed, reporting the PAdES level it reaches
(B-B, B-T, B-LT or B-LTA, see `tpi_forms.verify.seal`).

The record is self-describing: its clinic (``Clinic.to_dict``) carries the logo's bytes, so the
consent is rebuilt with the same logo hash, and the drawn signatures and the logo on the pages
are compared with the record pixel for pixel.

>>> result = verify_packet(open("packet.pdf", "rb").read())  # doctest: +SKIP
>>> result.ok, [c.name for c in result.checks if not c.passed]  # doctest: +SKIP
(True, [])
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image

from ..definitions.clinic import ClinicLogo
from ..errors import ClinicError, PacketReadError, RecordError
from ..record.model import RECORD_ATTACHMENT, ConsentRecord, sha256_hex
from . import limits
from .consent import consent_check as _consent_check
from .pages import page_checks
from .revisions import attachment_check, revision_check


@dataclass(frozen=True)
class Check:
    """One verification step."""

    name: str
    """Short id of the check (``record_hash_printed``)."""
    passed: bool
    """Whether it passed."""
    detail: str
    """What was found, in one line (never patient text)."""

    def __iter__(self) -> Iterator[Any]:  # unpacks as (name, passed, detail)
        return iter((self.name, self.passed, self.detail))


@dataclass(frozen=True)
class Verification:
    """The outcome of `verify_packet`."""

    checks: tuple[Check, ...]
    """Every check run, in order."""
    record: ConsentRecord | None
    """The embedded record when it could be read."""
    record_sha256: str | None
    """SHA-256 of the embedded record bytes when found."""
    seal_level: str | None = None
    """The PAdES level the seal reaches (``B-B`` to ``B-LTA``); None unsealed or without roots."""

    @property
    def ok(self) -> bool:
        """True when at least one check ran and every check passed."""
        return bool(self.checks) and all(c.passed for c in self.checks)

    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def pixel_digest(image: Image.Image) -> str:
    """SHA-256 of an image's size and RGBA pixels: equal for the PNG and its copy in the PDF."""
    rgba = image.convert("RGBA")
    return hashlib.sha256(f"{rgba.width}x{rgba.height}:".encode() + rgba.tobytes()).hexdigest()


def verify_packet(
    pdf_bytes: bytes,
    *,
    trust_roots: Sequence[bytes] | None = None,
    consent_definition: Any | None = None,
    tsa_roots: Sequence[bytes] = (),
    online: bool = False,
    require_level: str | None = None,
    renderer: Any | None = None,
) -> Verification:
    """Verify a packet made by `render_packet` (sealed or not) and report each check.

    :param trust_roots: PEM or DER certificates a seal must chain to; when given, the packet
        must carry a valid PAdES seal that chains to one of them.
    :param tsa_roots: further roots the seal's timestamps may chain to.
    :param online: also fetch today's revocation status of the seal's certificates.
    :param require_level: fail unless the seal reaches this PAdES level (``B-LTA``, ...).
    :param consent_definition: a `ConsentDefinition` to rebuild the consent from; default: the
        shipped definition. It is used only when its id and version are the ones the record
        cites; otherwise the consent is checked against its own hash alone.
    :param renderer: the `PacketRenderer` that made the packet, for the page checks
        (`tpi_forms.verify.pages`); default: the shipped one, with the packet's paper size.
    :raises PacketReadError: the bytes are not a PDF.
    """
    import pypdf
    from pypdf.errors import PdfReadError

    if not pdf_bytes.startswith(b"%PDF-"):
        raise PacketReadError("not a PDF file")
    checks: list[Check] = []

    def add(name: str, passed: bool, detail: str) -> None:
        checks.append(Check(name, passed, detail))

    deadline = limits.Deadline()
    try:
        limits.check_bytes(pdf_bytes)
        reader = pypdf.PdfReader(io.BytesIO(pdf_bytes), strict=False)
        pages = list(reader.pages)
    except limits.TooLarge as exc:
        add("size_limits", False, limits.too_large(exc))
        return Verification(tuple(checks), None, None)
    except (PdfReadError, ValueError, KeyError, TypeError, RecursionError) as exc:
        add("pdf_readable", False, f"the PDF structure is damaged ({type(exc).__name__})")
        return Verification(tuple(checks), None, None)
    add("pdf_readable", True, f"{len(pages)} pages")
    try:
        inflated = limits.scan(reader, deadline)
    except limits.TooLarge as exc:
        add("size_limits", False, limits.too_large(exc))
        return Verification(tuple(checks), None, None)
    add("size_limits", True, f"within the limits ({inflated // 1024} KiB decompressed)")

    broken = _broken_streams(reader)
    add(
        "streams_intact",
        not broken,
        "every compressed stream decodes" if not broken else f"{broken} damaged stream(s)",
    )

    data = _attachment(reader)
    if data is None:
        add("record_embedded", False, f"no single '{RECORD_ATTACHMENT}' attachment")
        return Verification(tuple(checks), None, None)
    digest = sha256_hex(data)
    try:
        record = ConsentRecord.from_json(data)
    except RecordError as exc:
        add("record_embedded", False, str(exc))
        return Verification(tuple(checks), None, digest)
    canonical = record.to_json() == data
    add(
        "record_embedded",
        canonical,
        f"{RECORD_ATTACHMENT} parses as a {record.format} record"
        + ("" if canonical else " but is not in canonical form"),
    )
    add(*attachment_check(reader))
    add(*revision_check(pdf_bytes))
    try:
        for check in page_checks(
            pdf_bytes,
            reader,
            record,
            digest,
            consent_definition=consent_definition,
            renderer=renderer,
            deadline=deadline,
        ):
            add(*check)
    except limits.TooLarge as exc:
        add("size_limits", False, limits.too_large(exc))
        return Verification(tuple(checks), record, digest)
    facts = _facts(record, _questionnaire(record, consent_definition))
    facts["record hash"] = digest
    missing = _find_on_pages(pages, facts)
    printed = "record hash" not in missing
    add(
        "record_hash_printed",
        printed,
        f"SHA-256 {digest} "
        + ("is printed on the pages" if printed else "is not printed on the pages"),
    )
    missing = [m for m in missing if m != "record hash"]
    add(
        "record_matches_pages",
        not missing,
        "patient, signers, consent version and hash appear on the pages"
        if not missing
        else f"not found on the pages: {', '.join(missing)}",
    )
    images = _page_images(reader)
    add(*_signature_check(record, images))
    add(*_logo_check(record, images))
    add(*_consent_check(record, consent_definition))
    seal_checks, level = _seal_checks(pdf_bytes, trust_roots, tsa_roots, online, require_level)
    for check in seal_checks:
        add(*check)
    return Verification(tuple(checks), record, digest, level)


def _walk(reader: Any) -> Iterator[Any]:
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [reader.trailer]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            yield obj
            stack.extend(v for k, v in obj.items() if k not in ("/Parent", "/P"))
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)


def _broken_streams(reader: Any) -> int:
    """Count Flate streams whose bytes do not decompress (zlib's checksum sees one changed byte)."""
    from pypdf.generic import StreamObject

    broken = 0
    for obj in _walk(reader):
        if not isinstance(obj, StreamObject):
            continue
        filters = obj.get("/Filter")
        names = [filters] if not isinstance(filters, list) else list(filters)
        if names and names[0] == "/FlateDecode":
            try:
                zlib.decompress(obj._data)
            except zlib.error:
                broken += 1
    return broken


def _attachment(reader: Any) -> bytes | None:
    try:
        found = reader.attachments.get(RECORD_ATTACHMENT)
    except Exception:  # a damaged name tree
        return None
    if not found or len(found) != 1:
        return None
    data: bytes = found[0]
    return data


def _questionnaire(record: ConsentRecord, definition: Any | None) -> Any | None:
    """The questionnaire the record cites: the given consent's, else the shipped one; or None."""
    from ..definitions.questionnaire import load_questionnaire

    for q in (getattr(definition, "questionnaire", None), load_questionnaire()):
        if q is not None and getattr(q, "id", None) == record.questionnaire_id:
            return q
    return None


def _facts(record: ConsentRecord, questionnaire: Any | None) -> dict[str, str]:
    facts = {
        "consent version": record.consent_version,
        "consent hash": record.consent_hash,
        "clinic": str(record.clinic.get("name", "")),
    }
    for i, s in enumerate(record.signatures, start=1):
        facts[f"signer {i} name"] = s.printed_name
        facts[f"signer {i} meaning"] = s.meaning
    identity = getattr(questionnaire, "identity", None)
    name = record.answers.get(identity.name) if identity is not None else None
    if isinstance(name, str):
        facts["patient name"] = name
    return {k: _norm(v) for k, v in facts.items() if v}


def _find_on_pages(pages: Sequence[Any], facts: dict[str, str]) -> list[str]:
    """Names of the facts not found in the page text, reading from the last page back.

    The signature and audit pages (with the running header) hold every fact, so reading stops
    as soon as all are found: text extraction is the slowest step of verification.
    """
    missing = dict(facts)
    text = ""
    for page in reversed(pages):
        try:
            text = _norm(page.extract_text() or "") + text
        except Exception:  # pypdf raises many types on damaged content
            continue
        missing = {k: v for k, v in missing.items() if v not in text}
        if not missing:
            break
    return list(missing)


_DRAW = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s+Do\b")
"""A content stream's ``/Name Do``: draw the XObject named Name."""
_MAX_FORM_DEPTH = 8


def _page_images(reader: Any) -> list[set[str]] | str:
    """The pixel digests of the images each page draws, or why they cannot be read.

    Only images a page's content draws (``Do``, also inside form XObjects) count: WeasyPrint
    gives every page the same resources, so an image listed there may be drawn on another page.
    """
    pages: list[set[str]] = []
    try:
        for page in reader.pages:
            contents = page.get_contents()
            data = b"" if contents is None else contents.get_data()
            digests: set[str] = set()
            _drawn(data, page.get("/Resources"), digests, 0)
            pages.append(digests)
    except Exception as exc:  # damaged image or content streams
        return f"page images cannot be read ({type(exc).__name__})"
    return pages


def _drawn(content: bytes, resources: Any, digests: set[str], depth: int) -> None:
    xobjects = (resources.get_object() if resources is not None else {}).get("/XObject")
    if xobjects is None or depth > _MAX_FORM_DEPTH:
        return
    xobjects = xobjects.get_object()
    for name in dict.fromkeys(_DRAW.findall(content)):
        ref = xobjects.get("/" + name.decode("latin-1"))
        if ref is None:
            continue
        xobject = ref.get_object()
        if xobject.get("/Subtype") == "/Form":
            _drawn(xobject.get_data(), xobject.get("/Resources", resources), digests, depth + 1)
            continue
        image = _image_of(xobject)
        if image is not None:
            digests.add(pixel_digest(image))


def _signature_check(record: ConsentRecord, images: list[set[str]] | str) -> tuple[str, bool, str]:
    try:
        wanted = {
            i: pixel_digest(Image.open(io.BytesIO(s.image_png)))
            for i, s in enumerate(record.signatures, start=1)
            if s.image_png is not None
        }
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        return (
            "signature_images",
            False,
            f"a recorded image cannot be decoded ({type(exc).__name__})",
        )
    if not wanted:
        return ("signature_images", True, "no drawn signatures (typed only)")
    if isinstance(images, str):
        return ("signature_images", False, images)
    drawn = set().union(*images)
    missing = [str(i) for i, digest in wanted.items() if digest not in drawn]
    if missing:
        return (
            "signature_images",
            False,
            f"signer(s) {', '.join(missing)}: image on the page differs from the record",
        )
    return (
        "signature_images",
        True,
        f"{len(wanted)} drawn signature(s) match the pages pixel for pixel",
    )


def _logo_check(record: ConsentRecord, images: list[set[str]] | str) -> tuple[str, bool, str]:
    """The record's logo is the consent's, and the first page and the consent show its pixels."""
    facility = record.consent.get("facility")
    named = facility.get("logo_sha256") if isinstance(facility, Mapping) else None
    data = record.clinic.get("logo")
    if data is None:
        if named is None:
            return ("logo_image", True, "the clinic has no logo")
        return ("logo_image", False, "the consent names a logo that the record does not hold")
    try:
        logo = ClinicLogo.from_dict(data)
    except (ClinicError, AttributeError) as exc:
        return ("logo_image", False, f"the recorded logo is unusable: {exc}")
    if logo.sha256 != named:
        return ("logo_image", False, "the recorded logo is not the one the consent names")
    if isinstance(images, str):
        return ("logo_image", False, images)
    with Image.open(io.BytesIO(logo.data)) as image:
        wanted = pixel_digest(image)
    shown = [i for i, digests in enumerate(images) if wanted in digests]
    if not shown or shown[0] != 0:
        return ("logo_image", False, "the logo on the first page differs from the record")
    if len(shown) < 2:
        return ("logo_image", False, "the logo on the consent differs from the record")
    return (
        "logo_image",
        True,
        f"the logo on {len(shown)} pages (first page, consent) matches the record pixel for pixel",
    )


_MODES = {"/DeviceGray": "L", "/DeviceRGB": "RGB"}


def _image_of(xobject: Any) -> Image.Image | None:
    """The pixels of an 8-bit gray or RGB image XObject (with its soft mask as alpha), or of a
    JPEG one (kept as the JPEG file's bytes), else None."""
    if xobject.get("/Subtype") != "/Image" or xobject.get("/BitsPerComponent") != 8:
        return None
    if xobject.get("/Filter") == "/DCTDecode":
        jpeg = Image.open(io.BytesIO(xobject._data), formats=["JPEG"])
        if jpeg.width * jpeg.height * 4 > limits.MAX_IMAGE_BYTES:
            return None
        jpeg.load()
        return jpeg
    mode = _MODES.get(str(xobject.get("/ColorSpace")))
    if mode is None:
        return None
    size = (int(xobject["/Width"]), int(xobject["/Height"]))
    image = Image.frombytes(mode, size, xobject.get_data())
    smask = xobject.get("/SMask")
    if smask is not None:
        alpha = _image_of(smask.get_object())
        if alpha is None or alpha.mode != "L" or alpha.size != size:
            return None
        image = image.convert("RGBA")
        image.putalpha(alpha)
    return image


def _seal_checks(
    pdf_bytes: bytes,
    trust_roots: Sequence[bytes] | None,
    tsa_roots: Sequence[bytes],
    online: bool,
    require_level: str | None,
) -> tuple[tuple[tuple[str, bool, str], ...], str | None]:
    try:
        from .seal import validate_seals
    except ImportError:
        if trust_roots is not None:
            missing = "pyHanko is not installed (pip install 'tpi_forms[pades]')"
            return (("seal", False, missing),), None
        return (), None
    report = validate_seals(
        pdf_bytes, trust_roots, tsa_roots=tsa_roots, online=online, require_level=require_level
    )
    return report.checks, report.level
