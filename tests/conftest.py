"""Shared pytest fixtures: the real local llama-server (started once per session, only by the
tests that ask for it) and a client on it."""

from __future__ import annotations

from typing import Iterator

import pytest

from extractor.llm.client import LLMClient
from extractor.llm.local_server import LocalServer, start_local_server
from extractor.settings import Settings


@pytest.fixture(scope="session")
def local_server() -> Iterator[LocalServer]:
    """The built-in local model behind a real llama-server, started once, stopped after."""
    with start_local_server(Settings.from_env(env={})) as server:
        yield server


@pytest.fixture()
def local_client(local_server: LocalServer) -> LLMClient:
    return LLMClient(Settings.from_env(env={}), local_server.base_url)
