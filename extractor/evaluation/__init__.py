"""Eval suite: score extraction results against the hand-labelled dev reports."""

from __future__ import annotations

EVAL_VERSION = "1"
"""Version of the eval task: bump when the scoring rules or the metric definitions change,
so that figures from different versions are never compared as if they were alike."""

__all__ = ["EVAL_VERSION"]
