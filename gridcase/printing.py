"""Printed paperwork (协议书, 卷宗): one neutral document — a list of styled paragraphs —
rendered as DOCX (python-docx: what the offices edit and print) or as PDF (fpdf2, with a CJK
font from Debian's fonts-noto-cjk embedded, so it reads the same on any machine).

The document says what each paragraph is (a title, a centred line, a heading, body text, a
right-aligned date, a page break); each renderer decides how that looks in its format.
"""

from __future__ import annotations

import enum
import functools
import io
from dataclasses import dataclass, field

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Pt
from flask import send_file
from fontTools.ttLib import TTCollection
from fpdf import FPDF

from gridcase.settings import setting

DOCX_FONT = "SimSun"  # 宋体, what the offices' documents use; Word substitutes where it lacks it
SIZES = {"title": 18, "subtitle": 14, "centred": 12, "heading": 12, "body": 12, "right": 12}


class Format(enum.Enum):
    """A format paperwork is produced in: its file suffix and media type."""

    DOCX = "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    PDF = "pdf", "application/pdf"

    def __init__(self, suffix: str, mimetype: str):
        self.suffix, self.mimetype = suffix, mimetype

    @classmethod
    def of(cls, name: str | None) -> Format:
        """The format named (docx, the default, or pdf); ValueError for another."""
        for fmt in cls:
            if fmt.suffix == (name or "docx").lower():
                return fmt
        raise ValueError(name)


@dataclass
class Paperwork:
    """A document as paragraphs, each with its style (see SIZES, plus "page_break")."""

    title: str
    paragraphs: list[tuple[str, str]] = field(default_factory=list)

    def add(self, text: str, style: str = "body") -> Paperwork:
        self.paragraphs.append((style, text))
        return self

    def lines(self, text: str) -> Paperwork:
        """Body text kept line by line as it was typed (an empty line for none)."""
        for line in (text or "").splitlines() or [""]:
            self.add(line)
        return self

    def page_break(self) -> Paperwork:
        return self.add("", "page_break")

    def extend(self, other: Paperwork) -> Paperwork:
        """Another document's paragraphs, after these (a part of a bundle)."""
        self.paragraphs.extend(other.paragraphs)
        return self

    def render(self, fmt: Format) -> bytes:
        return to_pdf(self) if fmt is Format.PDF else to_docx(self)


def send_paperwork(content: bytes, fmt: Format, filename: str):
    """The document as a download that no cache keeps: paperwork names people in full."""
    response = send_file(
        io.BytesIO(content), mimetype=fmt.mimetype, as_attachment=True, download_name=filename
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def to_docx(paperwork: Paperwork) -> bytes:
    document = Document()
    document.core_properties.title = paperwork.title
    style = document.styles["Normal"]
    style.font.name, style.font.size = DOCX_FONT, Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), DOCX_FONT)  # CJK text takes this font
    for kind, text in paperwork.paragraphs:
        if kind == "page_break":
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
            continue
        paragraph = document.add_paragraph()
        run = paragraph.add_run(text)
        run.font.size = Pt(SIZES[kind])
        run.bold = kind in ("title", "heading")
        if kind in ("title", "subtitle", "centred"):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind == "right":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def to_pdf(paperwork: Paperwork) -> bytes:
    path, index = cjk_font()
    pdf = FPDF(format="A4")
    pdf.set_title(paperwork.title)
    pdf.set_margins(25, 25, 25)
    pdf.set_auto_page_break(True, margin=25)
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    pdf.add_page()
    for kind, text in paperwork.paragraphs:
        if kind == "page_break":
            pdf.add_page()
            continue
        size = SIZES[kind]
        pdf.set_font("cjk", size=size)
        align = {"title": "C", "subtitle": "C", "centred": "C", "right": "R"}.get(kind, "L")
        pdf.multi_cell(0, size * 0.6, text or " ", align=align, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(size * 0.25 if kind != "title" else size * 0.6)
    return bytes(pdf.output())


def cjk_font() -> tuple[str, int]:
    """The font file the PDFs embed (GRIDCASE_CJK_FONT) and, in a collection (.ttc), the index of
    its simplified-Chinese face (Noto's "… CJK SC")."""
    path = setting("GRIDCASE_CJK_FONT")
    return path, _simplified_chinese_face(path)


@functools.cache
def _simplified_chinese_face(path: str) -> int:
    if not path.lower().endswith(".ttc"):
        return 0
    for index, font in enumerate(TTCollection(path).fonts):
        if font["name"].getDebugName(1).endswith(" SC"):
            return index
    return 0
