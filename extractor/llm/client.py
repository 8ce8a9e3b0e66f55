"""The model client: instructor over any OpenAI-compatible server, transport retries, check-driven
re-asks, and a ledger of every call.

Failure kinds stay apart:
    transport (connection, timeout, 429, 5xx)  -> retried here with backoff, then LLMTransportError
    the reply breaks the checks                -> re-asked with the section, last answer and the
                                                  numbered failing checks (not the chat history)
    the reply is not valid JSON for the schema -> one re-ask carrying the parse error
    the reply was cut off (finish_reason=length) -> one retry with twice the max_tokens, no re-ask
When the budget runs out: LLMAnswerError (an LLMOutputError) with the attempts and last answer.
Every request, failed or not, becomes an LLMCall in each open `ledger()` scope (one report's
result collects its own); the client keeps no list of its own, so a long `serve` stays flat.

Bounded waits: a report's calls together get a wall-clock budget (`ledger(budget_s=...)`), which
also ends a reply that drips in byte by byte (LLMBudgetError); once the server failed a report on
the transport, that report asks nothing more; `disable(reason)` stops every call (the circuit
breaker of a run, llm/breaker.py: LLMUnavailableError).
"""

from __future__ import annotations

import contextlib
import contextvars
import random
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence, TypeVar

import httpx2
import instructor
import openai
from instructor.core import IncompleteOutputException, InstructorRetryException
from pydantic import BaseModel
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
)

from ..errors import ConfigError, LLMAnswerError, LLMBudgetError, LLMTransportError, LLMUnavailableError
from ..result import LLMCall
from ..settings import Settings
from .prompts import Prompt, load_prompt

M = TypeVar("M", bound=BaseModel)
Checks = Callable[[Any], list[str]]

REASK_PROMPT = "reask.v1"

_MODES: dict[str, instructor.Mode] = {
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "tools": instructor.Mode.TOOLS,
    "json": instructor.Mode.JSON,
    "md_json": instructor.Mode.MD_JSON,
}


class _Retryable(Exception):
    """A transport failure worth another try; carries the server's Retry-After if any."""

    def __init__(self, cause: Exception, retry_after: float | None):
        super().__init__(str(cause))
        self.cause = cause
        self.retry_after = retry_after


# ---------------------------------------------------------------- one request


@dataclass
class _Reply:
    outcome: str                  # ok | invalid | truncated
    value: BaseModel | None
    raw: str | None               # the reply text (for re-asks and errors)
    error: str | None
    prompt_tokens: int
    completion_tokens: int
    model: str


def _retry_after(e: openai.APIStatusError) -> float | None:
    raw = e.response.headers.get("retry-after") if e.response is not None else None
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _transport_cause(e: BaseException) -> BaseException | None:
    """The openai transport error behind e (instructor wraps API errors in its retry exception)."""
    seen = 0
    while e is not None and seen < 5:
        if isinstance(e, (openai.APIConnectionError, openai.APIStatusError)):
            return e
        e = e.__cause__ or e.__context__  # type: ignore[assignment]
        seen += 1
    return None


def _completion_text(completion: Any) -> str | None:
    try:
        msg = completion.choices[0].message
    except (AttributeError, IndexError, TypeError):
        return None
    if getattr(msg, "content", None):
        return str(msg.content)
    calls = getattr(msg, "tool_calls", None)
    if calls:
        return str(calls[0].function.arguments)
    return None


def _usage(completion: Any) -> tuple[int, int]:
    usage = getattr(completion, "usage", None)
    if usage is None:
        return 0, 0
    return int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0)


# ---------------------------------------------------------------- the wall-clock budget


@dataclass
class _Scope:
    """One ledger block (e.g. one report): its calls, its deadline, whether the server failed it."""

    calls: list[LLMCall]
    deadline: float | None = None
    transport_failed: str | None = None


class _DeadlineStream(httpx2.SyncByteStream):
    """A response body that stops when the deadline passes, however slowly the bytes come."""

    def __init__(self, inner: Any, deadline: float):
        self.inner = inner
        self.deadline = deadline

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            if time.monotonic() > self.deadline:
                raise httpx2.ReadTimeout("the report's model budget ran out while the reply was arriving")
            yield chunk

    def close(self) -> None:
        self.inner.close()


