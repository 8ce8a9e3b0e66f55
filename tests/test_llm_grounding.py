"""A model's choice among the readings of a glued run is used only with real evidence."""

from __future__ import annotations

import re

from extractor.llm.grounding import choice_grounded, table2_cues
from tests.dev_reports import DEV

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
