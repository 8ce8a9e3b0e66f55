"""Image-only PDFs and page images, read by OCR: ruled tables cell by cell (from the page's ruling
lines), other text line by line, laid out like a text PDF (TAB rows and lines) with each piece's
page box and its independent reads."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Literal

import numpy as np

from ..document import Document, Format, OcrPage, OcrReading, OcrText, PageBox, Span, TextBox
from ..errors import LoadError
from ..messages import msg
from .ocr import Engine, OcrUnavailable, Read, engine
from .pageimage import Box, Image, Page, RuledTable, find_tables, straighten
from .render import Cell, TextBuilder, collapse, join_cjk
from .text import guess_title

# bump when what OCR reads changes: documents cached by an older version are read again
OCR_VERSION = "4"

# a page rendered for OCR: (grey image, its dpi relative to the page's own units)
Render = Callable[[int], tuple[Image, float]]

_SPECK = 4          # ink components smaller than this (pixels) are noise
_CONTRAST = 45      # grey levels below a cell's paper that count as a mark
_TITLE_LINES = 5    # the first page's lines read whole, for the title (agency and year)
_LINE_GAP = 3       # blank pixel rows that separate two text lines inside a cell


@dataclass
class _Piece:
    """One OCR'd piece of text on a straightened page: a table cell or a detected text segment."""

    text: str
    box: Box
    reading: OcrReading


@dataclass
class _Line:
    top: int
    bottom: int
    pieces: list[_Piece]


def read_pages(name: str, fmt: Format, count: int, render: Render, title: str | None = None) -> Document:
    """OCR `count` pages given by `render` (1-based page -> grey image, dpi) into a Document.

    Pages holding ruled tables are read whole; of the others only the first (the title) is read,
    unless no page has a ruled table: then every page is read as text (tables drawn without rules
    are rebuilt from the positions of their numbers, as for text PDFs).
    """
    eng = ocr_engine(name, _what(fmt))
    out = TextBuilder()
    boxes: list[TextBox] = []
    ocr: list[OcrText] = []
    stats: dict[int, OcrPage] = {}
    for number in range(1, count + 1):
        grey, dpi = render(number)
        stats[number] = read_image(eng, grey, dpi, Where(number), out, boxes, ocr, title=number == 1)
    if not any(s.read == "tables" for s in stats.values()) and count > 1:
        # no ruled table anywhere: read every page as text, in order (page 1 again, to keep order)
        out, boxes, ocr = TextBuilder(), [], []
        for number in range(1, count + 1):
            grey, dpi = render(number)
            again = read_image(eng, grey, dpi, Where(number), out, boxes, ocr, everything=True)
            if number == 1:
                again.seconds = round(again.seconds + stats[1].seconds, 2)
            stats[number] = again
    if not out.text.strip():
        raise LoadError(name, f"{_what(fmt)}: OCR found no text on its {count} page(s)")
    title = title or guess_title(out.text.split("\n", 40)[:40])
    boxes.sort(key=lambda b: b.start)
    ocr.sort(key=lambda o: o.start)
    return Document(source=name, format=fmt, text=out.text, grids=out.grids, title=title, pages=count,
                    boxes=boxes, ocr=ocr, ocr_pages=[stats[n] for n in sorted(stats)])


def ocr_engine(name: str, what: str) -> Engine:
    """The OCR engine, or a LoadError naming the input when OCR is not installed."""
    try:
        return engine()
    except OcrUnavailable as e:
        raise LoadError(name, f"{what} needs OCR to be read: {e}") from e


@dataclass(frozen=True)
class Where:
    """Where an image read by OCR lies on its page: the page number, the image's top-left corner
    in page pixels (at the image's dpi) and the page's height in those pixels (None: the image
    is the whole page)."""

    page: int
    x: float = 0.0
    y: float = 0.0
    page_height: float | None = None
    region: PageBox | None = None   # the part of the page, when not all of it


