"""Section 四 by rules: the 15 numbers of 行政复议 / 行政诉讼, glued runs split by the 总计 cells."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from .labels import loose
from .split import Piece, read_cells
from .tokens import Token, has_label_text, row_tokens, trim_empty

N = 15
# the header's first words; when a conversion scrambled them (dev/005), its other column names
_HEADER_STARTS = [re.compile(loose(w)) for w in ("结果维持", "尚未审结", "未经复议直接起诉", "复议后起诉")]
_HEADER_WORDS = re.compile("|".join(loose(w) for w in (
    "政府信息公开行政复议", "行政复议", "行政诉讼", "结果维持", "结果纠正", "其他结果", "尚未审结",
    "总计", "未经复议直接起诉", "复议后起诉", "直接起诉", "复议", "诉讼", "情况", "数量", "项目", "类别",
)))
_SECTION_FIVE = re.compile(r"五\s*[、.]\s*[^\d\s]")
_NOISE = re.compile(r"[\s|#*:：（）()\-—/、,，.]+")


@dataclass
class Table4:
    status: Literal["ok", "absent", "ambiguous", "unreadable"]
    tokens: list[Token] = field(default_factory=list)
    candidates: list[list[Piece]] = field(default_factory=list)
    chosen: list[Piece] | None = None
    header_span: tuple[int, int] | None = None
    note: str = ""


def _header_like(s: str) -> bool:
    """True when s is only header vocabulary / punctuation (no prose)."""
    rest = _NOISE.sub("", _HEADER_WORDS.sub("", s))
    return not has_label_text(rest)


def _groups_ok(v: list) -> bool:
    return all(sum(v[i * 5:i * 5 + 4]) == v[i * 5 + 4] for i in range(3))


def extract_table4(text: str, start: int) -> Table4:
    """Read section 四's table, searching from `start` (the end of section 三's table)."""
    h = None
    for rx in _HEADER_STARTS:
        h = rx.search(text, start)
        if h is not None:
            break
    if h is None:
        return Table4(status="absent", note="the 行政复议/行政诉讼 table (结果维持 …) was not found")
    five = _SECTION_FIVE.search(text, h.end())
    end = five.start() if five else len(text)
    raw = row_tokens(text, h.start(), end)
    tokens: list[Token] = []
    prev = h.start()
    for t in raw:
        if not _header_like(text[prev:t.start]):
            if tokens:
                break           # prose after the table
            # prose between header and numbers: keep looking only while nothing was read
        tokens.append(t)
        prev = t.end
        if len(tokens) > N + 5:
            break
    tokens = trim_empty(tokens, N)
    table = Table4(status="ok", tokens=tokens, header_span=(h.start(), h.end()))
    if not tokens:
        table.status = "unreadable"
        table.note = "no numbers after the 行政复议/行政诉讼 header"
        return table
    r = read_cells(tokens, N, sums=_groups_ok, sums_text="the three 总计 cells (each the sum of its four results)")
    table.status = r.status if r.status != "blank" else "ok"  # type: ignore[assignment]
    table.chosen, table.candidates, table.note = r.chosen, r.candidates or [], r.note
    return table
