"""The indicators of one report, each defined once here as sums of record cells (formula shown from it).

An indicator is a count, an amount, or a share (numerator / denominator). Each term is a cell path
of the canonical record (FORMAT.md), per template where the templates name the cell differently;
the formula shown on the pages and in the CSV notes is written from the same terms, so what is
shown is what is computed. A share whose denominator is below the indicator's `min_denominator`
is shown but not ranked; a share whose denominator is 0 has no value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from ..record import cell_values
from ..template import cell_labels, outcome_keys

Kind = Literal["count", "amount", "share"]
Terms = tuple[str, ...]          # cell paths added up; a leading '-' subtracts the cell
TEMPLATES = ("2021", "2019")

# A share's denominator below these is shown but not ranked (stated on the rankings page).
MIN_APPLICATIONS = 10            # processed applications
MIN_CONCLUDED = 5                # concluded reviews / lawsuits


def _total(row: str) -> str:
    return f"applications.{row}[6]"


def _rows(rows: list[str]) -> Terms:
    return tuple(_total(r) for r in rows)


_WITHHELD = [k for k in outcome_keys("2021") if k.startswith("withheld_")]
_UNAVAILABLE = [k for k in outcome_keys("2021") if k.startswith("unavailable_")]
_NOT_PROCESSED = [k for k in outcome_keys("2021") if k.startswith("not_processed_")]
_OTHER = {"2021": [k for k in outcome_keys("2021") if k.startswith("other_")], "2019": ["other_processing"]}
_PROCESSED = (_total("total_processed"),)
_LITIGATION = ("litigation_direct", "litigation_after_review")


def _concluded(rows: tuple[str, ...]) -> Terms:
    # 总计 - 尚未审结 = 维持 + 纠正 + 其他 as printed (the 总计 cell may itself disagree)
    return tuple(t for r in rows for t in (f"review_litigation.{r}[4]", f"-review_litigation.{r}[3]"))


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    kind: Kind
    numerator: dict[str, Terms]               # template -> terms; a template absent: not applicable
    denominator: dict[str, Terms] | None = None
    min_denominator: int = 0
    unit: str = ""
    jump: bool = False                        # watched by the cross-year large-jump rule
    note: str = ""

    def applies(self, template: str) -> bool:
        return template in self.numerator

    def formula(self, template: str | None = None) -> str:
        """The formula in the template's own labels (the first template that has it by default)."""
        t = template if template in self.numerator else next(iter(self.numerator))
        text = terms_text(self.numerator[t])
        if self.denominator is not None:
            text = f"({text}) ÷ ({terms_text(self.denominator[t])})"
        return text

    def formulas(self) -> str:
        """Every template's formula, one after the other when they differ."""
        forms = {t: self.formula(t) for t in TEMPLATES if t in self.numerator}
        if len(set(forms.values())) == 1:
            text = next(iter(forms.values()))
            if len(forms) < len(TEMPLATES):
                text += f"（仅 {'/'.join(forms)} 模板）"
        else:
            text = "；".join(f"{t} 模板：{f}" for t, f in forms.items())
        if self.min_denominator:
            text += f"；分母小于 {self.min_denominator} 时列出但不排名"
        return text + (f"；{self.note}" if self.note else "")


def _same(terms: Terms) -> dict[str, Terms]:
    return {t: terms for t in TEMPLATES}


INDICATORS: tuple[Indicator, ...] = (
    Indicator("new_received", "本年新收申请", "count", _same((_total("new_received"),)), unit="件", jump=True),
    Indicator("carried_over", "上年结转申请", "count", _same((_total("carried_over"),)), unit="件"),
    Indicator("processed", "办理总数", "count", _same(_PROCESSED), unit="件"),
    Indicator("granted_share", "予以公开占比", "share", _same((_total("granted"),)), _same(_PROCESSED),
              MIN_APPLICATIONS),
    Indicator("disclosed_share", "实质公开率", "share", _same((_total("granted"), _total("partially_granted"))),
              _same(_PROCESSED), MIN_APPLICATIONS),
    Indicator("withheld_share", "不予公开占比", "share", _same(_rows(_WITHHELD)), _same(_PROCESSED), MIN_APPLICATIONS),
    Indicator("unavailable_share", "无法提供占比", "share", _same(_rows(_UNAVAILABLE)), _same(_PROCESSED),
              MIN_APPLICATIONS),
    Indicator("not_processed_share", "不予处理占比", "share", _same(_rows(_NOT_PROCESSED)), _same(_PROCESSED),
              MIN_APPLICATIONS),
    Indicator("other_share", "其他处理占比", "share", {t: _rows(_OTHER[t]) for t in TEMPLATES}, _same(_PROCESSED),
              MIN_APPLICATIONS),
    Indicator("not_held_share", "不掌握占比", "share", _same((_total("unavailable_not_held"),)), _same(_PROCESSED),
              MIN_APPLICATIONS),
    Indicator("carried_forward", "结转下年度", "count", _same((_total("carried_forward"),)), unit="件"),
    Indicator("reviews", "行政复议", "count", _same(("review_litigation.review[4]",)), unit="件", jump=True),
    Indicator("lawsuits", "行政诉讼", "count", _same(tuple(f"review_litigation.{r}[4]" for r in _LITIGATION)),
              unit="件", jump=True),
    Indicator("review_corrected_share", "复议纠正率", "share", _same(("review_litigation.review[1]",)),
              _same(_concluded(("review",))), MIN_CONCLUDED, note="已审结 = 总计 − 尚未审结"),
    Indicator("lawsuit_corrected_share", "诉讼纠正率", "share",
              _same(tuple(f"review_litigation.{r}[1]" for r in _LITIGATION)), _same(_concluded(_LITIGATION)),
              MIN_CONCLUDED, note="已审结 = 总计 − 尚未审结"),
    Indicator("docs_issued", "规章和规范性文件 本年制发", "count",
              {"2021": ("active_disclosure.rules.issued", "active_disclosure.normative_documents.issued")}, unit="件",
              jump=True, note="2019 模板只有制作/公开数量，含义不同，不列"),
    Indicator("docs_repealed", "规章和规范性文件 本年废止", "count",
              {"2021": ("active_disclosure.rules.repealed", "active_disclosure.normative_documents.repealed")},
              unit="件"),
    Indicator("docs_in_force", "规章和规范性文件 现行有效", "count",
              {"2021": ("active_disclosure.rules.in_force", "active_disclosure.normative_documents.in_force")},
              unit="件"),
    Indicator("licensing_decisions", "行政许可 处理决定", "count",
              {"2021": ("active_disclosure.licensing_decisions",), "2019": ("active_disclosure.licensing.decisions",)},
              unit="件", jump=True),
    Indicator("punishment_decisions", "行政处罚 处理决定", "count",
              {"2021": ("active_disclosure.punishment_decisions",), "2019": ("active_disclosure.punishment.decisions",)},
              unit="件", jump=True),
    Indicator("enforcement_decisions", "行政强制 处理决定", "count",
              {"2021": ("active_disclosure.enforcement_decisions",),
               "2019": ("active_disclosure.enforcement.decisions",)}, unit="件"),
    Indicator("fees", "行政事业性收费金额", "amount", {"2021": ("active_disclosure.fees_wan_yuan",)}, unit="万元",
              note="2019 模板只有收费项目数，不列"),
)
BY_ID = {i.id: i for i in INDICATORS}


