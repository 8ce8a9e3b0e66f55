"""What the per-input limits cost and bound: a PDF of 200 MB of drawing operators (the time limit),
a PDF whose content stream inflates to N MB (the memory limit), and a 60 MB text file, each
extracted by `extractor extract` in its worker; wall time and the worker's peak memory (VmHWM,
sampled) are printed. The same inputs without limits for comparison (--unbounded, slow).

    .venv/bin/python benchmarks/bench_limits.py [--timeout 20] [--memory-mb 1024] [--inflate-mb 2048]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.hostile_inputs import flate_bomb_pdf, operator_bomb_pdf


def _peak_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    kids.setdefault(int(fh.read().rsplit(")", 1)[1].split()[1]), []).append(int(entry))
            except OSError:
                continue
    out, todo = [], [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k)
            todo.append(k)
    return out


def measure(path: Path, env: dict[str, str]) -> tuple[float, int, dict]:
    """(seconds, peak kB of any process of the command, the result)."""
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "extractor", "extract", "--no-provenance", str(path)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            for pid in [proc.pid, *_descendants(proc.pid)]:
                peak = max(peak, _peak_kb(pid))
            time.sleep(0.05)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, _ = proc.communicate()
    done.set()
    t.join()
    return time.monotonic() - started, peak, json.loads(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--memory-mb", type=int, default=1024)
    ap.add_argument("--inflate-mb", type=int, default=2048)
    ap.add_argument("--unbounded", action="store_true", help="also run without limits (minutes, GBs)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        inputs = {
            "operator bomb (200 MB of operators)": Path(tmp) / "operators.pdf",
            f"flate bomb ({args.inflate_mb} MB inflated)": Path(tmp) / "flate.pdf",
            "60 MB text": Path(tmp) / "big.txt",
        }
        paths = list(inputs.values())
        paths[0].write_bytes(operator_bomb_pdf(200))
        paths[1].write_bytes(flate_bomb_pdf(args.inflate_mb))
        line = "本年新收政府信息公开申请数量 12 3 4 5 6 7 37\n"
        paths[2].write_bytes((line * (60 * 1024 * 1024 // len(line.encode()))).encode())
        runs = [("limits", {"EXTRACTOR_FILE_TIMEOUT_S": str(args.timeout),
                            "EXTRACTOR_FILE_MEMORY_MB": str(args.memory_mb)})]
        if args.unbounded:
            runs.append(("no limits", {"EXTRACTOR_FILE_TIMEOUT_S": "100000", "EXTRACTOR_FILE_MEMORY_MB": "0"}))
        print(f"{'input':40} {'size':>9} {'setting':10} {'seconds':>8} {'peak MB':>8}  outcome")
        for label, path in inputs.items():
            for name, extra in runs:
                env = {**os.environ, "EXTRACTOR_LLM": "off", **extra}
                seconds, peak, result = measure(path, env)
                outcome = result["status"] + (f" ({result['failure']})" if result.get("failure") else "")
                print(f"{label:40} {path.stat().st_size / 1e6:8.2f}M {name:10} {seconds:8.1f} {peak / 1024:8.0f}  "
                      f"{outcome}")


if __name__ == "__main__":
    main()
