"""A run killed with SIGKILL mid-way and started again stores every report exactly once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.dev_reports import DEV

N = 40


def make_copies(folder: Path) -> list[Path]:
    """N distinct report files: real dev inputs, each with a marker that makes its bytes unique."""
    sources = sorted(DEV.glob("0[1-3]*/page.txt")) + sorted(DEV.glob("*/page.html")) + sorted(DEV.glob("00[12]/*.pdf"))
    out = []
    for i in range(N):
        src = sources[i % len(sources)]
        data = src.read_bytes()
        marker = {".txt": f"\n\n（副本 {i}）\n", ".html": f"\n<!-- copy {i} -->\n", ".pdf": f"\n%copy {i}\n"}[src.suffix]
        dest = folder / f"{i:03d}-{src.parent.name}{src.suffix}"
        dest.write_bytes(data + marker.encode())
        out.append(dest)
    return out


def count_rows(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute("SELECT COUNT(*) FROM extractions").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0     # not created / migrated yet


def run_cmd(folder: Path, db: Path) -> list[str]:
    return [sys.executable, "-m", "extractor", "run", str(folder), "--db", str(db), "--workers", "2", "-q"]


def test_sigkill_midway_then_rerun_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    files = make_copies(folder)
    db = tmp_path / "results.sqlite"
    env = {**os.environ, "EXTRACTOR_LLM": "off"}
    # own session: SIGKILL reaches the run and its worker processes at once, like `kill -9` of a job
    proc = subprocess.Popen(run_cmd(folder, db), env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while count_rows(db) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    at_kill = count_rows(db)
    assert proc.returncode == -signal.SIGKILL
    assert 0 < at_kill < N, f"the kill did not land mid-way ({at_kill} of {N} stored)"

    rerun = subprocess.run(run_cmd(folder, db), env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr

    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    current = conn.execute("SELECT s.path, COUNT(*) FROM extractions e JOIN sources s ON s.id = e.source_id "
                           "WHERE e.is_current = 1 GROUP BY s.path").fetchall()
    assert sorted(p for p, _ in current) == sorted(str(f) for f in files)
    assert all(n == 1 for _, n in current)
    # nothing extracted twice: every row is current, one source per file
    assert conn.execute("SELECT COUNT(*) FROM extractions").fetchone()[0] == N
    assert conn.execute("SELECT COUNT(*) FROM sources").fetchone()[0] == N
    counts = json.loads(conn.execute("SELECT counts_json FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0])
    conn.close()
    assert counts["skipped"] >= at_kill and counts["skipped"] + counts["extracted"] == N
