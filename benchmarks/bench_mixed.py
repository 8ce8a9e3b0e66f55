"""Time PDFs that are part text layer, part picture, made from the dev reports that have both a
born-digital PDF and its scan (tests/mixed_pdfs.py): table pages from the scan, 表四's tables as
pictures, the same pictures over the text. Prints per input its status, cells right, seconds and
OCR seconds per part read; and what finding the parts to OCR costs on every dev PDF (it runs on
each PDF). Asserts nothing; the OCR cache is off.

Run: .venv/bin/python benchmarks/bench_mixed.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extractor.evaluation.dataset import default_reports_dir
from extractor.load.regions import plan_ocr
from extractor.pipeline import extract_bytes
from extractor.record import cell_values
from extractor.settings import Settings
from tests.mixed_pdfs import pages_mixed, scanned_reports, tables_covered, tables_pictured


def main() -> None:
    settings = Settings(llm="off", ocr_cache=False)
    print(f"{'input':22} {'status':8} {'seconds':>8} {'cells':>9}  OCR seconds per part read (page:s, r: a picture)")
    for folder in scanned_reports():
        gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
        made = {"pages": pages_mixed(folder)[0], "pictures": tables_pictured(folder)[0],
                "covered": tables_covered(folder)[0]}
        for kind, data in made.items():
            t0 = time.perf_counter()
            r = extract_bytes(data, f"{folder.name}-{kind}.pdf", settings)
            took = time.perf_counter() - t0
            got, want = cell_values(r.record or {}), cell_values(gold)
            ok = sum(1 for k, v in want.items() if got.get(k) == v)
            parts = " ".join(f"{p.page}{'r' if p.region else ''}:{p.seconds:.1f}({p.read[0]})" for p in r.ocr_pages)
            print(f"{folder.name + '-' + kind:22} {r.status:8} {took:8.1f} {ok:4d}/{len(want):<4d}  {parts or '-'}")
    total, pages = 0.0, 0
    for path in sorted(Path(default_reports_dir()).glob("*/*.pdf")):
        data = path.read_bytes()
        t0 = time.perf_counter()
        plan = plan_ocr(data)
        total += time.perf_counter() - t0
        pages += plan.pages if plan else 0
    print(f"\nfinding the parts to OCR: {1000 * total / max(pages, 1):.1f} ms a page over {pages} dev PDF pages")


if __name__ == "__main__":
    main()
