"""The three LLM uses: 表三/表四 by row group, choosing a digit-run split, prose figures.

Every value the model proposes is checked here before it is returned: table rows must add up
and be found next to their row label; prose figures and split choices must be found in the
sentence the model cites, and that sentence must be in the source text.
"""

from __future__ import annotations

import re
from typing import Annotated, Callable, Optional

from pydantic import BaseModel, Field, create_model

from ..errors import LLMAnswerError
from ..template import (
    APPLICANT_COLUMNS,
    REVIEW_COLUMNS,
    REVIEW_ROWS,
    TemplateId,
    application_rows,
    outcome_keys,
)
from .client import LLMClient

TABLE3_PROMPT = "table3.v1"
TABLE4_PROMPT = "table4.v1"
SPLIT_PROMPT = "split_choice.v2"
PROSE_PROMPT = "prose_figures.v1"

_WS = re.compile(r"\s+")
_NUMBER = re.compile(r"(?<![\d.])\d+(?:,\d{3})*(?:\.\d+)?(?![\d])")


def _squash(text: str) -> str:
    """Whitespace removed: PDF text breaks lines (and words) anywhere."""
    return _WS.sub("", text)


def _numbers(text: str) -> list[float]:
    """Number tokens as printed (whitespace separates table cells, so it is kept)."""
    return [float(m.group().replace(",", "")) for m in _NUMBER.finditer(text)]


# ---------------------------------------------------------------- sentences


class Sentence(BaseModel):
    """A prose sentence of the source, with its offsets in the text given."""

    text: str
    start: int
    end: int


_SENT_END = re.compile(r"[。；;！？!?]|\n\s*\n")
_TABLEISH = re.compile(r"\t")


def prose_sentences(text: str, max_chars: int = 200) -> list[Sentence]:
    """Prose sentences holding a number (table rows and over-long runs skipped)."""
    out: list[Sentence] = []
    start = 0
    for m in [*_SENT_END.finditer(text), None]:
        end = m.end() if m else len(text)
        raw = text[start:end]
        s = _squash(raw)
        lead = len(raw) - len(raw.lstrip())
        if (s and re.search(r"\d", s) and not _TABLEISH.search(raw) and len(s) <= max_chars
                and len(re.findall(r"[\u4e00-\u9fff]", s)) >= 6):
            out.append(Sentence(text=s, start=start + lead, end=end))
        start = end
    return out


def _occurs(quote: str, text: str) -> bool:
    q = _squash(quote)
    return bool(q) and q in _squash(text)


_CLAUSE_END = re.compile(r"[，,；;（）()：:。]")


def _clause_at(s: str, start: int, end: int) -> str:
    """The clause (between commas, brackets, colons) holding s[start:end]."""
    left = max((m.end() for m in _CLAUSE_END.finditer(s, 0, start)), default=0)
    right = _CLAUSE_END.search(s, end)
    return s[left: right.start() if right else len(s)]


def _number_near(sentence: str, value: float, cues: tuple[str, ...],
                 units: tuple[str, ...] = ()) -> bool:
    """`value` is printed in `sentence`, followed by one of `units` (if given), with one of
    `cues` (if given) in the same clause: the number stands next to its label."""
    s = _squash(sentence)
    for m in _NUMBER.finditer(s):
        if float(m.group().replace(",", "")) != value:
            continue
        if units and not any(s.startswith(u, m.end()) for u in units):
            continue
        if not cues or any(c in _clause_at(s, m.start(), m.end()) for c in cues):
            return True
    return False


# ---------------------------------------------------------------- (c) prose figures


class Figure(BaseModel):
    """A figure the report states in prose, with the sentence it was read from."""

    value: float
    quote: str
    span: tuple[int, int] | None = None   # the sentence's offsets in the text given


