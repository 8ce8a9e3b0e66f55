"""Run the pipeline over every case, score it, and gather the evidence for the wrong cells."""

from __future__ import annotations

import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, Field

from ..result import CellProvenance, ExtractionResult
from ..settings import Settings
from ..version import ENGINE_VERSION
from . import EVAL_VERSION
from .dataset import Case
from .scorer import CaseScore, FieldErrors, Metrics, aggregate, field_errors, group_by, score_case

SNIPPET_CONTEXT = 40  # characters of source text shown on each side of a wrong number


class CellEvidence(BaseModel):
    """A wrong cell beside its gold value, with where the result says it came from."""

    path: str
    gold: int | float
    got: int | float | None
    method: str | None = None
    label: str | None = None
    before: str = ""              # source text before the number
    value_text: str = ""          # the number as printed (the provenance span)
    after: str = ""
    note: str | None = None


class CaseOutcome(BaseModel):
    case: Case
    result: ExtractionResult
    score: CaseScore
    evidence: list[CellEvidence] = Field(default_factory=list)
    source_note: str | None = None    # why no snippets could be cut, if so


class EvalRun(BaseModel):
    """Everything one eval run produced: per-case outcomes and the aggregated metrics."""

    eval_version: str = EVAL_VERSION
    engine_version: str = ENGINE_VERSION
    llm: str
    llm_model: str | None = None
    reports_dir: str
    started_at: str
    wall_seconds: float
    outcomes: list[CaseOutcome]
    overall: Metrics
    by_format: dict[str, Metrics]
    by_template: dict[str, Metrics]
    by_producer: dict[str, Metrics]
    by_report: dict[str, Metrics]
    field_errors: FieldErrors


def run_eval(cases: list[Case], settings: Settings, *, reports_dir: Path, llm: Any = None,
             on_case: Callable[[CaseOutcome], None] | None = None) -> EvalRun:
    """Extract and score every case; `on_case` is told about each one as it finishes."""
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    outcomes: list[CaseOutcome] = []
    for case in cases:
        outcome = run_case(case, settings, llm=llm)
        outcomes.append(outcome)
        if on_case:
            on_case(outcome)
    scores = [o.score for o in outcomes]
    return EvalRun(
        llm=settings.llm,
        llm_model=settings.model_name if settings.llm != "off" else None,
        reports_dir=str(reports_dir),
        started_at=started_at,
        wall_seconds=round(time.perf_counter() - t0, 3),
        outcomes=outcomes,
        overall=aggregate(scores),
        by_format=group_by(scores, "format"),
        by_template=group_by(scores, "template"),
        by_producer=group_by(scores, "producer"),
        by_report=group_by(scores, "report"),
        field_errors=field_errors(scores),
    )


def run_case(case: Case, settings: Settings, *, llm: Any = None) -> CaseOutcome:
    """Extract one case and score it. A crash of the pipeline is scored as a failed case."""
    from ..pipeline import extract_file  # local import: the pipeline pulls in every loader

    crashed = False
    t0 = time.perf_counter()
    try:
        result = extract_file(case.path, settings, llm=llm)
    except Exception as e:
        crashed = True
        last = traceback.extract_tb(e.__traceback__)[-1:]
        where = f" at {last[0].filename}:{last[0].lineno}" if last else ""
        message = f"extract_file raised {type(e).__name__}: {e}{where}"
        result = ExtractionResult(source=str(case.path), status="failed", error=message,
                                  reasons=[message], seconds=round(time.perf_counter() - t0, 4))
    score = score_case(result, case.gold, report=case.report, input_name=case.input, crashed=crashed,
                       producer=case.producer)
    evidence, note = _evidence(case, result, score, settings)
    return CaseOutcome(case=case, result=result, score=score, evidence=evidence, source_note=note)


def _evidence(case: Case, result: ExtractionResult, score: CaseScore,
              settings: Settings) -> tuple[list[CellEvidence], str | None]:
    if not score.wrong_cells or result.record is None:
        return [], None  # a failed case has every cell wrong: listing them shows nothing
    provenance: dict[str, CellProvenance] = {p.field: p for p in result.provenance}
    text, note = (None, None)
    if result.status != "failed" and any(p.span for p in provenance.values()):
        text, note = _source_text(case.path, settings)
    evidence = []
    for w in score.wrong_cells:
        p = provenance.get(w.path)
        ev = CellEvidence(path=w.path, gold=w.gold, got=w.got)
        if p is not None:
            ev.method, ev.label, ev.note = p.method, p.label, p.note
            if p.span is not None and text is not None:
                ev.before, ev.value_text, ev.after = cut_snippet(text, p.span.start, p.span.end)
        evidence.append(ev)
    return evidence, note


def _source_text(path: Path, settings: Settings) -> tuple[str | None, str | None]:
    """The loaded document text the provenance spans point into, or why it is unavailable."""
    try:
        from ..load import load_document
    except ImportError as e:
        return None, f"no source snippets: extractor.load.load_document unavailable ({e})"
    try:
        return load_document(path, settings).text, None
    except Exception as e:
        return None, f"no source snippets: loading failed ({type(e).__name__}: {e})"


def cut_snippet(text: str, start: int, end: int, context: int = SNIPPET_CONTEXT) -> tuple[str, str, str]:
    """(before, value, after) around the half-open span [start, end) of `text`."""
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    return text[max(0, start - context):start], text[start:end], text[end:end + context]
