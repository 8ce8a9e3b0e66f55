"""From a loaded document to a decided result: rules, assembly with provenance, checks, decision."""

from __future__ import annotations

import re
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Iterator

from .checks import RULES, check_record, undetermined
from .decide import decide
from .document import Document, Span
from .llm_assist import cross_check_prose, needs_help, read_table3, settle_splits
from .metadata import extract_metadata
from .normalise import NormText, normalise
from .record import parse_record, record_to_dict
from .result import CellProvenance, ExtractionResult, Finding
from .rules_table2 import Table2, extract_table2, is_money_cell
from .rules_table3 import Table3, extract_table3
from .rules_table4 import Table4, extract_table4
from .settings import Settings
from .split import Piece
from .template import (ACTIVE_2019_DOC_TRIPLE, ACTIVE_2019_ITEM_TRIPLE, ACTIVE_2021_TRIPLE, REVIEW_ROWS,
                       TemplateId, application_rows)
from .version import ENGINE_VERSION

_T2021 = re.compile(r"〔\s*2021\s*〕\s*30\s*号|2021\s*\]\s*30|国办公开办函\s*〔\s*2021")
_T2019 = re.compile(r"〔\s*2019\s*〕\s*60\s*号|国办公开办函\s*〔\s*2019")
# the methods whose numbers are exactly what the report prints (no inference)
_AS_PRINTED = {"grid_cell", "text_token", "blank_cell", "row_absent"}


def extract_document(doc: Document, settings: Settings, *, llm: object | None = None) -> ExtractionResult:
    """Run the rules on one document and decide its status (LLM help is added by llm_assist)."""
    norm = normalise(doc.text)
    text = norm.text
    t3 = extract_table3(text)
    t2 = extract_table2(text, t3.span[0] if t3 else None)
    t4 = extract_table4(text, t3.span[1] if t3 else t2.span[1])
    meta = extract_metadata(text, doc.title, doc.source)

    result = ExtractionResult(source=doc.source, status="review", format=doc.format,
                              engine_version=ENGINE_VERSION)
    if t3 is None and all(i.status == "absent" for i in t2.items.values()) and t4.status == "absent":
        result.status = "failed"
        result.error = (f"{doc.source}: no report tables found (looked for 表二 第二十条…, 表三 "
                        "本年新收政府信息公开申请数量…, 表四 行政复议 结果维持…); is this an annual report?")
        result.reasons = [result.error]
        return result

    template = _template(text, t2, t3)
    if t2.template is None and template == "2019":
        # no 表二 header to tell: read its rows as the template the report otherwise follows
        t2 = extract_table2(text, t3.span[0] if t3 else None, template)
    use_llm = llm is not None and settings.llm != "off"
    llm_findings: list[Finding] = []
    with _ledger(llm if use_llm else None) as calls:
        if use_llm and needs_help(t2, t3, t4):
            settle_splits(llm, text, template, t2, t3, t4, llm_findings)
            read_table3(llm, text, template, t3, llm_findings)
        result = _assemble(result, norm, meta, template, t2, t3, t4, llm_findings)
        if use_llm and settings.llm == "on" and result.record is not None:
            cross_check_prose(llm, text, result.record, result.findings)
    result.llm_usage = list(calls)
    result.prompt_versions = sorted({c.prompt_id.split("+")[0] for c in calls})
    return result


@contextmanager
def _ledger(client: Any) -> Iterator[list]:
    """The client's per-report usage ledger (an empty list when the model is not used)."""
    if client is None:
        yield []
        return
    with client.ledger() as calls:
        yield calls


