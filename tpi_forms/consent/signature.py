"""Server-side checks of a submitted signature: a drawn PNG with its strokes, or a typed name.

Everything here treats the submission as hostile. A drawn signature must be a
``data:image/png;base64,`` URL within byte and pixel limits (the size is read from the PNG header
before any decoding, so decompression bombs are refused cheaply), must carry enough ink to be a
signature, and is normalised: black ink on a transparent (or white) background, trimmed to the
ink, scaled to at most a set size and re-encoded without any metadata.

>>> sig = validate_typed_signature("Ana Ruiz", intent_confirmed=True)
>>> sig
'Ana Ruiz'
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
import struct
import unicodedata
import zlib
from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image, ImageChops, ImageOps

from .._text import hidden_character
from ..errors import SignatureError

DATA_URL_PREFIX = "data:image/png;base64,"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

Stroke = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class SignatureLimits:
    """Bounds a submitted signature must keep; a clinic may tighten or relax them."""

    max_data_url_chars: int = 2_000_000
    """Longest data URL accepted, in characters."""
    max_png_bytes: int = 1_000_000
    """Largest decoded PNG accepted, in bytes."""
    max_width: int = 4000
    """Widest PNG accepted, in pixels (read from the header before decoding)."""
    max_height: int = 4000
    """Tallest PNG accepted, in pixels."""
    max_pixels: int = 4_000_000
    """Most pixels (width x height) accepted."""
    min_width: int = 50
    """Narrowest PNG accepted: a smaller pad cannot hold a signature."""
    min_height: int = 20
    """Shortest PNG accepted."""
    min_ink_pixels: int = 120
    """Fewest dark, opaque pixels a signature holds (fewer is a blank or a dot)."""
    min_ink_extent: float = 0.08
    """The ink must span at least this share of the pad's width or of its height."""
    max_ink_share: float = 0.6
    """Most of the pad ink may cover (more is a filled area, not a signature)."""
    output_max_width: int = 900
    """The normalised PNG is scaled down to fit this width."""
    output_max_height: int = 360
    """... and this height."""
    background: Literal["transparent", "white"] = "transparent"
    """Background of the normalised PNG."""
    max_strokes: int = 200
    """Most strokes accepted."""
    max_points_per_stroke: int = 2000
    """Most points in one stroke."""
    max_points: int = 20_000
    """Most points over all strokes."""
    max_strokes_chars: int = 400_000
    """Longest strokes JSON accepted, in characters."""


DEFAULT_LIMITS = SignatureLimits()


@dataclass(frozen=True)
class DrawnSignature:
    """A drawn signature that passed every check, normalised for the record."""

    png: bytes
    """The normalised PNG: black ink, trimmed, no metadata."""
    width: int
    """Width of ``png`` in pixels."""
    height: int
    """Height of ``png`` in pixels."""
    ink_pixels: int
    """Dark, opaque pixels counted in the submitted image."""
    strokes: tuple[Stroke, ...]
    """The pen strokes, points normalised to 0..1 of the pad's width and height."""

    def data_url(self) -> str:
        """The normalised PNG as a ``data:`` URL (for HTML and PDF templates)."""
        return DATA_URL_PREFIX + base64.b64encode(self.png).decode("ascii")


def decode_data_url(data_url: str, limits: SignatureLimits = DEFAULT_LIMITS) -> bytes:
    """The PNG bytes of a ``data:image/png;base64,`` URL, within the byte limits."""
    if not isinstance(data_url, str) or not data_url.strip():
        raise SignatureError("no signature was drawn", "blank")
    if len(data_url) > limits.max_data_url_chars:
        raise SignatureError("the signature image is too large")
    if not data_url.startswith(DATA_URL_PREFIX):
        raise SignatureError("the signature must be a PNG image sent as a base64 data URL")
    payload = data_url[len(DATA_URL_PREFIX) :].strip()
    if len(payload) > (limits.max_png_bytes * 4) // 3 + 4:
        raise SignatureError("the signature image is too large")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("the signature image is not valid base64") from None
    if len(data) > limits.max_png_bytes:
        raise SignatureError("the signature image is too large")
    return data