@dataclass(frozen=True)
class Value:
    """One indicator of one report. value None: not applicable, or a share over 0."""

    indicator: str
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    ranked: bool = True           # False: denominator under the threshold (or no value)


def _sum(terms: Terms, cells: dict[str, Any]) -> float | None:
    total = 0.0
    for term in terms:
        sign, path = (-1, term[1:]) if term.startswith("-") else (1, term)
        v = cells.get(path)
        if not isinstance(v, (int, float)):
            return None
        total += sign * v
    return total


def compute(record: dict[str, Any]) -> dict[str, Value]:
    """Every indicator of a canonical record (FORMAT.md), by indicator id."""
    cells = cell_values(record)
    template = str(record.get("template") or "")
    out: dict[str, Value] = {}
    for ind in INDICATORS:
        if not ind.applies(template):
            out[ind.id] = Value(ind.id, None, ranked=False)
            continue
        num = _sum(ind.numerator[template], cells)
        if ind.denominator is None:
            out[ind.id] = Value(ind.id, num, ranked=num is not None)
            continue
        den = _sum(ind.denominator[template], cells)
        if num is None or den is None or den <= 0:
            out[ind.id] = Value(ind.id, None, num, den, ranked=False)
        else:
            out[ind.id] = Value(ind.id, num / den, num, den, ranked=den >= ind.min_denominator)
    return out


# ---- labels of cells and terms ------------------------------------------------------------------

_PATH = re.compile(r"^(?P<table>\w+)\.(?P<row>\w+)(?:\[(?P<idx>\d+)\]|\.(?P<key>\w+))?$")


def cell_label(path: str) -> str:
    """A record cell path in the template's words, e.g. 'applications.granted[6]' -> '（一）予以公开·总计'."""
    m = _PATH.match(path)
    if not m or m["table"] not in ("applications", "review_litigation", "active_disclosure"):
        return path
    col = m["idx"] if m["idx"] is not None else (m["key"] or "")
    try:
        row_label, col_label = cell_labels(m["table"], m["row"], col, None)
    except IndexError:          # a column index the template does not have
        return path
    return f"{row_label}·{col_label}" if col_label else row_label


def terms_text(terms: Terms) -> str:
    parts = []
    for i, term in enumerate(terms):
        neg = term.startswith("-")
        label = cell_label(term[1:] if neg else term)
        parts.append(("− " if neg else ("+ " if i else "")) + label)
    return " ".join(parts)


def format_value(indicator: Indicator, value: float | None) -> str:
    """As shown on the pages: shares in per cent with one decimal, counts whole, amounts as printed."""
    if value is None:
        return "—"
    if indicator.kind == "share":
        return f"{100 * value:.1f}%"
    if indicator.kind == "amount":
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    return f"{value:,.0f}"


# ---- figures of reports older than the national template (issue 17) ----------------------------

# The old statistics table counts three things the template also counts (extractor.legacy's
# comparable measures): shown beside the template years, marked as the old table's.
LEGACY_EQUIVALENTS: dict[str, str] = {
    "applications_received": "new_received",
    "administrative_reviews": "reviews",
    "lawsuits": "lawsuits",
}


@dataclass(frozen=True)
class LegacyValue:
    indicator: str
    value: float
    printed_as: str        # the old table's indicator as printed (or the sentence it comes from)


def legacy_values(legacy: dict[str, Any]) -> dict[str, LegacyValue]:
    """The indicators a legacy record gives directly, by indicator id (only the values it settles)."""
    from ..legacy import comparable_legacy

    out = {}
    for measure, comparable in comparable_legacy(legacy).items():
        ind_id = LEGACY_EQUIVALENTS.get(measure)
        if ind_id is not None:
            out[ind_id] = LegacyValue(ind_id, float(comparable.value), comparable.printed_as)
    return out
