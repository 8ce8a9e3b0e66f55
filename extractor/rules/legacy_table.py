"""The old statistics table (政府信息公开情况统计表) of reports from before the national template.

    指标名称 计量单位 2018年度 历年累计
    主动公开文件数 条 2069 12106
    其中：1.政府网站公开数 条 2069 12106
    ...

Rows are found by their shape (a name, a unit, numbers), not by a fixed list, so indicators any
agency added are read too. Scraped pages glue everything (`主动公开文件数条206912106其中：1.…`):
a row's numbers then run into the next row's enumerator (`…2069121062.政府公报…`), which is
recognised and left to the label. A glued run of numbers is read only where its digits allow one
reading: no leading zeros, the cumulative column not below this year's, a `其中` group whose
parts add up to its total, or, for the headline rows, the report's own sentence stating this
year's figure with its unit. Otherwise the row stays unsettled with its readings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import product
from typing import Literal

from ..document import CELL_SEP
from ..legacy import LEGACY_KEYS
from ..messages import Message, msg

Role = Literal["this_year", "cumulative"]
Number = int | Decimal

_HEADER = re.compile(r"指\s*标\s*名\s*称\s*(?:计\s*量\s*)?单\s*位")
_COLUMN = re.compile(r"[ \t\u3000]*\n?[ \t\u3000]*(?P<col>(?:19|20)\d\d\s*年\s*度?|本\s*年\s*度?|历\s*年\s*累\s*计|累\s*计)")
_UNITS = "万元|人次|条|件|元|个|项|次|份|宗"
# a row: optional 其中：, optional enumerator, the name, the unit; then its numbers
_ROW = re.compile(
    rf"[\s]*(?P<sub>其\s*中\s*[:：]\s*)?(?:(?P<enum>\d)\s*[.、．]\s*)?"
    rf"(?P<name>[^\d\s:：.、．][^\d\t\n:：]*?)\s*(?P<unit>{_UNITS})(?=[\s\d]|$)")
# the numbers of a row in running text: up to the next row (其中, an enumerator, or a name)
_VALUES = re.compile(r"[\d \u3000.,]*?(?=\s*其\s*中\s*[:：]|\s*\d\s*[.、．]\s*[^\d\s]|\s*[^\d\s.,]|\s*$)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_BLANK = {"", "-", "--", "—", "——", "/", "无"}
MAX_COMBINATIONS = 20_000

# for the headline rows only: words a sentence must hold to state this year's figure
_EVIDENCE_WORDS: dict[str, tuple[str, ...]] = {
    "active_total": ("主动公开",),
    "active_website": ("主动公开",),
}
_CLAUSE = re.compile(r"[^，,；;。！!\n？?]+")


@dataclass(frozen=True)
class Cell:
    """One number of a row as printed (or one piece of a glued run)."""

    value: Number
    start: int
    end: int
    method: str          # grid_cell | text_token | split_run | blank_cell


Reading = tuple[Cell, ...]


@dataclass
class LegacyRow:
    name: str                          # as printed, whitespace removed
    name_span: tuple[int, int]
    enum: int | None
    unit: str
    values_span: tuple[int, int]
    key: str | None = None             # LEGACY_KEYS key
    parent: int | None = None          # index of the row this one is a part of (其中)
    readings: list[Reading] = field(default_factory=list)
    problem: Message | None = None     # why there is no reading at all
    chosen: Reading | None = None
    how: Message | None = None         # why this reading: as printed, its only reading, the table's sums, the text


@dataclass
class LegacyTable:
    span: tuple[int, int]
    columns: list[str]                 # the value columns as printed
    roles: list[Role]
    rows: list[LegacyRow]

    def children(self, i: int) -> list[int]:
        return [j for j, r in enumerate(self.rows) if r.parent == i]


# ---- the indicator names ----------------------------------------------------------------------

_KEY_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("active_total", re.compile(r"^主动公开(?:政府)?(?:文件|信息)数")),
    ("active_website", re.compile(r"^(?:政府)?网站公开(?:数)?$")),
    ("active_gazette", re.compile(r"^政府公报公开(?:数)?$")),
    ("applications_total", re.compile(r"^受理(?:政府信息)?依申请公开(?:信息)?总数$|^受理申请总数$")),
    ("applications_in_person", re.compile(r"^当面申请(?:数)?$")),
    ("applications_online", re.compile(r"^网上申请(?:数)?$")),
    ("applications_letter_fax", re.compile(r"^信函[、,，/]?传真申请(?:数)?$")),
    ("applications_letter", re.compile(r"^信函申请(?:数)?$")),
    ("applications_fax", re.compile(r"^传真申请(?:数)?$")),
    ("applications_email", re.compile(r"^电子邮件申请(?:数)?$")),
    ("applications_other", re.compile(r"^其[它他]形式申请(?:数)?$")),
    ("replies_total", re.compile(r"^对申请的答复(?:总)?数$")),
    ("replies_granted", re.compile(r"^同意公开答复(?:数)?$")),
    ("replies_partially_granted", re.compile(r"^同意部分公开答复(?:数)?$")),
    ("replies_refused", re.compile(r"^(?:不予|否决)公开答复(?:数)?$")),
    ("replies_other", re.compile(r"^其[它他]类型答复(?:数)?$")),
    ("fee_reductions_yuan", re.compile(r"^(?:政府信息公开)?收费(?:及|和)?减免金额$")),
    ("reviews", re.compile(r"^(?:政府信息公开)?行政复议(?:案件)?数$")),
    ("lawsuits", re.compile(r"^(?:政府信息公开)?行政诉讼(?:案件)?数$")),
    ("complaints", re.compile(r"^行政申诉(?:[、,，]?举报)?数$")),
]
assert {k for k, _ in _KEY_PATTERNS} == set(LEGACY_KEYS)


def key_of(name: str, unit: str) -> str | None:
    """The fixed key of an indicator name as printed, or None (kept by its name)."""
    for key, rx in _KEY_PATTERNS:
        if rx.search(name):
            if key == "fee_reductions_yuan" and unit != "元":
                return None
            return key
    return None


# ---- finding the table ------------------------------------------------------------------------

def find_legacy_table(text: str) -> LegacyTable | None:
    """The old statistics table in normalised text, its rows read and settled where the digits,
    the sums or the report's own sentences allow; None when there is none."""
    for m in _HEADER.finditer(text):
        columns, roles, pos = _columns(text, m.end())
        if not columns:
            continue
        rows, end = _rows(text, pos, len(columns))
        if len(rows) < 2:
            continue
        table = LegacyTable(span=(m.start(), end), columns=columns, roles=roles, rows=rows)
        _settle(table, text)
        return table
    return None


