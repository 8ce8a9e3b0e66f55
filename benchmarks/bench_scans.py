"""Time the archive formats that need outside help: scanned PDFs and page images (OCR) and legacy
Word files (LibreOffice). Prints seconds per scanned report (median, max), OCR seconds per page
read, per .doc, and the scans' cell accuracy; asserts nothing. The OCR cache is off: every scan
is really read.

Run: .venv/bin/python benchmarks/bench_scans.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from extractor.evaluation.dataset import default_reports_dir
from extractor.pipeline import extract_file
from extractor.record import cell_values
from extractor.settings import Settings

DEV = default_reports_dir()


def _inputs(suffixes: tuple[str, ...]) -> list[Path]:
    out = []
    for d in sorted(DEV.iterdir()):
        if (d / "source.json").is_file():
            names = json.loads((d / "source.json").read_text(encoding="utf-8"))["inputs"]
            out += [d / n for n in names if n.endswith(suffixes)]
    return out


def _summary(label: str, times: list[float]) -> str:
    if not times:
        return f"{label}: none"
    return (f"{label}: {len(times)} × median {statistics.median(times):.1f} s, max {max(times):.1f} s, "
            f"total {sum(times):.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=1, help="extractions per file (median kept)")
    args = parser.parse_args()
    settings = Settings(llm="off", ocr_cache=False)
    scan_times: list[float] = []
    page_times: list[float] = []
    doc_times: list[float] = []
    right = cells = 0
    print(f"{'input':34} {'status':8} {'seconds':>8} {'cells':>9}  OCR seconds per page (read)")
    for path in _inputs(("-scan.pdf", ".doc", ".wps", ".rtf", ".png", ".jpg", ".tif")):
        gold = json.loads((path.parent / "gold.json").read_text(encoding="utf-8"))
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            r = extract_file(path, settings)
            times.append(time.perf_counter() - t0)
        took = statistics.median(times)
        got, want = cell_values(r.record or {}), cell_values(gold)
        ok = sum(1 for k, v in want.items() if got.get(k) == v)
        pages = " ".join(f"{p.page}:{p.seconds:.1f}({p.read[0]})" for p in r.ocr_pages)
        print(f"{path.parent.name + '/' + path.name:34} {r.status:8} {took:8.1f} {ok:4d}/{len(want):<4d}  {pages}")
        if r.ocr_pages:
            scan_times.append(took)
            page_times += [p.seconds for p in r.ocr_pages if p.read != "skipped"]
            right, cells = right + ok, cells + len(want)
        else:
            doc_times.append(took)
    print()
    print(_summary("scanned report", scan_times))
    print(_summary("page read by OCR", page_times))
    print(_summary("legacy Word file", doc_times))
    if cells:
        print(f"scans' cell accuracy: {right}/{cells} = {100 * right / cells:.2f}%")


if __name__ == "__main__":
    main()
