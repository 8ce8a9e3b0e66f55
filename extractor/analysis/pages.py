"""The analysis pages as self-contained HTML: overview, agency, two-year comparison, rankings.

The same functions serve the report folder (`extractor report`, links between files) and
`extractor serve` (links to /analysis/... and /review/<id>); `Links` says which.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from html import escape
from importlib import resources
from typing import Any, Iterable, Sequence
from urllib.parse import quote

from ..messages import finding_text
from ..template import (
    ACTIVE_2019_DOC_TRIPLE,
    ACTIVE_2019_ITEM_TRIPLE,
    ACTIVE_2021_TRIPLE,
    REVIEW_COLUMNS,
    REVIEW_ROWS,
    application_rows,
)
from .agencies import Agency, StoredReport, YearEntry
from .findings import RULES, CrossFinding, describe_cells
from .indicators import BY_ID, INDICATORS, cell_label, compute, format_value, legacy_values

CHECK_RULES: dict[str, str] = {
    "row_total": "表三 每行总计 = 六类申请人之和",
    "processed_total": "表三 （七）总计 = 各处理结果之和",
    "balance": "表三 一 + 二 = （七）总计 + 四",
    "review_total": "表四 总计 = 前四项之和",
}
# ranked on the rankings page: the shares, and the counts a reader compares agencies by
RANKED = ("new_received", "granted_share", "disclosed_share", "withheld_share", "unavailable_share",
          "not_processed_share", "not_held_share", "reviews", "lawsuits", "review_corrected_share",
          "lawsuit_corrected_share")
STATUS_LABELS = {"accepted": "自动通过", "review": "待审核", "failed": "失败"}


def slug(name: str) -> str:
    return hashlib.sha1(name.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Links:
    """Where the pages point: files of the report folder, or the routes of `extractor serve`.

    review_base: prefix of review-page links ("" when served by the same server); None: no link."""

    served: bool = False
    review_base: str | None = None

    def index(self) -> str:
        return "/analysis" if self.served else "index.html"

    def agency(self, name: str) -> str:
        return f"/analysis/agency?name={quote(name)}" if self.served else f"agency-{slug(name)}.html"

    def compare(self, name: str, year: int) -> str:
        return (f"/analysis/compare?name={quote(name)}&year={year}" if self.served
                else f"compare-{slug(name)}-{year}.html")

    def rankings(self, year: int) -> str:
        return f"/analysis/rankings?year={year}" if self.served else f"rankings-{year}.html"

    def review(self, extraction_id: int, cells: Sequence[str] = ()) -> str | None:
        if self.review_base is None:
            return None
        anchor = f"#cell={quote(cells[0])}" if cells else ""
        return f"{self.review_base.rstrip('/')}/review/{extraction_id}{anchor}"


def _css() -> str:
    return resources.files("extractor.analysis").joinpath("report.css").read_text(encoding="utf-8")


def page(title: str, body: str, links: Links, years: Iterable[int] = ()) -> str:
    nav = "".join(f'<a href="{escape(links.rankings(y))}">{y} 排名</a>' for y in sorted(years))
    if links.served:
        nav += '<a href="/review">审核队列</a>'
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)}</title><link rel=\"icon\" href=\"data:,\"><style>{_css()}</style></head><body>"
            f"<header class=\"top\"><a class=\"brand\" href=\"{escape(links.index())}\">政府信息公开年报 · 分析</a>"
            f"<nav>{nav}</nav></header>"
            f"<main>{body}</main></body></html>")


def _a(href: str | None, text: str) -> str:
    return f'<a href="{escape(href)}">{escape(text)}</a>' if href else escape(text)


def _report_ref(report: StoredReport, links: Links, cells: Sequence[str] = ()) -> str:
    target = links.review(report.id, cells)
    return (f'{report.year} 年报告 {_a(target, f"#{report.id}")} <span class="sub">{escape(report.path)}</span>'
            f' <span class="badge trust-{report.trust}">{escape(report.trust_label)}</span>')


# ---------------------------------------------------------------- findings


def findings_list(findings: Sequence[CrossFinding], links: Links, *, empty: str = "没有跨年度发现。") -> str:
    if not findings:
        return f'<p class="sub" id="no-findings">{escape(empty)}</p>'
    items = []
    for f in findings:
        cells = f'<div class="sub">本年单元格：{escape(describe_cells(f.cells))}</div>' if f.cells else ""
        prev_cells = (f'<div class="sub">上一份单元格：{escape(describe_cells(f.previous_cells))}</div>'
                      if f.previous_cells else "")
        pending = ' <span class="pending">（涉及待审核报告，可能来自读取错误）</span>' if f.on_unreviewed else ""
        items.append(
            f'<li class="finding" data-rule="{f.rule}" data-year="{f.report.year}" data-previous-year="{f.previous.year}">'
            f'<span class="rule" title="{escape(RULES.get(f.rule, ""))}">{escape(RULES.get(f.rule, f.rule))}</span>{pending}'
            f'<div>{escape(f.message)}</div>'
            f'<div>本年：{_report_ref(f.report, links, f.cells)}</div>'
            f'<div>对照：{_report_ref(f.previous, links, f.previous_cells)}</div>{cells}{prev_cells}</li>')
    return f'<ul class="findings">{"".join(items)}</ul>'


# ---------------------------------------------------------------- the agency page


def indicator_table(agency: Agency) -> str:
    """The indicators by year: template years computed from their records; years before the
    template show the three figures their old statistics table states (marked ‡)."""
    years = agency.all_years()
    values = {e.year: compute(e.report.record) for e in agency.ordered()}
    legacy = {y: legacy_values(old.legacy) for y, old in agency.legacy.items()}
    head = "".join(f'<th class="num{" legacy" if y not in agency.years else ""}">{y}</th>' for y in years)
    rows = []
    for ind in INDICATORS:
        if not any(ind.applies(e.report.template) for e in agency.ordered()) and \
                not any(ind.id in given for given in legacy.values()):
            continue
        cells = []
        for y in years:
            if y not in agency.years:
                old = legacy[y].get(ind.id)
                if old is None:
                    cells.append(f'<td class="num legacy" data-indicator="{ind.id}" data-year="{y}" data-basis="legacy" '
                                 'data-value="">—</td>')
                else:
                    cells.append(f'<td class="num legacy given" data-indicator="{ind.id}" data-year="{y}" '
                                 f'data-basis="legacy" data-value="{old.value!r}" title="旧统计表：{escape(old.printed_as)}">'
                                 f'{escape(format_value(ind, old.value))}</td>')
                continue
            e = agency.years[y]
            v = values[y][ind.id]
            classes = ["num"]
            if not e.report.trusted:
                classes.append("pending")
            if ind.kind == "share" and v.value is not None and not v.ranked:
                classes.append("small")
            title = ""
            if ind.kind == "share" and v.denominator is not None:
                title = f' title="{v.numerator:g} ÷ {v.denominator:g}"'
            raw = "" if v.value is None else repr(v.value)
            cells.append(f'<td class="{" ".join(classes)}" data-indicator="{ind.id}" data-year="{y}" '
                         f'data-value="{raw}"{title}>{escape(format_value(ind, v.value))}</td>')
        unit = f"（{ind.unit}）" if ind.unit else ""
        rows.append(f'<tr><th>{escape(ind.label + unit)}</th>{"".join(cells)}'
                    f'<td class="formula">{escape(ind.formulas())}</td></tr>')
    legacy_note = ""
    if agency.legacy:
        legacy_note = ("‡ 2019 年模板之前的年度：报告没有表二/表三/表四，只有旧的统计表（或正文）。"
                       "其中含义相同的三项列在模板年度旁："
                       "“受理依申请公开信息总数”对应本年新收申请，“行政复议数”“行政诉讼数”对应表四的行政复议、行政诉讼总计；"
                       "其余指标旧表没有，记为 —。悬停可见旧表的原名。")
    return (f'<table class="data indicators" id="indicators"><thead><tr><th>指标</th>{head}<th>公式</th></tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table>'
            '<p class="note">* 该年度报告待审核，数字未经确认。† 分母过小（见公式），列出但不参与排名。'
            f'悬停在比例上可见分子 ÷ 分母。{escape(legacy_note)}</p>')


def year_values(agency: Agency) -> dict[int, dict[str, float | None]]:
    """Every year's indicator values (template years computed, legacy years their stated figures)."""
    out: dict[int, dict[str, float | None]] = {}
    for e in agency.ordered():
        out[e.year] = {k: v.value for k, v in compute(e.report.record).items()}
    for y, old in agency.legacy.items():
        given = legacy_values(old.legacy)
        out[y] = {ind.id: (given[ind.id].value if ind.id in given else None) for ind in INDICATORS}
    return out


