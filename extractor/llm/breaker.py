"""The circuit breaker: after several reports in a row whose model calls all failed on the
transport, the server is not called again (for the rest of the run, or until a cool-down)."""

from __future__ import annotations

import time
from typing import Sequence

from ..result import LLMCall

# ledger outcomes that say the server (not the model's answer) failed
TRANSPORT_OUTCOMES = ("transport_error", "budget_exceeded")


class Breaker:
    """Counts reports whose model calls all failed on the transport; opens at `threshold`.

    `record` returns the notice to show once, when it opens. `reset_after_s`: close again after
    that long (a long-running service); None: open for good (one batch run)."""

    def __init__(self, threshold: int, reset_after_s: float | None = None):
        self.threshold = max(1, threshold)
        self.reset_after_s = reset_after_s
        self.failures = 0
        self._reason: str | None = None
        self._opened_at = 0.0

    @property
    def reason(self) -> str | None:
        """Why the server is not called (None: closed)."""
        if self._reason and self.reset_after_s is not None and \
                time.monotonic() - self._opened_at > self.reset_after_s:
            self._reason, self.failures = None, 0
        return self._reason

    def record(self, calls: Sequence[LLMCall]) -> str | None:
        """One report's model calls (its ledger). Returns the notice when the breaker opens now."""
        if not calls or self.reason:
            return None
        if not all(c.outcome in TRANSPORT_OUTCOMES for c in calls):
            self.failures = 0
            return None
        self.failures += 1
        if self.failures < self.threshold:
            return None
        last = next((c.error for c in reversed(calls) if c.error), None) or "no answer"
        self._reason = (f"the model server failed on {self.failures} reports in a row ({last[:160]}); "
                        "it is not called again" + (" in this run" if self.reset_after_s is None
                                                    else f" for {self.reset_after_s:g} s"))
        self._opened_at = time.monotonic()
        return self._reason
