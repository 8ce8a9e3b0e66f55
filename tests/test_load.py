"""Loaders on every dev input, and one test per kind of bad input."""

from __future__ import annotations

import io
import json
import random
import re
import zipfile
from pathlib import Path

import pytest

from extractor.document import CELL_SEP, Document
from extractor.errors import EncodingError, InputLimitError, LoadError, UnsupportedFormatError
from extractor.load import load_bytes, load_document
from extractor.load.pdf import is_page_number
from extractor.load.render import collapse
from extractor.settings import Settings
from tests.dev_reports import DEV
from tests.hostile_inputs import pdf_file

LABEL_NEW = "本年新收政府信息公开申请数量"
NUMBER = re.compile(r"^\d+(\.\d+)?$")
GRID_FORMATS = {"html", "pdf", "docx", "md"}
SETTINGS = Settings()


def _inputs() -> list[tuple[str, Path, dict]]:
    cases = []
    for d in sorted(DEV.iterdir()):
        source = json.loads((d / "source.json").read_text(encoding="utf-8"))
        gold = json.loads((d / "gold.json").read_text(encoding="utf-8"))
        for name in source["inputs"]:
            cases.append((f"{d.name}-{name}", d / name, gold))
    return cases


# image-only PDFs are read by OCR (slow): tests/test_scans.py loads them; legacy Word files need
# LibreOffice: tests/test_legacy.py
CASES = [c for c in _inputs() if not c[1].name.endswith(("-scan.pdf", ".doc"))]
IDS = [c[0] for c in CASES]


def _expected_format(path: Path) -> str:
    """From content and extension: .txt holding markdown is md (dev/004); .html/.pdf/.docx as named."""
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        return "html"
    if suffix in (".pdf", ".docx", ".md"):
        return suffix[1:]
    text = path.read_bytes()
    if re.search(rb"^\|.*\|\s*$", text, re.M) and re.search(rb"^#{1,6} ", text, re.M):
        return "md"
    return "txt"


@pytest.fixture(scope="module")
def loaded() -> dict[str, Document]:
    return {case_id: load_document(path, SETTINGS) for case_id, path, _ in CASES}


def _cells_after_label(line: str, label: str) -> list[str]:
    cells = line.split(CELL_SEP)
    idx = next(i for i, c in enumerate(cells) if label in c)
    return cells[idx + 1:]


def _as_number(cell: str) -> int | float:
    return 0 if cell == "" else (float(cell) if "." in cell else int(cell))


@pytest.mark.parametrize("case_id,path,gold", CASES, ids=IDS)
def test_dev_input_loads(loaded, case_id, path, gold):
    doc = loaded[case_id]
    assert doc.format == _expected_format(path)
    assert doc.source == str(path)
    assert LABEL_NEW in doc.text
    total = str(gold["applications"]["new_received"][6])
    assert total in doc.text
    assert doc.title and ("报告" in doc.title)
    if doc.format in ("txt", "md", "html"):
        assert doc.encoding in ("utf-8", "gb18030")
    if doc.format in GRID_FORMATS:
        rows = [ln for ln in doc.text.split("\n") if LABEL_NEW in ln and CELL_SEP in ln]
        assert rows, "the 表三 new-received row is not a table row"
        for row in rows:
            after = _cells_after_label(row, LABEL_NEW)
            if doc.format == "md":
                # markdown converters pad a label spanning columns with empty cells before the
                # numbers, and rows to the header width after them: blank padding is allowed
                while len(after) > 7 and after[0] == "":
                    after = after[1:]
                if "subtotal-column" in path.name:
                    after = after[:6] + after[7:]   # the layout prints a 小计 column (the rules drop it)
                assert all(c == "" for c in after[7:]), after
                after = after[:7]
            assert len(after) == 7, after
            assert all(c == "" or NUMBER.match(c) for c in after), after
            assert [_as_number(c) for c in after] == gold["applications"]["new_received"]


@pytest.mark.parametrize("case_id,path,gold", CASES, ids=IDS)
def test_grid_spans_point_into_text(loaded, case_id, path, gold):
    doc = loaded[case_id]
    if doc.format not in GRID_FORMATS:
        assert doc.grids == []
        return
    assert doc.grids
    for grid in doc.grids:
        assert grid.span is not None
        for row in grid.rows:
            for cell in row:
                assert CELL_SEP not in cell.text and "\n" not in cell.text
                if cell.text:       # every printed cell can be found in the text
                    assert cell.span is not None, cell.text
                    assert doc.text[cell.span.start:cell.span.end] == cell.text


TABLE_CASES = [c for c in CASES if c[1].suffix.lower() in (".pdf", ".html", ".docx")]


