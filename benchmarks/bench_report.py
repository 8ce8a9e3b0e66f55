"""Time to build the analysis report (`extractor report`): for the dev store (a rules-only batch run over
every input of evals/reports) and for a synthetic store of 10,000 reports.

The synthetic store holds the labelled records of the dev reports, their numbers scaled at random
(seeded), spread over agencies of seven years each (2019-2020 on the 2019 template, 2021-2025 on
the 2021 one), one year in ten left out and one report in five waiting for review; it is written
once with store.save_result and kept under --cache for the next run.

    .venv/bin/python benchmarks/bench_report.py [--reports 10000] [--workers 2] [--cache DIR]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from extractor import store as st
from extractor.analysis.report import build_report
from extractor.batch import run_batch
from extractor.evaluation.dataset import default_reports_dir
from extractor.record import parse_record, record_to_dict
from extractor.result import ExtractionResult
from extractor.settings import Settings

DEV = default_reports_dir()
YEARS = range(2019, 2026)


def dev_inputs() -> list[Path]:
    out = []
    for d in sorted(p for p in DEV.iterdir() if (p / "source.json").is_file()):
        out += [d / n for n in json.loads((d / "source.json").read_text(encoding="utf-8"))["inputs"]]
    return out


def golds() -> dict[str, list[dict]]:
    by_template: dict[str, list[dict]] = {"2019": [], "2021": []}
    for d in sorted(DEV.iterdir()):
        if (d / "gold.json").is_file():
            g = record_to_dict(parse_record(json.loads((d / "gold.json").read_text(encoding="utf-8"))))
            by_template[g["template"]].append(g)
    return by_template


def scaled(record: dict, factor: float) -> dict:
    out = copy.deepcopy(record)
    for table in ("active_disclosure", "applications", "review_litigation"):
        for row, value in out[table].items():
            if isinstance(value, list):
                out[table][row] = [round(v * factor) for v in value]
            elif isinstance(value, dict):
                out[table][row] = {k: (round(v * factor) if isinstance(v, int) else v) for k, v in value.items()}
            elif isinstance(value, int):
                out[table][row] = round(value * factor)
    return out


def synthetic_store(path: Path, n: int) -> None:
    rng = random.Random(14)
    records = golds()
    store = st.open_store(path)
    made = 0
    agency = 0
    try:
        while made < n:
            agency += 1
            name = f"示例市第{agency}区人民政府"
            for year in YEARS:
                if made >= n:
                    break
                if rng.random() < 0.1:
                    continue
                template = "2019" if year < 2021 else "2021"
                record = scaled(rng.choice(records[template]), rng.uniform(0.3, 3.0))
                record.update(organization=name, year=year, template=template)
                status = "review" if rng.random() < 0.2 else "accepted"
                result = ExtractionResult(source=f"synthetic/{agency:05d}/{year}.html", status=status, record=record,
                                          format="html", sha256=f"{agency:08d}{year}", size=1,
                                          engine_version="synthetic")
                st.save_result(store, result, config_key="synthetic")
                made += 1
    finally:
        store.close()


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(db: Path, out: Path, workers: int) -> str:
    with st.open_store(db) as store:
        t, cpu = time.perf_counter(), cpu_seconds()
        summary = build_report(store, out, workers=workers)
        seconds, cpu = time.perf_counter() - t, cpu_seconds() - cpu
    load = os.getloadavg()[0]
    return (f"{seconds:.1f} s wall, {cpu:.1f} s CPU (load average {load:.1f} on {os.cpu_count()} cores; "
            f"{summary.agencies} agencies, {summary.reports} reports, {summary.findings} findings, "
            f"{summary.pages} pages, chart font {summary.font})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2, help="chart-drawing processes (EXTRACTOR_WORKERS)")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "bench-report-cache")
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench-report-"))
    try:
        dev = args.cache / "dev.sqlite"
        if not dev.exists():
            run_batch(dev_inputs(), Settings.from_env(env={}, llm="off"), dev)
        print(f"dev store ({dev}): {timed(dev, scratch / 'dev', args.workers)}", flush=True)
        syn = args.cache / f"synthetic-{args.reports}.sqlite"
        if not syn.exists():
            t = time.perf_counter()
            partial = syn.with_suffix(".partial")
            synthetic_store(partial, args.reports)
            partial.rename(syn)       # only a finished store is reused
            print(f"synthetic store written in {time.perf_counter() - t:.0f} s (not part of the figure)", flush=True)
        print(f"synthetic store, {args.reports} reports: {timed(syn, scratch / 'synthetic', args.workers)}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
