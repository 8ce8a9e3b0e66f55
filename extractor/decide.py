"""accepted or review, and why: judge each broken rule (printed in the report, or our error?),
check that unprinted cells and cells placed by position are pinned by the sums, and decide from the findings."""

from __future__ import annotations

import re
from typing import Any, Sequence

from .checks import RULES, PrintedSum, check_record, check_sums, undetermined
from .messages import Message, finding_text, msg, reason_findings, render
from .result import CellProvenance, Finding, Status
from .rules.table3 import Table3

# the methods whose numbers are exactly what the report prints (no inference)
AS_PRINTED = frozenset({"grid_cell", "text_token", "blank_cell", "row_absent"})


# OCR: a character scored below this by the recogniser is not known
OCR_SURE = 0.7


def judge(record: dict[str, Any], provenance: list[CellProvenance], settled_alone: set[str],
          doubts: Sequence[Message | str], sums: Sequence[PrintedSum] = (),
          doubtful: set[str] | frozenset[str] = frozenset(),
          unconfirmed: set[str] | None = None) -> tuple[list[Finding], list[str]]:
    """The record's broken rules as findings, and the rules its printed numbers break.

    A broken rule is the report's own (severity "source", transcribed as printed) only when every
    cell involved was read exactly as printed (or its split was forced by its own digits), is not
    an OCR read left `unconfirmed` (see ocr_doubts), and no layout doubt says the numbers may sit
    beside the wrong labels; otherwise it is our reading that does not add up (severity "review").
    Cells that were not printed at all count only where the sums pin them to 0, and numbers placed
    by their order in the table (no label beside them) only where the sums pin them to the number
    placed; `doubtful` cells (named by a review finding of the reading) are not used to pin
    others. The report's printed subtotals (`sums`) are judged like the rules and count as
    equations; their breaks never enter `source_inconsistencies` (FORMAT.md has no subtotals).
    """
    unconfirmed = unconfirmed or set()
    methods = {p.field: p.method for p in provenance}
    methods.update({s.name: "grid_cell" if s.as_printed else "converted" for s in sums})
    values = {p.field: p.value for p in provenance}
    findings: list[Finding] = []
    inconsistent: set[str] = set()
    for f in check_record(record) + check_sums(sums, values):
        if doubts and (f.rule in ("processed_total", "balance", "row_total")
                       or f.rule == "subtotal" and f.cells[0].startswith("applications.")):
            _verdict(f, "ours_doubt", doubts[0])
        elif all((methods.get(c) in AS_PRINTED or c in settled_alone) and c not in unconfirmed for c in f.cells):
            f.severity = "source"
            _verdict(f, "printed")
            inconsistent.add(f.rule)
        else:
            _verdict(f, "ours")
        findings.append(f)
    unsure = {f for f, m in methods.items() if m in ("absent_cell", "position")}
    if unsure:
        unpinned = undetermined(record, values, unsure, sums, doubtful)
        absent = [c for c in unpinned if methods[c] == "absent_cell"]
        placed = [c for c in unpinned if methods[c] == "position"]
        if absent:
            findings.append(Finding(rule="cells_not_printed", severity="review", code="cells_not_printed",
                                    params=_some(absent), cells=absent))
        if placed:
            findings.append(Finding(rule="placed_by_position", severity="review", code="placed_by_position",
                                    params=_some(placed), cells=placed))
    return findings, [r for r in RULES if r in inconsistent]


def _verdict(f: Finding, verdict: str, doubt: Message | str | None = None) -> None:
    """Say whose numbers break the rule: the report's own (printed) or our reading (ours)."""
    if f.code:
        f.params = {**f.params, "verdict": verdict, **({"doubt": doubt} if doubt is not None else {})}
        f.message = finding_text(f, "en")
    else:   # a finding without a code (made elsewhere): its text with the verdict's
        f.message = render(f"verdict_{verdict}", {"message": f.message, "doubt": doubt}, "en", fallback=f.message)


def _some(cells: list[str]) -> dict[str, object]:
    """How many cells, the first few, and whether there are more (the parameters of the message)."""
    return {"n": len(cells), "cells": cells[:4], "more": msg("ellipsis") if len(cells) > 4 else None}


def ocr_doubts(provenance: list[CellProvenance]) -> tuple[list[Finding], set[str]]:
    """An OCR'd report's numbers that are not taken as read, and the review findings for them.

    A number counts as read by OCR only when its independent reads agree and the better read
    scored every digit at least OCR_SURE. A digit the recogniser is unsure of (or a cell with marks
    but no text) sends its cell to review in any table. In 表二, which has no sums to check it, reads that disagree do
    too; in 表三 and 表四 the sums check them (and a broken sum over an unconfirmed cell is never
    called printed in the report). Returns the findings and every unconfirmed cell.
    """
    unsure: list[CellProvenance] = []
    disagree: list[CellProvenance] = []
    unconfirmed: set[str] = set()
    for p in provenance:
        if p.span is None:
            # a row or cell not found: on a page read by OCR that may be a garbled label (its own
            # finding says so); never evidence of what the report prints
            if p.method in ("row_absent", "absent_cell"):
                unconfirmed.add(p.field)
            continue
        o = p.ocr
        if o is None or o.confidence < OCR_SURE:
            unsure.append(p)
        elif not o.agreed:
            if p.field.startswith("active_disclosure."):
                disagree.append(p)
        else:
            continue
        unconfirmed.add(p.field)
    findings: list[Finding] = []
    for rule, group in (("ocr_unsure", unsure), ("ocr_unconfirmed", disagree)):
        if not group:
            continue
        findings.append(Finding(
            rule=rule, severity="review", code=rule,
            params={"n": len(group), "cells": [msg("ocr_cell", field=p.field, value=p.value, how=_reads(p))
                                               for p in group[:6]],
                    "more": msg("ellipsis") if len(group) > 6 else None},
            cells=[p.field for p in group],
            numbers={p.field: {"reads": p.ocr.reads if p.ocr else [], "confidence": p.ocr.confidence if p.ocr else 0.0}
                     for p in group}))
    return findings, unconfirmed


def _reads(p: CellProvenance) -> Message:
    if p.ocr is None:
        return msg("ocr_no_read")
    return msg("ocr_reads", reads=list(p.ocr.reads), scores=[f"{s:.2f}" for s in p.ocr.scores],
               extra=msg("ocr_extra", note=p.ocr.note) if p.ocr.note else None)


def layout_doubts(t3: Table3 | None) -> list[Message | str]:
    """Signs that 表三's numbers may sit beside the wrong labels: then a broken sum is not taken
    as printed in the report. A row printed with no numbers at all is such a sign (numbers
    displaced to a neighbouring label leave one row empty)."""
    if t3 is None:
        return []
    doubts: list[Message | str] = list(t3.notes)
    empty = [r.label for r in t3.rows.values() if r.status == "blank" and not r.tokens]
    if empty:
        doubts.append(msg("doubt_row_without_numbers", label=re.sub(r"\s+", "", empty[0] or "")))
    return doubts


def decide(findings: list[Finding]) -> tuple[Status, list[str]]:
    """`accepted` only when nothing needs a human: every cell found and tied to its label, every
    rule holds or its break is printed in the report itself. Otherwise `review`, with the reasons."""
    if any(f.severity == "review" for f in findings):
        return "review", [f.message for f in reason_findings("review", findings)]
    return "accepted", [f.message for f in reason_findings("accepted", findings)]
