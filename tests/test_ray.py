"""Batches on a real Ray cluster (`extractor run --engine ray`): a local Ray instance the run starts
itself, and a two-node cluster on this machine (ray.cluster_utils.Cluster, one CPU per node).

The dev set through Ray gives the records the local engine gives; a Ray worker process killed by
its PID mid-run, a killed driver, Ctrl-C, a node lost mid-run and a task that raises each leave
every input stored exactly once; the built-in model runs as one server per node, started when a report needs
it and stopped at the end (that run connects through Ray Client, ray://). Slow (each driver
connects to Ray and starts its workers): few tests, one module, one cluster for the module.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import ray
from click.testing import CliRunner
from ray.cluster_utils import Cluster

from extractor import store as st
from extractor.cli import main
from extractor.engines.ray_cluster import open_ray_engine
from extractor.settings import Settings
from tests.dev_reports import DEV, REPO, dev_cases

pytestmark = pytest.mark.ray

ENV = {**os.environ, "EXTRACTOR_LLM": "off", "PYTHONPATH": str(REPO)}
CLI = [sys.executable, "-m", "extractor"]
# a mix of formats (HTML, PDF, DOCX, text, markdown), each input a different content
MIX = [c.path for c in dev_cases() if c.path.suffix in (".html", ".pdf", ".docx", ".txt", ".md")
       and "scan" not in c.path.name][:12]


def stored(db: Path) -> dict[str, list[dict[str, Any]]]:
    """Every extraction (current or not) by its path: what was stored, and how many times."""
    out: dict[str, list[dict[str, Any]]] = {}
    with st.open_store(db, readonly=True) as store:
        ids = [r[0] for r in store.conn.execute("SELECT id FROM extractions ORDER BY id")]
        for eid in ids:
            e = st.get_extraction(store, eid)
            assert e is not None
            out.setdefault(e["path"], []).append(e)
    return out


def comparable(e: dict[str, Any]) -> dict[str, Any]:
    """What an extraction says about its input (not when or where it ran)."""
    keys = ("status", "record", "legacy", "reasons", "provenance", "error", "failure", "sha256", "format",
            "organization", "year", "template", "engine_version", "config_key")
    return {k: e[k] for k in keys} | {"findings": [f for f in e["findings"] if f["origin"] == "extraction"]}


def copy_inputs(paths: list[Path], folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i, p in enumerate(paths):
        target = folder / f"{i:02d}-{p.parent.name}-{p.name}"
        shutil.copy(p, target)
        names.append(str(target))
    return names


def processes(prefix: str, marker: str | None = None) -> list[int]:
    """PIDs of the processes whose command line starts with `prefix` (Ray names a worker running a
    task 'ray::<function>'); with `marker`, only those whose environment holds it (a variable
    given to one run: its Ray processes inherit it, other sessions' on this machine do not)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                if cmd.startswith(prefix) and (marker is None or marker.encode() in (entry / "environ").read_bytes()):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def count_rows(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM extractions").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:      # not made yet
        return 0


@pytest.fixture(scope="module")
def local_dev(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The dev set through the local engine: path -> stored extraction."""
    db = tmp_path_factory.mktemp("local") / "local.sqlite"
    done = subprocess.run([*CLI, "run", str(DEV), "--db", str(db), "--exclude", "labelling-notes*", "-q",
                           "--no-crosscheck"], env=ENV, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return {path: rows[-1] for path, rows in stored(db).items()}


@pytest.fixture(scope="module")
def by_sha(local_dev: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["sha256"]: comparable(e) for e in local_dev.values()}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """Two nodes of one CPU each on this machine; the head also takes Ray Client connections."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        client_port = sock.getsockname()[1]
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "ray_client_server_port": client_port})
    c.client_address = f"ray://127.0.0.1:{client_port}"  # type: ignore[attr-defined]
    c.add_node(num_cpus=1)
    c.wait_for_nodes()
    yield c
    if ray.is_initialized():
        ray.shutdown()
    c.shutdown()


