"""Batch throughput and memory: the dev set, then a synthetic archive of N report files.

    python benchmarks/bench_batch.py                 # dev set (rules only) + 10,000 synthetic files
    python benchmarks/bench_batch.py -n 1000 --zip   # 1,000 files packed in one .zip
    python benchmarks/bench_batch.py --llm auto --skip-synthetic   # dev set with the LLM where needed

The synthetic archive copies the dev inputs round-robin, each with a marker appended (an HTML
comment, a text line, a PDF comment after %%EOF) so every file has its own hash and is really
extracted, not reused. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

from extractor.batch import BatchSummary, run_batch
from extractor.evaluation.dataset import default_reports_dir
from extractor.settings import Settings

DEV = default_reports_dir()


def dev_inputs(dev: Path) -> list[Path]:
    out = []
    for d in sorted(p for p in dev.iterdir() if (p / "source.json").is_file()):
        out += [d / name for name in json.loads((d / "source.json").read_text(encoding="utf-8"))["inputs"]]
    return out


def marked(path: Path, i: int) -> bytes:
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        return data + f"\n<!-- copy {i} -->\n".encode()
    if suffix == ".pdf":
        return data + f"\n%copy {i}\n".encode()
    if suffix == ".docx":
        return data  # rewritten below with a zip comment (a docx is a zip)
    if b"\0" not in data[:200] and data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        return data + f"\n\n（副本 {i}）\n".encode() if _is_utf8(data) else data + f"\r\n{i}\r\n".encode()
    return data


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def make_synthetic(inputs: list[Path], n: int, folder: Path, as_zip: bool) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target: zipfile.ZipFile | None = zipfile.ZipFile(folder / "archive.zip", "w", zipfile.ZIP_DEFLATED) if as_zip else None
    for i in range(n):
        src = inputs[i % len(inputs)]
        rel = f"batch{i // 500:03d}/{i:05d}-{src.parent.name}{src.suffix}"
        data = marked(src, i)
        if src.suffix.lower() == ".docx":
            import io

            buf = io.BytesIO(data)
            with zipfile.ZipFile(buf, "a") as zf:
                zf.comment = f"copy {i}".encode()
            data = buf.getvalue()
        if target is not None:
            target.writestr(rel, data)
        else:
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(data)
    if target is not None:
        target.close()
        return folder / "archive.zip"
    return folder


def measure(label: str, roots: list[Path], settings: Settings, db: Path, use_tracemalloc: bool) -> BatchSummary:
    if use_tracemalloc:
        tracemalloc.start()
    t0 = time.perf_counter()
    summary = run_batch(roots, settings, db, exclude=["labelling-notes*"], crosscheck=True)
    seconds = time.perf_counter() - t0
    peak_py = tracemalloc.get_traced_memory()[1] if use_tracemalloc else None
    if use_tracemalloc:
        tracemalloc.stop()
    parent_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    n = summary.total
    c = summary.counts
    print(f"\n== {label}")
    print(f"inputs {n}: accepted {c['accepted']}, review {c['review']}, failed {c['failed']}, "
          f"skipped {c['skipped']}, reused {summary.reused}; extracted {summary.extracted}; "
          f"LLM calls {summary.llm_calls}")
    print(f"time {seconds:.1f} s  ->  {n / seconds:.2f} reports/s "
          f"(workers {settings.workers}, llm {settings.llm})")
    print(f"peak RSS: parent {parent_mb:.0f} MB, largest worker {child_mb:.0f} MB"
          + (f"; parent Python heap peak (tracemalloc) {peak_py / 2**20:.1f} MB" if peak_py is not None else ""))
    print(f"database {db.stat().st_size / 2**20:.1f} MB ({db.stat().st_size / max(n, 1) / 1024:.1f} KB per input)")
    t0 = time.perf_counter()
    again = run_batch(roots, settings, db, exclude=["labelling-notes*"], crosscheck=False)
    seconds = time.perf_counter() - t0
    print(f"resume (nothing to do): {again.counts['skipped']} skipped in {seconds:.1f} s "
          f"-> {again.total / seconds:.0f} inputs/s")
    return summary


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=10_000, help="synthetic archive size (default 10000)")
    ap.add_argument("--dev", type=Path, default=DEV, help="dev reports folder")
    ap.add_argument("--llm", choices=["off", "auto", "on"], default="off", help="LLM use for the dev-set run")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--zip", action="store_true", help="pack the synthetic files into one .zip")
    ap.add_argument("--skip-dev", action="store_true")
    ap.add_argument("--skip-synthetic", action="store_true")
    ap.add_argument("--tracemalloc", action="store_true", help="also trace the parent's Python heap (slower)")
    args = ap.parse_args()

    inputs = dev_inputs(args.dev)
    print(f"dev inputs: {len(inputs)} files from {args.dev}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        if not args.skip_dev:
            s = Settings.from_env(llm=args.llm, workers=args.workers)
            measure(f"dev set ({len(inputs)} files, llm {args.llm})", [args.dev], s, tmp / "dev.sqlite", args.tracemalloc)
        if not args.skip_synthetic:
            t0 = time.perf_counter()
            root = make_synthetic(inputs, args.n, tmp / "synthetic", args.zip)
            print(f"\nsynthetic archive: {args.n} files ({'one zip' if args.zip else 'folders'}) "
                  f"made in {time.perf_counter() - t0:.1f} s")
            s = Settings.from_env(llm="off", workers=args.workers)
            measure(f"synthetic {args.n} files (rules only)", [root], s, tmp / "synthetic.sqlite", args.tracemalloc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
