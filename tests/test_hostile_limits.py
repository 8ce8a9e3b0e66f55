"""Every wait is bounded (issue 11): a time and a memory limit per input in `extract`, `run` and
`serve`; a wall-clock model budget per report; a circuit breaker for a failing model server; an
unusable model answer leaves its reason; children die with their parent; `serve` honours SIGTERM.

The inputs are made here: a PDF whose few hundred KB hold 200 MB of drawing operators, a PDF whose
content stream inflates to a gigabyte, model servers on 127.0.0.1 that drip, hang or talk garbage."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from extractor.errors import LLMBudgetError
from extractor.llm.client import LLMClient
from extractor.settings import Settings
from tests.dev_reports import DEV
from tests.fault_server import FaultServer, Reply, completion
from tests.hostile_inputs import flate_bomb_pdf, operator_bomb_pdf

ENV = {**os.environ, "EXTRACTOR_LLM": "off"}
ACCEPTED = DEV / "016" / "page.txt"       # the rules settle it alone
GLUED = DEV / "010" / "page.txt"          # 表二 glued: the rules ask the model to choose a split


def extractor(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "extractor", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def rows(out: str) -> list[dict]:
    return [json.loads(line) for line in out.strip().splitlines()]


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bombs")
    paths = {"operators": root / "operators.pdf", "flate": root / "flate.pdf"}
    paths["operators"].write_bytes(operator_bomb_pdf(200))
    paths["flate"].write_bytes(flate_bomb_pdf(1024))
    return paths


# ---------------------------------------------------------------- the time and memory limit per input


def test_extract_gives_up_on_an_input_past_the_time_limit_and_goes_on(bombs: dict[str, Path]) -> None:
    assert bombs["operators"].stat().st_size < 1_000_000
    env = {**ENV, "EXTRACTOR_FILE_TIMEOUT_S": "5"}
    started = time.monotonic()
    run = extractor("extract", "--no-provenance", str(bombs["operators"]), str(ACCEPTED), env=env)
    took = time.monotonic() - started
    assert run.returncode == 0, run.stderr
    bomb, report = rows(run.stdout)
    assert bomb["status"] == "failed" and bomb["failure"] == "timeout"
    assert "gave up after 5 s" in bomb["error"] and "EXTRACTOR_FILE_TIMEOUT_S" in bomb["error"]
    assert report["status"] == "accepted"                 # the slot was freed for the next input
    assert took < 60, took


def test_run_gives_up_on_an_input_past_the_time_limit_and_a_later_run_keeps_that(
        bombs: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bomb.pdf").write_bytes(bombs["operators"].read_bytes())
    (folder / "report.txt").write_bytes(ACCEPTED.read_bytes())
    db = tmp_path / "r.sqlite"
    env = {**ENV, "EXTRACTOR_FILE_TIMEOUT_S": "5", "EXTRACTOR_WORKERS": "1"}
    first = extractor("run", str(folder), "--db", str(db), env=env)
    assert first.returncode == 0, first.stderr
    assert "accepted 1" in first.stdout and "failed 1" in first.stdout, first.stdout
    again = extractor("run", str(folder), "--db", str(db), env=env)
    assert "skipped (already done) 2" in again.stdout          # the same limit: not tried again
    longer = extractor("run", str(folder), "--db", str(db), env={**env, "EXTRACTOR_FILE_TIMEOUT_S": "6"})
    assert "failed 1" in longer.stdout and "skipped (already done) 1" in longer.stdout, longer.stdout


def test_an_input_needing_more_memory_than_the_limit_fails_saying_so(bombs: dict[str, Path]) -> None:
    assert bombs["flate"].stat().st_size < 2_000_000     # a gigabyte when inflated
    env = {**ENV, "EXTRACTOR_FILE_MEMORY_MB": "600", "EXTRACTOR_FILE_TIMEOUT_S": "100"}
    run = extractor("extract", "--no-provenance", str(bombs["flate"]), str(ACCEPTED), env=env)
    assert run.returncode == 0, run.stderr
    bomb, report = rows(run.stdout)
    assert bomb["status"] == "failed" and bomb["failure"] == "memory", bomb["error"]
    assert "600 MB" in bomb["error"] and "EXTRACTOR_FILE_MEMORY_MB" in bomb["error"]
    assert report["status"] == "accepted"


# ---------------------------------------------------------------- serve: slots freed, SIGTERM honoured


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_serve(db: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """`extractor serve` in its own process, once it answers /healthz."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "extractor", "serve", "--db", str(db),
                             "--port", str(port), "--log-level", "warning"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() >= deadline:
            proc.kill()
            proc.wait()
            pytest.fail("serve did not start")
        time.sleep(0.2)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    proc, url = _start_serve(tmp_path / "r.sqlite", {**ENV, "EXTRACTOR_FILE_TIMEOUT_S": "5", "EXTRACTOR_WORKERS": "2"})
    try:
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


