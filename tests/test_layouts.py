"""Layouts agencies really use: 表四 as a table per group, transposed or as prose; 表三 with 小计
columns and rows. Each case is a real dev report rearranged by the test, read through the whole
pipeline: exact and accepted, or sent to review naming the cells it could not read."""

from __future__ import annotations

import json
import re

import pytest

from extractor.load import load_document
from extractor.pipeline import extract_bytes, extract_file
from extractor.record import cell_values
from extractor.result import ExtractionResult
from extractor.rules.table4_prose import chinese_count, read_prose
from extractor.settings import Settings
from tests.dev_reports import DEV

SETTINGS = Settings(llm="off")
GROUPS = ("review", "litigation_direct", "litigation_after_review")
COLUMNS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")


def _gold(n: str) -> dict:
    return json.loads((DEV / n / "gold.json").read_text(encoding="utf-8"))


def _variant(n: str, name: str) -> str:
    return (DEV / n / f"derived-variant-{name}.md").read_text(encoding="utf-8")


def _with_section4(n: str, body: str) -> str:
    """Report n's markdown with section 四 (heading to section 五) replaced by `body`."""
    text = _variant(n, "table4-narrative")
    a = text.index("四、政府信息公开行政复议、行政诉讼情况")
    b = re.search(r"\n(?:\*\*)?五、", text[a:])
    assert b is not None
    return text[:a] + "四、政府信息公开行政复议、行政诉讼情况\n\n" + body + "\n" + text[a + b.start():]


def _extract(text: str, name: str = "variant.md") -> ExtractionResult:
    return extract_bytes(text.encode("utf-8"), name, SETTINGS)


def _review_cells(r: ExtractionResult) -> set[str]:
    return {c for f in r.findings if f.severity == "review" for c in f.cells}


def _sentence(n: str) -> str:
    text = _variant(n, "table4-narrative")
    a = text.index("四、政府信息公开行政复议、行政诉讼情况")
    return text[a:].split("\n\n")[1]


# ---- 表四 in other arrangements


@pytest.mark.parametrize("n", ["012", "014"])
def test_table4_transposed_reads_each_group_from_its_column(n: str) -> None:
    # a row per result, a column per group, the groups in the header in an unusual order
    rl = _gold(n)["review_litigation"]
    order = ("litigation_after_review", "review", "litigation_direct")
    names = {"review": "行政复议", "litigation_direct": "行政诉讼（未经复议直接起诉）",
             "litigation_after_review": "行政诉讼（复议后起诉）"}
    rows = ["| 项目 | " + " | ".join(names[g] for g in order) + " |", "| --- | --- | --- | --- |"]
    rows += [f"| {c} | " + " | ".join(str(rl[g][i]) for g in order) + " |" for i, c in enumerate(COLUMNS)]
    r = _extract(_with_section4(n, "\n".join(rows)))
    assert r.record["review_litigation"] == rl
    assert r.status == "accepted", r.reasons
    assert any(f.rule == "layout" and "transposed" in f.message for f in r.findings)


@pytest.mark.parametrize("n", ["012", "014"])
def test_table4_as_three_glued_tables_is_split_by_each_group_total(n: str) -> None:
    # the web archive's text rendition (every cell glued) of 表四 printed as three small tables
    rl = _gold(n)["review_litigation"]
    head = "".join(COLUMNS)
    glued = "".join(f"（{o}）{t}{head}" + "".join(str(v) for v in rl[g])
                    for o, t, g in zip("一二三", ("行政复议", "行政诉讼（未经复议直接起诉）", "行政诉讼（复议后起诉）"),
                                       GROUPS))
    text = (DEV / n / "page.txt").read_text(encoding="utf-8")
    a = text.index("四、政府信息公开行政复议、行政诉讼情况")
    b = text.index("五、", a)
    r = _extract(text[:a] + "四、政府信息公开行政复议、行政诉讼情况" + glued + text[b:], "page.txt")
    assert r.record["review_litigation"] == rl
    assert not _review_cells(r) & {f"review_litigation.{g}[{i}]" for g in GROUPS for i in range(5)}


# ---- 表四 as prose


@pytest.mark.parametrize("n", ["012", "014"])
def test_table4_prose_keeps_the_span_of_every_number(n: str) -> None:
    path = DEV / n / "derived-variant-table4-narrative.md"
    r = extract_file(path, SETTINGS)
    text = load_document(path, SETTINGS).text   # spans are offsets in the loaded text
    assert r.status == "accepted" and r.record["review_litigation"] == _gold(n)["review_litigation"]
    prov = [p for p in r.provenance if p.field.startswith("review_litigation.")]
    assert {p.method for p in prov} == {"prose"}
    for p in prov:
        assert p.span is not None and text[p.span.start:p.span.end] == str(p.value)
        assert p.label and (p.label[-2:] in text or p.label in text)


