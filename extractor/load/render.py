"""Shared by the loaders: cell-text clean-up and the builder that lays out lines and TAB rows."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..document import CELL_SEP, Grid, GridCell, Span

_WS = re.compile(r"[ \t\r\n\f\v\u00a0\u2002\u2003\u2009\u3000\u200b]+")
# CJK ideographs, CJK/fullwidth punctuation, and the general punctuation that sits between them
# (“” ‘’ … —): a whitespace run between two of these is a layout artefact, not a word break.
_CJK = re.compile(r"[\u2010-\u206f\u2e80-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")


def is_cjk(ch: str) -> bool:
    return bool(_CJK.match(ch))


def join_cjk(left: str, right: str) -> str:
    """Join two text runs: no space between CJK characters, one space otherwise."""
    if not left:
        return right
    if not right:
        return left
    if is_cjk(left[-1]) or is_cjk(right[0]):
        return left + right
    return left + " " + right


def collapse(text: str) -> str:
    """Collapse whitespace (incl. newlines, nbsp) inside one cell or HTML line.

    A run between two CJK characters is dropped ('商业\\n企业' -> '商业企业'); elsewhere it becomes one
    space ('2023 年' stays readable, '12 34' stays two numbers).
    """
    text = text.replace("\u200b", "").replace("\ufeff", "")
    out: list[str] = []
    pos = 0
    for m in _WS.finditer(text):
        out.append(text[pos:m.start()])
        before = text[m.start() - 1] if m.start() > 0 else ""
        after = text[m.end()] if m.end() < len(text) else ""
        if before and after and not (is_cjk(before) and is_cjk(after)):
            out.append(" ")
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


@dataclass
class Cell:
    """One cell at its origin, before it is placed in the text."""

    text: str
    rowspan: int = 1
    colspan: int = 1


class TextBuilder:
    """Accumulates lines and tables into `Document.text`, recording each grid cell's span."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._pos = 0
        self.grids: list[Grid] = []

    def _emit(self, s: str) -> None:
        self._parts.append(s)
        self._pos += len(s)

    def line(self, text: str, keep_blank: bool = False) -> None:
        """Append one line of running text (a line of only whitespace is skipped unless kept)."""
        text = text.replace("\t", " ").rstrip()
        if text.strip() or keep_blank:
            self._emit(text + "\n")

    def table(self, rows: list[list[Cell]], page: int | None = None) -> None:
        """Append a table: one line per row, cells joined by TAB, a spanned cell once at its origin.

        A row whose cells are all empty is kept in the grid but not printed (it carries nothing).
        """
        if not rows:
            return
        start = self._pos
        grid_rows: list[list[GridCell]] = []
        for row in rows:
            cells = [GridCell(text=c.text, rowspan=c.rowspan, colspan=c.colspan) for c in row]
            grid_rows.append(cells)
            if not any(c.text for c in cells):
                continue
            for i, cell in enumerate(cells):
                if i:
                    self._emit(CELL_SEP)
                cell.span = Span(start=self._pos, end=self._pos + len(cell.text))
                self._emit(cell.text)
            self._emit("\n")
        if self._pos > start:
            self.grids.append(Grid(rows=grid_rows, span=Span(start=start, end=self._pos), page=page))

    @property
    def pos(self) -> int:
        """Where the next line or table starts in the text."""
        return self._pos

    @property
    def text(self) -> str:
        return "".join(self._parts)