class ProseFigures(BaseModel):
    """Figures stated in the narrative (None: not stated, or not grounded)."""

    applications_received: Optional[Figure] = None
    applications_processed: Optional[Figure] = None
    granted: Optional[Figure] = None
    carried_forward: Optional[Figure] = None
    reviews_total: Optional[Figure] = None
    lawsuits_total: Optional[Figure] = None
    fees_yuan: Optional[Figure] = None      # 信息处理费, converted to 元
    dropped: dict[str, str] = Field(default_factory=dict)  # field -> why the model's value was dropped


_COUNT = ("件", "宗", "起", "个")
_MONEY = ("元", "万元")
# field -> (what to ask, cue words that must stand in the number's clause)
PROSE_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "applications_received": ("本年新收（受理、收到）的政府信息公开申请总数（件）",
                              ("受理", "收到", "新收", "共收", "接收")),
    "applications_processed": ("本年答复（办结）的申请数（件）", ("答复", "办结", "办理完毕", "办理申请", "共办理")),
    "granted": ("予以公开的申请数（件）", ("予以公开",)),
    "carried_forward": ("结转下年度继续办理的申请数（件）", ("结转下", "结转至", "下年", "顺延", "继续办理")),
    "reviews_total": ("政府信息公开行政复议案件数（件）", ("复议",)),
    "lawsuits_total": ("政府信息公开行政诉讼案件数（件）", ("诉讼",)),
    "fees_yuan": ("收取的信息处理费金额", ("处理费", "收取费用")),
}
# words of the tables' headers: a "sentence" holding them is a flattened table, not prose
_TABLE_WORDS = ("信息内容", "本年制发件数", "结果维持结果纠正", "商业企业", "自然人", "第二十条",
                "|")


def _units(key: str) -> tuple[str, ...]:
    return _MONEY if key == "fees_yuan" else _COUNT


def _prose_model(keys: list[str]) -> type[BaseModel]:
    # every key required, value nullable: with optional keys the small model answers {} always
    return create_model("ProseAnswer", **{k: (Optional[float], ...) for k in keys})  # type: ignore[call-overload]


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def _fields_for(sentence: str) -> list[str]:
    """The fields this sentence may state (a number next to the field's cue words)."""
    if any(w in sentence for w in _TABLE_WORDS):
        return []
    s = _squash(sentence)
    return [k for k, (_d, cues) in PROSE_FIELDS.items()
            if any(_number_near(s, float(m.group().replace(",", "")), cues, _units(k))
                   for m in _NUMBER.finditer(s))]


def llm_prose_figures(client: LLMClient, text: str, max_sentences: int = 8) -> ProseFigures:
    """Figures the narrative states (一、总体情况 and other prose), each grounded in its sentence.

    One short request per prose sentence that mentions a field's cue words, asking only for
    those fields. A value survives only if it is printed in that sentence next to a cue word for
    its field; otherwise it is dropped (reason in `dropped`). The first grounded value of a
    field wins; a later sentence giving a different value is noted in `dropped`.
    Raises LLMTransportError.
    """
    result = ProseFigures()
    asked = 0
    for sent in prose_sentences(text):
        keys = _fields_for(sent.text)
        if not keys:
            continue
        if asked >= max_sentences:
            break
        asked += 1
        fields = "\n".join(f"- {k}: {PROSE_FIELDS[k][0]}" for k in keys)

        def check(answer: BaseModel, s: str = sent.text, keys: list[str] = keys) -> list[str]:
            # a 0 that the sentence does not print is the model's "not stated": no re-ask
            return [f"{k}（{PROSE_FIELDS[k][0]}）：句子里没有数字 {_fmt(v)}"
                    for k in keys if (v := getattr(answer, k)) and not _number_near(s, v, ())]

        try:
            answer = client.ask(PROSE_PROMPT, {"sentence": sent.text, "fields": fields},
                                _prose_model(keys), check, purpose="prose_figures")
        except LLMAnswerError as e:
            result.dropped[f"sentence@{sent.start}"] = f"{e.reason}: {e}"
            continue
        for key in keys:
            value = getattr(answer, key)
            if value is None or (value == 0 and not _number_near(sent.text, 0, ())):
                continue
            cues = PROSE_FIELDS[key][1]
            if not _number_near(sent.text, value, cues, _units(key)):
                result.dropped[key] = (f"{_fmt(value)} not next to {'/'.join(cues)} in "
                                       f"“{sent.text[:40]}”")
                continue
            if key == "fees_yuan" and re.search(re.escape(_fmt(value)) + r"万元", sent.text):
                value = value * 10_000
            current = getattr(result, key)
            if current is None:
                setattr(result, key, Figure(value=value, quote=sent.text,
                                            span=(sent.start, sent.end)))
            elif current.value != value:
                result.dropped[key] = f"another sentence gives {_fmt(value)}: “{sent.text[:40]}”"
    return result


