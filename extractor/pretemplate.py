"""Reports from before the national template: recognise them and read their legacy record.

A report predates the template when none of the template's own tables (表三, 表四 as a table) is there and
either its year is before 2019 or it prints the old statistics table. It is then not read as a
template record at all (every template cell would be a zero nobody printed): its old table and
its "none received" sentences become a `LegacyRecord` with provenance, and the result's status
is `pretemplate`, kept out of the review queue.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Sequence

from .document import Span
from .legacy import LegacyFigure, LegacyKind, LegacyRecord
from .messages import Message, msg, render, render_message
from .normalise import NormText
from .result import CellProvenance, ExtractionResult, Finding
from .rules import Tables
from .rules.legacy_table import LegacyRow, LegacyTable

TEMPLATE_FIRST_YEAR = 2019   # 国办公开办函〔2019〕60号: the first annual reports on the template are for 2019

_COLUMN_ROLES = {"this_year": "本年度", "cumulative": "历年累计"}


def predates_template(tables: Tables, legacy_table: LegacyTable | None) -> Message | None:
    """Why the report is taken as predating the national template, or None."""
    t4 = tables.table4
    if tables.table3 is not None or (t4.status != "absent" and t4.arrangement != "prose"):
        return None   # a table of the template: 表四 told in sentences is no sign of it (old reports do that)
    year = tables.metadata.year
    if year is not None and year < TEMPLATE_FIRST_YEAR:
        return msg("pretemplate_year", year=year, first=TEMPLATE_FIRST_YEAR)
    if legacy_table is not None:
        return msg("pretemplate_old_table")
    return None


def pretemplate_result(result: ExtractionResult, norm: NormText, tables: Tables,
                       legacy_table: LegacyTable | None, reason: Message) -> ExtractionResult:
    """Fill `result` as a report from before the template: status, legacy record, provenance; its
    reasons are its findings of rule "pretemplate" (why, and what was read)."""
    reader = _Reader(norm)
    if legacy_table is not None:
        reader.table(legacy_table)
    reader.statements(legacy_table, tables.metadata.year)
    meta = tables.metadata
    kind: LegacyKind = "statistics_table" if legacy_table is not None else ("text_only" if reader.figures else "nothing")
    legacy = LegacyRecord(organization=meta.organization, year=meta.year, reason=render_message(reason, "en"),
                          reason_message=reason, kind=kind,
                          columns=list(legacy_table.columns) if legacy_table else [],
                          figures=reader.figures, source_inconsistencies=reader.inconsistencies)
    result.status = "pretemplate"
    result.record = None
    result.legacy = legacy
    result.provenance = reader.provenance
    result.findings = [Finding(rule="pretemplate", severity="info", code=reason["code"], params=reason["params"]),
                       Finding(rule="pretemplate", severity="info", **_summary(legacy)), *reader.findings]
    result.reasons = [f.message for f in result.findings if f.rule == "pretemplate"]
    return result


def _summary(legacy: LegacyRecord) -> dict[str, Any]:
    """What was read, as the code and parameters of a finding."""
    if legacy.kind == "nothing":
        return {"code": "legacy_nothing_read"}
    table = [f for f in legacy.figures if f.source == "table"]
    text = [f for f in legacy.figures if f.source == "text"]
    doubtful = [f for f in legacy.figures if f.doubt]
    parts = []
    if legacy.kind == "statistics_table":
        parts.append(msg("legacy_table_read", n=len(table)))
    if text:
        parts.append(msg("legacy_from_sentences", n=len(text)))
    if doubtful:
        parts.append(msg("legacy_not_settled_count", n=len(doubtful), name=doubtful[0].name,
                         doubt=doubtful[0].doubt_message or doubtful[0].doubt))
    return {"code": "legacy_summary", "params": {"parts": parts}}


def _number(v: int | Decimal) -> int | float:
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


class _Reader:
    """Builds the legacy figures with one provenance entry per number."""

    def __init__(self, norm: NormText):
        self.norm = norm
        self.figures: list[LegacyFigure] = []
        self.provenance: list[CellProvenance] = []
        self.findings: list[Finding] = []
        self.inconsistencies: list[str] = []

    def _span(self, a: int, b: int) -> Span:
        s, e = self.norm.source_span(a, b)
        return Span(start=s, end=e)

    # ---- the old statistics table
    def table(self, t: LegacyTable) -> None:
        for row in t.rows:
            i = len(self.figures)
            fig = LegacyFigure(key=row.key, name=row.name, unit=row.unit, source="table")
            if row.chosen is not None:
                for role, cell in zip(t.roles, row.chosen):
                    value = _number(cell.value)
                    setattr(fig, role, value)
                    self.provenance.append(CellProvenance(
                        field=f"legacy.figures[{i}].{role}", value=value, method=cell.method,  # type: ignore[arg-type]
                        span=self._span(cell.start, cell.end), label=row.name,
                        label_span=self._span(*row.name_span),
                        note_message=None if row.how is None or row.how["code"] == "how_as_printed"
                        else msg("glued_read_by", how=row.how)))
            else:
                fig.doubt_message = row.problem or _readings_doubt(row, t.roles)
                fig.doubt = render_message(fig.doubt_message, "en")
                self.findings.append(Finding(
                    rule="legacy_not_settled", severity="info", code="legacy_not_settled",
                    params={"name": row.name, "doubt": fig.doubt_message},
                    cells=[f"legacy.figures[{i}]"],
                    numbers={"readings": [[_number(c.value) for c in r] for r in row.readings[:20]]}))
            self.figures.append(fig)
        self._table_checks(t)

    def _table_checks(self, t: LegacyTable) -> None:
        """Sums and cumulative figures the printed table breaks (transcribed as printed, noted)."""
        for i, row in enumerate(t.rows):
            parts = t.children(i)
            if row.parent is not None or not parts or row.chosen is None:
                continue
            if any(t.rows[j].chosen is None for j in parts):
                continue
            for c, role in enumerate(t.roles):
                total = row.chosen[c].value
                values = [t.rows[j].chosen[c].value for j in parts]  # type: ignore[index]
                if total != sum(values):
                    terms = [msg("legacy_term", name=t.rows[j].name, value=_number(v)) for j, v in zip(parts, values)]
                    self._inconsistent("legacy_sum", {"name": row.name, "column": _COLUMN_ROLES[role],
                                                      "total": _number(total), "terms": terms},
                                       [f"legacy.figures[{k}].{role}" for k in (i, *parts)])
        if "cumulative" in t.roles:
            ty, cum = t.roles.index("this_year"), t.roles.index("cumulative")
            for i, row in enumerate(t.rows):
                if row.chosen is not None and row.chosen[cum].value < row.chosen[ty].value:
                    self._inconsistent("legacy_cumulative", {"name": row.name,
                                                             "cumulative": _number(row.chosen[cum].value),
                                                             "this_year": _number(row.chosen[ty].value)},
                                       [f"legacy.figures[{i}].cumulative"])

    def _inconsistent(self, rule: str, params: dict[str, Any], cells: list[str]) -> None:
        """A printed inconsistency: said in the legacy record, and a finding (code = rule)."""
        self.inconsistencies.append(render(rule, params, "en"))
        self.findings.append(Finding(rule=rule, severity="source", code=rule, params={**params, "verdict": "printed"},
                                     cells=cells))

    # ---- sentences saying there were none
    def statements(self, t: LegacyTable | None, year: int | None) -> None:
        text = self.norm.text
        table_span = t.span if t else (0, 0)
        found: dict[str, tuple[int, int, str]] = {}
        for m in _CLAUSE.finditer(text):
            if table_span[0] <= m.start() < table_span[1]:
                continue
            clause = m.group(0)
            for key in _none_stated(clause, year):
                # the words that say so: the clause from a little before its negation
                neg = _NONE_SAID.search(clause) or _ZERO_COUNT.search(clause)
                a = m.start() + max(0, (neg.start() if neg else 0) - 24)
                while a < m.end() and text[a].isspace():
                    a += 1
                found.setdefault(key, (a, m.end(), text[a:m.end()].strip()))
        for key, (a, b, clause) in found.items():
            have = next((f for f in self.figures if f.key == key and f.source == "table"), None)
            if have is not None:
                if have.this_year:
                    self._inconsistent("legacy_text", {"clause": clause, "name": have.name, "value": have.this_year},
                                       [f"legacy.figures[{self.figures.index(have)}].this_year"])
                continue
            i = len(self.figures)
            self.figures.append(LegacyFigure(key=key, name=clause, source="text", this_year=0))
            self.provenance.append(CellProvenance(
                field=f"legacy.figures[{i}].this_year", value=0, method="statement", span=self._span(a, b),
                label=clause, note_message=msg("statement_none")))


_CLAUSE = re.compile(r"[^，,；;。！!？?\n]+")
_NONE_SAID = re.compile(r"未收到|没有收到|未接到|没有接到|未发生|没有发生|未有")
_ZERO_COUNT = re.compile(r"(行政复议|行政诉讼)[^\d，。；]{0,8}?(?<![\d.])0\s*[件起宗个次]")
_YEARS = re.compile(r"((?:19|20)\d\d)\s*年")


def _none_stated(clause: str, year: int | None) -> list[str]:
    """The legacy keys a clause says were none: '2018年未收到有关政府信息公开申请' -> applications_total."""
    if "公开" not in clause:
        return []
    if year is not None and any(int(y) != year for y in _YEARS.findall(clause)):
        return []   # about another year
    keys: list[str] = []
    if _NONE_SAID.search(clause):
        if "行政复议" in clause:
            keys.append("reviews")
        if "行政诉讼" in clause:
            keys.append("lawsuits")
        if not keys and "申请" in clause:
            keys.append("applications_total")
    for m in _ZERO_COUNT.finditer(clause):
        key = "reviews" if m.group(1) == "行政复议" else "lawsuits"
        if key not in keys:
            keys.append(key)
    return keys


def _readings_doubt(row: LegacyRow, roles: Sequence[str]) -> Message:
    return msg("legacy_readings", digits="".join(str(c.value) for c in row.readings[0]) if row.readings else "",
               columns=[_COLUMN_ROLES.get(r, r) for r in roles], n=len(row.readings),
               readings=[[_number(c.value) for c in r] for r in row.readings[:6]],
               more=msg("ellipsis") if len(row.readings) > 6 else None)
