"""Write an eval run out: metrics.json, report.md, a self-contained report.html, a terminal table."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from ..template import ACTIVE_2019_DOC_TRIPLE, ACTIVE_2019_ITEM_TRIPLE, cell_labels
from .runner import CaseOutcome, CellEvidence, EvalRun
from .scorer import Metrics

MD_WRONG_CELLS_SHOWN = 25   # per case in report.md; report.html lists them all


def write_reports(run: EvalRun, out_dir: Path) -> dict[str, Path]:
    """Write metrics.json, report.md and report.html into `out_dir`; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "metrics": out_dir / "metrics.json",
        "markdown": out_dir / "report.md",
        "html": out_dir / "report.html",
    }
    paths["metrics"].write_text(json.dumps(metrics_dict(run), ensure_ascii=False, indent=1) + "\n",
                                encoding="utf-8")
    paths["markdown"].write_text(render_markdown(run), encoding="utf-8")
    paths["html"].write_text(render_html(run), encoding="utf-8")
    return paths


def metrics_dict(run: EvalRun) -> dict[str, Any]:
    """The metrics JSON: run identity, aggregates, per-field errors and every case's score."""
    return {
        "eval_version": run.eval_version,
        "engine_version": run.engine_version,
        "llm": run.llm,
        "llm_model": run.llm_model,
        "reports_dir": run.reports_dir,
        "started_at": run.started_at,
        "wall_seconds": run.wall_seconds,
        "overall": run.overall.model_dump(),
        "by_format": {k: m.model_dump() for k, m in run.by_format.items()},
        "by_template": {k: m.model_dump() for k, m in run.by_template.items()},
        "by_producer": {k: m.model_dump() for k, m in run.by_producer.items()},
        "by_report": {k: m.model_dump() for k, m in run.by_report.items()},
        "field_errors": run.field_errors.model_dump(),
        "cases": [
            {**o.score.model_dump(), "error": o.result.error, "reasons": o.result.reasons}
            for o in run.outcomes
        ],
    }


# --- shared formatting ---------------------------------------------------------------------

_COLUMNS: list[tuple[str, str]] = [
    ("cases", "cases"),
    ("cell acc", "cell_accuracy"),
    ("exact", "exact"),
    ("exact#", "exact_numbers"),
    ("accepted", "accepted"),
    ("review", "review"),
    ("failed", "failed"),
    ("pre-2019", "pretemplate"),
    ("silent", "silent_errors"),
    ("rev prec", "review_precision"),
    ("incons", "_incons"),
    ("invented", "inconsistencies_invented"),
    ("llm/rep", "llm_calls_per_report"),
    ("tok/rep", "tokens_per_report"),
    ("s/rep", "seconds_per_report"),
]


def _cell(m: Metrics, key: str) -> str:
    if key == "_incons":
        return f"{m.inconsistencies_found}/{m.inconsistencies_gold}"
    value = getattr(m, key)
    if value is None:
        return "-"
    if key in ("cell_accuracy", "review_precision"):
        return f"{value * 100:.2f}%"
    if key in ("exact", "exact_numbers", "accepted"):
        return f"{value}/{m.cases}"
    if isinstance(value, float):
        return f"{value:.2f}" if key == "seconds_per_report" else f"{value:.1f}"
    return str(value)


def _groups(run: EvalRun) -> list[tuple[str, Metrics]]:
    rows = [("overall", run.overall)]
    rows += [(f"format {k}", m) for k, m in run.by_format.items()]
    rows += [(f"template {k}", m) for k, m in run.by_template.items()]
    # the originals first, then the other producers' renderings of the same reports
    rows += [(f"producer {k}", m) for k, m in sorted(run.by_producer.items(), key=lambda t: t[0] != "original")]
    return rows


def _title(run: EvalRun) -> str:
    llm = "rules only" if run.llm == "off" else f"LLM {run.llm} ({run.llm_model})"
    return f"Eval v{run.eval_version}, engine {run.engine_version}, {llm}"


