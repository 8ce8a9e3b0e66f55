"""Section 四 by rules: the 15 numbers of 行政复议 / 行政诉讼 in the arrangement the report prints
them (one row, a small table per group, a transposed table, or sentences), glued runs split by the
总计 cells."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import permutations
from typing import Literal

from ..messages import Message, msg
from .labels import loose
from .split import Piece, read_cells
from .table4_prose import GROUP_NAMES as _GROUP
from .table4_prose import ProseReading, read_prose
from .tokens import Token, has_label_text, row_tokens, trim_empty

N = 15
GROUPS = ("review", "litigation_direct", "litigation_after_review")
Arrangement = Literal["row", "groups", "transposed", "prose", ""]

# the header's first words; when a conversion scrambled them (dev/005), its other column names
_HEADER_STARTS = [re.compile(loose(w)) for w in ("结果维持", "尚未审结", "未经复议直接起诉", "复议后起诉")]
_HEADER_WORDS = re.compile("|".join(loose(w) for w in (
    "政府信息公开行政复议", "行政复议", "行政诉讼", "结果维持", "结果纠正", "其他结果", "尚未审结",
    "总计", "未经复议直接起诉", "复议后起诉", "直接起诉", "复议", "诉讼", "情况", "数量", "项目", "类别",
)))
_SECTION_FOUR = re.compile(r"四\s*[、.．]\s*(?:政府信息公开)?\s*" + loose("行政复议"))
_SECTION_FIVE = re.compile(r"五\s*[、.]\s*[^\d\s]")
_NOISE = re.compile(r"[\s|#*:：（）()\-—/、,，.]+")

# the five columns, each a row label in a transposed table
_COLUMN = re.compile("|".join(f"(?P<c{i}>{loose(w)})" for i, w in enumerate(
    ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计"))))


@dataclass
class Table4:
    status: Literal["ok", "absent", "ambiguous", "unreadable"]
    tokens: list[Token] = field(default_factory=list)
    candidates: list[list[Piece]] = field(default_factory=list)
    chosen: list[Piece] | None = None
    header_span: tuple[int, int] | None = None
    note: Message | None = None
    arrangement: Arrangement = ""
    labels: list[str | None] | None = None   # per cell, the words it was read beside (prose)
    litigation_total: Piece | None = None    # 行政诉讼 N件 stated in prose (direct + after review)
    section_span: tuple[int, int] | None = None  # section 四, heading to section 五


# every character of the header's words: reading-order text breaks them anywhere ('其他结' / '果')
_HEADER_CHARS = frozenset("".join(re.sub(r"\\s\*", "", w) for w in _HEADER_WORDS.pattern.split("|")))


def _header_like(s: str) -> bool:
    """True when s is only header vocabulary / punctuation (no prose), its words whole or broken."""
    rest = _NOISE.sub("", _HEADER_WORDS.sub("", s))
    return not has_label_text(rest) or all(c in _HEADER_CHARS for c in rest)


def _groups_ok(v: list) -> bool:
    return all(sum(v[i * 5:i * 5 + 4]) == v[i * 5 + 4] for i in range(len(v) // 5))


def _has_data(tokens: list[Token]) -> bool:
    """A number or a printed zero mark ('—', '无'); the empty cells of a header row are not data."""
    return any(t.kind != "blank" or t.text for t in tokens)


def extract_table4(text: str, start: int) -> Table4:
    """Read section 四, searching from `start` (the end of section 三's table).

    The arrangement is told by where the numbers stand: after each group's name (a small table
    per group), after each column's name (a transposed table), all after the header (one row), or
    inside sentences with their units (prose)."""
    # section 三's table ends where this section's heading names 行政复议: look a little before
    sec = _SECTION_FOUR.search(text, max(0, start - 20))
    sec_start = sec.start() if sec else start
    five = _SECTION_FIVE.search(text, sec.end() if sec else start)
    sec_end = five.start() if five else len(text)
    for reader in (_read_groups, _read_transposed):
        table = reader(text, sec_start, sec_end)
        if table is not None:
            table.section_span = (sec_start, sec_end)
            return table
    row = _read_row(text, start)
    row.section_span = (sec_start, sec_end)
    if row.status == "ok" and not _looks_like_prose(text, row) and not any(
            p.method == "absent_cell" for p in row.chosen or []):
        return row
    if sec is not None:
        prose = read_prose(text, sec.start(), sec_end)
        if prose is not None:
            return _from_prose(prose, (sec_start, sec_end))
    return row


def _looks_like_prose(text: str, table: Table4) -> bool:
    return _in_sentences(text, table.tokens)


def _in_sentences(text: str, tokens: list[Token]) -> bool:
    """Numbers standing in sentences, followed by their unit ('结果维持1件'), are not table cells."""
    return any(t.kind == "run" and re.match(r"\s*[件起宗个例次]", text[t.end:t.end + 3]) for t in tokens)


def _read_row(text: str, start: int) -> Table4:
    """One row of 15 numbers after the header (the national template's arrangement)."""
    h = None
    for rx in _HEADER_STARTS:
        h = rx.search(text, start)
        if h is not None:
            break
    if h is None:
        return Table4(status="absent", note=msg("table4_not_found"))
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
    table = Table4(status="ok", tokens=tokens, header_span=(h.start(), h.end()), arrangement="row")
    if not tokens:
        table.status = "unreadable"
        table.note = msg("table4_no_numbers")
        return table
    r = read_cells(tokens, N, sums=_groups_ok, sums_said=msg("sums_table4_totals"))
    table.status = r.status if r.status != "blank" else "ok"  # type: ignore[assignment]
    table.chosen, table.candidates, table.note = r.chosen, r.candidates or [], r.note
    if table.chosen is not None and len(tokens) == N and not _groups_ok([p.value for p in table.chosen]):
        if not _reorder_chunks(text, table):
            _one_out_of_place(table)
    return table


def _one_out_of_place(table: Table4) -> None:
    """Numbers in running text (not table cells) whose sums break, yet add up once a single number
    is moved elsewhere: the break is more likely the producer's reading order than the report's
    (pdftotext without -layout draws a cell late). Those arrangements are the readings, and the
    numbers as read are not taken as printed."""
    assert table.chosen is not None
    pieces = table.chosen
    if any(t.kind == "cell" for t in table.tokens):
        return                  # a grid keeps its order: a break there is printed
    found: dict[tuple[int, ...], list[Piece]] = {}
    for i in range(N):
        for j in range(N):
            if i == j:
                continue
            order = list(range(N))
            order.insert(j, order.pop(i))
            values = tuple(int(pieces[k].value) for k in order)
            if values not in found and _groups_ok(list(values)):
                found[values] = [Piece(pieces[k].value, pieces[k].start, pieces[k].end, "position") for k in order]
    if not found:
        return
    readings = list(found.values())
    printed = " ".join(t.text for t in table.tokens)
    if len(readings) == 1:
        table.chosen, table.candidates = readings[0], readings
    else:
        table.status, table.chosen, table.candidates = "ambiguous", None, readings
    table.note = msg("table4_one_moved", printed=printed, n=len(readings))


def _reorder_chunks(text: str, table: Table4) -> bool:
    """Reading-order text can print the table's numbers in runs separated by header words, in the
    order the producer drew them, not the table's ('72 64 178 37 | 结果 … | 12 1 1 6 | 总计 351 …').
    When such runs do not fall on the three groups of five and the numbers as read do not add up,
    the order is not the table's: the arrangements of the runs that make every 总计 the sum of
    its four results are the readings (one: placed by position; several: ambiguous, the closest
    to the printed order first); none: the numbers stay as read but not as printed. False when
    the numbers are not printed in such runs."""
    tokens = table.tokens
    runs: list[list[int]] = [[0]]
    for i in range(1, len(tokens)):
        if has_label_text(text[tokens[i - 1].end:tokens[i].start]):
            runs.append([])
        runs[-1].append(i)
    if len(runs) < 2 or all(run[0] % 5 == 0 and len(run) % 5 == 0 for run in runs) or len(runs) > 7:
        return False
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
    printed = [" ".join(tokens[i].text for i in run) for run in runs]
    if len(readings) == 1:
        table.chosen, table.candidates = readings[0], readings
        table.note = msg("table4_runs_one_order", runs=printed)
        return True
    if readings:
        table.status, table.chosen, table.candidates = "ambiguous", None, readings
        table.note = msg("table4_runs_orders", runs=printed, n=len(readings))
        return True
    table.chosen = [Piece(p.value, p.start, p.end, "position") for p in pieces]
    table.note = msg("table4_runs_no_order", runs=printed)
    return True


def _read_groups(text: str, start: int, end: int) -> Table4 | None:
    """A small table (or a row) per group: 行政复议 …5 numbers, 未经复议直接起诉 …5, 复议后起诉 …5,
    or 行政复议 …5 and 行政诉讼 …10. None unless the numbers stand after two or more of the groups'
    names, each group's numbers reading as its five cells (glued ones split by its 总计)."""
    anchors = [(m.start(), m.end(), m.lastgroup or "") for m in _GROUP.finditer(text, start, end)]
    blocks: list[tuple[list[str], list[Token], tuple[int, int]]] = []
    named: list[str] = []
    for i, (a, b, kind) in enumerate(anchors):
        if kind != "litigation" and kind not in named:
            named.append(kind)
        seg_end = anchors[i + 1][0] if i + 1 < len(anchors) else end
        tokens = row_tokens(text, b, seg_end, stop_at_text=True)
        if not _has_data(tokens):
            continue
        if not named and kind == "litigation":
            named = ["litigation_direct", "litigation_after_review"]
        blocks.append((named, tokens, (a, b)))
        named = []
    if len(blocks) < 2 or any(_in_sentences(text, tokens) for _, tokens, _ in blocks):
        return None
    order = [g for groups, _, _ in blocks for g in groups]
    if sorted(order) != sorted(GROUPS):
        return None
    cells: dict[str, list[Piece]] = {}
    all_tokens: list[Token] = []
    for groups, tokens, _ in blocks:
        n = 5 * len(groups)
        tokens = trim_empty(tokens, n)
        all_tokens += tokens
        if len(tokens) > 1 and len(tokens) != n:
            return None   # numbers apart from their groups' names: not this arrangement
        r = read_cells(tokens, n, sums=_groups_ok, sums_said=msg("sums_table4_group_totals"))
        if r.status not in ("ok", "blank") or r.chosen is None:
            return None
        for g, group in enumerate(groups):
            cells[group] = r.chosen[g * 5:(g + 1) * 5]
    chosen = [p for g in GROUPS for p in cells[g]]
    return Table4(status="ok", tokens=all_tokens, candidates=[chosen], chosen=chosen,
                  header_span=blocks[0][2], arrangement="groups",
                  note=msg("table4_groups"))


def _read_transposed(text: str, start: int, end: int) -> Table4 | None:
    """A transposed table: a row per result (结果维持 … 总计), a column per group, the groups
    named in the header in their printed order. None unless each of the five row names is
    followed by exactly three numbers."""
    cols = [(m.start(), m.end(), int((m.lastgroup or "c0")[1:])) for m in _COLUMN.finditer(text, start, end)]
    rows: dict[int, list[Token]] = {}
    first = None
    for i, (a, b, c) in enumerate(cols):
        seg_end = cols[i + 1][0] if i + 1 < len(cols) else end
        tokens = row_tokens(text, b, seg_end, stop_at_text=True)
        if not _has_data(tokens):
            continue
        tokens = trim_empty(tokens, 3)
        if len(tokens) != 3 or c in rows:
            return None
        rows[c] = tokens
        first = a if first is None else first
    if sorted(rows) != list(range(5)) or first is None:
        return None
    header = [m.lastgroup or "" for m in _GROUP.finditer(text, start, first) if m.lastgroup != "litigation"]
    order = list(dict.fromkeys(header))
    if sorted(order) != sorted(GROUPS):
        return None
    # the last mention of each group before the table gives the column order
    last = {g: i for i, g in enumerate(header)}
    order = sorted(GROUPS, key=lambda g: last[g])
    cells: dict[tuple[str, int], Piece] = {}
    for c, tokens in rows.items():
        r = read_cells(tokens, 3)
        if r.status != "ok" or r.chosen is None:
            return Table4(status="unreadable", tokens=[t for ts in rows.values() for t in ts],
                          arrangement="transposed", note=msg("table4_transposed_row", row=c + 1, note=r.note))
        for g, p in zip(order, r.chosen):
            cells[(g, c)] = p
    chosen = [cells[(g, c)] for g in GROUPS for c in range(5)]
    return Table4(status="ok", tokens=[t for c in sorted(rows) for t in rows[c]], candidates=[chosen],
                  chosen=chosen, header_span=(cols[0][0], cols[0][1]), arrangement="transposed",
                  note=msg("table4_transposed"))


def _from_prose(p: ProseReading, span: tuple[int, int]) -> Table4:
    chosen = [p.cells.get((g, c)) or Piece(0, -1, -1, "absent_cell") for g in GROUPS for c in range(5)]
    labels: list[str | None] = [p.labels.get((g, c)) for g in GROUPS for c in range(5)]
    status: Literal["ok", "unreadable"] = "unreadable" if p.conflicts else "ok"
    stated = sum(1 for g in GROUPS for c in range(5) if (g, c) in p.cells)
    note = msg("table4_prose", stated=stated,
               conflicts=msg("table4_prose_conflicts", items=p.conflicts) if p.conflicts else None,
               unplaced=msg("table4_prose_unplaced", items=p.unplaced) if p.unplaced else None)
    return Table4(status=status, chosen=chosen if status == "ok" else None, candidates=[chosen],
                  header_span=span, note=note, arrangement="prose", labels=labels,
                  litigation_total=p.litigation_total, section_span=span)
