"""The rules engine on every input of every real dev report: exact where supported, never silently wrong."""

from __future__ import annotations

import unicodedata

import pytest

from extractor.load import load_document
from extractor.pipeline import extract_file
from extractor.settings import Settings
from tests.dev_reports import Case, cell_paths, dev_cases

SETTINGS = Settings(llm="off")
# the scans (read by OCR, slow) have their own module with the same promises: tests/test_scans.py
CASES = [c for c in dev_cases() if not c.path.name.endswith("-scan.pdf")]

# Inputs whose text carries every number unambiguously: the record must equal gold.json and be
# accepted. The others glue 表二 cells with no sum to split them by, or are broken conversions
# (dev/005): they must go to review, and every wrong cell must be named by a review finding.
SUPPORTED = {
    "000-report.txt", "000-derived-gbk.txt", "001-hzq2023_working.pdf", "002-hzq2024_working.pdf",
    "003-szfgs2024.pdf", "004-沭阳县人民政府2025年政府信息公开工作年度报告-沭阳县人民政府.txt",
    "008-page.html", "012-page.html", "012-derived-word.docx", "014-page.html",
    "014-derived-print.pdf",
    "012-derived-variant-table4-three-tables.md", "012-derived-variant-table4-narrative.md",
    "014-derived-variant-table4-three-tables.md", "014-derived-variant-table4-narrative.md",
    "012-derived-variant-subtotal-column.md", "012-derived-variant-subtotal-rows.md",
    "014-derived-variant-subtotal-column.md", "014-derived-variant-subtotal-rows.md",
    "015-沭阳县发展和改革局2023年政府信息公开年度报告-沭阳县发改局_2025-12-30.html",
    "015-derived-word.docx", "012-derived-legacy.doc", "015-derived-legacy.doc", "016-page.txt",
    "018-page.txt", "020-page.txt", "030-page.txt",
    "032-page.txt",
    # other producers' renderings of the same reports (issue 15)
    "008-derived-chrome.pdf", "012-derived-chrome.pdf", "014-derived-chrome.pdf",
    "015-derived-chrome.pdf", "001-derived-layout.txt", "002-derived-layout.txt",
    "003-derived-layout.txt",
}


# Inputs the engine cannot read yet, each with the open issue that will make it readable; strict:
# when one starts passing, the marker must go.
NOT_YET = {
}


def _marked(cases: list[Case]) -> list[object]:
    return [pytest.param(c, id=c.id, marks=pytest.mark.xfail(reason=NOT_YET[c.id], strict=True))
            if c.id in NOT_YET else pytest.param(c, id=c.id) for c in cases]


