"""Time the loaders on every dev input: median seconds per format (prints figures, asserts nothing).

Run: .venv/bin/python benchmarks/bench_load.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict

from extractor.evaluation.dataset import default_reports_dir
from extractor.load import load_bytes
from extractor.settings import Settings

DEV = default_reports_dir()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="loads per file (median is kept)")
    args = parser.parse_args()
    settings = Settings()
    per_format: dict[str, list[float]] = defaultdict(list)
    bytes_per_format: dict[str, int] = defaultdict(int)
    rows = []
    for d in sorted(DEV.iterdir()):
        for name in json.loads((d / "source.json").read_text(encoding="utf-8"))["inputs"]:
            data = (d / name).read_bytes()
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                doc = load_bytes(data, name, settings)
                times.append(time.perf_counter() - t0)
            med = statistics.median(times)
            per_format[doc.format].append(med)
            bytes_per_format[doc.format] += len(data)
            rows.append((f"{d.name}/{name}"[:60], doc.format, len(data), med, len(doc.grids), doc.pages))
    print(f"{'input':62} {'format':6} {'bytes':>9} {'seconds':>8} {'grids':>5} {'pages':>5}")
    for r in rows:
        print(f"{r[0]:62} {r[1]:6} {r[2]:9d} {r[3]:8.4f} {r[4]:5d} {r[5] or '':>5}")
    print()
    print(f"{'format':6} {'files':>5} {'median s':>9} {'max s':>8} {'total s':>8} {'MB/s':>7}")
    for fmt, ts in sorted(per_format.items()):
        mbps = bytes_per_format[fmt] / 1e6 / sum(ts) if sum(ts) else float("inf")
        print(f"{fmt:6} {len(ts):5d} {statistics.median(ts):9.4f} {max(ts):8.4f} {sum(ts):8.3f} {mbps:7.2f}")


if __name__ == "__main__":
    main()
