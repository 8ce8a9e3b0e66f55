"""Shared LLM fixtures: the real local llama-server for the session, report texts."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from extractor.llm.client import LLMClient
from extractor.llm.local_server import LocalServer, start_local_server
from extractor.settings import Settings

from dev_reports import DEV  # noqa: E402  (evals/reports, the labelled reports)


def report_text(number: str, name: str | None = None) -> str:
    """The text of a dev report's input `name` (default: the first that is PDF or plain text;
    PDF via pdfplumber, text files as UTF-8)."""
    import json

    folder = DEV / number
    inputs = json.loads((folder / "source.json").read_text(encoding="utf-8"))["inputs"]
    name = name or next(n for n in inputs if n.endswith((".pdf", ".txt", ".md")))
    path = folder / name
    if path.suffix == ".pdf":
        import pdfplumber

        with pdfplumber.open(path) as pdf:
            return "\n".join(page.extract_text() or "" for page in pdf.pages)
    return path.read_text(encoding="utf-8")


def gold(number: str) -> dict:
    import json

    return json.loads((DEV / number / "gold.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def local_server() -> Iterator[LocalServer]:
    """The built-in local model behind a real llama-server, started once, stopped after."""
    with start_local_server(Settings.from_env(env={})) as server:
        yield server


@pytest.fixture()
def local_client(local_server: LocalServer) -> LLMClient:
    return LLMClient(Settings.from_env(env={}), local_server.base_url)
