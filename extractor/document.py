"""The loaders' output: one document as linear text plus the table grids found in it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .messages import Message

# "scan": an image-only PDF read by OCR; "image": a page image read by OCR; "doc"/"rtf": legacy
# word-processor files converted by LibreOffice
Format = Literal["html", "pdf", "docx", "txt", "md", "doc", "rtf", "scan", "image"]

CELL_SEP = "\t"
"""Separates the cells of one table row in `Document.text`.

Loaders that know the table structure (HTML, DOCX, PDF tables, markdown pipe tables) render each
table row as one line with its cells joined by a TAB, a spanned cell printed once at its origin,
and an empty cell as an empty string between two TABs. The extraction rules rely on this: a TAB
is a hard cell boundary, and an empty cell between TABs is a blank (zero) cell.
"""


class Span(BaseModel):
    """Half-open character interval [start, end) into `Document.text`."""

    start: int
    end: int


class PageBox(BaseModel):
    """A rectangle on a page of the input: 1-based page, corners from the page's top-left corner
    in pixels at `dpi` (72 = PDF points). For PDFs and page images, so a reviewer can be shown the
    printed number on the page itself."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    dpi: float = 72.0


class TextBox(BaseModel):
    """Where the characters [start, end) of `Document.text` are printed on a page."""

    start: int
    end: int
    box: PageBox


class OcrReading(BaseModel):
    """How OCR read one piece of text (a table cell, a line of text): the independent reads (the
    first is the text used), whether they agree, and each read's lowest character score among its
    digits (all its characters when there are no digits)."""

    reads: list[str]
    agreed: bool            # two or more reads, all giving the same text
    scores: list[float]     # per read, 0..1
    # reads that agree: the best read's score (one confident look, confirmed by another);
    # otherwise the lowest
    confidence: float
    note: Message | None = None  # e.g. marks in the cell, nothing recognised (messages.py)


class OcrText(BaseModel):
    """The characters [start, end) of `Document.text` were read by OCR as `reading` says."""

    start: int
    end: int
    reading: OcrReading


class OcrPage(BaseModel):
    """One page of an OCR'd input (or one part of a PDF page without a text layer): what was read
    on it, how long it took, and where its text went."""

    page: int
    read: Literal["tables", "text", "skipped"]   # skipped: no table on it, not the title page
    seconds: float
    dpi: float
    region: PageBox | None = None   # the part of the page read by OCR (at `dpi`); None: the whole page
    span: Span | None = None        # where the text read on it lies in Document.text


class GridCell(BaseModel):
    text: str
    span: Span | None = None  # where the cell's text sits in Document.text
    rowspan: int = 1
    colspan: int = 1


class Grid(BaseModel):
    """A table as rows of cells (spanned cells appear once, at their origin)."""

    rows: list[list[GridCell]]
    span: Span | None = None  # where the rendered table sits in Document.text
    page: int | None = None   # 1-based page for PDFs


class Document(BaseModel):
    """What every loader returns."""

    source: str                     # path or name as given by the user
    format: Format
    text: str                       # full text; tables rendered as TAB-separated lines
    grids: list[Grid] = Field(default_factory=list)
    title: str | None = None        # <title>, PDF/DOCX metadata title, or first heading
    encoding: str | None = None     # detected encoding for text inputs
    pages: int | None = None        # PDFs
    # page positions of printed text, sorted by start (loaders of paged inputs fill it: every
    # number of a table cell at least); empty for text, HTML and Word inputs
    boxes: list[TextBox] = Field(default_factory=list)

    # OCR'd inputs: how each table cell and line of text was read, sorted by start; and the pages
    ocr: list[OcrText] = Field(default_factory=list)
    ocr_pages: list[OcrPage] = Field(default_factory=list)

    def read_by_ocr(self, start: int, end: int) -> bool:
        """The text [start, end) comes from a page (or a part of one) read by OCR, not from a text
        layer: every text of a scan or a page image, the OCR'd parts of any other PDF."""
        if self.format in ("scan", "image"):
            return True
        return any(p.span is not None and p.span.start <= start and end <= p.span.end for p in self.ocr_pages)

    def ocr_at(self, start: int, end: int) -> OcrReading | None:
        """How OCR read the text [start, end), when it lies inside one OCR'd piece."""
        for o in self.ocr:
            if o.start <= start and end <= o.end:
                return o.reading
        return None

    def box_at(self, start: int, end: int) -> PageBox | None:
        """The page box of the text [start, end), when a loader recorded one that covers it."""
        for tb in self.boxes:
            if tb.start <= start and end <= tb.end:
                return tb.box
        return None
