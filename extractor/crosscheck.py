"""Cross-year findings kept in the store: recomputed over the current extractions at the end of a run.

The rules are those of `analysis.findings` (carry-over, 现行有效 chain, large jumps, missing
years, a repeated 表三), on agencies as `analysis.agencies` groups them (the alias table, seeded
here for names it does not hold yet). Each finding is stored on the later report with severity
"info" and origin "crosscheck": reports legitimately restate figures, so these never reject a record.
"""

from __future__ import annotations

from . import store as st
from .analysis import agencies as ag
from .analysis.findings import check_agency
from .messages import Message, msg
from .readings import NEARBY_YEARS, OtherYear
from .record import cell_values


def run_crosschecks(store: st.Store) -> int:
    """Recompute and store every cross-year finding; returns how many were stored."""
    ag.seed(store)
    stored: list[tuple[int, str, Message, dict, list[str]]] = []
    for agency in ag.load(store).values():
        for f in check_agency(agency, every_file=True):
            said = msg("cross_year_compared", finding=msg(f.rule, **f.params), year=f.previous.year,
                       path=f.previous.path)
            stored.append((f.report.id, f.rule, said, {**f.numbers, "previous_cells": list(f.previous_cells)},
                           list(f.cells)))
    st.replace_crosscheck_findings(store, stored)
    return len(stored)


def other_years(store: st.Store, organization: str | None, year: int | None, *,
                exclude: int | None = None) -> list[OtherYear]:
    """The same agency's reports of the nearby years (agencies as `analysis.agencies` groups them),
    each with the numbers that can be trusted: a record a human approved or the checks accepted
    whole; of a result still waiting for review only the cells no review finding names."""
    if not organization or not year:
        return []
    out: list[OtherYear] = []
    for agency in ag.load(store, agency=organization).values():
        for y, entry in sorted(agency.years.items()):
            if y == year or abs(y - year) > NEARBY_YEARS:
                continue
            report = next((r for r in (entry.report, *entry.others) if r.id != exclude and r.trust <= 2), None)
            if report is None:
                continue
            values = cell_values(report.record)
            if not report.trusted:
                unsettled = st.review_finding_cells(store, report.id)
                values = {k: v for k, v in values.items() if k not in unsettled}
            out.append(OtherYear(year=y, values=values, extraction_id=report.id, source=report.path))
    return out
