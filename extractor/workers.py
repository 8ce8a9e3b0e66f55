"""Extraction in worker processes that can be killed: a time and a memory limit per input, and
children that die with their parent.

    workers = Workers(settings, size=2, llm_url=provider)   # provider: () -> base URL, or None
    result = workers.run(data, name)    # blocks this thread; thread-safe, one input per worker
    workers.close()

Each worker is a `python -m extractor.workers` process of its own process group, talking over a
socket pair. An input that runs past settings.file_timeout_s gets its worker's group killed (the
converters it started with it) and comes back `failed` (failure "timeout"); a fresh worker takes
the next input. Each worker's data memory is capped (settings.file_memory_mb): an input that needs
more fails (failure "memory") instead of taking the machine. A worker that dies on an input (a
crash in a parser's C code, the kernel's OOM killer) is replaced and the input tried once more.

The parent owns the model server: a worker that needs the model asks the parent for its URL
(the built-in server starts on the first such request). The parent also keeps the circuit
breaker (llm/breaker.py): once open, workers call no model; `on_notice` hears it once.

Workers watch their parent: when it is gone (killed, crashed), they kill their own process group.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Callable

from .llm.breaker import Breaker
from .names import format_from_name
from .result import ExtractionResult
from .settings import Settings
from .version import ENGINE_VERSION

_READY_TIMEOUT_S = 120.0   # a cold start imports the parsers; a busy machine is slow
_WATCH_INTERVAL_S = 0.5
_KEEP_RSS_BYTES = 512 * 1024 * 1024   # a worker grown past this after an input is replaced (an idle
                                      # worker would keep the memory of its largest input)


@dataclass
class _Job:
    data: bytes
    name: str
    llm_disabled: str | None = None


class _Worker:
    """One worker process (started on first use, restarted after a kill or a crash)."""

    def __init__(self, settings: Settings, llm_url: Callable[[], str] | None):
        self.settings = settings
        self.llm_url = llm_url
        self.proc: subprocess.Popen[bytes] | None = None
        self.conn: Connection | None = None

    def _start(self) -> Connection:
        parent, child = socket.socketpair()
        cmd = [sys.executable, "-m", "extractor.workers", str(child.fileno()), str(os.getpid())]
        try:
            self.proc = subprocess.Popen(cmd, pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL,
                                         start_new_session=True, close_fds=True)
        finally:
            child.close()
        conn = Connection(parent.detach())
        self.conn = conn
        conn.send(self.settings.model_dump(mode="json"))
        if not conn.poll(_READY_TIMEOUT_S):
            self.kill()
            raise RuntimeError(f"extraction worker not ready after {_READY_TIMEOUT_S:g} s")
        conn.recv()   # "ready"
        return conn

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """Kill the worker and everything it started (its process group)."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if self.conn is not None:
            self.conn.close()
        self.proc = self.conn = None

    def run(self, job: _Job) -> tuple[str, Any]:
        """('result', ExtractionResult) | ('timeout', seconds) | ('crashed', None)."""
        conn = self.conn if self.alive() and self.conn is not None else None
        if conn is None:
            self.kill()
            try:
                conn = self._start()
            except (OSError, EOFError, RuntimeError):
                self.kill()
                return "crashed", None
        started = time.monotonic()
        deadline = started + self.settings.file_timeout_s
        try:
            conn.send(job)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not conn.poll(left):
                    self.kill()
                    return "timeout", time.monotonic() - started
                kind, payload = conn.recv()
                if kind == "url":
                    conn.send(self._url())
                    continue
                if kind == "exit":          # the worker will not take another input (out of memory)
                    self.kill()
                return "result", payload
        except (EOFError, OSError):
            self.kill()
            return "crashed", None

    def _url(self) -> tuple[str, str]:
        if self.llm_url is None:
            return "error", "no model server configured"
        try:
            return "ok", self.llm_url()
        except Exception as e:  # the local server could not start: the model is unavailable
            return "error", f"{type(e).__name__}: {e}"


