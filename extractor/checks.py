"""The consistency rules of FORMAT.md, run on a canonical record: findings that name the cells."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from .document import Span
from .messages import Message
from .result import Finding
from .template import APPLICANT_COLUMNS, REVIEW_COLUMNS, REVIEW_ROWS, application_rows, outcome_keys

RULES = ("row_total", "processed_total", "balance", "review_total")

Equation = tuple[str, list[str], list[str]]   # (rule, cells of one side, cells of the other)


@dataclass(frozen=True)
class PrintedSum:
    """A sum the report prints that FORMAT.md's record does not keep: a 小计 column or row of
    表三, a total stated in prose (行政诉讼 N件 = 直接起诉 + 复议后起诉). It is dropped from the
    record and kept as one more equation: `parts` (record cells) add up to `value`.

    `name` is the sum's own cell name in the equations (never a record field); `as_printed` says
    its value was read exactly as printed (a grid cell, a number standing alone)."""

    name: str
    label: str | Message           # as the report names it (a message where we name it)
    value: int
    parts: tuple[str, ...]
    as_printed: bool
    span: Span | None = None


def _cell(row: str, col: int) -> str:
    return f"applications.{row}[{col}]"


def check_record(record: dict[str, Any]) -> list[Finding]:
    """Every broken rule, one finding per row / column / list (severity 'review' by default;
    the caller decides whether a break is printed in the source)."""
    findings: list[Finding] = []
    template = record.get("template", "2021")
    apps: dict[str, list[int]] = record.get("applications", {})
    rows = [k for k in application_rows(template) if k in apps]
    for key in rows:
        v = apps[key]
        if sum(v[:6]) != v[6]:
            findings.append(Finding(
                rule="row_total", severity="review", code="row_total",
                params={"label": application_rows(template)[key], "total": v[6], "parts": v[:6], "sum": sum(v[:6])},
                cells=[_cell(key, c) for c in range(7)],
                numbers={"row": key, "printed_total": v[6], "sum": sum(v[:6])}))
    outcomes = [k for k in outcome_keys(template) if k in apps]
    total = apps.get("total_processed")
    if total is not None:
        for c in range(7):
            s = sum(apps[k][c] for k in outcomes)
            if s != total[c]:
                findings.append(Finding(
                    rule="processed_total", severity="review", code="processed_total",
                    params={"column": APPLICANT_COLUMNS[c], "total": total[c], "sum": s},
                    cells=[_cell("total_processed", c)] + [_cell(k, c) for k in outcomes],
                    numbers={"column": APPLICANT_COLUMNS[c], "printed_total": total[c], "sum": s}))
    need = ("new_received", "carried_over", "total_processed", "carried_forward")
    if all(k in apps for k in need):
        for c in range(7):
            left = apps["new_received"][c] + apps["carried_over"][c]
            right = apps["total_processed"][c] + apps["carried_forward"][c]
            if left != right:
                findings.append(Finding(
                    rule="balance", severity="review", code="balance",
                    params={"column": APPLICANT_COLUMNS[c], "new": apps["new_received"][c],
                            "carried_over": apps["carried_over"][c], "left": left,
                            "total": apps["total_processed"][c], "carried_forward": apps["carried_forward"][c],
                            "right": right},
                    cells=[_cell(k, c) for k in need],
                    numbers={"column": APPLICANT_COLUMNS[c], "received": left, "settled": right}))
    for key, label in REVIEW_ROWS.items():
        v = record.get("review_litigation", {}).get(key)
        if v is not None and sum(v[:4]) != v[4]:
            findings.append(Finding(
                rule="review_total", severity="review", code="review_total",
                params={"label": label, "total": v[4], "parts": v[:4], "sum": sum(v[:4])},
                cells=[f"review_litigation.{key}[{i}]" for i in range(5)],
                numbers={"row": key, "printed_total": v[4], "sum": sum(v[:4]),
                         "columns": list(REVIEW_COLUMNS)}))
    return findings


def check_sums(sums: Sequence[PrintedSum], values: dict[str, Any]) -> list[Finding]:
    """Every printed subtotal that does not equal its parts (severity 'review' by default; the
    caller decides whether the break is printed in the source)."""
    findings: list[Finding] = []
    for s in sums:
        got = sum(values.get(c, 0) for c in s.parts)
        if got != s.value:
            findings.append(Finding(
                rule="subtotal", severity="review", code="subtotal",
                params={"label": s.label, "printed": s.value, "sum": got},
                cells=[*s.parts, s.name],
                numbers={"subtotal": s.name, "printed": s.value, "sum": got}))
    return findings


def equations(record: dict[str, Any], sums: Sequence[PrintedSum] = ()) -> list[Equation]:
    """The rules as equations between cells: sum(left) == sum(right), every cell >= 0; with the
    report's own printed subtotals as more equations."""
    out: list[Equation] = [("subtotal", list(s.parts), [s.name]) for s in sums]
    template = record.get("template", "2021")
    apps = record.get("applications", {})
    rows = [k for k in application_rows(template) if k in apps]
    for key in rows:
        out.append(("row_total", [_cell(key, c) for c in range(6)], [_cell(key, 6)]))
    outcomes = [k for k in outcome_keys(template) if k in apps]
    if "total_processed" in apps:
        for c in range(7):
            out.append(("processed_total", [_cell(k, c) for k in outcomes], [_cell("total_processed", c)]))
    if all(k in apps for k in ("new_received", "carried_over", "total_processed", "carried_forward")):
        for c in range(7):
            out.append(("balance", [_cell("new_received", c), _cell("carried_over", c)],
                        [_cell("total_processed", c), _cell("carried_forward", c)]))
    for key in REVIEW_ROWS:
        if key in record.get("review_litigation", {}):
            cells = [f"review_litigation.{key}[{i}]" for i in range(5)]
            out.append(("review_total", cells[:4], cells[4:]))
    return out


def undetermined(record: dict[str, Any], values: dict[str, Any], unsure: set[str],
                 sums: Sequence[PrintedSum] = (), doubtful: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """The cells of `unsure` that the sums (FORMAT.md's and the report's printed subtotals) do not
    pin to the value read for them.

    Unsure cells are those not read beside their own label: not printed at all (read as 0), or
    placed by their order in the table. An equation pins the unsure cells of one side when its
    other side is wholly known and either one cell of that side is unsure (it must then be the
    difference), or the known cells already make up the sum (the unsure ones, being counts >= 0,
    must then be 0). Known cells are the others and those pinned so far (repeated to a fixed
    point); `doubtful` cells (already sent to review: a row not found, a guessed split) pin
    nothing. A table whose cells were mostly not found is therefore not a table of zeros, and rows
    placed by position alone are not taken on trust.
    """
    values = {**values, **{s.name: s.value for s in sums}}
    known = set(values) - unsure - doubtful
    eqs = equations(record, sums)
    changed = True
    while changed:
        changed = False
        for _rule, left, right in eqs:
            for side, other in ((left, right), (right, left)):
                unknown = [c for c in side if c not in known]
                if not unknown or any(c not in known for c in other):
                    continue
                rest = sum(values.get(c, 0) for c in other) - sum(values.get(c, 0) for c in side if c in known)
                read = [values.get(c, 0) for c in unknown]
                if (len(unknown) == 1 and read[0] == rest) or (rest == 0 and not any(read)):
                    known.update(unknown)
                    changed = True
    return sorted(c for c in unsure if c not in known)