def test_without_ray_installed_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)       # `import ray` fails as if not installed
    result = CliRunner().invoke(main, ["run", str(MIX[0]), "--db", str(tmp_path / "r.sqlite"), "--engine", "ray"],
                                env={"EXTRACTOR_LLM": "off"})
    assert result.exit_code == 2
    assert "pip install 'gov-report-extractor[ray]'" in result.output
    assert not (tmp_path / "r.sqlite").exists()


def test_dev_set_on_a_local_ray_instance_gives_the_local_engines_records(
        tmp_path: Path, local_dev: dict[str, dict[str, Any]]) -> None:
    db = tmp_path / "ray.sqlite"
    marker = f"EXTRACTOR_TEST_RUN={tmp_path.name}"
    done = subprocess.run([*CLI, "run", str(DEV), "--db", str(db), "--exclude", "labelling-notes*", "-q",
                           "--no-crosscheck", "--engine", "ray"], env={**ENV, "EXTRACTOR_TEST_RUN": tmp_path.name},
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert "Engine: ray (1 node, " in done.stdout
    on_ray = stored(db)
    assert set(on_ray) == set(local_dev) and len(on_ray) >= 40
    for path, rows in on_ray.items():
        assert len(rows) == 1, path
        assert comparable(rows[0]) == comparable(local_dev[path]), path
    # the run's own Ray instance is gone with it (other sessions' Ray processes on this machine aside)
    assert processes("ray::", marker) == []


def test_worker_killed_driver_killed_then_ctrl_c_every_input_stored_once(
        tmp_path: Path, cluster: Cluster, by_sha: dict[str, dict[str, Any]]) -> None:
    names = copy_inputs(MIX, tmp_path / "in")
    db = tmp_path / "r.sqlite"
    args = [*CLI, "run", str(tmp_path / "in"), "--db", str(db), "--engine", "ray", "--ray-address", cluster.address]
    driver = subprocess.Popen(args, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # a Ray worker process in the middle of an input, killed by its PID
        victim = wait_for(lambda: processes("ray::extract_input"), 300, "a Ray worker running a task")[0]
        os.kill(victim, signal.SIGKILL)
        # then the driver, once some results are stored and before the last
        wait_for(lambda: count_rows(db) >= 3, 300, "three stored results")
        driver.kill()
        driver.wait(timeout=60)
    finally:
        if driver.poll() is None:
            driver.kill()
    first = count_rows(db)
    assert 3 <= first < len(names), "the driver was killed after the run ended: nothing was tested"
    # started again, then Ctrl-C (SIGINT to its process group, as a terminal sends it) after one more
    again = subprocess.Popen(args, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        wait_for(lambda: count_rows(db) > first, 300, "one more stored result")
        os.killpg(again.pid, signal.SIGINT)
        _out, err = again.communicate(timeout=120)
    finally:
        if again.poll() is None:
            again.kill()
    assert again.returncode == 130 and "interrupted: every report finished so far is stored" in err
    second = count_rows(db)
    assert second < len(names), "Ctrl-C came after the run ended: nothing was tested"
    done = subprocess.run(args, env=ENV, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert "Engine: ray (2 nodes, 2 CPUs)" in done.stdout
    assert f"skipped (already done) {second}" in done.stdout
    rows = stored(db)
    assert sorted(rows) == sorted(names)
    for name, extractions in rows.items():
        assert len(extractions) == 1, f"{name} stored {len(extractions)} times"
        assert comparable(extractions[0]) == by_sha[extractions[0]["sha256"]], name


def test_task_that_raises_fails_its_input_and_the_run_goes_on(cluster: Cluster) -> None:
    settings = Settings(llm="off", engine="ray", ray_address=cluster.address)
    ray.init(address=cluster.address, log_to_driver=False)
    try:
        @ray.remote(max_retries=0)
        def buggy(data: bytes, name: str, plan: Any, llm_disabled: str | None) -> Any:
            raise KeyError("a bug in the task")

        data = MIX[0].read_bytes()
        with open_ray_engine(settings) as engine:
            good = engine.submit(data, "good.html").result(timeout=300)
            engine.task = buggy
            bad = engine.submit(data, "bad.html").result(timeout=300)
    finally:
        ray.shutdown()
    assert good.status != "failed" and good.record_json
    assert bad.status == "failed" and bad.failure == "internal"
    assert "KeyError" in (bad.error or "") and "a bug in the task" in (bad.error or "")
    assert bad.sha256 == good.sha256 and bad.size == len(data)


def test_built_in_model_one_server_per_node_started_when_needed_and_stopped(
        tmp_path: Path, cluster: Cluster) -> None:
    # 012's scraped text glues the 表二 digits: the rules leave readings open and the model is asked
    inputs = [DEV / "012" / "page.txt", DEV / "021" / "page.txt"]
    names = copy_inputs([p for p in inputs if p.exists()], tmp_path / "in")
    servers: set[int] = set()
    stop = threading.Event()

    def watch() -> None:         # llama-server processes whose parent is a ModelHost actor
        while not stop.is_set():
            hosts = set(processes("ray::ModelHost"))
            for pid in processes(str(Path(sys.executable).parent.parent)):
                try:
                    ppid = int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
                    cmd = (Path("/proc") / str(pid) / "cmdline").read_bytes()
                except (OSError, ValueError, IndexError):
                    continue
                if ppid in hosts and b"llama-server" in cmd:
                    servers.add(pid)
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    db = tmp_path / "r.sqlite"
    try:
        # through Ray Client (ray://), as from a laptop outside the cluster
        done = subprocess.run([*CLI, "run", str(tmp_path / "in"), "--db", str(db), "--engine", "ray", "--ray-address",
                               cluster.client_address, "--llm", "auto"], env={**ENV, "EXTRACTOR_LLM": "auto"},
                              capture_output=True, text=True, timeout=900)
    finally:
        stop.set()
        watcher.join()
    assert done.returncode == 0, done.stderr
    rows = stored(db)
    assert sorted(rows) == sorted(names)
    calls = [c for extractions in rows.values() for c in extractions[0]["llm_usage"]]
    assert calls and all(c["outcome"] not in ("transport_error", "budget_exceeded") for c in calls), calls
    assert Settings().model_name in calls[0]["model"]     # the built-in model answered
    assert 1 <= len(servers) <= 2, "one server per node at most"
    assert all(not Path(f"/proc/{pid}").exists() for pid in servers), "a node's model server outlived the run"
    wait_for(lambda: not processes("ray::ModelHost"), 60, "the ModelHost actors to exit")


def test_node_lost_mid_run_every_input_stored_once(tmp_path: Path, cluster: Cluster,
                                                   by_sha: dict[str, dict[str, Any]]) -> None:
    names = copy_inputs(MIX, tmp_path / "in")
    db = tmp_path / "r.sqlite"
    args = [*CLI, "run", str(tmp_path / "in"), "--db", str(db), "--engine", "ray", "--ray-address", cluster.address]
    driver = subprocess.Popen(args, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    worker_node = next(n for n in cluster.list_all_nodes() if n is not cluster.head_node)
    try:
        wait_for(lambda: count_rows(db) >= 2, 300, "two stored results")
        at_loss = count_rows(db)
        cluster.remove_node(worker_node, allow_graceful=False)
        out, err = driver.communicate(timeout=900)
    finally:
        if driver.poll() is None:
            driver.kill()
        cluster.add_node(num_cpus=1)     # the module's cluster has two nodes again
    assert driver.returncode == 0, err
    assert at_loss < len(names), "the node was removed after the run ended: nothing was tested"
    # the size at the end: the lost node is counted out once the cluster has noticed it is gone
    assert re.search(r"Engine: ray \((1 node, 1 CPU|2 nodes, 2 CPUs)\)", out), out
    rows = stored(db)
    assert sorted(rows) == sorted(names)
    for name, extractions in rows.items():
        assert len(extractions) == 1, f"{name} stored {len(extractions)} times"
        assert comparable(extractions[0]) == by_sha[extractions[0]["sha256"]], name