def inconsistencies(entries: Sequence[YearEntry]) -> str:
    items = []
    for e in entries:
        rules = e.report.record.get("source_inconsistencies") or []
        if not rules and not e.report.source_findings:
            continue
        named = "；".join(CHECK_RULES.get(r, r) for r in rules)
        details = "".join(f'<li class="sub">{escape(finding_text(f, "zh"))}</li>' for f in e.report.source_findings)
        items.append(f'<li data-year="{e.year}"><b>{e.year}</b>：报告自身数字不合：{escape(named)}'
                     f'<ul>{details}</ul></li>')
    if not items:
        return '<p class="sub" id="no-inconsistencies">各年度报告自身数字均相合。</p>'
    return f'<ul class="inconsistencies" id="inconsistencies">{"".join(items)}</ul>'


def agency_page(agency: Agency, findings: Sequence[CrossFinding], links: Links, *, chart_svg: str | None,
                font_note: str | None, all_years: Iterable[int] = ()) -> str:
    entries = agency.ordered()
    names = "、".join(sorted(n for n in agency.names if n))
    years = [e.year for e in entries]
    reports = []
    for y, old in sorted(agency.legacy.items()):
        reports.append(
            f'<tr data-year="{y}" class="legacy"><td class="num">{y}</td><td>2019 之前</td>'
            '<td><span class="badge">旧统计表</span></td>'
            f'<td>{_a(links.review(old.id), f"#{old.id}")} <span class="sub">{escape(old.path)}</span></td>'
            '<td><span class="sub">—</span></td></tr>')
    for e in entries:
        r = e.report
        others = f'<span class="sub">另有 {len(e.others)} 份同年文件：' + "、".join(
            _a(links.review(o.id), f"#{o.id}") for o in e.others) + "</span>" if e.others else ""
        prev = agency.previous(e.year)
        compare = (_a(links.compare(agency.name, e.year), f"与 {prev.year} 年对比") if prev
                   else '<span class="sub">无上一份</span>')
        reports.append(
            f'<tr data-year="{e.year}"><td class="num">{e.year}</td><td>{escape(r.template)}</td>'
            f'<td><span class="badge trust-{r.trust}">{escape(r.trust_label)}</span></td>'
            f'<td>{_a(links.review(r.id), f"#{r.id}")} <span class="sub">{escape(r.path)}</span> {others}</td>'
            f'<td>{compare}</td></tr>')
    gap = [y for y in range(min(years), max(years) + 1) if y not in agency.years] if years else []
    charts = ""
    if chart_svg:
        legend = "；方点：2019 年模板之前旧统计表的数字" if agency.legacy else ""
        charts = (f'<figure class="charts" id="charts">{chart_svg}<figcaption>各年度指标（空心圆点：该年度报告待审核'
                  f'{legend}）{"；" + escape(font_note) if font_note else ""}</figcaption></figure>')
    elif font_note:
        charts = f'<p class="warn">{escape(font_note)}</p>'
    shown_years = "、".join(map(str, agency.all_years()))
    body = (
        f'<h1 id="agency-name">{escape(agency.name)}</h1>'
        f'<p class="sub">报告中的名称：{escape(names)}；年度：{escape(shown_years)}'
        f'{"；缺少：" + escape("、".join(map(str, gap))) if gap else ""}</p>'
        '<h2>历年报告</h2><table class="data" id="reports"><thead><tr><th>年度</th><th>模板</th><th>状态</th>'
        f'<th>报告</th><th>对比</th></tr></thead><tbody>{"".join(reports)}</tbody></table>'
        f'<h2>指标图</h2>{charts}'
        f'<h2>指标</h2>{indicator_table(agency)}'
        f'<h2>跨年度发现</h2>{findings_list(findings, links)}'
        f'<h2>报告自身的不一致</h2>{inconsistencies(entries)}'
    )
    return page(f"{agency.name} · 历年分析", body, links, all_years)


