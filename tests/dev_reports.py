"""The real hand-labelled reports under ../shared/reports/dev, as test cases."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from extractor.record import cell_values

REPO = Path(__file__).resolve().parents[1]


def _dev_dir() -> Path:
    env = os.environ.get("EXTRACTOR_DEV_REPORTS")
    for cand in ([Path(env)] if env else []) + [REPO.parent / "shared" / "reports" / "dev",
                                                  Path("/work/shared/reports/dev")]:
        if cand.is_dir():
            return cand
    raise RuntimeError("the dev reports (../shared/reports/dev) are not beside the repository")


DEV = _dev_dir()


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
