"""The eval scorer on real gold records altered in known ways: exact metric values."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from extractor.evaluation.dataset import Case, default_reports_dir, load_cases
from extractor.evaluation.scorer import (
    CaseScore,
    WrongCell,
    aggregate,
    column_of,
    field_errors,
    group_by,
    number_cells,
    score_case,
)
from extractor.record import empty_record, parse_record, record_to_dict
from extractor.result import ExtractionResult, LLMCall


@pytest.fixture(scope="module")
def golds() -> dict[str, dict[str, Any]]:
    return {c.report: c.gold for c in load_cases(default_reports_dir())}


def _score(gold: dict[str, Any], record: dict[str, Any] | None, status: str = "accepted",
           report: str = "001", fmt: str | None = "pdf", validate: bool = True, **extra: Any) -> CaseScore:
    if record is not None and validate:  # the altered record must still be a canonical record
        record = record_to_dict(parse_record(record))
    result = ExtractionResult(source="x", status=status, record=record, format=fmt, **extra)  # type: ignore[arg-type]
    return score_case(result, gold, report=report, input_name="in.pdf")


def test_cell_counts_per_template(golds: dict[str, dict[str, Any]]) -> None:
    # 2021: 25 rows x 7 + 15 + 10 active cells; 2019: 23 x 7 + 15 + 22 active cells
    assert len(number_cells(golds["001"])) == 200
    assert len(number_cells(golds["008"])) == 198
    assert number_cells(golds["001"])["applications.partially_granted[6]"] == 4
    assert number_cells(golds["001"])["active_disclosure.fees_wan_yuan"] == 7730.28
    assert "organization" not in number_cells(golds["001"])


def test_identical_record_is_exact(golds: dict[str, dict[str, Any]]) -> None:
    s = _score(golds["001"], copy.deepcopy(golds["001"]))
    assert (s.cells, s.cells_correct, s.wrong_cells) == (200, 200, [])
    assert s.exact and s.exact_numbers and not s.silent_error
    assert s.inconsistencies_found == ["review_total"] and s.inconsistencies_invented == []
    # gold prints an inconsistency, so the report is a real problem even when transcribed exactly
    assert s.real_problem


def test_one_wrong_cell(golds: dict[str, dict[str, Any]]) -> None:
    rec = copy.deepcopy(golds["001"])
    rec["applications"]["granted"][0] = 1
    s = _score(golds["001"], rec)
    assert s.cells_correct == 199
    assert s.wrong_cells == [WrongCell(path="applications.granted[0]", gold=0, got=1)]
    assert not s.exact and not s.exact_numbers
    assert s.silent_error  # accepted and wrong


def test_missing_row_set_to_zeros(golds: dict[str, dict[str, Any]]) -> None:
    rec = copy.deepcopy(golds["001"])
    rec["applications"]["unavailable_not_held"] = [0] * 7   # gold [10,0,0,0,0,0,10]
    s = _score(golds["001"], rec, status="review")
    assert s.cells_correct == 198
    assert [(w.path, w.gold, w.got) for w in s.wrong_cells] == [
        ("applications.unavailable_not_held[0]", 10, 0),
        ("applications.unavailable_not_held[6]", 10, 0),
    ]
    assert not s.silent_error and s.real_problem


def test_missing_row_removed(golds: dict[str, dict[str, Any]]) -> None:
    rec = copy.deepcopy(golds["001"])
    del rec["applications"]["unavailable_not_held"]
    s = _score(golds["001"], rec, validate=False)  # validation would fill the row with zeros
    # every cell of an absent row is wrong, its zeros included
    assert s.cells_correct == 193
    assert [w.path for w in s.wrong_cells] == [f"applications.unavailable_not_held[{i}]" for i in range(7)]
    assert all(w.got is None for w in s.wrong_cells)
    assert not s.exact_numbers and s.silent_error


def test_two_swapped_rows(golds: dict[str, dict[str, Any]]) -> None:
    rec = copy.deepcopy(golds["001"])
    apps = rec["applications"]
    apps["partially_granted"], apps["unavailable_needs_creation"] = (apps["unavailable_needs_creation"],
                                                                      apps["partially_granted"])
    s = _score(golds["001"], rec)
    # every sum still holds, yet 4 cells are wrong
    assert s.cells_correct == 196
    assert [(w.path, w.gold, w.got) for w in s.wrong_cells] == [
        ("applications.partially_granted[0]", 4, 3),
        ("applications.partially_granted[6]", 4, 3),
        ("applications.unavailable_needs_creation[0]", 3, 4),
        ("applications.unavailable_needs_creation[6]", 3, 4),
    ]
    assert s.silent_error


def test_wrong_template(golds: dict[str, dict[str, Any]]) -> None:
    gold = golds["008"]                                   # 2019 template
    rec = record_to_dict(empty_record("2021", year=gold["year"], organization=gold["organization"]))
    for key, row in gold["applications"].items():
        if key in rec["applications"]:
            rec["applications"][key] = list(row)
    rec["review_litigation"] = copy.deepcopy(gold["review_litigation"])
    s = _score(gold, rec, report="008")
    # shared paths: 22 application rows x 7 + 15 review cells = 169, all equal; the 22 active
    # disclosure cells and the 7 of other_processing exist only in the 2019 record: wrong
    assert (s.cells, s.cells_correct) == (198, 169)
    assert sum(w.path.startswith("active_disclosure.") for w in s.wrong_cells) == 22
    assert sum(w.path.startswith("applications.other_processing[") for w in s.wrong_cells) == 7
    assert not s.template_ok and s.year_ok and s.organization_ok
    assert s.template == "2019" and s.silent_error


def test_spurious_source_inconsistency(golds: dict[str, dict[str, Any]]) -> None:
    rec = copy.deepcopy(golds["002"])
    rec["source_inconsistencies"] = ["row_total"]
    s = _score(golds["002"], rec, report="002")
    assert s.cells_correct == 200 and s.wrong_cells == []
    assert s.inconsistencies_invented == ["row_total"] and s.inconsistencies_gold == []
    assert not s.inconsistencies_ok and not s.exact_numbers and s.silent_error


def test_missed_source_inconsistencies(golds: dict[str, dict[str, Any]]) -> None:
    rec = copy.deepcopy(golds["021"])
    rec["source_inconsistencies"] = ["balance"]
    s = _score(golds["021"], rec, status="review", report="021")
    assert s.inconsistencies_found == ["balance"] and s.inconsistencies_missed == ["processed_total"]
    assert s.cells_correct == 200 and not s.exact


def test_organization_only_is_not_silent(golds: dict[str, dict[str, Any]]) -> None:
    rec = copy.deepcopy(golds["001"])
    rec["organization"] = "洪泽区人民政府"
    s = _score(golds["001"], rec)
    assert not s.exact and s.exact_numbers and not s.organization_ok and not s.silent_error


def test_failed_result_counts_every_cell_wrong(golds: dict[str, dict[str, Any]]) -> None:
    s = _score(golds["008"], None, status="failed", fmt=None, report="008")
    assert (s.cells, s.cells_correct, len(s.wrong_cells)) == (198, 0, 198)
    assert s.format == "pdf"  # from the input name when the loader never said
    assert not s.silent_error and not s.exact


def test_aggregate_exact_values(golds: dict[str, dict[str, Any]]) -> None:
    g1, g2, g8 = golds["001"], golds["002"], golds["008"]
    one_wrong = copy.deepcopy(g1)
    one_wrong["applications"]["granted"][0] = 1
    spurious = copy.deepcopy(g2)
    spurious["source_inconsistencies"] = ["row_total"]
    calls = [LLMCall(purpose="table", prompt_id="p@1", attempt=1, outcome="ok", prompt_tokens=300,
                     completion_tokens=40),
             LLMCall(purpose="table", prompt_id="p@1", attempt=2, outcome="invalid", prompt_tokens=310,
                     completion_tokens=50)]
    scores = [
        _score(g1, copy.deepcopy(g1), status="review", seconds=1.5),          # exact, real problem
        _score(g2, copy.deepcopy(g2), status="review", report="002"),          # exact, no problem
        _score(g1, one_wrong, status="accepted", llm_usage=calls, seconds=2.5),  # silent error
        _score(g2, spurious, status="accepted", report="002", fmt="html"),      # silent error
        _score(g8, copy.deepcopy(g8), status="accepted", report="008", fmt="html"),  # exact
        _score(g8, None, status="failed", fmt=None, report="008"),
    ]
    m = aggregate(scores)
    assert (m.cases, m.cells, m.cells_correct) == (6, 1196, 997)
    assert m.cell_accuracy == round(997 / 1196, 6)
    assert (m.exact, m.exact_numbers, m.accepted, m.review, m.failed) == (3, 3, 3, 2, 1)
    assert m.exact_rate == 0.5 and m.accepted_rate == 0.5
    assert m.silent_errors == 2 and m.accepted_org_mismatch == 0
    assert (m.review_with_problem, m.review_precision) == (1, 0.5)
    # gold ids: 001 twice (found both times); invented: row_total once
    assert (m.inconsistencies_gold, m.inconsistencies_found, m.inconsistency_recall) == (2, 2, 1.0)
    assert m.inconsistencies_invented == 1
    assert (m.llm_calls, m.prompt_tokens, m.completion_tokens) == (2, 610, 90)
    assert m.seconds == 4.0 and m.seconds_per_report == round(4.0 / 6, 6)
    assert m.llm_calls_per_report == round(2 / 6, 6) and m.tokens_per_report == round(700 / 6, 6)

    by_format = group_by(scores, "format")
    assert {k: (v.cases, v.exact) for k, v in by_format.items()} == {"html": (2, 1), "pdf": (4, 2)}
    by_template = group_by(scores, "template")
    assert {k: (v.cases, v.cells_correct) for k, v in by_template.items()} == {"2019": (2, 198),
                                                                              "2021": (4, 799)}

    fe = field_errors(scores)
    # the failed case is left out of the per-field counts
    assert fe.by_cell == {"applications.granted[0]": 1}
    assert fe.by_row == {"applications.granted": 1}
    assert fe.by_column == {"applications[自然人]": 1}


def test_empty_group_has_no_ratios() -> None:
    m = aggregate([])
    assert m.cases == 0 and m.cell_accuracy is None and m.review_precision is None


def test_column_names() -> None:
    assert column_of("applications.granted[6]") == "applications[总计]"
    assert column_of("review_litigation.review[1]") == "review_litigation[结果纠正]"
    assert column_of("active_disclosure.rules.issued") is None


def test_dataset_cases_cover_every_input() -> None:
    cases = load_cases(default_reports_dir())
    assert all(isinstance(c, Case) and c.path.is_file() for c in cases)
    by_report: dict[str, list[str]] = {}
    for c in cases:
        by_report.setdefault(c.report, []).append(c.input)
    folders = sorted(p for p in default_reports_dir().iterdir() if (p / "source.json").is_file())
    assert sorted(by_report) == [p.name for p in folders]
    for folder in folders:
        listed = json.loads((folder / "source.json").read_text("utf-8"))["inputs"]
        assert by_report[folder.name] == listed          # in source.json's order, every input