class _DeadlineTransport(httpx2.BaseTransport):
    """Every timeout of a request capped by the current deadline; the body read checked against it."""

    def __init__(self, inner: httpx2.BaseTransport, deadline: Callable[[], float | None]):
        self.inner = inner
        self.deadline = deadline

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        deadline = self.deadline()
        if deadline is None:
            return self.inner.handle_request(request)
        left = deadline - time.monotonic()
        if left <= 0:
            raise httpx2.ConnectTimeout("the report's model budget ran out", request=request)
        timeouts = dict(request.extensions.get("timeout") or {})
        request.extensions["timeout"] = {k: min(v, left) if v is not None else left
                                         for k, v in {**dict.fromkeys(("connect", "read", "write", "pool")),
                                                      **timeouts}.items()}
        response = self.inner.handle_request(request)
        return httpx2.Response(response.status_code, headers=response.headers,
                               stream=_DeadlineStream(response.stream, deadline),
                               extensions=response.extensions, request=request)

    def close(self) -> None:
        self.inner.close()


# ---------------------------------------------------------------- the client


class LLMClient:
    """An OpenAI-compatible endpoint behind instructor, with our own retry/re-ask policy.

    base_url: a URL, or a callable giving one on first use (the local server starts lazily).
    """

    def __init__(self, settings: Settings, base_url: str | Callable[[], str] | None = None, *,
                 backoff_s: float = 0.5, retry_after_cap_s: float = 10.0):
        self.settings = settings
        self._base_url = base_url if base_url is not None else settings.llm_base_url
        if self._base_url is None:
            raise ConfigError("no LLM base URL: set EXTRACTOR_LLM_BASE_URL or use extractor.llm.open_llm")
        self.backoff_s = backoff_s
        self.retry_after_cap_s = retry_after_cap_s
        self.mode = _MODES[settings.llm_mode]
        self._client: Any = None
        self._lock = threading.Lock()
        self._gate = threading.Semaphore(max(1, settings.llm_concurrency))
        self._prompts: dict[str, Prompt] = {}
        self._scopes: contextvars.ContextVar[tuple[_Scope, ...]] = \
            contextvars.ContextVar(f"llm_ledger_{id(self)}", default=())
        self.disabled: str | None = None   # set: no call is made (why: the circuit breaker's notice)

    # -- plumbing

    def _instructor(self) -> Any:
        with self._lock:
            if self._client is None:
                url = self._base_url() if callable(self._base_url) else self._base_url
                http = httpx2.Client(transport=_DeadlineTransport(httpx2.HTTPTransport(), self._deadline),
                                     timeout=self.settings.llm_timeout_s)
                raw = openai.OpenAI(base_url=url, api_key=self.settings.llm_api_key,
                                    timeout=self.settings.llm_timeout_s, max_retries=0, http_client=http)
                self._client = instructor.from_openai(raw, mode=self.mode)
            return self._client

    def prompt(self, ref: str) -> Prompt:
        if ref not in self._prompts:
            self._prompts[ref] = load_prompt(self.settings.prompts_dir, ref)
        return self._prompts[ref]

    @contextlib.contextmanager
    def ledger(self, budget_s: float | None = None) -> Iterator[list[LLMCall]]:
        """Collect the calls made inside this block (per thread / context), e.g. one report.

        budget_s: wall clock for every call inside the block together (LLMBudgetError after)."""
        scope = _Scope([], time.monotonic() + budget_s if budget_s is not None else None)
        token = self._scopes.set(self._scopes.get() + (scope,))
        try:
            yield scope.calls
        finally:
            self._scopes.reset(token)

    def disable(self, reason: str | None) -> None:
        """Stop (reason) or allow again (None) every call of this client."""
        self.disabled = reason

    def _deadline(self) -> float | None:
        deadlines = [s.deadline for s in self._scopes.get() if s.deadline is not None]
        return min(deadlines) if deadlines else None

    def _left(self, purpose: str) -> float | None:
        """Seconds left in the budget (None: no budget); LLMBudgetError when none are."""
        deadline = self._deadline()
        if deadline is None:
            return None
        left = deadline - time.monotonic()
        if left <= 0:
            raise LLMBudgetError(f"{purpose}: the model budget of this report "
                                 f"(EXTRACTOR_LLM_REPORT_BUDGET_S={self.settings.llm_report_budget_s:g}) ran out")
        return left

    def _record(self, call: LLMCall) -> None:
        # only the open ledger scopes keep calls: a long-lived client (serve) holds none itself
        for scope in self._scopes.get():
            scope.calls.append(call)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            wait = min(max(exc.retry_after, 0.0), self.retry_after_cap_s)
        else:
            # exponential backoff with full jitter
            wait = random.uniform(0, self.backoff_s * 2 ** (state.attempt_number - 1))
        deadline = self._deadline()
        return wait if deadline is None else max(0.0, min(wait, deadline - time.monotonic()))

    def _request(self, messages: list[dict[str, str]], response_model: type[M], *,
                 purpose: str, prompt_ref: str, attempt: int, max_tokens: int) -> _Reply:
        """One logical request: transport retries inside, one LLMCall per HTTP attempt."""
        client = self._instructor()

        def once() -> _Reply:
            self._left(purpose)
            t0 = time.monotonic()
            call = LLMCall(purpose=purpose, prompt_id=prompt_ref, attempt=attempt,
                           outcome="ok", model=self.settings.model_name)
            try:
                with self._gate:
                    value, completion = client.chat.completions.create_with_completion(
                        model=self.settings.model_name, messages=messages,
                        response_model=response_model, max_retries=0,
                        max_tokens=max_tokens, temperature=0,
                    )
                reply = _Reply("ok", value, _completion_text(completion), None,
                               *_usage(completion), getattr(completion, "model", "") or "")
            except IncompleteOutputException as e:
                completion = e.last_completion
                reply = _Reply("truncated", None, _completion_text(completion),
                               "finish_reason=length", *_usage(completion),
                               getattr(completion, "model", "") or "")
            except InstructorRetryException as e:
                cause = _transport_cause(e)
                if cause is not None and not e.failed_attempts:
                    call.outcome, call.error = "transport_error", f"{type(cause).__name__}: {cause}"
                    call.latency_s = time.monotonic() - t0
                    self._record(call)
                    self._raise_transport(cause)
                completion = e.last_completion
                reply = _Reply("invalid", None, _completion_text(completion),
                               _short_error(e), *_usage(completion),
                               getattr(completion, "model", "") or "")
            except (openai.APIConnectionError, openai.APIStatusError) as e:
                call.outcome, call.error = "transport_error", f"{type(e).__name__}: {e}"
                call.latency_s = time.monotonic() - t0
                self._record(call)
                self._raise_transport(e)
            call.latency_s = time.monotonic() - t0
            call.outcome = reply.outcome
            call.error = reply.error
            call.prompt_tokens, call.completion_tokens = reply.prompt_tokens, reply.completion_tokens
            call.model = reply.model or call.model
            reply.outcome = call.outcome
            self._record(call)
            return reply

        retrying = Retrying(
            stop=stop_after_attempt(max(1, self.settings.llm_transport_attempts)),
            retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
            wait=self._wait,
            reraise=True,
        )
        try:
            return retrying(once)
        except _Retryable as e:
            self._fail_scope(f"{type(e.cause).__name__}: {e.cause}")
            deadline = self._deadline()
            if deadline is not None and time.monotonic() >= deadline:
                self._mark_budget()
                raise LLMBudgetError(
                    f"{purpose}: the model budget of this report (EXTRACTOR_LLM_REPORT_BUDGET_S="
                    f"{self.settings.llm_report_budget_s:g}) ran out: {type(e.cause).__name__}: {e.cause}"
                ) from e.cause
            raise LLMTransportError(
                f"{purpose}: the LLM server kept failing after "
                f"{self.settings.llm_transport_attempts} attempts: {type(e.cause).__name__}: {e.cause}"
            ) from e.cause
        except LLMTransportError as e:
            if isinstance(e, LLMBudgetError):
                self._mark_budget()
            self._fail_scope(str(e))
            raise

    def _mark_budget(self) -> None:
        # the ledger says the last request ended because the report's budget did
        scopes = self._scopes.get()
        if scopes and scopes[-1].calls and scopes[-1].calls[-1].outcome == "transport_error":
            scopes[-1].calls[-1].outcome = "budget_exceeded"

    def _fail_scope(self, why: str) -> None:
        for scope in self._scopes.get():
            scope.transport_failed = scope.transport_failed or why

    def _refuse(self, purpose: str) -> None:
        """Raise instead of calling: the client is disabled, or the server already failed this report."""
        if self.disabled:
            raise LLMUnavailableError(f"{purpose}: not asked: {self.disabled}")
        failed = next((s.transport_failed for s in self._scopes.get() if s.transport_failed), None)
        if failed:
            raise LLMUnavailableError(f"{purpose}: not asked: the model server already failed on this report "
                                      f"({failed[:200]})")
        self._left(purpose)

    @staticmethod
    def _raise_transport(e: BaseException) -> None:
        if isinstance(e, openai.APIConnectionError):   # includes APITimeoutError
            raise _Retryable(e, None) from e
        if isinstance(e, openai.APIStatusError):
            if e.status_code == 429:
                raise _Retryable(e, _retry_after(e)) from e
            if e.status_code >= 500:
                raise _Retryable(e, None) from e
            # 4xx other than 429: a wrong request or configuration; retrying will not help
            raise LLMTransportError(f"the LLM server refused the request: {e}") from e
        raise LLMTransportError(str(e)) from e

    # -- the public entry point

    def ask(self, prompt_ref: str, variables: Mapping[str, object], response_model: type[M],
            checks: Checks | None = None, *, purpose: str | None = None,
            max_tokens: int | None = None, first_answer: M | None = None) -> M:
        """Ask, check, re-ask (bounded); return the first answer that passes `checks`.

        `checks(answer)` returns human-readable failed checks (empty = pass). `first_answer`
        starts the loop from a previous answer (it is checked, and re-asked if it fails), so a
        caller can have the model repair an answer it got elsewhere.
        Raises LLMAnswerError (reason failed_checks | invalid | truncated) or LLMTransportError.
        """
        prompt = self.prompt(prompt_ref)
        purpose = purpose or prompt.id
        self._refuse(purpose)
        task_messages = prompt.render(variables)
        messages = task_messages
        tokens = max_tokens or self.settings.llm_max_tokens
        reasks = invalid_reasks = truncation_retries = 0
        attempt = 0
        ref = prompt.ref
        last_answer: Any = None
        pending: BaseModel | None = first_answer
        with self.ledger() as mine:
            while True:
                if pending is not None:
                    value: BaseModel | None = pending
                    raw = pending.model_dump_json()
                    pending = None
                    outcome = "ok"
                else:
                    attempt += 1
                    reply = self._request(messages, response_model, purpose=purpose,
                                          prompt_ref=ref, attempt=attempt, max_tokens=tokens)
                    value, raw, outcome = reply.value, reply.raw or "", reply.outcome
                    if outcome == "truncated":
                        last_answer = raw
                        if truncation_retries >= 1:
                            raise LLMAnswerError(
                                f"{purpose}: the reply was cut off at max_tokens={tokens} "
                                "(finish_reason=length)", reason="truncated",
                                attempts=list(mine), last_answer=raw)
                        truncation_retries += 1
                        tokens *= 2      # same request, more room; never a re-ask
                        continue
                    if outcome == "invalid":
                        last_answer = raw
                        if invalid_reasks >= 1 or reasks >= self.settings.llm_max_reasks:
                            raise LLMAnswerError(
                                f"{purpose}: the reply is not valid for the schema: {reply.error}",
                                reason="invalid", attempts=list(mine), last_answer=raw,
                                failed_checks=[reply.error or "invalid"])
                        invalid_reasks += 1
                        reasks += 1
                        messages = self._reask(task_messages, raw or "",
                                               [f"回答不是符合要求的JSON：{reply.error}"])
                        ref = f"{prompt.ref}+{REASK_PROMPT}"
                        continue
                assert value is not None
                last_answer = value.model_dump(mode="json")
                problems = checks(value) if checks else []
                if not problems:
                    return value  # type: ignore[return-value]
                if mine:
                    # the ledger says this answer came back but failed the checks
                    mine[-1].outcome = "failed_checks"
                    mine[-1].error = "; ".join(problems)[:500]
                if reasks >= self.settings.llm_max_reasks:
                    raise LLMAnswerError(
                        f"{purpose}: the answer still fails {len(problems)} check(s) after "
                        f"{reasks} re-ask(s): " + "; ".join(problems[:3]),
                        reason="failed_checks", attempts=list(mine), last_answer=last_answer,
                        failed_checks=problems)
                reasks += 1
                messages = self._reask(task_messages, raw or "", problems)
                ref = f"{prompt.ref}+{REASK_PROMPT}"

    def _reask(self, task_messages: list[dict[str, str]], previous: str,
               problems: Sequence[str]) -> list[dict[str, str]]:
        """A fresh request: the original task (with its section text), our last answer, the
        numbered failed checks. Never the growing chat history."""
        reask = self.prompt(REASK_PROMPT)
        numbered = "\n".join(f"{i}. {p}" for i, p in enumerate(problems, 1))
        task = "\n\n".join(m["content"] for m in task_messages if m["role"] == "user")
        system = [m for m in task_messages if m["role"] == "system"]
        rendered = reask.render({"task": task, "answer": previous, "problems": numbered})
        return system + [m for m in rendered if m["role"] == "user"]


def _short_error(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return (text[0] if text else type(e).__name__)[:300]


def usage_totals(calls: Sequence[LLMCall]) -> dict[str, float]:
    """Totals for a report: requests, tokens, seconds, re-asks."""
    return {
        "requests": len(calls),
        "prompt_tokens": sum(c.prompt_tokens for c in calls),
        "completion_tokens": sum(c.completion_tokens for c in calls),
        "seconds": round(sum(c.latency_s for c in calls), 3),
        "reasks": sum(1 for c in calls if "+" in c.prompt_id),
    }
