"""Other producers' renderings of the labelled reports (tests/data/renderings): exact and accepted
where the file carries every number, otherwise review naming every cell it could not read; never
accepted when wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor.pipeline import extract_file
from extractor.record import cell_values
from extractor.settings import Settings
from tests.dev_reports import DEV

DATA = Path(__file__).parent / "data" / "renderings"
MANIFEST: dict[str, dict] = json.loads((DATA / "manifest.json").read_text(encoding="utf-8"))
SETTINGS = Settings(llm="off")


@pytest.mark.parametrize("name", sorted(MANIFEST), ids=sorted(MANIFEST))
def test_rendering(name: str) -> None:
    entry = MANIFEST[name]
    gold = json.loads((DEV / entry["report"] / "gold.json").read_text(encoding="utf-8"))
    r = extract_file(DATA / name, SETTINGS)
    if entry["exact"]:
        assert r.record == gold
        assert r.status == "accepted", r.reasons
        return
    assert r.status == "review" and r.reasons
    if entry.get("cells"):
        # every number read right, in reading order, though not every one can be confirmed
        assert cell_values(r.record) == cell_values(gold)
    named = {c for f in r.findings if f.severity in ("review", "source") for c in f.cells}
    got, want = cell_values(r.record), cell_values(gold)
    unnamed = [p for p, v in want.items() if got.get(p) != v and p not in named]
    assert unnamed == []
