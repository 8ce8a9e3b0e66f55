"""The Ray engine: one Ray task per input over a cluster's nodes; the built-in model, one server per node.

The driver (batch.py, where `extractor run` runs) sends each input's bytes with its task, so no
shared filesystem is needed. A task runs on any node with a free CPU, in a Ray worker process that
keeps one killable extraction process (workers.Workers): the same time and memory limits per input
as the local engine. Faults:

- a Ray worker process (or its node) that dies mid-task: Ray runs the task again, elsewhere if the
  node is gone (up to TASK_RETRIES times); only then the input is stored `failed` ("internal");
- a task that raises (a bug here, not in the extraction, which never raises): that input is stored
  `failed` ("internal") with the error; the run goes on;
- a node running other code than the driver (another version of this package): EngineError, the
  run stops before it stores anything from it.

The model: with a base URL (EXTRACTOR_LLM_BASE_URL, e.g. a vLLM service) every task calls that
server. With the built-in local model, each node has a ModelHost actor (no CPU reserved) that the
tasks on that node share: it starts the node's llama-server the first time a report needs it, and
the driver stops it at the end. The driver also keeps the run's circuit breaker: once the model
server has failed on several reports in a row, tasks call no model.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import threading
import time
import uuid
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Literal, NoReturn

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from ..errors import EngineError, LocalModelError
from ..llm import LazyLocalServer
from ..llm.breaker import Breaker
from ..result import ExtractionResult
from ..settings import Settings
from ..store import PackedResult, pack_result
from ..workers import Workers, failure_result

TASK_RETRIES = 3            # runs of a task whose worker process or node died, after the first
_REFRESH_S = 5.0            # how often the driver looks for nodes that joined or left
_PROBE_TIMEOUT_S = 300.0    # a node's first worker imports the package (slow on a busy machine)
_CLIENT_ATTEMPTS = 3        # connections to a ray:// address whose server failed to start the session
_HOST_WAIT_S = 60.0         # a task on a node that just joined waits this long for its ModelHost


@dataclass(frozen=True)
class _Plan:
    """What every task of one run needs besides its input (put in the object store once)."""

    run: str                                  # a token naming this run's actors
    settings: Settings
    model: Literal["off", "url", "node"]      # no model / one server at `url` / each node's ModelHost
    url: str | None = None
    code: str = ""                            # the driver's code_fingerprint()


def code_fingerprint() -> str:
    """A hash of this package's code: a node whose code differs would extract differently."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _host_name(run: str, node_id: str) -> str:
    return f"gov-report-extractor-model-{run}-{node_id}"


# ---- on the cluster: the tasks and the per-node model host -----------------------------------------


@ray.remote(num_cpus=0, max_restarts=0)
class ModelHost:
    """One node's built-in model server, started on the first request and stopped by the driver."""

    def __init__(self, settings: Settings):
        logging.getLogger("instructor").setLevel(logging.CRITICAL)
        self.server = LazyLocalServer(settings)

    def base_url(self) -> str:
        return self.server.base_url()

    def stop(self) -> None:
        self.server.stop()


# A Ray worker process runs one task at a time and is reused for the run's next tasks: it keeps
# its extraction process here (one Workers per run; a new run's first task replaces it).
_process_workers: dict[str, Workers] = {}
_process_lock = threading.Lock()


def _close_process_workers() -> None:
    with _process_lock:
        for w in _process_workers.values():
            w.close()
        _process_workers.clear()


atexit.register(_close_process_workers)


def _node_model_url(plan: _Plan) -> Callable[[], str]:
    def url() -> str:
        name = _host_name(plan.run, ray.get_runtime_context().get_node_id())
        deadline = time.monotonic() + _HOST_WAIT_S
        while True:
            try:
                host = ray.get_actor(name)
                break
            except ValueError:       # the driver creates it within _REFRESH_S of the node joining
                if time.monotonic() > deadline:
                    raise LocalModelError("no model server was started on this node") from None
                time.sleep(1.0)
        try:
            return str(ray.get(host.base_url.remote()))
        except ray.exceptions.RayTaskError as e:   # the host could not start the server: say why
            raise LocalModelError(str(e.cause)) from None
        except ray.exceptions.RayActorError as e:
            raise LocalModelError(f"this node's model server is gone ({type(e).__name__})") from None
    return url


def _workers_for(plan: _Plan) -> Workers:
    with _process_lock:
        workers = _process_workers.get(plan.run)
        if workers is None:
            for old in _process_workers.values():
                old.close()
            _process_workers.clear()
            llm_url = {"off": None, "url": (lambda: str(plan.url)), "node": _node_model_url(plan)}[plan.model]
            workers = Workers(plan.settings, 1, llm_url=llm_url)
            _process_workers[plan.run] = workers
        return workers


