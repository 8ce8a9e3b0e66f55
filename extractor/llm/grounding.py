"""Whether a model's answer is grounded in the source: every check that decides it, in one place.

    prose figures  the value is printed in the sentence it was read from, followed by its unit,
                   with a cue word of its field in the same clause
    split choice   the cited sentence is in the source and prints a number that only the chosen
                   reading has; the choice is used only when one clause of it ties such a number
                   (stated with its unit) to a word of its row and a word of its column
    table rows     the row's non-zero numbers stand, in order, on the line(s) of its row label
    表四 prose     each count is printed in the sentence the model cites, with its unit, beside a
                   word of its column, after the name of its own group
    whole section  every number is printed in the section, in the order given (standing together,
                   or picked out from among other numbers: then review)

A check here never trusts the model's own account of where it read a value: it looks the value
up in the source text.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from ..rules.table4_prose import COUNT_PHRASE, GROUP_NAMES, RESULT_WORDS, TOTAL_WORDS, chinese_count
from ..template import TemplateId

_WS = re.compile(r"\s+")
NUMBER = re.compile(r"(?<![\d.])\d+(?:,\d{3})*(?:\.\d+)?(?![\d])")


def squash(text: str) -> str:
    """Whitespace removed: PDF text breaks lines (and words) anywhere."""
    return _WS.sub("", text)


def numbers(text: str) -> list[float]:
    """Number tokens as printed (whitespace separates table cells, so it is kept)."""
    return [float(m.group().replace(",", "")) for m in NUMBER.finditer(text)]


def fmt(v: Any) -> str:
    """A number as a report prints it: 69, not 69.0."""
    return str(int(v)) if float(v).is_integer() else str(v)


def occurs(quote: str, text: str) -> bool:
    """The quote is in the text (whitespace ignored)."""
    q = squash(quote)
    return bool(q) and q in squash(text)


def token_in(sentence: str, value: float) -> bool:
    """`value` is printed in `sentence` as a whole number token (not part of a longer one)."""
    return any(float(m.group().replace(",", "")) == value for m in NUMBER.finditer(squash(sentence)))


_CLAUSE_END = re.compile(r"[，,；;（）()：:。]")


def _clause_at(s: str, start: int, end: int) -> str:
    """The clause (between commas, brackets, colons) holding s[start:end]."""
    left = max((m.end() for m in _CLAUSE_END.finditer(s, 0, start)), default=0)
    right = _CLAUSE_END.search(s, end)
    return s[left: right.start() if right else len(s)]


def number_near(sentence: str, value: float, cues: tuple[str, ...],
                units: tuple[str, ...] = ()) -> bool:
    """`value` is printed in `sentence`, followed by one of `units` (if given), with one of
    `cues` (if given) in the same clause: the number stands next to its label."""
    s = squash(sentence)
    for m in NUMBER.finditer(s):
        if float(m.group().replace(",", "")) != value:
            continue
        if units and not any(s.startswith(u, m.end()) for u in units):
            continue
        if not cues or any(c in _clause_at(s, m.start(), m.end()) for c in cues):
            return True
    return False


# ---------------------------------------------------------------- prose figures

# field -> cue words that must stand in the clause of the field's number
PROSE_CUES: dict[str, tuple[str, ...]] = {
    "applications_received": ("受理", "收到", "新收", "共收", "接收"),
    "applications_processed": ("答复", "办结", "办理完毕", "办理申请", "共办理"),
    "granted": ("予以公开",),
    "carried_forward": ("结转下", "结转至", "下年", "顺延", "继续办理"),
    "reviews_total": ("复议",),
    "lawsuits_total": ("诉讼",),
    "fees_yuan": ("处理费", "收取费用"),
}
_COUNT = ("件", "宗", "起", "个")
_MONEY = ("元", "万元")
# words of the tables' headers: a "sentence" holding them is a flattened table, not prose
_TABLE_WORDS = ("信息内容", "本年制发件数", "结果维持结果纠正", "商业企业", "自然人", "第二十条",
                "|")


def units(key: str) -> tuple[str, ...]:
    """The units a prose figure is printed with (件 for counts, 元/万元 for the fee)."""
    return _MONEY if key == "fees_yuan" else _COUNT


def fields_stated(sentence: str) -> list[str]:
    """The prose fields this sentence may state (a number with its unit beside a cue word of the
    field); none in a flattened table."""
    if any(w in sentence for w in _TABLE_WORDS):
        return []
    s = squash(sentence)
    return [k for k, cues in PROSE_CUES.items()
            if any(number_near(s, float(m.group().replace(",", "")), cues, units(k))
                   for m in NUMBER.finditer(s))]


def figure_grounded(sentence: str, key: str, value: float) -> bool:
    """The model's value for `key` is printed in `sentence` with its unit, beside a cue word."""
    return number_near(sentence, value, PROSE_CUES[key], units(key))


