"""Section 三 by rules: find each row label, read its numbers, split glued runs by the sums."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import product
from typing import Literal

from ..messages import Message, msg
from .labels import label_regex, loose, wrapped_label_regex
from .split import Piece, _parse, is_count, read_cells
from .subtotals import (
    SubtotalColumn,
    SubtotalRow,
    group_of,
    row_values,
    split_trailing_subtotal,
    subtotal_column,
    subtotal_row_labels,
)
from .tokens import Token, has_label_text, row_tokens, trim_empty

N = 7
RowStatus = Literal["ok", "absent", "blank", "ambiguous", "unreadable", "position"]

# key, ordinal, label alternatives (most specific first); the order is the template's
_ROWS_HEAD: list[tuple[str, str | None, tuple[str, ...]]] = [
    ("new_received", "一", ("本年新收政府信息公开申请数量", "本年新收")),
    ("carried_over", "二", ("上年结转政府信息公开申请数量", "上年结转")),
    ("granted", None, ("（一）予以公开", "予以公开")),
    ("partially_granted", None, ("（二）部分公开", "部分公开")),
    ("withheld_state_secret", "1", ("属于国家秘密", "国家秘密")),
    ("withheld_prohibited_by_law", "2", ("其他法律行政法规禁止公开", "其他法律", "法规禁止公开", "禁止公开")),
    ("withheld_three_safeties_one_stability", "3", ("危及“三安全一稳定”", "危及\"三安全一稳定\"", "危及", "三安全一稳定")),
    ("withheld_third_party_rights", "4", ("保护第三方合法权益", "第三方合法权益", "第三方")),
    ("withheld_internal_affairs", "5", ("属于三类内部事务信息", "三类内部事务", "内部事务")),
    ("withheld_process_information", "6", ("属于四类过程性信息", "四类过程性", "过程性信息")),
    ("withheld_enforcement_files", "7", ("属于行政执法案卷", "属于行政执法案件", "行政执法案卷", "执法案卷", "执法案件")),
    ("withheld_administrative_query", "8", ("属于行政查询事项", "行政查询事项", "行政查询")),
    ("unavailable_not_held", "1", ("本机关不掌握相关政府信息", "本机关不掌握", "不掌握")),
    ("unavailable_needs_creation", "2", ("没有现成信息需要另行制作", "没有现成信息", "另行制作")),
    ("unavailable_unclear_after_correction", "3", ("补正后申请内容仍不明确", "补正后", "仍不明确")),
    ("not_processed_petition", "1", ("信访举报投诉类申请", "信访举报投诉", "信访")),
    ("not_processed_duplicate", "2", ("重复申请",)),
    ("not_processed_publication", "3", ("要求提供公开出版物", "公开出版物", "出版物")),
    ("not_processed_mass_repeated", "4", ("无正当理由大量反复申请", "大量反复申请", "大量反复")),
    ("not_processed_confirmation", "5", ("要求行政机关确认或重新出具已获取信息", "要求行政机关确认", "重新出具")),
]
_ROWS_OTHER_2021: list[tuple[str, str | None, tuple[str, ...]]] = [
    ("other_overdue_correction", "1", ("申请人无正当理由逾期不补正", "逾期不补正", "不补正")),
    ("other_overdue_fee", "2", ("申请人逾期未按收费通知要求缴纳费用", "逾期未按收费通知", "缴纳费用")),
    ("other_other", "3", ("其他",)),
]
_ROW_OTHER_2019 = ("other_processing", None, ("（六）其他处理", "其他处理", "（六）其他"))
_ROWS_TAIL: list[tuple[str, str | None, tuple[str, ...]]] = [
    ("total_processed", None, ("（七）总计", "总计")),
    ("carried_forward", "四", ("结转下年度继续办理", "结转下年度", "结转下一年度")),
]
_SECTION_THREE = re.compile(loose("收到和处理政府信息公开申请情况"))
_SUBROWS_OF_SIX = re.compile(loose("不补正") + "|" + loose("缴纳费用") + "|" + loose("收费通知"))
_TABLE4_START = re.compile(loose("行政复议") + "|" + r"五\s*[、.]|" + loose("结果维持"))


@dataclass
class Row:
    key: str
    label: str | None = None
    label_span: tuple[int, int] | None = None
    tokens: list[Token] = field(default_factory=list)
    candidates: list[list[Piece]] = field(default_factory=list)
    chosen: list[Piece] | None = None
    status: RowStatus = "ok"
    forced: bool = False     # the digits allow one reading only, whatever the sums say
    note: Message | None = None
    subtotal: Piece | None = None   # the row's printed 小计 (法人或其他组织), not a record cell
    sub_candidates: list[Piece] = field(default_factory=list)  # the 小计 of each candidate

    @property
    def values(self) -> list[int] | None:
        return None if self.chosen is None else [int(p.value) for p in self.chosen]


@dataclass
class Table3:
    rows: dict[str, Row]
    six_form: Literal["2021", "2019"]   # （六） printed as three sub-rows, or one row
    span: tuple[int, int]
    notes: list[Message] = field(default_factory=list)   # doubts about the layout (decide.layout_doubts)
    column: SubtotalColumn | None = None        # a printed 小计 column, dropped from the rows
    subtotal_rows: list[SubtotalRow] = field(default_factory=list)


def _row_specs(six_form: str) -> list[tuple[str, str | None, tuple[str, ...]]]:
    other = _ROWS_OTHER_2021 if six_form == "2021" else [_ROW_OTHER_2019]
    return [*_ROWS_HEAD, *other, *_ROWS_TAIL]


def find_table3_start(text: str) -> int | None:
    """Where section 三's table begins: the 一、本年新收… row followed by 二、上年结转…."""
    first = label_regex(_ROWS_HEAD[0][2], "一")
    second = label_regex(_ROWS_HEAD[1][2], "二")
    for m in first.finditer(text):
        if second.search(text, m.end(), m.end() + 800):
            return m.start()
    return None


