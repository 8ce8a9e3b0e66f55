"""Read the numbers of one table row out of a stretch of normalised text, cell-aware."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..document import CELL_SEP
from ..pagemarks import is_page_mark

Kind = Literal["cell", "run", "blank", "garbled"]

# a number as printed: digits, optional thousands separators, optional decimals
# a leading "-" directly before digits is a minus sign (2019 template: 本年增/减 can be negative)
# thousands separators only as a whole ('1,234', not the '1,234' of '1,2345' or '1,234,5')
_NUM = re.compile(r"(?<![\d.])-?(?:\d{1,3}(?:,\d{3})+(?![\d,])(?:\.\d+)?|\d+(?:\.\d+)?)|(?<=\d)-\d+(?:\.\d+)?")
# characters that never belong in a table cell: left-over or broken markup ('e="…">25')
_MARKUP = re.compile(r"[<>=]|&#?\w+;")
_BLANK_MARKS = {"", "-", "--", "—", "——", "–", "/", "无", "－", "―", "\\", "0.00"}
# '无' only standing alone: after a bracket it is the start of a wrapped label ('（四）无 / 法提供')
_FREE_BLANK = re.compile(r"(?<![\w\-—/])(?:—+|-{1,2}|/|(?<![^\s|])无)(?![\w\-—/])")
_YEAR = re.compile(r"(?:19|20)\d\d")
_CJK_OR_LETTER = re.compile(r"[^\W\d_]")
# a row's own number, never a value: a short number before 、 or a full stop, whether its label
# follows ('2、申请人…', '3. 要求提供…') or precedes it ('属于国家秘密 1.'), or it stands on a line
# of its own in a wrapped label
_ORDINAL_AFTER = re.compile(r"\s*(?:、|\.(?!\d))")
# a value cell may carry its unit: '75394432.52元', '12件'
_UNIT_CELL = re.compile(r"\s*(-?[\d.,]+)\s*(?:万元|元|件|个|条|项|次|人次)\s*")


@dataclass(frozen=True)
class Token:
    """One printed number, blank cell, or glued digit run, with its place in the text."""

    kind: Kind          # cell: a grid cell holding one number; run: digits in running text
                        # (may be several numbers glued together); blank: empty/'-'/'无' = 0;
                        # garbled: a cell holding something that is neither (broken markup)
    text: str
    start: int
    end: int

    @property
    def digits(self) -> str:
        return self.text.replace(",", "").lstrip("-")


def has_label_text(s: str) -> bool:
    """True when the string holds letters/CJK (a label, not a value)."""
    return bool(_CJK_OR_LETTER.search(s))


def row_tokens(text: str, start: int, end: int, *, stop_at_text: bool = False) -> list[Token]:
    """The value tokens of text[start:end].

    Grid lines (cells separated by TAB) give one token per value cell: cells after the last label
    cell of the line; empty or '-' cells are blanks. Running text gives digit runs (possibly glued)
    and free-standing '—', '/', '无' as blanks. With stop_at_text, reading stops at the first label
    text that follows a value (the end of the last row of a table).
    """
    tokens: list[Token] = []
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        line_end = end if nl < 0 else nl
        line = text[pos:line_end]
        if CELL_SEP in line:
            stop = _grid_line(text, pos, line_end, tokens, stop_at_text)
        elif is_page_mark(line):
            stop = False    # '- 3 -' between two rows of a table cut by a page break
        else:
            stop = _free_text(text, pos, line_end, tokens, stop_at_text)
        if stop:
            break
        pos = line_end + 1
    return tokens


def _grid_line(text: str, start: int, end: int, out: list[Token], stop_at_text: bool) -> bool:
    cells: list[tuple[int, int]] = []
    cs = start
    for i in range(start, end + 1):
        if i == end or text[i] == CELL_SEP:
            cells.append((cs, i))
            cs = i + 1
    # reading from the middle of a line (just after a row label): the rest of the first cell is
    # the label's own cell, never a value
    last_label = 0 if start > 0 and text[start - 1] != "\n" else -1
    for idx, (a, b) in enumerate(cells):
        cell = text[a:b]
        if has_label_text(cell) and cell.strip() not in _BLANK_MARKS and not _UNIT_CELL.fullmatch(cell) \
                and not _MARKUP.search(cell):
            last_label = idx
    if stop_at_text and out and last_label >= 0:
        return True
    # empty cells are kept (a blank 总计 is a printed 0); surplus ones at the ends of a ragged
    # row are dropped by trim_empty, which knows how many cells the row has
    values = cells[last_label + 1:]
    if last_label < 0 and not any(text[a:b].strip() for a, b in values):
        return False
    for a, b in values:
        raw = text[a:b]
        s = raw.strip()
        lead = len(raw) - len(raw.lstrip())
        if s in _BLANK_MARKS:
            out.append(Token("blank", s, a + lead, a + lead + len(s)))
            continue
        if _MARKUP.search(s):
            # not an empty cell, not a number: never read as 0 (nor as the digits inside it)
            out.append(Token("garbled", s, a + lead, a + lead + len(s)))
            continue
        m = _NUM.fullmatch(s) or _UNIT_CELL.fullmatch(s)
        if m:
            num = m.group(1) if m.re is _UNIT_CELL else s
            out.append(Token("cell", num, a + lead, a + lead + len(num)))
        else:
            # a cell holding several numbers (e.g. '0 0'): read it as running text
            _free_text(text, a, b, out, False)
    return False


def _free_text(text: str, start: int, end: int, out: list[Token], stop_at_text: bool) -> bool:
    segment = text[start:end]
    items: list[tuple[int, int, Kind]] = []
    for m in _NUM.finditer(segment):
        a, b = m.start(), m.end()
        if b - a <= 2 and _ORDINAL_AFTER.match(segment, b) and not segment[a - 1:a].isdigit():
            continue
        if segment.startswith("年", b):
            # '…20000022025年，我局…': a year glued after the last row's digits is text, not a value
            y = segment[a:b]
            if len(y) > 4 and _YEAR.fullmatch(y[-4:]):
                b -= 4
            elif _YEAR.fullmatch(y):
                continue
        items.append((a, b, "run"))
    for m in _FREE_BLANK.finditer(segment):
        items.append((m.start(), m.end(), "blank"))
    for m in _MARKUP.finditer(segment):
        items.append((m.start(), m.end(), "garbled"))
    items.sort()
    prev_end = 0
    for a, b, kind in items:
        if stop_at_text and out and has_label_text(segment[prev_end:a]):
            return True
        out.append(Token(kind, segment[a:b], start + a, start + b))
        prev_end = b
    if stop_at_text and out and has_label_text(segment[prev_end:]):
        return True
    return False


def trim_empty(tokens: list[Token], n: int) -> list[Token]:
    """Drop empty cells at either end while there are more than n tokens: a label cell spanning
    two columns leaves an empty cell before the numbers in some PDF/Word tables."""
    toks = list(tokens)
    while len(toks) > n and toks[0].kind == "blank" and toks[0].text == "":
        toks.pop(0)
    while len(toks) > n and toks[-1].kind == "blank" and toks[-1].text == "":
        toks.pop()
    return toks