def _numeric_tail(line: str) -> list[int | float]:
    cells = line.split(CELL_SEP)
    tail: list[str] = []
    for c in reversed(cells):
        if c == "" or NUMBER.match(c):
            tail.append(c)
        else:
            break
    return [_as_number(c) for c in reversed(tail)]


@pytest.mark.parametrize("case_id,path,gold", TABLE_CASES, ids=[c[0] for c in TABLE_CASES])
def test_every_table3_row_is_one_line_and_table4_is_whole(loaded, case_id, path, gold):
    """Real tables (PDF ruling lines, HTML/DOCX cells): every 表三 row of gold is one TAB line ending
    in its 7 numbers, and the 表四 numbers are one 15-cell row or three 5-cell rows."""
    doc = loaded[case_id]
    tails = [_numeric_tail(ln) for ln in doc.text.split("\n") if CELL_SEP in ln]
    sevens = [t[-7:] for t in tails if len(t) >= 7]
    for key, values in gold["applications"].items():
        assert values in sevens, f"表三 row {key} {values} is not one line"
    rl = gold["review_litigation"]
    fifteen = rl["review"] + rl["litigation_direct"] + rl["litigation_after_review"]
    fives = [t for t in tails if len(t) == 5]
    assert fifteen in [t[-15:] for t in tails if len(t) >= 15] or all(
        rl[k] in fives for k in ("review", "litigation_direct", "litigation_after_review"))


def test_pdf_table_cells_join_cjk_without_spaces(loaded):
    text = loaded["003-szfgs2024.pdf"].text
    assert "商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他" in text
    assert "\t（一）予以公开\t1288\t21\t0\t0\t50\t3\t1362" in text  # under the vertical merged cell
    assert "三、本年度办理结果\t（一）予以公开" in text                 # printed once, at its origin


def test_pdf_row_cut_by_page_break_is_recovered(loaded):
    """dev/014 print: Chromium leaves the first row of page 4 open; its cells must still be a row."""
    text = loaded["014-derived-print.pdf"].text
    assert "1.本机关不掌握相关政府信息\t49\t1\t0\t0\t0\t0\t50" in text
    assert "三、本年度办理结果\t（一）予以公开\t33" in text


def test_html_word_export_labels_joined(loaded):
    doc = loaded["012-page.html"]
    assert "商业企业\t科研机构" in doc.text
    spanned = [c for g in doc.grids for r in g.rows for c in r if c.rowspan > 1 or c.colspan > 1]
    assert spanned, "rowspan/colspan not recorded in the grids"
    assert doc.text.count("三、本年度办理结果") == 1  # a rowspan cell is printed once


def test_html_nbsp_cells_are_empty(loaded):
    text = loaded["015-沭阳县发展和改革局2023年政府信息公开年度报告-沭阳县发改局_2025-12-30.html"].text
    assert f"{LABEL_NEW}\t26\t\t\t\t\t\t26" in text


def test_docx_body_order_and_merged_cells(loaded):
    doc = loaded["015-derived-word.docx"]
    text = doc.text
    assert text.index("二、主动公开政府信息情况") < text.index("信息内容\t本年制发件数") \
        < text.index("三、收到和处理政府信息公开申请情况") < text.index(LABEL_NEW) \
        < text.index("五、存在的主要问题")
    assert text.count("三、本年度办理结果") == 1
    assert any(c.rowspan > 1 for g in doc.grids for r in g.rows for c in r)


def test_markdown_pipe_tables_become_tab_rows(loaded):
    doc = loaded["004-沭阳县人民政府2025年政府信息公开工作年度报告-沭阳县人民政府.txt"]
    assert "|" not in "".join(ln for ln in doc.text.split("\n") if CELL_SEP in ln)
    assert "---" not in doc.text
    assert f"{LABEL_NEW}\t705\t3\t0\t0\t5\t0\t713" in doc.text


def test_collapse_joins_cjk_without_spaces():
    assert collapse("商业\n 企业") == "商业企业"
    assert collapse("  （一）\n予以公开 ") == "（一）予以公开"
    assert collapse("2023 年\n12 34") == "2023 年 12 34"
    assert collapse("\u00a0") == ""


@pytest.mark.parametrize("line", ["- 3 -", "— 3 —", "－ 12 －", "第3页", "第 3 页 共 6 页", "3/6", "3 / 6"])
def test_page_number_lines_are_recognised(line):
    assert is_page_number(line, top=400, bottom=410, height=842)


@pytest.mark.parametrize("line", ["3119", "一、总体情况", "2024 年", "12 34 56"])
def test_body_lines_are_not_page_numbers(line):
    assert not is_page_number(line, top=400, bottom=410, height=842)


