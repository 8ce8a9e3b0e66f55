"""What the model is asked: 表三 rows, a choice among a digit run's splits, prose figures, 表四
told in sentences, 表四 read whole when the rules could not read its labels.

Each task sends a small, scoped request and checks the answer before returning it: table rows
must add up (re-asked when they do not), and every value must be grounded in the source by the
checks of `grounding.py` (a value that is not is dropped, or its row marked ungrounded).
"""

from __future__ import annotations

import re
from typing import Annotated, Callable, Optional

from pydantic import BaseModel, Field, create_model

from ..errors import LLMAnswerError
from ..messages import Message, msg
from ..rules.table4_prose import COUNT_PHRASE, GROUP_NAMES, RESULT_WORDS, chinese_count
from ..template import APPLICANT_COLUMNS, REVIEW_COLUMNS, REVIEW_ROWS, TemplateId, application_rows
from .client import LLMClient
from .grounding import (
    PROSE_CUES,
    citation_grounded,
    cites_a_distinguishing_number,
    distinct_positions,
    fields_stated,
    figure_grounded,
    fmt,
    ground_row,
    label_lines,
    number_near,
    printed_cells,
    section_grounded,
    squash,
    table4_cell_span,
    token_in,
)

TABLE3_PROMPT = "table3.v1"
SPLIT_PROMPT = "split_choice.v2"
PROSE_PROMPT = "prose_figures.v1"
TABLE4_PROSE_PROMPT = "table4_prose.v1"
SECTION4_PROMPT = "section4.v1"
REVIEW_GROUP_KEYS = tuple(REVIEW_ROWS)

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
        s = squash(raw)
        lead = len(raw) - len(raw.lstrip())
        if (s and re.search(r"\d", s) and not _TABLEISH.search(raw) and len(s) <= max_chars
                and len(re.findall(r"[\u4e00-\u9fff]", s)) >= 6):
            out.append(Sentence(text=s, start=start + lead, end=end))
        start = end
    return out


# ---------------------------------------------------------------- prose figures


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


# field -> what to ask (the cue words that ground each answer are grounding.PROSE_CUES)
PROSE_FIELDS: dict[str, str] = {
    "applications_received": "本年新收（受理、收到）的政府信息公开申请总数（件）",
    "applications_processed": "本年答复（办结）的申请数（件）",
    "granted": "予以公开的申请数（件）",
    "carried_forward": "结转下年度继续办理的申请数（件）",
    "reviews_total": "政府信息公开行政复议案件数（件）",
    "lawsuits_total": "政府信息公开行政诉讼案件数（件）",
    "fees_yuan": "收取的信息处理费金额",
}


def _prose_model(keys: list[str]) -> type[BaseModel]:
    # every key required, value nullable: with optional keys the small model answers {} always
    return create_model("ProseAnswer", **{k: (Optional[float], ...) for k in keys})  # type: ignore[call-overload]


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
        keys = fields_stated(sent.text)
        if not keys:
            continue
        if asked >= max_sentences:
            break
        asked += 1
        fields = "\n".join(f"- {k}: {PROSE_FIELDS[k]}" for k in keys)

        def check(answer: BaseModel, s: str = sent.text, keys: list[str] = keys) -> list[str]:
            # a 0 that the sentence does not print is the model's "not stated": no re-ask
            return [f"{k}（{PROSE_FIELDS[k]}）：句子里没有数字 {fmt(v)}"
                    for k in keys if (v := getattr(answer, k)) and not number_near(s, v, ())]

        try:
            answer = client.ask(PROSE_PROMPT, {"sentence": sent.text, "fields": fields},
                                _prose_model(keys), check, purpose="prose_figures")
        except LLMAnswerError as e:
            result.dropped[f"sentence@{sent.start}"] = f"{e.reason}: {e}"
            continue
        for key in keys:
            value = getattr(answer, key)
            if value is None or (value == 0 and not number_near(sent.text, 0, ())):
                continue
            if not figure_grounded(sent.text, key, value):
                result.dropped[key] = (f"{fmt(value)} not next to {'/'.join(PROSE_CUES[key])} in "
                                       f"“{sent.text[:40]}”")
                continue
            if key == "fees_yuan" and re.search(re.escape(fmt(value)) + r"万元", sent.text):
                value = value * 10_000
            current = getattr(result, key)
            if current is None:
                setattr(result, key, Figure(value=value, quote=sent.text,
                                            span=(sent.start, sent.end)))
            elif current.value != value:
                result.dropped[key] = f"another sentence gives {fmt(value)}: “{sent.text[:40]}”"
    return result


# ---------------------------------------------------------------- split choice


class SplitChoice(BaseModel):
    """The model's grounded choice among admissible splits."""

    index: int
    quote: str
    span: tuple[int, int] | None = None


