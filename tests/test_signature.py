"""Server-side checks of drawn and typed signatures."""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_profiles import examples
from PIL import Image, ImageDraw, ImageFile, PngImagePlugin

from tpi_forms.consent.signature import (
    DATA_URL_PREFIX,
    SignatureLimits,
    parse_strokes,
    png_dimensions,
    validate_drawn_signature,
    validate_typed_signature,
)
from tpi_forms.errors import SignatureError, TpiFormsError


def png_url(image: Image.Image, **save: object) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **save)
    return DATA_URL_PREFIX + base64.b64encode(buffer.getvalue()).decode()


def signature_image(size: tuple[int, int] = (900, 360), mode: str = "RGBA") -> Image.Image:
    background = (0, 0, 0, 0) if mode == "RGBA" else "white"
    image = Image.new(mode, size, background)
    draw = ImageDraw.Draw(image)
    w, h = size
    points = [(w * 0.1, h * 0.6), (w * 0.25, h * 0.3), (w * 0.4, h * 0.7), (w * 0.6, h * 0.35)]
    draw.line(points, fill="black", width=max(3, w // 150))
    draw.line([(w * 0.62, h * 0.7), (w * 0.85, h * 0.5)], fill="black", width=max(3, w // 150))
    return image


def raw_png(width: int, height: int, body: bytes = b"", interlace: int = 0) -> bytes:
    """A PNG with a chosen header and an arbitrary (possibly absent) image body."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, interlace)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def url_of(data: bytes) -> str:
    return DATA_URL_PREFIX + base64.b64encode(data).decode()


STROKES = json.dumps([[[0.1, 0.6], [0.25, 0.3], [0.4, 0.7]], [[0.62, 0.7], [0.85, 0.5]]])


def test_a_drawn_signature_is_accepted_and_normalised() -> None:
    source = signature_image()
    sig = validate_drawn_signature(png_url(source, pnginfo=_with_text()), STROKES)
    assert sig.ink_pixels > 1000
    assert len(sig.strokes) == 2 and sig.strokes[0][0] == (0.1, 0.6)
    out = Image.open(io.BytesIO(sig.png))
    assert out.format == "PNG" and out.mode == "RGBA"
    assert (out.width, out.height) == (sig.width, sig.height)
    assert out.width < source.width and out.height < source.height  # trimmed to the ink
    assert not out.info.get("Author") and b"tEXt" not in sig.png and b"iTXt" not in sig.png
    assert [out.getchannel(c).getextrema() for c in "RGB"] == [(0, 0)] * 3  # black ink only
    assert out.getchannel("A").getextrema() == (0, 255)
    assert sig.data_url().startswith(DATA_URL_PREFIX)


def _with_text() -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "someone's device name")
    return info


def test_dark_ink_on_white_without_alpha_is_accepted() -> None:
    sig = validate_drawn_signature(png_url(signature_image(mode="RGB")))
    assert sig.strokes == ()
    corner = Image.open(io.BytesIO(sig.png)).getpixel((0, 0))
    assert isinstance(corner, tuple) and corner[3] == 0  # white became transparent


def test_white_background_output() -> None:
    limits = SignatureLimits(background="white")
    out = Image.open(
        io.BytesIO(validate_drawn_signature(png_url(signature_image()), limits=limits).png)
    )
    assert out.mode == "RGB" and out.getpixel((0, 0)) == (255, 255, 255)


def test_large_signatures_are_scaled_down() -> None:
    sig = validate_drawn_signature(png_url(signature_image((3000, 1200))))
    assert sig.width <= 900 and sig.height <= 360


@pytest.mark.parametrize(
    ("data_url", "message"),
    [
        ("", "no signature was drawn"),
        ("data:image/jpeg;base64,AAAA", "must be a PNG image"),
        ("https://example.org/sig.png", "must be a PNG image"),
        (DATA_URL_PREFIX + "***notbase64***", "not valid base64"),
        (DATA_URL_PREFIX + base64.b64encode(b"GIF89a" + b"\0" * 40).decode(), "not a PNG image"),
    ],
)
def test_refused_data_urls(data_url: str, message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        validate_drawn_signature(data_url)


def test_oversized_url_and_bytes_are_refused() -> None:
    limits = SignatureLimits(max_png_bytes=1000, max_data_url_chars=5000)
    with pytest.raises(SignatureError, match="too large"):
        validate_drawn_signature(DATA_URL_PREFIX + "A" * 6000, limits=limits)
    with pytest.raises(SignatureError, match="too large"):
        validate_drawn_signature(png_url(signature_image(), compress_level=0), limits=limits)


def test_decompression_bomb_is_refused_from_the_header() -> None:
    # A header claiming 100000 x 100000 pixels with a tiny body: refused before any decoding.
    bomb = raw_png(100_000, 100_000, zlib.compress(b"\0" * 10_000))
    assert png_dimensions(bomb) == (100_000, 100_000)
    with pytest.raises(SignatureError, match="too large .100000x100000 pixels"):
        validate_drawn_signature(url_of(bomb))


def test_a_real_bomb_within_byte_limits_is_refused() -> None:
    # 5000 x 5000 blank RGBA compresses to a few kilobytes but would be 100 MB decoded.
    data = raw_png(5000, 5000, zlib.compress(b"\0" * (5000 * 4 + 1) * 50, 9))
    with pytest.raises(SignatureError, match="too large"):
        validate_drawn_signature(url_of(data))


def test_tiny_images_are_refused() -> None:
    with pytest.raises(SignatureError, match="too small .10x10"):
        validate_drawn_signature(png_url(Image.new("RGBA", (10, 10))))


def test_damaged_png_is_refused() -> None:
    with pytest.raises(SignatureError, match="damaged"):
        validate_drawn_signature(url_of(raw_png(200, 100, b"not zlib at all")))


@pytest.mark.parametrize("lenient_pillow", [False, True])
def test_truncated_or_corrupted_pngs_are_refused(
    monkeypatch: pytest.MonkeyPatch, lenient_pillow: bool
) -> None:
    # WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES when imported; the checks must not rely on it.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", lenient_pillow)
    buffer = io.BytesIO()
    signature_image().save(buffer, format="PNG")
    good = buffer.getvalue()
    idat = good.index(b"IDAT")
    flipped = bytearray(good)
    flipped[idat + 20] ^= 0xFF
    cases = {
        "truncated": good[: len(good) // 2],
        "no end": good[:-12],
        "bad crc": bytes(flipped),
        "trailing bytes": good + b"extra",
        "short image data": raw_png(900, 360, zlib.compress(b"\0" * 1000)),
    }
    for name, data in cases.items():
        with pytest.raises(SignatureError, match="damaged"):
            validate_drawn_signature(url_of(data))
            pytest.fail(name)
    assert validate_drawn_signature(url_of(good)).ink_pixels > 0


def test_interlaced_png_is_refused() -> None:
    with pytest.raises(SignatureError, match="interlaced"):
        validate_drawn_signature(url_of(raw_png(200, 100, zlib.compress(b"\0" * 100), interlace=1)))


def test_blank_pad_is_refused() -> None:
    with pytest.raises(SignatureError, match="blank"):
        validate_drawn_signature(png_url(Image.new("RGBA", (900, 360), (0, 0, 0, 0))))
    with pytest.raises(SignatureError, match="blank"):
        validate_drawn_signature(png_url(Image.new("RGB", (900, 360), "white")))
    # Opaque white "ink" on a transparent pad carries no ink either.
    white = Image.new("RGBA", (900, 360), (0, 0, 0, 0))
    ImageDraw.Draw(white).line([(100, 100), (800, 300)], fill=(255, 255, 255, 255), width=8)
    with pytest.raises(SignatureError, match="blank"):
        validate_drawn_signature(png_url(white))


def test_near_blank_pads_are_refused() -> None:
    dot = Image.new("RGBA", (900, 360), (0, 0, 0, 0))
    ImageDraw.Draw(dot).ellipse((400, 150, 404, 154), fill="black")
    with pytest.raises(SignatureError, match="too faint or too short"):
        validate_drawn_signature(png_url(dot))
    blob = Image.new("RGBA", (900, 360), (0, 0, 0, 0))
    ImageDraw.Draw(blob).rectangle((400, 150, 420, 170), fill="black")
    with pytest.raises(SignatureError, match="only a dot"):
        validate_drawn_signature(png_url(blob))
    faint = Image.new("RGBA", (900, 360), (0, 0, 0, 0))
    ImageDraw.Draw(faint).line([(100, 100), (800, 300)], fill=(0, 0, 0, 40), width=8)
    with pytest.raises(SignatureError, match="blank"):
        validate_drawn_signature(png_url(faint))


def test_filled_pad_is_refused() -> None:
    with pytest.raises(SignatureError, match="filled in"):
        validate_drawn_signature(png_url(Image.new("RGB", (900, 360), "black")))


@pytest.mark.parametrize(
    ("strokes", "message"),
    [
        ("{", "not valid JSON"),
        ('{"a": 1}', "list of strokes"),
        ("[[]]", "non-empty list of points"),
        ("[[[0.1]]]", "pair"),
        ('[[[0.1, "x"]]]', "numbers from 0 to 1"),
        ("[[[0.1, 1.5]]]", "numbers from 0 to 1"),
        ("[[[true, 0.5]]]", "numbers from 0 to 1"),
        ("[[[NaN, 0.5]]]", "numbers from 0 to 1"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
    ],
)
def test_refused_strokes(strokes: str, message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        parse_strokes(strokes, SignatureLimits(max_strokes_chars=10**6))


def test_stroke_limits() -> None:
    limits = SignatureLimits(max_strokes=2, max_points_per_stroke=3, max_points=4)
    with pytest.raises(SignatureError, match="too many strokes"):
        parse_strokes(json.dumps([[[0, 0]]] * 3), limits)
    with pytest.raises(SignatureError, match="stroke has too many points"):
        parse_strokes(json.dumps([[[0, 0]] * 4]), limits)
    with pytest.raises(SignatureError, match="the signature has too many points"):
        parse_strokes(json.dumps([[[0, 0]] * 3, [[0, 0]] * 2]), limits)
    with pytest.raises(SignatureError, match="too long"):
        parse_strokes("[" + " " * 500_000 + "]")
    assert parse_strokes("  ") == ()


def test_typed_signature() -> None:
    assert validate_typed_signature("  Ana   María\tRuiz ", True) == "Ana María Ruiz"
    with pytest.raises(SignatureError, match="type your full name"):
        validate_typed_signature("   ", True)
    with pytest.raises(SignatureError, match="intend the typed name"):
        validate_typed_signature("Ana Ruiz", False)
    with pytest.raises(SignatureError, match="must contain letters"):
        validate_typed_signature("12345", True)
    with pytest.raises(SignatureError, match="cannot be printed"):
        validate_typed_signature("Ana\u200bRuiz", True)
    with pytest.raises(SignatureError, match="too long"):
        validate_typed_signature("A" * 201, True)


def test_error_messages_do_not_repeat_the_submission() -> None:
    with pytest.raises(SignatureError) as caught:
        validate_typed_signature("Ana Ruiz", False)
    assert "Ana" not in str(caught.value)
    assert issubclass(SignatureError, TpiFormsError)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_random_bytes_never_crash(data: bytes) -> None:
    for candidate in (url_of(data), url_of(b"\x89PNG\r\n\x1a\n" + data)):
        try:
            validate_drawn_signature(candidate)
        except SignatureError:
            pass


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    width=st.integers(1, 300),
    height=st.integers(1, 200),
    mode=st.sampled_from(["1", "L", "LA", "P", "RGB", "RGBA", "I;16"]),
    seed=st.binary(min_size=1, max_size=64),
    cut=st.integers(0, 400),
)
def test_random_images_never_crash(
    width: int, height: int, mode: str, seed: bytes, cut: int
) -> None:
    noise = (seed * (width * height * 4 // len(seed) + 1))[: width * height * 4]
    image = Image.frombytes("RGBA", (width, height), noise).convert(mode if mode != "I;16" else "I")
    if mode == "I;16":
        image = image.convert("I;16")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = buffer.getvalue()
    for candidate in (data, data[: max(8, len(data) - cut)]):
        try:
            sig = validate_drawn_signature(url_of(candidate))
        except SignatureError:
            continue
        assert Image.open(io.BytesIO(sig.png)).format == "PNG"


@settings(max_examples=examples(60), deadline=None)
@given(st.text(max_size=300))
def test_random_strokes_never_crash(text: str) -> None:
    try:
        parse_strokes(text)
    except SignatureError:
        pass
