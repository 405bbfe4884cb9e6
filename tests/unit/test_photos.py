"""Photos: checked by content, turned upright, stripped of metadata, scaled down."""

import io

import pytest
from PIL import Image, PngImagePlugin

from gridcase.cases.photos import PhotoRejected, process_photo

LIMIT = 12 * 1024 * 1024


def exif_with_gps(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (29.0, 38.0, 1.0), 3: "E", 4: (120.0, 24.0, 5.0)}
    return exif.tobytes()


def encode(image: Image.Image, kind: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


def test_a_phone_jpeg_is_turned_upright_scaled_and_stripped():
    raw = encode(Image.new("RGB", (4000, 3000), "red"), "JPEG", exif=exif_with_gps(orientation=6))
    photo = process_photo(raw, LIMIT)
    assert (photo.width, photo.height) == (1536, 2048)  # rotated 90°, longest side 2048
    assert photo.content_type == "image/jpeg"
    assert b"PhoneMaker" not in photo.data
    assert not Image.open(io.BytesIO(photo.data)).getexif()
    assert max(Image.open(io.BytesIO(photo.thumbnail)).size) == 320


@pytest.mark.parametrize("kind", ["PNG", "WEBP"])
def test_png_and_webp_keep_their_format_and_lose_their_metadata(kind):
    options = {"exif": exif_with_gps()}
    if kind == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "secret-note")
        options["pnginfo"] = info
    photo = process_photo(encode(Image.new("RGBA", (300, 200)), kind, **options), LIMIT)
    assert photo.content_type == f"image/{kind.lower()}"
    assert b"PhoneMaker" not in photo.data and b"secret-note" not in photo.data
    assert (photo.width, photo.height) == (300, 200)


def _damaged_png() -> bytes:
    """A valid PNG with a gAMA chunk of one byte inserted after its header chunk."""
    import struct
    import zlib

    good = encode(Image.new("RGB", (4, 4)), "PNG")
    chunk = b"gAMA" + b"\x01"
    gama = struct.pack(">I", 1) + chunk + struct.pack(">I", zlib.crc32(chunk))
    header_end = 8 + 25  # signature, then IHDR (length, type, 13 bytes, CRC)
    return good[:header_end] + gama + good[header_end:]


DAMAGED_PNG = _damaged_png()


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"", "empty"),
        (b"%PDF-1.4 not an image", "readable"),
        (encode(Image.new("RGB", (10, 10)), "GIF"), "Only JPEG, PNG and WebP"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "readable"),  # a JPEG header and nothing else
        (DAMAGED_PNG, "readable"),  # a truncated gAMA chunk: Pillow raises ValueError
    ],
)
def test_what_is_not_an_acceptable_photo_is_refused_with_a_reason(raw, words):
    with pytest.raises(PhotoRejected, match=words):
        process_photo(raw, LIMIT)


def test_the_name_does_not_matter_the_content_does():
    # A PNG sent as "photo.jpg" is stored as the PNG it is.
    assert process_photo(encode(Image.new("RGB", (20, 20)), "PNG"), LIMIT).content_type == "image/png"


def test_oversized_uploads_are_refused():
    with pytest.raises(PhotoRejected, match="larger than"):
        process_photo(b"x" * 2048, max_bytes=1024)


def test_a_large_camera_jpeg_is_decoded_at_a_fraction_and_still_fills_the_largest_side():
    """Security review finding 21: JPEGs decode in draft mode, never below 2048 px."""
    raw = encode(Image.new("RGB", (6400, 4800), "blue"), "JPEG", exif=exif_with_gps(orientation=6))
    photo = process_photo(raw, LIMIT)
    assert (photo.width, photo.height) == (1536, 2048)


@pytest.mark.parametrize("kind", ["PNG", "WEBP"])
def test_finding_21_a_png_or_webp_over_16_megapixels_is_refused_undecoded(kind):
    """Security review finding 21: formats decoded pixel by pixel stop at 16 megapixels."""
    raw = encode(Image.new("L", (4100, 4000)), kind)
    with pytest.raises(PhotoRejected, match="too many pixels"):
        process_photo(raw, LIMIT)
    assert process_photo(encode(Image.new("L", (4000, 4000)), kind), LIMIT).width == 2048