def extract_table3(text: str) -> Table3 | None:
    """Read section 三 from normalised text; None when its first rows cannot be found."""
    start = find_table3_start(text)
    if start is None:
        return _read_unlabelled(text)
    fwd = label_regex(_ROWS_TAIL[1][2], "四")
    # the table ends after the 结转下年度 row; section 四 starts with 行政复议 / 五、
    last = fwd.search(text, start)
    search_end = len(text)
    if last is not None:
        t4 = _TABLE4_START.search(text, last.end())
        search_end = t4.start() if t4 else len(text)
    window = text[start:search_end]
    six_form: Literal["2021", "2019"] = "2021" if _SUBROWS_OF_SIX.search(window) else "2019"
    specs = _row_specs(six_form)

    rows: dict[str, Row] = {}
    found: list[tuple[str, re.Match[str], int]] = []   # key, label, where its numbers are read from
    pos = start
    for key, ordinal, alts in specs:
        m = label_regex(alts, ordinal).search(text, pos, search_end)
        read_from = m.end() if m else 0
        if len(alts[0]) >= 4:
            # the full label wrapped around its numbers or a neighbouring column's words: its
            # numbers start inside it (a part of the label alone may be found further on)
            w = wrapped_label_regex(alts[0], ordinal).search(text, pos, search_end)
            if w is not None and (m is None or w.start() < m.start()):
                m, read_from = w, w.end("head")
        if m is None:
            rows[key] = Row(key=key, status="absent")
            continue
        rows[key] = Row(key=key, label=m.group(0), label_span=(m.start(), m.end()))
        found.append((key, m, read_from))
        pos = m.end()

    # 小计 rows and group rows end the row before them; their numbers are no row's
    lo = rows["granted"].label_span[0] if rows["granted"].label_span else start
    hi = rows["total_processed"].label_span[0] if rows["total_processed"].label_span else search_end
    markers = subtotal_row_labels(text, lo, hi, six_form, [(m.start(), m.end()) for _, m, _ in found])
    bounds = sorted([m.start() for _, m, _ in found] + [m.start() for m, _ in markers])
    raw: dict[str, list[Token]] = {}
    for i, (key, _, read_from) in enumerate(found):
        seg_end = next((b for b in bounds if b >= read_from), search_end)
        last_row = i + 1 == len(found)
        raw[key] = row_tokens(text, read_from, seg_end, stop_at_text=last_row)
        rows[key].tokens = trim_empty(raw[key], N)
    column = subtotal_column(text, start, [r.tokens for r in rows.values()])
    if column is not None:
        for key, toks in raw.items():
            rows[key].tokens = trim_empty(toks, N + 1)

    table = Table3(rows=rows, six_form=six_form, span=(start, search_end), column=column)
    before = row_tokens(text, max(0, start - 60), start)
    if len([t for t in before if t.kind != "blank"]) >= 3:
        table.notes.append(msg("numbers_before_first_label"))
    for row in rows.values():
        _row_candidates(row, column)
    table.subtotal_rows = _subtotal_rows(text, markers, bounds, search_end, column,
                                         [(k, m.start()) for k, m, _ in found])
    _unlabelled_subtotals(text, table, [k for k, _, _ in found])
    _resolve_with_table_sums(table)
    for row in rows.values():
        if row.subtotal is None and row.chosen is not None and row.chosen in row.candidates and row.sub_candidates:
            row.subtotal = row.sub_candidates[row.candidates.index(row.chosen)]
    if any(r.chosen is None for r in rows.values()):
        _place_by_position(text, table, specs)
    if any(r.status not in ("ok", "position") for r in rows.values()):
        if not _place_by_sequence(text, table, specs):
            _place_by_blocks(text, table, specs)
    _doubt_out_of_place_rows(table)
    return table