class _SplitAnswer(BaseModel):
    # required integers, 0 = "no basis": with nullable fields the small model always says null
    choice: int
    sentence: int


def llm_choose_split(client: LLMClient, context_text: str, field_labels: list[str],
                     candidates: list[list[int]], run: str | None = None,
                     max_sentences: int = 12) -> SplitChoice | None:
    """Index of the split the report's prose supports, with the quoted sentence; None if unsure.

    Accepted only if the cited sentence occurs in `context_text` and prints a number of the
    chosen split that no other candidate has at that position (grounding.citation_grounded).
    Raises LLMAnswerError when the model's reply is unusable (invalid, failing the checks).
    """
    if len(candidates) < 2:
        return SplitChoice(index=0, quote="") if candidates else None
    distinct = distinct_positions(candidates)
    wanted = {c[i] for c in candidates for i in distinct}
    sentences = [s for s in prose_sentences(context_text)
                 if any(token_in(s.text, v) for v in wanted)][:max_sentences]
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
        if not cites_a_distinguishing_number(candidates, ans.choice - 1,
                                             sentences[ans.sentence - 1].text):
            return [f"第 {ans.sentence} 句里没有拆分 {ans.choice} 的数字 "
                    + "、".join(str(candidates[ans.choice - 1][i]) for i in distinct)]
        return []

    # an unusable answer (invalid JSON, failing the checks) raises LLMAnswerError: the caller says why
    ans = client.ask(SPLIT_PROMPT, {
        "run": run or "".join(str(v) for v in candidates[0]),
        "fields": "、".join(field_labels), "candidates": cand_text, "sentences": numbered,
    }, _SplitAnswer, check, purpose="split_choice")
    if ans.choice == 0 or ans.sentence == 0:
        return None
    idx = ans.choice - 1
    sent = sentences[ans.sentence - 1]
    if not citation_grounded(candidates, idx, sent.text, context_text):
        return None
    return SplitChoice(index=idx, quote=sent.text, span=(sent.start, sent.end))


# ---------------------------------------------------------------- 表三 rows


class TableLLM(BaseModel):
    """Rows the model read and whose row totals hold (a row it could not give is left out)."""

    values: dict[str, list[int]] = Field(default_factory=dict)
    evidence: dict[str, str | None] = Field(default_factory=dict)   # row -> source line(s) or None
    unusable: dict[str, str] = Field(default_factory=dict)   # row -> why the model's answer was unusable


def row_model(name: str, keys: list[str], width: int) -> type[BaseModel]:
    """The answer schema for a group of rows: each a list of exactly `width` integers."""
    cell = Annotated[list[int], Field(min_length=width, max_length=width)]
    return create_model(name, **{k: (cell, ...) for k in keys})  # type: ignore[call-overload]


def row_snippet(section_text: str, labels: list[str], before: int = 1, after: int = 2) -> str:
    """Only the lines around the given row labels (in source order): what a row-group request
    sends, because the small model misplaces values when it sees the whole table."""
    lines = section_text.splitlines()
    keep: set[int] = set()
    for label in labels:
        for i in label_lines(lines, label)[:2]:
            keep.update(range(max(0, i - before), min(len(lines), i + after + 1)))
    return "\n".join(lines[i] for i in sorted(keep))


def row_total_checks(labels: dict[str, str], width: int) -> Callable[[BaseModel], list[str]]:
    """The re-ask checks of a row group: each row's last number is the sum of the others."""
    def check(answer: BaseModel) -> list[str]:
        problems = []
        for key, label in labels.items():
            row = list(getattr(answer, key))
            if sum(row[:-1]) != row[-1]:
                parts = row[:-1]
                problems.append(f"行合计不符：“{label}”的前{width - 1}列之和 "
                                f"{'+'.join(map(str, parts))}={sum(parts)}，与总计 {row[-1]} 不相等")
        return problems
    return check


def llm_table3(client: LLMClient, section_text: str, template: TemplateId,
               groups: list[list[str]] | None = None) -> TableLLM:
    """表三 read row by row (or by `groups` of rows), each request carrying only the source
    lines around its row labels, with row-total checks per request (re-asked when they fail).
    The table's column sums are checks.py's job, on the assembled record.

    `evidence[row]` is None when the row's numbers were not found next to its label: such a
    row is not grounded and must go to review.
    """
    labels = application_rows(template)
    out = TableLLM()
    width = len(APPLICANT_COLUMNS)
    for n, keys in enumerate(groups or [[k] for k in labels], 1):
        if not keys:
            continue
        group_labels = {k: labels[k] for k in keys}
        snippet = row_snippet(section_text, list(group_labels.values()))
        if not snippet.strip():
            continue    # the row labels are not in the section: nothing to show the model
        try:
            answer = client.ask(TABLE3_PROMPT, {
                "section": snippet, "columns": "、".join(APPLICANT_COLUMNS),
                "rows": "\n".join(f"- {k}: {lab}" for k, lab in group_labels.items()),
            }, row_model(f"RowGroup{n}", keys, width), row_total_checks(group_labels, width),
                purpose=f"table3:group{n}")
        except LLMAnswerError as e:
            for k in keys:   # the row stays unread (and the report in review), saying why
                out.unusable[k] = f"{e.reason}: {e}"
            continue
        for k in keys:
            row = list(getattr(answer, k))
            out.values[k] = row
            out.evidence[k] = ground_row(section_text, labels[k], row)
    return out