def field_label(path: str) -> str:
    """A Chinese label for a cell path, for readers of the reports."""
    table, _, rest = path.partition(".")
    if table not in ("applications", "review_litigation", "active_disclosure") or not rest:
        return path
    row, col = (rest.rstrip("]").split("[", 1) if "[" in rest else rest.split(".", 1) if "." in rest
                else (rest, ""))
    template = "2019" if col in (*ACTIVE_2019_DOC_TRIPLE, *ACTIVE_2019_ITEM_TRIPLE, "items", "amount_wan_yuan") \
        else "2021"
    row_label, col_label = cell_labels(table, row, col, template)
    prefix = "二 " if table == "active_disclosure" else ""
    return f"{prefix}{row_label} / {col_label}" if col else f"{prefix}{row_label}"


def _num(v: int | float | None) -> str:
    return "(absent)" if v is None else str(v)


# --- terminal ------------------------------------------------------------------------------

def render_terminal(run: EvalRun) -> str:
    """A short fixed-width metrics table for the terminal."""
    header = ["group"] + [name for name, _ in _COLUMNS]
    rows = [[label] + [_cell(m, key) for _, key in _COLUMNS] for label, m in _groups(run)]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [_title(run)]
    for r in [header, *rows]:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    o = run.overall
    lines.append(f"cells {o.cells_correct}/{o.cells}; crashed {o.crashed}; "
                 f"accepted with wrong organization {o.accepted_org_mismatch}; wall {run.wall_seconds:.1f}s")
    return "\n".join(lines)


# --- markdown ------------------------------------------------------------------------------

def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    esc = [[_md_escape(c) for c in r] for r in rows]
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in esc]
    return "\n".join(out)


def _md_metrics(run: EvalRun) -> str:
    header = ["group"] + [name for name, _ in _COLUMNS]
    return _md_table(header, [[label] + [_cell(m, k) for _, k in _COLUMNS] for label, m in _groups(run)])


def _flat(text: str) -> str:
    """Source text on one line: line breaks as ⏎ (blank lines collapsed), cell TABs as ⇥."""
    text = re.sub(r"\n[ \t\r\u3000]*(?=\n)", "", text.replace("\r\n", "\n"))
    return text.replace("\t", " ⇥ ").replace("\n", " ⏎ ")


def _snippet_text(ev: CellEvidence) -> str:
    if not ev.value_text:
        return ""
    return f"…{_flat(ev.before)}⟦{_flat(ev.value_text)}⟧{_flat(ev.after)}…"


def render_markdown(run: EvalRun) -> str:
    o = run.overall
    parts = [
        f"# {_title(run)}",
        "",
        f"Reports: `{run.reports_dir}`; started {run.started_at}; {o.cases} cases; wall {run.wall_seconds:.1f} s.",
        "",
        "Definitions: evals/README.md. `exact#` ignores the organization name; `silent` = accepted but "
        "not exact on numbers, template, year and source inconsistencies (must stay 0); `rev prec` = "
        "share of review results with a real problem; `incons` = printed inconsistencies found / in gold.",
        "",
        "## Metrics",
        "",
        _md_metrics(run),
        "",
        "## Most frequent errors (cases that produced a record)",
        "",
    ]
    fe = run.field_errors
    for title, counts in (("rows", fe.by_row), ("columns", fe.by_column), ("cells", fe.by_cell)):
        top = list(counts.items())[:10]
        parts.append(f"**{title}**: " + (", ".join(f"`{k}` {v}" for k, v in top) if top else "none"))
        parts.append("")
    parts += ["## Cases", "", _md_table(
        ["case", "format", "producer", "status", "cells", "exact", "silent", "incons (missed / invented)", "s"],
        [[o_.score.case_id, o_.score.format, o_.score.producer, o_.score.status,
          f"{o_.score.cells_correct}/{o_.score.cells}",
          "yes" if o_.score.exact else ("numbers" if o_.score.exact_numbers else "no"),
          "**SILENT**" if o_.score.silent_error else "",
          f"{','.join(o_.score.inconsistencies_missed) or '-'} / {','.join(o_.score.inconsistencies_invented) or '-'}",
          f"{o_.score.seconds:.2f}"] for o_ in run.outcomes]), ""]
    for out in run.outcomes:
        if out.score.exact and not out.result.reasons:
            continue
        parts += _md_case(out)
    return "\n".join(parts) + "\n"


