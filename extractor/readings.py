"""Rank the admissible readings of each ambiguous glued run by the evidence for them, best first.

A glued run (表二 '693665', a 表三 row, 表四 as one run) that the rules cannot settle keeps all its
admissible readings. This module orders them, each with the evidence that placed it, so a reviewer
picks one with a click instead of working the split out:

    prose         a clause of the report states a number of this reading with its unit, beside a
                  word of its row and of its column (the standard of llm/grounding.py, done by rules)
    table_sums    表三: with this reading the table's column sums can hold (some choice of the other
                  open rows' readings makes every column add up)
    last_year     the same agency's previous report: 现行有效 last year + 制发 − 废止 = 现行有效, or
    next_year     上年结转 = last year's 结转下年度 (and the same from the following year)
    nearby_years  the agency's 现行有效 in other years is of the same size
    priors        plain facts of most reports: 现行有效 ≥ 本年制发, 废止 ≤ 现行有效, a change of items
                  not below zero items nor beyond last year's count, numbers of balanced lengths,
                  smaller numbers more likely than larger ones

The ranking never settles a run: an ambiguous run stays `review` whatever its evidence (only the
rules, or a grounded model choice, settle one). It orders the choices and fills the cells with the
best one so that a correct first reading costs the reviewer one keystroke.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from itertools import product
from typing import Any, Literal, Sequence

from pydantic import BaseModel, Field

from .llm.grounding import Cue, clauses, states, table2_cues, table3_cues, table4_cues
from .messages import render
from .rules import Tables
from .rules.table2 import as_recorded
from .rules.table3 import table_sums_hold
from .template import (
    ACTIVE_2019_DOC_TRIPLE,
    ACTIVE_2019_ITEM_TRIPLE,
    ACTIVE_2019_LABELS,
    ACTIVE_2021_LABELS,
    ACTIVE_2021_TRIPLE,
    APPLICANT_COLUMNS,
    REVIEW_ROWS,
    TemplateId,
    application_rows,
)

MAX_READINGS = 20          # kept per run (the review page offers the first nine on keys 1-9)
MAX_RANKED = 5000          # a run with more admissible readings is ranked on its first ones only
NEARBY_YEARS = 4

EvidenceCode = Literal[
    "prose", "table_sums", "last_year", "next_year", "nearby_years",
    "prior_in_force_ge_issued", "prior_repealed_le_in_force", "prior_total_ge_new",
    "prior_items_not_negative", "prior_change_within_level", "prior_lengths", "prior_size",
]

# weights: what rules or the report itself establish counts more than what most reports show
W_PROSE = 3.0
W_TABLE_SUMS = 3.0
W_YEAR = 4.0
W_NEARBY = 1.0             # per order of magnitude apart, at most 2
W_USUALLY = 2.0            # a relation that holds in most reports
W_OFTEN = 1.0              # a relation that holds in many reports
W_IMPOSSIBLE = 4.0         # fewer than zero items
W_LENGTHS = 0.5            # per unit of squared digit count above the most balanced reading
W_SIZE = 0.3               # per order of magnitude of the numbers' product above the smallest


class Evidence(BaseModel):
    """One reason a reading ranks where it does: a stable code, its weight, the cells it concerns
    and the parameters its message is made from."""

    code: EvidenceCode
    weight: float
    cells: list[str] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)


class RankedReading(BaseModel):
    values: list[int | float]      # the cells as the record holds them (元 already in 万元)
    score: float
    evidence: list[Evidence] = Field(default_factory=list)


class AmbiguousRun(BaseModel):
    """One run the rules could not settle, with its readings best first."""

    run: str                       # stable id: the record path of its row ('applications.granted')
    table: Literal["表二", "表三", "表四"]
    label: str                     # the row as the template names it
    printed: str                   # the digits as printed
    fields: list[str]              # the record paths the readings fill, in order
    total: int                     # admissible readings (the list keeps the best MAX_READINGS)
    readings: list[RankedReading]


# ---------------------------------------------------------------- ranking in one report


@dataclass
class _Run:
    run: str
    table: Literal["表二", "表三", "表四"]
    label: str
    fields: list[str]
    cues: list[Cue]
    target: Any                    # the rules' item / row / table: its candidates get reordered
    values: list[list[int | float]]
    evidence: list[list[Evidence]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)   # per cell: count | signed | money


def rank_runs(text: str, tables: Tables) -> list[AmbiguousRun]:
    """Every ambiguous run of the tables, its readings ranked by the evidence in this report.

    Reorders each run's `candidates` in place (best first), so the record is assembled with the
    best reading, still marked as a candidate."""
    runs = _collect(tables)
    if not runs:
        return []
    sentences = clauses(text)
    for r in runs:
        r.evidence = [[] for _ in r.values]
        _prose(r, sentences)
        _priors(r, tables.template)
    _table_sums(runs, tables)
    return [_finish(r) for r in runs]


def _collect(tables: Tables) -> list[_Run]:
    out: list[_Run] = []
    template = tables.template
    t2 = tables.table2
    for key, item in t2.items.items():
        if item.status != "ambiguous" or not item.candidates:
            continue
        subs = _table2_subs(template, key, item.n)
        fields = [f"active_disclosure.{key}" + (f".{s}" if s else "") for s in subs]
        labels = ACTIVE_2021_LABELS if template == "2021" else ACTIVE_2019_LABELS
        label = labels.get(key, key).split(" ")[0]
        item.candidates = item.candidates[:MAX_RANKED]
        values = [[as_recorded(key, i, p.value, t2.amount_unit) for i, p in enumerate(c)] for c in item.candidates]
        kinds = ["money" if s == "amount_wan_yuan" or key == "fees_wan_yuan" else
                 "signed" if s == "change" else "count" for s in subs]
        out.append(_Run(f"active_disclosure.{key}", "表二", label, fields,
                        table2_cues(key, item.n, item.label or label, template), item, values, kinds=kinds))
    t3 = tables.table3
    if t3 is not None:
        names = application_rows(template)
        for key, row in t3.rows.items():
            if row.status != "ambiguous" or not row.candidates or key not in names:
                continue
            row.candidates = row.candidates[:MAX_RANKED]
            out.append(_Run(f"applications.{key}", "表三", names[key],
                            [f"applications.{key}[{c}]" for c in range(7)],
                            table3_cues(row.label or names[key], APPLICANT_COLUMNS), row,
                            [[int(p.value) for p in c] for c in row.candidates], kinds=["count"] * 7))
    t4 = tables.table4
    if t4.status == "ambiguous" and t4.candidates:
        t4.candidates = t4.candidates[:MAX_RANKED]
        out.append(_Run("review_litigation", "表四", "行政复议、行政诉讼",
                        [f"review_litigation.{k}[{i}]" for k in REVIEW_ROWS for i in range(5)],
                        table4_cues(), t4, [[int(p.value) for p in c] for c in t4.candidates],
                        kinds=["count"] * 15))
    return out


def _table2_subs(template: TemplateId, key: str, n: int) -> list[str]:
    if key in ("rules", "normative_documents"):
        return list(ACTIVE_2021_TRIPLE if template == "2021" else ACTIVE_2019_DOC_TRIPLE)
    if key == "fees" and template == "2019":
        return ["prev_year_items", "change"]
    if key == "procurement":
        return ["items", "amount_wan_yuan"]
    if template == "2019":
        return list(ACTIVE_2019_ITEM_TRIPLE)[:n]
    return [""]


def _prose(r: _Run, sentences: Sequence[tuple[int, int, str]]) -> None:
    """A clause stating a number of the reading with its unit, beside its row and column words."""
    found: dict[tuple[int, float], tuple[int, int, str]] = {}
    for i in range(len(r.fields)):
        if i >= len(r.cues):
            break
        wanted = {float(v[i]) for v in r.values if float(v[i]) != 0}  # a 0 is printed everywhere
        for value in wanted:
            for start, end, clause in sentences:
                if states(clause, value, r.cues[i]):
                    found[(i, value)] = (start, end, clause)
                    break
    for k, vals in enumerate(r.values):
        for i, v in enumerate(vals):
            hit = found.get((i, float(v)))
            if hit is not None:
                r.evidence[k].append(Evidence(code="prose", weight=W_PROSE, cells=[r.fields[i]], params={
                    "value": v, "quote": hit[2][:120], "span": [hit[0], hit[1]]}))


def _priors(r: _Run, template: TemplateId) -> None:
    names = [f.rsplit(".", 1)[-1] for f in r.fields]
    for k, vals in enumerate(r.values):
        ev = r.evidence[k]
        cell = dict(zip(names, vals))
        if r.table == "表二" and template == "2021" and "in_force" in cell:
            if cell["in_force"] < cell["issued"]:
                ev.append(Evidence(code="prior_in_force_ge_issued", weight=-W_USUALLY, cells=r.fields,
                                   params={"in_force": cell["in_force"], "issued": cell["issued"]}))
            if cell["repealed"] > cell["in_force"]:
                ev.append(Evidence(code="prior_repealed_le_in_force", weight=-W_OFTEN, cells=r.fields,
                                   params={"in_force": cell["in_force"], "repealed": cell["repealed"]}))
        if r.table == "表二" and "total_published" in cell and cell["total_published"] < cell["new_published"]:
            ev.append(Evidence(code="prior_total_ge_new", weight=-W_USUALLY, cells=r.fields,
                               params={"total": cell["total_published"], "new": cell["new_published"]}))
        if r.table == "表二" and "change" in cell:
            prev, change = cell["prev_year_items"], cell["change"]
            if prev + change < 0:
                ev.append(Evidence(code="prior_items_not_negative", weight=-W_IMPOSSIBLE, cells=r.fields,
                                   params={"prev": prev, "change": change}))
            elif abs(change) > prev:
                ev.append(Evidence(code="prior_change_within_level", weight=-W_USUALLY, cells=r.fields,
                                   params={"prev": prev, "change": change}))
    counts = [i for i, kind in enumerate(r.kinds) if kind != "money"]
    if r.table == "表二" and len(counts) > 1:
        # the numbers of one 表二 row are of like size: a cut that leaves one huge number is unlikely
        squares = [sum(_digits(vals[i]) ** 2 for i in counts) for vals in r.values]
        best = min(squares)
        for k, sq in enumerate(squares):
            if sq > best:
                r.evidence[k].append(Evidence(code="prior_lengths", weight=-W_LENGTHS * (sq - best), cells=r.fields,
                                              params={"lengths": [_digits(r.values[k][i]) for i in counts]}))
    # smaller numbers are more frequent than larger ones (Benford): the tie-breaker
    sizes = [sum(math.log10(abs(float(vals[i])) + 1) for i in counts) for vals in r.values]
    smallest = min(sizes) if sizes else 0.0
    for k, size in enumerate(sizes):
        if size - smallest > 1e-9:
            r.evidence[k].append(Evidence(code="prior_size", weight=-round(W_SIZE * (size - smallest), 3),
                                          cells=r.fields, params={"orders": round(size - smallest, 2)}))


def _digits(v: int | float) -> int:
    return len(str(abs(int(v))))


def _table_sums(runs: list[_Run], tables: Tables, limit: int = 100_000) -> None:
    """表三 rows left open: the readings that take part in some combination making the columns add up."""
    t3 = tables.table3
    rows = [r for r in runs if r.table == "表三"]
    if t3 is None or not rows:
        return
    combos = math.prod(len(r.values) for r in rows)
    if combos > limit:
        return
    fixed = {k: [int(p.value) for p in row.chosen] for k, row in t3.rows.items() if row.chosen is not None}
    keys = [r.run.split(".", 1)[1] for r in rows]
    used: list[set[int]] = [set() for _ in rows]
    for choice in product(*(range(len(r.values)) for r in rows)):
        values: dict[str, list[int] | None] = dict(fixed)
        for key, r, k in zip(keys, rows, choice):
            values[key] = [int(v) for v in r.values[k]]
        if table_sums_hold(values):
            for n, k in enumerate(choice):
                used[n].add(k)
    for r, ks in zip(rows, used):
        if 0 < len(ks) < len(r.values):
            for k in ks:
                r.evidence[k].append(Evidence(code="table_sums", weight=W_TABLE_SUMS, cells=r.fields))


def _finish(r: _Run) -> AmbiguousRun:
    scored = [(round(sum(e.weight for e in ev), 3), k) for k, ev in enumerate(r.evidence)]
    order = [k for _, k in sorted(scored, key=lambda t: (-t[0], t[1]))]
    r.target.candidates = [r.target.candidates[k] for k in order]
    readings = [RankedReading(values=r.values[k], score=scored[k][0], evidence=r.evidence[k])
                for k in order[:MAX_READINGS]]
    return AmbiguousRun(run=r.run, table=r.table, label=r.label, printed=_printed(r.target), fields=r.fields,
                        total=len(r.values), readings=readings)


def _printed(target: Any) -> str:
    return " ".join(t.text for t in getattr(target, "tokens", []))


# ---------------------------------------------------------------- the same agency's other years


class OtherYear(BaseModel):
    """Another report of the same agency: its year and the numbers of it that can be trusted."""

    year: int
    values: dict[str, int | float]        # record path -> value (only settled cells)
    extraction_id: int | None = None
    source: str = ""


def with_other_years(runs: Sequence[AmbiguousRun], year: int, others: Sequence[OtherYear]) -> list[AmbiguousRun]:
    """The runs re-ranked with the evidence of the agency's other years (consecutive years' carry
    over equations, the size of 现行有效 in nearby years)."""
    by_year = {o.year: o for o in others if o.year != year}
    out: list[AmbiguousRun] = []
    for run in runs:
        readings = []
        for reading in run.readings:
            ev = [e for e in reading.evidence if e.code not in ("last_year", "next_year", "nearby_years")]
            ev += _year_evidence(run, reading.values, year, by_year)
            readings.append(RankedReading(values=reading.values, score=round(sum(e.weight for e in ev), 3),
                                          evidence=ev))
        order = sorted(range(len(readings)), key=lambda k: (-readings[k].score, k))
        out.append(run.model_copy(update={"readings": [readings[k] for k in order]}))
    return out


def _year_evidence(run: AmbiguousRun, values: list[int | float], year: int,
                   by_year: dict[int, OtherYear]) -> list[Evidence]:
    cell = dict(zip(run.fields, values))
    last, nxt = by_year.get(year - 1), by_year.get(year + 1)
    ev: list[Evidence] = []
    row = run.run
    in_force = f"{row}.in_force"
    if in_force in cell and f"{row}.issued" in cell:
        issued, repealed, now = cell[f"{row}.issued"], cell[f"{row}.repealed"], cell[in_force]
        if last is not None and in_force in last.values:
            before = last.values[in_force]
            if before + issued - repealed == now:
                ev.append(Evidence(code="last_year", weight=W_YEAR, cells=run.fields, params={
                    "year": last.year, "extraction_id": last.extraction_id, "rule": "in_force",
                    "last_in_force": before, "issued": issued, "repealed": repealed, "in_force": now}))
        if nxt is not None and all(f in nxt.values for f in (in_force, f"{row}.issued", f"{row}.repealed")):
            after = nxt.values[in_force]
            if now + nxt.values[f"{row}.issued"] - nxt.values[f"{row}.repealed"] == after:
                ev.append(Evidence(code="next_year", weight=W_YEAR, cells=run.fields, params={
                    "year": nxt.year, "extraction_id": nxt.extraction_id, "rule": "in_force", "in_force": now,
                    "next_issued": nxt.values[f"{row}.issued"], "next_repealed": nxt.values[f"{row}.repealed"],
                    "next_in_force": after}))
        if not any(e.code in ("last_year", "next_year") for e in ev):
            near = [o for y, o in sorted(by_year.items(), key=lambda t: abs(t[0] - year))
                    if 0 < abs(y - year) <= NEARBY_YEARS and in_force in o.values]
            if near:
                other = near[0]
                apart = abs(math.log10(float(now) + 1) - math.log10(float(other.values[in_force]) + 1))
                if apart > 0.15:   # within a factor of 1.4: the same size
                    ev.append(Evidence(code="nearby_years", weight=-round(W_NEARBY * min(apart, 2.0), 3),
                                       cells=[in_force], params={
                                           "year": other.year, "extraction_id": other.extraction_id,
                                           "other_in_force": other.values[in_force], "in_force": now}))
    if row == "applications.carried_over" and last is not None:
        forward = [last.values.get(f"applications.carried_forward[{c}]") for c in range(7)]
        if None not in forward and [float(v) for v in values] == [float(v) for v in forward if v is not None]:
            ev.append(Evidence(code="last_year", weight=W_YEAR, cells=run.fields, params={
                "year": last.year, "extraction_id": last.extraction_id, "rule": "carry_over",
                "carried_forward": forward}))
    if row == "applications.carried_forward" and nxt is not None:
        over = [nxt.values.get(f"applications.carried_over[{c}]") for c in range(7)]
        if None not in over and [float(v) for v in values] == [float(v) for v in over if v is not None]:
            ev.append(Evidence(code="next_year", weight=W_YEAR, cells=run.fields, params={
                "year": nxt.year, "extraction_id": nxt.extraction_id, "rule": "carry_over",
                "carried_over": over}))
    return ev


# ---------------------------------------------------------------- messages

def evidence_text(ev: Evidence, lang: Literal["zh", "en"] = "zh") -> str:
    """The evidence as a sentence for the reviewer."""
    params = dict(ev.params)
    if ev.code in ("last_year", "next_year"):
        params["detail"] = _year_detail(ev)
    return render(f"evidence_{ev.code}", params, lang)


def _year_detail(ev: Evidence) -> str:
    p = ev.params
    if p.get("rule") == "in_force" and ev.code == "last_year":
        return f"{p['last_in_force']} + {p['issued']} − {p['repealed']} = {p['in_force']}"
    if p.get("rule") == "in_force":
        return f"{p['in_force']} + {p['next_issued']} − {p['next_repealed']} = {p['next_in_force']}"
    if ev.code == "last_year":
        return "上年结转 = " + "/".join(str(v) for v in p.get("carried_forward", []))
    return "结转下年度 = " + "/".join(str(v) for v in p.get("carried_over", []))


def apply_reading(record: dict[str, Any], run: AmbiguousRun, index: int) -> dict[str, Any]:
    """A copy of the record with the run's cells set to its reading number `index` (0-based)."""
    import copy

    out = copy.deepcopy(record)
    for path, value in zip(run.fields, run.readings[index].values):
        _set(out, path, value)
    return out


_PATH = re.compile(r"^(\w+)\[(\d+)\]$")


def _set(record: dict[str, Any], path: str, value: Any) -> None:
    node: Any = record
    parts = path.split(".")
    for i, part in enumerate(parts):
        m = _PATH.match(part)
        last = i == len(parts) - 1
        if m:
            lst = node.setdefault(m.group(1), [])
            idx = int(m.group(2))
            while len(lst) <= idx:
                lst.append(0)
            if last:
                lst[idx] = value
            else:
                node = lst[idx]
        elif last:
            node[part] = value
        else:
            node = node.setdefault(part, {})


def runs_of(findings: Sequence[dict[str, Any]]) -> list[AmbiguousRun]:
    """The ranked runs a stored result carries (in its ambiguous_split findings)."""
    out = []
    for f in findings:
        run = (f.get("numbers") or {}).get("run")
        if f.get("rule") == "ambiguous_split" and isinstance(run, dict):
            out.append(AmbiguousRun.model_validate(run))
    return out