@pytest.fixture(scope="module")
def results() -> dict[str, object]:
    return {c.id: extract_file(c.path, SETTINGS) for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_never_accepted_when_wrong(case: Case, results: dict) -> None:
    r = results[case.id]
    if r.status == "accepted":
        assert r.record == case.gold
    elif case.id in NOT_YET and r.status == "failed":
        assert r.error and r.reasons   # a clear error, never a silent loss
    else:
        assert r.status == "review", r.error


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_no_template_report_is_taken_as_predating_the_template(case: Case, results: dict) -> None:
    r = results[case.id]
    assert r.status != "pretemplate" and r.legacy is None, r.reasons


@pytest.mark.parametrize("case", [c for c in CASES if c.id in SUPPORTED],
                         ids=[c.id for c in CASES if c.id in SUPPORTED])
def test_supported_inputs_are_exact_and_accepted(case: Case, results: dict) -> None:
    r = results[case.id]
    assert r.record == case.gold
    assert r.status == "accepted", r.reasons


@pytest.mark.parametrize("case", _marked([c for c in CASES if c.id not in SUPPORTED]))
def test_unsupported_inputs_go_to_review_naming_every_wrong_cell(case: Case, results: dict) -> None:
    r = results[case.id]
    assert r.status == "review"
    assert r.reasons, "a report sent to review must say why"
    # a cell is flagged when a review finding names it, or when it is shown as breaking a rule as
    # printed (dev/005 prints the 结转 总计 cell empty; gold has the value the PDF most likely had)
    flagged = {c for f in r.findings if f.severity in ("review", "source") for c in f.cells}
    flagged_prefixes = {c for c in flagged if "[" not in c}
    got, want = cell_paths(r.record), cell_paths(case.gold)
    for path, gold_value in want.items():
        if got.get(path) != gold_value:
            assert path in flagged or any(path.startswith(p) for p in flagged_prefixes), (
                f"{path}: extracted {got.get(path)!r}, gold {gold_value!r}, and no review finding names it")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_number_has_provenance_pointing_at_its_digits(case: Case, results: dict) -> None:
    """Every cell of the record has a provenance entry, and every number read from the text has
    a span where the loaded text prints exactly that number (what the review page highlights)."""
    r = results[case.id]
    fields = {p.field for p in r.provenance}
    assert set(cell_paths(r.record)) <= fields
    printed = [p for p in r.provenance if p.method in ("grid_cell", "text_token", "split_run")]
    if r.status == "failed":
        assert not printed
        return
    assert printed, "no number of the record was read from the text"
    text = load_document(case.path, SETTINGS).text
    for p in printed:
        assert p.span is not None, p.field
        digits = unicodedata.normalize("NFKC", text[p.span.start:p.span.end]).replace(",", "")
        assert float(digits) == float(p.value), (p.field, p.value, digits)


def test_glued_runs_are_split_by_the_table_sums() -> None:
    """dev/010 page.txt: '220000325' reads as 2/20/… or 22/0/…; only 22,0,0,0,0,3,25 makes the
    columns add up, and the 17-digit 表四 run has one reading."""
    case = next(c for c in CASES if c.id == "010-page.txt")
    r = extract_file(case.path, SETTINGS)
    assert r.record["applications"]["unavailable_not_held"] == [22, 0, 0, 0, 0, 3, 25]
    assert r.record["review_litigation"]["litigation_direct"] == [12, 0, 0, 0, 12]
    methods = {p.field: p.method for p in r.provenance}
    assert methods["applications.unavailable_not_held[0]"] == "split_run"


def test_ambiguous_glue_is_reported_with_its_readings() -> None:
    """dev/010 page.txt prints 行政规范性文件 as '693665': ten readings, none preferred by any sum."""
    case = next(c for c in CASES if c.id == "010-page.txt")
    r = extract_file(case.path, SETTINGS)
    amb = [f for f in r.findings if f.rule == "ambiguous_split"]
    assert len(amb) == 1 and "693665" in amb[0].message
    assert [69, 3, 665] in amb[0].numbers["candidates"]


def test_printed_inconsistency_is_transcribed_and_flagged() -> None:
    """dev/021: （七）总计 printed 0000000 beside 3 applications: kept as printed, rules named."""
    case = next(c for c in CASES if c.id == "021-page.txt")
    r = extract_file(case.path, SETTINGS)
    assert r.record["applications"]["total_processed"] == [0] * 7
    assert r.record["source_inconsistencies"] == ["processed_total", "balance"]
    assert any(f.severity == "source" and f.rule == "balance" for f in r.findings)


def test_numbers_printed_before_their_labels_are_not_accepted(tmp_path) -> None:
    """A PDF text layer can print each row's numbers on the line above its label (dev/001 without
    table detection). Read naively every row takes its neighbour's numbers and the sums break;
    that must go to review, not be taken as the report's own inconsistency."""
    lines = (next(c for c in CASES if c.id == "000-report.txt").path
             .read_text(encoding="utf-8").split("\n"))
    out: list[str] = []
    i = 0
    while i < len(lines):
        nums = lines[i + 2:i + 15:2]  # the report prints one cell per line, blank lines between
        if (any(k in lines[i] for k in ("数量", "公开", "秘密", "信息", "申请", "总计", "继续办理", "其他", "案卷", "事项",
                                         "出版物", "不明确"))
                and len(nums) == 7 and all(n.strip().isdigit() for n in nums)):
            out.extend(lines[i + 1:i + 15])
            out.append(lines[i])
            i += 15
        else:
            out.append(lines[i])
            i += 1
    shifted = tmp_path / "shifted.txt"
    shifted.write_text("\n".join(out), encoding="utf-8")
    assert shifted.read_text(encoding="utf-8") != "\n".join(lines)
    r = extract_file(shifted, SETTINGS)
    assert r.status == "review"
    assert r.record["source_inconsistencies"] == []
