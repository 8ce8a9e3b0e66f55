"""Findings across years: one agency's report checked against its previous one.

Rules (each finding sits on the later report and names both reports and the cells):

    cross_year_carryover   this year's 上年结转 != last year's 结转下年度, per column (consecutive years)
    cross_year_in_force    表二, 2021 template both years: last year's 现行有效 + this year's 制发 − 废止
                           != this year's 现行有效, for 规章 and 行政规范性文件 (consecutive years)
    cross_year_jump        a watched count (indicators.Indicator.jump) is at least JUMP_FACTOR times,
                           or at most 1/JUMP_FACTOR of, last year's and differs by at least
                           JUMP_MIN_CHANGE (consecutive years)
    cross_year_missing     no report for the years between this one and the previous one present
    cross_year_repeat      表三 is identical, cell for cell, to the previous report's and not all zero

These are observations, never a rejection: reports legitimately restate figures, and an agency may
not have published a year. Findings on a report that waits for review are marked as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ..messages import msg, render
from ..template import APPLICANT_COLUMNS
from .agencies import Agency, StoredReport
from .indicators import INDICATORS, cell_label, compute, format_value

JUMP_FACTOR = 3.0
JUMP_MIN_CHANGE = 20

RULES: dict[str, str] = {
    "cross_year_carryover": "本年“上年结转”应等于上年“结转下年度”（逐列，相邻年度）",
    "cross_year_in_force": "本年现行有效件数应等于上年现行有效 + 本年制发 − 本年废止（2021 模板，相邻年度）",
    "cross_year_jump": (f"关注的数量比上年增至 {JUMP_FACTOR:g} 倍以上或降至 1/{JUMP_FACTOR:g} 以下，"
                        f"且变化不少于 {JUMP_MIN_CHANGE}（相邻年度）"),
    "cross_year_missing": "两份报告之间缺少年度",
    "cross_year_repeat": "表三与上一份报告逐格相同（且不全为零）",
}
_IN_FORCE_ROWS = {"rules": "规章", "normative_documents": "行政规范性文件"}
# rule (also the code of its message), the message's parameters, cells, previous cells, numbers
Raw = tuple[str, dict[str, Any], tuple[str, ...], tuple[str, ...], dict[str, Any]]


@dataclass(frozen=True)
class CrossFinding:
    rule: str
    agency: str
    report: StoredReport                       # the later report: the finding is about it
    previous: StoredReport
    params: dict[str, Any]                     # of the message whose code is `rule` (messages.py)
    cells: tuple[str, ...] = ()                # cells of `report`
    previous_cells: tuple[str, ...] = ()       # cells of `previous`
    numbers: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The finding in Chinese (the analysis pages' language)."""
        return render(self.rule, self.params, "zh")

    @property
    def on_unreviewed(self) -> bool:
        """True when either report waits for review: the finding may come from a misreading."""
        return not (self.report.trusted and self.previous.trusted)


def _carryover(this: StoredReport, last: StoredReport) -> list[Raw]:
    now = (this.record.get("applications") or {}).get("carried_over")
    before = (last.record.get("applications") or {}).get("carried_forward")
    if not (isinstance(now, list) and isinstance(before, list) and len(now) == len(before)):
        return []
    cols = [i for i, (a, b) in enumerate(zip(now, before)) if a != b]
    if not cols:
        return []
    names = [APPLICANT_COLUMNS[i] if i < len(APPLICANT_COLUMNS) else str(i) for i in cols]
    return [("cross_year_carryover",
             {"year": this.year, "now": now, "last_year": last.year, "before": before, "columns": names},
             tuple(f"applications.carried_over[{i}]" for i in cols),
             tuple(f"applications.carried_forward[{i}]" for i in cols),
             {"carried_over": now, "last_year_carried_forward": before})]


