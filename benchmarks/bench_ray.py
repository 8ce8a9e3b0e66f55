"""The local engine vs Ray on this machine (the same archive, the same run), and the store's size.

    python benchmarks/bench_ray.py                 # 600 synthetic inputs of the dev mix, both engines
    python benchmarks/bench_ray.py -n 2000 --flat  # also Ray on 3x the archive: the driver's memory stays flat
    python benchmarks/bench_ray.py --ray-address auto   # Ray: an existing cluster instead of a local instance

Each run is `run_batch` in a driver process of its own (rules only), so its figures are the
driver's alone: wall time and reports/s (and the time to the first stored result: the engine's
start-up), the driver's peak RSS and its CPU seconds per report after the first result (its
ceiling: one driver stores at most 1 / that many reports a second, however many nodes extract). The store: bytes per report as
written now (provenance once, compressed) and as the schema before it would hold the same results
(provenance JSON in every row plus the `cells` table), both vacuumed. The synthetic archive is
bench_batch.py's (dev inputs round-robin, each with a marker so every file is really extracted).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import DEV, dev_inputs, make_synthetic

from extractor import store as st


def driver(engine: str, root: str, db: str, address: str | None) -> None:
    """One run in this process; prints its figures as JSON."""
    from extractor.batch import Progress, run_batch
    from extractor.settings import Settings

    settings = Settings.from_env(llm="off", engine=engine, ray_address=address)
    first: list[float] = []
    first_cpu: list[float] = []
    t0 = time.perf_counter()

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def on_progress(p: Progress) -> None:
        if p.kind == "item" and not first:
            first.append(time.perf_counter() - t0)   # the engine's start-up included
            first_cpu.append(cpu())

    summary = run_batch([root], settings, db, on_progress=on_progress, crosscheck=False)
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "first_s": first[0] if first else None, "total": summary.total,
                      "counts": summary.counts, "engine": f"{summary.engine} ({summary.engine_size})",
                      "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "cpu_s": cpu(),
                      "first_cpu_s": first_cpu[0] if first_cpu else 0.0}))


def run(engine: str, root: Path, db: Path, address: str | None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--driver", engine, str(root), str(db)] + (["--ray-address", address] if address else [])
    # each run its own empty cache: the second run must OCR the archive's scans too, not read the first's
    cache = db.parent / f"cache-{db.stem}"
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "EXTRACTOR_CACHE_DIR": str(cache)})
    if done.returncode != 0:
        raise SystemExit(f"{engine} run failed:\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    n, s = figures["total"], figures["seconds"]
    start = figures["first_s"] or 0.0
    print(f"{engine:>5}: {n} inputs in {s:.1f} s -> {n / s:.2f} reports/s "
          f"({(n - 1) / max(s - start, 1e-9):.2f}/s after the first result at {start:.1f} s); "
          f"{figures['engine']}")
    per_report = (figures["cpu_s"] - figures["first_cpu_s"]) / max(n - 1, 1)   # after the start-up
    print(f"       driver: peak RSS {figures['maxrss_mb']:.0f} MB, CPU {figures['cpu_s']:.1f} s "
          f"({figures['first_cpu_s']:.1f} s to the first result), then {1000 * per_report:.1f} ms per report "
          f"(one driver's ceiling: {1 / per_report:.0f} reports/s)")
    return figures


def vacuumed_size(path: Path) -> int:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    conn.close()
    return path.stat().st_size


def old_layout(db: Path, out: Path) -> None:
    """The same results in the schema before provenance was stored once: provenance JSON in each
    extraction row, findings JSON there too, and a `cells` row per number with its provenance."""
    index = next(i for i, (_v, m) in enumerate(st.MIGRATIONS) if getattr(m, "__name__", "") == "_provenance_once")
    conn = sqlite3.connect(out)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)")
    for version, migration in st.MIGRATIONS[:index]:
        if callable(migration):
            migration(conn)
        else:
            for statement in st._statements(migration):
                conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (?, 'bench')", (version,))
    with st.open_store(db, readonly=True) as store:
        conn.executemany("INSERT INTO sources (id, path, sha256, size, format, first_seen) VALUES (?,?,?,?,?,?)",
                         [tuple(r) for r in store.conn.execute(
                             "SELECT id, path, sha256, size, format, first_seen FROM sources")])
        old_cols = [r[1] for r in conn.execute("PRAGMA table_info(extractions)")]
        ids = [r[0] for r in store.conn.execute("SELECT id FROM extractions ORDER BY id")]
        for eid in ids:
            e = st.get_extraction(store, eid)
            assert e is not None
            row = dict(store.conn.execute("SELECT * FROM extractions WHERE id = ?", (eid,)).fetchone())
            row["provenance_json"] = st._dumps(e["provenance"])
            row["findings_json"] = st._dumps([{k: v for k, v in f.items() if k != "origin"} for f in e["findings"]])
            cols = [c for c in old_cols if c in row]
            conn.execute(f"INSERT INTO extractions ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                         [row[c] for c in cols])
            conn.executemany('INSERT INTO cells (extraction_id, "table", row, col, field, value, method, span_start, '
                             "span_end, label) VALUES (?,?,?,?,?,?,?,?,?,?)",
                             [(eid, c["table"], c["row"], c["col"], c["field"], c["value"], c["method"],
                               c["span_start"], c["span_end"], c["label"]) for c in e["cells"]])
        for table in ("findings", "llm_calls", "runs"):
            rows = [tuple(r) for r in store.conn.execute(f"SELECT * FROM {table}")]
            if rows:
                conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
    conn.commit()
    conn.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=600, help="synthetic archive size (default 600)")
    ap.add_argument("--ray-address", default=None, help="Ray cluster to use (default: a local instance per run)")
    ap.add_argument("--flat", action="store_true", help="also run Ray on an archive 3x as large")
    ap.add_argument("--driver", nargs=3, metavar=("ENGINE", "ROOT", "DB"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.driver:
        driver(*args.driver, args.ray_address)
        return 0
    inputs = dev_inputs(DEV)
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
        work = Path(tmp)
        root = make_synthetic(inputs, args.n, work / "archive", as_zip=False)
        print(f"archive: {args.n} inputs (the {len(inputs)} dev inputs round-robin, each a new content), rules only")
        local = run("local", root, work / "local.sqlite", None)
        on_ray = run("ray", root, work / "ray.sqlite", args.ray_address)
        print(f"ray / local: {local['seconds'] / on_ray['seconds']:.2f}x the reports/s "
              f"({(local['seconds'] - (local['first_s'] or 0)) / (on_ray['seconds'] - (on_ray['first_s'] or 0)):.2f}x "
              "after each engine's first result); driver peak RSS "
              f"{on_ray['maxrss_mb'] / local['maxrss_mb']:.2f}x")
        if args.flat:
            big = make_synthetic(inputs, 3 * args.n, work / "archive3", as_zip=False)
            print(f"archive x3: {3 * args.n} inputs")
            run("ray", big, work / "ray3.sqlite", args.ray_address)
        n = local["total"]
        now = vacuumed_size(work / "local.sqlite")
        old_layout(work / "local.sqlite", work / "before.sqlite")
        before = vacuumed_size(work / "before.sqlite")
        print(f"store: {before / n / 1024:.1f} KB per report before (provenance JSON + cells table), "
              f"{now / n / 1024:.1f} KB now (provenance once, compressed): {before / now:.1f}x smaller")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
