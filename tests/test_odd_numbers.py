"""Numbers that must never be accepted: zeros for cells that were not printed, decimals or absurd
figures where a count belongs, cells holding broken markup. Each case is a real dev report that
the test changes itself, through the whole pipeline."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

from extractor.document import Document
from extractor.evaluation.dataset import producer_of
from extractor.load import load_document
from extractor.normalise import normalise
from extractor.pipeline import extract_bytes, extract_document
from extractor.record import cell_values
from extractor.rules import read_tables
from extractor.settings import Settings
from tests.dev_reports import DEV, Case, dev_cases

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


def _producer(case: Case) -> str:
    source = json.loads((case.path.parent / "source.json").read_text(encoding="utf-8"))
    return producer_of(case.path.name, source.get("derived", {}).get(case.path.name))


# every input whose text the loaders give quickly: scans (OCR) and legacy Word (a conversion) give
# the same text as their originals, slowly
STRIP_CASES = [c for c in dev_cases() if _producer(c) not in ("scan", "legacy Word")]


@cache
def _loaded(path: Path) -> tuple[Document, str]:
    doc = load_document(path, SETTINGS)
    return doc, normalise(doc.text).text


def _strip_region(text: str, start: int, end: int) -> str:
    """The table's numbers and cell boundaries removed: its cells are no longer printed."""
    region = re.sub(r"[\d.,]+|\t", "", text[start:end])
    return text[:start] + region + text[end:]


# a sentence saying there were no reviews or lawsuits ('本年度未发生…行政复议、行政诉讼')
_SAYS_NONE = re.compile(r"(?:未发生|没有发生|未收到|没有)[^。；\n]{0,30}(?:复议|诉讼)")


@pytest.mark.parametrize("case", STRIP_CASES, ids=[c.id for c in STRIP_CASES])
@pytest.mark.parametrize("table", ["表二", "表三", "表四"])
def test_a_table_whose_cells_are_gone_is_never_accepted_as_zeros(case: Case, table: str) -> None:
    """Strip one table's numbers (and cell boundaries) from the text the loader gives: the result
    is never accepted with that table all zero, unless the stripped text itself says there were
    none. Normalisation keeps the length of digits, so offsets stay valid."""
    doc, text = _loaded(case.path)
    tables = read_tables(text, doc.title, doc.source)
    if table == "表二":
        start, end = tables.table2.span
        prefix = "active_disclosure."
    elif table == "表三":
        if tables.table3 is None:
            pytest.skip("no 表三 found in this input")
        start, end = tables.table3.span
        prefix = "applications."
    else:
        t4 = tables.table4
        if t4.section_span is not None and t4.status != "absent":
            start, end = t4.section_span
        elif t4.header_span is not None:
            start = t4.header_span[0]
            five = re.search(r"五\s*[、.]", text[start:])
            end = start + five.start() if five else len(text)
        else:
            pytest.skip("no 表四 found in this input")
        prefix = "review_litigation."
    if end <= start:
        pytest.skip(f"no {table} found in this input")
    stripped = _strip_region(text, start, end)
    r = extract_document(Document(source=doc.source, format=doc.format, text=stripped, title=doc.title),
                         SETTINGS)
    assert r.record is not None
    zero = all(v == 0 for k, v in cell_values(r.record).items() if k.startswith(prefix))
    says_none = table == "表四" and bool(_SAYS_NONE.search(stripped[start:end]))
    assert not (r.status == "accepted" and zero and not says_none), (table, r.reasons)


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