# ---------------------------------------------------------------- encodings

REPORT_TXT = (DEV / "000" / "report.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("encoding,prefix,expected", [
    ("gbk", b"", "gb18030"),
    ("gb18030", b"", "gb18030"),
    ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
    ("utf-16-le", b"\xff\xfe", "utf-16"),
    ("utf-16-be", b"\xfe\xff", "utf-16"),
    ("utf-16-le", b"", "utf-16-le"),
    ("utf-16-be", b"", "utf-16-be"),
], ids=["gbk", "gb18030", "utf8-bom", "utf16le-bom", "utf16be-bom", "utf16le", "utf16be"])
def test_text_encodings_are_detected(encoding, prefix, expected):
    data = prefix + REPORT_TXT.encode(encoding)
    doc = load_bytes(data, "report.txt", SETTINGS)
    assert doc.format == "txt"
    assert doc.encoding == expected
    assert doc.text == REPORT_TXT


def test_html_meta_charset_is_honoured_and_verified():
    body = "<table><tr><td>商业</td><td>企业</td></tr></table><p>政府信息公开工作年度报告</p>"
    gbk = f'<html><head><meta charset="gbk"><title>报告</title></head><body>{body}</body></html>'
    doc = load_bytes(gbk.encode("gbk"), "page.html", SETTINGS)
    assert doc.encoding == "gb18030" and "商业\t企业" in doc.text
    lying = gbk.encode("utf-8")  # declares gbk, is UTF-8: the declaration must not win
    doc = load_bytes(lying, "page.html", SETTINGS)
    assert doc.encoding == "utf-8" and "政府信息公开工作年度报告" in doc.text


def test_txt_holding_html_is_read_as_html():
    html = "<div><p>年度报告</p><table><tr><td>一、本年新收政府信息公开申请数量</td><td>3</td></tr></table></div>"
    doc = load_bytes(html.encode(), "page.txt", SETTINGS)
    assert doc.format == "html"
    assert "一、本年新收政府信息公开申请数量\t3" in doc.text


def test_crlf_is_normalised():
    doc = load_bytes("第一行\r\n第二行\r\n".encode(), "a.txt", SETTINGS)
    assert doc.text == "第一行\n第二行\n"


# ---------------------------------------------------------------- bad inputs

def _assert_error(exc_info, cls, name: str, *reason_words: str) -> None:
    err = exc_info.value
    assert type(err) is cls
    assert name in str(err)
    for w in reason_words:
        assert w in str(err), str(err)


def test_empty_file(tmp_path):
    p = tmp_path / "empty.pdf"
    p.write_bytes(b"")
    with pytest.raises(LoadError) as e:
        load_document(p, SETTINGS)
    _assert_error(e, LoadError, str(p), "empty file")


def test_whitespace_only_file():
    with pytest.raises(LoadError) as e:
        load_bytes(b" \r\n\t \n", "blank.txt", SETTINGS)
    _assert_error(e, LoadError, "blank.txt", "empty file", "whitespace")


def test_binary_garbage(tmp_path):
    p = tmp_path / "garbage.pdf"
    p.write_bytes(random.Random(7).randbytes(4096))
    with pytest.raises(UnsupportedFormatError) as e:
        load_document(p, SETTINGS)
    _assert_error(e, UnsupportedFormatError, str(p), "binary data")


def test_undecodable_text():
    rnd = random.Random(3)
    # printable high bytes with 0x80/0xFF (invalid GB18030 lead bytes), no control bytes
    body = bytes(rnd.choice([0x80, 0xFF] + list(range(0xA1, 0xFF))) for _ in range(3000))
    with pytest.raises(EncodingError) as e:
        load_bytes(b"report\n" + body, "odd.txt", SETTINGS)
    _assert_error(e, EncodingError, "odd.txt", "encoding", "UTF-8")


def test_truncated_pdf(tmp_path):
    p = tmp_path / "cut.pdf"
    p.write_bytes((DEV / "001" / "hzq2023_working.pdf").read_bytes()[:2048])
    with pytest.raises(LoadError) as e:
        load_document(p, SETTINGS)
    _assert_error(e, LoadError, str(p), "truncated PDF")


def test_image_only_pdf_with_nothing_on_it(tmp_path):
    """An image-only PDF is read by OCR (tests/test_scans.py); a blank one fails saying so."""
    from PIL import Image

    p = tmp_path / "scan.pdf"
    Image.new("RGB", (600, 800), "white").save(p, "PDF")
    with pytest.raises(LoadError) as e:
        load_document(p, Settings(ocr_cache=False))
    _assert_error(e, LoadError, str(p), "image-only PDF (no text layer)", "OCR found no text")