def _columns(text: str, pos: int) -> tuple[list[str], list[Role], int]:
    columns: list[str] = []
    roles: list[Role] = []
    while True:
        m = _COLUMN.match(text, pos)
        if not m:
            break
        col = re.sub(r"\s+", "", m.group("col"))
        role: Role = "cumulative" if "累计" in col else "this_year"
        if role in roles:
            break
        columns.append(col)
        roles.append(role)
        pos = m.end()
    if roles and roles[0] != "this_year":
        return [], [], pos
    return columns, roles, pos


def _rows(text: str, pos: int, n: int) -> tuple[list[LegacyRow], int]:
    rows: list[LegacyRow] = []
    end = pos
    group_parent: int | None = None
    while True:
        m = _ROW.match(text, pos)
        if not m:
            break
        name = re.sub(r"\s+", "", m.group("name"))
        if len(name) < 2:
            break
        enum = int(m.group("enum")) if m.group("enum") else None
        unit_end = m.end("unit")
        vstart, vend, cells_text, grid = _values(text, unit_end)
        row = LegacyRow(name=name, name_span=(m.start("name"), m.end("name")), enum=enum, unit=m.group("unit"),
                        values_span=(vstart, vend), key=key_of(name, m.group("unit")))
        if m.group("sub") and rows:
            # 其中: the parts of the last top-level row
            group_parent = len(rows) - 1 if rows[-1].parent is None else rows[-1].parent
        elif enum is None:
            group_parent = None
        row.parent = group_parent if enum is not None else None
        _readings(row, cells_text, grid, n)
        rows.append(row)
        end = vend if vend > vstart else unit_end
        pos = end
    return rows, end