class CodeMismatch(Exception):
    """This node's code of the package is not the driver's."""


_process_code: list[str] = []    # this process's code_fingerprint(), computed once


@ray.remote(num_cpus=1, max_retries=TASK_RETRIES, retry_exceptions=False)
def extract_input(data: bytes, name: str, plan: _Plan, llm_disabled: str | None) -> PackedResult:
    """One input's extraction on the cluster (in this Ray worker's extraction process), packed for
    the store here: the driver, the run's one writer, only inserts it."""
    if not _process_code:
        _process_code.append(code_fingerprint())
    if _process_code[0] != plan.code:
        raise CodeMismatch(f"Ray node {ray.util.get_node_ip_address()} runs other code of gov-report-extractor "
                           f"than the driver (fingerprint {_process_code[0]}, the driver's {plan.code}): install "
                           "the same version on every node")
    return pack_result(_workers_for(plan).run(data, name, llm_disabled=llm_disabled))


@ray.remote(num_cpus=0, max_retries=0)
def _probe() -> tuple[str, str]:
    """This node's code fingerprint and address."""
    return code_fingerprint(), ray.util.get_node_ip_address()


# ---- on the driver -------------------------------------------------------------------------------


class RayEngine:
    """Submits one task per input; see the module docstring."""

    name = "ray"

    def __init__(self, plan: _Plan, on_notice: Callable[[str], None] | None):
        self.plan = plan
        self.on_notice = on_notice
        self.task: Any = extract_input               # the remote function each input runs as
        self._plan_ref = ray.put(plan)
        self._breaker = Breaker(plan.settings.llm_breaker_failures)
        self._lock = threading.Lock()
        self._live: dict[Any, None] = {}            # ObjectRefs of the tasks not finished yet
        self._hosts: dict[str, Any] = {}            # node id -> ModelHost handle
        self._nodes = 0
        self._cpus = 0
        self._refreshed = 0.0
        self._closed = False
        self._refresh(force=True)

    # the cluster ------------------------------------------------------------------------------

    def _alive_nodes(self) -> list[dict[str, Any]]:
        return [n for n in ray.nodes() if n.get("Alive")]

    def _refresh(self, force: bool = False) -> None:
        """Count the nodes and CPUs; give each new node its ModelHost (built-in model only)."""
        now = time.monotonic()
        if not force and now - self._refreshed < _REFRESH_S:
            return
        self._refreshed = now
        nodes = self._alive_nodes()
        self._nodes = len(nodes)
        self._cpus = int(sum(n.get("Resources", {}).get("CPU", 0) for n in nodes))
        if self.plan.model != "node":
            return
        alive = {n["NodeID"] for n in nodes}
        for node_id in list(self._hosts):
            if node_id not in alive:
                del self._hosts[node_id]
        for node_id in alive - set(self._hosts):
            self._hosts[node_id] = ModelHost.options(   # type: ignore[attr-defined]
                name=_host_name(self.plan.run, node_id),
                scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False),
            ).remote(self.plan.settings)

    def check_nodes(self) -> None:
        """Every node runs the driver's code (EngineError names the first that does not)."""
        nodes = self._alive_nodes()
        probes = [_probe.options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)).remote() for n in nodes]
        for node, ref in zip(nodes, probes):
            where = node.get("NodeManagerAddress", node["NodeID"][:12])
            try:
                code, _ip = ray.get(ref, timeout=_PROBE_TIMEOUT_S)
            except Exception as e:
                raise EngineError(f"Ray node {where} cannot run this package's tasks ({type(e).__name__}: "
                                  f"{str(e)[:300]}); install the same gov-report-extractor on every node") from e
            if code != self.plan.code:
                raise EngineError(f"Ray node {where} runs other code of gov-report-extractor than this driver "
                                  f"(fingerprint {code}, here {self.plan.code}): install the same version "
                                  "on every node")

    @property
    def slots(self) -> int:
        self._refresh()
        return max(1, self._cpus)

    def describe(self) -> str:
        self._refresh(force=True)
        return (f"{self._nodes} node{'s' if self._nodes != 1 else ''}, "
                f"{self._cpus} CPU{'s' if self._cpus != 1 else ''}")

    # tasks ------------------------------------------------------------------------------------

    def submit(self, data: bytes, name: str) -> Future[ExtractionResult | PackedResult]:
        self._refresh()
        with self._lock:
            disabled = self._breaker.reason if self.plan.settings.llm != "off" else None
        ref = self.task.remote(data, name, self._plan_ref, disabled)
        out: Future[ExtractionResult | PackedResult] = Future()
        with self._lock:
            self._live[ref] = None
        ref.future().add_done_callback(lambda done: self._settle(ref, done, out, data, name))
        return out

    def _settle(self, ref: Any, done: Future[Any], out: Future[ExtractionResult | PackedResult], data: bytes,
                name: str) -> None:
        """A task ended (in a Ray thread): its result, or its error as a failed result."""
        with self._lock:
            self._live.pop(ref, None)
        try:
            result = done.result()
        except ray.exceptions.RayTaskError as e:
            if isinstance(e.cause, CodeMismatch):      # the configuration is wrong: stop the run
                out.set_exception(EngineError(str(e.cause)))
            else:
                out.set_result(self._failure(e, data, name))
            return
        except Exception as e:
            out.set_result(self._failure(e, data, name))
            return
        if not isinstance(result, (ExtractionResult, PackedResult)):
            out.set_result(failure_result(name, data, "internal", "internal error: the Ray task returned "
                                          f"{type(result).__name__}, not a result", 0.0))
            return
        with self._lock:
            notice = self._breaker.record(result.llm_usage)
        if notice and self.on_notice is not None:
            self.on_notice(notice)
        out.set_result(result)

    def _failure(self, e: BaseException, data: bytes, name: str) -> ExtractionResult:
        if self._closed or isinstance(e, ray.exceptions.TaskCancelledError):
            reason = "internal error: stopped, the program is shutting down"
        elif isinstance(e, (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError,
                            ray.exceptions.ObjectLostError, ray.exceptions.LocalRayletDiedError,
                            ray.exceptions.OutOfMemoryError)):
            reason = (f"internal error: the Ray worker extracting this file died {TASK_RETRIES + 1} times "
                      f"(killed, out of memory, or its node lost): {type(e).__name__}")
        elif isinstance(e, ray.exceptions.RayTaskError):
            cause = e.cause
            reason = (f"internal error in the Ray task ({type(cause).__name__}: {str(cause)[:300]}); "
                      "please report it with the file")
        else:
            reason = f"internal error: the Ray task failed ({type(e).__name__}: {str(e)[:300]})"
        return failure_result(name, data, "internal", reason, 0.0)

    def close(self) -> None:
        """Cancel what is still running (its worker is killed) and stop every node's model server."""
        self._closed = True
        with self._lock:
            live = list(self._live)
        for ref in live:
            try:
                ray.cancel(ref, force=True)
            except Exception:  # already finished, or its node is gone
                pass
        hosts = list(self._hosts.values())
        self._hosts.clear()
        if hosts:
            try:
                ray.get([h.stop.remote() for h in hosts], timeout=30)
            except Exception:  # a host on a lost node: its server went with it
                pass
            for h in hosts:
                ray.kill(h)


