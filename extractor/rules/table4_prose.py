"""Section 四 stated in sentences instead of a table: the counts each sentence states per cell
('被申请行政复议2件，其中结果维持1件、结果纠正1件…'), by the phrase beside each number.

A cell the prose does not state is not read (unknown, not 0) unless the prose says there were
none ('未发生行政复议、行政诉讼', '行政复议0件'); the table's sums then decide what else is 0."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..messages import Message, msg
from .labels import loose
from .split import Piece
from .split import json_number as _n

GROUPS = ("review", "litigation_direct", "litigation_after_review")

# where each group is named: 复议后起诉 before 行政复议 (it may read 经行政复议后起诉)
GROUP_NAMES = re.compile(
    r"(?P<litigation_after_review>(?:经\s*)?(?:行\s*政\s*)?复\s*议\s*后\s*(?:起\s*诉|提\s*起\s*(?:行\s*政\s*)?诉\s*讼))"
    r"|(?P<litigation_direct>(?:未\s*经\s*(?:行\s*政\s*)?复\s*议\s*)?直\s*接\s*(?:起\s*诉|向\s*(?:人\s*民\s*)?法\s*院\s*(?:提\s*起\s*)?(?:行\s*政\s*)?(?:诉\s*讼|起\s*诉)))"
    r"|(?P<review>" + loose("行政复议") + r")"
    r"|(?P<litigation>" + loose("行政诉讼") + r")")
# the result columns, as sentences name them (the fifth, 总计, as 共/合计)
_RESULTS: list[tuple[int, re.Pattern[str]]] = [
    (0, re.compile(r"(?:结\s*果\s*)?维\s*持(?:\s*原\s*(?:行\s*政\s*行\s*为|决\s*定|答\s*复|处\s*理))?")),
    (1, re.compile(r"(?:结\s*果\s*)?(?:被\s*)?纠\s*正")),
    (2, re.compile(r"其\s*他\s*(?:结\s*果)?")),
    (3, re.compile(r"(?:尚\s*未\s*审\s*结|未\s*审\s*结|尚\s*在\s*审\s*理\s*中?|正\s*在\s*审\s*理\s*中?|审\s*理\s*中)")),
    (4, re.compile(r"(?:共\s*计|合\s*计|总\s*计|共)")),
]
RESULT_WORDS = [rx for _, rx in _RESULTS[:4]]
TOTAL_WORDS = _RESULTS[4][1]
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_COUNT = r"(?P<n>\d+|[零〇一二两三四五六七八九十]{1,3})\s*(?:件|起|宗|个|例|次)"
# a count as sentences print it, with its unit: '2件', '两起'
COUNT_PHRASE = re.compile(r"(?<![\d零〇一二两三四五六七八九十])" + _COUNT)
# what may stand between a group's name and its number ('被申请行政复议的案件共计2件'), and
# between a result's name and its number ('维持原行政行为的1件'); never a line break
_BETWEEN = r"[ \t]*\n?[ \t]*"
_GROUP_COUNT = re.compile(r"[^\d\s，。；,;、：:（）()零〇一二两三四五六七八九十]{0,8}?" + _BETWEEN + _COUNT)
_RESULT_COUNT = re.compile(r"[的为有是共计]{0,3}" + _BETWEEN + _COUNT)
_NONE = re.compile(r"未\s*发\s*生|未\s*收\s*到|未\s*出\s*现|没\s*有|(?<![a-zA-Z\u4e00-\u9fff])无(?!\s*正\s*当)")
_CLAUSE_END = re.compile(r"[，,。；;：:\n]")
_SENTENCE_END = re.compile(r"[。；;\n]")


@dataclass
class ProseReading:
    """The cells the sentences state: (group, column) -> a number with its span."""

    cells: dict[tuple[str, int], Piece] = field(default_factory=dict)
    labels: dict[tuple[str, int], str] = field(default_factory=dict)
    litigation_total: Piece | None = None     # 行政诉讼 N件: direct + after review
    conflicts: list[Message] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)  # results stated for 行政诉讼 as a whole


def chinese_count(s: str) -> int | None:
    """'2' -> 2, '两' -> 2, '十二' -> 12, '二十' -> 20; None for what is not a small count."""
    if s.isdigit():
        return int(s)
    if "十" not in s:
        return _CN_DIGITS[s] if len(s) == 1 and s in _CN_DIGITS else None
    tens, _, ones = s.partition("十")
    if len(tens) > 1 or len(ones) > 1 or (tens and tens not in _CN_DIGITS) or (ones and ones not in _CN_DIGITS):
        return None
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def read_prose(text: str, start: int, end: int) -> ProseReading | None:
    """The cells section 四's sentences (text[start:end]) state; None when they state none."""
    out = ProseReading()
    group: str | None = None
    named_in_clause: list[str] = []
    pos = start
    events = sorted([(m.start(), m.end(), "group", m) for m in GROUP_NAMES.finditer(text, start, end)]
                    + [(m.start(), m.end(), "end", m) for m in _CLAUSE_END.finditer(text, start, end)]
                    + [(m.start(), m.end(), f"c{c}", m) for c, rx in _RESULTS for m in rx.finditer(text, start, end)]
                    + [(m.start(), m.end(), "none", m) for m in _NONE.finditer(text, start, end)],
                    key=lambda e: (e[0], -e[1]))
    negated_at: int | None = None
    for a, b, kind, m in events:
        if a < pos:
            continue  # inside a phrase already read
        if kind == "end":
            if negated_at is not None and named_in_clause:
                _stated_none(out, text, negated_at, a, named_in_clause)
            negated_at = None
            named_in_clause = []
            if _SENTENCE_END.match(text, a):
                pass  # the group named last still frames the next sentence ('…2件。其中结果维持1件')
            continue
        if kind == "none":
            negated_at = a
            continue
        if kind == "group":
            group = m.lastgroup
            named_in_clause.append(group or "")
            n = _GROUP_COUNT.match(text, b, end)
            if n and not _names_inside(text[b:n.start("n")]):
                _set_total(out, text, group or "", n, (a, b), named_in_clause)
                pos = n.end()
            continue
        col = int(kind[1:])
        n = _RESULT_COUNT.match(text, b, end)
        if n is None:
            continue
        pos = n.end()
        if group is None:
            continue
        if group == "litigation":
            if col == 4:
                _set_total(out, text, "litigation", n, (a, b), [group])
            else:
                out.unplaced.append(_squash(text[a:n.end()]))
            continue
        _set(out, text, group, col, n, _squash(text[a:b]))
    if negated_at is not None and named_in_clause:
        _stated_none(out, text, negated_at, end, named_in_clause)
    if not out.cells and out.litigation_total is None:
        return None
    return out