def _values(text: str, pos: int) -> tuple[int, int, list[tuple[str, int]], bool]:
    """The numbers after a row's unit: (start, end, [(text, offset)], grid?)."""
    j = pos
    while j < len(text) and text[j] in " \u3000":
        j += 1
    if j < len(text) and text[j] == CELL_SEP:
        line_end = text.find("\n", j)
        line_end = len(text) if line_end < 0 else line_end
        cells: list[tuple[str, int]] = []
        start = j + 1
        for part in text[j + 1:line_end].split(CELL_SEP):
            lead = len(part) - len(part.lstrip())
            cells.append((part.strip(), start + lead))
            start += len(part) + 1
        while cells and cells[-1][0] == "" and len(cells) > 1:
            cells.pop()
        return j, line_end, cells, True
    m = _VALUES.match(text, pos)
    assert m is not None  # the pattern can match the empty string
    raw = m.group(0)
    cells = [(t.group(0), pos + t.start()) for t in re.finditer(r"\S+", raw)]
    return pos, pos + len(raw.rstrip()), cells, False


def _readings(row: LegacyRow, cells: list[tuple[str, int]], grid: bool, n: int) -> None:
    if grid:
        parsed: list[Cell] = []
        for s, at in cells[:n] if len(cells) >= n else cells:
            if s in _BLANK:
                parsed.append(Cell(0, at, at + len(s), "blank_cell"))
            elif _NUMBER.fullmatch(s):
                parsed.append(Cell(_parse(s), at, at + len(s), "grid_cell"))
            else:
                row.problem = msg("legacy_cell_not_number", text=s)
                return
        if len(cells) > n and any(s for s, _ in cells[n:]):
            row.problem = msg("legacy_cells_for_columns", cells=len(cells), columns=n)
        elif len(parsed) < n:
            row.problem = msg("legacy_numbers_for_columns", n=len(parsed), columns=n)
        else:
            row.readings = [tuple(parsed)]
        return
    if any(not _NUMBER.fullmatch(s) for s, _ in cells):
        row.problem = msg("legacy_numbers_unreadable", cells=[s for s, _ in cells])
        return
    if len(cells) == n:
        row.readings = [tuple(Cell(_parse(s), at, at + len(s), "text_token") for s, at in cells)]
    elif len(cells) == 1 and n > 1 and "." not in cells[0][0] and len(cells[0][0]) >= n:
        s, at = cells[0]
        row.readings = [tuple(Cell(int(s[a:b]), at + a, at + b, "split_run") for a, b in bounds)
                        for bounds in _cuts(s, n)]
        if not row.readings:
            row.problem = msg("legacy_digits_unreadable", digits=s, n=n)
    else:
        row.problem = msg("legacy_numbers_for_columns", n=len(cells), columns=n)


def _parse(s: str) -> Number:
    return Decimal(s) if "." in s else int(s)


def _cuts(s: str, n: int) -> list[list[tuple[int, int]]]:
    """Every way to cut a digit run into n numbers without leading zeros."""
    out: list[list[tuple[int, int]]] = []

    def rec(start: int, left: int, acc: list[tuple[int, int]]) -> None:
        if left == 1:
            piece = s[start:]
            if piece and (piece == "0" or piece[0] != "0"):
                out.append(acc + [(start, len(s))])
            return
        for cut in range(start + 1, len(s) - left + 2):
            piece = s[start:cut]
            if piece != "0" and piece[0] == "0":
                break
            rec(cut, left - 1, acc + [(start, cut)])

    rec(0, n, [])
    return out