def _read_unlabelled(text: str) -> Table3 | None:
    """Section 三 whose first row labels are not where its numbers are (reading-order text prints
    the labels of a page's rows after them): the table between the section's heading and section
    四, read only when its numbers place in template order by the table's sums (_place_by_blocks)."""
    head = _SECTION_THREE.search(text)
    if head is None:
        return None
    t4 = _TABLE4_START.search(text, head.end())
    span = (head.end(), t4.start() if t4 else len(text))
    window = text[span[0]:span[1]]
    six_form: Literal["2021", "2019"] = "2021" if _SUBROWS_OF_SIX.search(window) else "2019"
    specs = _row_specs(six_form)
    table = Table3(rows={key: Row(key=key, status="absent") for key, _, _ in specs}, six_form=six_form, span=span)
    return table if _place_by_blocks(text, table, specs) else None


def _seven_per_row(text: str, start: int, end: int, n_rows: int) -> list[Token] | None:
    """The table's tokens when they are exactly seven plain counts (or blanks) per template row."""
    toks = row_tokens(text, start, end)
    if len(toks) != N * n_rows or any(t.kind not in ("cell", "run", "blank") for t in toks):
        return None
    if any(t.kind != "blank" and not ("," not in t.text and is_count(_parse(t.text))) for t in toks):
        return None
    return toks


def _place_by_blocks(text: str, table: Table3, specs: list[tuple[str, str | None, tuple[str, ...]]],
                     limit: int = 64) -> bool:
    """Reading-order text of a PDF table can print a run of rows column by column: the first
    column of k rows, then their second column … (pdftotext without -layout reads a page's cells
    in the order it finds them). When the table holds exactly seven numbers per template row, read
    it as consecutive blocks of rows in template order, each row by row or column by column, every
    row adding up; kept only when exactly one set of rows results and the whole table adds up
    (column totals, balance). Every row is then placed by position: no label stands beside its
    numbers, so only the sums can confirm them."""
    start, end = table.span
    n_rows = len(specs)
    toks = _seven_per_row(text, start, end, n_rows)
    if toks is None:
        return False
    nums = row_values(toks)
    Layout = tuple[tuple[int, ...], ...]        # token indices of each remaining row
    memo: dict[int, list[Layout] | None] = {}

    def rows_from(r: int) -> list[Layout] | None:
        """The distinct readings of rows r.. (as token indices, deduplicated by values)."""
        if r == n_rows:
            return [()]
        if r in memo:
            return memo[r]
        out: dict[tuple[tuple[int, ...], ...], Layout] = {}
        for k in range(1, n_rows - r + 1):
            base = N * r
            block = [tuple(base + c * k + j for c in range(N)) for j in range(k)]
            if not all(_row_total_ok([nums[i] for i in row]) for row in block):
                continue
            rest = rows_from(r + k)
            if rest is None:
                memo[r] = None
                return None
            for tail in rest:
                layout = (*block, *tail)
                out.setdefault(tuple(tuple(nums[i] for i in row) for row in layout), layout)
                if len(out) > limit:
                    memo[r] = None
                    return None
        memo[r] = list(out.values())
        return memo[r]

    readings = rows_from(0)
    if not readings:
        return False
    outcome = [k for k, _, _ in specs if k not in ("new_received", "carried_over", "total_processed",
                                                    "carried_forward")]
    whole = [layout for layout in readings
             if _table_sums_ok({key: [nums[i] for i in layout[r]] for r, (key, _, _) in enumerate(specs)}, outcome)]
    if len(whole) != 1:
        return False
    for r, (key, _, _) in enumerate(specs):
        row = table.rows[key]
        group = [toks[i] for i in whole[0][r]]
        row.chosen = [Piece(0 if t.kind == "blank" else _parse(t.text), t.start, t.end, "position") for t in group]
        row.status, row.tokens, row.candidates, row.forced = "position", group, [], False
        row.note = msg("placed_in_sequence")
    return True


