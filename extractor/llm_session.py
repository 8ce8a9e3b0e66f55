"""One LLM client per command: a configured server, or the local llama-server started on first use."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

from .llm import LLMClient
from .local_model import LocalServer, start_local_server
from .settings import Settings


class _LazyLocalServer:
    """Starts the local server the first time a URL is needed; stop() is safe if it never ran."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.server: LocalServer | None = None
        self._lock = threading.Lock()

    def base_url(self) -> str:
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
def open_llm_session(settings: Settings) -> Iterator[LLMClient]:
    """Yield an LLMClient. With no EXTRACTOR_LLM_BASE_URL the built-in local model serves it,
    started lazily on the first request (so a run the rules settle never starts it) and
    stopped when the block exits."""
    if settings.llm_base_url:
        yield LLMClient(settings, settings.llm_base_url)
        return
    local = _LazyLocalServer(settings)
    try:
        yield LLMClient(settings, local.base_url)
    finally:
        local.stop()
