"""Where a batch's extractions run: this machine's worker processes, or a Ray cluster.

An engine takes one input as bytes and gives back a future of its result: an ExtractionResult,
or the same already packed for the store (store.PackedResult, made on the worker so that the
single writer of a run on many nodes only inserts rows). It never fails
an input by raising: a time limit, a crashed worker, a lost node or a bug comes back as a `failed`
result with the reason. Everything else (walking the archives, skipping what is stored, storing
each result in one transaction, progress) is the batch driver's (batch.py), the same for both.

    local.py        killable worker processes on this machine (workers.py): the default
    ray_cluster.py  one Ray task per input over a cluster's nodes; the built-in model, one
                    server per node (optional extra `.[ray]`)

    with open_engine(settings, llm_base_url=None, on_notice=notices.append) as engine:
        future = engine.submit(data, name)   # Future[ExtractionResult | PackedResult]
        engine.slots                         # inputs it extracts at once (a cluster may grow)
        engine.describe()                    # "2 nodes, 4 CPUs" for the run's summary
"""

from __future__ import annotations

from concurrent.futures import Future
from contextlib import contextmanager
from typing import Callable, Iterator, Protocol

from ..errors import EngineError
from ..result import ExtractionResult
from ..settings import Settings
from ..store import PackedResult

RAY_HINT = ("the Ray engine needs the optional extra 'ray': pip install 'gov-report-extractor[ray]' "
            "(in a checkout: .venv/bin/pip install -e '.[ray]')")


class Engine(Protocol):
    """Runs extractions; see the module docstring."""

    name: str                                     # "local" | "ray"

    @property
    def slots(self) -> int:
        """How many inputs it extracts at once (the driver keeps about twice that in flight)."""
        ...

    def submit(self, data: bytes, name: str) -> Future[ExtractionResult | PackedResult]:
        """Extract one input; the future's result is its result (EngineError: stop the run)."""
        ...

    def describe(self) -> str:
        """Its size in words, e.g. '2 worker processes' or '2 nodes, 4 CPUs'."""
        ...


@contextmanager
def open_engine(settings: Settings, *, llm_base_url: str | None = None,
                on_notice: Callable[[str], None] | None = None) -> Iterator[Engine]:
    """The engine `settings.engine` names, ready; closed (workers stopped, model servers too) on exit.

    `llm_base_url`: the model server every worker calls (else settings.llm_base_url, else the
    built-in local model, started only when a report needs it). EngineError: it cannot be used."""
    if settings.engine == "ray":
        try:
            import ray  # noqa: F401
        except ImportError as e:
            raise EngineError(f"--engine ray: {RAY_HINT}") from e
        from .ray_cluster import open_ray_engine

        with open_ray_engine(settings, llm_base_url=llm_base_url, on_notice=on_notice) as engine:
            yield engine
        return
    from .local import open_local_engine

    with open_local_engine(settings, llm_base_url=llm_base_url, on_notice=on_notice) as local:
        yield local