def _md_case(out: CaseOutcome) -> list[str]:
    s = out.score
    lines = [f"### {s.case_id} — {s.status}", ""]
    if out.result.error:
        lines += [f"Error: {_md_escape(out.result.error)}", ""]
    reasons = [r for r in out.result.reasons if r != out.result.error]
    lines += [f"- {_md_escape(r)}" for r in reasons]
    if reasons:
        lines.append("")
    flags = [name for name, ok in (("organization", s.organization_ok), ("year", s.year_ok),
                                   ("template", s.template_ok), ("source_inconsistencies", s.inconsistencies_ok))
             if not ok]
    if flags and out.result.record is not None:
        lines += ["Differs from gold in: " + ", ".join(flags), ""]
    if out.source_note:
        lines += [out.source_note, ""]
    if out.evidence:
        shown = out.evidence[:MD_WRONG_CELLS_SHOWN]
        lines.append(_md_table(["cell", "gold", "got", "method", "source"],
                               [[f"`{e.path}` {field_label(e.path)}", _num(e.gold), _num(e.got),
                                 e.method or "", _snippet_text(e)] for e in shown]))
        if len(out.evidence) > len(shown):
            lines.append(f"\n… and {len(out.evidence) - len(shown)} more wrong cells (see report.html).")
        lines.append("")
    return lines