# ---------------------------------------------------------------- two-year comparison


def _pair_rows(fields: Sequence[tuple[str, str]], this: dict[str, Any], last: dict[str, Any]) -> str:
    rows = []
    for path, label in fields:
        a, b = last.get(path), this.get(path)
        changed = a != b
        delta = ""
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and changed:
            d = b - a
            delta = f'<span class="{"up" if d > 0 else "down"}">{"▲" if d > 0 else "▼"} {abs(d):g}</span>'
        cls = ' class="num diff"' if changed else ' class="num"'
        rows.append(f'<tr data-field="{escape(path)}"><th>{escape(label)}</th><td class="num">{_num(a)}</td>'
                    f'<td{cls}>{_num(b)}</td><td class="num">{delta}</td></tr>')
    return "".join(rows)


def _num(v: Any) -> str:
    if v is None:
        return '<span class="sub">—</span>'
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return escape(f"{v:g}" if isinstance(v, float) else str(v))


def _fields(template: str) -> list[tuple[str, str]]:
    out = []
    if template == "2021":
        for row in ("rules", "normative_documents"):
            out += [(f"active_disclosure.{row}.{k}", "") for k in ACTIVE_2021_TRIPLE]
        out += [(f"active_disclosure.{k}", "") for k in ("licensing_decisions", "punishment_decisions",
                                                          "enforcement_decisions", "fees_wan_yuan")]
    elif template == "2019":
        for row in ("rules", "normative_documents"):
            out += [(f"active_disclosure.{row}.{k}", "") for k in ACTIVE_2019_DOC_TRIPLE]
        for row in ("licensing", "other_services", "punishment", "enforcement"):
            out += [(f"active_disclosure.{row}.{k}", "") for k in ACTIVE_2019_ITEM_TRIPLE]
        out += [("active_disclosure.fees.prev_year_items", ""), ("active_disclosure.fees.change", ""),
                ("active_disclosure.procurement.items", ""), ("active_disclosure.procurement.amount_wan_yuan", "")]
    return [(p, cell_label(p)) for p, _ in out]


