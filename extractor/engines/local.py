"""The local engine: killable worker processes on this machine (workers.py), one thread waiting on each."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Callable, Iterator, cast

from ..result import ExtractionResult
from ..settings import Settings
from ..store import PackedResult
from ..workers import Workers


def pool_size(settings: Settings) -> int:
    # LLM requests mostly wait on the server: allow up to llm_concurrency inputs at once then.
    return max(1, settings.workers if settings.llm == "off" else max(settings.workers, settings.llm_concurrency))


class LocalEngine:
    """`pool_size(settings)` worker processes; the model URL comes from `llm_url` (lazily)."""

    name = "local"

    def __init__(self, settings: Settings, llm_url: Callable[[], str] | None,
                 on_notice: Callable[[str], None] | None):
        size = pool_size(settings)
        self.workers = Workers(settings, size, llm_url=llm_url, on_notice=on_notice)
        self._threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="extract")

    @property
    def slots(self) -> int:
        return self.workers.size

    def submit(self, data: bytes, name: str) -> Future[ExtractionResult | PackedResult]:
        # packed by the driver when it stores it: one machine's workers never outrun its writer
        return cast("Future[ExtractionResult | PackedResult]", self._threads.submit(self.workers.run, data, name))

    def describe(self) -> str:
        n = self.workers.size
        return f"{n} worker process{'es' if n != 1 else ''} on this machine"

    def close(self) -> None:
        # the workers first: an input in progress comes back at once (failed, not stored) instead
        # of holding Ctrl-C until it finishes
        self.workers.close()
        self._threads.shutdown(wait=True, cancel_futures=True)


@contextmanager
def open_local_engine(settings: Settings, *, llm_base_url: str | None = None,
                      on_notice: Callable[[str], None] | None = None) -> Iterator[LocalEngine]:
    from ..llm import open_llm_url

    with open_llm_url(settings, llm_base_url) as url:
        engine = LocalEngine(settings, url, on_notice)
        try:
            yield engine
        finally:
            engine.close()