# ---------------------------------------------------------------- 表四 told in sentences


class _Group4(BaseModel):
    """One group's answer. The total comes first, as sentences state it first ('复议2件，其中
    结果维持1件…'): asked last, the small model copied a result into it."""

    sentence: int = Field(description="写明这一组数字的句子编号；没有写到这一组则为 0")
    total: int = Field(description="这一组的总件数")
    upheld: int = Field(description="结果维持（件）")
    corrected: int = Field(description="结果纠正（件）")
    other: int = Field(description="其他结果（件）")
    pending: int = Field(description="尚未审结（件）")


# how each group is named to the model
_T4_GROUP_NAMES = {"review": "行政复议", "litigation_direct": "行政诉讼中未经复议直接起诉的",
                   "litigation_after_review": "行政诉讼中复议后起诉的"}


_T4_FIELDS = ("upheld", "corrected", "other", "pending", "total")   # the record's column order


class Table4Prose(BaseModel):
    """The cells of 表四 the model read from the section's sentences and the grounding kept:
    (group, column) -> (value, span of the number in the text given). Dropped answers say why."""

    cells: dict[tuple[str, int], tuple[int, tuple[int, int]]] = Field(default_factory=dict)
    dropped: list[Message] = Field(default_factory=list)     # why an answer was not used
    answer: dict[str, list[int]] = Field(default_factory=dict)   # the model's numbers, as given


_T4_SENTENCE = re.compile(r"[^。；;！？!?\n]+[。；;！？!?]?")
def table4_sentences(text: str, start: int, end: int, max_sentences: int = 12) -> list[Sentence]:
    """The sentences of section 四 (text[start:end]) stating a count with its unit beside the
    name of a review or a lawsuit (a flattened table's digits have no unit)."""
    out: list[Sentence] = []
    for m in _T4_SENTENCE.finditer(text, start, end):
        s = m.group(0).strip()
        if s and COUNT_PHRASE.search(s) and re.search(r"复议|诉讼|起诉", s):
            lead = len(m.group(0)) - len(m.group(0).lstrip())
            out.append(Sentence(text=s, start=m.start() + lead, end=m.start() + lead + len(s)))
    return out[:max_sentences]


def llm_table4_prose(client: LLMClient, text: str, start: int, end: int) -> Table4Prose:
    """表四 told in sentences (section 四 is text[start:end]), one request per group over the
    sentences that may speak of it: the group's five counts and the sentence they were read
    from, re-asked when a number is not in the cited sentence or the 总计 is not the sum of the
    results. A number is kept only where grounding.table4_cell_span finds it printed in that
    sentence as that cell (a 0 the sentence does not print is "not stated", never a zero).
    A group whose answer stays unusable is left unread, saying why. Raises LLMTransportError."""
    out = Table4Prose()
    for group in REVIEW_GROUP_KEYS:
        sentences = group_passages(text, start, end, group)
        if not sentences:
            continue
        try:
            g = _ask_group(client, group, sentences)
        except LLMAnswerError as e:
            out.dropped.append(msg("llm_table4_group_unusable", group=REVIEW_ROWS[group], reason=e.reason,
                                   error="; ".join(e.failed_checks) or str(e)))
            continue
        values = [getattr(g, f) for f in _T4_FIELDS]
        out.answer[group] = values
        if g.sentence == 0:
            continue
        sent = sentences[g.sentence - 1]
        for col, v in enumerate(values):
            span = table4_cell_span(text, (sent.start, sent.end), group, col, v)
            if span is not None:
                out.cells[(group, col)] = (v, span)
            elif v:
                out.dropped.append(msg("llm_table4_not_printed", group=REVIEW_ROWS[group], column=REVIEW_COLUMNS[col],
                                       value=v, sentence=sent.text[:60]))
    return out