def compare_page(agency: Agency, year: int, findings: Sequence[CrossFinding], links: Links,
                 all_years: Iterable[int] = ()) -> str:
    from ..record import cell_values

    entry = agency.years[year]
    prev = agency.previous(year)
    title = f"{agency.name} · {year} 年与上一份报告对比"
    head = f'<h1>{escape(agency.name)}：{year} 年</h1><p>{_a(links.agency(agency.name), "← 机构历年分析")}</p>'
    if prev is None:
        body = head + ('<p id="no-previous">没有更早年度的报告，无从对比；没有跨年度发现。</p>'
                       f'<p>本年：{_report_ref(entry.report, links)}</p>')
        return page(title, body, links, all_years)
    this, last = entry.report, prev.report
    gap = "" if prev.year == year - 1 else f'<p class="warn">上一份报告是 {prev.year} 年的，中间缺少年度。</p>'
    v_this, v_last = compute(this.record), compute(last.record)
    ind_rows = []
    for ind in INDICATORS:
        a, b = v_last[ind.id].value, v_this[ind.id].value
        if a is None and b is None:
            continue
        changed = a != b
        delta = ""
        if a is not None and b is not None and changed:
            d = b - a
            shown = f"{100 * abs(d):.1f} 个百分点" if ind.kind == "share" else format_value(ind, abs(d))
            delta = f'<span class="{"up" if d > 0 else "down"}">{"▲" if d > 0 else "▼"} {escape(shown)}</span>'
        ind_rows.append(f'<tr data-indicator="{ind.id}"><th>{escape(ind.label)}</th>'
                        f'<td class="num">{escape(format_value(ind, a))}</td>'
                        f'<td class="num{" diff" if changed else ""}">{escape(format_value(ind, b))}</td>'
                        f'<td class="num">{delta}</td></tr>')
    c_this, c_last = cell_values(this.record), cell_values(last.record)
    def rows_of(template: str) -> dict[str, str]:
        return application_rows("2019" if template == "2019" else "2021")

    t3_rows = {**rows_of(this.template), **rows_of(last.template)}
    t3 = [(f"applications.{row}[6]", label) for row, label in t3_rows.items()]
    t4 = [(f"review_litigation.{r}[{i}]", f"{REVIEW_ROWS[r]}·{REVIEW_COLUMNS[i]}") for r in REVIEW_ROWS for i in range(5)]
    t2 = list(dict.fromkeys(_fields(last.template) + _fields(this.template)))
    cols = (f'<thead><tr><th></th><th class="num">{prev.year}</th><th class="num">{year}</th>'
            '<th class="num">变化</th></tr></thead>')
    template_note = ("" if this.template == last.template else
                     f'<p class="warn">两年模板不同（{last.template} / {this.template}）：只有两边都有的项目可以对比。</p>')
    year_findings = [f for f in findings if f.report.id == this.id]
    body = (
        head + gap + template_note +
        f'<p>本年：{_report_ref(this, links)}<br>对照：{_report_ref(last, links)}</p>'
        f'<h2>跨年度发现</h2>{findings_list(year_findings, links)}'
        f'<h2>指标</h2><table class="data" id="compare-indicators">{cols}<tbody>{"".join(ind_rows)}</tbody></table>'
        '<div class="cols">'
        f'<div><h2>表三 依申请公开（总计列）</h2><table class="data" id="compare-t3">{cols}<tbody>'
        f'{_pair_rows(t3, c_this, c_last)}</tbody></table></div>'
        f'<div><h2>表四 复议与诉讼</h2><table class="data" id="compare-t4">{cols}<tbody>'
        f'{_pair_rows(t4, c_this, c_last)}</tbody></table>'
        f'<h2>表二 主动公开</h2><table class="data" id="compare-t2">{cols}<tbody>'
        f'{_pair_rows(t2, c_this, c_last)}</tbody></table></div></div>'
        '<p class="note">底色标出与上一份报告不同的数字；▲▼ 为变化量。</p>'
    )
    return page(title, body, links, all_years)


