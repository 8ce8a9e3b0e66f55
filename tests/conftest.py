"""Shared pytest fixtures: the real local llama-server (started once per session, only by the
tests that ask for it) and a client on it; a results database of the dev reports (one batch run)."""

from __future__ import annotations

from pathlib import Path
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


@pytest.fixture(scope="session")
def dev_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results database made by a real batch run (rules only) over every input of the dev reports."""
    from extractor.batch import run_batch
    from tests.dev_reports import dev_cases

    db = tmp_path_factory.mktemp("dev-store") / "results.sqlite"
    run_batch([c.path for c in dev_cases()], Settings.from_env(env={}, llm="off"), db)
    return db
