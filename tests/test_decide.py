"""decide.py on hand-built records: a broken rule is the report's own only when every cell in it
was read as printed; cells that were not printed count only where the sums pin them to 0; the
status follows from the findings."""

from __future__ import annotations

from typing import Any

from extractor.decide import decide, judge, layout_doubts
from extractor.messages import render_message
from extractor.record import cell_values
from extractor.result import CellProvenance, Finding
from extractor.rules.table3 import Row, Table3
from tests.records import consistent


def provenance(record: dict[str, Any], overrides: dict[str, str] | None = None) -> list[CellProvenance]:
    """One provenance entry per cell: read from a grid cell, unless `overrides` says otherwise."""
    return [CellProvenance(field=field, value=value,
                           method=(overrides or {}).get(field, "grid_cell"))  # type: ignore[arg-type]
            for field, value in cell_values(record).items()]


def _litigation_total_printed_wrong() -> dict[str, Any]:
    r = consistent()
    r["review_litigation"]["litigation_direct"] = [1, 0, 0, 0, 0]    # 总计 printed 0 beside a 1
    return r


# ---- judge: printed in the report, or our error?


def test_a_broken_rule_read_exactly_as_printed_is_the_reports_own() -> None:
    r = _litigation_total_printed_wrong()
    findings, inconsistent = judge(r, provenance(r), set(), [])
    assert [(f.rule, f.severity) for f in findings] == [("review_total", "source")]
    assert findings[0].message.startswith("printed in the report: ")
    assert inconsistent == ["review_total"]


def test_a_broken_rule_over_a_split_we_chose_is_our_error() -> None:
    r = _litigation_total_printed_wrong()
    prov = provenance(r, {"review_litigation.litigation_direct[4]": "split_run"})
    findings, inconsistent = judge(r, prov, set(), [])
    assert [(f.rule, f.severity) for f in findings] == [("review_total", "review")]
    assert findings[0].message.startswith("the extracted numbers do not add up: ")
    assert inconsistent == []
    # unless the digits of that row allowed one split only
    findings, inconsistent = judge(r, prov, {"review_litigation.litigation_direct[4]"}, [])
    assert findings[0].severity == "source" and inconsistent == ["review_total"]


def test_numbers_placed_by_position_or_by_the_model_are_never_printed_inconsistencies() -> None:
    r = _litigation_total_printed_wrong()
    for method in ("position", "candidate", "llm", "absent_cell"):
        findings, inconsistent = judge(r, provenance(r, {"review_litigation.litigation_direct[0]": method}), set(), [])
        assert findings[0].severity == "review" and inconsistent == [], method


def test_a_layout_doubt_makes_a_broken_table3_sum_ours() -> None:
    r = consistent()
    r["applications"]["granted"][6] = 5
    findings, inconsistent = judge(r, provenance(r), set(), ["row 予以公开 has no numbers"])
    assert {f.rule for f in findings} == {"row_total", "processed_total"}
    assert all(f.severity == "review" and "(row 予以公开 has no numbers)" in f.message for f in findings)
    assert inconsistent == []
    # a doubt about 表三's layout says nothing about 表四
    r = _litigation_total_printed_wrong()
    findings, _ = judge(r, provenance(r), set(), ["row 予以公开 has no numbers"])
    assert findings[0].severity == "source"


def test_unprinted_cells_pinned_by_the_sums_pass() -> None:
    r = consistent()     # review: 1 + 1 + (其他结果, 尚未审结 not printed) = 2
    absent = {f"review_litigation.review[{i}]": "absent_cell" for i in (2, 3)}
    findings, _ = judge(r, provenance(r, absent), set(), [])
    assert findings == []


def test_unprinted_cells_the_sums_do_not_pin_go_to_review_by_name() -> None:
    r = consistent()
    r["review_litigation"]["litigation_direct"] = [0] * 5
    absent = {f"review_litigation.litigation_direct[{i}]": "absent_cell" for i in range(5)}
    findings, inconsistent = judge(r, provenance(r, absent), set(), [])
    assert [(f.rule, f.severity) for f in findings] == [("cells_not_printed", "review")]
    assert findings[0].cells == [f"review_litigation.litigation_direct[{i}]" for i in range(5)]
    assert "5 cell(s) are not printed" in findings[0].message
    assert inconsistent == []


def test_a_record_that_adds_up_has_no_findings() -> None:
    r = consistent()
    assert judge(r, provenance(r), set(), ["any doubt"]) == ([], [])


# ---- layout_doubts


def test_an_empty_table3_row_is_a_layout_doubt() -> None:
    rows = {"granted": Row(key="granted", label="（一）予以 公开", status="blank"),
            "new_received": Row(key="new_received", label="一、本年新收", status="ok")}
    t3 = Table3(rows=rows, six_form="2021", span=(0, 10), notes=["numbers printed before the first label"])
    said = [d if isinstance(d, str) else render_message(d, "en") for d in layout_doubts(t3)]
    assert said == ["numbers printed before the first label", "row （一）予以公开 has no numbers"]
    assert layout_doubts(None) == []


# ---- decide


def _f(severity: str, message: str) -> Finding:
    return Finding(rule="x", severity=severity, message=message)  # type: ignore[arg-type]


def test_any_review_finding_sends_to_review_with_its_reasons() -> None:
    status, reasons = decide([_f("info", "model asked"), _f("source", "printed wrong"),
                              _f("review", "row not found"), _f("review", "ambiguous split")])
    assert (status, reasons) == ("review", ["row not found", "ambiguous split"])


def test_only_info_and_printed_inconsistencies_are_accepted_listing_the_latter() -> None:
    assert decide([_f("info", "model asked"), _f("source", "printed wrong")]) == ("accepted", ["printed wrong"])
    assert decide([]) == ("accepted", [])