# ---------------------------------------------------------------- split choice


def distinct_positions(candidates: Sequence[Sequence[int]]) -> list[int]:
    """The positions where the candidate readings differ."""
    return [i for i in range(len(candidates[0])) if len({c[i] for c in candidates}) > 1]


def cites_a_distinguishing_number(candidates: Sequence[Sequence[int]], choice: int,
                                  sentence: str) -> bool:
    """The cited sentence prints at least one number of reading `choice` (0-based) at a
    position where the readings differ."""
    return any(token_in(sentence, candidates[choice][i]) for i in distinct_positions(candidates))


def citation_grounded(candidates: Sequence[Sequence[int]], choice: int, sentence: str,
                      source: str) -> bool:
    """The cited sentence is in the source and prints a number of the chosen reading that no
    other reading has at that position."""
    own = [candidates[choice][i] for i in distinct_positions(candidates)
           if all(c[i] != candidates[choice][i] for j, c in enumerate(candidates) if j != choice)]
    return occurs(sentence, source) and any(token_in(sentence, v) for v in own)


# A choice is used only when the cited sentence ties a number that only the chosen reading has to
# its own row and column: one clause holding the number, a word of the row and a word of the
# column (e.g. '本年制发行政规范性文件69件'). A number that merely occurs ('政策文件类6条') is no proof.
Cue = tuple[tuple[str, ...], tuple[str, ...]]   # (row words, column words)
TOTAL_CUES = ("共", "总", "合计", "全年", "累计", "")
REVIEW_GROUPS = ("行政复议", "直接起诉", "复议后起诉")
_REVIEW_CUES = [("维持",), ("纠正",), ("其他",), ("尚未", "未审结", "审理中"), ("共", "总", "合计", "")]
_TRIPLE_2021: list[tuple[str, ...]] = [("制发", "印发", "出台", "制定", "新增"), ("废止", "失效"), ("现行有效", "有效")]
_TRIPLE_2019_DOCS: list[tuple[str, ...]] = [("新制作", "制作", "制发", "印发"), ("新公开",), ("对外公开总", "总数", "累计")]
_TRIPLE_2019_ITEMS: list[tuple[str, ...]] = [("上一年", "上年"), ("增", "减"), ("处理决定", "决定")]
_CLAUSE = re.compile(r"[，,。；;、：:！？\n]")
_UNITS = "件|条|个|项|宗|起|次|万元|元"


def table2_cues(key: str, n: int, label: str, template: TemplateId) -> list[Cue]:
    """Row and column words for each number of a 表二 item."""
    row = ("规章",) if key == "rules" else ("规范性文件",) if key == "normative_documents" else (
        re.sub(r"\s+", "", label)[:6],)
    cols: list[tuple[str, ...]]
    if key in ("rules", "normative_documents"):
        cols = _TRIPLE_2021 if template == "2021" else _TRIPLE_2019_DOCS
    elif key == "procurement":
        cols = [("采购项目", "项目"), ("金额", "元")]
    else:
        cols = _TRIPLE_2019_ITEMS[:n]
    return [(row, c) for c in cols]