def _assemble(result: ExtractionResult, norm: NormText, meta: Any, template: TemplateId, t2: Table2,
              t3: Table3 | None, t4: Table4, llm_findings: list[Finding]) -> ExtractionResult:
    asm = _Assembly(norm, template)
    asm.table2(t2)
    asm.table3(t3)
    asm.table4(t4)
    record: dict[str, Any] = {
        "organization": meta.organization,
        "year": meta.year or 0,
        "template": template,
        "active_disclosure": asm.active,
        "applications": asm.applications,
        "review_litigation": asm.review,
        "source_inconsistencies": [],
    }
    findings = list(asm.findings) + llm_findings
    if not meta.organization:
        findings.append(Finding(rule="metadata", severity="review",
                                message="the issuing agency could not be read from the title"))
    if not meta.year:
        findings.append(Finding(rule="metadata", severity="review",
                                message="the report year could not be read from the title or text"))
    methods = {p.field: p.method for p in asm.provenance}
    inconsistent: set[str] = set()
    doubts = _layout_doubts(t3)
    for f in check_record(record):
        if doubts and f.rule in ("processed_total", "balance", "row_total"):
            f.message = f"the extracted numbers do not add up ({doubts[0]}): " + f.message
        elif all(methods.get(c) in _AS_PRINTED or asm.settled_alone.get(c) for c in f.cells):
            f.severity = "source"
            f.message = "printed in the report: " + f.message
            inconsistent.add(f.rule)
        else:
            f.message = "the extracted numbers do not add up: " + f.message
        findings.append(f)
    absent = {p.field for p in asm.provenance if p.method == "absent_cell"}
    if absent:
        values = {p.field: p.value for p in asm.provenance}
        unpinned = undetermined(record, values, absent)
        if unpinned:
            findings.append(Finding(
                rule="cells_not_printed", severity="review",
                message=(f"{len(unpinned)} cell(s) are not printed in the source and the sums do not "
                         f"show they are 0 ({', '.join(unpinned[:4])}{' …' if len(unpinned) > 4 else ''}); "
                         "a table whose cells were not found is not a table of zeros"),
                cells=unpinned))
    record["source_inconsistencies"] = [r for r in RULES if r in inconsistent]
    record = record_to_dict(parse_record(record))  # validated against the canonical model
    result.record = record
    result.findings = findings
    result.provenance = asm.provenance
    result.status, result.reasons = decide(findings)
    return result


def _layout_doubts(t3: Table3 | None) -> list[str]:
    """Signs that 表三's numbers may sit beside the wrong labels: then a broken sum is not taken
    as printed in the report. A row printed with no numbers at all is such a sign (numbers
    displaced to a neighbouring label leave one row empty)."""
    if t3 is None:
        return []
    doubts = list(t3.notes)
    empty = [r.label for r in t3.rows.values() if r.status == "blank" and not r.tokens]
    if empty:
        label = re.sub(r"\s+", "", empty[0] or "")
        doubts.append(f"row {label} has no numbers")
    return doubts


def _template(text: str, t2: Table2, t3: Table3 | None) -> TemplateId:
    """FORMAT.md: the template follows the 主动公开 table; failing that, the cited notice, then 表三."""
    if t2.template:
        return t2.template
    if _T2021.search(text):
        return "2021"
    if _T2019.search(text):
        return "2019"
    return t3.six_form if t3 else "2021"


def _num(v: int | Decimal) -> int | float:
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


