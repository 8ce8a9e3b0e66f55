"""Where the rules stop, the model helps: when to ask (splits the rules left open, 表三 rows they
could not read, 表四 whole when its labels are unreadable, the prose's figures) and how an accepted
answer enters the rules' tables or the findings. Whether an answer is grounded is decided in `grounding.py`, never here."""

from __future__ import annotations

import re
from typing import Any

from ..errors import LLMError, LLMOutputError
from ..messages import Message, msg
from ..result import Finding
from ..rules import Tables
from ..rules.labels import loose
from ..rules.split import Piece
from ..rules.table2 import Table2
from ..rules.table3 import Table3
from ..rules.table4 import Table4
from ..template import (
    ACTIVE_2019_LABELS,
    ACTIVE_2021_LABELS,
    APPLICANT_COLUMNS,
    REVIEW_COLUMNS,
    REVIEW_ROWS,
    TemplateId,
    application_rows,
)
from .grounding import REVIEW_GROUPS, Cue, choice_grounded, table2_cues, table3_cues, table4_cues
from .tasks import llm_choose_split, llm_prose_figures, llm_section4, llm_table3, llm_table4_prose

_MAX_LLM_ROWS = 6
_SECTION3 = re.compile(loose("收到和处理政府信息公开申请情况"))


def help_rules(client: Any, text: str, tables: Tables, findings: list[Finding]) -> None:
    """Where the rules left a table unsettled: choose among admissible splits by the report's own
    prose, read the 表三 rows the rules could not, 表四 from its sentences, or whole when its table
    could not be read at all (each answer grounded before it is used)."""
    t2, t3, t4 = tables.table2, tables.table3, tables.table4
    if needs_help(t2, t3, t4):
        settle_splits(client, text, tables.template, t2, t3, t4, findings)
        read_table3(client, text, tables.template, t3, findings)
        read_table4_prose(client, text, t4, findings)
        read_section4(client, text, t4, findings)


def needs_help(t2: Table2, t3: Table3 | None, t4: Table4) -> bool:
    """True when some table is not settled by the rules alone."""
    if t3 is None or any(r.status in ("ambiguous", "unreadable", "absent") for r in t3.rows.values()):
        return True
    if t4.status in ("ambiguous",) or table4_open(t4):
        return True
    return any(i.status == "ambiguous" for i in t2.items.values())


def settle_splits(client: Any, text: str, template: TemplateId, t2: Table2, t3: Table3 | None,
                  t4: Table4, findings: list[Finding]) -> None:
    """Ambiguous glued runs: let the model pick the reading the report's own prose supports."""
    labels = ACTIVE_2021_LABELS if template == "2021" else ACTIVE_2019_LABELS
    for key, item in t2.items.items():
        if item.status != "ambiguous" or len(item.candidates) < 2:
            continue
        name = labels.get(key, key)
        fields = [f"{name}{i + 1}" for i in range(item.n)] if item.n > 1 else [name]
        _choose(client, text, fields, item, findings, f"表二 {item.label or name}",
                table2_cues(key, item.n, item.label or name, template))
    if t3 is not None:
        for row in t3.rows.values():
            if row.status == "ambiguous" and len(row.candidates) >= 2:
                _choose(client, text, [f"{row.label}/{c}" for c in APPLICANT_COLUMNS], row, findings,
                        f"表三 {row.label}", table3_cues(row.label or "", APPLICANT_COLUMNS))
    if t4.status == "ambiguous" and len(t4.candidates) >= 2:
        fields = [f"{g}/{c}" for g in REVIEW_GROUPS for c in REVIEW_COLUMNS]
        _choose(client, text, fields, t4, findings, "表四", table4_cues())


def _choose(client: Any, text: str, fields: list[str], target: Any, findings: list[Finding],
            where: str, cues: list[Cue]) -> None:
    cands = [[_int(p.value) for p in c] for c in target.candidates]
    try:
        choice = llm_choose_split(client, text, fields, cands,
                                  run="".join(t.text for t in target.tokens))
    except LLMError as e:
        findings.append(_could_not_help(where, e))
        return
    if choice is None or not choice.quote:
        return
    if not choice_grounded(choice.quote, cues, cands, choice.index):
        findings.append(Finding(rule="llm_ungrounded", severity="info", code="llm_ungrounded_choice",
                                params={"where": where, "chosen": cands[choice.index], "quote": choice.quote[:80]}))
        return
    chosen: list[Piece] = [Piece(p.value, p.start, p.end, "llm") for p in target.candidates[choice.index]]
    target.chosen = chosen
    target.status = "ok"
    target.note = msg("llm_chose_reading", quote=choice.quote)
    findings.append(Finding(rule="llm_split_choice", severity="info", code="llm_split_choice",
                            params={"where": where, "note": target.note},
                            numbers={"chosen": cands[choice.index], "candidates": cands[:20]}))


