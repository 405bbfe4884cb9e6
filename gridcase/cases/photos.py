"""Photos of a case: sniffed by content, turned upright, stripped of metadata, resized. Pure.

Phones put GPS coordinates, the device and the time in EXIF; a photo of a dispute can identify
the people in it, and the reporter's position is not the case's business once the case has a
location. So nothing of the original file is kept but the pixels: the image is decoded, rotated
as its EXIF orientation says, scaled to at most 2048 px, and encoded afresh without metadata.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError

from gridcase.messages import Message

MAX_SIDE = 2048
THUMB_SIDE = 320
ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# Refuse decompression bombs well before Pillow's own limit: 50 megapixels is a big camera.
# A JPEG (what phone cameras write) is decoded straight at a fraction of its size (draft mode),
# so even that costs little; PNG and WebP decode every pixel, and a phone's PNG is a screenshot,
# so they stop at 16 megapixels (security review 2026-12-04, finding 21: a 49-megapixel PNG
# cost 2.8 s of a worker).
MAX_PIXELS = 50_000_000
MAX_PIXELS_FULLY_DECODED = 16_000_000


class PhotoRejected(ValueError):
    """The upload is not an acceptable photo; the message says why, for the person uploading."""


@dataclass(frozen=True)
class Photo:
    data: bytes
    content_type: str
    width: int
    height: int
    thumbnail: bytes  # JPEG, at most THUMB_SIDE px
    sha256: str


def process_photo(raw: bytes, max_bytes: int) -> Photo:
    """Check and clean an uploaded image.

    Raises:
        PhotoRejected: too big, not an image, or not JPEG/PNG/WebP (whatever the file is called).
    """
    if not raw:
        raise PhotoRejected(Message("The file is empty."))
    if len(raw) > max_bytes:
        raise PhotoRejected(
            Message("The photo is larger than %(mb)s MB.", mb=str(max_bytes // (1024 * 1024)))
        )
    try:
        with Image.open(BytesIO(raw)) as probe:
            kind = probe.format
            if kind not in ACCEPTED_FORMATS:
                raise PhotoRejected(Message("Only JPEG, PNG and WebP photos are accepted."))
            pixels = probe.width * probe.height
            if pixels > MAX_PIXELS or (kind != "JPEG" and pixels > MAX_PIXELS_FULLY_DECODED):
                raise PhotoRejected(Message("The photo has too many pixels."))
            if kind == "JPEG":
                probe.draft("RGB", (MAX_SIDE, MAX_SIDE))  # never smaller than MAX_SIDE
            probe.load()
            image = ImageOps.exif_transpose(probe)
    except PhotoRejected:
        raise
    # Pillow says "damaged" in many ways: ValueError for truncated PNG chunks, struct.error for
    # short headers, OSError for broken data, SyntaxError for malformed formats.
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        OSError,
        SyntaxError,
        ValueError,
        struct.error,
    ) as exc:
        raise PhotoRejected(Message("The file is not a readable JPEG, PNG or WebP image.")) from exc
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    data = _encode(image, kind)
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    return Photo(
        data=data,
        content_type=ACCEPTED_FORMATS[kind],
        width=image.width,
        height=image.height,
        thumbnail=_encode(thumb, "JPEG", quality=75),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _encode(image: Image.Image, kind: str, quality: int = 85) -> bytes:
    """Encode pixels only: no EXIF, no XMP, no text chunks, no ICC profile."""
    if kind == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    if kind == "PNG" and image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    out = BytesIO()
    options = {"quality": quality, "optimize": True} if kind in ("JPEG", "WEBP") else {"optimize": True}
    clean = image.copy()
    clean.info.clear()  # some encoders fall back to info["icc_profile"], info["exif"] …
    clean.save(out, format=kind, **options)
    return out.getvalue()