def read_image(eng: Engine, grey: Image, dpi: float, where: Where, out: TextBuilder,
               boxes: list[TextBox], ocr: list[OcrText], *, title: bool = False,
               everything: bool = False) -> OcrPage:
    """OCR one page image (or a part of a page) into `out`, `boxes` and `ocr`, and say what was
    read: its ruled tables cell by cell with the short lines around them ("tables"); without
    ruled tables nothing ("skipped"), unless it holds the `title` (its first lines and short
    lines are read: "text") or `everything` is asked (every line: "text")."""
    started = time.perf_counter()
    start = out.pos
    page = straighten(grey)
    tables = [] if everything else [t for t in find_tables(page) if _is_table(t)]
    kind: Literal["tables", "text", "skipped"] = "tables" if tables else ("text" if title or everything else "skipped")
    if kind != "skipped":
        prose = "all" if everything else "title" if title else "short"
        _read_page(eng, page, tables, prose, where, dpi, out, boxes, ocr)
    span = Span(start=start, end=out.pos) if out.pos > start else None
    return OcrPage(page=where.page, read=kind, seconds=round(time.perf_counter() - started, 2), dpi=dpi,
                   region=where.region, span=span)


def _what(fmt: Format) -> str:
    return "image-only PDF (no text layer)" if fmt == "scan" else "page image"


def _is_table(t: RuledTable) -> bool:
    """A frame with at least two rows and two columns of cells (not a boxed paragraph)."""
    cols = {c.col for c in t.cells}
    return t.n_rows >= 2 and len(cols) >= 2


# ---- reading one page