def _could_not_help(where: str, e: LLMError) -> Finding:
    """Why the model gave nothing usable: its reply (invalid JSON, failing the checks) or the server."""
    if isinstance(e, LLMOutputError):
        return Finding(rule="llm_unusable", severity="review", code="llm_unusable",
                       params={"where": where, "error": str(e)})
    return Finding(rule="llm_unavailable", severity="review", code="llm_unavailable",
                   params={"where": where, "error": str(e)})


def _int(v: Any) -> Any:
    """A piece's value as a plain number (Decimal("1.5") -> 1.5, 3 -> 3)."""
    return int(v) if float(v).is_integer() else float(v)


def read_table3(client: Any, text: str, template: TemplateId, t3: Table3 | None,
                findings: list[Finding]) -> None:
    """Rows the rules could not read (absent, unreadable): ask the model row group by row group,
    on the section's text only; keep a row only when its numbers stand beside its label."""
    if t3 is None:
        return  # without the table's place in the text there is no section to send
    open_rows = [r for r in t3.rows.values() if r.status in ("absent", "unreadable", "ambiguous")
                 and r.chosen is None]
    if not open_rows:
        return
    keys = [r.key for r in open_rows if r.key in application_rows(template)]
    if not keys:
        return
    if len(keys) > _MAX_LLM_ROWS:
        # the 0.5B model reads one row per request at several seconds each; a table this broken
        # goes to a human rather than to an hour of model calls
        findings.append(Finding(rule="llm_skipped", severity="info", code="llm_skipped",
                                params={"n": len(keys), "max": _MAX_LLM_ROWS}))
        return
    a = _SECTION3.search(text, 0, t3.span[0])
    section = text[(a.start() if a else t3.span[0]):t3.span[1]]
    try:
        answer = llm_table3(client, section, template, groups=[[k] for k in keys])
    except LLMError as e:
        findings.append(_could_not_help("表三", e))
        return
    for row in open_rows:
        if row.key in answer.unusable:
            findings.append(Finding(rule="llm_unusable", severity="review", code="llm_unusable",
                                    params={"where": f"表三 {row.label or row.key}",
                                            "error": answer.unusable[row.key][:300]}))
        key = row.key if row.key in answer.values else None
        if key is None:
            continue
        evidence = answer.evidence.get(key)
        if not evidence:
            findings.append(Finding(rule="llm_ungrounded", severity="info", code="llm_ungrounded_row",
                                    params={"where": f"表三 {row.key}", "values": answer.values[key]}))
            continue
        row.chosen = [Piece(v, -1, -1, "llm") for v in answer.values[key]]
        row.status = "ok"
        row.note = msg("llm_read_row", evidence=evidence[:120])


def table4_open(t4: Table4) -> bool:
    """表四 not wholly read by the rules (cells not found, or no reading) in a section that has
    one: its sentences may state what the table does not."""
    if t4.section_span is None or t4.status == "ambiguous":
        return False
    return t4.chosen is None or any(p.method == "absent_cell" for p in t4.chosen)


def read_table4_prose(client: Any, text: str, t4: Table4, findings: list[Finding]) -> None:
    """表四 the rules could not read wholly: the model reads section 四's sentences. A number it
    gives fills a cell only where the grounding finds it printed in its cited sentence as that
    cell, and only a cell the rules did not read (their reading is kept where the two differ)."""
    if not table4_open(t4) or t4.section_span is None:
        return
    try:
        prose = llm_table4_prose(client, text, *t4.section_span)
    except LLMError as e:
        findings.append(_could_not_help("表四", e))
        return
    if not prose.cells and not prose.dropped:
        return
    base = t4.chosen
    chosen: list[Piece] = []
    used: list[Message] = []
    for i, (group, col) in enumerate((g, c) for g in REVIEW_ROWS for c in range(5)):
        rules = base[i] if base is not None else None
        got = prose.cells.get((group, col))
        if rules is not None and rules.method != "absent_cell":
            chosen.append(rules)
            if got is not None and got[0] != rules.value:
                findings.append(Finding(
                    rule="llm_disagrees", severity="info", code="llm_table4_disagrees",
                    params={"group": REVIEW_ROWS[group], "column": REVIEW_COLUMNS[col], "llm": got[0],
                            "rules": int(rules.value)}))
        elif got is not None:
            chosen.append(Piece(got[0], got[1][0], got[1][1], "llm"))
            used.append(msg("llm_table4_cell", group=REVIEW_ROWS[group], column=REVIEW_COLUMNS[col], value=got[0]))
        else:
            chosen.append(Piece(0, -1, -1, "absent_cell"))
    for why in prose.dropped:
        findings.append(Finding(rule="llm_ungrounded", severity="info", code="llm_table4_dropped",
                                params={"why": why}))
    if not used:
        return
    t4.chosen, t4.candidates, t4.status = chosen, [chosen], "ok"
    if t4.arrangement in ("", "row") and base is None:
        t4.arrangement = "prose"
    note = msg("llm_table4_prose", n=len(used))
    t4.note = msg("notes", items=[t4.note, note]) if t4.note else note
    findings.append(Finding(rule="llm_table4_prose", severity="info", code="llm_table4_prose_cells",
                            params={"note": note, "cells": used}))


