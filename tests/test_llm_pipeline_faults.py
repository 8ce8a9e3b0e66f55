"""A dead or failing model server during `extractor extract`: the reports that needed the model
go to review saying why, every other report is untouched, and the run ends in bounded time."""

from __future__ import annotations

import json
import socket

from click.testing import CliRunner

from extractor.cli import main
from tests.dev_reports import DEV
from tests.fault_server import FaultServer, Reply

FILES = [DEV / "016" / "page.txt", DEV / "010" / "page.txt", DEV / "018" / "page.txt"]


def _run(base_url: str) -> list[dict]:
    env = {"EXTRACTOR_LLM": "auto", "EXTRACTOR_LLM_BASE_URL": base_url, "EXTRACTOR_LLM_TIMEOUT_S": "2",
           "EXTRACTOR_LLM_TRANSPORT_ATTEMPTS": "2"}
    res = CliRunner().invoke(main, ["extract", "--no-provenance", *map(str, FILES)], env=env,
                             catch_exceptions=False)
    assert res.exit_code == 0
    assert "API call failed" not in res.stderr  # the client library's own log lines stay quiet
    return [json.loads(line) for line in res.stdout.strip().split("\n")]


def _check(rows: list[dict], why: str) -> None:
    assert [r["status"] for r in rows] == ["accepted", "review", "accepted"]
    gold = json.loads((DEV / "010" / "gold.json").read_text(encoding="utf-8"))
    glued = rows[1]
    # the rules' reading is kept: 表三/表四 exact, 表二's glued run listed with its readings
    assert glued["record"]["applications"] == gold["applications"]
    assert any("could not help" in r and why in r for r in glued["reasons"]), glued["reasons"]
    assert any("693665" in r for r in glued["reasons"])
    assert glued["llm_usage"] and all(c["outcome"] != "ok" for c in glued["llm_usage"])
    assert rows[0]["llm_usage"] == [] and rows[2]["llm_usage"] == []


def test_server_answering_500_sends_only_the_report_that_needed_it_to_review() -> None:
    with FaultServer([Reply(500, {"error": {"message": "internal failure"}})]) as fs:
        rows = _run(fs.base_url)
    _check(rows, "kept failing after 2 attempts")
    assert len(fs.requests) == 2  # bounded: the configured two attempts, no more


def test_dead_server_is_a_reason_not_a_crash() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rows = _run(f"http://127.0.0.1:{port}/v1")
    _check(rows, "Connection error")
