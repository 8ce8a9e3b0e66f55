"""Server-rendered HTML of the review pages: the queue, one report beside its source, the login."""

from __future__ import annotations

import json
from html import escape
from typing import Any, Iterable, Sequence
from urllib.parse import quote

from ..template import (
    ACTIVE_2019_DOC_LABELS,
    ACTIVE_2019_DOC_TRIPLE,
    ACTIVE_2019_ITEM_LABELS,
    ACTIVE_2019_ITEM_TRIPLE,
    ACTIVE_2019_LABELS,
    ACTIVE_2021_LABELS,
    ACTIVE_2021_TRIPLE,
    ACTIVE_2021_TRIPLE_LABELS,
    APPLICANT_COLUMNS,
    REVIEW_COLUMNS,
    REVIEW_ROWS,
    TemplateId,
    application_rows,
    outcome_keys,
)

CHECK_RULES: dict[str, str] = {
    "row_total": "表三 每行总计 = 六类申请人之和",
    "processed_total": "表三 （七）总计 = 各处理结果之和",
    "balance": "表三 一 + 二 = （七）总计 + 四",
    "review_total": "表四 总计 = 前四项之和",
}

STATUS_LABELS = {
    "review": "待审核",
    "accepted": "自动通过",
    "failed": "失败",
    "reviewed": "已审核",
    "pretemplate": "模板施行前的报告",
}

DECISION_LABELS = {
    "accept": "通过",
    "reject": "驳回",
    "source_inconsistent": "源报告自身不一致",
}

# Cells whose number was placed by position or guessed: the reviewer should look at them first.
DOUBTFUL_METHODS = frozenset({"position", "candidate", "llm"})


def _page(title: str, body: str, *, scripts: Iterable[str] = ()) -> str:
    script_tags = "".join(f'<script src="{escape(s)}" defer></script>' for s in scripts)
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(title)}</title><link rel=\"icon\" href=\"data:,\">"
        "<link rel=\"stylesheet\" href=\"/static/review.css\">"
        f"{script_tags}</head><body>"
        "<header class=\"top\"><a href=\"/review\" class=\"brand\">政府信息公开年报 · 审核队列</a>"
        "<nav><a href=\"/review?status=review\">待审核</a> <a href=\"/review?status=reviewed\">已审核</a> "
        "<a href=\"/review?status=accepted\">自动通过</a> <a href=\"/review?status=failed\">失败</a> "
        "<a href=\"/review?status=pretemplate\">模板施行前</a></nav>"
        "</header>"
        f"{body}</body></html>"
    )


def _json_script(element_id: str, data: Any) -> str:
    # "<" escaped so a report's text can never close the script element.
    payload = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    return f'<script type="application/json" id="{element_id}">{payload}</script>'


