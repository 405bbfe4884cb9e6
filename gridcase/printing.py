"""Printed paperwork (协议书, 卷宗): one neutral document — a list of styled paragraphs —
rendered as DOCX (python-docx: what the offices edit and print) or as PDF (fpdf2, with a CJK
font from Debian's fonts-noto-cjk embedded, so it reads the same on any machine).

The document says what each paragraph is (a title, a centred line, a heading, body text, a
right-aligned date, a page break), or holds a picture (a chart, as PNG) or a simple table of
texts; each renderer decides how that looks in its format.
"""

from __future__ import annotations

import enum
import functools
import io
from dataclasses import dataclass, field

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from flask import send_file
from fontTools.ttLib import TTCollection
from fpdf import FPDF
from fpdf.fonts import FontFace

from gridcase.settings import setting

DOCX_FONT = "SimSun"  # 宋体, what the offices' documents use; Word substitutes where it lacks it
SIZES = {"title": 18, "subtitle": 14, "centred": 12, "heading": 12, "body": 12, "right": 12}
TABLE_SIZE = 10.5  # 五号, the size tables of figures are printed in
PAGE_MARGIN_MM = 25


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


@dataclass(frozen=True)
class Picture:
    """A PNG image, printed centred at `width_mm` wide (its height kept in proportion)."""

    png: bytes
    width_mm: float = 150


@dataclass(frozen=True)
class Table:
    """Rows of texts; the first row is the header."""

    rows: tuple[tuple[str, ...], ...]


@dataclass
class Paperwork:
    """A document as paragraphs, each with its style (see SIZES, plus "page_break"), and the
    pictures ("picture": a Picture) and tables ("table": a Table) among them."""

    title: str
    paragraphs: list[tuple[str, str | Picture | Table]] = field(default_factory=list)

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

    def picture(self, png: bytes, width_mm: float = 150) -> Paperwork:
        self.paragraphs.append(("picture", Picture(png, width_mm)))
        return self

    def table(self, rows) -> Paperwork:
        """A table of texts, its first row the header."""
        self.paragraphs.append(("table", Table(tuple(tuple(str(cell) for cell in row) for row in rows))))
        return self

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
        if kind == "picture":
            document.add_picture(io.BytesIO(text.png), width=Mm(text.width_mm))
            document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            continue
        if kind == "table":
            _docx_table(document, text)
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


def _docx_table(document, table: Table) -> None:
    """A bordered table ("Table Grid", in every Word template), its header row bold."""
    grid = document.add_table(rows=len(table.rows), cols=len(table.rows[0]))
    grid.style = "Table Grid"
    for r, row in enumerate(table.rows):
        for c, text in enumerate(row):
            run = grid.cell(r, c).paragraphs[0].add_run(text)
            run.font.size, run.bold = Pt(TABLE_SIZE), r == 0
    document.add_paragraph()  # Word runs a table into the next paragraph without one


def to_pdf(paperwork: Paperwork) -> bytes:
    path, index = cjk_font()
    pdf = FPDF(format="A4")
    pdf.set_title(paperwork.title)
    pdf.set_margins(PAGE_MARGIN_MM, PAGE_MARGIN_MM, PAGE_MARGIN_MM)
    pdf.set_auto_page_break(True, margin=PAGE_MARGIN_MM)
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    pdf.add_page()
    for kind, text in paperwork.paragraphs:
        if kind == "page_break":
            pdf.add_page()
            continue
        if kind == "picture":
            pdf.image(io.BytesIO(text.png), x="C", w=min(text.width_mm, pdf.epw))
            pdf.ln(3)
            continue
        if kind == "table":
            _pdf_table(pdf, text)
            continue
        size = SIZES[kind]
        pdf.set_font("cjk", size=size)
        align = {"title": "C", "subtitle": "C", "centred": "C", "right": "R"}.get(kind, "L")
        pdf.multi_cell(0, size * 0.6, text or " ", align=align, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(size * 0.25 if kind != "title" else size * 0.6)
    return bytes(pdf.output())


def _pdf_table(pdf: FPDF, table: Table) -> None:
    # One CJK face is embedded, no bold one: the header is set apart by its shading instead.
    pdf.set_font("cjk", size=TABLE_SIZE)
    header = FontFace(emphasis="", fill_color=(232, 234, 237))
    with pdf.table(
        headings_style=header,
        line_height=TABLE_SIZE * 0.55,
        text_align="CENTER",
        col_widths=_column_weights(table),
    ) as grid:
        for row in table.rows:
            cells = grid.row()
            for text in row:
                cells.cell(text)
    pdf.ln(4)


def _column_weights(table: Table) -> tuple[int, ...]:
    """Columns as wide as their longest text (at least 4 characters' room), so a long name is
    not wrapped beside short figures."""
    return tuple(max(4, *(len(row[c]) for row in table.rows)) for c in range(len(table.rows[0])))


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