def _connect(address: str | None) -> bool:
    """Connect to the cluster at `address` (None: start a local Ray instance sized to this machine).
    Returns whether this call connected (then the engine disconnects at the end)."""
    if ray.is_initialized():
        return False
    attempt = 1
    while True:
        try:
            # "local": a new instance, never the last cluster `ray start` left on this machine
            ray.init(address=address or "local", include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
            return True
        except ConnectionAbortedError as e:
            # Ray Client's server could not start this driver's session (seen once under load, its
            # log empty): the next attempt gets a new one
            ray.shutdown()
            if not (address or "").startswith("ray://") or attempt == _CLIENT_ATTEMPTS:
                _connect_error(address, e)
            time.sleep(attempt)
            attempt += 1
        except (ConnectionError, RuntimeError, ValueError) as e:
            _connect_error(address, e)


def _connect_error(address: str | None, e: Exception) -> NoReturn:
    if not address:
        raise EngineError(f"cannot start a local Ray instance: {e}") from e
    hint = ("; a cluster `ray start` made uses token authentication: give its token with RAY_AUTH_MODE=token "
            "and RAY_AUTH_TOKEN (or ~/.ray/auth_token)" if address not in ("auto",) else "")
    raise EngineError(f"cannot connect to the Ray cluster at {address}: {e}{hint}") from e


@contextmanager
def open_ray_engine(settings: Settings, *, llm_base_url: str | None = None,
                    on_notice: Callable[[str], None] | None = None) -> Iterator[RayEngine]:
    url = llm_base_url or settings.llm_base_url
    model: Literal["off", "url", "node"] = "off" if settings.llm == "off" else ("url" if url else "node")
    connected = _connect(settings.ray_address)
    engine: RayEngine | None = None
    try:
        plan = _Plan(run=uuid.uuid4().hex[:12], settings=settings, model=model, url=url if model == "url" else None,
                     code=code_fingerprint())
        engine = RayEngine(plan, on_notice)
        engine.check_nodes()
        yield engine
    finally:
        if engine is not None:
            engine.close()
        if connected:
            ray.shutdown()
