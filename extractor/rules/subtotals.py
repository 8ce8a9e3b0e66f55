"""表三's subtotals, which FORMAT.md does not keep: a 法人或其他组织 小计 column, and 小计 rows after
(or group rows before) the groups （三）-（六）. Recognised by their header or label, or by
arithmetic where no label says so; dropped from the record and kept as checks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypeVar

from ..messages import Message
from .labels import loose
from .split import Piece, _parse, is_count
from .tokens import Token, trim_empty

N = 7
T = TypeVar("T")
ORGS = range(1, 6)                 # the five 法人或其他组织 columns of the record
# the groups of outcome rows a subtotal row can add up, by the ordinal the template gives them
GROUP_OF_ROW = {"withheld_": "三", "unavailable_": "四", "not_processed_": "五", "other_": "六"}
_GROUP_NAMES = {"三": "不予公开", "四": "无法提供", "五": "不予处理", "六": "其他处理"}
_NAME = "|".join(f"(?P<n{o}>{loose(w)})" for o, w in _GROUP_NAMES.items())
_ORD = r"[（(]\s*(?P<ord>[三四五六])\s*[）)]\s*"
# '小计', '（三）小计', '不予公开小计', '（三）不予公开合计' (合计 only with its group: '（七）合计' is a total)
_SUBTOTAL_ROW = re.compile(rf"(?:{_ORD})?(?:(?:{_NAME})\s*)?(?P<word>{loose('小计')}|{loose('合计')})")
# a group's own row ('（三）不予公开'), which some tables print with the group's numbers
_GROUP_ROW = re.compile(rf"{_ORD}(?:{_NAME})")


def group_of(key: str) -> str | None:
    """The ordinal （三）-（六） of the group an outcome row belongs to."""
    return next((g for prefix, g in GROUP_OF_ROW.items() if key.startswith(prefix)), None)


@dataclass(frozen=True)
class SubtotalColumn:
    """A 小计 column among the applicant columns: `at` is its place among the printed ones."""

    at: int                        # 1 (before 商业企业) or 6 (after 其他); 8 printed columns in all
    how: str                       # "header" or "arithmetic"
    other: int | None = None       # the other place, when neither the header nor the sums tell

    def project(self, cells: list[T]) -> tuple[list[T], T]:
        """The row's 7 record cells and its printed subtotal."""
        return cells[:self.at] + cells[self.at + 1:], cells[self.at]

    def sums_ok(self, v: list) -> bool:
        """The row adds up: 小计 = its five organisations, 总计 = 自然人 + 小计."""
        cells, sub = v[:self.at] + v[self.at + 1:], v[self.at]
        return sum(cells[i] for i in ORGS) == sub and cells[0] + sub == cells[6]


@dataclass
class SubtotalRow:
    """A printed row adding up one group of outcome rows."""

    group: str | None              # 三 … 六; None when the label does not say and no row precedes
    label: str
    label_span: tuple[int, int]
    tokens: list[Token] = field(default_factory=list)
    chosen: list[Piece] | None = None
    note: Message | None = None


def subtotal_column(text: str, start: int, rows: list[list[Token]]) -> SubtotalColumn | None:
    """The 小计 column, if the table prints one: named in the header just before the first row
    (its place told by the organisation columns around it, or failing that by arithmetic), or,
    with no header to say so, found by arithmetic alone: most rows print eight numbers, and in
    every such row one of the two places is the sum of the five organisations beside it."""
    head = text[max(0, start - 600):start]
    person = head.rfind("自然人")
    head = head[person:] if person >= 0 else head[-300:]
    sub = re.search(loose("小计"), head) or (re.search(loose("合计"), head) if re.search(loose("总计"), head) else None)
    wide = [toks for toks in rows if len(toks) == N + 1
            and all(t.kind == "blank" or t.kind == "cell" and "," not in t.text and is_count(_parse(t.text))
                    for t in toks)]
    fits = [at for at in (6, 1) if wide and all(SubtotalColumn(at, "").sums_ok(row_values(t)) for t in wide)]
    if sub is not None:
        first, last = head.find("商业企业"), max(head.rfind("其他"), head.rfind("法律服务机构"))
        if first >= 0 and sub.start() < first:
            return SubtotalColumn(1, "header")
        if last >= 0 and sub.start() > last:
            return SubtotalColumn(6, "header")
        return SubtotalColumn(fits[0], "header", fits[1] if len(fits) > 1 else None) if fits else None
    if fits and len(wide) * 2 >= len([r for r in rows if r]) and len(wide) >= 2:
        return SubtotalColumn(fits[0], "arithmetic", fits[1] if len(fits) > 1 else None)
    return None


def row_values(tokens: list[Token]) -> list[int]:
    """The values of a row printed as separate cells (blank = 0)."""
    return [0 if t.kind == "blank" else int(_parse(t.text)) for t in tokens]


def subtotal_row_labels(text: str, start: int, end: int, six_form: str,
                        taken: list[tuple[int, int]]) -> list[tuple[re.Match[str], str | None]]:
    """The labels of subtotal rows and group rows in text[start:end] that are not part of a row
    label already found (`taken`), each with the group its label names (None: the label does not
    say)."""
    out: list[tuple[re.Match[str], str | None]] = []
    for rx in (_SUBTOTAL_ROW, _GROUP_ROW):
        for m in rx.finditer(text, start, end):
            spans = taken + [(o.start(), o.end()) for o, _ in out]
            if any(a < m.end() and m.start() < b for a, b in spans):
                continue
            group = m.group("ord") or next((o for o in _GROUP_NAMES if m.group(f"n{o}")), None)
            if rx is _SUBTOTAL_ROW and "合" in m.group("word") and group is None:
                continue   # a bare 合计 may be the table's total
            if rx is _GROUP_ROW and group == "六" and six_form == "2019":
                continue   # the older template's （六）其他处理 is a row of its own
            out.append((m, group))
    return sorted(out, key=lambda mg: mg[0].start())


def split_trailing_subtotal(text: str, tokens: list[Token], n: int) -> tuple[list[Token], list[Token]] | None:
    """A row whose segment holds two lines of n cells, the second with no label: the second may
    be an unlabelled 小计 printed after the group's last row (the caller checks the arithmetic)."""
    lines: list[list[Token]] = [[]]
    for prev, tok in zip([None, *tokens], tokens):
        if prev is not None and "\n" in text[prev.end:tok.start]:
            if re.search(r"[^\W\d_]", text[prev.end:tok.start]):
                return None     # a label between the lines: not an unlabelled subtotal
            lines.append([])
        lines[-1].append(tok)
    lines = [trim_empty(line, n) for line in lines]
    if len(lines) != 2 or any(len(line) != n for line in lines):
        return None
    if any(t.kind not in ("cell", "blank") or t.kind == "cell" and not is_count(_parse(t.text))
           for line in lines for t in line):
        return None
    return lines[0], lines[1]

