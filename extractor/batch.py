"""The batch run: walk the inputs, skip what is done, extract the rest on worker processes, store each.

The parent process walks the archives, hashes every input, decides what to skip (same content and
same extraction configuration already stored as current), sends the rest to a process pool and is
the only writer of the database (one transaction per report, so a killed run loses nothing and
duplicates nothing when started again). Progress is reported through a callback; the library
never prints.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import time
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Literal, Sequence

from . import store as st
from .archive import Item, estimate_count, iter_items, make_filters
from .result import ExtractionResult
from .reuse import ExtractionConfig, extraction_config, still_valid
from .settings import Settings
from .version import ENGINE_VERSION

Counts = dict[str, int]
KINDS = ("accepted", "review", "failed", "pretemplate", "skipped")   # pretemplate: before the 2019 template


@dataclass
class Progress:
    """One progress event. `kind`: start | item | finish."""

    kind: Literal["start", "item", "finish"]
    done: int
    total: int                                   # estimated number of inputs
    counts: Counts
    elapsed_s: float
    name: str | None = None
    status: str | None = None                    # accepted | review | failed | pretemplate | skipped
    detail: str | None = None

    @property
    def rate(self) -> float:
        """Inputs per second so far (skipped ones included)."""
        return self.done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        processed = self.done - self.counts.get("skipped", 0)
        if processed <= 0 or self.total <= self.done:
            return None
        per_item = self.elapsed_s / max(processed, 1)
        return per_item * (self.total - self.done)


@dataclass
class BatchSummary:
    run_id: int
    counts: Counts                                # this run: accepted/review/failed/pretemplate/skipped
    reused: int                                   # stored from an identical file's result
    seconds: float
    db_counts: Counts                             # current results in the database, by status
    top_review_reasons: list[tuple[str, int]]
    top_failure_reasons: list[tuple[str, int]]
    crosscheck_findings: int
    extracted: int = 0                            # items actually sent to the extractor
    llm_calls: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# ---- worker side -------------------------------------------------------------------------------

_worker_llm: object | None = None     # per worker process: the LLM client (set by the initializer)
_worker_session: object | None = None


def _init_worker(settings: Settings) -> None:
    global _worker_llm, _worker_session
    if settings.llm == "off":
        return
    import logging

    # a worker is a process of the CLI's: instructor's per-call error logs stay quiet there too
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    from .llm import open_llm
    _worker_session = open_llm(settings)
    _worker_llm = _worker_session.__enter__()
    import atexit

    atexit.register(_worker_session.__exit__, None, None, None)


def _work(data: bytes, name: str, settings: Settings) -> ExtractionResult:
    from .pipeline import extract_bytes  # never raises for a bad item (nor for a bug)

    return extract_bytes(data, name, settings, llm=_worker_llm)  # type: ignore[arg-type]


# ---- parent side -------------------------------------------------------------------------------

@dataclass
class _Pending:
    name: str
    data: bytes
    sha: str
    attempts: int = 0


@dataclass
class _State:
    counts: Counter[str] = field(default_factory=Counter)
    done: int = 0
    reused: int = 0
    extracted: int = 0
    llm_calls: int = 0


def _failed_result(item: Item) -> ExtractionResult:
    sha = hashlib.sha256(item.data).hexdigest() if item.data is not None else None
    return ExtractionResult(source=item.name, status="failed", error=item.error, reasons=[item.error or "failed"],
                            failure="input", sha256=sha, size=item.size, engine_version=ENGINE_VERSION,
                            format=_guess_format(item.name))


def _guess_format(name: str) -> str | None:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
    return {"htm": "html", "html": "html", "pdf": "pdf", "docx": "docx", "doc": "doc", "txt": "txt",
            "md": "md", "zip": "zip"}.get(ext)


def run_batch(roots: Sequence[str | Path], settings: Settings, db_path: str | Path, *,
              include: Sequence[str] | None = None, exclude: Sequence[str] | None = None,
              on_progress: Callable[[Progress], None] | None = None,
              llm_base_url: str | None = None, crosscheck: bool = True) -> BatchSummary:
    """Process every input under `roots` into the database at `db_path`; returns the run's summary.

    `llm_base_url`: the OpenAI-compatible server every worker should use (e.g. the local server the
    CLI started); it overrides settings.llm_base_url so workers never start servers of their own.
    Raises StoreError / ConfigError (stop the run); never raises for a bad input.
    """
    config = extraction_config(settings)   # before the server URL is filled in: same key either way
    local_server = None
    if llm_base_url:
        settings = settings.model_copy(update={"llm_base_url": llm_base_url})
    elif settings.llm != "off" and not settings.llm_base_url:
        # One shared local server for all workers (each would otherwise start its own).
        from .llm.local_server import start_local_server

        local_server = start_local_server(settings)
        settings = settings.model_copy(update={"llm_base_url": local_server.base_url})
    try:
        return _run(roots, settings, config, db_path, include, exclude, on_progress, crosscheck)
    finally:
        if local_server is not None:
            local_server.stop()


def _run(roots: Sequence[str | Path], settings: Settings, config: ExtractionConfig, db_path: str | Path,
         include: Sequence[str] | None, exclude: Sequence[str] | None,
         on_progress: Callable[[Progress], None] | None, crosscheck: bool) -> BatchSummary:
    from .crosscheck import run_crosschecks

    filters = make_filters(include, exclude, Path(db_path))
    started = time.perf_counter()
    state = _State()
    emit = on_progress or (lambda p: None)
    total = estimate_count(roots, filters)

    def progress(kind: Literal["start", "item", "finish"], name: str | None = None, status: str | None = None,
                 detail: str | None = None) -> None:
        emit(Progress(kind=kind, done=state.done, total=max(total, state.done), counts=dict(state.counts),
                      elapsed_s=time.perf_counter() - started, name=name, status=status, detail=detail))

    with st.open_store(db_path) as store:
        run_id = st.start_run(store, config_key=config.key, settings=settings.model_dump(mode="json"),
                              roots=[str(r) for r in roots])
        progress("start")

        def finish_item(name: str, status: str, detail: str | None = None) -> None:
            state.counts[status] += 1
            state.done += 1
            progress("item", name, status, detail)

        # identical content met again while its first copy is still being extracted: wait for it
        waiting: dict[str, list[tuple[str, int]]] = {}

        def save(result: ExtractionResult, name: str) -> None:
            eid = st.save_result(store, result, config_key=config.key, config=config.detail,
                                 llm_setting=config.llm, run_id=run_id, path=name)
            state.llm_calls += len(result.llm_usage)
            finish_item(name, result.status, result.error or (result.reasons[0] if result.reasons else None))
            for other, size in waiting.pop(result.sha256 or "", []):
                st.copy_extraction(store, eid, path=other, size=size, run_id=run_id)
                state.reused += 1
                finish_item(other, result.status, "same content as " + name)

        def triage(item: Item) -> _Pending | None:
            """Store or skip what needs no extraction; return what must be extracted."""
            if item.data is None:
                prev = st.current_for_path(store, item.name)
                if prev and prev["status"] == "failed" and prev["error"] == item.error:
                    finish_item(item.name, "skipped")
                else:
                    save(_failed_result(item), item.name)
                return None
            sha = hashlib.sha256(item.data).hexdigest()
            prev = st.current_for_path(store, item.name)
            if prev and prev["sha256"] == sha and still_valid(prev, config):
                finish_item(item.name, "skipped")
                return None
            for other in st.current_for_sha(store, sha):
                if other["path"] != item.name and still_valid(other, config):
                    st.copy_extraction(store, other["id"], path=item.name, size=len(item.data), run_id=run_id)
                    state.reused += 1
                    finish_item(item.name, other["status"], "same content as " + other["path"])
                    return None
            if sha in waiting:
                waiting[sha].append((item.name, len(item.data)))
                return None
            waiting[sha] = []
            return _Pending(item.name, item.data, sha)

        _extract_all((p for p in map(triage, iter_items(roots, settings, filters)) if p is not None),
                     settings, state, save)

        cross = run_crosschecks(store) if crosscheck else 0
        counts = {k: state.counts.get(k, 0) for k in KINDS}
        st.finish_run(store, run_id, {**counts, "reused": state.reused, "extracted": state.extracted})
        summary = BatchSummary(
            run_id=run_id, counts=counts, reused=state.reused, seconds=round(time.perf_counter() - started, 3),
            db_counts=st.counts_by_status(store), top_review_reasons=st.top_reasons(store, status="review"),
            top_failure_reasons=st.top_reasons(store, status="failed", run_id=run_id),
            crosscheck_findings=cross, extracted=state.extracted, llm_calls=state.llm_calls)
        progress("finish")
    return summary


def _pool_size(settings: Settings) -> int:
    # LLM requests mostly wait on the server: allow up to llm_concurrency items in flight then.
    return max(1, settings.workers if settings.llm == "off" else max(settings.workers, settings.llm_concurrency))


def _extract_all(pending: Iterable[_Pending], settings: Settings, state: _State,
                 save: Callable[[ExtractionResult, str], None]) -> None:
    """Run the extractions on a process pool; a crashed worker fails only the item it was on."""
    size = _pool_size(settings)
    window = 2 * size          # items in flight: bounded so memory does not grow with the archive
    source = iter(pending)
    retry: deque[_Pending] = deque()   # items in flight when a worker died: rerun one at a time
    exhausted = False
    context = multiprocessing.get_context("spawn")   # workers never inherit the open database
    while True:
        with ProcessPoolExecutor(max_workers=size, mp_context=context, initializer=_init_worker,
                                 initargs=(settings,)) as pool:
            in_flight: dict[Future[ExtractionResult], _Pending] = {}
            broken = False
            while not broken:
                solo = retry or any(p.attempts for p in in_flight.values())
                while not exhausted and not solo and len(in_flight) < window:
                    nxt = next(source, None)
                    if nxt is None:
                        exhausted = True
                        break
                    in_flight[pool.submit(_work, nxt.data, nxt.name, settings)] = nxt
                if retry and not in_flight:
                    p = retry.popleft()
                    in_flight[pool.submit(_work, p.data, p.name, settings)] = p
                if not in_flight:
                    return
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for fut in done:
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    p = in_flight.pop(fut)
                    state.extracted += 1
                    save(result, p.name)
            # The pool died. Items in flight are rerun one at a time; one that kills a pool while
            # running alone is the culprit and is stored as failed.
            for p in in_flight.values():
                p.attempts += 1
                if p.attempts >= 2:
                    state.extracted += 1
                    save(_crashed(p), p.name)
                else:
                    retry.append(p)


def _crashed(p: _Pending) -> ExtractionResult:
    reason = "internal error: the extraction worker process crashed on this file (killed or out of memory)"
    return ExtractionResult(source=p.name, status="failed", error=f"{p.name}: {reason}", reasons=[reason],
                            failure="internal",
                            sha256=p.sha, size=len(p.data), engine_version=ENGINE_VERSION,
                            format=_guess_format(p.name))
