"""Which parts of a PDF have no text layer and must be read by OCR: pages without text, and
pictures covering much of a page that no text of the layer lies over (a table pasted in as an
image). Found from pdfium's page objects, without rendering anything (a few ms a page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# a picture is a candidate when it is at least this wide and tall (shares of the page) ...
_MIN_WIDTH = 0.3
_MIN_HEIGHT = 0.06
# ... and at most this many characters of the text layer lie on it: a table's text layer has
# dozens (an OCR'd scan's hundreds); a caption, a watermark or a page mark a few
_MAX_CHARS_OVER = 12
# resolution a picture is read at: its own, within these bounds (dpi)
_MIN_DPI, _MAX_DPI, _DEFAULT_DPI = 150.0, 300.0, 150.0


@dataclass(frozen=True)
class Region:
    """A part of a page to read by OCR: in PDF points from the page's top-left corner (as
    pdfplumber measures), rendered at `dpi`; `whole`: the page has no text layer at all."""

    page: int               # 1-based
    x0: float
    top: float
    x1: float
    bottom: float
    dpi: float
    whole: bool


@dataclass(frozen=True)
class Plan:
    """The regions of a PDF to OCR, by page (pages without any are not in `regions`), and how
    many of its pages have a text layer."""

    pages: int
    regions: dict[int, list[Region]]
    texted: int

    @property
    def all_pages_whole(self) -> bool:
        """No page has a text layer: an image-only PDF (a scan), read whole by the scan loader."""
        return self.texted == 0

    def on(self, page: int) -> list[Region]:
        return self.regions.get(page, [])


def plan_ocr(data: bytes) -> Plan | None:
    """The regions of the PDF `data` that have no text layer; None when pdfium cannot open it
    (the PDF loader then says what is wrong with it)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return None
    try:
        regions: dict[int, list[Region]] = {}
        texted = 0
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                has_text, found = _page_regions(page, index + 1)
            except Exception:   # an object pdfium cannot measure: read the page from its text layer
                has_text, found = True, []
            finally:
                page.close()
            texted += has_text
            if found:
                regions[index + 1] = found
        return Plan(pages=len(pdf), regions=regions, texted=texted)
    finally:
        pdf.close()


def _page_regions(page: Any, number: int) -> tuple[bool, list[Region]]:
    """Whether the page has a text layer, and its regions to read by OCR."""
    import pypdfium2.raw as pdfium_c

    width, height = page.get_width(), page.get_height()
    pictures: list[tuple[float, float, float, float, float]] = []   # x0, top, x1, bottom, dpi
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        left, bottom, right, top = obj.get_bounds()
        x0, x1 = max(0.0, left), min(width, right)
        y0, y1 = max(0.0, height - top), min(height, height - bottom)
        if x1 - x0 < 1 or y1 - y0 < 1:
            continue
        try:
            px_w, _ = obj.get_px_size()
            dpi = 72 * px_w / (right - left)
        except Exception:   # an image pdfium cannot size: the default resolution
            dpi = _DEFAULT_DPI
        pictures.append((x0, y0, x1, y1, dpi))
    # large enough to hold a table (a seal, a logo, a QR code are not)
    large = [p for p in _merged(pictures) if p[2] - p[0] >= _MIN_WIDTH * width and p[3] - p[1] >= _MIN_HEIGHT * height]
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        has_text = count > 0 and bool(textpage.get_text_range(0, count).strip())
        if not has_text:
            # no text layer: the whole page at its pictures' resolution, when a picture may hold
            # text (a blank page, or one with only a logo, is not read)
            if not large:
                return False, []
            dpi = max(p[4] for p in large)
            return False, [Region(number, 0.0, 0.0, width, height, _bounded(dpi, low=72.0), whole=True)]
        out: list[Region] = []
        for x0, y0, x1, y1, dpi in large:
            over = textpage.get_text_bounded(left=x0, bottom=height - y1, right=x1, top=height - y0)
            if sum(1 for ch in over if not ch.isspace()) <= _MAX_CHARS_OVER:
                out.append(Region(number, x0, y0, x1, y1, _bounded(dpi), whole=False))
        return True, out
    finally:
        textpage.close()


def _merged(pictures: list[tuple[float, float, float, float, float]]) -> list[tuple[float, float, float, float, float]]:
    """Overlapping pictures as one (a table pasted in strips, a picture over another)."""
    out: list[list[float]] = []
    for p in sorted(pictures, key=lambda p: (p[1], p[0])):
        for q in out:
            if p[0] < q[2] and q[0] < p[2] and p[1] < q[3] and q[1] < p[3]:
                q[0], q[1], q[2], q[3], q[4] = min(q[0], p[0]), min(q[1], p[1]), max(q[2], p[2]), max(q[3], p[3]), max(q[4], p[4])
                break
        else:
            out.append(list(p))
    return [(a, b, c, d, e) for a, b, c, d, e in out]


def _bounded(dpi: float, low: float = _MIN_DPI) -> float:
    return round(min(max(dpi, low), _MAX_DPI), 2)
