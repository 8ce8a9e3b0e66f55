"""accepted or review, and why: the decision from the findings."""

from __future__ import annotations

from .result import Finding, Status


def decide(findings: list[Finding]) -> tuple[Status, list[str]]:
    """`accepted` only when nothing needs a human: every cell found and tied to its label, every
    rule holds or its break is printed in the report itself. Otherwise `review`, with the reasons."""
    reasons = [f.message for f in findings if f.severity == "review"]
    if reasons:
        return "review", reasons
    printed = [f.message for f in findings if f.severity == "source"]
    return "accepted", printed
