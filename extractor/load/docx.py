"""DOCX inputs (python-docx): paragraphs and tables in body order, merged cells printed once."""

from __future__ import annotations

import io
import zipfile

from ..document import Document
from ..errors import LoadError
from .render import Cell, TextBuilder, collapse
from .text import trim_title

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _para_text(p) -> str:  # p: lxml w:p element
    """Text of one paragraph: runs' w:t, tabs as spaces, w:br as newlines."""
    parts: list[str] = []
    for node in p.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr", f"{_W}noBreakHyphen"):
        tag = node.tag
        if tag == f"{_W}t":
            parts.append(node.text or "")
        elif tag == f"{_W}tab":
            parts.append(" ")
        elif tag == f"{_W}noBreakHyphen":
            parts.append("-")
        else:
            parts.append("\n")
    return "".join(parts)


def _cell_text(tc) -> str:
    """All paragraphs of a cell (nested tables included, flattened), CJK-aware collapse."""
    return collapse("\n".join(_para_text(p) for p in tc.iter(f"{_W}p"))).strip()


def _table_rows(table) -> list[list[Cell]]:
    """Rows of origin cells. python-docx repeats the same w:tc for merges: keep its first place.

    Keys are the w:tc elements themselves (held, so lxml keeps one proxy per node; id() of a
    transient proxy could be reused).
    """
    seen: dict[object, Cell] = {}
    rows: list[list[Cell]] = []
    for row in table.rows:
        out: list[Cell] = []
        row_seen: set[object] = set()
        for cell in row.cells:
            tc = cell._tc
            if tc in row_seen:
                continue  # horizontal merge (gridSpan) repeats the cell within the row
            row_seen.add(tc)
            if tc in seen:
                seen[tc].rowspan += 1  # vertical merge continuation: counted, not printed
                continue
            c = Cell(_cell_text(tc), colspan=max(1, cell.grid_span))
            seen[tc] = c
            out.append(c)
        rows.append(out)
    return rows


def load_docx(data: bytes, name: str) -> Document:
    import docx  # local import: python-docx is only needed for DOCX inputs
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise LoadError(name, f"corrupt DOCX ({type(e).__name__}: {e}); open and re-save it in Word "
                        "or LibreOffice") from e
    except Exception as e:  # lxml XMLSyntaxError and python-docx's own errors on damaged parts
        raise LoadError(name, f"corrupt DOCX ({type(e).__name__}: {e}); open and re-save it in Word "
                        "or LibreOffice") from e
    out = TextBuilder()
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == f"{_W}p":
            for line in _para_text(child).split("\n"):
                out.line(line)
        elif child.tag == f"{_W}tbl":
            out.table(_table_rows(Table(child, document)))
        elif child.tag == f"{_W}sdt":  # content controls wrap paragraphs/tables
            for p in child.iter(f"{_W}p"):
                out.line(_para_text(p))
    if not out.text.strip():
        raise LoadError(name, "DOCX with no text (empty document, or only images: OCR it first)")
    title = trim_title(document.core_properties.title) or _first_title(out.text)
    return Document(source=name, format="docx", text=out.text, grids=out.grids, title=title)


def _first_title(text: str) -> str | None:
    from .text import guess_title

    return guess_title(text.split("\n", 200)[:200])
