"""Section 四 by rules: the 15 numbers of 行政复议 / 行政诉讼, glued runs split by the 总计 cells."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import permutations
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


# every character of the header's words: reading-order text breaks them anywhere ('其他结' / '果')
_HEADER_CHARS = frozenset("".join(re.sub(r"\\s\*", "", w) for w in _HEADER_WORDS.pattern.split("|")))


def _header_like(s: str) -> bool:
    """True when s is only header vocabulary / punctuation (no prose), its words whole or broken."""
    rest = _NOISE.sub("", _HEADER_WORDS.sub("", s))
    return not has_label_text(rest) or all(c in _HEADER_CHARS for c in rest)


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
    if table.chosen is not None and len(tokens) == N and not _groups_ok([p.value for p in table.chosen]):
        _reorder_chunks(text, table)
    return table


def _reorder_chunks(text: str, table: Table4) -> None:
    """Reading-order text can print the table's numbers in runs separated by header words, in the
    order the producer drew them, not the table's ('72 64 178 37 | 结果 … | 12 1 1 6 | 总计 351 …').
    When such runs do not fall on the three groups of five and the numbers as read do not add up,
    the order is not the table's: the arrangements of the runs that make every 总计 the sum of
    its four results are the readings (one: placed by position; several: ambiguous, the closest
    to the printed order first); none: the numbers stay as read but not as printed."""
    tokens = table.tokens
    runs: list[list[int]] = [[0]]
    for i in range(1, len(tokens)):
        if has_label_text(text[tokens[i - 1].end:tokens[i].start]):
            runs.append([])
        runs[-1].append(i)
    if len(runs) < 2 or all(run[0] % 5 == 0 and len(run) % 5 == 0 for run in runs) or len(runs) > 7:
        return
    assert table.chosen is not None
    pieces = table.chosen
    found: dict[tuple[int, ...], tuple[int, list[Piece]]] = {}
    for order in permutations(range(len(runs))):
        idx = [i for r in order for i in runs[r]]
        values = [int(pieces[i].value) for i in idx]
        if not _groups_ok(values):
            continue
        inversions = sum(1 for a in range(len(order)) for b in range(a + 1, len(order)) if order[a] > order[b])
        key = tuple(values)
        if key not in found or inversions < found[key][0]:
            found[key] = (inversions, [Piece(pieces[i].value, pieces[i].start, pieces[i].end, "position")
                                       for i in idx])
    readings = [p for _, p in sorted(found.values(), key=lambda t: t[0])]
    printed = "; ".join(" ".join(tokens[i].text for i in run) for run in runs)
    if len(readings) == 1:
        table.chosen, table.candidates = readings[0], readings
        table.note = (f"the numbers are printed in runs apart from their headers ({printed}): placed in "
                      "the one order of the runs that makes every 总计 the sum of its results")
        return
    if readings:
        table.status, table.chosen, table.candidates = "ambiguous", None, readings
        table.note = (f"the numbers are printed in runs apart from their headers ({printed}): "
                      f"{len(readings)} orders of the runs make every 总计 the sum of its results")
        return
    table.chosen = [Piece(p.value, p.start, p.end, "position") for p in pieces]
    table.note = (f"the numbers are printed in runs apart from their headers ({printed}) and no order "
                  "of the runs adds up: read in printed order, which may not be the table's")
