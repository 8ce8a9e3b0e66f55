"""Review effort on the dev set: for every input that goes to review, where the gold reading of each
ambiguous glued run ranks, and how many clicks a reviewer needs from opening the item to accepting
the gold record on the review page.

The store is built from the whole dev set (rules only), so each report's other years are there as
they would be in a real archive. A run's rank is shown with the report's own evidence alone
("doc") and with the store's other years added ("store", what the page and the API offer).

Clicks (each also a single key on the page): one per ambiguous run (choose its gold reading: the
page asks the reviewer to confirm every run, also when the best reading is right), one per cell
typed by hand (a gold reading not among the readings, or a number the rules misread elsewhere),
and one to accept. Typing a reviewer name once per session is not counted.

    .venv/bin/python benchmarks/bench_review.py [--dev DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from extractor import store as st
from extractor.batch import run_batch
from extractor.evaluation.dataset import default_reports_dir, load_cases
from extractor.readings import AmbiguousRun, runs_of
from extractor.record import cell_values
from extractor.service import reviews as rq
from extractor.settings import Settings


def rank_of(run: AmbiguousRun, gold: dict[str, Any]) -> int | None:
    want = [gold.get(f) for f in run.fields]
    for k, r in enumerate(run.readings, start=1):
        if all(w is not None and abs(float(v) - float(w)) < 1e-6 for v, w in zip(r.values, want)):
            return k
    return None


def item_figures(store: st.Store, extraction: dict[str, Any], gold: dict[str, Any]) -> dict[str, Any]:
    gold_cells = cell_values(gold)
    doc_runs = runs_of(extraction["findings"])
    runs = rq.ranked_runs(store, extraction)
    start = cell_values(rq.start_record(extraction, None, runs) or {})
    in_runs: set[str] = set()
    ranks, doc_ranks, clicks_choose, typed = [], [], 0, 0
    for run, doc_run in zip(runs, doc_runs):
        in_runs.update(run.fields)
        rank = rank_of(run, gold_cells)
        ranks.append(rank)
        doc_ranks.append(rank_of(doc_run, gold_cells))
        if rank is not None:
            clicks_choose += 1
        else:
            # not among the readings: type the cells the best reading has wrong (at least one)
            typed += max(1, sum(1 for f in run.fields if start.get(f) != gold_cells.get(f)))
    template_ok = extraction["record"] is not None and extraction["record"].get("template") == gold.get("template")
    others = [f for f, v in gold_cells.items() if f not in in_runs and start.get(f) != v]
    typed += len(others)
    return {"runs": [r.run for r in runs], "printed": [r.printed for r in runs], "ranks": ranks,
            "doc_ranks": doc_ranks, "readings": [r.total for r in runs], "other_cells": len(others),
            "template_ok": template_ok, "clicks": clicks_choose + typed + 1,
            "choices": clicks_choose, "typed": typed}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dev", type=Path, default=default_reports_dir(), help="labelled reports folder")
    ap.add_argument("--json", type=Path, help="write the figures as JSON")
    args = ap.parse_args()
    cases = load_cases(args.dev)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "dev.sqlite"
        run_batch([c.path for c in cases], Settings(llm="off", workers=2), db, crosscheck=True)
        with st.open_store(db) as store:
            for case in cases:
                found = st.current_for_path(store, str(case.path))
                if found is None or found["status"] != "review":
                    continue
                extraction = st.get_extraction(store, int(found["id"]))
                assert extraction is not None
                rows.append({"case": case.case_id, **item_figures(store, extraction, case.gold)})
    print(f"{'case':58} {'runs':>4} {'rank doc→store (of n)':30} {'typed':>5} {'clicks':>6}")
    for r in rows:
        ranks = ", ".join(f"{_r(d)}→{_r(s)}/{n}" for d, s, n in zip(r["doc_ranks"], r["ranks"], r["readings"]))
        print(f"{r['case'][:58]:58} {len(r['runs']):>4} {ranks[:30]:30} {r['typed']:>5} {r['clicks']:>6}"
              + ("" if r["template_ok"] else "  (template wrong: not fixable on the page)"))
    all_ranks = [k for r in rows for k in r["ranks"]]
    doc_ranks = [k for r in rows for k in r["doc_ranks"]]
    with_runs = [r for r in rows if r["runs"]]
    print(f"\ninputs in review: {len(rows)}; with ambiguous runs: {len(with_runs)}; runs: {len(all_ranks)}")
    if all_ranks:
        print(f"gold reading ranked first: {all_ranks.count(1)}/{len(all_ranks)} with the store's other years, "
              f"{doc_ranks.count(1)}/{len(doc_ranks)} on the report's own evidence; "
              f"in the first 3: {sum(1 for k in all_ranks if k and k <= 3)}; not listed: {all_ranks.count(None)}")
    if with_runs:
        clicks = [r["clicks"] for r in with_runs]
        print(f"clicks per item with runs: median {statistics.median(clicks)}, mean {statistics.mean(clicks):.1f}, "
              f"max {max(clicks)}; items needing no typing: {sum(1 for r in with_runs if r['typed'] == 0)}/{len(with_runs)}")
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return 0


def _r(k: int | None) -> str:
    return "-" if k is None else str(k)


if __name__ == "__main__":
    sys.exit(main())