def _read_page(eng: Engine, page: Page, tables: list[RuledTable], prose: str, where: Where, dpi: float,
               out: TextBuilder, boxes: list[TextBox], ocr: list[OcrText]) -> None:
    """OCR one page into `out`: its tables cell by cell, then the text segments around them
    (prose "all": every line; "title": the page's first lines and the short lines below;
    "short": only short lines)."""
    import cv2

    # ruling lines inside the tables are not text (outside them, long strokes of large type are)
    lines_mask = np.zeros_like(page.ink)
    for t in tables:
        b = t.box
        lines_mask[b.y0:b.y1, b.x0:b.x1] = page.lines[b.y0:b.y1, b.x0:b.x1]
    lines_mask = cv2.dilate(lines_mask.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    clean = page.grey.copy()
    clean[lines_mask] = 255

    # table cells: the text lines inside each cell
    cell_bands: list[list[Box]] = []
    cell_has_ink: list[bool] = []
    cells = [c for t in tables for c in t.cells]
    for c in cells:
        bands = _bands(clean, c.box)
        cell_bands.append(bands)
        cell_has_ink.append(bool(bands))
    # other text: detected on the page with the tables blanked out
    blank = clean.copy()
    for t in tables:
        blank[t.box.y0:t.box.y1, t.box.x0:t.box.x1] = 255
    h, w = page.grey.shape
    if prose == "all":
        segments = eng.detect(blank)
    else:
        # prose is not read: only the lines short enough to be headings or the cells of a table
        # drawn without rules (and, on the first page, its first lines: the title)
        found = eng.detect(blank)
        top = _title_bottom(found, _TITLE_LINES) if prose == "title" else -1
        segments = [b for b in found if b.width <= 0.5 * w or b.y1 <= top]
    segments = [b for b in segments if b.width >= 4 and b.height >= 4]

    band_list = [b for bands in cell_bands for b in bands]
    first = eng.recognise([_crop(clean, b, 6) for b in band_list] + [_crop(clean, b, 2) for b in segments])
    band_reads, seg_reads = first[:len(band_list)], first[len(band_list):]
    # the second, independent read (another crop, scale and smoothing) of everything that may hold
    # a number: cells and segments whose first read has no CJK text
    band_again = [i for i, r in enumerate(band_reads) if not _has_cjk(r.text)]
    seg_again = [i for i, r in enumerate(seg_reads) if any(ch.isdigit() for ch in r.text)]
    second = eng.recognise([_second_crop(clean, band_list[i], 8) for i in band_again]
                           + [_second_crop(clean, segments[i], 4) for i in seg_again])
    band_second = dict(zip(band_again, second[:len(band_again)]))
    seg_second = dict(zip(seg_again, second[len(band_again):]))

    items: list[tuple[int, int, object]] = []   # (top, order, table pieces | line)
    k = 0
    cell_piece: dict[int, _Piece] = {}
    for ci, c in enumerate(cells):
        n = len(cell_bands[ci])
        reads = [band_reads[k + j] for j in range(n)]
        again = [band_second.get(k + j) for j in range(n)]
        cell_piece[ci] = _cell_piece(c.box, reads, again, cell_has_ink[ci])
        k += n
    ci = 0
    for t in tables:
        rows: dict[int, list[tuple[Cell, _Piece]]] = {}
        for c in t.cells:
            p = cell_piece[ci]
            rows.setdefault(c.row, []).append((Cell(p.text, rowspan=c.rowspan, colspan=c.colspan), p))
            ci += 1
        items.append((t.box.y0, 0, [rows[r] for r in sorted(rows)]))
    pieces = [_segment_piece(b, r, seg_second.get(i)) for i, (b, r) in enumerate(zip(segments, seg_reads))]
    for line in _lines([p for p in pieces if p.text]):
        items.append((line.top, 1, line))
    items.sort(key=lambda it: (it[0], it[1]))
    _emit(items, page, where, dpi, out, boxes, ocr)


def _title_bottom(boxes: list[Box], lines: int) -> int:
    """The bottom of the page's first `lines` lines of text (boxes that overlap vertically make
    one line)."""
    bottom, seen = -1, 0
    for b in sorted(boxes, key=lambda b: b.y0):
        if b.y0 >= bottom:      # starts below the current line: a new line
            seen += 1
            if seen > lines:
                break
        bottom = max(bottom, b.y1)
    return bottom


def _bands(clean: Image, box: Box) -> list[Box]:
    """The text lines inside a cell: rows of marks separated by blank rows (specks ignored).

    A mark is anything clearly darker than the cell's own paper (its median), so that light,
    thin type is never taken for an empty cell: an empty cell is read as 0 without a second look.
    """
    import cv2

    inset = 3
    x0, y0, x1, y1 = box.x0 + inset, box.y0 + inset, box.x1 - inset, box.y1 - inset
    if x1 <= x0 or y1 <= y0:
        return []
    area = clean[y0:y1, x0:x1]
    paper = float(np.median(area))
    sub = (area < paper - _CONTRAST).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(sub, connectivity=8)
    keep_ids = [i for i in range(1, n) if stats[i][4] >= _SPECK]
    if not keep_ids:
        return []
    keep = np.isin(labels, keep_ids)
    rows = np.nonzero(keep.any(axis=1))[0]
    out: list[Box] = []
    start = prev = int(rows[0])
    for r in [int(v) for v in rows[1:]] + [-1]:
        if r == -1 or r - prev > _LINE_GAP:
            cols = np.nonzero(keep[start:prev + 1].any(axis=0))[0]
            if prev - start >= 3:   # a line of text is more than a stroke of dust
                out.append(Box(x0 + int(cols[0]), y0 + start, x0 + int(cols[-1]) + 1, y0 + prev + 1))
            start = r
        prev = r
    return out


def _crop(grey: Image, b: Box, pad: int) -> Image:
    h, w = grey.shape
    return grey[max(0, b.y0 - pad):min(h, b.y1 + pad), max(0, b.x0 - pad):min(w, b.x1 + pad)]


def _second_crop(grey: Image, b: Box, pad: int) -> Image:
    """Another look at the same text: a wider margin, three-quarter scale, slightly smoothed."""
    import cv2

    crop = _crop(grey, b, pad)
    small = cv2.resize(crop, None, fx=0.75, fy=0.75, interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(small, (3, 3), 0)


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def _reading(first: list[Read], second: list[Read | None]) -> OcrReading:
    a = "".join(r.text for r in first)
    if all(s is not None for s in second) and second:
        b = "".join(s.text for s in second if s is not None)
        score_a = round(min((r.lowest(digits_only=True) for r in first), default=1.0), 3)
        score_b = round(min((s.lowest(digits_only=True) for s in second if s is not None), default=1.0), 3)
        agreed = a == b
        return OcrReading(reads=[a, b], agreed=agreed, scores=[score_a, score_b],
                          confidence=max(score_a, score_b) if agreed else min(score_a, score_b))
    score = round(min((r.lowest(digits_only=True) for r in first), default=1.0), 3)
    return OcrReading(reads=[a], agreed=False, scores=[score], confidence=score)


def _cell_piece(box: Box, reads: list[Read], again: list[Read | None], has_ink: bool) -> _Piece:
    if not has_ink:
        return _Piece("", box, OcrReading(reads=["", ""], agreed=True, scores=[1.0, 1.0], confidence=1.0))
    reading = _reading(reads, again)
    text = collapse("\n".join(r.text for r in reads)).strip()
    if not text:
        reading.agreed = False
        reading.confidence = 0.0
        reading.scores = [0.0 for _ in reading.scores]
        reading.note = msg("ocr_marks_unread")
    return _Piece(text, box, reading)


def _segment_piece(box: Box, read: Read, again: Read | None) -> _Piece:
    return _Piece(collapse(read.text).strip(), box, _reading([read], [again] if again is not None else []))


def _lines(pieces: list[_Piece]) -> list[_Line]:
    """Group detected segments into lines by vertical overlap, each left to right."""
    lines: list[_Line] = []
    for p in sorted(pieces, key=lambda p: (p.box.y0, p.box.x0)):
        for ln in reversed(lines[-3:]):
            overlap = min(ln.bottom, p.box.y1) - max(ln.top, p.box.y0)
            if overlap >= 0.5 * min(p.box.height, ln.bottom - ln.top):
                ln.pieces.append(p)
                ln.top, ln.bottom = min(ln.top, p.box.y0), max(ln.bottom, p.box.y1)
                break
        else:
            lines.append(_Line(p.box.y0, p.box.y1, [p]))
    for ln in lines:
        ln.pieces.sort(key=lambda p: p.box.x0)
    return lines


# ---- laying the page out as text

def _emit(items: list[tuple[int, int, object]], page: Page, where: Where, dpi: float, out: TextBuilder,
          boxes: list[TextBox], ocr: list[OcrText]) -> None:
    from .pdf import _gap_table, _looks_tabular, is_page_number

    number = where.page
    height = where.page_height or page.grey.shape[0]

    def record(p: _Piece, start: int, end: int) -> None:
        boxes.append(TextBox(start=start, end=end, box=_page_box(page, p.box, where, dpi)))
        ocr.append(OcrText(start=start, end=end, reading=p.reading))

    pending: list[_Line] = []

    def flush() -> None:
        if not pending:
            return
        rows, _ = _gap_table([[(p.box.x0, p.box.x1, p.text, []) for p in ln.pieces] for ln in pending])
        before = len(out.grids)
        out.table(rows, page=number)
        if len(out.grids) > before:
            grid = out.grids[-1]
            for ln, grow in zip(pending, grid.rows):
                _locate_in_cells([(c.text, c.span.start) for c in grow if c.span is not None], ln.pieces, record)
        pending.clear()

    for _top, kind, payload in items:
        if kind == 0:
            flush()
            table_rows: list[list[tuple[Cell, _Piece]]] = payload  # type: ignore[assignment]
            before = len(out.grids)
            out.table([[c for c, _ in row] for row in table_rows], page=number)
            if len(out.grids) > before:
                for row, grow in zip(table_rows, out.grids[-1].rows):
                    for (_, p), gc in zip(row, grow):
                        if gc.span is not None:
                            record(p, gc.span.start, gc.span.end)
            continue
        line: _Line = payload  # type: ignore[assignment]
        text = ""
        for p in line.pieces:
            text = join_cjk(text, p.text)
        if is_page_number(text, line.top + where.y, line.bottom + where.y, height):
            continue
        if _looks_tabular([p.text for p in line.pieces]):
            pending.append(line)
            continue
        flush()
        start = out.pos
        out.line(text)
        _locate_in_cells([(text, start)], line.pieces, record)
    flush()


def _locate_in_cells(cells: list[tuple[str, int]], pieces: list[_Piece],
                     record: Callable[[_Piece, int, int], None]) -> None:
    """Find each piece's text, in order, in the texts it was laid out into (start offsets given)."""
    ci, cursor = 0, 0
    for p in pieces:
        if not p.text:
            continue
        while ci < len(cells):
            text, start = cells[ci]
            at = text.find(p.text, cursor)
            if at >= 0:
                record(p, start + at, start + at + len(p.text))
                cursor = at + len(p.text)
                break
            ci, cursor = ci + 1, 0


def _page_box(page: Page, b: Box, where: Where, dpi: float) -> PageBox:
    """A box of the straightened image as a rectangle on the page as given (the image placed at
    `where` on it)."""
    corners = [page.to_original(x, y) for x, y in ((b.x0, b.y0), (b.x1, b.y0), (b.x0, b.y1), (b.x1, b.y1))]
    xs, ys = [c[0] + where.x for c in corners], [c[1] + where.y for c in corners]
    return PageBox(page=where.page, x0=round(min(xs), 1), y0=round(min(ys), 1), x1=round(max(xs), 1),
                   y1=round(max(ys), 1), dpi=dpi)


# ---- inputs

def load_scanned_pdf(data: bytes, name: str) -> Document:
    """A PDF without a text layer: every page rendered at the resolution of its scanned image."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        raise LoadError(name, f"image-only PDF that cannot be rendered ({e})") from e
    try:
        count = len(pdf)
        meta_title = (pdf.get_metadata_dict().get("Title") or "").strip() or None

        def render(number: int) -> tuple[Image, float]:
            page = pdf[number - 1]
            try:
                scale = _native_scale(page)
                img = page.render(scale=scale, grayscale=True).to_numpy()
            finally:
                page.close()
            if img.ndim == 3:
                img = img[:, :, 0]
            return np.ascontiguousarray(img), round(72 * scale, 2)

        return read_pages(name, "scan", count, render, _usable_title(meta_title))
    finally:
        pdf.close()


def _usable_title(title: str | None) -> str | None:
    import re

    return title if title and re.search(r"\d{4}", title) else None


def _native_scale(page: object) -> float:
    """Render scale that gives the page's largest image at its own pixel size (between 1x and
    300 dpi; 150 dpi when there is no image)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    best = 0.0
    assert isinstance(page, pdfium.PdfPage)
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        try:
            assert isinstance(obj, pdfium.PdfImage)
            px_w, _ = obj.get_px_size()
            left, _b, right, _t = obj.get_bounds()
        except Exception:  # an image pdfium cannot measure: use the default resolution
            continue
        if right - left > 1:
            best = max(best, px_w / (right - left))
    if best <= 0:
        return 150 / 72
    return min(max(best, 1.0), 300 / 72)


def load_image(data: bytes, name: str) -> Document:
    """A page image (PNG, JPEG, TIFF with one or more pages, BMP); boxes in the image's pixels."""
    frames = list(_frames(data, name))

    def render(number: int) -> tuple[Image, float]:
        return frames[number - 1]

    return read_pages(name, "image", len(frames), render)


def _frames(data: bytes, name: str) -> Iterator[tuple[Image, float]]:
    import io

    from PIL import Image as PILImage
    from PIL import ImageSequence, UnidentifiedImageError

    try:
        img = PILImage.open(io.BytesIO(data))
        for frame in ImageSequence.Iterator(img):
            yield np.asarray(frame.convert("L")), _dpi(frame.info.get("dpi"))
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise LoadError(name, f"damaged or unreadable image ({e})") from e


# ---- cache

def cached(data: bytes, name: str, cache_dir: Path | None, read: Callable[[], Document]) -> Document:
    """The OCR'd Document of `data` from the cache (cache_dir/ocr, keyed by content and
    OCR_VERSION), else `read()` and keep it: a scan is read once, not each time a reviewer opens it
    or a batch meets it again. Failures are not cached; a damaged cache entry is read again."""
    if cache_dir is None:
        return read()
    path = cache_dir / "ocr" / f"{hashlib.sha256(data).hexdigest()}-v{OCR_VERSION}.json"
    try:
        doc = Document.model_validate_json(path.read_bytes())
    except (OSError, ValueError):
        doc = read()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False, suffix=".tmp") as f:
                f.write(doc.model_dump_json().encode("utf-8"))
            os.replace(f.name, path)   # atomic: two workers reading the same scan do not collide
        except OSError:
            pass   # a read-only cache only costs time
        return doc
    doc.source = name
    return doc


def _dpi(value: object) -> float:
    """An image's own resolution, as the page view reads it (150 when it does not say)."""
    from ..page_images import IMAGE_DPI

    try:
        dpi = float(value[0]) if value else IMAGE_DPI  # type: ignore[index]
    except (TypeError, ValueError, IndexError):
        dpi = IMAGE_DPI
    return dpi if dpi >= 10 else IMAGE_DPI