def queue_page(items: list[dict[str, Any]], *, status: str, total: int, limit: int, offset: int,
               done: int | None = None) -> str:
    """The queue: one row per report, riskiest first."""
    rows = []
    for it in items:
        rows.append(
            f'<tr class="queue-item" data-id="{it["id"]}">'
            f'<td class="num">{it["id"]}</td>'
            f'<td><a href="/review/{it["id"]}">{escape(it.get("organization") or it.get("source") or "")}</a>'
            f'<div class="sub">{escape(it.get("source") or "")}</div></td>'
            f'<td class="num">{escape(str(it.get("year") or ""))}</td>'
            f'<td><span class="badge st-{escape(it["status"])}">'
            f'{escape(STATUS_LABELS.get(it["status"], it["status"]))}</span>'
            f'{_decision_badge(it.get("decision"))}</td>'
            f'<td class="num risk">{it.get("risk", 0)}</td>'
            f'<td class="reasons">{escape(_reason_summary(it.get("reasons") or []))}</td>'
            f'<td class="sub">{escape(str(it.get("created_at") or ""))}</td></tr>'
        )
    notice = ""
    if done is not None:
        notice = f'<p class="notice" id="done-notice">报告 #{done} 已提交审核结果，已移出待审核队列。</p>'
    if not rows:
        table = '<p class="empty" id="queue-empty">队列为空。</p>'
    else:
        table = (
            '<table class="queue" id="queue"><thead><tr><th>#</th><th>报告</th><th>年度</th><th>状态</th>'
            '<th title="需人工核对的问题数">风险</th><th>问题</th><th>提交时间</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>'
        )
    pager = []
    if offset > 0:
        prev = max(0, offset - limit)
        pager.append(f'<a href="/review?status={quote(status)}&limit={limit}&offset={prev}">上一页</a>')
    if offset + limit < total:
        pager.append(f'<a href="/review?status={quote(status)}&limit={limit}&offset={offset + limit}">下一页</a>')
    shown = f"{offset + 1}–{offset + len(items)}" if items else "0"
    body = (
        f'<main class="queue-page"><h1>{escape(STATUS_LABELS.get(status, status))}'
        f' <span class="sub">（{shown} / 共 {total}）</span></h1>{notice}{table}'
        f'<p class="pager">{" ".join(pager)}</p>'
        '<form class="upload" method="post" action="/review/upload" enctype="multipart/form-data">'
        '<label>上传报告（HTML、PDF、DOCX、TXT、MD）：<input type="file" name="file" required></label>'
        '<button type="submit">提取</button></form></main>'
    )
    return _page("审核队列", body)


def _analysis_links(links: Sequence[tuple[str, str]]) -> str:
    if not links:
        return ""
    return '<p class="analysis-links" id="analysis-links">' + " · ".join(
        f'<a href="{escape(href)}">{escape(text)}</a>' for href, text in links) + "</p>"


def _decision_badge(decision: str | None) -> str:
    if not decision:
        return ""
    return f' <span class="badge dec-{escape(decision)}">{escape(DECISION_LABELS.get(decision, decision))}</span>'


def _reason_summary(reasons: list[str]) -> str:
    head = "；".join(dict.fromkeys(reasons))
    return head if len(head) <= 80 else head[:77] + "…"


# ---------------------------------------------------------------- one report


