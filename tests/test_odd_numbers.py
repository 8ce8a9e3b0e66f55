"""Numbers that must never be accepted: zeros for cells that were not printed, decimals or absurd
figures where a count belongs, cells holding broken markup. Each case is a real dev report that
the test changes itself, through the whole pipeline."""

from __future__ import annotations

import re

import pytest

from extractor.document import Document
from extractor.load import load_document
from extractor.normalise import normalise
from extractor.pipeline import extract_bytes, extract_document
from extractor.record import cell_values
from extractor.rules.table3 import extract_table3
from extractor.rules.table4 import extract_table4
from extractor.settings import Settings
from tests.dev_reports import DEV, dev_cases

SETTINGS = Settings(llm="off")
ZERO_TABLE4 = {k: [0] * 5 for k in ("review", "litigation_direct", "litigation_after_review")}


def _narrative() -> str:
    return (DEV / "012" / "derived-variant-table4-narrative.md").read_text(encoding="utf-8")


def test_table4_prose_whose_first_figure_is_zero_is_not_a_table_of_zeros() -> None:
    # the silent error of issue 16: one '0' found after 结果维持, the 14 other cells read as 0
    text = _narrative().replace("其中结果维持1件、结果纠正1件", "其中结果维持0件、结果纠正2件")
    assert "结果维持0件、结果纠正2件" in text
    r = extract_bytes(text.encode("utf-8"), "variant.md", SETTINGS)
    assert r.record is not None
    if r.status == "accepted":
        assert r.record["review_litigation"]["review"] == [0, 2, 0, 0, 2]
    else:
        assert any("review_litigation.review" in c for f in r.findings if f.severity == "review"
                   for c in f.cells), r.reasons
    assert not (r.status == "accepted" and r.record["review_litigation"] == ZERO_TABLE4)


TEXT_CASES = [c for c in dev_cases() if c.path.suffix in (".txt", ".md", ".html")]


def _strip_region(text: str, start: int, end: int) -> str:
    """The table's numbers and cell boundaries removed: its cells are no longer printed."""
    region = re.sub(r"[\d.,]+|\t", "", text[start:end])
    return text[:start] + region + text[end:]


@pytest.mark.parametrize("case", TEXT_CASES, ids=[c.id for c in TEXT_CASES])
@pytest.mark.parametrize("table", ["表三", "表四"])
def test_a_table_whose_cells_are_gone_is_never_accepted_as_zeros(case, table) -> None:
    doc = load_document(case.path, SETTINGS)
    text = normalise(doc.text).text  # normalisation keeps length for these inputs' digits
    t3 = extract_table3(text)
    if t3 is None:
        pytest.skip("no 表三 found in this input")
    if table == "表三":
        start, end = t3.span
    else:
        t4 = extract_table4(text, t3.span[1])
        if t4.header_span is None:
            pytest.skip("no 表四 header found in this input")
        start = t4.header_span[0]
        five = re.search(r"五\s*[、.]", text[start:])
        end = start + five.start() if five else len(text)
    stripped = Document(source=doc.source, format=doc.format, text=_strip_region(text, start, end),
                        title=doc.title)
    r = extract_document(stripped, SETTINGS)
    zero = all(v == 0 for k, v in cell_values(r.record).items()
               if k.startswith("applications." if table == "表三" else "review_litigation."))
    assert not (r.status == "accepted" and zero), (table, r.reasons)


def _html_012() -> str:
    return (DEV / "012" / "page.html").read_text(encoding="utf-8")


_GRANTED = '<p style="text-indent: 0em;">22</p>'    # dev/012's 予以公开 自然人 cell


def _with_granted_cell(cell: str) -> bytes:
    """dev/012's page with its 予以公开 自然人 cell replaced."""
    html = _html_012()
    at = html.index(_GRANTED, html.index("（一）予以公开</p>"))
    return (html[:at] + cell + html[at + len(_GRANTED):]).encode("utf-8")


def test_broken_markup_in_a_cell_is_not_an_empty_cell() -> None:
    r = extract_bytes(_with_granted_cell('<p sty>e="text-indent: 0em;">22</p>'), "page.html", SETTINGS)
    assert r.status == "review"
    assert any("applications.granted[0]" in f.cells for f in r.findings if f.severity == "review")
    assert any("neither a number" in m for m in r.reasons), r.reasons


@pytest.mark.parametrize("printed", ["9.8", "0.5", "22.0"])
def test_a_decimal_in_a_count_cell_goes_to_review(printed: str) -> None:
    r = extract_bytes(_with_granted_cell(f'<p style="text-indent: 0em;">{printed}</p>'), "page.html", SETTINGS)
    assert r.status == "review"
    assert any("applications.granted[0]" in f.cells for f in r.findings if f.severity == "review")
    assert any("decimal point" in m for m in r.reasons), r.reasons


def test_fees_keep_their_decimals() -> None:
    r = extract_bytes((DEV / "012" / "page.html").read_bytes(), "page.html", SETTINGS)
    assert r.status == "accepted"
    assert isinstance(r.record["active_disclosure"]["fees_wan_yuan"], float)


@pytest.mark.parametrize("printed", ["12345678901234567890", "1000000000"])
def test_a_count_no_report_could_hold_goes_to_review(printed: str) -> None:
    r = extract_bytes(_with_granted_cell(f'<p style="text-indent: 0em;">{printed}</p>'), "page.html", SETTINGS)
    assert r.status == "review"
    assert any("larger than any figure" in m for m in r.reasons), r.reasons