def _doubt_out_of_place_rows(table: Table3) -> None:
    """A row of running-text numbers (not grid cells) whose total breaks, yet holds once a single
    number is moved: the text may not keep the table's order (pdftotext without -layout), so the
    break is not taken as printed in the report (a note, read by decide.layout_doubts)."""
    for row in table.rows.values():
        v = row.values
        if v is None or _row_total_ok(v) or any(t.kind == "cell" for t in row.tokens) or not row.tokens:
            continue
        moved = ([*rest[:j], v[i], *rest[j:]] for i in range(N) for rest in [v[:i] + v[i + 1:]]
                 for j in range(N) if j != i)
        if any(_row_total_ok(m) for m in moved):
            label = re.sub(r"\s+", "", row.label or row.key)
            table.notes.append(msg("row_adds_up_once_moved", label=label))
            return


def _place_by_sequence(text: str, table: Table3, specs: list[tuple[str, str | None, tuple[str, ...]]]) -> bool:
    """Text in reading order (`pdftotext` without layout: one cell per line) prints every row's
    seven numbers in template order, but the labels of merged cells wherever the producer drew
    them: several rows' labels together after their numbers, or after the table. When the table
    holds exactly seven numbers per template row, every label printed just before a group of
    seven is that group's own row, no label sits inside a group, and the table adds up (row
    totals, column totals, balance), the groups are the rows in template order. Rows whose label
    is printed just before their numbers are read as printed; the others are placed by position
    (method "position": only the sums can confirm them)."""
    start, end = table.span
    n_rows = len(specs)
    toks = _seven_per_row(text, start, end, n_rows)
    if toks is None:
        return False
    regexes = [label_regex(alts, ordinal) for _, ordinal, alts in specs]
    anchors: dict[int, re.Match[str]] = {}
    prev = start
    for i, tok in enumerate(toks):
        gap_start, prev = prev, tok.end
        if i % N:
            if has_label_text(text[gap_start:tok.start]):
                return False        # label text inside a group of seven: not one cell per row
            continue
        last: tuple[int, int, re.Match[str]] | None = None
        for r, rx in enumerate(regexes):
            for m in rx.finditer(text, gap_start, tok.start):
                if last is None or (m.end(), m.end() - m.start()) > (last[2].end(), last[2].end() - last[2].start()):
                    last = (r, m.end(), m)
        if last is None:
            continue
        if last[0] != i // N:
            return False            # the label before this group names another row
        anchors[last[0]] = last[2]
    values = {key: row_values(toks[r * N:(r + 1) * N])
              for r, (key, _, _) in enumerate(specs)}
    outcome = [k for k, _, _ in specs if k not in ("new_received", "carried_over", "total_processed",
                                                    "carried_forward")]
    if not all(_row_total_ok(v) for v in values.values()) or not _table_sums_ok(dict(values), outcome):
        return False
    for r, (key, _, _) in enumerate(specs):
        group = toks[r * N:(r + 1) * N]
        row = table.rows[key]
        anchor = anchors.get(r)
        if anchor is not None:
            row.label, row.label_span = anchor.group(0), (anchor.start(), anchor.end())
            row.chosen = [Piece(0 if t.kind == "blank" else _parse(t.text), t.start, t.end,
                                "blank_cell" if t.kind == "blank" else "text_token") for t in group]
            row.status, row.note = "ok", None
        else:
            row.chosen = [Piece(0 if t.kind == "blank" else _parse(t.text), t.start, t.end, "position")
                          for t in group]
            row.status = "position"
            row.note = msg("placed_without_label")
        row.tokens, row.candidates, row.forced = list(group), [], False
    return True