# ---------------------------------------------------------------- (b) split choice


class SplitChoice(BaseModel):
    """The model's grounded choice among admissible splits."""

    index: int
    quote: str
    span: tuple[int, int] | None = None


class _SplitAnswer(BaseModel):
    # required integers, 0 = "no basis": with nullable fields the small model always says null
    choice: int
    sentence: int


def _token_in(sentence: str, value: int) -> bool:
    return any(float(m.group().replace(",", "")) == value
               for m in _NUMBER.finditer(_squash(sentence)))


def llm_choose_split(client: LLMClient, context_text: str, field_labels: list[str],
                     candidates: list[list[int]], run: str | None = None,
                     max_sentences: int = 12) -> SplitChoice | None:
    """Index of the split the report's prose supports, with the quoted sentence; None if unsure.

    Accepted only if the cited sentence occurs in `context_text` and prints the chosen split's
    distinguishing numbers (those that differ between candidates) as whole numbers.
    """
    if len(candidates) < 2:
        return SplitChoice(index=0, quote="") if candidates else None
    distinct = [i for i in range(len(candidates[0]))
                if len({c[i] for c in candidates}) > 1]

    def distinguishing(idx: int) -> list[int]:
        return [candidates[idx][i] for i in distinct]

    wanted = {v for c in range(len(candidates)) for v in distinguishing(c)}
    sentences = [s for s in prose_sentences(context_text)
                 if any(_token_in(s.text, v) for v in wanted)][:max_sentences]
    if not sentences:
        return None
    cand_text = "\n".join(
        f"{i}. " + "，".join(f"{lab}={v}" for lab, v in zip(field_labels, c))
        for i, c in enumerate(candidates, 1))
    numbered = "\n".join(f"[{i}] {s.text}" for i, s in enumerate(sentences, 1))

    def check(ans: _SplitAnswer) -> list[str]:
        if ans.choice == 0:
            return []
        if not 1 <= ans.choice <= len(candidates):
            return [f"拆分编号 {ans.choice} 不存在（应为 1 到 {len(candidates)}）"]
        if not 1 <= ans.sentence <= len(sentences):
            return [f"依据句子编号 {ans.sentence} 不存在"]
        missing = [v for v in distinguishing(ans.choice - 1)
                   if not _token_in(sentences[ans.sentence - 1].text, v)]
        if len(missing) == len(distinct):
            return [f"第 {ans.sentence} 句里没有拆分 {ans.choice} 的数字 "
                    + "、".join(str(v) for v in missing)]
        return []

    try:
        ans = client.ask(SPLIT_PROMPT, {
            "run": run or "".join(str(v) for v in candidates[0]),
            "fields": "、".join(field_labels), "candidates": cand_text, "sentences": numbered,
        }, _SplitAnswer, check, purpose="split_choice")
    except LLMAnswerError:
        return None
    if ans.choice == 0 or ans.sentence == 0:
        return None
    idx = ans.choice - 1
    sent = sentences[ans.sentence - 1]
    # grounded: the sentence is in the text and prints a distinguishing number of the choice
    # that no other candidate has at that position
    own = [v for i, v in zip(distinct, distinguishing(idx))
           if all(c[i] != v for j, c in enumerate(candidates) if j != idx)]
    if not _occurs(sent.text, context_text) or not any(_token_in(sent.text, v) for v in own):
        return None
    return SplitChoice(index=idx, quote=sent.text, span=(sent.start, sent.end))