# ---- settling the readings --------------------------------------------------------------------

def _settle(table: LegacyTable, text: str) -> None:
    roles = table.roles
    ty = roles.index("this_year")
    cum = roles.index("cumulative") if "cumulative" in roles else None
    for row in table.rows:
        if len(row.readings) > 1 and cum is not None:
            # 历年累计 includes this year: a reading with a smaller cumulative figure is no reading
            kept = [r for r in row.readings if r[cum].value >= r[ty].value]
            if kept:
                row.readings = kept
        if len(row.readings) == 1:
            row.chosen = row.readings[0]
            row.how = msg("how_as_printed" if row.readings[0][0].method != "split_run" else "how_only_reading")
    for i, row in enumerate(table.rows):
        if row.parent is None and table.children(i):
            _settle_by_sums(table, [i, *table.children(i)])
    for row in table.rows:
        if row.chosen is None and len(row.readings) > 1 and row.key in _EVIDENCE_WORDS:
            _settle_by_text(row, table, text, ty)
    for i, row in enumerate(table.rows):
        if row.parent is None and table.children(i):
            _check_text_choices(table, [i, *table.children(i)])


def _sums_hold(readings: list[Reading]) -> bool:
    total, parts = readings[0], readings[1:]
    return all(total[c].value == sum(p[c].value for p in parts) for c in range(len(total)))


def _settle_by_sums(table: LegacyTable, group: list[int]) -> None:
    rows = [table.rows[i] for i in group]
    if any(not r.readings for r in rows) or all(r.chosen is not None for r in rows):
        return
    count = 1
    for r in rows:
        count *= len(r.readings)
    if count > MAX_COMBINATIONS:
        return
    valid = [combo for combo in product(*(r.readings for r in rows)) if _sums_hold(list(combo))]
    if not valid:
        return
    for k, r in enumerate(rows):
        options = {combo[k] for combo in valid}
        if r.chosen is None and len(options) == 1:
            r.chosen = options.pop()
            r.how = msg("how_legacy_sums")


def _settle_by_text(row: LegacyRow, table: LegacyTable, text: str, ty: int) -> None:
    """A headline row's reading chosen by the report's own sentence stating this year's figure
    with the row's unit ('2018年全区主动公开政府信息2069条'), outside the table."""
    words = _EVIDENCE_WORDS[row.key or ""]
    stated: dict[int, str] = {}
    for m in _CLAUSE.finditer(text):
        if table.span[0] <= m.start() < table.span[1]:
            continue
        clause = m.group(0)
        if not all(w in clause for w in words):
            continue
        for v in re.finditer(rf"(?<![\d.])(?P<n>\d+)\s*{row.unit}", clause):
            stated.setdefault(int(v.group("n")), clause[max(0, v.start() - 30):v.end()].strip())
    hits = [r for r in row.readings if r[ty].value in stated]
    if len(hits) == 1:
        row.chosen = hits[0]
        row.how = msg("how_legacy_text", clause=stated[int(hits[0][ty].value)])


def _check_text_choices(table: LegacyTable, group: list[int]) -> None:
    """A reading chosen by the text must not break sums that some other reading would keep."""
    rows = [table.rows[i] for i in group]
    if any(not r.readings for r in rows) or any(r.chosen is None for r in rows):
        return
    if _sums_hold([r.chosen for r in rows if r.chosen is not None]):
        return
    count = 1
    for r in rows:
        count *= len(r.readings)
    if count > MAX_COMBINATIONS:
        return
    if any(_sums_hold(list(c)) for c in product(*(r.readings for r in rows))):
        for r in rows:
            if r.how and r.how["code"] == "how_legacy_text":
                r.chosen, r.how = None, None
