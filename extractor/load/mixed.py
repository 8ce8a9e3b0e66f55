"""PDFs that are part text layer, part picture (scanned pages among digital ones, tables pasted in
as images): the text layer read as for any PDF, the parts without one by OCR, in page order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..document import Document, OcrPage, OcrText, PageBox, TextBox
from ..errors import LoadError
from .ocr import Engine
from .pdf import load_pdf
from .regions import Plan, Region
from .render import TextBuilder
from .scan import Where, ocr_engine, read_image


@dataclass
class _Reader:
    """Reads the regions of `plan` from the open pdfium document `pdf` (pdf.Untexted)."""

    name: str
    pdf: Any
    eng: Engine
    plan: Plan
    everything: bool = False          # read every line of every region (no ruled table anywhere)
    ocr: list[OcrText] = field(default_factory=list)
    pages: list[OcrPage] = field(default_factory=list)

    def on(self, page: int) -> list[Region]:
        return sorted(self.plan.on(page), key=lambda r: (r.top, r.x0))

    def read(self, region: Region, out: TextBuilder, boxes: list[TextBox]) -> None:
        try:
            grey, height = _render(self.pdf, region)
        except Exception as e:  # pdfium failing on one page: this input fails, saying where
            raise LoadError(self.name, f"page {region.page} cannot be rendered for OCR ({type(e).__name__}: {e})") from e
        scale = region.dpi / 72
        where = Where(page=region.page, x=round(region.x0 * scale, 1), y=round(region.top * scale, 1),
                      page_height=None if region.whole else height * scale,
                      region=None if region.whole else PageBox(
                          page=region.page, x0=round(region.x0 * scale, 1), y0=round(region.top * scale, 1),
                          x1=round(region.x1 * scale, 1), y1=round(region.bottom * scale, 1), dpi=region.dpi))
        # the first page's title is read when the page has no text layer at all
        title = region.whole and region.page == 1
        self.pages.append(read_image(self.eng, grey, region.dpi, where, out, boxes, self.ocr,
                                     title=title, everything=self.everything))


def _render(pdf: Any, region: Region) -> tuple[Any, float]:
    """The region as a grey image at its dpi, and the height of its page in points."""
    page = pdf[region.page - 1]
    try:
        w, h = page.get_width(), page.get_height()
        crop = (0.0, 0.0, 0.0, 0.0) if region.whole else (region.x0, h - region.bottom, w - region.x1, region.top)
        img = page.render(scale=region.dpi / 72, grayscale=True, crop=crop).to_numpy()
    finally:
        page.close()
    if img.ndim == 3:
        img = img[:, :, 0]
    return np.ascontiguousarray(img), h


def load_mixed_pdf(data: bytes, name: str, plan: Plan) -> Document:
    """A PDF some of whose pages (or pictures) have no text layer: those parts read by OCR (their
    ruled tables cell by cell, with the same two reads and boxes as a scan), the rest from the
    text layer, merged in page order into one Document. When neither the text layer nor any
    part read holds a table, every part is read again line by line."""
    import pypdfium2 as pdfium

    eng = ocr_engine(name, "a PDF with pages or pictures without a text layer")
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        raise LoadError(name, f"PDF that cannot be rendered for OCR ({e})") from e
    try:
        reader = _Reader(name, pdf, eng, plan)
        doc = load_pdf(data, name, reader)
        if not doc.grids and any(p.read == "skipped" for p in reader.pages):
            first = sum(p.seconds for p in reader.pages)
            reader = _Reader(name, pdf, eng, plan, everything=True)
            doc = load_pdf(data, name, reader)
            if reader.pages:
                reader.pages[0].seconds = round(reader.pages[0].seconds + first, 2)
    finally:
        pdf.close()
    doc.ocr = sorted(reader.ocr, key=lambda o: o.start)
    doc.ocr_pages = reader.pages
    return doc
