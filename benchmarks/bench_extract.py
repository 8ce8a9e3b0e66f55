"""Time the rules-only extraction of every dev input (median per format) and print the figures.

Usage: python benchmarks/bench_extract.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

from extractor.evaluation.dataset import default_reports_dir
from extractor.pipeline import extract_file
from extractor.settings import Settings

DEV = default_reports_dir()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--reports", type=Path, default=DEV)
    args = ap.parse_args()
    settings = Settings(llm="off")
    by_format: dict[str, list[float]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for d in sorted(p for p in args.reports.iterdir() if (p / "source.json").is_file()):
        gold = json.loads((d / "gold.json").read_text(encoding="utf-8"))
        for name in json.loads((d / "source.json").read_text(encoding="utf-8"))["inputs"]:
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                r = extract_file(d / name, settings)
                times.append(time.perf_counter() - t0)
            by_format[r.format or "?"].append(statistics.median(times))
            counts[r.status] += args.repeat
            counts["exact"] += args.repeat * int(r.record == gold)
    print(f"inputs: {sum(len(v) for v in by_format.values())}  " +
          "  ".join(f"{k}: {v // args.repeat}" for k, v in sorted(counts.items())))
    print(f"{'format':8} {'files':>5} {'median s':>9} {'max s':>7}")
    for fmt, ts in sorted(by_format.items()):
        print(f"{fmt:8} {len(ts):5d} {statistics.median(ts):9.4f} {max(ts):7.4f}")
    all_t = [t for ts in by_format.values() for t in ts]
    print(f"{'all':8} {len(all_t):5d} {statistics.median(all_t):9.4f} {max(all_t):7.4f}")


if __name__ == "__main__":
    main()