def table3_cues(label: str, columns: Sequence[str]) -> list[Cue]:
    """Row and column words for the seven numbers of a 表三 row (the last one is its 总计)."""
    core = re.sub(r"^[\s（）()一二三四五六七八九十、.\d]+", "", label)[:6]
    return [((core,), (c,) if i < 6 else TOTAL_CUES) for i, c in enumerate(columns)]


def table4_cues() -> list[Cue]:
    """Row and column words for the fifteen numbers of 表四."""
    return [((g,), _REVIEW_CUES[i]) for g in REVIEW_GROUPS for i in range(5)]


def choice_grounded(quote: str, cues: list[Cue], candidates: Sequence[Sequence[Any]], idx: int) -> bool:
    """One clause of the quote states, with its unit, a non-zero number only reading `idx` has,
    beside a word of its row and a word of its column."""
    parts = [c for c in _CLAUSE.split(re.sub(r"\s+", "", quote)) if c]
    chosen = candidates[idx]
    for i, v in enumerate(chosen):
        if i >= len(cues) or any(c[i] == v for j, c in enumerate(candidates) if j != idx):
            continue  # not a number that tells this reading from the others
        if float(v) == 0:
            continue  # '无' / 0 is printed everywhere: never evidence
        if any(states(clause, v, cues[i]) for clause in parts):
            return True
    return False


def states(clause: str, value: Any, cue: Cue) -> bool:
    """The clause (whitespace removed) states `value` with its unit ('69件'), beside a word of its
    row and a word of its column."""
    rows, cols = cue
    if not (any(r in clause for r in rows) and any(k in clause for k in cols)):
        return False
    return re.search(rf"(?<![\d.\-]){re.escape(fmt(value))}\s*(?:{_UNITS})", clause) is not None


_PROSE_CLAUSE = re.compile(r"[，,。；;、：:！？]")
_LONGEST_CLAUSE = 160


def clauses(text: str) -> list[tuple[int, int, str]]:
    """The prose clauses of a whole text as (start, end, clause with whitespace removed). Line
    breaks do not end a clause (PDF text breaks lines anywhere); a clause holding the tables'
    header words, or longer than any sentence, is a flattened table and is left out."""
    out: list[tuple[int, int, str]] = []
    start = 0
    for m in [*_PROSE_CLAUSE.finditer(text), None]:
        end = m.start() if m is not None else len(text)
        clause = squash(text[start:end])
        if clause and len(clause) <= _LONGEST_CLAUSE and any(ch.isdigit() for ch in clause) \
                and not any(w in clause for w in _TABLE_WORDS):
            out.append((start, end, clause))
        start = m.end() if m is not None else end
    return out


# ---------------------------------------------------------------- table rows

_LABEL_NUMBERING = re.compile(r"^[一二三四五六七八九十]+、|^（[一二三四五六七八九十]+）|^\d+[.、．]")


def _label_core(label: str) -> str:
    core = label
    for _ in range(3):
        core = _LABEL_NUMBERING.sub("", core)
    return squash(core)


def label_lines(lines: list[str], label: str) -> list[int]:
    """Indexes of the lines holding the row label (its numbering dropped; a prefix may do)."""
    core = _label_core(label)
    probes = {core[:n] for n in (len(core), 8, 5, 4) if len(core) >= n}
    return [i for i, line in enumerate(lines) if any(p in squash(line) for p in probes)]


def ground_row(section_text: str, label: str, values: list[int]) -> str | None:
    """The source line(s) where `label` stands with `values`' non-zero numbers in order."""
    lines = section_text.splitlines()
    wanted = [v for v in values if v != 0]
    for i in label_lines(lines, label):
        for lo, hi in ((i, i + 1), (i - 1, i + 2), (i - 2, i + 3)):
            window = "\n".join(lines[max(0, lo): hi])
            if _subsequence(wanted, numbers(_strip_label_digits(window))):
                return window.strip()
    return None


