"""Real PDFs that are part text layer, part picture, made at test time from the dev reports that
have both the born-digital PDF and its page-by-page scan (`derived-scan.pdf`):

    pages_mixed     the pages holding report tables taken from the scan, the others from the
                    original (a report assembled from printed-and-scanned and digital pages)
    tables_pictured the ruled tables of the page holding 表四 (text and rules) replaced by
                    pictures of themselves at 150 dpi, grey JPEG, the rest of the page kept as
                    text (tables pasted in as images)
    tables_covered  the same pictures laid over the tables, the text layer left in place
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from tests.dev_reports import DEV

PICTURE_DPI = 150


def scanned_reports() -> list[Path]:
    """The dev report folders that hold both a born-digital PDF and its scan."""
    out = []
    for d in sorted(p for p in DEV.iterdir() if (p / "derived-scan.pdf").is_file()):
        if _original(d) is not None:
            out.append(d)
    return out


def _original(folder: Path) -> Path | None:
    derived = json.loads((folder / "source.json").read_text(encoding="utf-8")).get("derived", {})
    origin = derived.get("derived-scan.pdf", {}).get("from")
    path = folder / origin if origin else None
    return path if path is not None and path.is_file() else None


def original(folder: Path) -> Path:
    path = _original(folder)
    assert path is not None, folder
    return path


def ruled_tables(pdf: Path) -> dict[int, list[tuple[float, float, float, float]]]:
    """1-based page -> the bounding boxes (x0, top, x1, bottom, in points) of its ruled tables of
    two or more columns, as pdfplumber finds them."""
    import pdfplumber

    out: dict[int, list[tuple[float, float, float, float]]] = {}
    with pdfplumber.open(pdf) as doc:
        for number, page in enumerate(doc.pages, 1):
            found = [t for t in page.find_tables() if t.rows and len(t.rows[0].cells) >= 2]
            if found:
                out[number] = [tuple(t.bbox) for t in found]
            page.close()
    return out


def table_pages(pdf: Path, words: tuple[str, ...]) -> list[int]:
    """Pages with a ruled table whose page text holds one of `words` (whitespace ignored)."""
    import pdfplumber

    tables = ruled_tables(pdf)
    out = []
    with pdfplumber.open(pdf) as doc:
        for number in sorted(tables):
            text = "".join((doc.pages[number - 1].extract_text() or "").split())
            if any(w in text for w in words):
                out.append(number)
    return out


def pages_mixed(folder: Path) -> tuple[bytes, list[int]]:
    """The original PDF with every page that holds a report table (表二/三/四) taken from the
    scan instead; and those page numbers."""
    import pypdfium2 as pdfium

    src = original(folder)
    scanned = table_pages(src, ("信息内容", "申请人情况", "行政复议"))
    orig = pdfium.PdfDocument(src.read_bytes())
    scan = pdfium.PdfDocument((folder / "derived-scan.pdf").read_bytes())
    out = pdfium.PdfDocument.new()
    try:
        assert len(orig) == len(scan)
        for number in range(1, len(orig) + 1):
            out.import_pages(scan if number in scanned else orig, [number - 1])
        return _save(out), scanned
    finally:
        for d in (out, scan, orig):
            d.close()


def tables_covered(folder: Path) -> tuple[bytes, int]:
    """tables_pictured with the pictures laid over the tables, their text layer left in place."""
    return tables_pictured(folder, cover=True)


def tables_pictured(folder: Path, words: tuple[str, ...] = ("行政复议",), cover: bool = False,
                    shrink: float = 1.0) -> tuple[bytes, int]:
    """The original PDF with the ruled tables of the first page holding one of `words` printed
    as pictures (grey JPEG at 150 dpi) in their place. Without `cover`, the tables' text and
    rules are removed from the page (the picture is all there is); with it, the picture is laid
    over them and the text layer stays. `shrink` < 1 prints each picture that much smaller, at
    its box's top-left corner. Returns the PDF and the page number."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    src = original(folder)
    number = table_pages(src, words)[0]
    boxes = ruled_tables(src)[number]
    data = src.read_bytes()
    pictures = [_picture(data, number, b) for b in boxes]
    doc = pdfium.PdfDocument(data)
    try:
        page = doc[number - 1]
        height = page.get_height()
        if not cover:
            for obj in list(page.get_objects(max_depth=1)):
                if obj.type in (pdfium_c.FPDF_PAGEOBJ_TEXT, pdfium_c.FPDF_PAGEOBJ_PATH) \
                        and any(_within(obj.get_bounds(), b, height) for b in boxes):
                    page.remove_obj(obj)
        for (x0, top, x1, bottom), jpeg in zip(boxes, pictures):
            image = pdfium.PdfImage.new(doc)
            image.load_jpeg(io.BytesIO(jpeg), pages=[page])
            w, h = (x1 - x0) * shrink, (bottom - top) * shrink
            image.set_matrix(pdfium.PdfMatrix().scale(w, h).translate(x0, height - top - h))
            page.insert_obj(image)
        page.gen_content()
        page.close()
        return _save(doc), number
    finally:
        doc.close()


def _within(bounds: Any, box: tuple[float, float, float, float], height: float) -> bool:
    """A page object's bounds (PDF space: left, bottom, right, top) inside a box (x0, top, x1,
    bottom from the top-left), with a point of slack."""
    left, bottom, right, top = bounds
    x0, btop, x1, bbottom = box
    return left >= x0 - 1 and right <= x1 + 1 and height - top >= btop - 1 and height - bottom <= bbottom + 1


def _picture(data: bytes, number: int, box: tuple[float, float, float, float]) -> bytes:
    """The region `box` of page `number` rendered as a grey JPEG at PICTURE_DPI."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        page = doc[number - 1]
        w, h = page.get_width(), page.get_height()
        x0, top, x1, bottom = box
        img = page.render(scale=PICTURE_DPI / 72, grayscale=True,
                          crop=(x0, h - bottom, w - x1, top)).to_pil().convert("L")
        page.close()
    finally:
        doc.close()
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _save(doc: Any) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
