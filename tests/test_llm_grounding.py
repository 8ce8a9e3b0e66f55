"""A model's answer is used only with real evidence: its choice among the readings of a glued run,
the 表四 counts it reads from sentences."""

from __future__ import annotations

import json
import re

import pytest

from extractor.llm.grounding import choice_grounded, table2_cues, table4_cell_span
from extractor.rules.table4_prose import COUNT_PHRASE, chinese_count
from tests.dev_reports import DEV
from tests.table4_prose_variants import GROUPS, PHRASINGS, with_section4

CUES = table2_cues("normative_documents", 3, "行政规范性文件", "2021")
READINGS = [[1, 1, 29], [1, 12, 9], [11, 2, 9]]   # dev/021 prints 行政规范性文件 as '1129'


def _sentence_with(text: str, needle: str) -> str:
    return next(s for s in re.split(r"(?<=。)", text) if needle in s)


def test_a_number_that_merely_occurs_is_no_evidence() -> None:
    """dev/021's narrative: '涵盖政策及规范性文件类11条' counts published items, not 制发: the
    1.5B model cited it for 11/2/9; the choice must not be used on that."""
    text = (DEV / "021" / "page.txt").read_text(encoding="utf-8")
    sentence = _sentence_with(text, "政策及规范性文件类11条")
    assert not choice_grounded(sentence, CUES, READINGS, 2)


def test_a_clause_naming_row_column_and_number_is_evidence() -> None:
    assert choice_grounded("2024年，本局制发行政规范性文件11件。", CUES, READINGS, 2)
    # the number must tell the chosen reading from the others: 9 is shared by two readings
    assert not choice_grounded("现行有效行政规范性文件9件。", CUES, READINGS, 2)
    # the clause must name the row: '废止2件' alone could be anything
    assert not choice_grounded("本年度废止2件。", CUES, READINGS, 2)


def test_the_table_itself_and_zeros_are_no_evidence() -> None:
    """dev/026 prints 表二 as '行政规范性文件6051' and 表三 runs like '0000000' in the same
    'sentence' as the 表二 header words; citing that sentence proves nothing."""
    text = (DEV / "026" / "page.txt").read_text(encoding="utf-8")
    sentence = _sentence_with(text, "行政规范性文件6051")
    readings = [[6, 0, 51], [60, 5, 1]]
    assert not choice_grounded(sentence, CUES, readings, 0)
    assert not choice_grounded("本年废止行政规范性文件0件。", CUES, [[6, 0, 51], [6, 1, 50]], 0)


# ---- 表四 told in sentences: a number is a cell's only where it is printed as that cell


@pytest.mark.parametrize("phrasing", ["as published", *PHRASINGS])
@pytest.mark.parametrize("n", ["012", "014"])
def test_table4_prose_numbers_are_grounded_only_as_their_own_cell(n: str, phrasing: str) -> None:
    rl = json.loads((DEV / n / "gold.json").read_text(encoding="utf-8"))["review_litigation"]
    text = with_section4(n, PHRASINGS[phrasing](rl)) if phrasing in PHRASINGS else \
        (DEV / n / "derived-variant-table4-narrative.md").read_text(encoding="utf-8")
    a = text.index("四、政府信息公开行政复议")
    b = text.index("五、", a)
    printed = {chinese_count(m.group("n")) for m in COUNT_PHRASE.finditer(text, a, b)}
    for g in GROUPS:
        for c in range(5):
            span = table4_cell_span(text, (a, b), g, c, rl[g][c])
            assert span is not None and chinese_count(text[span[0]:span[1]]) == rl[g][c], (g, c)
            # any other number of the section (another group's, another column's) is not this cell
            for w in printed - {rl[g][c]}:
                assert table4_cell_span(text, (a, b), g, c, w) is None, (g, c, w)


def test_a_result_after_the_group_name_is_not_its_total() -> None:
    # the total is not stated: '行政复议…1件' here counts the 维持 result only
    text = "四、政府信息公开行政复议、行政诉讼情况\n本年度被申请行政复议结果维持1件，结果纠正1件。\n"
    whole = (0, len(text))
    assert table4_cell_span(text, whole, "review", 0, 1) is not None
    assert table4_cell_span(text, whole, "review", 4, 1) is None
    assert table4_cell_span(text, whole, "review", 4, 2) is None


def test_a_whole_section_reading_must_be_printed_there_in_its_order() -> None:
    """表四 read whole (dev/003's layout text, section 四 to 五): the printed row is grounded and
    stands together; the same numbers in another order, or a number the section does not print,
    are not; numbers picked out from among others are grounded but not together (review)."""
    from extractor.llm.grounding import groups_add_up, printed_cells, section_grounded

    text = (DEV / "003" / "derived-layout.txt").read_text(encoding="utf-8")
    start = text.index("四、政府信息公开行政复议")
    printed = printed_cells(text, start, text.index("五、", start))
    row = [72, 64, 178, 37, 351, 13, 4, 8, 1, 26, 12, 1, 1, 6, 20]
    found = section_grounded(row, printed)
    assert found is not None and found[1]
    assert [text[s:e] for s, e in found[0]] == [str(v) for v in row]
    assert not groups_add_up(row, 5)
    swapped = row[5:10] + row[:5] + row[10:]
    assert section_grounded(swapped, printed) is None
    assert section_grounded(row[:14] + [21], printed) is None
    picked = section_grounded(row[:5] + row[10:], printed)
    assert picked is not None and not picked[1]
    assert groups_add_up([72, 64, 178, 37, 350], 5) == [0]