def _strip_label_digits(window: str) -> str:
    # the label's own numbering ("（三）1.", "1、") must not count as cell values
    return re.sub(r"(?<![\d])\d[.、．](?=[\u4e00-\u9fff])", " ", window)


def _subsequence(wanted: list[int], found: list[float]) -> bool:
    it = iter(found)
    return all(any(f == w for f in it) for w in wanted)


# ---------------------------------------------------------------- 表四 told in sentences

_T4_CLAUSE_END = re.compile(r"[，,。；;、：:（）()\n]")


def table4_cell_span(text: str, sentence: tuple[int, int], group: str, col: int,
                     value: int) -> tuple[int, int] | None:
    """Where the sentence text[sentence[0]:sentence[1]] prints `value` as the count of 表四 cell
    (`group`, `col`), or None: a count with its unit ('1件', '两件') alone in its clause with a
    word of its column ('结果维持1件', '1件结果维持'; for 总计 the group's name or 共/合计 before
    it and no result's word), and the group named last before it in the text is `group` (a number after '行政诉讼'
    alone belongs to neither kind of lawsuit)."""
    a, b = sentence
    for m in COUNT_PHRASE.finditer(text, a, b):
        if chinese_count(m.group("n")) != value:
            continue
        left = max((c.end() for c in _T4_CLAUSE_END.finditer(text, a, m.start())), default=a)
        stop = _T4_CLAUSE_END.search(text, m.end(), b)
        right = stop.start() if stop else b
        if len(COUNT_PHRASE.findall(text, left, right)) != 1:
            continue    # two counts in one clause: which one is the column's is not said
        before, clause = text[left:m.start()], text[left:right]
        if col < 4:
            if not RESULT_WORDS[col].search(clause):
                continue
        elif any(rx.search(clause) for rx in RESULT_WORDS) or not (
                GROUP_NAMES.search(before) or TOTAL_WORDS.search(before)):
            continue    # a total: named by its group or 共/合计, never in a result's clause
        named = [g.lastgroup for g in GROUP_NAMES.finditer(text, 0, m.start())]
        if named and named[-1] == group:
            return m.start("n"), m.end("n")
    return None


# ---------------------------------------------------------------- a whole section read

# a table cell as printed: a number, or a zero mark standing alone (—, -, /, 无)
_CELL = re.compile(NUMBER.pattern + r"|(?<!\S)(?:[—－\-/／]+|无)(?!\S)")


def printed_cells(text: str, start: int, end: int) -> list[tuple[float, int, int]]:
    """The cells text[start:end] prints, in order: (value, offsets in `text`); a zero mark is 0.
    Whitespace is kept: it separates a table's cells (squashing would glue them)."""
    out = []
    for m in _CELL.finditer(text, start, end):
        s = m.group()
        out.append((float(s.replace(",", "")) if s[0].isdigit() else 0.0, m.start(), m.end()))
    return out


def section_grounded(values: Sequence[float], printed: list[tuple[float, int, int]]) -> tuple[list[tuple[int, int]], bool] | None:
    """Where each of `values` is printed, when the section prints them in this order: the spans
    and whether they stand together (no other printed number between them). None when some value
    is not printed after the one before it: the answer is not the section's."""
    n = len(values)
    for k in range(len(printed) - n + 1):
        if all(printed[k + i][0] == v for i, v in enumerate(values)):
            return [(s, e) for _, s, e in printed[k:k + n]], True
    spans: list[tuple[int, int]] = []
    i = 0
    for v in values:
        while i < len(printed) and printed[i][0] != v:
            i += 1
        if i == len(printed):
            return None
        spans.append((printed[i][1], printed[i][2]))
        i += 1
    return spans, False


def groups_add_up(values: Sequence[float], width: int) -> list[int]:
    """Indexes of the groups of `width` values whose last value is not the sum of the others."""
    return [g for g in range(len(values) // width)
            if sum(values[g * width:(g + 1) * width - 1]) != values[(g + 1) * width - 1]]