# ---------------------------------------------------------------- rankings


def rankings_page(year: int, agencies: Sequence[Agency], links: Links, all_years: Iterable[int] = ()) -> str:
    present = [(a, a.years[year]) for a in agencies if year in a.years]
    values = {a.name: compute(e.report.record) for a, e in present}
    sections = []
    for ind_id in RANKED:
        ind = BY_ID[ind_id]
        ranked, unranked = [], []
        for a, e in present:
            v = values[a.name][ind_id]
            if v.value is None:
                continue
            if not e.report.trusted:
                unranked.append((a, e, v, "报告待审核"))
            elif not v.ranked:
                unranked.append((a, e, v, f"分母 {v.denominator:g} < {ind.min_denominator}"))
            else:
                ranked.append((a, e, v))
        ranked.sort(key=lambda t: (-(t[2].value or 0), t[0].name))
        rows, rank, last_value = [], 0, None
        for i, (a, _e, v) in enumerate(ranked, 1):
            if v.value != last_value:
                rank, last_value = i, v.value
            den = f"{v.numerator:g} / {v.denominator:g}" if v.denominator is not None else ""
            rows.append(f'<tr><td class="num">{rank}</td><td>{_a(links.agency(a.name), a.name)}</td>'
                        f'<td class="num" data-indicator="{ind_id}">{escape(format_value(ind, v.value))}</td>'
                        f'<td class="num sub">{den}</td></tr>')
        for a, _e, v, why in sorted(unranked, key=lambda t: t[0].name):
            rows.append(f'<tr class="unranked"><td class="num sub">—</td><td>{_a(links.agency(a.name), a.name)}</td>'
                        f'<td class="num">{escape(format_value(ind, v.value))}</td>'
                        f'<td class="sub">不排名：{escape(why)}</td></tr>')
        threshold = f"；分母小于 {ind.min_denominator} 的列出但不排名" if ind.min_denominator else ""
        sections.append(
            f'<h2 id="rank-{ind_id}">{escape(ind.label)}</h2><p class="note">{escape(ind.formula())}{escape(threshold)}；'
            '待审核的报告列出但不排名。</p>'
            '<table class="data ranking"><thead><tr><th>名次</th><th>机构</th><th>数值</th><th>分子 / 分母</th></tr></thead>'
            f'<tbody>{"".join(rows) or "<tr><td colspan=4 class=sub>无数据</td></tr>"}</tbody></table>')
    toc = " · ".join(f'<a href="#rank-{i}">{escape(BY_ID[i].label)}</a>' for i in RANKED)
    body = f'<h1>{year} 年度各机构排名</h1><p class="sub">{len(present)} 个机构有该年度报告。</p><p class="noprint">{toc}</p>' \
           + "".join(sections)
    return page(f"{year} 年度排名", body, links, all_years)


# ---------------------------------------------------------------- overview