def _upload(url: str, name: str, data: bytes, out: list) -> None:
    started = time.monotonic()
    try:
        resp = httpx.post(url + "/v1/extractions", files={"file": (name, data)}, timeout=120)
    except httpx.HTTPError as e:        # the server went away (SIGTERM)
        out.append((name, None, str(e), time.monotonic() - started))
        return
    out.append((name, resp.status_code, resp.json(), time.monotonic() - started))


def test_serve_frees_both_slots_from_inputs_past_the_time_limit(serve, bombs: dict[str, Path]) -> None:
    _proc, url = serve
    bomb = bombs["operators"].read_bytes()
    results: list = []
    threads = [threading.Thread(target=_upload, args=(url, f"bomb{i}.pdf", bomb + b"%" + bytes([i]), results))
               for i in range(2)]
    for t in threads:
        t.start()
    time.sleep(1)     # both slots taken
    _upload(url, "report.txt", ACCEPTED.read_bytes(), results)
    for t in threads:
        t.join(timeout=120)
    by_name = {name: (status, body, took) for name, status, body, took in results}
    for i in range(2):
        status, body, took = by_name[f"bomb{i}.pdf"]
        assert status == 201 and body["status"] == "failed" and "gave up after 5 s" in body["error"]
        assert took < 30
    status, body, took = by_name["report.txt"]
    assert status == 201 and body["status"] == "accepted"
    assert took < 30


def test_serve_ends_on_sigterm_while_an_extraction_runs(tmp_path: Path, bombs: dict[str, Path]) -> None:
    proc, url = _start_serve(tmp_path / "r.sqlite", {**ENV, "EXTRACTOR_FILE_TIMEOUT_S": "300"})
    try:
        results: list = []
        threading.Thread(target=_upload, args=(url, "bomb.pdf", bombs["operators"].read_bytes(), results),
                         daemon=True).start()
        time.sleep(3)          # the extraction is under way
        kids = descendants(proc.pid)
        assert kids, "no extraction worker"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        assert_gone(kids)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------- the model: budget, breaker, garbage


def _drip_client(url: str, budget_s: float) -> LLMClient:
    settings = Settings.from_env(env={}, llm_base_url=url, llm_timeout_s=5.0, llm_transport_attempts=4,
                                 llm_report_budget_s=budget_s)
    return LLMClient(settings, backoff_s=0.05)


@pytest.mark.parametrize("reply", [Reply(body=completion('{"received": 3119}'), drip_s=0.5),
                                   Reply(body=completion('{"received": 3119}'), delay_s=600)],
                         ids=["drip", "hang"])
def test_the_model_budget_bounds_a_report_in_wall_clock(reply: Reply) -> None:
    from tests.test_llm_faults import VARS, Received

    with FaultServer([reply]) as fs:
        client = _drip_client(fs.base_url, 4.0)
        started = time.monotonic()
        with client.ledger(budget_s=4.0) as calls, pytest.raises(LLMBudgetError, match="ran out"):
            client.ask("prose_figures.v1", VARS, Received)
        took = time.monotonic() - started
    assert took < 8, took
    assert calls and calls[-1].outcome == "budget_exceeded"


def _extract_with_server(url: str, *files: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "EXTRACTOR_LLM": "auto", "EXTRACTOR_LLM_BASE_URL": url, **env}
    return extractor("extract", "--no-provenance", *map(str, files), env=full)


def test_a_drip_feeding_server_costs_a_report_its_budget_not_minutes() -> None:
    with FaultServer([Reply(body=completion('{"choice": 1, "sentence": 1}'), drip_s=1.0)]) as fs:
        started = time.monotonic()
        run = _extract_with_server(fs.base_url, GLUED, EXTRACTOR_LLM_TIMEOUT_S="5",
                                   EXTRACTOR_LLM_REPORT_BUDGET_S="6")
        took = time.monotonic() - started
    row = rows(run.stdout)[0]
    assert row["status"] == "review"
    assert any("model budget of this report" in r for r in row["reasons"]), row["reasons"]
    assert took < 40, took


