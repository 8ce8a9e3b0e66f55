"""`extractor export`: files written from a real run's database, read back with json, csv and openpyxl."""

from __future__ import annotations

import copy
import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from extractor import store as st
from extractor.cli import main
from extractor.export import wide_fields
from extractor.template import APPLICANT_COLUMNS, REVIEW_COLUMNS, application_rows
from tests.dev_reports import DEV

ENV = {"EXTRACTOR_LLM": "off"}
REPORTS = ("008", "012", "016", "021")     # a 2019-template report and 2021 ones (html, txt)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("export")
    inputs = root / "in"
    inputs.mkdir()
    for report in REPORTS:
        shutil.copy(DEV / report / "page.txt", inputs / f"{report}.txt")
    shutil.copy(DEV / "012" / "page.html", inputs / "012.html")
    (inputs / "empty.txt").write_bytes(b"")
    path = root / "results.sqlite"
    result = CliRunner().invoke(main, ["run", str(inputs), "--db", str(path)], env=ENV)
    assert result.exit_code == 0, result.output
    with st.open_store(path) as s:
        rows = {r["path"]: r for r in st.iter_current(s)}
        # a reviewer corrects one report: exports carry the corrected record
        target = rows[str(inputs / "016.txt")]
        corrected = copy.deepcopy(target["record"])
        corrected["applications"]["granted"][0] += 1000
        st.add_review(s, target["id"], reviewer="li", decision="reject", record=corrected)
        rows[target["path"]]["record"] = corrected
    return {"path": path, "rows": rows, "corrected": target["path"]}


def export(db: dict, *args: str) -> str:
    result = CliRunner().invoke(main, ["export", "--db", str(db["path"]), *args], env=ENV)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_jsonl_has_every_report_with_its_record(db: dict) -> None:
    lines = [json.loads(line) for line in export(db, "--format", "jsonl").splitlines()]
    assert {o["source"] for o in lines} == set(db["rows"])
    for o in lines:
        row = db["rows"][o["source"]]
        assert o["status"] == row["status"] and o["record"] == row["record"] and o["reasons"] == row["reasons"]
    assert next(o for o in lines if o["source"] == db["corrected"])["review_state"] == "reject"
    failed = [json.loads(x) for x in export(db, "--format", "jsonl", "--status", "failed").splitlines()]
    assert [o["source"] for o in failed] == [p for p, r in db["rows"].items() if r["status"] == "failed"]
    assert failed[0]["record"] is None and failed[0]["error"]


def test_csv_long_one_line_per_number(db: dict, tmp_path: Path) -> None:
    out = tmp_path / "long.csv"
    export(db, "--format", "csv", "--out", str(out))
    lines = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    with_record = {p: r for p, r in db["rows"].items() if r["record"]}
    assert len(lines) == sum(len(st.record_cells(r["record"])) for r in with_record.values())
    for line in lines:
        rec = with_record[line["report"]]["record"]
        table, row, col = line["table"], line["row"], line["column"]
        value = rec[table][row][int(col)] if col.isdigit() else (rec[table][row][col] if col else rec[table][row])
        assert float(line["value"]) == value
    granted = next(x for x in lines if x["row"] == "granted" and x["column"] == "0")
    assert (granted["table_label"], granted["row_label"], granted["column_label"]) == ("表三", "（一）予以公开", "自然人")
    review = next(x for x in lines if x["row"] == "review" and x["column"] == "4")
    assert (review["table_label"], review["row_label"], review["column_label"]) == ("表四", "行政复议", "总计")


def test_csv_wide_one_line_per_report(db: dict) -> None:
    reader = csv.reader(io.StringIO(export(db, "--format", "csv", "--layout", "wide")))
    header = next(reader)
    body = list(reader)
    assert header[7:] == wide_fields() and len(body) == len(db["rows"])
    col = header.index("applications.granted[0]")
    for line in body:
        rec = db["rows"][line[0]]["record"]
        assert line[col] == (str(rec["applications"]["granted"][0]) if rec else "")


def test_xlsx_sheets_with_chinese_labels(db: dict, tmp_path: Path) -> None:
    out = tmp_path / "results.xlsx"
    CliRunner().invoke(main, ["export", "--db", str(db["path"]), "--format", "xlsx", "--out", str(out)], env=ENV)
    wb = load_workbook(out, read_only=True)
    assert wb.sheetnames == ["表二（2021）", "表二（2019）", "表三", "表四", "待复核", "旧统计表"]
    with_record = [r for r in db["rows"].values() if r["record"]]
    t3 = list(wb["表三"].iter_rows(values_only=True))
    assert list(t3[0]) == ["报告", "机关", "年度", "状态", "行", *APPLICANT_COLUMNS]
    assert len(t3) - 1 == sum(len(application_rows(r["record"]["template"])) for r in with_record)
    corrected = db["rows"][db["corrected"]]["record"]
    line = next(x for x in t3 if x[0] == db["corrected"] and x[4] == "（一）予以公开")
    assert list(line[5:]) == corrected["applications"]["granted"]
    t4 = list(wb["表四"].iter_rows(values_only=True))
    assert list(t4[0][5:]) == list(REVIEW_COLUMNS) and len(t4) - 1 == 3 * len(with_record)
    t2019 = list(wb["表二（2019）"].iter_rows(values_only=True))
    assert "规范性文件 本年新制作数量" in t2019[0]
    assert [x[0] for x in t2019[1:]] == [r["path"] for r in with_record if r["record"]["template"] == "2019"]
    t2021 = list(wb["表二（2021）"].iter_rows(values_only=True))
    assert "行政规范性文件 现行有效件数" in t2021[0] and "行政事业性收费 本年收费金额（万元）" in t2021[0]
    queue = list(wb["待复核"].iter_rows(values_only=True))
    needing = {p for p, r in db["rows"].items() if r["status"] in ("review", "failed")}
    assert {x[0] for x in queue[1:]} == needing
    for x in queue[1:]:
        assert x[6] or x[7]     # every listed report says why