def read_section4(client: Any, text: str, t4: Table4, findings: list[Finding]) -> None:
    """表四 the rules could not read (its labels garbled, rows lost) although its section was
    found: the model reads the whole section with the template's groups and columns. Used only
    when every number stands in the section in the order given and each group adds up (checks.py
    then checks the record as for any reading); numbers it had to pick out from among others go to
    review."""
    if t4.status not in ("absent", "unreadable") or t4.chosen is not None or t4.section_span is None:
        return
    start, end = t4.section_span
    try:
        reading = llm_section4(client, text, start, end)
    except LLMError as e:
        findings.append(_could_not_help("表四", e))
        return
    if reading is None:
        findings.append(Finding(rule="llm_ungrounded", severity="info", code="llm_ungrounded_section",
                                params={"where": "表四"}))
        return
    t4.chosen = [Piece(v, s, e, "llm") for v, (s, e) in zip(reading.values, reading.spans)]
    t4.status = "ok"
    t4.note = msg("llm_read_section")
    findings.append(Finding(rule="llm_section_read", severity="info", code="llm_section_read",
                            params={"where": "表四", "note": t4.note}, numbers={"values": reading.values}))
    if not reading.together:
        findings.append(Finding(
            rule="llm_section_unconfirmed", severity="review", code="llm_section_unconfirmed",
            params={"where": "表四"},
            cells=[f"review_litigation.{k}[{i}]" for k in REVIEW_ROWS for i in range(5)]))


_PROSE_TO_CELL = {
    "applications_received": ("applications", "new_received", 6, "本年新收申请"),
    "applications_processed": ("applications", "total_processed", 6, "（七）总计"),
    "granted": ("applications", "granted", 6, "予以公开"),
    "carried_forward": ("applications", "carried_forward", 6, "结转下年度"),
    "reviews_total": ("review_litigation", "review", 4, "行政复议总计"),
}


def cross_check_prose(client: Any, text: str, record: dict[str, Any], findings: list[Finding]) -> None:
    """Figures the narrative states (申请 received, 答复, 予以公开, 复议, 诉讼) against the tables:
    a disagreement is a finding to look at, not a rejection (narratives round and restate)."""
    try:
        prose = llm_prose_figures(client, text)
    except LLMError as e:
        findings.append(Finding(rule="llm_unavailable", severity="info", code="llm_prose_skipped",
                                params={"error": str(e)}))
        return
    for where, why in prose.dropped.items():
        if where.startswith("sentence@"):   # the model's reply for that sentence was unusable
            findings.append(Finding(rule="llm_unusable", severity="info", code="llm_prose_unusable",
                                    params={"at": where.split("@")[1], "error": why[:300]}))
    for name, (section, key, col, label) in _PROSE_TO_CELL.items():
        fig = getattr(prose, name, None)
        if fig is None:
            continue
        table_value = record[section][key][col]
        if float(fig.value) != float(table_value):
            findings.append(Finding(
                rule="prose_mismatch", severity="info", code="prose_mismatch",
                params={"label": label, "prose": _int(fig.value), "quote": fig.quote[:80], "table": table_value},
                cells=[f"{section}.{key}[{col}]"], numbers={"prose": fig.value, "table": table_value}))
    fig = prose.lawsuits_total
    if fig is not None:
        rl = record["review_litigation"]
        table_value = rl["litigation_direct"][4] + rl["litigation_after_review"][4]
        if float(fig.value) != float(table_value):
            findings.append(Finding(
                rule="prose_mismatch", severity="info", code="prose_mismatch",
                params={"label": "行政诉讼", "prose": _int(fig.value), "quote": fig.quote[:80], "table": table_value},
                cells=["review_litigation.litigation_direct[4]", "review_litigation.litigation_after_review[4]"],
                numbers={"prose": fig.value, "table": table_value}))