def _in_force(this: StoredReport, last: StoredReport) -> list[Raw]:
    if this.template != "2021" or last.template != "2021":
        return []
    out: list[Raw] = []
    for row, label in _IN_FORCE_ROWS.items():
        now = (this.record.get("active_disclosure") or {}).get(row) or {}
        prev = (last.record.get("active_disclosure") or {}).get(row) or {}
        try:
            expected = prev["in_force"] + now["issued"] - now["repealed"]
            printed = now["in_force"]
        except (KeyError, TypeError):
            continue
        if expected != printed:
            out.append(("cross_year_in_force",
                        {"label": label, "printed": printed, "last_year": last.year, "last_in_force": prev["in_force"],
                         "issued": now["issued"], "repealed": now["repealed"], "expected": expected},
                        (f"active_disclosure.{row}.in_force", f"active_disclosure.{row}.issued",
                         f"active_disclosure.{row}.repealed"),
                        (f"active_disclosure.{row}.in_force",),
                        {"in_force": printed, "last_year_in_force": prev["in_force"], "issued": now["issued"],
                         "repealed": now["repealed"], "expected": expected}))
    return out


def _jumps(this: StoredReport, last: StoredReport) -> list[Raw]:
    now, before = compute(this.record), compute(last.record)
    out: list[Raw] = []
    for ind in INDICATORS:
        if not ind.jump:
            continue
        a, b = before[ind.id].value, now[ind.id].value
        if a is None or b is None or abs(b - a) < JUMP_MIN_CHANGE:
            continue
        lo, hi = sorted((a, b))
        if hi >= JUMP_FACTOR * lo:
            ratio = msg("jump_ratio", ratio=round(b / a, 1)) if a else msg("jump_from_zero")
            out.append(("cross_year_jump",
                        {"label": ind.label, "last_year": last.year, "before": format_value(ind, a), "year": this.year,
                         "now": format_value(ind, b), "ratio": ratio},
                        ind.numerator[this.template], ind.numerator[last.template],
                        {"indicator": ind.id, "value": b, "last_year_value": a}))
    return out


def _repeat(this: StoredReport, last: StoredReport) -> list[Raw]:
    now = this.record.get("applications") or {}
    before = last.record.get("applications") or {}
    if not now or now != before:
        return []
    if not any(v for row in now.values() if isinstance(row, list) for v in row):
        return []
    return [("cross_year_repeat", {"year": this.year, "last_year": last.year}, (), (),
             {"last_year": last.year})]


def check_pair(this: StoredReport, last: StoredReport) -> list[Raw]:
    """The findings of `this` against `last`, the previous report present: (rule, the parameters
    of its message, cells, previous cells, numbers)."""
    raw: list[Raw] = []
    if last.year == this.year - 1:
        raw += _carryover(this, last) + _in_force(this, last) + _jumps(this, last)
    elif last.year < this.year - 1:
        missing = list(range(last.year + 1, this.year))
        span = f"{missing[0]}" if len(missing) == 1 else f"{missing[0]}–{missing[-1]}"
        raw.append(("cross_year_missing", {"span": span, "last_year": last.year, "year": this.year},
                    (), (), {"missing_years": missing}))
    return raw + _repeat(this, last)


def check_agency(agency: Agency, *, years: Iterable[int] | None = None, every_file: bool = False) -> list[CrossFinding]:
    """Every cross-year finding of one agency (on the reports of `years` only, when given).

    Each year's chosen report is checked against the previous year's chosen report; with
    `every_file` the year's other files are checked too (the store keeps findings on each)."""
    wanted = set(years) if years is not None else None
    out: list[CrossFinding] = []
    for entry in agency.ordered():
        if wanted is not None and entry.year not in wanted:
            continue
        prev = agency.previous(entry.year)
        if prev is None:
            continue
        last = prev.report
        for this in [entry.report, *(entry.others if every_file else [])]:
            for rule, params, cells, prev_cells, numbers in check_pair(this, last):
                out.append(CrossFinding(rule, agency.name, this, last, params, cells, prev_cells,
                                        {**numbers, "last_year": last.year, "last_year_extraction_id": last.id}))
    return out


def describe_cells(cells: Iterable[str]) -> str:
    return "、".join(cell_label(c) for c in cells)
