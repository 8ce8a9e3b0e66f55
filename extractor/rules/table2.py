"""Section 二 (主动公开) by rules, for both templates; glued runs with several readings stay open."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable, Literal

from ..messages import Message, msg
from .labels import loose
from .split import Piece, plausible, read_cells
from .tokens import Token, row_tokens, trim_empty

FieldStatus = Literal["ok", "absent", "blank", "ambiguous", "unreadable"]

_HEAD_2021 = re.compile("|".join(loose(w) for w in ("本年制发件数", "本年废止件数", "现行有效件数", "本年制发", "现行有效")))
_HEAD_2019 = re.compile("|".join(loose(w) for w in (
    "本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "政府集中采购")))
_SECTION_TWO = re.compile(loose("主动公开政府信息情况"))
_ARTICLE_20 = re.compile(loose("第二十条"))
_VALUE_NEXT = re.compile(r"[ \t\n|]*(?:-?\d|—|/|无[ \t\n|])")
_WAN = re.compile(loose("万元"))
_YUAN = re.compile(r"[（(]\s*(?:单位\s*[:：]?\s*)?元\s*[）)]|" + loose("金额（元）") + r"|\d\s*元")


@dataclass
class Item:
    """One row of 表二 as read: its label, numbers and how settled they are."""

    key: str
    n: int
    label: str | None = None
    label_span: tuple[int, int] | None = None
    tokens: list[Token] = field(default_factory=list)
    candidates: list[list[Piece]] = field(default_factory=list)
    chosen: list[Piece] | None = None
    status: FieldStatus = "ok"
    note: Message | None = None
    displaced: bool = False  # its numbers stand before the label, in its sub-table


@dataclass
class Table2:
    template: Literal["2021", "2019"] | None
    items: dict[str, Item]
    span: tuple[int, int]
    amount_unit: Literal["万元", "元"] = "万元"    # unit of the money column as printed


# key, cells, label alternatives (most specific first)
_ROWS_2021: list[tuple[str, int, tuple[str, ...]]] = [
    ("rules", 3, ("规章",)),
    ("normative_documents", 3, ("行政规范性文件", "规范性文件")),
    ("licensing_decisions", 1, ("行政许可",)),
    ("punishment_decisions", 1, ("行政处罚",)),
    ("enforcement_decisions", 1, ("行政强制",)),
    ("fees_wan_yuan", 1, ("行政事业性收费",)),
]
_ROWS_2019: list[tuple[str, int, tuple[str, ...]]] = [
    ("rules", 3, ("规章",)),
    ("normative_documents", 3, ("行政规范性文件", "规范性文件")),
    ("licensing", 3, ("行政许可",)),
    ("other_services", 3, ("其他对外管理服务事项", "其他对外管理服务")),
    ("punishment", 3, ("行政处罚",)),
    ("enforcement", 3, ("行政强制",)),
    ("fees", 2, ("行政事业性收费",)),
    ("procurement", 2, ("政府集中采购",)),
]
_NEGATIVE_OK = {"licensing", "other_services", "punishment", "enforcement", "fees"}  # 本年增/减


def detect_template(text: str, start: int, end: int) -> Literal["2021", "2019"] | None:
    """Which template section 二 follows, from its column headers."""
    h21 = len(_HEAD_2021.findall(text, start, end))
    h19 = len(_HEAD_2019.findall(text, start, end))
    if h21 == h19 == 0:
        return None
    return "2021" if h21 >= h19 else "2019"


def find_table2_span(text: str, table3_start: int | None) -> tuple[int, int]:
    end = table3_start if table3_start is not None else len(text)
    starts = [m.start() for m in _SECTION_TWO.finditer(text, 0, end)]
    art = _ARTICLE_20.search(text, starts[-1] if starts else 0, end)
    # a converter may print the 第二十条 sub-tables before the section heading it repeats (dev/005)
    early = _ARTICLE_20.search(text, starts[0] if starts else 0, end)
    if early is not None and (art is None or early.start() < art.start()):
        art = early
    if art is None and starts:
        return starts[-1], end
    if art is None:
        art = _ARTICLE_20.search(text, 0, end)
    return (art.start() if art else (starts[-1] if starts else 0)), end


def extract_table2(text: str, table3_start: int | None, template_hint: Literal["2021", "2019"] | None = None) -> Table2:
    start, end = find_table2_span(text, table3_start)
    template = detect_template(text, start, end) or (template_hint if template_hint in ("2021", "2019") else None)
    specs = _ROWS_2019 if template == "2019" else _ROWS_2021
    items: dict[str, Item] = {}
    hits: list[tuple[int, int, str]] = []
    for key, n, alts in specs:
        item = Item(key=key, n=n)
        items[key] = item
        pattern = re.compile("|".join(loose(a) for a in alts))
        first = None
        for m in pattern.finditer(text, start, end):
            # the row label, not a word in prose ('行政许可类信息69条'): its numbers follow it
            # directly; failing that, the first occurrence (a row printed with empty cells)
            first = first or m
            if _VALUE_NEXT.match(text, m.end()):
                first = m
                break
        if first is not None:
            item.label, item.label_span = first.group(0), (first.start(), first.end())
        if item.label_span is None:
            item.status = "absent"
        else:
            hits.append((item.label_span[0], item.label_span[1], key))
    hits.sort()
    # a label that sits inside another one (规范性文件 in 行政规范性文件) was skipped by the regex
    for i, (_a, b, key) in enumerate(hits):
        seg_end = hits[i + 1][0] if i + 1 < len(hits) else end
        items[key].tokens = trim_empty(row_tokens(text, b, seg_end, stop_at_text=True), items[key].n)
    for a, _b, key in hits:
        _numbers_before_label(text, start, a, items[key], [h for h in hits if h[2] != key])
    table = Table2(template=template, items=items, span=(start, end))
    money_key = "procurement" if template == "2019" else "fees_wan_yuan"
    table.amount_unit = _amount_unit(text, items[money_key], start, end)
    for key, item in items.items():
        _settle(item, _accept_for(key))
        if item.displaced and item.chosen is not None:
            item.chosen = [Piece(p.value, p.start, p.end, "position") for p in item.chosen]
            item.note = msg("t2_numbers_before_label")
    return table


def _numbers_before_label(text: str, start: int, label_start: int, item: Item,
                          others: list[tuple[int, int, str]]) -> None:
    """Reading-order text can print a one-row sub-table's numbers before its label, just after
    the header ('本年处理决定数量 ⏎ 550 ⏎ 行政许可'). A row with no numbers after its label takes
    those, when no other row's label stands between its 第二十条 heading and it, and they are
    exactly its cells (method "position": no label beside them)."""
    if any(t.kind != "blank" or t.text for t in item.tokens):
        return
    heads = [m for m in _ARTICLE_20.finditer(text, start, label_start)]
    if not heads:
        return
    head_end = heads[-1].end()
    if any(head_end < a < label_start for a, _b, _k in others):
        return
    before = trim_empty(row_tokens(text, head_end, label_start), item.n)
    if len(before) == item.n and all(t.kind in ("cell", "run") for t in before):
        item.tokens, item.displaced = before, True


def _amount_unit(text: str, item: Item, start: int, end: int) -> Literal["万元", "元"]:
    """万元 unless the money column's header or the value itself says 元."""
    if item.label_span is None:
        return "万元"
    # the unit printed after the value itself, apart from it in reading-order text ('75394432.52 ⏎ 元')
    for t in item.tokens:
        own = re.match(r"\s*(万元|元)", text[t.end:t.end + 12])
        if own:
            return "元" if own.group(1) == "元" else "万元"
    # header of the money row's sub-table: between the previous 第二十条 and the label
    head_start = max((m.start() for m in _ARTICLE_20.finditer(text, start, item.label_span[0])), default=start)
    header = text[head_start:item.label_span[0]]
    after = text[item.label_span[1]:min(end, item.label_span[1] + 40)]
    if _WAN.search(header) or _WAN.search(after[:30]):
        return "万元"
    if _YUAN.search(header) or re.match(r"[\s\d.,]*元", after):
        return "元"
    return "万元"


def _accept_for(key: str) -> Callable[[list], bool]:
    def accept(values: list) -> bool:
        for i, v in enumerate(values):
            if not plausible(v):
                return False
            if v < 0 and not (key in _NEGATIVE_OK and i == 1):
                return False
            if isinstance(v, Decimal) and not is_money_cell(key, i):
                return False
        return True
    return accept


def is_money_cell(key: str, index: int) -> bool:
    """The cells that hold an amount of money (decimals allowed, 元 converted to 万元)."""
    return key == "fees_wan_yuan" or (key == "procurement" and index == 1)


def as_recorded(key: str, index: int, value: int | Decimal, amount_unit: str) -> int | float:
    """A printed number as the record holds it: money printed in 元 in 万元, whole numbers as int."""
    if is_money_cell(key, index) and amount_unit == "元":
        value = Decimal(str(value)) / Decimal(10000)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _settle(item: Item, accept: Callable[[list], bool]) -> None:
    if item.status == "absent":
        return
    r = read_cells(item.tokens, item.n, valid=accept)
    item.status, item.chosen, item.candidates = r.status, r.chosen, r.candidates or []  # type: ignore[assignment]
    item.note = r.note
