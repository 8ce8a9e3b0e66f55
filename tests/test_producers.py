"""The same real report as other producers render it (issue 15): reading-order text dumps whose
labels sit apart from their numbers, and scrambled 表四 runs. Every number placed without its
label stays visible in provenance and is accepted only when the sums confirm it."""

from __future__ import annotations

import json

import pytest

from extractor.normalise import normalise
from extractor.pipeline import extract_bytes
from extractor.record import cell_values
from extractor.rules.tokens import row_tokens
from extractor.settings import Settings
from tests.dev_reports import DEV

SETTINGS = Settings(llm="off")
RAW = DEV / "003" / "derived-raw.txt"
GOLD = json.loads((DEV / "003" / "gold.json").read_text(encoding="utf-8"))
DISPLACED = ["granted", "partially_granted", "not_processed_confirmation", "other_overdue_correction",
             "other_overdue_fee", "other_other"]


def _raw() -> str:
    return RAW.read_text(encoding="utf-8")


def _methods(r: object, prefix: str) -> set[str]:
    return {p.method for p in r.provenance if p.field.startswith(prefix)}  # type: ignore[attr-defined]


def test_reading_order_text_places_rows_whose_labels_are_printed_elsewhere() -> None:
    r = extract_bytes(_raw().encode("utf-8"), RAW.name, SETTINGS)
    assert r.record is not None
    assert r.record["applications"] == GOLD["applications"]
    assert r.record["active_disclosure"] == GOLD["active_disclosure"]
    for key in DISPLACED:
        assert _methods(r, f"applications.{key}[") == {"position"}, key
    assert _methods(r, "applications.withheld_state_secret[") == {"text_token"}
    # six rows placed by position cannot all be confirmed by the column sums: review, naming them
    assert r.status == "review"
    placed = next(f for f in r.findings if f.rule == "placed_by_position")
    assert "applications.granted[0]" in placed.cells and "applications.other_other[0]" in placed.cells