# --- HTML ----------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1.5rem;color:#222}
h1{font-size:1.3rem}h2{font-size:1.1rem;margin-top:2rem}h3{font-size:1rem;margin:0}
table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem}
th,td{border:1px solid #ccc;padding:.2rem .45rem;text-align:right;vertical-align:top}
th{background:#f3f3f3}td.l,th.l{text-align:left}
.case{border:1px solid #ddd;border-radius:6px;padding:.6rem .8rem;margin:.8rem 0}
.badge{display:inline-block;padding:0 .45rem;border-radius:4px;font-size:.8rem;color:#fff}
.accepted{background:#2e7d32}.review{background:#ef6c00}.failed{background:#c62828}
.silent{background:#000}.exact{background:#1565c0}
.snip{font-family:ui-monospace,monospace;text-align:left;max-width:42rem;color:#555}
mark{background:#ffe082;color:#000}.gold{color:#2e7d32;font-weight:600}.got{color:#c62828;font-weight:600}
.muted{color:#777;font-size:.85rem}ul{margin:.3rem 0}
"""


def _e(x: object) -> str:
    return html.escape(str(x))


def _html_metrics(run: EvalRun) -> str:
    head = "".join(f"<th>{_e(n)}</th>" for n, _ in _COLUMNS)
    body = "".join(
        f"<tr><td class=l>{_e(label)}</td>" + "".join(f"<td>{_e(_cell(m, k))}</td>" for _, k in _COLUMNS) + "</tr>"
        for label, m in _groups(run))
    return f"<table><tr><th class=l>group</th>{head}</tr>{body}</table>"


def _html_snippet(ev: CellEvidence) -> str:
    if not ev.value_text:
        return ""
    return (f"<div class=snip>…{_e(_flat(ev.before))}<mark>{_e(_flat(ev.value_text))}</mark>"
            f"{_e(_flat(ev.after))}…</div>")


def _html_case(out: CaseOutcome) -> str:
    s = out.score
    badges = [f"<span class='badge {s.status}'>{_e(s.status)}</span>"]
    if s.exact:
        badges.append("<span class='badge exact'>exact</span>")
    if s.silent_error:
        badges.append("<span class='badge silent'>SILENT ERROR</span>")
    parts = [f"<div class=case id='{_e(s.case_id)}'><h3>{_e(s.case_id)} {' '.join(badges)}</h3>",
             f"<div class=muted>format {_e(s.format)} · producer {_e(s.producer)} · template {_e(s.template)} · cells "
             f"{s.cells_correct}/{s.cells} · {s.seconds:.2f} s · LLM calls {s.llm_calls}, tokens "
             f"{s.prompt_tokens + s.completion_tokens}</div>"]
    if out.result.error:
        parts.append(f"<p><b>Error:</b> {_e(out.result.error)}</p>")
    reasons = [r for r in out.result.reasons if r != out.result.error]
    if reasons:
        parts.append("<ul>" + "".join(f"<li>{_e(r)}</li>" for r in reasons) + "</ul>")
    rec = out.result.record or {}
    gold = out.case.gold
    diffs = []
    if out.result.record is not None:
        for key, ok in (("organization", s.organization_ok), ("year", s.year_ok), ("template", s.template_ok)):
            if not ok:
                diffs.append(f"{key}: gold <span class=gold>{_e(gold.get(key))}</span>, got "
                             f"<span class=got>{_e(rec.get(key))}</span>")
        if not s.inconsistencies_ok:
            diffs.append(f"source_inconsistencies: missed {_e(s.inconsistencies_missed or '-')}, "
                         f"invented {_e(s.inconsistencies_invented or '-')}")
    if diffs:
        parts.append("<ul>" + "".join(f"<li>{d}</li>" for d in diffs) + "</ul>")
    if out.source_note:
        parts.append(f"<p class=muted>{_e(out.source_note)}</p>")
    if out.evidence:
        rows = "".join(
            f"<tr><td class=l><code>{_e(e.path)}</code><br><span class=muted>{_e(field_label(e.path))}</span></td>"
            f"<td class=gold>{_e(_num(e.gold))}</td><td class=got>{_e(_num(e.got))}</td>"
            f"<td class=l>{_e(e.method or '')}{'<br><span class=muted>' + _e(e.label) + '</span>' if e.label else ''}</td>"
            f"<td class=l>{_html_snippet(e)}</td></tr>"
            for e in out.evidence)
        parts.append("<table><tr><th class=l>cell</th><th>gold</th><th>got</th><th class=l>method / label</th>"
                     f"<th class=l>source</th></tr>{rows}</table>")
    parts.append("</div>")
    return "".join(parts)


def render_html(run: EvalRun) -> str:
    """One self-contained page: inline CSS, no scripts, no external assets."""
    fe = run.field_errors
    top = "".join(
        f"<p><b>{_e(t)}</b>: " + (", ".join(f"<code>{_e(k)}</code> {v}" for k, v in list(c.items())[:10]) or "none")
        + "</p>" for t, c in (("rows", fe.by_row), ("columns", fe.by_column), ("cells", fe.by_cell)))
    index = "".join(
        f"<tr><td class=l><a href='#{_e(o.score.case_id)}'>{_e(o.score.case_id)}</a></td>"
        f"<td class=l><span class='badge {o.score.status}'>{_e(o.score.status)}</span></td>"
        f"<td>{o.score.cells_correct}/{o.score.cells}</td><td>{'yes' if o.score.exact else 'no'}</td>"
        f"<td>{'SILENT' if o.score.silent_error else ''}</td></tr>" for o in run.outcomes)
    cases = "".join(_html_case(o) for o in run.outcomes)
    return (
        "<!doctype html><html lang=zh><head><meta charset=utf-8>"
        f"<title>{_e(_title(run))}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_e(_title(run))}</h1>"
        f"<p class=muted>Reports {_e(run.reports_dir)} · started {_e(run.started_at)} · "
        f"{run.overall.cases} cases · wall {run.wall_seconds:.1f} s</p>"
        f"<h2>Metrics</h2>{_html_metrics(run)}"
        f"<h2>Most frequent errors</h2><p class=muted>cases that produced a record</p>{top}"
        f"<h2>Cases</h2><table><tr><th class=l>case</th><th class=l>status</th><th>cells</th>"
        f"<th>exact</th><th>silent</th></tr>{index}</table>{cases}"
        "</body></html>\n"
    )
