"""The committed baseline of the rules-only eval, and the regressions of a run against it."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from . import EVAL_VERSION
from .dataset import repo_root
from .scorer import Metrics


def default_baseline_path() -> Path:
    return repo_root() / "evals" / "baseline.json"


class Baseline(BaseModel):
    """The figures a change must not make worse (rules-only run on the dev set)."""

    eval_version: str
    engine_version: str
    cases: int
    cells: int
    cells_correct: int
    cell_accuracy: float
    exact: int
    exact_numbers: int
    silent_errors: int


def baseline_from(metrics: Metrics, engine_version: str) -> Baseline:
    return Baseline(
        eval_version=EVAL_VERSION,
        engine_version=engine_version,
        cases=metrics.cases,
        cells=metrics.cells,
        cells_correct=metrics.cells_correct,
        cell_accuracy=metrics.cell_accuracy or 0.0,
        exact=metrics.exact,
        exact_numbers=metrics.exact_numbers,
        silent_errors=metrics.silent_errors,
    )


def load_baseline(path: Path) -> Baseline:
    return Baseline.model_validate(json.loads(path.read_text(encoding="utf-8")))


def save_baseline(baseline: Baseline, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(baseline.model_dump(), indent=1) + "\n", encoding="utf-8")


def regressions(metrics: Metrics, baseline: Baseline) -> list[str]:
    """Why this run is worse than the baseline; empty when it is not.

    Silent errors are held at 0 whatever the baseline says: an accepted wrong record is the
    one failure users cannot see.
    """
    problems: list[str] = []
    if baseline.eval_version != EVAL_VERSION:
        problems.append(f"baseline is for eval version {baseline.eval_version}, this is "
                        f"{EVAL_VERSION}: regenerate it with `extractor eval --update-baseline`")
    if metrics.cases != baseline.cases or metrics.cells != baseline.cells:
        problems.append(f"the dataset changed: {metrics.cases} cases / {metrics.cells} cells, baseline "
                        f"{baseline.cases} / {baseline.cells}")
    accuracy = metrics.cell_accuracy or 0.0
    if accuracy < baseline.cell_accuracy:
        problems.append(f"cell accuracy {accuracy:.6f} fell below the baseline {baseline.cell_accuracy:.6f} "
                        f"({metrics.cells_correct} vs {baseline.cells_correct} cells right)")
    if metrics.exact < baseline.exact:
        problems.append(f"exact reports {metrics.exact} fell below the baseline {baseline.exact}")
    if metrics.silent_errors > 0:
        problems.append(f"{metrics.silent_errors} silent error(s): accepted results that are wrong")
    if metrics.pretemplate > 0:
        problems.append(f"{metrics.pretemplate} labelled template report(s) taken as predating the national "
                        "template")
    return problems