def _encrypted_pdf() -> bytes:
    """A minimal PDF with a standard-security /Encrypt dictionary whose user password is not empty."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>",
    ]
    return pdf_file(objs, f"/Encrypt 4 0 R /ID [<{'ab' * 16}> <{'ab' * 16}>]")


def test_encrypted_pdf():
    with pytest.raises(LoadError) as e:
        load_bytes(_encrypted_pdf(), "locked.pdf", SETTINGS)
    _assert_error(e, LoadError, "locked.pdf", "encrypted PDF", "password")


def test_legacy_excel(tmp_path):
    """An OLE2 file is told apart by its streams: an Excel workbook is not a report, whatever its name."""
    p = tmp_path / "report.doc"
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "Workbook".encode("utf-16-le") + b"\x00" * 64)
    with pytest.raises(UnsupportedFormatError) as e:
        load_document(p, SETTINGS)
    _assert_error(e, UnsupportedFormatError, str(p), "Excel .xls")


def test_zip_that_is_not_a_docx():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", "年度报告")
        zf.writestr("b.html", "<p>年度报告</p>")
    with pytest.raises(UnsupportedFormatError) as e:
        load_bytes(buf.getvalue(), "reports.zip", SETTINGS)
    _assert_error(e, UnsupportedFormatError, "reports.zip", "zip archive", "extractor run")


def test_docx_without_document_part():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(LoadError) as e:
        load_bytes(buf.getvalue(), "broken.docx", SETTINGS)
    _assert_error(e, LoadError, "broken.docx", "corrupt DOCX", "word/document.xml")


def test_truncated_docx(tmp_path):
    data = (DEV / "012" / "derived-word.docx").read_bytes()
    p = tmp_path / "cut.docx"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(LoadError) as e:
        load_document(p, SETTINGS)
    _assert_error(e, LoadError, str(p), "corrupt or truncated DOCX")


def test_oversized_file(tmp_path):
    small = Settings(max_file_bytes=1000)
    src = DEV / "000" / "report.txt"
    with pytest.raises(InputLimitError) as e:
        load_document(src, small)
    _assert_error(e, InputLimitError, str(src), "over the limit", "EXTRACTOR_MAX_FILE_BYTES")
    with pytest.raises(InputLimitError) as e:
        load_bytes(src.read_bytes(), "upload.txt", small)
    _assert_error(e, InputLimitError, "upload.txt", "over the limit")


def test_missing_file(tmp_path):
    p = tmp_path / "nope.pdf"
    with pytest.raises(LoadError) as e:
        load_document(p, SETTINGS)
    _assert_error(e, LoadError, str(p), "cannot read file")


def _text_pdf(items: list[tuple[float, float, str]]) -> bytes:
    """A one-page PDF with Helvetica text at (x, y) positions and no ruling lines."""
    ops = "".join(f"BT /F1 12 Tf {x} {y} Td ({t}) Tj ET\n" for x, y, t in items).encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(ops)} >>\nstream\n".encode() + ops + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_file(objs)


def test_pdf_without_ruling_lines_falls_back_to_gap_cells():
    data = _text_pdf([
        (72, 760, "Annual report on open government information"),
        (72, 700, "Row A"), (250, 700, "12"), (320, 700, "0"), (390, 700, "3"),
        (72, 680, "Row B"), (250, 680, "5"), (390, 680, "7"),
        (72, 640, "Closing remarks with 2 numbers like 2024 in prose."),
        (290, 30, "- 2 -"),
    ])
    doc = load_bytes(data, "plain.pdf", SETTINGS)
    lines = doc.text.split("\n")
    assert "Row A\t12\t0\t3" in lines
    assert "Row B\t5\t\t7" in lines  # the blank middle cell stays a cell
    assert "Closing remarks with 2 numbers like 2024 in prose." in lines
    assert "- 2 -" not in doc.text
    assert doc.grids and doc.grids[0].page == 1


def test_docx_with_damaged_xml():
    buf = io.BytesIO()
    src = zipfile.ZipFile(DEV / "015" / "derived-word.docx")
    with zipfile.ZipFile(buf, "w") as zf:
        for item in src.infolist():
            data = src.read(item.filename)
            zf.writestr(item, data[:len(data) // 3] if item.filename == "word/document.xml" else data)
    with pytest.raises(LoadError) as e:
        load_bytes(buf.getvalue(), "damaged.docx", SETTINGS)
    _assert_error(e, LoadError, "damaged.docx", "corrupt DOCX")
