"""Evidence files of a dispute beyond photos — PDF documents, audio and video recordings —
checked by what they contain, never by their name or the type the browser claims. Pure.

What a mediation gathers besides photos: contracts, receipts, IOUs, hospital bills and court
papers as PDF scans; recordings of the sittings or the parties' own recordings (phones write
m4a or amr, recorders mp3); video from a phone (mp4, 3gp, mov). Each accepted file is parsed
far enough to know it is what it claims to be — a PDF with pages, a recording with a length —
so a renamed executable or a truncated upload is refused with a reason, and the length or page
count is shown beside it. The bytes are kept as uploaded (unlike photos, nothing can be
stripped from a recording without altering the evidence); their SHA-256 is its fingerprint.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from io import BytesIO

from mutagen import MutagenError
from mutagen.mp3 import MP3
from mutagen.mp4 import AtomError, Atoms
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from gridcase.mediation.domain import EvidenceKind
from gridcase.messages import Message

ACCEPTED = "PDF, MP3, M4A, AMR, MP4, 3GP, MOV"


class EvidenceRejected(ValueError):
    """The upload is not an acceptable evidence file; the Message says why."""


@dataclass(frozen=True)
class EvidenceFile:
    kind: EvidenceKind
    content_type: str
    extension: str  # for the download's file name
    sha256: str
    pages: int | None = None  # a document's
    duration_seconds: float | None = None  # a recording's


def inspect_evidence(raw: bytes, max_bytes: int) -> EvidenceFile:
    """What the file is, by its content.

    Raises:
        EvidenceRejected: empty, too big, of a type not accepted, or damaged.
    """
    if not raw:
        raise EvidenceRejected(Message("The file is empty."))
    if len(raw) > max_bytes:
        raise EvidenceRejected(
            Message("The file is larger than %(mb)s MB.", mb=str(max_bytes // (1024 * 1024)))
        )
    digest = hashlib.sha256(raw).hexdigest()
    if raw.startswith(b"%PDF-"):
        return EvidenceFile(EvidenceKind.DOCUMENT, "application/pdf", "pdf", digest, pages=_pdf_pages(raw))
    if raw.startswith(AMR_NB_MAGIC) or raw.startswith(AMR_WB_MAGIC):
        return EvidenceFile(
            EvidenceKind.AUDIO, "audio/amr", "amr", digest, duration_seconds=_amr_seconds(raw)
        )
    if raw[4:8] == b"ftyp":
        return _iso_media(raw, digest)
    if raw.startswith(b"ID3") or (len(raw) > 1 and raw[0] == 0xFF and raw[1] & 0xE0 == 0xE0):
        return EvidenceFile(
            EvidenceKind.AUDIO, "audio/mpeg", "mp3", digest, duration_seconds=_mp3_seconds(raw)
        )
    raise EvidenceRejected(Message("Only these files are accepted as evidence: %(types)s.", types=ACCEPTED))


def _damaged(kind: str) -> EvidenceRejected:
    return EvidenceRejected(Message("The file is not a readable %(kind)s.", kind=kind))


def _pdf_pages(raw: bytes) -> int:
    """A PDF that opens without a password and has pages (an encrypted one could not be read
    from the archive by anyone else)."""
    try:
        reader = PdfReader(BytesIO(raw))
        if reader.is_encrypted:
            raise EvidenceRejected(Message("The PDF is protected by a password: upload it unprotected."))
        pages = len(reader.pages)
    except EvidenceRejected:
        raise
    # pypdf reports broken files in its own errors and, on some damage, plain ones.
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError, struct.error) as exc:
        raise _damaged("PDF") from exc
    if pages < 1:
        raise _damaged("PDF")
    return pages


def _mp3_seconds(raw: bytes) -> float:
    try:
        seconds = MP3(BytesIO(raw)).info.length
    except (MutagenError, ValueError, struct.error) as exc:
        raise _damaged("MP3") from exc
    if not seconds or seconds <= 0:
        raise _damaged("MP3")
    return round(seconds, 1)


# AMR storage format (RFC 4867 §5): the magic line, then frames of one header byte (frame type
# in bits 6..3) and a payload whose size the type fixes; every frame is 20 ms of speech.
AMR_NB_MAGIC = b"#!AMR\n"
AMR_WB_MAGIC = b"#!AMR-WB\n"
# Payload bytes by frame type; None: a reserved type, which no encoder writes.
_AMR_NB_SIZES = (12, 13, 15, 17, 19, 20, 26, 31, 5, None, None, None, None, None, None, 0)
_AMR_WB_SIZES = (17, 23, 32, 36, 40, 46, 50, 58, 60, 5, None, None, None, None, 0, 0)
AMR_FRAME_SECONDS = 0.02


def _amr_seconds(raw: bytes) -> float:
    wide = raw.startswith(AMR_WB_MAGIC)
    sizes = _AMR_WB_SIZES if wide else _AMR_NB_SIZES
    position = len(AMR_WB_MAGIC if wide else AMR_NB_MAGIC)
    frames = 0
    while position < len(raw):
        size = sizes[(raw[position] >> 3) & 0x0F]
        if size is None or raw[position] & 0x83:  # a reserved type, or padding bits set
            raise _damaged("AMR")
        position += 1 + size
        frames += 1
    if frames == 0 or position != len(raw):  # nothing recorded, or the last frame cut short
        raise _damaged("AMR")
    return round(frames * AMR_FRAME_SECONDS, 1)


# ISO base media (ISO/IEC 14496-12): the brand in `ftyp` names the family; the handler of each
# track in `moov` says whether it holds video or sound; `mvhd` gives the length.
_QUICKTIME_BRANDS = {b"qt  "}
_3GPP_PREFIXES = (b"3gp", b"3g2")


def _iso_media(raw: bytes, digest: str) -> EvidenceFile:
    try:
        atoms = Atoms(BytesIO(raw))
        moov = atoms[b"moov"]
        handlers = set()
        for trak in moov.findall(b"trak"):
            ok, data = trak[b"mdia", b"hdlr"].read(BytesIO(raw))
            if ok:
                handlers.add(data[8:12])
        ok, mvhd = moov[(b"mvhd",)].read(BytesIO(raw))
        truncated = any(atom.offset + atom.length > len(raw) for atom in atoms.atoms)
        has_media = any(atom.name == b"mdat" and atom.datalength > 0 for atom in atoms.atoms)
    except (AtomError, MutagenError, KeyError, ValueError, struct.error) as exc:
        raise _damaged("MP4") from exc
    seconds = _mvhd_seconds(mvhd) if ok else None
    if truncated or not has_media or not seconds or not ({b"vide", b"soun"} & handlers):
        raise _damaged("MP4")
    brand = raw[8:12]
    video = b"vide" in handlers
    if brand in _QUICKTIME_BRANDS:
        content_type, extension = ("video/quicktime", "mov") if video else ("audio/mp4", "m4a")
    elif brand.startswith(_3GPP_PREFIXES):
        content_type, extension = ("video/3gpp", "3gp") if video else ("audio/3gpp", "3gp")
    else:
        content_type, extension = ("video/mp4", "mp4") if video else ("audio/mp4", "m4a")
    kind = EvidenceKind.VIDEO if video else EvidenceKind.AUDIO
    return EvidenceFile(kind, content_type, extension, digest, duration_seconds=seconds)


def _mvhd_seconds(mvhd: bytes) -> float | None:
    """The movie's length from its header: version 0 has 32-bit times, version 1 64-bit."""
    if len(mvhd) < 4:
        return None
    version = mvhd[0]
    fields = ">II" if version == 0 else ">IQ"
    offset = 4 + (8 if version == 0 else 16)  # version/flags, creation and modification times
    try:
        timescale, duration = struct.unpack_from(fields, mvhd, offset)
    except struct.error:
        return None
    if not timescale or not duration:
        return None
    return round(duration / timescale, 1)