def test_prose_saying_there_were_none_is_zeros() -> None:
    r = _extract(_with_section4("012", "2023年，本机关未发生因政府信息公开引起的行政复议、行政诉讼案件。"))
    assert r.record["review_litigation"] == {g: [0] * 5 for g in GROUPS}
    assert r.status == "accepted", r.reasons


def test_prose_stating_a_zero_total_pins_that_group_only() -> None:
    # 行政诉讼0件: both kinds of lawsuit are 0 by the sums; the reviews are stated one by one
    r = _extract(_with_section4(
        "012", "被申请行政复议两件，其中结果维持1件、结果纠正1件；被提起行政诉讼0件。"))
    assert r.record["review_litigation"] == {"review": [1, 1, 0, 0, 2], "litigation_direct": [0] * 5,
                                             "litigation_after_review": [0] * 5}
    assert r.status == "accepted", r.reasons


def test_cells_the_prose_does_not_state_are_unknown_not_zero() -> None:
    # results of the lawsuits given for 行政诉讼 as a whole: which kind each belongs to is not said
    r = _extract(_with_section4(
        "012", "被申请行政复议2件，其中结果维持1件、结果纠正1件、其他结果0件、尚未审结0件；"
               "被提起行政诉讼7件，其中结果维持5件、其他结果1件、尚未审结1件。"))
    assert r.status == "review"
    unread = {f"review_litigation.{g}[{i}]" for g in GROUPS[1:] for i in range(5)}
    assert unread <= _review_cells(r)
    assert r.record["review_litigation"]["review"] == [1, 1, 0, 0, 2]


def test_prose_whose_numbers_do_not_add_up_goes_to_review() -> None:
    sentence = _sentence("012").replace("被申请行政复议2件", "被申请行政复议3件")
    r = _extract(_with_section4("012", sentence))
    assert r.status == "review"
    assert "review_litigation.review[4]" in _review_cells(r)


@pytest.mark.parametrize("s,want", [("0", 0), ("两", 2), ("十", 10), ("十二", 12), ("二十", 20),
                                    ("三十五", 35), ("一二", None), ("十十", None)])
def test_chinese_counts(s: str, want: int | None) -> None:
    assert chinese_count(s) == want


def test_prose_reader_ties_each_number_to_its_own_phrase() -> None:
    s = ("四、政府信息公开行政复议、行政诉讼情况\n收到行政复议申请3件，其中维持原行政行为的2件，尚未审结1件。"
         "行政诉讼方面，未经复议直接起诉1件，结果纠正1件；复议后起诉的案件共2件，其他结果2件。")
    p = read_prose(s, 0, len(s))
    assert p is not None and not p.conflicts
    got = {k: int(v.value) for k, v in p.cells.items()}
    assert got == {("review", 4): 3, ("review", 0): 2, ("review", 3): 1, ("litigation_direct", 4): 1,
                   ("litigation_direct", 1): 1, ("litigation_after_review", 4): 2,
                   ("litigation_after_review", 2): 2}
    for v in p.cells.values():
        assert s[v.start:v.end] in ("1", "2", "3")


# ---- 表三 subtotals


def _subtotal_lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if re.match(r"\| （[三四五六]）小计 \|", ln)]


def _exact(r: ExtractionResult, n: str) -> None:
    assert r.record == _gold(n), r.reasons
    assert r.status == "accepted", r.reasons


@pytest.mark.parametrize("n", ["012", "014"])
def test_subtotal_column_without_its_header_is_dropped_where_arithmetic_tells(n: str) -> None:
    # no header names the 小计: eight numbers a row, and one place is the sum of the five beside
    # it. Here only 商业企业 has applicants, so 小计 after 其他 and 小计 before 商业企业 both add up:
    # rows whose reading depends on it go to review, named; the others are read.
    text = _variant(n, "subtotal-column")
    assert "| 其他 | 小计 |" in text
    r = _extract(text.replace("| 其他 | 小计 |", "| 其他 | |"))
    assert r.status == "review"
    wrong = {k for k, v in cell_values(r.record).items() if cell_values(_gold(n))[k] != v}
    assert wrong <= _review_cells(r)
    named_rows = {c.split("[")[0] for c in _review_cells(r)}
    assert "applications.carried_over" not in named_rows   # all zero: the same either way
    assert r.record["applications"]["carried_over"] == _gold(n)["applications"]["carried_over"]


def _subtotal_first(text: str) -> str:
    """The 小计 column moved before 商业企业 (法人或其他组织: 小计, then its five organisations)."""
    lines = []
    in_table = False
    for ln in text.splitlines():
        if "| 商业企业 |" in ln:
            ln = ln.replace("| 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 小计 |",
                            "| 小计 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 |")
        in_table = in_table or "本年新收" in ln
        cells = [c.strip() for c in ln.strip().strip("|").split("|")]
        if in_table and len(cells) >= 9 and all(re.fullmatch(r"\d+", c) for c in cells[-8:]):
            nums = cells[-8:]
            ln = "| " + " | ".join(cells[:-8] + [nums[0], nums[6], *nums[1:6], nums[7]]) + " |"
        if "结转下年度" in ln:
            in_table = False
        lines.append(ln)
    return "\n".join(lines)


