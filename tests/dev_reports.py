"""The real hand-labelled reports (the repository's evals/reports/, or EXTRACTOR_EVAL_REPORTS_DIR),
as test cases."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from extractor.evaluation.dataset import default_reports_dir
from extractor.record import cell_values

REPO = Path(__file__).resolve().parents[1]
DEV = default_reports_dir()


@dataclass(frozen=True)
class Case:
    report: str        # 'NNN'
    path: Path         # one input file of the report
    gold: dict

    @property
    def id(self) -> str:
        return f"{self.report}-{self.path.name}"


def dev_cases() -> list[Case]:
    cases = []
    for d in sorted(p for p in DEV.iterdir() if (p / "source.json").is_file()):
        source = json.loads((d / "source.json").read_text(encoding="utf-8"))
        gold = json.loads((d / "gold.json").read_text(encoding="utf-8"))
        for name in source["inputs"]:
            cases.append(Case(d.name, d / name, gold))
    return cases


def cell_paths(record: dict) -> dict[str, object]:
    """Every number of a record by its provenance path, e.g. 'applications.granted[6]'."""
    return cell_values(record)
