"""Cross-report checks inside the store: one agency's numbers must carry over from year to year.

Two rules, on the later of two consecutive years of the same organization (matched on the
normalised name, see store.org_key), stored as findings of severity "info" (reports legitimately
restate last year's figures, so these never reject a record):

    cross_year_carryover   this year's 上年结转 (carried_over) == last year's 结转下年度 (carried_forward),
                           per column
    cross_year_in_force    表二 (2021 template, both years): last year's 现行有效件数 + this year's
                           制发 - 废止 == this year's 现行有效件数, for 规章 and 行政规范性文件
"""

from __future__ import annotations

from typing import Any

from . import store as st
from .template import APPLICANT_COLUMNS

_STATUS_RANK = {"accepted": 0, "review": 1, "failed": 2}
_IN_FORCE_ROWS = {"rules": "规章", "normative_documents": "行政规范性文件"}

CrossFinding = tuple[int, str, str, dict[str, Any], list[str]]


PairFinding = tuple[str, str, dict[str, Any], list[str]]   # (rule, message, numbers, cells)


def check_pair(this: dict[str, Any], last: dict[str, Any], *, last_label: str) -> list[PairFinding]:
    """The cross-year findings of record `this` against the previous year's record `last`.

    Returns (rule, message, numbers, cells) tuples; empty when the two years agree.
    """
    out: list[PairFinding] = []
    now_over = (this.get("applications") or {}).get("carried_over")
    last_fwd = (last.get("applications") or {}).get("carried_forward")
    if isinstance(now_over, list) and isinstance(last_fwd, list) and len(now_over) == len(last_fwd):
        cols = [i for i, (a, b) in enumerate(zip(now_over, last_fwd)) if a != b]
        if cols:
            names = "、".join(APPLICANT_COLUMNS[i] if i < len(APPLICANT_COLUMNS) else str(i) for i in cols)
            out.append(("cross_year_carryover",
                        f"上年结转 {now_over} differs from 结转下年度 {last_fwd} in {last_label} "
                        f"(columns: {names})",
                        {"carried_over": now_over, "last_year_carried_forward": last_fwd},
                        [f"applications.carried_over[{i}]" for i in cols]))
    if this.get("template") == "2021" and last.get("template") == "2021":
        for row, label in _IN_FORCE_ROWS.items():
            now = (this.get("active_disclosure") or {}).get(row) or {}
            prev = (last.get("active_disclosure") or {}).get(row) or {}
            try:
                expected = prev["in_force"] + now["issued"] - now["repealed"]
                printed = now["in_force"]
            except (KeyError, TypeError):
                continue
            if expected != printed:
                out.append(("cross_year_in_force",
                            f"{label} 现行有效件数 {printed} != {last_label} {prev['in_force']} + 制发 {now['issued']} "
                            f"- 废止 {now['repealed']} = {expected}",
                            {"in_force": printed, "last_year_in_force": prev["in_force"], "issued": now["issued"],
                             "repealed": now["repealed"], "expected": expected},
                            [f"active_disclosure.{row}.in_force"]))
    return out


def run_crosschecks(store: st.Store) -> int:
    """Recompute every cross-year finding over the current extractions; returns how many were stored.

    Records are read one at a time, so memory stays flat on large stores."""
    by_key: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in st.current_keys_for_crosscheck(store):
        by_key.setdefault((r["org_key"], int(r["year"])), []).append(r)
    findings: list[CrossFinding] = []
    for (org, year), group in by_key.items():
        previous = by_key.get((org, year - 1))
        if not previous:
            continue
        # several files of last year (e.g. page.html and page.txt): compare with the most trusted
        last = min(previous, key=lambda r: (_STATUS_RANK.get(r["status"], 9), -r["id"]))
        last_record = st.get_record(store, last["id"])
        if last_record is None:
            continue
        label = f"the {year - 1} report ({last['path']})"
        for this in group:
            record = st.get_record(store, this["id"])
            if record is None:
                continue
            for rule, message, numbers, cells in check_pair(record, last_record, last_label=label):
                findings.append((this["id"], rule, message, {**numbers, "last_year_extraction_id": last["id"]}, cells))
    st.replace_crosscheck_findings(store, findings)
    return len(findings)