# ---------------------------------------------------------------- (a) tables 三 and 四


class TableLLM(BaseModel):
    """Rows the model read, checked; rows it could not give are in `unsettled`."""

    values: dict[str, list[int]] = Field(default_factory=dict)
    evidence: dict[str, str | None] = Field(default_factory=dict)   # row -> source line(s) or None
    unsettled: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)              # table-level checks failing


def table3_row_groups(template: TemplateId) -> list[list[str]]:
    """Small groups of 表三 rows, asked one request each (the small model is exact on few rows)."""
    rows = list(application_rows(template))
    other = [k for k in rows if k.startswith("other_")]
    return [
        ["new_received", "carried_over"],
        ["granted", "partially_granted"],
        [k for k in rows if k.startswith("withheld_")],
        [k for k in rows if k.startswith("unavailable_")],
        [k for k in rows if k.startswith("not_processed_")],
        other,
        ["total_processed", "carried_forward"],
    ]


def _row_model(name: str, keys: list[str], width: int) -> type[BaseModel]:
    cell = Annotated[list[int], Field(min_length=width, max_length=width)]
    return create_model(name, **{k: (cell, ...) for k in keys})  # type: ignore[call-overload]


_CELL = re.compile(r"\d+(?:\.\d+)?|[/—－-]|无")


def parse_row(text: str) -> list[int]:
    """'34 0 0 0 0 0 34' -> [34, 0, 0, 0, 0, 0, 34]; '/', '-', '—', '无' read as 0."""
    return [int(float(t)) if t[0].isdigit() else 0 for t in _CELL.findall(text)]


_LABEL_NUMBERING = re.compile(r"^[一二三四五六七八九十]+、|^（[一二三四五六七八九十]+）|^\d+[.、．]")


def _label_core(label: str) -> str:
    core = label
    for _ in range(3):
        core = _LABEL_NUMBERING.sub("", core)
    return _squash(core)


def _label_lines(lines: list[str], label: str) -> list[int]:
    core = _label_core(label)
    probes = {core[:n] for n in (len(core), 8, 5, 4) if len(core) >= n}
    return [i for i, line in enumerate(lines) if any(p in _squash(line) for p in probes)]


def row_snippet(section_text: str, labels: list[str], before: int = 1, after: int = 2) -> str:
    """Only the lines around the given row labels (in source order): what a row-group request
    sends, because the small model misplaces values when it sees the whole table."""
    lines = section_text.splitlines()
    keep: set[int] = set()
    for label in labels:
        for i in _label_lines(lines, label)[:2]:
            keep.update(range(max(0, i - before), min(len(lines), i + after + 1)))
    return "\n".join(lines[i] for i in sorted(keep))


def ground_row(section_text: str, label: str, values: list[int]) -> str | None:
    """The source line(s) where `label` stands with `values`' non-zero numbers in order."""
    lines = section_text.splitlines()
    wanted = [v for v in values if v != 0]
    for i in _label_lines(lines, label):
        for lo, hi in ((i, i + 1), (i - 1, i + 2), (i - 2, i + 3)):
            window = "\n".join(lines[max(0, lo): hi])
            if _subsequence(wanted, _numbers(_strip_label_digits(window, label))):
                return window.strip()
    return None


def _strip_label_digits(window: str, label: str) -> str:
    # the label's own numbering ("（三）1.", "1、") and quoted words must not count as cell values
    return re.sub(r"(?<![\d])\d[.、．](?=[\u4e00-\u9fff])", " ", window)