def group_passages(text: str, start: int, end: int, group: str) -> list[Sentence]:
    """The passages of section 四's sentences that speak of one group: each from a mention of
    the group's name to the next group's name or the sentence's end ('未经复议直接起诉5件（结果维持
    4件…），'). The small model reads one such passage exactly; given the whole sentence it mixes
    the groups' numbers."""
    out: list[Sentence] = []
    for sent in table4_sentences(text, start, end):
        names = list(GROUP_NAMES.finditer(text, sent.start, sent.end))
        for i, m in enumerate(names):
            if m.lastgroup != group:
                continue
            stop = names[i + 1].start() if i + 1 < len(names) else sent.end
            passage = text[m.start():stop].strip()
            if COUNT_PHRASE.search(passage) or re.search(r"未发生|没有|无", passage):
                out.append(Sentence(text=passage, start=m.start(), end=m.start() + len(passage)))
    return out


def _ask_group(client: LLMClient, group: str, sentences: list[Sentence]) -> _Group4:
    """One group's five counts and its sentence, re-asked while a number is not in the cited
    sentence or the 总计 is not the sum of the four results."""
    def check(g: _Group4) -> list[str]:
        v = [getattr(g, f) for f in _T4_FIELDS]
        if g.sentence == 0:
            return []
        if not 1 <= g.sentence <= len(sentences):
            return [f"句子编号 {g.sentence} 不存在（应为 1 到 {len(sentences)}，没有写到填 0）"]
        out = []
        missing = [str(x) for x in v if x and not _count_in(sentences[g.sentence - 1].text, x)]
        if missing:
            out.append(f"第 {g.sentence} 句里没有数字 {'、'.join(missing)}")
        states_results = any(rx.search(sentences[g.sentence - 1].text) for rx in RESULT_WORDS)
        if (any(v[:4]) or states_results) and sum(v[:4]) != v[4]:
            out.append(f"结果维持+结果纠正+其他结果+尚未审结 = {sum(v[:4])}，与总计 {v[4]} 不相等")
        return out

    numbered = "\n".join(f"[{i}] {s.text}" for i, s in enumerate(sentences, 1))
    return client.ask(TABLE4_PROSE_PROMPT, {"sentences": numbered, "group": _T4_GROUP_NAMES[group]},
                      _Group4, check, purpose=f"table4_prose:{group}")


def _count_in(sentence: str, value: int) -> bool:
    return any(chinese_count(m.group("n")) == value for m in COUNT_PHRASE.finditer(sentence)) \
        or token_in(sentence, value)


# ---------------------------------------------------------------- a whole section (表四)

_MAX_SECTION_CHARS = 1500   # longer, the 0.5B model loses the table in it: not asked


class SectionReading(BaseModel):
    """表四's 15 numbers as the model read the whole section, each found where the section prints it."""

    values: list[int]
    spans: list[tuple[int, int]]     # offsets in the text given, one per value
    together: bool                   # printed one after another, no other number between them


def section_prompt_text(text: str) -> str:
    """The section as the model sees it: its lines that print a number, runs of spaces as one
    (garbled labels between them only mislead the small model; a layout dump's columns are wide)."""
    lines = (re.sub(r"[ \t\u3000]+", " ", ln).strip() for ln in text.splitlines())
    return "\n".join(ln for ln in lines if re.search(r"\d", ln))


def llm_section4(client: LLMClient, text: str, start: int, end: int) -> SectionReading | None:
    """Section 四 (text[start:end], heading to section 五) read whole by the model, with the
    template's groups and columns: 15 numbers, re-asked while a group does not add up or a number
    is not printed in the section. Kept only when the section prints them in this order
    (grounding.section_grounded); None when it does not, or the section is too long to send.
    Raises LLMAnswerError (the answer unusable) or LLMTransportError."""
    section = text[start:end]
    shown = section_prompt_text(section)
    if len(shown) > _MAX_SECTION_CHARS:
        return None
    printed = printed_cells(text, start, end)
    in_section = {v for v, _, _ in printed}
    width = len(REVIEW_COLUMNS)
    groups = dict(REVIEW_ROWS)
    model = row_model("Section4", list(groups), width)

    def check(answer: BaseModel) -> list[str]:
        problems = []
        for key, label in groups.items():
            row = list(getattr(answer, key))
            if sum(row[:-1]) != row[-1]:
                problems.append(f"“{label}”的前{width - 1}个数之和 {'+'.join(map(str, row[:-1]))}={sum(row[:-1])}，"
                                f"与总计 {row[-1]} 不相等")
            missing = [v for v in row if v not in in_section]
            if missing:
                problems.append(f"“{label}”的 {'、'.join(map(str, missing))} 不在原文里")
        return problems

    answer = client.ask(SECTION4_PROMPT, {
        "section": shown, "columns": "、".join(REVIEW_COLUMNS),
        "groups": "\n".join(f"- {k}: {label}" for k, label in groups.items()),
    }, model, check, purpose="section4")
    values = [v for k in groups for v in getattr(answer, k)]
    found = section_grounded(values, printed)
    if found is None:
        return None
    spans, together = found
    return SectionReading(values=values, spans=spans, together=together)
