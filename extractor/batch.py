"""The batch run: walk the inputs, skip what is done, extract the rest on an engine, store each.

The parent process (the driver) walks the archives, hashes every input, decides what to skip
(same content and same extraction configuration already stored as current), sends the rest to an
engine (engines/: this machine's killable worker processes, or a Ray cluster; a time and memory
limit per input either way) with a bound on the bytes in flight, and is the only writer of the
database (one transaction per report, so a killed run loses nothing and duplicates nothing when
started again). Parallel runs on one database share the work: each content is claimed before it is
extracted, and what another live run has claimed is taken from its result. Progress is reported
through a callback; the library never prints.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Literal, Sequence

from . import store as st
from .archive import Item, estimate_count, iter_items, make_filters
from .engines import Engine, open_engine
from .errors import StoreError
from .names import format_from_name
from .result import ExtractionResult
from .reuse import ExtractionConfig, extraction_config, still_valid
from .settings import Settings
from .version import ENGINE_VERSION

Counts = dict[str, int]
KINDS = ("accepted", "review", "failed", "pretemplate", "skipped")   # pretemplate: before the 2019 template


@dataclass
class Progress:
    """One progress event. `kind`: start | item | notice (said once, e.g. the model server is no
    longer called) | finish."""

    kind: Literal["start", "item", "notice", "finish"]
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
    duplicate_members: int = 0                    # zip members whose name another member shares
    shared: int = 0                               # taken from a parallel run's result
    notices: list[str] = field(default_factory=list)
    engine: str = "local"                         # where the extractions ran: local | ray
    engine_size: str = ""                         # e.g. "2 worker processes on this machine", "2 nodes, 4 CPUs"

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# ---- parent side -------------------------------------------------------------------------------

@dataclass
class _Pending:
    name: str
    data: bytes
    sha: str


@dataclass
class _State:
    counts: Counter[str] = field(default_factory=Counter)
    done: int = 0
    reused: int = 0
    extracted: int = 0
    llm_calls: int = 0
    duplicates: int = 0
    shared: int = 0
    notices: list[str] = field(default_factory=list)


_DEFER_BYTES = 256 * 1024 * 1024     # inputs held while a parallel run extracts the same content


def _failed_result(item: Item) -> ExtractionResult:
    sha = hashlib.sha256(item.data).hexdigest() if item.data is not None else None
    return ExtractionResult(source=item.name, status="failed", error=item.error, reasons=[item.error or "failed"],
                            failure="input", sha256=sha, size=item.size, engine_version=ENGINE_VERSION,
                            format=format_from_name(item.name))


def run_batch(roots: Sequence[str | Path], settings: Settings, db_path: str | Path, *,
              include: Sequence[str] | None = None, exclude: Sequence[str] | None = None,
              on_progress: Callable[[Progress], None] | None = None,
              llm_base_url: str | None = None, crosscheck: bool = True) -> BatchSummary:
    """Process every input under `roots` into the database at `db_path`; returns the run's summary.

    `settings.engine`: where the extractions run (engines/: "local" worker processes, or "ray"
    on the cluster at settings.ray_address). `llm_base_url`: the OpenAI-compatible server every
    worker should use; otherwise settings.llm_base_url, or the built-in local server (one per node
    on Ray), started when a report first needs it.
    Raises StoreError / ConfigError (EngineError: the engine cannot be used) and stops the run;
    never raises for a bad input.
    """
    config = extraction_config(settings)
    notices: list[str] = []
    with open_engine(settings, llm_base_url=llm_base_url, on_notice=notices.append) as engine:
        return _run(roots, settings, config, db_path, include, exclude, on_progress, crosscheck,
                    engine, notices)


def _run(roots: Sequence[str | Path], settings: Settings, config: ExtractionConfig, db_path: str | Path,
         include: Sequence[str] | None, exclude: Sequence[str] | None,
         on_progress: Callable[[Progress], None] | None, crosscheck: bool,
         engine: Engine, notices: list[str]) -> BatchSummary:
    from .crosscheck import run_crosschecks

    filters = make_filters(include, exclude, Path(db_path))
    started = time.perf_counter()
    state = _State()
    emit = on_progress or (lambda p: None)
    total = estimate_count(roots, filters)
    # a claim outlives the wait in the window and the extraction itself; a dead run's claims end at once
    claim_ttl = 3 * settings.file_timeout_s + 60

    def progress(kind: Literal["start", "item", "notice", "finish"], name: str | None = None,
                 status: str | None = None, detail: str | None = None) -> None:
        emit(Progress(kind=kind, done=state.done, total=max(total, state.done), counts=dict(state.counts),
                      elapsed_s=time.perf_counter() - started, name=name, status=status, detail=detail))

    with st.open_store(db_path) as store:
        run_id = st.start_run(store, config_key=config.key,
                              settings={**settings.model_dump(mode="json"), "engine_size": engine.describe()},
                              roots=[str(r) for r in roots])
        progress("start")

        def finish_item(name: str, status: str, detail: str | None = None) -> None:
            state.counts[status] += 1
            state.done += 1
            while len(state.notices) < len(notices):      # said once, in the parent's thread
                state.notices.append(notices[len(state.notices)])
                progress("notice", detail=state.notices[-1])
            progress("item", name, status, detail)

        # identical content met again while its first copy is still being extracted: wait for it
        waiting: dict[str, list[tuple[str, int]]] = {}

        def save(result: ExtractionResult | st.PackedResult, name: str) -> None:
            try:
                packed = result if isinstance(result, st.PackedResult) else st.pack_result(result)
                eid = st.save_result(store, packed, config_key=config.key, config=config.detail,
                                     llm_setting=config.llm, run_id=run_id, path=name)
            except StoreError:
                raise
            except Exception as e:  # a result the store cannot take is our bug: this item fails, the run goes on
                reason = (f"internal error while storing the result ({type(e).__name__}: {e}); "
                          "please report it with the file")
                packed = st.pack_result(ExtractionResult(
                    source=name, status="failed", error=f"{name}: {reason}", reasons=[reason], failure="internal",
                    sha256=result.sha256, size=result.size, engine_version=ENGINE_VERSION, format=result.format))
                eid = st.save_result(store, packed, config_key=config.key, config=config.detail,
                                     llm_setting=config.llm, run_id=run_id, path=name)
            state.llm_calls += len(packed.llm_usage)
            finish_item(name, packed.status, packed.error or (packed.reasons[0] if packed.reasons else None))
            for other, size in waiting.pop(packed.sha256 or "", []):
                st.copy_extraction(store, eid, path=other, size=size, run_id=run_id)
                state.reused += 1
                finish_item(other, packed.status, "same content as " + name)

        def done_already(name: str, sha: str, size: int) -> bool:
            """Stored as current (skip), or stored for the same content elsewhere (copy)."""
            prev = st.current_for_path(store, name)
            if prev and prev["sha256"] == sha and still_valid(prev, config):
                finish_item(name, "skipped")
                return True
            for other in st.current_for_sha(store, sha):
                if other["path"] != name and still_valid(other, config):
                    st.copy_extraction(store, other["id"], path=name, size=size, run_id=run_id)
                    state.reused += 1
                    finish_item(name, other["status"], "same content as " + other["path"])
                    return True
            return False

        deferred: list[_Pending] = []    # claimed by a parallel run: taken from its result later

        def triage(item: Item) -> _Pending | None:
            """Store or skip what needs no extraction; return what must be extracted."""
            state.duplicates += item.duplicate_name
            if item.data is None:
                prev = st.current_for_path(store, item.name)
                if prev and prev["status"] == "failed" and prev["error"] == item.error:
                    finish_item(item.name, "skipped")
                else:
                    save(_failed_result(item), item.name)
                return None
            sha = hashlib.sha256(item.data).hexdigest()
            if done_already(item.name, sha, len(item.data)):
                return None
            if sha in waiting:
                waiting[sha].append((item.name, len(item.data)))
                return None
            pending = _Pending(item.name, item.data, sha)
            claimed = st.claim(store, sha, config.key, run_id=run_id, ttl_s=claim_ttl)
            # a parallel run may have stored it and dropped its claim between our look and our claim
            if claimed and done_already(item.name, sha, len(item.data)):
                return None
            if not claimed and sum(len(p.data) for p in deferred) + len(item.data) <= _DEFER_BYTES:
                deferred.append(pending)      # a parallel run is extracting it: take its result later
                return None
            waiting[sha] = []
            return pending

        def settle_deferred() -> _Pending | None:
            """A deferred input this run must extract itself now (the other run gave it up), if any;
            the ones the other run stored are stored from its results."""
            for p in list(deferred):
                if done_already(p.name, p.sha, len(p.data)):
                    state.shared += 1
                    deferred.remove(p)
                elif not st.claim_active(store, p.sha, config.key) and \
                        st.claim(store, p.sha, config.key, run_id=run_id, ttl_s=claim_ttl):
                    deferred.remove(p)
                    if done_already(p.name, p.sha, len(p.data)):   # stored just before our claim
                        state.shared += 1
                        continue
                    waiting.setdefault(p.sha, [])
                    return p
            return None

        try:
            stream = (p for p in map(triage, iter_items(roots, settings, filters)) if p is not None)
            _extract_all(stream, engine, settings.max_inflight_bytes, state, save, settle_deferred,
                         lambda: bool(deferred))
        finally:
            st.release_claims(store, run_id)

        cross = run_crosschecks(store) if crosscheck else 0
        counts = {k: state.counts.get(k, 0) for k in KINDS}
        st.finish_run(store, run_id, {**counts, "reused": state.reused, "extracted": state.extracted,
                                      "duplicate_members": state.duplicates, "shared": state.shared})
        summary = BatchSummary(
            run_id=run_id, counts=counts, reused=state.reused, seconds=round(time.perf_counter() - started, 3),
            db_counts=st.counts_by_status(store),
            top_review_reasons=st.top_reasons(store, status="review", lang=settings.lang or "en"),
            top_failure_reasons=st.top_reasons(store, status="failed", run_id=run_id, lang=settings.lang or "en"),
            crosscheck_findings=cross, extracted=state.extracted, llm_calls=state.llm_calls,
            duplicate_members=state.duplicates, shared=state.shared, notices=list(state.notices),
            engine=engine.name, engine_size=engine.describe())
        progress("finish")
    return summary


def _extract_all(pending: Iterable[_Pending], engine: Engine, max_bytes: int, state: _State,
                 save: Callable[[ExtractionResult | st.PackedResult, str], None],
                 deferred: Callable[[], _Pending | None], any_deferred: Callable[[], bool]) -> None:
    """Run the extractions on the engine; save each result in this thread.

    In flight at once: about twice the engine's slots, and inputs of at most `max_bytes` together
    (one more input may go past it), so the driver's memory does not grow with the archive.
    `deferred()`: an input a parallel run gave up, to extract now (polled, never waited on: the
    other run may be waiting for ours)."""
    source = iter(pending)
    exhausted = False
    in_flight: dict[Future[ExtractionResult | st.PackedResult], _Pending] = {}
    in_flight_bytes = 0
    while True:
        window = 2 * engine.slots
        while len(in_flight) < window and in_flight_bytes < max_bytes:
            nxt = None if exhausted else next(source, None)
            if nxt is None:
                exhausted = True
                nxt = deferred()
                if nxt is None:
                    break
            in_flight[engine.submit(nxt.data, nxt.name)] = nxt
            in_flight_bytes += len(nxt.data)
        if not in_flight:
            if not any_deferred():
                return
            time.sleep(0.25)
            continue
        done, _ = wait(in_flight, timeout=0.25 if exhausted and any_deferred() else None,
                       return_when=FIRST_COMPLETED)
        for fut in done:
            p = in_flight.pop(fut)
            in_flight_bytes -= len(p.data)
            state.extracted += 1
            save(fut.result(), p.name)