def _subsequence(wanted: list[int], found: list[float]) -> bool:
    it = iter(found)
    return all(any(f == w for f in it) for w in wanted)


def _sum_problem(n: int, label: str, parts: list[int], total: int, what: str) -> str:
    return (f"{what}：“{label}”的前{n}列之和 {'+'.join(map(str, parts))}={sum(parts)}，"
            f"与总计 {total} 不相等")


def _table_checks(labels: dict[str, str], width: int) -> Callable[[BaseModel], list[str]]:
    def check(answer: BaseModel) -> list[str]:
        problems = []
        for key, label in labels.items():
            row = list(getattr(answer, key))
            if sum(row[:-1]) != row[-1]:
                problems.append(_sum_problem(width - 1, label, row[:-1], row[-1], "行合计不符"))
        return problems
    return check


def _ask_groups(client: LLMClient, prompt: str, section_text: str, columns: tuple[str, ...],
                groups: list[list[str]], labels: dict[str, str], purpose: str,
                scoped: bool) -> TableLLM:
    out = TableLLM()
    width = len(columns)
    for n, keys in enumerate(groups, 1):
        if not keys:
            continue
        group_labels = {k: labels[k] for k in keys}
        rows = "\n".join(f"- {k}: {lab}" for k, lab in group_labels.items())
        model = _row_model(f"RowGroup{n}", keys, width)
        snippet = (row_snippet(section_text, list(group_labels.values())) if scoped
                   else section_text.strip())
        if not snippet.strip():
            out.unsettled.extend(keys)
            out.problems.append(f"rows {', '.join(keys)}: row labels not found in the section")
            continue
        try:
            answer = client.ask(prompt, {"section": snippet,
                                         "columns": "、".join(columns), "rows": rows},
                                model, _table_checks(group_labels, width),
                                purpose=f"{purpose}:group{n}")
        except LLMAnswerError as e:
            out.unsettled.extend(keys)
            out.problems.append(f"rows {', '.join(keys)}: {e.reason}: {e}")
            continue
        for k in keys:
            row = list(getattr(answer, k))
            out.values[k] = row
            out.evidence[k] = ground_row(section_text, labels[k], row)
    return out


def llm_table3(client: LLMClient, section_text: str, template: TemplateId,
               groups: list[list[str]] | None = None) -> TableLLM:
    """表三 read row by row (or by `groups`, e.g. table3_row_groups(template)), each request
    carrying only the source lines around its row labels, with row-total checks per request
    (re-asked when they fail) and processed_total / balance checked after assembly.

    `evidence[row]` is None when the row's numbers were not found next to its label: such a
    row is not grounded and must go to review.
    """
    labels = application_rows(template)
    out = _ask_groups(client, TABLE3_PROMPT, section_text, APPLICANT_COLUMNS,
                      groups or [[k] for k in labels], labels, "table3", scoped=True)
    v = out.values
    if all(k in v for k in labels):
        for c, col in enumerate(APPLICANT_COLUMNS):
            parts = sum(v[k][c] for k in outcome_keys(template))
            if parts != v["total_processed"][c]:
                out.problems.append(f"processed_total: 列“{col}”办理结果之和 {parts} ≠ "
                                    f"（七）总计 {v['total_processed'][c]}")
            left = v["new_received"][c] + v["carried_over"][c]
            right = v["total_processed"][c] + v["carried_forward"][c]
            if left != right:
                out.problems.append(f"balance: 列“{col}”一+二={left} ≠ （七）+四={right}")
    return out


def llm_table4(client: LLMClient, section_text: str) -> TableLLM:
    """表四 (three rows of five) in one request, review_total checked (re-asked when it fails)."""
    labels = dict(REVIEW_ROWS)
    return _ask_groups(client, TABLE4_PROMPT, section_text, REVIEW_COLUMNS,
                       [list(labels)], labels, "table4", scoped=False)