def _names_inside(filler: str) -> bool:
    """The words between a name and a number hold another name: the number is not this name's."""
    return bool(GROUP_NAMES.search(filler) or any(rx.search(filler) for _, rx in _RESULTS[:4]))


def _piece(text: str, n: re.Match[str]) -> Piece | None:
    v = chinese_count(n.group("n"))
    return None if v is None else Piece(v, n.start("n"), n.end("n"), "prose")


def _set(out: ProseReading, text: str, group: str, col: int, n: re.Match[str], label: str) -> None:
    p = _piece(text, n)
    if p is None:
        return
    old = out.cells.get((group, col))
    if old is not None and old.value != p.value:
        out.conflicts.append(msg("prose_conflict_cell", group=group, column=col + 1, first=_n(old.value),
                                 second=_n(p.value)))
        return
    if old is None:
        out.cells[(group, col)] = p
        out.labels[(group, col)] = label


def _set_total(out: ProseReading, text: str, group: str, n: re.Match[str], name: tuple[int, int],
               named: list[str]) -> None:
    """'行政复议2件': the group's 总计. '行政复议、行政诉讼均为0件': every group named in the clause."""
    label = _squash(text[name[0]:name[1]])
    groups = named if re.search(r"均|都|分别", text[name[1]:n.start("n")]) and len(named) > 1 else [group]
    for g in dict.fromkeys(groups):
        if g == "litigation":
            p = _piece(text, n)
            if p is not None and out.litigation_total is not None and out.litigation_total.value != p.value:
                out.conflicts.append(msg("prose_conflict_litigation", first=_n(out.litigation_total.value),
                                         second=_n(p.value)))
            elif p is not None:
                out.litigation_total = p
        else:
            _set(out, text, g, 4, n, label)


def _stated_none(out: ProseReading, text: str, at: int, end: int, named: list[str]) -> None:
    """'未发生…行政复议、行政诉讼': every cell of the groups named after the negation is 0."""
    groups: list[str] = []
    for m in GROUP_NAMES.finditer(text, at, end):
        g = m.lastgroup or ""
        groups += ["litigation_direct", "litigation_after_review"] if g == "litigation" else [g]
    word = _squash(text[at:end])[:40]
    neg = _NONE.match(text, at)
    a, b = (neg.start(), neg.end()) if neg else (at, at + 1)
    for g in dict.fromkeys(groups):
        for c in range(5):
            if (g, c) not in out.cells:
                out.cells[(g, c)] = Piece(0, a, b, "prose")
                out.labels[(g, c)] = word