def _place_by_position(text: str, table: Table3, specs: list[tuple[str, str | None, tuple[str, ...]]]) -> None:
    """A conversion that moved labels away from their numbers (dev/005) can still print the rows'
    numbers in template order. When the table holds exactly one line of 7 cells per template row,
    every label printed on such a line matches its row, and every row already read by its label
    agrees, the rows left unread take their line's numbers by position (still sent to review)."""
    start, end = table.span
    lines: list[tuple[list[Piece], str]] = []
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        line_end = end if nl < 0 else nl
        line = text[pos:line_end]
        if "\t" in line:
            toks = trim_empty(row_tokens(text, pos, line_end), N)
            if len(toks) == N and all(t.kind == "blank" or t.kind == "cell" and is_count(_parse(t.text))
                                      for t in toks):
                label = text[pos:toks[0].start].replace("\t", " ")
                pieces = [Piece(0 if t.kind == "blank" else _parse(t.text), t.start, t.end,
                                "position") for t in toks]
                lines.append((pieces, label))
        pos = line_end + 1
    if len(lines) != len(specs):
        return
    for (pieces, label), (key, ordinal, alts) in zip(lines, specs):
        row = table.rows[key]
        if label.strip() and not label_regex(alts, ordinal).search(label):
            return
        # a row read beside its own label must agree (a 'blank' row may just be a lone label)
        if row.status == "ok" and [int(p.value) for p in row.chosen or []] != [int(p.value) for p in pieces]:
            return
    for (pieces, _), (key, _, _) in zip(lines, specs):
        row = table.rows[key]
        if row.status != "ok":
            row.chosen = pieces
            row.status = "position"
            row.note = msg("placed_without_label")


def _row_total_ok(v: list) -> bool:
    return sum(v[:6]) == v[6]


def _row_candidates(row: Row, column: SubtotalColumn | None = None) -> None:
    if row.status == "absent":
        return
    if column is not None and not (len(row.tokens) == N and all(t.kind in ("cell", "blank") for t in row.tokens)):
        # eight cells, the 小计 among them (a row printing seven cells apart simply has none)
        if column.other is not None:
            _either_place(row, column)
            return
        r = read_cells(row.tokens, N + 1, sums=column.sums_ok, sums_said=msg("sums_row_subtotal_total"))
        wide = [column.project(c) for c in r.candidates or []]
        row.status, row.candidates = r.status, [c for c, _ in wide]  # type: ignore[assignment]
        row.sub_candidates = [sub for _, sub in wide]
        row.chosen, row.subtotal = column.project(r.chosen) if r.chosen else (None, None)
        row.forced, row.note = r.forced, r.note
        return
    r = read_cells(row.tokens, N, sums=_row_total_ok, sums_said=msg("sums_row_total"))
    row.status, row.chosen, row.candidates = r.status, r.chosen, r.candidates or []  # type: ignore[assignment]
    row.forced, row.note = r.forced, r.note


def _either_place(row: Row, column: SubtotalColumn) -> None:
    """Neither the header nor the sums tell whether the 小计 is the first or the last column of
    法人或其他组织: a row whose two readings agree is read; the others stay ambiguous."""
    assert column.other is not None
    if len(row.tokens) != N + 1 or any(t.kind not in ("cell", "blank") for t in row.tokens):
        row.status, row.chosen, row.candidates = "unreadable", None, []
        row.note = msg("subtotal_column_place_unknown")
        return
    pieces = [Piece(0 if t.kind == "blank" else _parse(t.text), t.start, t.end,
                    "blank_cell" if t.kind == "blank" else "grid_cell") for t in row.tokens]
    readings = [SubtotalColumn(at, column.how).project(pieces) for at in (column.at, column.other)]
    row.candidates = [c for c, _ in readings]
    row.sub_candidates = [sub for _, sub in readings]
    row.forced = True
    if [p.value for p in row.candidates[0]] == [p.value for p in row.candidates[1]]:
        row.status, row.chosen, row.subtotal = "ok", row.candidates[0], row.sub_candidates[0]
        return
    row.status, row.chosen = "ambiguous", None
    row.note = msg("subtotal_column_either", first=[int(p.value) for p in row.candidates[0]],
                   second=[int(p.value) for p in row.candidates[1]])