def _with_labels(text: str, labels: dict[int, str]) -> str:
    """The raw text with a label line put before the first number of the given rows (by their
    index in the template's order: the table's numbers are seven a row)."""
    lines = text.split("\n")
    start = lines.index("一、本年新收政府信息公开申请数量")
    out, count = lines[:start], 0
    for ln in lines[start:]:
        if ln.strip().isdigit() and count % 7 == 0 and count // 7 in labels and count < 26 * 7:
            out.append(labels[count // 7])
        count += ln.strip().isdigit()
        out.append(ln)
    return "\n".join(out)


def test_one_row_placed_by_position_is_accepted_when_the_sums_pin_it() -> None:
    # the labels put back beside their numbers, all but 3、其他 (the column sums then give its values)
    text = _with_labels(_raw(), {2: "（一）予以公开", 3: "（二）部分公开", 19: "5.要求行政机关确认或重新出具已获取信息",
                                 20: "1、申请人无正当理由逾期不补正", 21: "2、申请人逾期未按收费通知要求缴纳费用"})
    r = extract_bytes(text.encode("utf-8"), RAW.name, SETTINGS)
    assert r.record is not None and r.record["applications"] == GOLD["applications"]
    assert _methods(r, "applications.other_other[") == {"position"}
    assert _methods(r, "applications.granted[") == {"text_token"}
    assert not any(f.rule == "placed_by_position" for f in r.findings)
    assert any(f.rule == "label_not_beside_numbers" and f.severity == "info" for f in r.findings)


def test_two_rows_placed_by_position_go_to_review() -> None:
    # 3、其他 and 2、申请人逾期… both without their labels: each column's sum no longer pins either
    text = _with_labels(_raw(), {2: "（一）予以公开", 3: "（二）部分公开", 19: "5.要求行政机关确认或重新出具已获取信息",
                                 20: "1、申请人无正当理由逾期不补正"})
    r = extract_bytes(text.encode("utf-8"), RAW.name, SETTINGS)
    placed = next(f for f in r.findings if f.rule == "placed_by_position")
    assert "applications.other_other[0]" in placed.cells and "applications.other_overdue_fee[0]" in placed.cells
    assert r.status == "review"


def test_reading_order_text_that_does_not_add_up_is_not_placed() -> None:
    # one number changed: seven per row and labels as before, but the table no longer adds up
    text = _raw().replace("\n1288\n", "\n1289\n", 1)
    r = extract_bytes(text.encode("utf-8"), RAW.name, SETTINGS)
    assert r.status == "review"
    assert not any(p.method == "position" for p in r.provenance if p.field.startswith("applications."))


def test_table4_runs_in_drawing_order_are_ambiguous_and_named() -> None:
    r = extract_bytes(_raw().encode("utf-8"), RAW.name, SETTINGS)
    t4 = next(f for f in r.findings if f.cells and f.cells[0].startswith("review_litigation."))
    assert t4.rule == "ambiguous_split" and t4.severity == "review"
    gold = [v for k in ("review", "litigation_direct", "litigation_after_review")
            for v in GOLD["review_litigation"][k]]
    assert gold in t4.numbers["candidates"]
    assert len(t4.cells) == 15


def test_table4_runs_that_never_add_up_are_not_taken_as_printed() -> None:
    # the last 总计 changed: no order of the runs adds up; the break must not be called the report's
    text = _raw()
    at = text.rindex("\n20\n")
    text = text[:at] + "\n21\n" + text[at + 4:]
    r = extract_bytes(text.encode("utf-8"), RAW.name, SETTINGS)
    assert r.status == "review"
    assert r.record is not None and r.record["source_inconsistencies"] == []
    assert any(f.rule == "review_total" and f.severity == "review" for f in r.findings)


@pytest.mark.parametrize("report,line,values", [
    ("003", "-4-", []),                                                   # a page mark between rows
    ("003", "（四）无", []),                                               # a wrapped label, not a blank
    ("003", "1、申请人无正当理由逾期不补", []),                             # a row ordinal, not a value
    ("001", "1.属于国家秘密         1     0      0     0   0   0     1", ["1", "0", "0", "0", "0", "0", "1"]),
])
def test_layout_lines_read_only_their_values(report: str, line: str, values: list[str]) -> None:
    text = (DEV / report / "derived-layout.txt").read_text(encoding="utf-8")
    found = next(ln for ln in text.split("\n") if ln.strip() == line)
    norm = normalise(found).text
    assert [t.text for t in row_tokens(norm, 0, len(norm)) if t.kind != "blank" or t.text] == values


def test_labels_with_their_numbering_after_them() -> None:
    text = normalise("属于国家秘密 1. 0 0 0 0 0 0 0\n重复申请 2、 3 0 0 0 0 0 3").text
    toks = row_tokens(text, 0, len(text))
    assert [t.text for t in toks] == ["0"] * 7 + ["3", "0", "0", "0", "0", "0", "3"]


def test_cell_values_of_raw_text_match_gold_outside_table4() -> None:
    r = extract_bytes(_raw().encode("utf-8"), RAW.name, SETTINGS)
    got, want = cell_values(r.record), cell_values(GOLD)
    wrong = [k for k, v in want.items() if got.get(k) != v and not k.startswith("review_litigation.")]
    assert wrong == []


def _layout() -> str:
    return (DEV / "003" / "derived-layout.txt").read_text(encoding="utf-8")


def test_table4_break_fixed_by_moving_one_number_is_not_taken_as_printed() -> None:
    # running text drew the 行政复议 总计 one place late: the numbers as read break the sums
    line = "72   64    178    37    351   13    4        8        1        26   12   1     1    6       20"
    assert line in _layout()
    moved = "72   64    178    37    13   351    4        8        1        26   12   1     1    6       20"
    text = _layout().replace(line, moved)
    r = extract_bytes(text.encode("utf-8"), "derived-layout.txt", SETTINGS)
    assert r.status == "review"
    assert r.record is not None and r.record["source_inconsistencies"] == []
    t4 = next(f for f in r.findings if f.cells and f.cells[0].startswith("review_litigation."))
    assert t4.severity == "review"


def test_table4_break_in_grid_cells_stays_printed() -> None:
    # dev/001 prints 总计 0 beside 10 and 1 in its PDF table: transcribed as printed, flagged
    r = extract_bytes((DEV / "001" / "hzq2023_working.pdf").read_bytes(), "hzq2023_working.pdf", SETTINGS)
    assert r.status == "accepted" and "review_total" in r.record["source_inconsistencies"]  # type: ignore[index]


def test_table3_row_break_fixed_by_moving_one_number_is_not_taken_as_printed() -> None:
    line = "1.属于国家秘密            2          0        0        0        0    0    2"
    assert line in _layout()
    text = _layout().replace(line, "1.属于国家秘密            2          0        0        0        0    2    0")
    r = extract_bytes(text.encode("utf-8"), "derived-layout.txt", SETTINGS)
    assert r.status == "review"
    assert r.record is not None and r.record["source_inconsistencies"] == []
    assert any(f.rule == "row_total" and f.severity == "review" for f in r.findings)


def test_cells_sent_to_review_do_not_confirm_others() -> None:
    # gold's 表三 with the outcome rows unread (zeros, already under review) and the 总计 and 结转
    # rows not printed: the zeros must not 'confirm' a 总计 of zeros
    from extractor.checks import undetermined
    from extractor.template import outcome_keys
    record = json.loads(json.dumps(GOLD))
    for key in [*outcome_keys("2021"), "total_processed", "carried_forward"]:
        record["applications"][key] = [0] * 7
    values = cell_values(record)
    absent = {f"applications.{k}[{c}]" for k in ("total_processed", "carried_forward") for c in range(7)}
    doubtful = {f"applications.{k}[{c}]" for k in outcome_keys("2021") for c in range(7)}
    totals = {f"applications.total_processed[{c}]" for c in (0, 1, 4, 5, 6)}   # columns with applications
    assert not totals & set(undetermined(record, values, absent))      # zeros pin zeros ...
    assert totals <= set(undetermined(record, values, absent, doubtful=doubtful))  # ... unless doubted


def test_table2_reading_order_text_keeps_units_and_never_cuts_numbers_printed_apart() -> None:
    # dev/008's 2019 表二 as reading-order text gives it: the 采购总金额 value with its 元 on the
    # next line, a row's third number printed elsewhere (two numbers for three cells)
    page = (DEV / "008" / "page.txt").read_text(encoding="utf-8")
    assert "政府集中采购13575394432.52元" in page and "其他对外管理服务事项100153" in page
    page = page.replace("政府集中采购13575394432.52元",
                        "政府集中采购\n\n采购项目数量\n\n采购总金额\n\n135\n\n75394432.52\n\n元")
    page = page.replace("其他对外管理服务事项100153", "其他对外管理服务事项 10\n\n0\n\n")
    r = extract_bytes(page.encode("utf-8"), "page.txt", SETTINGS)
    assert r.record is not None and r.status == "review"
    assert r.record["active_disclosure"]["procurement"] == {"items": 135, "amount_wan_yuan": 7539.443252}
    named = {c for f in r.findings if f.severity == "review" for c in f.cells}
    assert "active_disclosure.other_services.prev_year_items" in named


@pytest.mark.parametrize("printed,wrapped", [
    # a label cell wrapped around its row's numbers (LibreOffice's HTML export)
    ("4.保护第三方合法权益         6          0        0        0        0    0    6",
     "4.保护         6          0        0        0        0    0    6\n          第三方合法权益"),
    # a neighbouring column's words between the label's two lines, one number on the first line
    ("1.属于国家秘密            2          0        0        0        0    0    2",
     "1.属于国家秘      2\n  予公开 密          0        0        0        0    0    2"),
    # the row's ordinal printed after its label, on the numbers' line
    ("1.信访举报投诉类申请              56        6        0         0        0         0    62",
     "信访举报投诉类申请\n      1.        56        6        0         0        0         0    62"),
], ids=["numbers-inside-label", "column-words-inside-label", "ordinal-after-label"])
def test_wrapped_labels_read_as_printed(printed: str, wrapped: str) -> None:
    assert printed in _layout()
    text = _layout().replace(printed, wrapped)
    r = extract_bytes(text.encode("utf-8"), "derived-layout.txt", SETTINGS)
    assert r.record is not None and r.record["applications"] == GOLD["applications"]
    assert r.status == "accepted", r.reasons



def test_table2_numbers_printed_before_their_label_are_placed_and_named() -> None:
    # reading-order text of a one-row sub-table: header, number, then the label
    text = _raw()
    assert "行政许可\n\n447228\n" in text
    text = text.replace("行政许可\n\n447228\n", "447228\n\n行政许可\n")
    r = extract_bytes(text.encode("utf-8"), RAW.name, SETTINGS)
    assert r.record is not None and r.record["active_disclosure"]["licensing_decisions"] == 447228
    assert _methods(r, "active_disclosure.licensing_decisions") == {"position"}
    named = {c for f in r.findings if f.severity == "review" for c in f.cells}
    assert "active_disclosure.licensing_decisions" in named