def test_a_failing_server_is_not_called_again_after_the_breaker_opens(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(6):          # six reports that each need the model
        (folder / f"glued{i}.txt").write_bytes(GLUED.read_bytes() + f"\n（副本 {i}）\n".encode())
    (folder / "plain.txt").write_bytes(ACCEPTED.read_bytes())
    db = tmp_path / "r.sqlite"
    with FaultServer([Reply(500, {"error": {"message": "down"}})]) as fs:
        env = {**os.environ, "EXTRACTOR_LLM": "auto", "EXTRACTOR_LLM_BASE_URL": fs.base_url,
               "EXTRACTOR_LLM_TRANSPORT_ATTEMPTS": "2", "EXTRACTOR_LLM_BREAKER_FAILURES": "2",
               "EXTRACTOR_WORKERS": "1", "EXTRACTOR_LLM_CONCURRENCY": "1"}   # one report at a time
        run = extractor("run", str(folder), "--db", str(db), env=env)
        asked = len(fs.requests)
    assert run.returncode == 0, run.stderr
    assert asked == 4, asked                       # two reports × two attempts, then never again
    assert run.stderr.count("not called again in this run") == 1, run.stderr
    import sqlite3

    conn = sqlite3.connect(db)
    got = conn.execute("SELECT s.path, e.status, e.reasons_json FROM extractions e JOIN sources s "
                       "ON s.id = e.source_id WHERE e.is_current = 1").fetchall()
    conn.close()
    for path, status, reasons in got:
        if Path(path).name.startswith("glued"):
            assert status == "review"
            assert any("could not help" in r for r in json.loads(reasons)), reasons
        else:
            assert status == "accepted"
    not_asked = [r for _p, _s, r in got if "not called again" in r]
    assert len(not_asked) == 4


@pytest.mark.parametrize("garbage", ["I cannot help with that.", '{"choice": "one", "sentence": ',
                                     '{"unexpected": true}'], ids=["prose", "broken-json", "wrong-schema"])
def test_an_unusable_model_answer_leaves_its_reason_on_the_result(garbage: str) -> None:
    with FaultServer([Reply(body=completion(garbage))]) as fs:
        run = _extract_with_server(fs.base_url, GLUED)
    row = rows(run.stdout)[0]
    assert row["status"] == "review"
    assert any("answer was unusable" in r for r in row["reasons"]), row["reasons"]
    assert row["llm_usage"] and all(c["outcome"] == "invalid" for c in row["llm_usage"])


# ---------------------------------------------------------------- children die with their parent


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kids.setdefault(int(fields[1]), []).append(int(entry))
    return kids


def descendants(pid: int) -> list[int]:
    tree, out, todo = _children(), [], [pid]
    while todo:
        for kid in tree.get(todo.pop(), []):
            out.append(kid)
            todo.append(kid)
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def assert_gone(pids: list[int], within_s: float = 10) -> None:
    deadline = time.monotonic() + within_s
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [p for p in pids if _alive(p)]
    assert not left, [open(f"/proc/{p}/cmdline").read().replace("\0", " ")[:120] for p in left]


def _wait_for(pred, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_killed_run_leaves_no_worker_behind(tmp_path: Path, bombs: dict[str, Path]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(2):
        (folder / f"bomb{i}.pdf").write_bytes(bombs["operators"].read_bytes() + b"%" + bytes([i]))
    proc = subprocess.Popen([sys.executable, "-m", "extractor", "run", str(folder), "--db", str(tmp_path / "r.sqlite"),
                             "--workers", "2"], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: len(descendants(proc.pid)) >= 2, 60)
        time.sleep(1)
        kids = descendants(proc.pid)
        proc.kill()                                  # SIGKILL: nothing of ours runs after it
        proc.wait(timeout=30)
        assert_gone(kids)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_killed_extract_leaves_no_model_server_behind(tmp_path: Path) -> None:
    env = {**os.environ, "EXTRACTOR_LLM": "on", "EXTRACTOR_LLM_BASE_URL": ""}
    proc = subprocess.Popen([sys.executable, "-m", "extractor", "extract", str(GLUED)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def server_started() -> bool:
            return any("llama-server" in _cmdline(p) for p in descendants(proc.pid))

        _wait_for(server_started, 120)
        kids = descendants(proc.pid)
        proc.kill()
        proc.wait(timeout=30)
        assert_gone(kids)
    finally:
        if proc.poll() is None:
            proc.kill()


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
