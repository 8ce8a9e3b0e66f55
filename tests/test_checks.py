"""checks.py on hand-built records: each of FORMAT.md's rules breaks alone and names its cells;
the equations; which unprinted cells the sums pin to 0."""

from __future__ import annotations

from typing import Any

import pytest

from extractor.checks import RULES, check_record, equations, undetermined
from extractor.record import cell_values
from extractor.template import TemplateId, application_rows, outcome_keys
from tests.records import consistent


@pytest.mark.parametrize("template", ["2021", "2019"])
def test_a_consistent_record_breaks_no_rule(template: TemplateId) -> None:
    assert check_record(consistent(template)) == []


def test_row_total_names_the_row_and_its_sum() -> None:
    r = consistent()
    r["applications"]["granted"][6] = 5                         # 总计 5 beside 2 + 1
    found = {f.rule: f for f in check_record(r)}
    assert set(found) == {"row_total", "processed_total"}      # the 总计 column breaks too
    f = found["row_total"]
    assert f.cells == [f"applications.granted[{c}]" for c in range(7)]
    assert f.numbers == {"row": "granted", "printed_total": 5, "sum": 3}
    assert f.severity == "review"
    assert found["processed_total"].numbers == {"column": "总计", "printed_total": 3, "sum": 5}


def test_processed_total_names_the_column() -> None:
    r = consistent()
    r["applications"]["granted"] = [1, 1, 0, 0, 0, 0, 2]        # its row adds up; column 0 does not
    r["applications"]["partially_granted"] = [0, 0, 0, 0, 0, 0, 0]
    found = check_record(r)
    rules = sorted(f.rule for f in found)
    assert rules == ["processed_total", "processed_total"]        # 自然人 and 总计 columns
    first = next(f for f in found if f.numbers["column"] == "自然人")
    assert first.numbers == {"column": "自然人", "printed_total": 2, "sum": 1}
    assert first.cells[0] == "applications.total_processed[0]"
    assert "applications.granted[0]" in first.cells
    assert len(first.cells) == 1 + len(outcome_keys("2021"))


def test_balance_names_the_four_cells_of_the_column() -> None:
    r = consistent()
    r["applications"]["carried_forward"] = [1, 0, 0, 0, 0, 0, 1]
    found = check_record(r)
    assert {f.rule for f in found} == {"balance"}
    assert {f.numbers["column"] for f in found} == {"自然人", "总计"}
    f = next(f for f in found if f.numbers["column"] == "自然人")
    assert f.numbers["received"] == 4 and f.numbers["settled"] == 3
    assert f.cells == [f"applications.{k}[0]" for k in
                       ("new_received", "carried_over", "total_processed", "carried_forward")]


def test_review_total_names_the_table4_row() -> None:
    r = consistent()
    r["review_litigation"]["litigation_direct"] = [1, 0, 0, 0, 0]    # 总计 0 beside a 1
    found = check_record(r)
    assert [f.rule for f in found] == ["review_total"]
    assert found[0].cells == [f"review_litigation.litigation_direct[{i}]" for i in range(5)]
    assert found[0].numbers["printed_total"] == 0 and found[0].numbers["sum"] == 1


def test_one_finding_per_broken_row_or_column() -> None:
    r = consistent()
    for key in ("granted", "carried_over"):
        r["applications"][key][6] += 10
    found = check_record(r)
    assert sorted((f.rule, f.numbers.get("row") or f.numbers.get("column")) for f in found) == [
        ("balance", "总计"), ("processed_total", "总计"),
        ("row_total", "carried_over"), ("row_total", "granted")]


def test_equations_cover_every_rule_once_per_row_and_column() -> None:
    eqs = equations(consistent())
    by_rule = {rule: [e for e in eqs if e[0] == rule] for rule in RULES}
    assert len(by_rule["row_total"]) == len(application_rows("2021"))
    assert len(by_rule["processed_total"]) == 7
    assert len(by_rule["balance"]) == 7
    assert len(by_rule["review_total"]) == 3
    rule, left, right = by_rule["review_total"][0]
    assert left == [f"review_litigation.review[{i}]" for i in range(4)]
    assert right == ["review_litigation.review[4]"]


def test_an_equation_holds_exactly_when_its_rule_does() -> None:
    r = consistent()
    r["review_litigation"]["review"] = [1, 1, 0, 0, 3]
    values = cell_values(r)
    broken = {(rule, tuple(right)) for rule, left, right in equations(r)
              if sum(values[c] for c in left) != sum(values[c] for c in right)}
    assert broken == {("review_total", ("review_litigation.review[4]",))}


# ---- undetermined: which cells that were not printed the sums pin to 0


def _absent(r: dict[str, Any], cells: list[str]) -> list[str]:
    return undetermined(r, cell_values(r), set(cells))


def test_unprinted_cells_beside_a_printed_total_that_they_would_exceed_are_pinned() -> None:
    # 结果维持 1 + 结果纠正 1 = 总计 2: the unprinted 其他结果 and 尚未审结 can only be 0
    r = consistent()
    assert _absent(r, ["review_litigation.review[2]", "review_litigation.review[3]"]) == []


def test_an_unprinted_total_is_not_pinned_when_its_parts_are_not_zero() -> None:
    r = consistent()
    r["review_litigation"]["review"] = [1, 1, 0, 0, 0]     # the 总计 not printed: read as 0
    assert _absent(r, ["review_litigation.review[4]"]) == ["review_litigation.review[4]"]


def test_a_table_of_unprinted_cells_is_not_a_table_of_zeros() -> None:
    r = consistent()
    r["review_litigation"]["litigation_direct"] = [0] * 5
    cells = [f"review_litigation.litigation_direct[{i}]" for i in range(5)]
    assert _absent(r, cells) == sorted(cells)
    # one printed 总计 of 0 pins the four results (counts are never negative)
    assert _absent(r, cells[:4]) == []


def test_an_unprinted_row_is_pinned_by_the_column_totals() -> None:
    # 属于国家秘密 not printed at all (read as 0): the other outcome rows already make up every
    # column's （七）总计, so its cells can only be 0
    r = consistent()
    row = [f"applications.withheld_state_secret[{c}]" for c in range(7)]
    assert _absent(r, row) == []
    # the 科研机构 cell of （七）总计 unprinted as well: its own row total pins it to 0 first,
    # and then it pins the column
    assert _absent(r, row + ["applications.total_processed[2]"]) == []


def test_an_unprinted_cell_the_sums_say_is_not_zero_stays_undetermined() -> None:
    r = consistent()
    r["applications"]["granted"][0] = 0        # printed 2 in the report, not found: read as 0
    assert _absent(r, ["applications.granted[0]"]) == ["applications.granted[0]"]
