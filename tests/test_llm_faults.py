"""The LLM client against a real HTTP server on 127.0.0.1 that misbehaves on purpose."""

from __future__ import annotations

import json
import socket

import openai
import pytest
from pydantic import BaseModel

from extractor.errors import LLMAnswerError, LLMOutputError, LLMTransportError
from extractor.llm.client import LLMClient
from extractor.llm.prompts import load_prompt
from extractor.settings import Settings
from tests.fault_server import FaultServer, Reply, completion

SENTENCE = "2024年，全市共受理政府信息公开申请3119件。"
VARS = {"sentence": SENTENCE, "fields": "- received: 受理的申请数（件）"}


class Received(BaseModel):
    received: int


def in_sentence(answer: Received) -> list[str]:
    """Deterministic check: the number must be printed in the sentence."""
    return [] if str(answer.received) in SENTENCE else [f"received：句子里没有数字 {answer.received}"]


def client_for(url: str, **overrides: object) -> LLMClient:
    values: dict[str, object] = {"llm_base_url": url, "llm_timeout_s": 2.0,
                                 "llm_transport_attempts": 3, "llm_max_reasks": 2}
    settings = Settings.from_env(env={}, **{**values, **overrides})
    return LLMClient(settings, backoff_s=0.05, retry_after_cap_s=2.0)


def ask(client: LLMClient, checks=in_sentence) -> Received:
    return client.ask("prose_figures.v1", VARS, Received, checks)


OK = Reply(body=completion('{"received": 3119}'))


def test_500_then_ok_is_retried():
    with FaultServer([Reply(500, {"error": {"message": "boom"}}), OK]) as fs:
        c = client_for(fs.base_url)
        with c.ledger() as calls:
            assert ask(c).received == 3119
    assert [x.outcome for x in calls] == ["transport_error", "ok"]
    assert len(fs.requests) == 2
    assert calls[1].prompt_tokens == 50 and calls[1].prompt_id == "prose_figures.v1"


def test_429_with_retry_after_is_retried():
    with FaultServer([Reply(429, {"error": {"message": "slow down"}}, {"Retry-After": "1"}),
                      OK]) as fs:
        c = client_for(fs.base_url)
        with c.ledger() as calls:
            assert ask(c).received == 3119
    assert [x.outcome for x in calls] == ["transport_error", "ok"]
    assert "RateLimitError" in (calls[0].error or "")


def test_persistent_500_raises_transport_error_after_bounded_attempts():
    with FaultServer([Reply(503, {"error": {"message": "down"}})]) as fs:
        c = client_for(fs.base_url)
        with c.ledger() as calls, pytest.raises(LLMTransportError) as err:
            ask(c)
    assert len(fs.requests) == 3
    assert [x.outcome for x in calls] == ["transport_error"] * 3
    assert isinstance(err.value.__cause__, openai.InternalServerError)


def test_timeout_raises_transport_error():
    with FaultServer([Reply(body=completion('{"received": 3119}'), delay_s=3.0)]) as fs:
        c = client_for(fs.base_url, llm_timeout_s=0.5, llm_transport_attempts=2)
        with c.ledger() as calls, pytest.raises(LLMTransportError) as err:
            ask(c)
    assert len(calls) == 2
    assert isinstance(err.value.__cause__, openai.APITimeoutError)


def test_connection_refused_raises_transport_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = client_for(f"http://127.0.0.1:{port}/v1", llm_transport_attempts=2)
    with pytest.raises(LLMTransportError):
        ask(c)


def test_400_is_not_retried():
    with FaultServer([Reply(400, {"error": {"message": "bad request"}})]) as fs:
        c = client_for(fs.base_url)
        with pytest.raises(LLMTransportError):
            ask(c)
    assert len(fs.requests) == 1


def test_invalid_json_is_reasked_once_with_the_error():
    with FaultServer([Reply(body=completion('{"received": "three')), OK]) as fs:
        c = client_for(fs.base_url)
        with c.ledger() as calls:
            assert ask(c).received == 3119
    assert [x.outcome for x in calls] == ["invalid", "ok"]
    assert calls[1].prompt_id == "prose_figures.v1+reask.v1"
    reask = fs.requests[1]["messages"][-1]["content"]
    assert '{"received": "three' in reask and "JSON" in reask


def test_invalid_json_twice_fails_with_reason_invalid():
    with FaultServer([Reply(body=completion("not json at all"))]) as fs:
        c = client_for(fs.base_url)
        with pytest.raises(LLMAnswerError) as err:
            ask(c)
    assert err.value.reason == "invalid" and isinstance(err.value, LLMOutputError)
    assert len(fs.requests) == 2
    assert err.value.last_answer == "not json at all"


def test_failed_checks_are_reasked_with_answer_and_numbered_checks_not_history():
    with FaultServer([Reply(body=completion('{"received": 34}')), OK]) as fs:
        c = client_for(fs.base_url)
        with c.ledger() as calls:
            assert ask(c).received == 3119
    assert [x.outcome for x in calls] == ["failed_checks", "ok"]
    assert "句子里没有数字 34" in (calls[0].error or "")
    second = fs.requests[1]["messages"]
    # a fresh request: system + one user message, never the appended assistant turn
    assert [m["role"] for m in second] == ["system", "user"]
    text = second[-1]["content"]
    assert SENTENCE in text and '{"received": 34}' in text and "1. received：句子里没有数字 34" in text


def test_answer_failing_checks_every_time_ends_in_output_error():
    with FaultServer([Reply(body=completion('{"received": 34}'))]) as fs:
        c = client_for(fs.base_url)
        with pytest.raises(LLMAnswerError) as err:
            ask(c)
    assert err.value.reason == "failed_checks"
    assert len(err.value.attempts) == 3 == len(fs.requests)      # first + llm_max_reasks
    assert err.value.last_answer == {"received": 34}
    assert err.value.prompt_tokens == 150


def test_truncated_output_is_retried_with_more_room_then_fails_without_reask():
    cut = Reply(body=completion('{"rece', finish_reason="length"))
    with FaultServer([cut]) as fs:
        c = client_for(fs.base_url, llm_max_tokens=64)
        with c.ledger() as calls, pytest.raises(LLMAnswerError) as err:
            ask(c)
    assert err.value.reason == "truncated"
    assert [x.outcome for x in calls] == ["truncated", "truncated"]
    assert [r["max_tokens"] for r in fs.requests] == [64, 128]
    assert fs.requests[0]["messages"] == fs.requests[1]["messages"]   # not a re-ask


def test_request_uses_json_schema_response_format_and_pinned_prompt():
    with FaultServer([OK]) as fs:
        c = client_for(fs.base_url)
        ask(c)
    fmt = fs.requests[0]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"]["required"] == ["received"]
    prompt = load_prompt(c.settings.prompts_dir, "prose_figures")
    assert prompt.ref == "prose_figures.v1"
    assert json.dumps(SENTENCE, ensure_ascii=False)[1:-1] in fs.requests[0]["messages"][-1]["content"]
