"""Review service figures: POST /v1/extractions latency for typical reports (rules path, no LLM), and
requests/s with the error rate under a short bounded concurrent load from a client on loopback.

The service runs as `extractor serve` in its own process (as deployed), on a fresh SQLite file.
Every timed upload is new content (a unique line appended), so each one is really extracted;
re-posting the same content (idempotent, no extraction) is measured separately.

    .venv/bin/python benchmarks/bench_api.py [--n 20] [--seconds 10] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

import httpx

from extractor.evaluation.dataset import default_reports_dir

DEV = default_reports_dir()

# one per input kind; all settled by the rules alone
REPORTS = {"000": "report.txt", "012": "page.html", "002": "hzq2024_working.pdf"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "EXTRACTOR_LLM": "off"}
    env.pop("EXTRACTOR_API_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "extractor", "serve", "--db", str(db), "--port", str(port),
                             "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
    proc.terminate()
    raise RuntimeError("server did not start in 30 s")


def variant(data: bytes, name: str, k: int) -> bytes:
    """The same report with one unique trailing line: new content, same tables."""
    if name.endswith(".pdf"):
        return data + f"\n%bench {k}\n".encode()  # trailing PDF comment, ignored by readers
    if name.endswith(".html"):
        return data + f"\n<!-- bench {k} -->\n".encode()
    return data + f"\n\nbench {k}\n".encode()


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def ms(x: float) -> str:
    return f"{x * 1000:7.1f} ms"


def latency(client: httpx.Client, n: int) -> None:
    print(f"POST /v1/extractions latency, {n} new uploads per report, sequential:")
    for report, name in REPORTS.items():
        data = (DEV / report / name).read_bytes()
        times: list[float] = []
        statuses: set[str] = set()
        for k in range(n):
            t = time.perf_counter()
            r = client.post("/v1/extractions", files={"file": (name, variant(data, name, k))})
            times.append(time.perf_counter() - t)
            r.raise_for_status()
            statuses.add(r.json()["status"])
        t = time.perf_counter()
        again = client.post("/v1/extractions", files={"file": (name, variant(data, name, 0))})
        cached = time.perf_counter() - t
        assert again.status_code == 200 and again.json()["created"] is False
        print(f"  {report} {name:22s} {len(data) / 1024:7.1f} KiB  median {ms(statistics.median(times))}  "
              f"p90 {ms(pct(times, 0.9))}  min {ms(min(times))}  max {ms(max(times))}  "
              f"status {sorted(statuses)}  same content again {ms(cached)}")


def load(url: str, seconds: float, concurrency: int, make_request: Callable[[httpx.Client, int], httpx.Response],
         label: str) -> None:
    ok = errors = 0
    lat: list[float] = []
    lock = threading.Lock()
    counter = iter(range(10**9))
    stop = time.monotonic() + seconds

    def worker() -> None:
        nonlocal ok, errors
        with httpx.Client(base_url=url, timeout=60) as c:
            while time.monotonic() < stop:
                k = next(counter)
                t = time.perf_counter()
                try:
                    r = make_request(c, k)
                    good = r.status_code < 400
                except httpx.HTTPError:
                    good = False
                dt = time.perf_counter() - t
                with lock:
                    lat.append(dt)
                    if good:
                        ok += 1
                    else:
                        errors += 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.monotonic() - started
    total = ok + errors
    print(f"  {label:44s} {total:5d} requests in {wall:5.1f} s = {total / wall:7.1f} req/s   "
          f"errors {errors} ({100 * errors / max(total, 1):.2f} %)   median {ms(statistics.median(lat))}  "
          f"p90 {ms(pct(lat, 0.9))}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20, help="uploads per report for the latency figures")
    ap.add_argument("--seconds", type=float, default=10.0, help="duration of each load phase")
    ap.add_argument("--concurrency", type=int, default=8, help="concurrent client connections")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_server(Path(tmp) / "bench.sqlite", port)
        url = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=url, timeout=120) as client:
                latency(client, args.n)
                print(f"Concurrent load, {args.concurrency} connections, {args.seconds:.0f} s per phase "
                      f"(server: 1 uvicorn process, {os.cpu_count()} cores shared with the client):")
                data = (DEV / "000" / "report.txt").read_bytes()
                load(url, args.seconds, args.concurrency,
                     lambda c, k: c.post("/v1/extractions", files={"file": ("r.txt", variant(data, "r.txt", 10**6 + k))}),
                     "POST /v1/extractions (new txt report each)")
                eid = client.get("/v1/queue", params={"status": "any", "limit": 1}).json()["items"][0]["id"]
                load(url, args.seconds, args.concurrency,
                     lambda c, k: c.post("/v1/extractions", files={"file": ("r.txt", variant(data, "r.txt", 10**6))}),
                     "POST /v1/extractions (same content again)")
                load(url, args.seconds, args.concurrency, lambda c, k: c.get(f"/v1/extractions/{eid}"),
                     "GET /v1/extractions/{id}")
                load(url, args.seconds, args.concurrency, lambda c, k: c.get("/v1/queue", params={"status": "any"}),
                     "GET /v1/queue (50 items)")
                counts = client.get("/v1/queue", params={"status": "any", "limit": 1}).json()["total"]
                print(f"  reports stored: {counts}")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(json.dumps({"python": sys.version.split()[0], "cores": os.cpu_count()}))


if __name__ == "__main__":
    main()