def png_dimensions(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header (its IHDR chunk), without decoding the image."""
    if len(data) < 33 or not data.startswith(PNG_MAGIC):
        raise SignatureError("the signature is not a PNG image")
    length, kind = struct.unpack(">I4s", data[8:16])
    if kind != b"IHDR" or length != 13:
        raise SignatureError("the signature PNG has no valid header")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def check_dimensions(width: int, height: int, limits: SignatureLimits = DEFAULT_LIMITS) -> None:
    """Refuse images too large to decode safely, or too small to hold a signature."""
    if width > limits.max_width or height > limits.max_height or width * height > limits.max_pixels:
        raise SignatureError(
            f"the signature image is too large ({width}x{height} pixels;"
            f" at most {limits.max_width}x{limits.max_height})"
        )
    if width < limits.min_width or height < limits.min_height:
        raise SignatureError(
            f"the signature image is too small ({width}x{height} pixels;"
            f" at least {limits.min_width}x{limits.min_height})"
        )


_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type -> samples per pixel
_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}


def check_png_structure(data: bytes) -> None:
    """Walk every chunk (lengths, CRCs, order) and inflate the image data to its exact size.

    Pillow can be told process-wide to accept truncated files (WeasyPrint turns that on when
    imported), so completeness is checked here, independently of that setting. The inflated
    size is known from the header, so decompression is bounded.
    """
    damaged = SignatureError("the signature PNG is damaged and cannot be read")
    pos, chunks, idat = 8, [], []
    while pos < len(data):
        if pos + 12 > len(data):
            raise damaged
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data) or not kind.isalpha():
            raise damaged
        body = data[pos + 8 : end - 4]
        if zlib.crc32(kind + body) != struct.unpack(">I", data[end - 4 : end])[0]:
            raise damaged
        chunks.append(kind)
        if kind == b"IDAT":
            idat.append(body)
        pos = end
        if kind == b"IEND":
            break
    if pos != len(data) or not chunks or chunks[0] != b"IHDR" or chunks[-1] != b"IEND" or not idat:
        raise damaged
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", data[16:29]
    )
    if colour not in _CHANNELS or depth not in _DEPTHS[colour] or compression or filtering:
        raise damaged
    if interlace:
        raise SignatureError("interlaced PNG signatures are not accepted")
    expected = height * (1 + math.ceil(width * _CHANNELS[colour] * depth / 8))
    inflater = zlib.decompressobj()
    try:
        pixels = inflater.decompress(b"".join(idat), expected + 1)
    except zlib.error:
        raise damaged from None
    if len(pixels) != expected or not inflater.eof:
        raise damaged


def _decode(data: bytes, width: int, height: int) -> Image.Image:
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            if image.size != (width, height):
                raise SignatureError("the signature PNG header does not match its image")
            image.load()
            return image.convert("RGBA")
    except SignatureError:
        raise
    except Exception:  # any decoder failure on hostile bytes: Pillow raises many kinds
        raise SignatureError("the signature PNG is damaged and cannot be read") from None


def _ink_layer(rgba: Image.Image) -> Image.Image:
    """Per pixel, how much ink: darkness times opacity (0 none, 255 full)."""
    darkness = ImageOps.invert(rgba.convert("RGB").convert("L"))
    return ImageChops.multiply(darkness, rgba.getchannel("A"))


def validate_drawn_signature(
    data_url: str,
    strokes_json: str = "",
    limits: SignatureLimits = DEFAULT_LIMITS,
) -> DrawnSignature:
    """Check a drawn signature and return it normalised; `SignatureError` says what is wrong."""
    data = decode_data_url(data_url, limits)
    width, height = png_dimensions(data)
    check_dimensions(width, height, limits)
    check_png_structure(data)
    ink = _ink_layer(_decode(data, width, height))
    mask = ink.point(lambda v: 255 if v >= 128 else 0)
    ink_pixels = mask.histogram()[255]
    box = mask.getbbox()
    if box is None or ink_pixels == 0:
        raise SignatureError("the signature pad is blank", "blank")
    if ink_pixels < limits.min_ink_pixels:
        raise SignatureError(
            "the signature is too faint or too short (only a few marks were drawn)", "faint"
        )
    left, top, right, bottom = box
    if (right - left) < width * limits.min_ink_extent and (
        bottom - top
    ) < height * limits.min_ink_extent:
        raise SignatureError(
            "the signature is too small (it covers only a dot of the pad)", "faint"
        )
    if ink_pixels > width * height * limits.max_ink_share:
        raise SignatureError("the signature pad is filled in rather than signed", "faint")
    strokes = parse_strokes(strokes_json, limits)
    png, out_w, out_h = _normalise(ink, box, limits)
    return DrawnSignature(png, out_w, out_h, ink_pixels, strokes)


def _normalise(
    ink: Image.Image, box: tuple[int, int, int, int], limits: SignatureLimits
) -> tuple[bytes, int, int]:
    pad = max(4, round(max(box[2] - box[0], box[3] - box[1]) * 0.03))
    left = max(0, box[0] - pad)
    top = max(0, box[1] - pad)
    right = min(ink.width, box[2] + pad)
    bottom = min(ink.height, box[3] + pad)
    alpha = ink.crop((left, top, right, bottom))
    scale = min(1.0, limits.output_max_width / alpha.width, limits.output_max_height / alpha.height)
    if scale < 1.0:
        size = (max(1, math.floor(alpha.width * scale)), max(1, math.floor(alpha.height * scale)))
        alpha = alpha.resize(size, Image.Resampling.LANCZOS)
    if limits.background == "white":
        out = ImageOps.invert(alpha).convert("RGB")
    else:
        out = Image.new("RGBA", alpha.size, (0, 0, 0, 0))
        out.putalpha(alpha)
    buffer = io.BytesIO()
    out.save(buffer, format="PNG", optimize=True)  # a new image: no text, time or ICC chunks
    return buffer.getvalue(), out.width, out.height


def parse_strokes(
    strokes_json: str, limits: SignatureLimits = DEFAULT_LIMITS
) -> tuple[Stroke, ...]:
    """The pad's strokes from their JSON (``[[[x, y], ...], ...]``, each value in 0..1)."""
    if not strokes_json or not strokes_json.strip():
        return ()
    if len(strokes_json) > limits.max_strokes_chars:
        raise SignatureError("the signature strokes are too long")
    try:
        raw: Any = json.loads(strokes_json)
    except (ValueError, RecursionError):
        raise SignatureError("the signature strokes are not valid JSON") from None
    if not isinstance(raw, list):
        raise SignatureError("the signature strokes must be a list of strokes")
    if len(raw) > limits.max_strokes:
        raise SignatureError(f"the signature has too many strokes (at most {limits.max_strokes})")
    strokes: list[Stroke] = []
    total = 0
    for stroke in raw:
        if not isinstance(stroke, list) or not stroke:
            raise SignatureError("each signature stroke must be a non-empty list of points")
        if len(stroke) > limits.max_points_per_stroke:
            raise SignatureError("a signature stroke has too many points")
        total += len(stroke)
        if total > limits.max_points:
            raise SignatureError("the signature has too many points")
        points = []
        for point in stroke:
            if not isinstance(point, list) or len(point) != 2:
                raise SignatureError("each signature point must be a pair [x, y]")
            x, y = point
            if not all(
                isinstance(v, int | float) and not isinstance(v, bool) and 0.0 <= v <= 1.0
                for v in (x, y)
            ):
                raise SignatureError("signature points must be numbers from 0 to 1")
            points.append((float(x), float(y)))
        strokes.append(tuple(points))
    return tuple(strokes)


def validate_typed_signature(name: str, intent_confirmed: bool, max_length: int = 200) -> str:
    """A typed-name signature: the cleaned name, if given and the intent box was ticked."""
    cleaned = " ".join(unicodedata.normalize("NFC", name or "").split())
    if not cleaned:
        raise SignatureError("type your full name to sign", "typed_name")
    if len(cleaned) > max_length:
        raise SignatureError(
            f"the typed name is too long (at most {max_length} characters)", "typed_name"
        )
    if hidden_character(cleaned):
        raise SignatureError(
            "the typed name contains characters that cannot be printed", "typed_name"
        )
    if not any(ch.isalpha() for ch in cleaned):
        raise SignatureError("the typed name must contain letters", "typed_name")
    if not intent_confirmed:
        raise SignatureError(
            "tick the box to confirm you intend the typed name as your signature", "typed_intent"
        )
    return cleaned
