"""The report folder: index.html, one page per agency, comparison and rankings pages, two CSV files.

Every page is self-contained (styles and charts inline, no request leaves it) and links to the
others by file name. indicators.csv and findings.csv open in a spreadsheet (UTF-8 with BOM); their
first lines, starting with '#', state the formulas and rules.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from .. import store as st
from ..errors import AnalysisError
from . import agencies as ag
from . import pages
from .charts import ChartJob, Charts, draw_all
from .findings import RULES, CrossFinding, check_agency
from .indicators import INDICATORS, compute, legacy_values

FONT_MISSING = ("未找到中文字体，图表标签改用英文标识（Debian：apt-get install fonts-noto-cjk，"
                "或运行 scripts/setup.sh）")


@dataclass(frozen=True)
class ReportSummary:
    out_dir: Path
    agencies: int
    reports: int
    findings: int
    pages: int
    font: str | None
    seconds: float


def font_note(charts: Charts | None) -> str | None:
    return FONT_MISSING if charts is not None and charts.font is None else None


def chart_job(agency: ag.Agency) -> ChartJob:
    """The arguments of Charts.agency_svg for one agency: template years, and the old statistics
    tables' comparable figures for the years before."""
    years = agency.all_years()
    values = pages.year_values(agency)
    series: dict[str, list[float | None]] = {ind.id: [values[y][ind.id] for y in years] for ind in INDICATORS}
    marks = ["legacy" if y not in agency.years else ("ok" if agency.years[y].report.trusted else "pending")
             for y in years]
    return years, series, marks


def agency_chart(charts: Charts, agency: ag.Agency) -> str:
    return charts.agency_svg(*chart_job(agency))


def build_report(store: st.Store, out_dir: Path, *, agency: str | None = None, year: int | None = None,
                 review_url: str | None = None, charts: Charts | None = None, workers: int = 1,
                 on_agency: Callable[[int, int], None] | None = None) -> ReportSummary:
    """Write the report of the store (or of one agency / one year) into `out_dir`; the charts are
    drawn in `workers` processes when there are many agencies.

    AnalysisError when the agency or the year has no report in the store; ConfigError (from
    charts) when matplotlib is missing."""
    started = time.perf_counter()
    every = ag.load(store, agency=agency)
    if agency is not None and not every:
        known = ", ".join(list(ag.resolver(store).values())[:5])
        raise AnalysisError(f"no agency named {agency!r} in {store.path} (`extractor agencies --db {store.path}` "
                            f"lists them{'; e.g. ' + known if known else ''})")
    chosen = [a for a in every.values() if year is None or year in a.all_years()]
    if year is not None and not chosen:
        raise AnalysisError(f"no report of {year} in {store.path}" + (f" for {agency}" if agency else ""))
    charts = charts if charts is not None else Charts.create()
    note = font_note(charts)
    links = pages.Links(served=False, review_base=review_url)
    all_years = sorted({y for a in chosen for y in a.years} if year is None else {year} & {
        y for a in chosen for y in a.years})
    out_dir.mkdir(parents=True, exist_ok=True)

    findings: list[CrossFinding] = []
    count = 0
    svgs = draw_all(charts, (chart_job(a) for a in chosen), workers=workers if len(chosen) >= 40 else 1)
    for i, (a, svg) in enumerate(zip(chosen, svgs), 1):
        found = check_agency(a)
        findings += [f for f in found if year is None or f.report.year == year]
        _write(out_dir / links.agency(a.name),
               pages.agency_page(a, found, links, chart_svg=svg, font_note=note, all_years=all_years))
        count += 1
        for y in a.years:
            if year is None or y == year:
                _write(out_dir / links.compare(a.name, y), pages.compare_page(a, y, found, links, all_years))
                count += 1
        if on_agency:
            on_agency(i, len(chosen))
    for y in all_years:
        _write(out_dir / links.rankings(y), pages.rankings_page(y, chosen, links, all_years))
        count += 1
    per_agency: dict[str, int] = {}
    for f in findings:
        per_agency[f.agency] = per_agency.get(f.agency, 0) + 1
    selection = "；".join(x for x in (f"机构：{agency}" if agency else "", f"年度：{year}" if year else "") if x)
    _write(out_dir / links.index(), pages.overview_page(
        agencies=chosen, findings_count=per_agency, status_counts=st.counts_by_status(store),
        queue_pending=st.count_queue(store), coverage=st.coverage(store),
        unmatched=st.count_without_agency(store), links=links, font_note=note, selection=selection))
    count += 1
    (out_dir / "indicators.csv").write_text(indicators_csv(chosen, year), encoding="utf-8-sig")
    (out_dir / "findings.csv").write_text(findings_csv(findings), encoding="utf-8-sig")
    return ReportSummary(out_dir, len(chosen), sum(len(a.years) for a in chosen), len(findings), count,
                         charts.font, time.perf_counter() - started)


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _csv(notes: Sequence[str], header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buf = io.StringIO()
    for line in notes:
        buf.write(f"# {line}\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def indicators_csv(agencies: Sequence[ag.Agency], year: int | None = None) -> str:
    """One row per agency and year: the chosen report and every indicator (shares as fractions)."""
    notes = ["indicators of the report chosen for each agency and year (a reviewed record first, then an accepted "
             "one, then one waiting for review); shares are fractions; empty: not applicable or denominator 0",
             *pages.indicator_notes(),
             "<id>.denominator: the share's denominator; status: the chosen report's standing",
             "template 'legacy': a report from before the 2019 template; only new_received, reviews and lawsuits are "
             "given, from its old statistics table (受理依申请公开信息总数, 行政复议数, 行政诉讼数) or its sentences"]
    header = ["agency", "year", "template", "status", "extraction_id", "source"]
    for ind in INDICATORS:
        header.append(ind.id)
        if ind.kind == "share":
            header.append(f"{ind.id}.denominator")
    rows = []
    for a in agencies:
        for e in a.ordered():
            if year is not None and e.year != year:
                continue
            values = compute(e.report.record)
            row: list[object] = [a.name, e.year, e.report.template, e.report.trust_label, e.report.id, e.report.path]
            for ind in INDICATORS:
                v = values[ind.id]
                row.append("" if v.value is None else (round(v.value, 6) if ind.kind == "share" else _plain(v.value)))
                if ind.kind == "share":
                    row.append("" if v.denominator is None else _plain(v.denominator))
            rows.append(row)
        for y, old in sorted(a.legacy.items()):
            if year is not None and y != year:
                continue
            given = legacy_values(old.legacy)
            row = [a.name, y, "legacy", "旧统计表", old.id, old.path]
            for ind in INDICATORS:
                old_value = given.get(ind.id)
                row.append("" if old_value is None else _plain(old_value.value))
                if ind.kind == "share":
                    row.append("")
            rows.append(row)
    return _csv(notes, header, rows)


def findings_csv(findings: Sequence[CrossFinding]) -> str:
    notes = ["cross-year findings, each on the later report, checked against the previous report present",
             *(f"{rule}: {text}" for rule, text in RULES.items())]
    header = ["agency", "rule", "year", "extraction_id", "source", "cells", "previous_year", "previous_extraction_id",
              "previous_source", "previous_cells", "message", "involves_unreviewed"]
    rows = [[f.agency, f.rule, f.report.year, f.report.id, f.report.path, " ".join(f.cells), f.previous.year,
             f.previous.id, f.previous.path, " ".join(f.previous_cells), f.message, "yes" if f.on_unreviewed else "no"]
            for f in findings]
    return _csv(notes, header, rows)


def _plain(v: float) -> object:
    return int(v) if float(v).is_integer() else v