class _Assembly:
    """Builds the record's three parts with one provenance entry per number."""

    def __init__(self, norm: NormText, template: TemplateId):
        self.norm = norm
        self.template = template
        self.findings: list[Finding] = []
        self.provenance: list[CellProvenance] = []
        self.settled_alone: dict[str, bool] = {}  # cell -> split forced by the digits and its own row
        self.active: dict[str, Any] = {}
        self.applications: dict[str, list[int]] = {}
        self.review: dict[str, list[int]] = {}

    def _span(self, p: Piece) -> Span | None:
        if p.start < 0:
            return None
        a, b = self.norm.source_span(p.start, p.end)
        return Span(start=a, end=b)

    def _label_span(self, span: tuple[int, int] | None) -> Span | None:
        if span is None:
            return None
        a, b = self.norm.source_span(*span)
        return Span(start=a, end=b)

    def _record(self, field: str, p: Piece | None, value: int | float, method: str, label: str | None,
                label_span: tuple[int, int] | None, note: str | None = None) -> None:
        self.provenance.append(CellProvenance(
            field=field, value=value, method=method,  # type: ignore[arg-type]
            span=self._span(p) if p is not None else None,
            label=re.sub(r"\s+", "", label) if label else None,
            label_span=self._label_span(label_span), note=note or None))

    # ---- 表二
    def table2(self, t2: Table2) -> None:
        sub = {
            "2021": {"rules": ACTIVE_2021_TRIPLE, "normative_documents": ACTIVE_2021_TRIPLE},
            "2019": {"rules": ACTIVE_2019_DOC_TRIPLE, "normative_documents": ACTIVE_2019_DOC_TRIPLE,
                     "licensing": ACTIVE_2019_ITEM_TRIPLE, "other_services": ACTIVE_2019_ITEM_TRIPLE,
                     "punishment": ACTIVE_2019_ITEM_TRIPLE, "enforcement": ACTIVE_2019_ITEM_TRIPLE,
                     "fees": ("prev_year_items", "change"), "procurement": ("items", "amount_wan_yuan")},
        }[self.template]
        normative_found = t2.items.get("normative_documents") is not None and \
            t2.items["normative_documents"].status != "absent"
        for key, item in t2.items.items():
            names = sub.get(key)
            pieces: list[Piece | None]
            method: str
            note = item.note
            if item.chosen is not None:
                pieces = list(item.chosen)
                method = ""
            elif item.candidates:
                pieces = list(item.candidates[0])
                method = "candidate"
            else:
                pieces = [None] * item.n
                method = "row_absent"
            if item.status == "absent":
                if key == "rules" and normative_found:
                    note = "no 规章 row printed (only 规范性文件): 0 by FORMAT.md"
                else:
                    self.findings.append(Finding(
                        rule="missing_row", severity="review",
                        message=f"表二 row {key} not found in the source; recorded as 0",
                        cells=[f"active_disclosure.{key}"]))
                    note = "row not found"
            elif item.status in ("ambiguous", "unreadable"):
                self.findings.append(Finding(
                    rule="ambiguous_split" if item.status == "ambiguous" else "unreadable_row",
                    severity="review", message=f"表二 {item.label}: {item.note}",
                    cells=[f"active_disclosure.{key}" + (f".{n}" if names else "") for n in (names or [""])],
                    numbers={"candidates": [[_num(p.value) for p in c] for c in item.candidates[:20]]}))
            values: list[int | float] = []
            for i, p in enumerate(pieces):
                v: int | float = _num(p.value) if p is not None else 0
                m = method or (p.method if p is not None else "row_absent")
                if is_money_cell(key, i) and t2.amount_unit == "元" and p is not None:
                    v = _num(Decimal(str(p.value)) / Decimal(10000))
                    note = (note + "; " if note else "") + f"printed {p.value} 元, recorded in 万元"
                    m = "converted" if m != "candidate" else m
                values.append(v)
                field = f"active_disclosure.{key}" + (f".{names[i]}" if names else "")
                self._record(field, p, v, m, item.label, item.label_span, note)
            if names:
                self.active[key] = dict(zip(names, values))
            else:
                self.active[key] = values[0]

    # ---- 表三
    def table3(self, t3: Table3 | None) -> None:
        keys = list(application_rows(self.template))
        if t3 is None:
            self.findings.append(Finding(rule="missing_table", severity="review",
                                         message="表三 (收到和处理政府信息公开申请情况) not found"))
            for k in keys:
                self.applications[k] = [0] * 7
            return
        rows = t3.rows
        mixed_note = None
        source_key = {k: k for k in keys}
        if self.template == "2021" and t3.six_form == "2019":
            source_key["other_other"] = "other_processing"
            mixed_note = "表三 prints a single （六）其他处理 row: recorded in other_other (FORMAT.md)"
        for key in keys:
            field = f"applications.{key}"
            if self.template == "2019" and key == "other_processing" and t3.six_form == "2021":
                self._sum_other_rows(t3)
                continue
            if key in ("other_overdue_correction", "other_overdue_fee") and t3.six_form == "2019":
                self.applications[key] = [0] * 7
                for c in range(7):
                    self._record(f"{field}[{c}]", None, 0, "row_absent", None, None,
                                 "the report's 表三 has no （六） sub-rows (older template)")
                continue
            row = rows[source_key[key]]
            note = mixed_note if source_key[key] != key else row.note
            if row.status == "position":
                self.findings.append(Finding(
                    rule="label_not_beside_numbers", severity="review",
                    message=f"表三 {application_rows(self.template)[key]}: {row.note}",
                    cells=[f"{field}[{c}]" for c in range(7)]))
            if row.status == "absent":
                self.findings.append(Finding(
                    rule="missing_row", severity="review",
                    message=f"表三 row {application_rows(self.template)[key]} not found in the source; recorded as 0",
                    cells=[f"{field}[{c}]" for c in range(7)]))
                self.applications[key] = [0] * 7
                for c in range(7):
                    self._record(f"{field}[{c}]", None, 0, "row_absent", None, None, "row not found")
                continue
            pieces = row.chosen
            method = ""
            if pieces is None:
                pieces = row.candidates[0] if row.candidates else None
                method = "candidate"
                self.findings.append(Finding(
                    rule="ambiguous_split" if row.status == "ambiguous" else "unreadable_row",
                    severity="review",
                    message=f"表三 {application_rows(self.template)[key]}: " + (
                        row.note or f"{len(row.candidates)} readings of the digits "
                        f"'{' '.join(t.text for t in row.tokens)}'"),
                    cells=[f"{field}[{c}]" for c in range(7)],
                    numbers={"printed": " ".join(t.text for t in row.tokens),
                             "candidates": [[int(p.value) for p in c] for c in row.candidates[:20]]}))
            values = [int(p.value) for p in pieces] if pieces else [0] * 7
            self.applications[key] = values
            for c in range(7):
                p = pieces[c] if pieces else None
                m = method or (p.method if p else "row_absent")
                self._record(f"{field}[{c}]", p, values[c], m, row.label, row.label_span, note)
                if m == "split_run" and row.forced:
                    self.settled_alone[f"{field}[{c}]"] = True

    def _sum_other_rows(self, t3: Table3) -> None:
        subs = [t3.rows[k] for k in ("other_overdue_correction", "other_overdue_fee", "other_other")]
        total = [0] * 7
        for r in subs:
            if r.chosen is not None:
                total = [a + int(p.value) for a, p in zip(total, r.chosen)]
        self.applications["other_processing"] = total
        for c in range(7):
            self._record(f"applications.other_processing[{c}]", None, total[c], "converted", "（六）其他处理",
                         None, "sum of the three （六） sub-rows the report prints (FORMAT.md)")
        for r in subs:
            if r.chosen is None and r.status != "absent":
                self.findings.append(Finding(rule="unreadable_row", severity="review",
                                             message=f"表三 （六） sub-row {r.key}: {r.note}"))

    # ---- 表四
    def table4(self, t4: Table4) -> None:
        pieces = t4.chosen
        method = ""
        if pieces is None:
            self.findings.append(Finding(
                rule="missing_table" if t4.status == "absent" else
                ("ambiguous_split" if t4.status == "ambiguous" else "unreadable_row"),
                severity="review", message=f"表四: {t4.note}",
                cells=[f"review_litigation.{k}[{i}]" for k in REVIEW_ROWS for i in range(5)],
                numbers={"printed": " ".join(t.text for t in t4.tokens),
                         "candidates": [[int(p.value) for p in c] for c in t4.candidates[:20]]}))
            if t4.candidates:
                pieces = t4.candidates[0]
                method = "candidate"
        values = [int(p.value) for p in pieces] if pieces else [0] * 15
        label = "行政复议/行政诉讼 (结果维持 … 总计)"
        for g, key in enumerate(REVIEW_ROWS):
            self.review[key] = values[g * 5:(g + 1) * 5]
            for i in range(5):
                p = pieces[g * 5 + i] if pieces else None
                m = method or (p.method if p else "row_absent")
                field = f"review_litigation.{key}[{i}]"
                self._record(field, p, values[g * 5 + i], m, label, t4.header_span, t4.note)