@pytest.mark.parametrize("n", ["012", "014"])
def test_subtotal_column_placed_first_is_dropped_from_its_place(n: str) -> None:
    r = _extract(_subtotal_first(_variant(n, "subtotal-column")))
    _exact(r, n)


def test_a_subtotal_that_does_not_add_up_is_a_finding_of_the_source() -> None:
    text = _variant("014", "subtotal-rows")
    line = _subtotal_lines(text)[1]               # （四）小计 | 52 | 1 | … | 53
    wrong = line.replace("| 52 |", "| 51 |", 1)
    r = _extract(text.replace(line, wrong))
    assert r.record == _gold("014")
    assert r.status == "accepted", r.reasons
    found = [f for f in r.findings if f.rule == "subtotal"]
    assert found and found[0].severity == "source" and "51" in found[0].message
    assert r.record["source_inconsistencies"] == []   # FORMAT.md's four rules only


def test_a_subtotal_column_that_does_not_add_up_is_a_finding_of_the_source() -> None:
    text = _variant("014", "subtotal-column")
    line = next(ln for ln in text.splitlines() if "本年新收" in ln)   # … | 3 | 154 |
    r = _extract(text.replace(line, line.replace("| 3 | 154 |", "| 4 | 154 |")))
    assert r.record == _gold("014") and r.status == "accepted", r.reasons
    assert [f.severity for f in r.findings if f.rule == "subtotal"] == ["source"]


@pytest.mark.parametrize("n", ["012", "014"])
def test_unlabelled_subtotal_rows_are_told_by_arithmetic(n: str) -> None:
    text = _variant(n, "subtotal-rows")
    for line in _subtotal_lines(text):
        text = text.replace(line, re.sub(r"^\| （[三四五六]）小计 \|", "| |", line))
    r = _extract(text)
    _exact(r, n)
    assert sum("小计 row" in f.message for f in r.findings if f.rule == "layout") == 4


@pytest.mark.parametrize("n", ["012", "014"])
def test_group_rows_printing_the_group_total_are_subtotals(n: str) -> None:
    # the subtotal printed on the group's own row, before its sub-rows
    text = _variant(n, "subtotal-rows")
    for line in _subtotal_lines(text):
        text = text.replace(line + "\n", "")
        group = line[2:5]
        head = re.search(rf"^\| {re.escape(group)}[^|]+\| ", text, re.M)
        assert head is not None
        numbers = line.split("|", 2)[2]
        text = text[:head.start()] + f"| {head.group(0)[2:-3]} |{numbers}\n| " + text[head.end():]
    assert "（三）不予公开 | 1.属于国家秘密" not in text
    r = _extract(text)
    _exact(r, n)


def test_glued_subtotal_rows_do_not_glue_onto_the_row_before() -> None:
    # the web archive's glued text with a 小计 row after each group: '…8.属于行政查询事项2000002（三）小计5000005…'
    text = (DEV / "012" / "page.txt").read_text(encoding="utf-8")
    gold = _gold("012")["applications"]
    groups = {"（三）": [k for k in gold if k.startswith("withheld_")],
              "（四）": [k for k in gold if k.startswith("unavailable_")],
              "（五）": [k for k in gold if k.startswith("not_processed_")]}
    anchors = {"（三）": "（四）无法提供", "（四）": "（五）不予处理", "（五）": "（六）其他处理"}
    for g, keys in groups.items():
        sums = [sum(gold[k][c] for k in keys) for c in range(7)]
        at = text.index(anchors[g])
        text = text[:at] + f"{g}小计" + "".join(map(str, sums)) + text[at:]
    r = _extract(text, "page.txt")
    assert r.record["applications"] == gold
    assert sum("小计 row" in f.message for f in r.findings if f.rule == "layout") == 3


def test_a_table4_header_with_one_zero_and_prose_stating_cases_is_never_zeros() -> None:
    # issue 16's silent error, rebuilt: the header, one '0' below it, the cases told in prose
    header = "| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |\n| --- | --- | --- | --- | --- |\n| 0 | | | | |"
    prose = "本年度被申请行政复议2件，被提起行政诉讼1件。"
    r = _extract(_with_section4("012", header + "\n\n" + prose))
    assert not (r.status == "accepted" and r.record["review_litigation"] == {g: [0] * 5 for g in GROUPS})
    assert r.status == "review"
    assert {"review_litigation.review[4]", "review_litigation.review[1]"} <= _review_cells(r)