def overview_page(*, agencies: Sequence[Agency], findings_count: dict[str, int], status_counts: dict[str, int],
                  queue_pending: int, coverage: Sequence[dict[str, Any]], unmatched: int, links: Links,
                  font_note: str | None, selection: str = "") -> str:
    total = sum(status_counts.values())
    status = "".join(f'<tr><th>{escape(STATUS_LABELS.get(k, k))}</th><td class="num">{n}</td></tr>'
                     for k, n in sorted(status_counts.items()))
    years = sorted({c["year"] for c in coverage if c["year"] is not None})
    templates = sorted({c["template"] or "—" for c in coverage})
    cov_rows = []
    for y in [*years, None]:
        cells = []
        for t in templates:
            n = sum(c["n"] for c in coverage if c["year"] == y and (c["template"] or "—") == t)
            cells.append(f'<td class="num">{n or ""}</td>')
        per_status = {s: sum(c["n"] for c in coverage if c["year"] == y and c["status"] == s)
                      for s in ("accepted", "review", "failed")}
        if not any(per_status.values()):
            continue
        label = str(y) if y is not None else "年度不明"
        link = _a(links.rankings(y), "排名") if y is not None and y in {yy for a in agencies for yy in a.years} else ""
        cov_rows.append(f'<tr><th>{label}</th>{"".join(cells)}'
                        + "".join(f'<td class="num">{per_status[s] or ""}</td>' for s in ("accepted", "review", "failed"))
                        + f"<td>{link}</td></tr>")
    head_t = "".join(f"<th>{escape(t)} 模板</th>" if t != "—" else "<th>模板不明</th>" for t in templates)
    ag_rows = []
    for a in agencies:
        ys = a.all_years()
        pending = sum(1 for e in a.years.values() if not e.report.trusted)
        ag_rows.append(f'<tr><td>{_a(links.agency(a.name), a.name)}</td><td>{escape(_year_span(ys))}</td>'
                       f'<td class="num">{len(ys)}</td><td class="num">{pending or ""}</td>'
                       f'<td class="num">{findings_count.get(a.name, 0) or ""}</td></tr>')
    formulas = "".join(f'<tr><th>{escape(i.label)}</th><td class="formula">{escape(i.formulas())}</td></tr>'
                       for i in INDICATORS)
    rules = "".join(f"<li><code>{r}</code>：{escape(t)}</li>" for r, t in RULES.items())
    body = (
        f'<h1>档案总览</h1>{f"<p class=sub>{escape(selection)}</p>" if selection else ""}'
        f'{f"<p class=warn>{escape(font_note)}</p>" if font_note else ""}'
        '<div class="cols"><div><h2>处理结果</h2><table class="data" id="status-counts"><tbody>'
        f'{status}<tr><th>合计</th><td class="num">{total}</td></tr>'
        f'<tr><th>待人工审核</th><td class="num" id="queue-pending">{queue_pending}</td></tr></tbody></table></div>'
        '<div><h2>年度与模板覆盖</h2><table class="data" id="coverage"><thead><tr><th>年度</th>'
        f'{head_t}<th>自动通过</th><th>待审核</th><th>失败</th><th></th></tr></thead><tbody>{"".join(cov_rows)}</tbody></table>'
        '</div></div>'
        f'<h2>机构（{len(agencies)}）</h2>'
        f'<p class="note">{unmatched} 份有记录的报告缺少机构名称或年度，未归入机构。</p>'
        '<table class="data" id="agencies"><thead><tr><th>机构</th><th>年度</th><th>报告数</th><th>待审核</th>'
        f'<th>跨年度发现</th></tr></thead><tbody>{"".join(ag_rows)}</tbody></table>'
        f'<h2>指标与公式</h2><table class="data"><tbody>{formulas}</tbody></table>'
        f'<h2>跨年度规则</h2><ul>{rules}</ul>'
    )
    return page("档案总览", body, links, years)


def _year_span(years: Sequence[int]) -> str:
    if not years:
        return ""
    parts, start, prev = [], years[0], years[0]
    for y in [*years[1:], None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if y is not None:
            start = prev = y
    return "、".join(parts)


def indicator_notes() -> list[str]:
    """One line per indicator and rule: the CSV header notes."""
    return [f"{i.id}: {i.label} = {i.formulas()}" for i in INDICATORS]