def _cell(field: str, value: Any, prov: dict[str, dict[str, Any]], *, kind: str = "int") -> str:
    p = prov.get(field)
    classes = ["cell"]
    title = field
    if p is not None:
        classes.append("has-src")
        classes.append(f"m-{p['method']}")
        if p["method"] in DOUBTFUL_METHODS:
            classes.append("doubt")
        title += f" · {p['method']}" + (f" · {p['note']}" if p.get("note") else "")
    return (
        f'<input class="{" ".join(classes)}" data-field="{escape(field)}" data-kind="{kind}" '
        f'value="{escape(_fmt(value))}" title="{escape(title)}" inputmode="decimal" size="4" '
        f'aria-label="{escape(field)}">'
    )


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _table2(record: dict[str, Any], template: TemplateId, prov: dict[str, dict[str, Any]]) -> str:
    ad = record.get("active_disclosure") or {}
    parts = ['<h2>表二 主动公开政府信息情况</h2>']
    if template == "2021":
        parts.append(_sub_table(("rules", "normative_documents"), ACTIVE_2021_TRIPLE,
                                ACTIVE_2021_TRIPLE_LABELS, ACTIVE_2021_LABELS, ad, prov))
        rows = []
        for key in ("licensing_decisions", "punishment_decisions", "enforcement_decisions", "fees_wan_yuan"):
            label, _, column = ACTIVE_2021_LABELS[key].partition(" ")
            kind = "amount" if key == "fees_wan_yuan" else "int"
            rows.append(f"<tr><th>{escape(label)}</th><td class=\"sub\">{escape(column)}</td>"
                        f"<td>{_cell(f'active_disclosure.{key}', ad.get(key, 0), prov, kind=kind)}</td></tr>")
        parts.append(f'<table class="grid t2"><tbody>{"".join(rows)}</tbody></table>')
        return "".join(parts)
    # 2019 template
    groups: list[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = [
        (("rules", "normative_documents"), ACTIVE_2019_DOC_TRIPLE, ACTIVE_2019_DOC_LABELS),
        (("licensing", "other_services", "punishment", "enforcement"), ACTIVE_2019_ITEM_TRIPLE,
         ACTIVE_2019_ITEM_LABELS),
        (("fees",), ("prev_year_items", "change"), ACTIVE_2019_ITEM_LABELS[:2]),
        (("procurement",), ("items", "amount_wan_yuan"), ("采购项目数量", "采购总金额（万元）")),
    ]
    for keys, subs, labels in groups:
        parts.append(_sub_table(keys, subs, labels, ACTIVE_2019_LABELS, ad, prov))
    return "".join(parts)


def _sub_table(keys: Sequence[str], subs: Sequence[str], heads: Sequence[str], row_labels: dict[str, str],
               ad: dict[str, Any], prov: dict[str, dict[str, Any]]) -> str:
    """One 第二十条 sub-table of 表二: a row per key, a column per sub-field."""
    head = "".join(f"<th>{escape(h)}</th>" for h in heads)
    rows = []
    for key in keys:
        cells = "".join(
            f"<td>{_cell(f'active_disclosure.{key}.{sub}', (ad.get(key) or {}).get(sub, 0), prov, kind=_kind(sub))}</td>"
            for sub in subs
        )
        rows.append(f"<tr><th>{escape(row_labels[key])}</th>{cells}</tr>")
    return (f'<table class="grid t2"><thead><tr><th>信息内容</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _kind(sub: str) -> str:
    if sub == "amount_wan_yuan":
        return "amount"
    if sub == "change":
        return "signed"
    return "int"


def _table3(record: dict[str, Any], template: TemplateId, prov: dict[str, dict[str, Any]]) -> str:
    apps = record.get("applications") or {}
    head = "".join(f"<th>{escape(c)}</th>" for c in APPLICANT_COLUMNS)
    rows = []
    for key, label in application_rows(template).items():
        values = apps.get(key) or [0] * 7
        cells = "".join(f"<td>{_cell(f'applications.{key}[{i}]', v, prov)}</td>" for i, v in enumerate(values))
        rows.append(f'<tr data-row="{key}"><th class="rowlabel">{escape(label)}</th>{cells}</tr>')
    return ('<h2>表三 收到和处理政府信息公开申请情况</h2>'
            f'<table class="grid t3"><thead><tr><th>申请人情况</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _table4(record: dict[str, Any], prov: dict[str, dict[str, Any]]) -> str:
    rl = record.get("review_litigation") or {}
    head = "".join(f"<th>{escape(c)}</th>" for c in REVIEW_COLUMNS)
    rows = []
    for key, label in REVIEW_ROWS.items():
        values = rl.get(key) or [0] * 5
        cells = "".join(f"<td>{_cell(f'review_litigation.{key}[{i}]', v, prov)}</td>" for i, v in enumerate(values))
        rows.append(f'<tr data-row="{key}"><th class="rowlabel">{escape(label)}</th>{cells}</tr>')
    return ('<h2>表四 政府信息公开行政复议、行政诉讼情况</h2>'
            f'<table class="grid t4"><thead><tr><th></th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def utf16_offsets(text: str) -> list[int] | None:
    """Code-point offset -> UTF-16 offset table, or None when the two agree (no astral characters).

    Spans are code-point offsets into Document.text; JavaScript strings count UTF-16 units.
    """
    if all(ord(ch) < 0x10000 for ch in text):
        return None
    table = [0]
    for ch in text:
        table.append(table[-1] + (2 if ord(ch) >= 0x10000 else 1))
    return table


def _js_span(span: dict[str, int] | None, table: list[int] | None, limit: int) -> list[int] | None:
    if not span:
        return None
    start, end = int(span["start"]), int(span["end"])
    if not (0 <= start <= end <= limit):
        return None
    if table is not None:
        start, end = table[start], table[end]
    return [start, end]


def report_page(view: dict[str, Any]) -> str:
    """One report: the source text beside the extracted tables, checks, and the review actions."""
    record: dict[str, Any] = view["record"]
    template: TemplateId = record.get("template", "2021")
    text: str | None = view.get("text")
    table = utf16_offsets(text) if text else None
    limit = len(text) if text else 0
    prov_by_field: dict[str, dict[str, Any]] = {}
    prov_js: dict[str, dict[str, Any]] = {}
    for p in view.get("provenance") or []:
        prov_by_field[p["field"]] = p
        prov_js[p["field"]] = {
            "method": p["method"], "value": p["value"], "note": p.get("note"), "label": p.get("label"),
            "span": _js_span(p.get("span"), table, limit),
            "label_span": _js_span(p.get("label_span"), table, limit),
            "box": p.get("box"),
        }
    findings: list[dict[str, Any]] = view.get("findings") or []
    runs: list[dict[str, Any]] = view.get("runs") or []
    data = {
        "id": view["id"],
        "template": template,
        "record": record,
        "extracted": view.get("extracted_record") or record,
        "outcome_keys": outcome_keys(template),
        "row_keys": list(application_rows(template)),
        "review_keys": list(REVIEW_ROWS),
        "provenance": prov_js,
        "findings": findings,
        "rules": CHECK_RULES,
        "has_record": view.get("has_record", True),
        "runs": [_run_js(r, table, limit) for r in runs],
        "previous": view.get("previous"),
        "next": view.get("next"),
        "paged": bool(view.get("paged")),
    }
    checks = "".join(
        f'<li id="check-{rule}" class="check" data-rule="{rule}"><span class="mark"></span>'
        f'<code>{rule}</code> {escape(label)} <span class="detail"></span></li>'
        for rule, label in CHECK_RULES.items()
    ) + "".join(
        f'<li id="run-check-{i}" class="check run-check fail" data-run="{escape(r["run"])}"><span class="mark">✗</span>'
        f'{escape(r["table"])} {escape(r["label"])}：连写数字 <code>{escape(r["printed"])}</code> '
        f'<span class="detail">读法待确认</span></li>'
        for i, r in enumerate(runs)
    )
    # the rules' four sums are the checks above; an ambiguous run is its readings' line there
    shown_runs = {r["run"] for r in runs}
    other = [f for f in findings if f.get("rule") not in CHECK_RULES and not (
        f.get("rule") == "ambiguous_split" and ((f.get("numbers") or {}).get("run") or {}).get("run") in shown_runs)]
    finding_items = "".join(
        f'<li class="finding sev-{escape(f.get("severity", "info"))}" data-cells="{escape(" ".join(f.get("cells") or []))}">'
        f'<code>{escape(f.get("rule", ""))}</code> {escape(f.get("message", ""))}</li>'
        for f in other
    )
    # reasons made of the findings shown would say the same thing twice
    messages = {f.get("message", "") for f in findings}
    reasons = "".join(f"<li>{escape(r)}</li>" for r in view.get("reasons") or [] if r not in messages)
    history = "".join(
        f'<li>{escape(str(h.get("created_at", "")))} · {escape(h.get("reviewer") or "")} · '
        f'{escape(DECISION_LABELS.get(h.get("decision", ""), h.get("decision", "")))}'
        f'{" · " + str(len(h.get("changes") or [])) + " 处修改" if h.get("changes") is not None else ""}</li>'
        for h in view.get("history") or []
    )
    if text is None:
        source_html = '<p class="empty">没有保存原文。</p>'
    else:
        source_html = f'<pre id="source-text">{escape(text)}</pre>'
    if view.get("paged"):
        # the printed page beside the table (the text view stays one click away)
        source_html = (
            '<div class="view-tabs" role="tablist"><button type="button" id="tab-page" class="tab active">页面</button>'
            '<button type="button" id="tab-text" class="tab">文本</button>'
            '<button type="button" id="page-prev" class="tab" title="上一页">◀</button>'
            '<span id="page-label" class="sub"></span>'
            '<button type="button" id="page-next" class="tab" title="下一页">▶</button></div>'
            '<div id="page-view" class="page-view"><div id="page-frame" class="page-frame">'
            '<img id="page-image" alt="PDF 页面"><div id="page-box" class="page-box" hidden></div></div>'
            '<p class="sub" id="page-hint">点击表格中的数字，在页面上显示其位置。</p></div>'
            f'<div id="text-view" hidden>{source_html}</div>'
        )
    status = view["status"]
    error = f'<p class="error">{escape(view["error"])}</p>' if view.get("error") else ""
    if view.get("done") is not None:
        error = f'<p class="notice" id="done-notice">报告 #{int(view["done"])} 已提交审核结果。</p>' + error
    body = f"""<main class="report-page" data-id="{view['id']}">
<section class="meta">
 <h1>#{view['id']} {escape(record.get('organization') or view.get('source') or '')}
  <span class="badge st-{escape(status)}" id="status">{escape(STATUS_LABELS.get(status, status))}</span>
  {_decision_badge(view.get('decision'))}</h1>
 <p class="sub">来源 {escape(view.get('source') or '')} · 格式 {escape(view.get('format') or '?')} ·
  sha256 <code>{escape((view.get('sha256') or '')[:12])}</code> · 模板 {escape(template)}</p>
 {_analysis_links(view.get("analysis_links") or [])}
 {error}
 <p class="fields">
  <label>机关 <input class="meta-field" data-field="organization" data-kind="text"
   value="{escape(record.get('organization') or '')}" size="24"></label>
  <label>年度 <input class="meta-field cell" data-field="year" data-kind="int"
   value="{escape(_fmt(record.get('year')))}" size="5"></label>
 </p>
</section>
<section class="checks-panel">
 <ul id="checks" class="checks">{checks}</ul>
 <ul id="findings" class="findings">{finding_items}</ul>
 {f'<ul class="reasons">{reasons}</ul>' if reasons else ''}
</section>
{_readings(runs)}
<div class="split">
 <section class="pane source-pane" id="source-pane"><h2>原文</h2>{source_html}</section>
 <section class="pane tables-pane" id="tables-pane">
  {_table2(record, template, prov_by_field)}
  {_table3(record, template, prov_by_field)}
  {_table4(record, prov_by_field)}
 </section>
</div>
<section class="actions" id="actions">
 <label>审核人 <input id="reviewer" size="12" required></label>
 <label>备注 <input id="note" size="30"></label>
 <button type="button" id="btn-accept" data-decision="accept">通过</button>
 <button type="button" id="btn-source" data-decision="source_inconsistent">源报告自身不一致</button>
 <button type="button" id="btn-reject" data-decision="reject">驳回</button>
 <span id="result" role="status"></span>
 <span class="keys sub" id="keys">快捷键：1–9 选择读法 · J/K 下一处/上一处连写数字 · A 通过 · R 驳回 ·
  N/P 下一份/上一份报告</span>
 {f'<details><summary>审核记录</summary><ul id="history">{history}</ul></details>' if history else ''}
</section>
</main>
{_json_script("page-data", data)}"""
    return _page(f"#{view['id']} 审核", body, scripts=["/static/review.js"])


def _run_js(run: dict[str, Any], table: list[int] | None, limit: int) -> dict[str, Any]:
    """A run for the page script: its readings with their evidence (prose spans as JS offsets)."""
    out = dict(run)
    out["readings"] = [{**r, "evidence": [{**e, "span": _js_span(_span_of(e), table, limit)} for e in r["evidence"]]}
                       for r in run["readings"]]
    return out


def _span_of(evidence: dict[str, Any]) -> dict[str, int] | None:
    span = (evidence.get("params") or {}).get("span")
    return {"start": span[0], "end": span[1]} if span else None


_SUB_LABELS = dict(zip(ACTIVE_2021_TRIPLE, ("本年制发", "本年废止", "现行有效"))) | \
    dict(zip(ACTIVE_2019_DOC_TRIPLE, ACTIVE_2019_DOC_LABELS)) | dict(zip(ACTIVE_2019_ITEM_TRIPLE, ACTIVE_2019_ITEM_LABELS)) | \
    {"items": "采购项目数量", "amount_wan_yuan": "采购总金额（万元）"}


def _columns(run: dict[str, Any]) -> str:
    """What the numbers of a reading are, in order."""
    if run["table"] == "表二":
        return " / ".join(_SUB_LABELS.get(f.rsplit(".", 1)[-1], "") for f in run["fields"]).strip(" /")
    if run["table"] == "表三":
        return " / ".join(APPLICANT_COLUMNS)
    return " · ".join(f"{label}：" + "/".join(REVIEW_COLUMNS) for label in REVIEW_ROWS.values())


def _readings(runs: list[dict[str, Any]]) -> str:
    """The readings of each ambiguous run as choices, best first, each with its evidence."""
    if not runs:
        return ""
    blocks = []
    for i, run in enumerate(runs):
        items = []
        for r in run["readings"][:9]:
            shown = " / ".join(_fmt(v) for v in r["values"])
            evidence = "".join(
                f'<li class="ev {"pro" if e["weight"] > 0 else "con"}" data-code="{escape(e["code"])}">'
                f'{escape(e["text"])}</li>' for e in r["evidence"] if e["code"] != "prior_size")
            items.append(
                f'<li class="reading-item"><button type="button" class="reading" data-run="{i}" data-rank="{r["rank"]}">'
                f'<kbd>{r["rank"]}</kbd> <span class="values">{escape(shown)}</span></button>'
                f'<ul class="evidence">{evidence}</ul></li>')
        more = run["total"] - min(9, len(run["readings"]))
        heads = _columns(run)
        blocks.append(
            f'<div class="run{" current" if i == 0 else ""}" id="run-{i}" data-run="{escape(run["run"])}">'
            f'<h3 data-run="{i}">{escape(run["table"])} {escape(run["label"])} · 印刷为 <code>{escape(run["printed"])}</code> · '
            f'{run["total"]} 种读法{f"（另有 {more} 种未列出，可直接改单元格）" if more > 0 else ""}'
            f'{f" <span class=sub>{escape(heads)}</span>" if heads else ""} <span class="chosen-summary"></span></h3>'
            f'<ol class="readings">{"".join(items)}</ol></div>')
    return f'<section class="readings-panel" id="readings"><h2>连写数字的读法（按证据排序）</h2>{"".join(blocks)}</section>'


def login_page(next_url: str, error: str | None = None) -> str:
    msg = f'<p class="error">{escape(error)}</p>' if error else ""
    body = (
        '<main class="login"><h1>登录</h1>'
        '<p>此服务需要 API 令牌（EXTRACTOR_API_TOKEN）。</p>'
        f'{msg}<form method="post" action="/login">'
        f'<input type="hidden" name="next" value="{escape(next_url)}">'
        '<label>令牌 <input type="password" name="token" autocomplete="current-password" required></label> '
        '<button type="submit">登录</button></form></main>'
    )
    return _page("登录", body)


def error_page(status: int, message: str) -> str:
    return _page(f"{status}", f'<main class="error-page"><h1>{status}</h1><p>{escape(message)}</p></main>')
