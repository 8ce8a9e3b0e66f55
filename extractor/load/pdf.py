"""PDF inputs (pdfplumber): ruled tables as TAB rows, other text as lines, in reading order per page."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from statistics import median
from typing import Any, Protocol, Sequence

from ..document import Document, GridCell, PageBox, TextBox
from ..errors import LoadError, NoTextLayerError
from ..pagemarks import is_page_mark
from .regions import Region
from .render import Cell, TextBuilder, collapse, join_cjk
from .text import guess_title, trim_title

Obj = dict[str, Any]

_BARE_NUMBER = re.compile(r"^\d{1,3}$")
_NUMERIC = re.compile(r"^[-+−]?\d[\d,，.]*%?$|^[-—/－]$")

_WRAPPED_DIGITS = re.compile(r"[1-9]\d*(?:\n\d+)+")   # never a leading 0: "0⏎0" is two cells
_TABLE_SETTINGS: dict[str, Any] = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}


def is_page_number(line: str, top: float, bottom: float, height: float) -> bool:
    s = line.strip()
    if is_page_mark(s):
        return True
    in_margin = top < height * 0.08 or bottom > height * 0.90
    return in_margin and bool(_BARE_NUMBER.match(s))


@dataclass
class _Line:
    top: float
    bottom: float
    words: list[Obj] = field(default_factory=list)


def _merged_verticals(edges: list[Obj]) -> list[tuple[float, float, float, float]]:
    """Vertical rules as (x0, x1, top, bottom), joining the per-row segments some producers draw."""
    by_x: list[list[Obj]] = []
    for e in sorted(edges, key=lambda e: e["x0"]):
        if by_x and abs(e["x0"] - by_x[-1][0]["x0"]) <= 1.5:
            by_x[-1].append(e)
        else:
            by_x.append([e])
    out: list[tuple[float, float, float, float]] = []
    for col in by_x:
        col.sort(key=lambda e: e["top"])
        x0, x1 = min(e["x0"] for e in col), max(e["x1"] for e in col)
        top, bottom = col[0]["top"], col[0]["bottom"]
        for e in col[1:]:
            if e["top"] <= bottom + 3:
                bottom = max(bottom, e["bottom"])
            else:
                out.append((x0, x1, top, bottom))
                top, bottom = e["top"], e["bottom"]
        out.append((x0, x1, top, bottom))
    return out


def _clusters(values: list[tuple[float, Any]], tol: float) -> list[list[tuple[float, Any]]]:
    groups: list[list[tuple[float, Any]]] = []
    for v in sorted(values, key=lambda t: t[0]):
        if groups and v[0] - groups[-1][-1][0] <= tol:
            groups[-1].append(v)
        else:
            groups.append([v])
    return groups


def _covered(intervals: list[tuple[float, float]], lo: float, hi: float) -> float:
    total, end = 0.0, lo
    for a, b in sorted(intervals):
        a, b = max(a, end), min(b, hi)
        if b > a:
            total += b - a
            end = b
    return total


def _closing_lines(page: Any) -> list[Obj]:
    """Horizontal lines where a table's vertical rules start or end with no rule across them.

    A table cut by a page break (Chromium, some WPS exports) leaves its first or last row open, and
    pdfplumber's lines strategy then drops that row; closing it recovers the cells. The line runs
    across every neighbouring rule that passes through it too: a merged cell continued on the next
    page (or a shaded box drawn below the table) keeps its rules going past the cut, and a cell
    left open there would swallow the whole table.
    """
    verticals = _merged_verticals([e for e in page.edges if e["orientation"] == "v"])
    verticals = sorted((v for v in verticals if v[3] - v[2] > 4), key=lambda v: v[0])
    h_edges = [e for e in page.edges if e["orientation"] == "h"]
    extra: list[Obj] = []
    for idx in (2, 3):  # tops, then bottoms
        for group in _clusters([(v[idx], v) for v in verticals], 2.5):
            if len(group) < 2:
                continue
            y = median(t[0] for t in group)
            x0, x1 = min(t[1][0] for t in group), max(t[1][1] for t in group)
            # the rules at y, in x order: extend over the neighbours that cross y
            at_y = [v for v in verticals if v[2] - 2.5 <= y <= v[3] + 2.5]
            lo = next(i for i, v in enumerate(at_y) if v[0] >= x0 - 0.01)
            hi = max(i for i, v in enumerate(at_y) if v[1] <= x1 + 0.01)
            while lo > 0 and at_y[lo - 1][2] < y < at_y[lo - 1][3]:
                lo -= 1
            while hi + 1 < len(at_y) and at_y[hi + 1][2] < y < at_y[hi + 1][3]:
                hi += 1
            x0, x1 = min(x0, at_y[lo][0]), max(x1, at_y[hi][1])
            covered = _covered([(h["x0"], h["x1"]) for h in h_edges if abs(h["top"] - y) <= 2.5], x0, x1)
            if covered < 0.95 * (x1 - x0):
                extra.append({"object_type": "closing_edge", "orientation": "h", "x0": x0, "x1": x1,
                              "top": y, "bottom": y, "width": x1 - x0, "height": 0.0})
    return extra


def _find_tables(page: Any) -> list[Any]:
    settings = dict(_TABLE_SETTINGS)
    extra = _closing_lines(page)
    if extra:
        settings["explicit_horizontal_lines"] = extra
    tables = page.find_tables(settings)
    # a one-column "table" is a framed text box: read it as running text
    return [t for t in tables if t.rows and len(t.rows[0].cells) >= 2]


def _boundaries(values: list[float], tol: float = 2.0) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tol:
            out.append(v)
    return out


def _count_between(bounds: list[float], lo: float, hi: float, tol: float = 2.0) -> int:
    return max(1, sum(1 for b in bounds if lo + tol < b < hi - tol) + 1)


CellInk = tuple[list[Obj], "tuple[float, float, float, float] | None"]   # a cell's characters, its frame


def _table_rows(table: Any, chars: list[Obj]) -> tuple[list[list[Cell]], list[list[CellInk]]]:
    """pdfplumber cells -> rows of origin cells with spans (None = covered by a merge: skipped), and
    the page's characters of each cell in reading order with the cell's frame (for their boxes)."""
    xs = _boundaries([c[0] for c in table.cells] + [c[2] for c in table.cells])
    ys = _boundaries([c[1] for c in table.cells] + [c[3] for c in table.cells])
    texts = table.extract()
    rows: list[list[Cell]] = []
    row_chars: list[list[CellInk]] = []
    for row, row_text in zip(table.rows, texts):
        out: list[Cell] = []
        out_chars: list[CellInk] = []
        for bbox, text in zip(row.cells, row_text):
            if bbox is None:
                continue
            text = text or ""
            if _WRAPPED_DIGITS.fullmatch(text.strip()):
                # a number wrapped inside a narrow cell, a digit or two a line ('2⏎6' is 26)
                text = re.sub(r"\s+", "", text)
            out.append(Cell(collapse(text).strip(),
                            rowspan=_count_between(ys, bbox[1], bbox[3]),
                            colspan=_count_between(xs, bbox[0], bbox[2])))
            out_chars.append((_reading_order([c for c in chars if _mid_in(c, bbox)]), tuple(bbox)))
        rows.append(out)
        row_chars.append(out_chars)
    return rows, row_chars


def _mid_in(obj: Obj, bbox: tuple[float, float, float, float]) -> bool:
    # the test pdfplumber's Table.extract uses to give a character to a cell
    h = (obj["x0"] + obj["x1"]) / 2
    v = (obj["top"] + obj["bottom"]) / 2
    return bbox[0] <= h < bbox[2] and bbox[1] <= v < bbox[3]


def _reading_order(chars: list[Obj]) -> list[Obj]:
    """Characters as lines top to bottom, each left to right (the order of the cell's text)."""
    lines: list[list[Obj]] = []
    for c in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        if lines and abs(c["top"] - lines[-1][0]["top"]) <= 3:
            lines[-1].append(c)
        else:
            lines.append([c])
    return [c for ln in lines for c in sorted(ln, key=lambda c: c["x0"])]


_NUMBER_RUN = re.compile(r"[-−]?\d[\d,.]*")
_SKIP = re.compile(r"[\s\u200b\ufeff]")


def number_boxes(text: str, start: int, chars: list[Obj], page: int,
                 fallback: tuple[float, float, float, float] | None = None) -> list[TextBox]:
    """Boxes of the numbers printed in `text` (placed at `start` of Document.text), from the page
    characters that make it up, in order. The text may differ from the characters only in
    whitespace; if it differs otherwise, every number gets the `fallback` box (a cell's), if any."""
    where: list[Obj | None] = [None] * len(text)
    i = 0
    aligned = True
    for c in chars:
        glyph = _SKIP.sub("", c.get("text") or "")
        for ch in glyph:
            while i < len(text) and _SKIP.match(text[i]):
                i += 1
            if i >= len(text) or text[i] != ch:
                aligned = False
                break
            where[i] = c
            i += 1
        if not aligned:
            break
    out: list[TextBox] = []
    for m in _NUMBER_RUN.finditer(text):
        objs = [o for o in where[m.start():m.end()] if o is not None]
        if aligned and len(objs) == len(m.group(0).replace(" ", "")):
            box = (min(o["x0"] for o in objs), min(o["top"] for o in objs),
                   max(o["x1"] for o in objs), max(o["bottom"] for o in objs))
        elif fallback is not None:
            box = fallback
        else:
            continue
        out.append(TextBox(start=start + m.start(), end=start + m.end(),
                           box=PageBox(page=page, x0=box[0], y0=box[1], x1=box[2], y1=box[3])))
    return out


def _inside(obj: Obj, bbox: tuple[float, float, float, float]) -> bool:
    cx = (obj["x0"] + obj["x1"]) / 2
    cy = (obj["top"] + obj["bottom"]) / 2
    return bbox[0] <= cx <= bbox[2] and bbox[1] <= cy <= bbox[3]


def _cluster_lines(words: list[Obj]) -> list[_Line]:
    """Group words into lines by vertical overlap (tolerant of baseline jitter and mixed fonts)."""
    lines: list[_Line] = []
    for w in sorted(words, key=lambda w: (w["top"], w["x0"])):
        h = max(w["bottom"] - w["top"], 1.0)
        for ln in reversed(lines[-3:]):
            overlap = min(ln.bottom, w["bottom"]) - max(ln.top, w["top"])
            if overlap >= 0.5 * min(h, ln.bottom - ln.top):
                ln.words.append(w)
                ln.top, ln.bottom = min(ln.top, w["top"]), max(ln.bottom, w["bottom"])
                break
        else:
            lines.append(_Line(w["top"], w["bottom"], [w]))
    for ln in lines:
        ln.words.sort(key=lambda w: w["x0"])
    return lines


Segment = tuple[float, float, str, list[Obj]]   # x0, x1, text, its characters


def _segments(line: _Line) -> list[Segment]:
    """Split a line into (x0, x1, text, chars) cells at wide gaps (more than ~1.5 character widths)."""
    size = median(w["bottom"] - w["top"] for w in line.words)
    segs: list[list[Any]] = []
    prev: Obj | None = None
    for w in line.words:
        gap = w["x0"] - prev["x1"] if prev is not None else None
        # two numbers side by side are two cells unless nearly touching; so is a label then a number
        numeric_edge = gap is not None and bool(_NUMERIC.match(w["text"])) and (
            bool(_NUMERIC.match(segs[-1][2])) and gap > 0.3 * size
            or segs[-1][2][-1:].isascii() is False and gap > 0.05 * size)
        if gap is not None and gap <= 1.5 * size and not numeric_edge:
            seg = segs[-1]
            seg[2] = seg[2] + w["text"] if gap <= 0.25 * size else join_cjk(seg[2], w["text"])
            seg[1] = w["x1"]
            seg[3] = seg[3] + w.get("chars", [])
        else:
            segs.append([w["x0"], w["x1"], w["text"], list(w.get("chars", []))])
        prev = w
    return [(a, b, t, cs) for a, b, t, cs in segs]


def _gap_table(rows: list[list[Segment]]) -> tuple[list[list[Cell]], list[list[CellInk]]]:
    """Rows of gap-separated segments -> cells: leading text cells are the label, numbers are placed
    in columns found from the numbers of all rows, so a missing number is an empty cell. With each
    cell's characters (for their boxes)."""
    spans = sorted((a, b) for row in rows for a, b, t, _ in row if _NUMERIC.match(t))
    cols: list[list[float]] = []
    for a, b in spans:
        if cols and a <= cols[-1][1] + 2:
            cols[-1][1] = max(cols[-1][1], b)
        else:
            cols.append([a, b])
    out: list[list[Cell]] = []
    out_chars: list[list[CellInk]] = []
    for row in rows:
        labels: list[tuple[str, list[Obj]]] = []
        cells = [""] * len(cols)
        cell_chars: list[list[Obj]] = [[] for _ in cols]
        for a, b, t, cs in row:
            numeric = bool(_NUMERIC.match(t))
            if not numeric and not any(cells):
                labels.append((t, cs))
                continue
            mid = (a + b) / 2
            j = min(range(len(cols)), key=lambda k: 0 if cols[k][0] <= mid <= cols[k][1]
                    else min(abs(mid - cols[k][0]), abs(mid - cols[k][1])))
            cells[j] = join_cjk(cells[j], t)
            cell_chars[j] = cell_chars[j] + cs
        out.append([Cell(collapse(t).strip()) for t, _ in labels] + [Cell(collapse(c).strip()) for c in cells])
        row_ink: list[CellInk] = [(cs, None) for _, cs in labels]
        out_chars.append(row_ink + [(cs, None) for cs in cell_chars])
    return out, out_chars


def _line_text(line: _Line) -> str:
    out = ""
    prev: Obj | None = None
    for w in line.words:
        if prev is None:
            out = w["text"]
        else:
            out += (" " if w["x0"] - prev["x1"] > 1.0 else "") + w["text"]
        prev = w
    return out


def _looks_tabular(segs: list[str]) -> bool:
    return len(segs) >= 3 and sum(1 for s in segs if _NUMERIC.match(s)) >= 2 and not _NUMERIC.match(segs[0]) \
        or len(segs) >= 4 and all(_NUMERIC.match(s) for s in segs)


class Untexted(Protocol):
    """The parts of a PDF's pages without a text layer, read by OCR into the text in their place
    (load/mixed.py)."""

    def on(self, page: int) -> Sequence[Region]:
        """The parts of page `page` (1-based) to read by OCR, top to bottom."""

    def read(self, region: Region, out: TextBuilder, boxes: list[TextBox]) -> None:
        """OCR `region` into `out`, with the page boxes of what it read."""


def _render_page(page: Any, number: int, out: TextBuilder, boxes: list[TextBox],
                 untexted: Untexted | None = None) -> int:
    """Lay out one page, adding the page boxes of the numbers it prints to `boxes`; returns the
    number of text characters seen. The page's `untexted` parts are read by OCR in their place."""
    pictures = list(untexted.on(number)) if untexted is not None else []
    tables = _find_tables(page)
    bboxes = [t.bbox for t in tables]
    items: list[tuple[float, int, Any]] = []  # (top, order, payload)
    cell_boxes = [c for t in tables for c in t.cells]
    page_chars = page.chars
    for t in tables:
        items.append((t.bbox[1], 0, _table_rows(t, page_chars)))
    for r in pictures:
        items.append((r.top, 2, r))

    def outside_cells(obj: Obj) -> bool:
        if obj.get("object_type") != "char":
            return True
        if any(_inside(obj, (r.x0, r.top, r.x1, r.bottom)) for r in pictures):
            return False    # a few characters over a picture read by OCR (a caption, a mark)
        if not any(_inside(obj, b) for b in bboxes):
            return True
        # inside a table's box but in no cell (an unclosed border): keep it as running text
        return not any(_inside(obj, c) for c in cell_boxes)

    rest = page.filter(outside_cells)
    words = rest.extract_words(keep_blank_chars=False, use_text_flow=False, x_tolerance=0.5,
                               y_tolerance=3, return_chars=True)
    n_chars = len(page.chars)
    pending: list[list[Segment]] = []
    pending_top = 0.0
    for ln in _cluster_lines(words):
        text = _line_text(ln)
        if is_page_number(text, ln.top, ln.bottom, page.height):
            continue
        segs = _segments(ln)
        if _looks_tabular([t for _, _, t, _ in segs]):
            # no ruling lines: a row of wide-gapped segments with numbers is a table row
            if not pending:
                pending_top = ln.top
            pending.append(segs)
            continue
        if pending:
            items.append((pending_top, 0, _gap_table(pending)))
            pending = []
        items.append((ln.top, 1, (text, [c for w in ln.words for c in w.get("chars", [])])))
    if pending:
        items.append((pending_top, 0, _gap_table(pending)))
    items.sort(key=lambda it: (it[0], it[1]))
    for _, kind, payload in items:
        if kind == 0:
            rows, chars = payload
            grids = len(out.grids)
            out.table(rows, page=number)
            if len(out.grids) > grids:
                boxes.extend(_grid_boxes(out.grids[-1].rows, chars, number))
        elif kind == 2:
            assert untexted is not None
            untexted.read(payload, out, boxes)
        else:
            text, chars = payload
            start = out.pos
            out.line(text)
            if out.pos > start:
                boxes.extend(number_boxes(text, start, chars, number))
    return n_chars


def _grid_boxes(rows: list[list[GridCell]], ink: list[list[CellInk]], page: int) -> list[TextBox]:
    out: list[TextBox] = []
    for row, row_ink in zip(rows, ink):
        for cell, (cs, frame) in zip(row, row_ink):
            if cell.span is None:
                continue
            if not cell.text and frame is not None:
                # an empty cell (read as a blank): its frame, so the page can show where it is
                out.append(TextBox(start=cell.span.start, end=cell.span.start,
                                   box=PageBox(page=page, x0=frame[0], y0=frame[1], x1=frame[2], y1=frame[3])))
            if not cs:
                continue
            whole = (min(c["x0"] for c in cs), min(c["top"] for c in cs),
                     max(c["x1"] for c in cs), max(c["bottom"] for c in cs))
            out.extend(number_boxes(cell.text, cell.span.start, cs, page, fallback=whole))
    return out


def _decode_pdf_string(value: Any) -> str | None:
    """PDF info strings: UTF-16 with BOM, else PDFDocEncoding (≈ latin-1)."""
    if isinstance(value, bytes):
        if value.startswith((b"\xfe\xff", b"\xff\xfe")):
            return value.decode("utf-16", errors="replace")
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("latin-1")
    return value if isinstance(value, str) else None


def _pdf_title(pdf: Any) -> str | None:
    try:
        info = pdf.doc.info[0] if pdf.doc.info else {}
        raw = info.get("Title")
        if raw is not None and hasattr(raw, "resolve"):
            raw = raw.resolve()
        title = _decode_pdf_string(raw)
    except Exception:  # damaged info dictionary: the title is optional
        return None
    return trim_title((title or "").replace("\x00", ""))


def load_pdf(data: bytes, name: str, untexted: Untexted | None = None) -> Document:
    """A PDF read from its text layer; the parts `untexted` names (pages or pictures without a
    text layer) are read by OCR in their place. Raises NoTextLayerError when there is no text
    at all."""
    import pdfplumber  # local import: pdfminer is slow to import and only needed for PDFs
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # font warnings are noise here
    truncated = b"%%EOF" not in data[-2048:]
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as e:
        # pdfplumber wraps pdfminer's errors in PdfminerException(original)
        inner = e.args[0] if e.args and isinstance(e.args[0], Exception) else e
        if isinstance(inner, (PDFPasswordIncorrect, PDFEncryptionError)):
            raise LoadError(name, "encrypted PDF: it needs a password to open; remove the protection "
                            "(e.g. qpdf --decrypt in.pdf out.pdf) and try again") from e
        raise LoadError(name, _corrupt_reason(truncated, inner)) from e
    with pdf:
        try:
            pages = pdf.pages
        except Exception as e:
            raise LoadError(name, _corrupt_reason(truncated, e)) from e
        if not pages:
            raise LoadError(name, _corrupt_reason(truncated, None))
        if getattr(pdf.doc, "encryption", None) and not pdf.doc.is_extractable:
            raise LoadError(name, "encrypted PDF that forbids text extraction; remove the protection "
                            "(e.g. qpdf --decrypt in.pdf out.pdf) and try again")
        out = TextBuilder()
        boxes: list[TextBox] = []
        chars = 0
        images = 0
        for i, page in enumerate(pages, start=1):
            try:
                chars += _render_page(page, i, out, boxes, untexted)
                images += len(page.images)
            except LoadError:
                raise
            except Exception as e:
                raise LoadError(name, f"page {i} cannot be read: {_corrupt_reason(truncated, e)}") from e
            finally:
                page.close()
        title = _pdf_title(pdf)
    if not title or not re.search(r"\d{4}", title):
        # generic metadata ('政府信息公开工作年度报告'): the first lines usually name agency and year
        title = guess_title(out.text.split("\n", 40)[:40]) or title
    if not out.text.strip():
        if images or chars == 0:
            raise NoTextLayerError(name, f"image-only PDF: no text layer ({len(pages)} pages"
                            f"{f', {images} images' if images else ''}); OCR it first "
                            "(e.g. ocrmypdf -l chi_sim in.pdf out.pdf)")
        raise LoadError(name, "PDF with no readable text")
    return Document(source=name, format="pdf", text=out.text, grids=out.grids, title=title,
                    pages=len(pages), boxes=sorted(boxes, key=lambda b: (b.start, b.end)))


def _corrupt_reason(truncated: bool, e: Exception | None) -> str:
    what = "truncated PDF (no %%EOF marker at the end)" if truncated else "corrupt PDF"
    detail = f" ({type(e).__name__}{': ' + str(e) if str(e) else ''})" if e else " (no pages found)"
    return f"{what}{detail}; get a complete copy of the file"