def _subtotal_rows(text: str, markers: list[tuple[re.Match[str], str | None]], bounds: list[int], end: int,
                   column: SubtotalColumn | None, found: list[tuple[str, int]]) -> list[SubtotalRow]:
    """The 小计 rows (and group rows printing numbers): each read like a row; a bare 小计 adds up
    the group of the row before it. Labels with no numbers (a group's merged label cell) are not
    rows."""
    out: list[SubtotalRow] = []
    width = N if column is None else N + 1
    for m, group in markers:
        seg_end = next((b for b in bounds if b >= m.end()), end)
        tokens = trim_empty(row_tokens(text, m.end(), seg_end), width)
        if not any(t.kind != "blank" or t.text for t in tokens):
            continue
        row = Row(key="subtotal", tokens=tokens)
        _row_candidates(row, column)
        if group is None:
            before = [k for k, at in found if at < m.start()]
            group = group_of(before[-1]) if before else None
        out.append(SubtotalRow(group=group, label=m.group(0), label_span=(m.start(), m.end()), tokens=tokens,
                               chosen=row.chosen if row.status == "ok" else None, note=row.note))
    return out


def _unlabelled_subtotals(text: str, table: Table3, keys: list[str]) -> None:
    """A line of numbers with no label after a group's last row, equal to the sum of the group's
    rows: an unlabelled 小计 (told by arithmetic alone), not more cells of that row."""
    width = N if table.column is None else N + 1
    for i, key in enumerate(keys):
        group = group_of(key)
        row = table.rows[key]
        if group is None or row.status != "unreadable" or (i + 1 < len(keys) and group_of(keys[i + 1]) == group):
            continue
        split = split_trailing_subtotal(text, row.tokens, width)
        members = [table.rows[k] for k in keys if group_of(k) == group and k != key]
        if split is None or any(r.chosen is None for r in members):
            continue
        first, second = (row_values(t) for t in split)
        if table.column is not None:
            first, second = (table.column.project(v)[0] for v in (first, second))
        if [sum(r.values[c] for r in members if r.values) + first[c] for c in range(N)] != second:
            continue
        row.tokens = split[0]
        _row_candidates(row, table.column)
        pieces = [Piece(v, t.start, t.end, "blank_cell" if t.kind == "blank" else "grid_cell")
                  for v, t in zip(row_values(split[1]), split[1])]
        if table.column is not None:
            pieces = table.column.project(pieces)[0]
        table.subtotal_rows.append(SubtotalRow(
            group=group, label="（无标签）", label_span=(split[1][0].start, split[1][-1].end),
            tokens=split[1], chosen=pieces,
            note=msg("unlabelled_subtotal")))


def _resolve_with_table_sums(table: Table3, limit: int = 100_000) -> None:
    """Rows with several admissible splits: keep the combination that makes the table add up."""
    open_rows = [r for r in table.rows.values() if r.status == "ambiguous" and r.candidates]
    if not open_rows:
        return
    combos = 1
    for r in open_rows:
        combos *= len(r.candidates)
    if combos > limit:
        table.notes.append(msg("too_many_combinations", n=combos))
        return
    outcome = [k for k in table.rows if k not in ("new_received", "carried_over", "total_processed",
                                                  "carried_forward")]
    fixed = {k: r.values for k, r in table.rows.items() if r.chosen is not None}
    winners = []
    for choice in product(*(r.candidates for r in open_rows)):
        vals = dict(fixed)
        for r, c in zip(open_rows, choice):
            vals[r.key] = [int(p.value) for p in c]
        if _table_sums_ok(vals, outcome):
            winners.append(choice)
            if len(winners) > 1:
                break
    if len(winners) == 1:
        for r, c in zip(open_rows, winners[0]):
            r.chosen = list(c)
            r.status = "ok"
    else:
        for r in open_rows:
            r.note = msg("combinations_several" if winners else "combinations_none", n=len(r.candidates))


_HEAD_TAIL = ("new_received", "carried_over", "total_processed", "carried_forward")


def table_sums_hold(vals: dict[str, list[int] | None]) -> bool:
    """The column sums of 表三 ((七)总计 = the outcome rows; 一 + 二 = (七) + 四) hold for these rows
    (a row not given counts as zeros; without 总计 there is nothing to check)."""
    return _table_sums_ok(vals, [k for k in vals if k not in _HEAD_TAIL])


def _table_sums_ok(vals: dict[str, list[int] | None], outcome: list[str]) -> bool:
    def col(k: str, c: int) -> int:
        v = vals.get(k)
        return 0 if v is None else v[c]
    for c in range(N):
        if vals.get("total_processed") is not None:
            if sum(col(k, c) for k in outcome) != col("total_processed", c):
                return False
            if vals.get("new_received") is not None and vals.get("carried_forward") is not None:
                if col("new_received", c) + col("carried_over", c) != col("total_processed", c) + col("carried_forward", c):
                    return False
    return True