class Workers:
    """`size` killable extraction processes. See the module docstring."""

    def __init__(self, settings: Settings, size: int = 1, *, llm_url: Callable[[], str] | None = None,
                 on_notice: Callable[[str], None] | None = None, breaker_reset_s: float | None = None):
        self.settings = settings
        self.size = max(1, size)
        self.breaker = Breaker(settings.llm_breaker_failures, breaker_reset_s)
        self.on_notice = on_notice
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()   # the warmest worker first
        self._all = [_Worker(settings, llm_url) for _ in range(self.size)]
        for w in self._all:
            self._idle.put(w)
        self._lock = threading.Lock()
        self._closed = False

    def run(self, data: bytes, name: str, *, llm_disabled: str | None = None) -> ExtractionResult:
        """Extract one input in a worker; never raises for a bad input (the result says why).

        `llm_disabled`: call no model for this input, for that reason (a breaker kept elsewhere,
        e.g. by the driver of a cluster run)."""
        import hashlib

        worker = self._idle.get()
        try:
            if self._closed:
                return failure_result(name, data, "internal", "internal error: the service is shutting down", 0.0)
            with self._lock:
                disabled = (llm_disabled or self.breaker.reason) if self.settings.llm != "off" else None
            job = _Job(data, name, disabled)
            for _attempt in (1, 2):
                kind, payload = worker.run(job)
                if kind == "result":
                    result: ExtractionResult = payload
                    self._record(result)
                    return result
                if kind == "timeout":
                    return failure_result(name, data, "timeout",
                                   f"gave up after {self.settings.file_timeout_s:g} s: the extraction did not "
                                   "finish in time (EXTRACTOR_FILE_TIMEOUT_S); its worker was stopped",
                                   payload)
                if self._closed:
                    return failure_result(name, data, "internal", "internal error: stopped, the program is shutting down",
                                   0.0)
            sha = hashlib.sha256(data).hexdigest()[:12]
            return failure_result(name, data, "internal", "internal error: the extraction worker process crashed on "
                           f"this file twice (killed or out of memory; sha256 {sha}…)", 0.0)
        finally:
            self._idle.put(worker)

    def _record(self, result: ExtractionResult) -> None:
        with self._lock:
            notice = self.breaker.record(result.llm_usage)
        if notice and self.on_notice is not None:
            self.on_notice(notice)

    def close(self) -> None:
        """Stop every worker (an input in progress comes back failed)."""
        self._closed = True
        for w in self._all:
            w.kill()

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def failure_result(name: str, data: bytes, failure: Any, reason: str, seconds: float) -> ExtractionResult:
    """A `failed` result for an input the extraction did not finish (time limit, crash, shutdown)."""
    import hashlib

    return ExtractionResult(source=name, status="failed", error=f"{name}: {reason}", reasons=[reason],
                            failure=failure, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                            engine_version=ENGINE_VERSION, format=format_from_name(name),
                            seconds=round(seconds, 3))


# ---------------------------------------------------------------- the worker process


def _watch_parent(parent_pid: int) -> None:
    """Kill this worker's process group when the parent is gone (it was killed or crashed)."""
    while True:
        if os.getppid() != parent_pid:
            if os.getpgid(0) == os.getpid():
                os.killpg(0, signal.SIGKILL)
            os._exit(1)
        time.sleep(_WATCH_INTERVAL_S)


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_memory(mb: int) -> None:
    if mb <= 0:
        return
    import resource

    limit = mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def _worker_main(fd: int, parent_pid: int) -> None:
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # the parent decides; Ctrl-C reaches it
    conn = Connection(fd)
    settings = Settings.model_validate(conn.recv())
    import logging

    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    from .pipeline import extract_bytes

    client = None
    if settings.llm != "off":
        from .llm.client import LLMClient

        def url() -> str:
            conn.send(("url", None))
            status, value = conn.recv()
            if status != "ok":
                from .errors import LocalModelError
                raise LocalModelError(f"the model server is not available: {value}")
            return str(value)

        client = LLMClient(settings, url)
    _limit_memory(settings.file_memory_mb)
    conn.send("ready")
    while True:
        try:
            job: _Job = conn.recv()
        except (EOFError, OSError):
            return
        except MemoryError:
            return          # the parent sees the worker gone and tries the input once more
        if client is not None:
            client.disable(job.llm_disabled)
        result = extract_bytes(job.data, job.name, settings, llm=client)
        del job
        # after running out of memory the heap may be in pieces, and a large input leaves the
        # process large: a fresh worker takes the next input then
        leave = result.failure == "memory" or _rss_bytes() > _KEEP_RSS_BYTES
        conn.send(("exit" if leave else "result", result))
        if leave:
            return


if __name__ == "__main__":
    _worker_main(int(sys.argv[1]), int(sys.argv[2]))
