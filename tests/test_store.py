"""The results store on a real SQLite file: migrations, one-transaction saves, history, reviews, queue,
and the cross-year checks, with the hand-labelled records of real dev reports as the data."""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from extractor import store as st
from extractor.crosscheck import run_crosschecks
from extractor.document import Span
from extractor.errors import StoreError
from extractor.messages import reasons_text
from extractor.pipeline import extract_file
from extractor.record import parse_record, record_to_dict
from extractor.result import CellProvenance, ExtractionResult, Finding, LLMCall
from extractor.settings import Settings
from tests.dev_reports import DEV


def gold(report: str) -> dict:
    return record_to_dict(parse_record(json.loads((DEV / report / "gold.json").read_text(encoding="utf-8"))))


def input_file(report: str) -> Path:
    src = json.loads((DEV / report / "source.json").read_text(encoding="utf-8"))
    return DEV / report / src["inputs"][0]


def result_from_gold(report: str, *, status: str = "accepted", record: dict | None = None,
                     findings: list[Finding] | None = None) -> ExtractionResult:
    """A result carrying the real labelled record of a dev report and its real file's hash."""
    path = input_file(report)
    data = path.read_bytes()
    rec = record if record is not None else gold(report)
    return ExtractionResult(
        source=str(path), status=status, record=rec, findings=findings or [],
        reasons=[f.message for f in (findings or []) if f.severity == "review"],
        format=path.suffix.lstrip("."), sha256=hashlib.sha256(data).hexdigest(), size=len(data),
        engine_version="rules-test", prompt_versions=["table3@1"],
        provenance=[CellProvenance(field="applications.new_received[6]", value=rec["applications"]["new_received"][6],
                                   method="grid_cell", span=Span(start=10, end=12), label="一、本年新收政府信息公开申请数量")],
        llm_usage=[LLMCall(purpose="table3", prompt_id="table3@1", attempt=1, outcome="ok", prompt_tokens=900,
                           completion_tokens=120, latency_s=4.5, model="qwen")],
    )


@pytest.fixture
def store(tmp_path: Path):
    s = st.open_store(tmp_path / "results.sqlite")
    yield s
    s.close()


def test_fresh_database_has_every_migration_once(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    st.open_store(path).close()
    st.open_store(path).close()   # reopening applies nothing twice
    conn = sqlite3.connect(path)
    versions = [r[0] for r in conn.execute("SELECT version FROM schema_version ORDER BY version")]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    assert versions == [v for v, _ in st.MIGRATIONS]
    assert {"sources", "extractions", "findings", "llm_calls", "reviews", "runs", "schema_version"} <= tables
    assert "cells" not in tables     # the record's numbers and their provenance are in extractions


def test_version_1_database_is_migrated_keeping_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)")
    for statement in st._statements(st.MIGRATIONS[0][1]):
        conn.execute(statement)
    conn.execute("INSERT INTO schema_version VALUES (1, 'then')")
    conn.execute("INSERT INTO sources (path, sha256, first_seen) VALUES ('a.pdf', 'x', 'then')")
    conn.execute("INSERT INTO extractions (source_id, config_key, status, created_at) VALUES (1, 'k', 'review', 'then')")
    conn.commit()
    conn.close()
    with st.open_store(path) as s:
        assert st.schema_version(s) == st.LATEST_VERSION
        row = st.get_extraction(s, 1)
        assert row is not None and row["path"] == "a.pdf" and row["review_state"] is None
        assert st.list_queue(s)[0]["id"] == 1


def test_version_3_database_takes_reports_from_before_the_template(tmp_path: Path) -> None:
    # version 4 rebuilds the extractions table to widen its status CHECK: rows, reviews, findings
    # and the foreign keys pointing at it survive
    path = tmp_path / "v3.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)")
    for version, sql in st.MIGRATIONS[:3]:
        for statement in st._statements(sql):  # type: ignore[arg-type]
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (?, 'then')", (version,))
    conn.execute("INSERT INTO sources (path, sha256, first_seen) VALUES ('a.pdf', 'x', 'then')")
    conn.execute("INSERT INTO extractions (source_id, config_key, status, created_at) VALUES (1, 'k', 'review', 'then')")
    conn.execute("INSERT INTO findings (extraction_id, rule, severity, message) "
                 "VALUES (1, 'row_total', 'review', 'the sums do not agree')")
    conn.execute("INSERT INTO reviews (extraction_id, reviewer, decision, created_at) VALUES (1, 'li', 'reject', 'then')")
    conn.commit()
    conn.close()
    old = Path(__file__).parent / "data" / "pre_template" / "2018_80529" / "page.txt"
    with st.open_store(path) as s:
        assert st.schema_version(s) == st.LATEST_VERSION
        row = st.get_extraction(s, 1)
        assert row is not None and row["review_state"] is None and row["findings"][0]["rule"] == "row_total"
        assert st.review_history(s, 1)[0]["decision"] == "reject"
        eid = st.save_result(s, extract_file(old, Settings(llm="off")), config_key="k")
        saved = st.get_extraction(s, eid)
        assert saved is not None and saved["status"] == "pretemplate" and saved["year"] == 2018
        assert saved["legacy"]["figures"][0]["this_year"] == 2069
        assert ("legacy", "active_total", "this_year", 2069) in {
            (c["table"], c["row"], c["col"], c["value"]) for c in saved["cells"]}
        assert st.counts_by_status(s) == {"review": 1, "pretemplate": 1}
        with pytest.raises(sqlite3.IntegrityError):   # still checked, still referenced
            s.conn.execute("INSERT INTO findings (extraction_id, rule, severity, message) VALUES (99, 'a', 'b', 'c')")
        with pytest.raises(sqlite3.IntegrityError):
            s.conn.execute("INSERT INTO extractions (source_id, config_key, status, created_at) "
                           "VALUES (1, 'k', 'maybe', 'now')")


def test_version_4_database_keeps_every_provenance_once_compressed(tmp_path: Path) -> None:
    # a database written by the program at schema version 4 (tests/data/stores/README.md): its
    # provenance was in extractions.provenance_json and again in the cells table
    path = tmp_path / "v4.sqlite"
    path.write_bytes(gzip.decompress((Path(__file__).parent / "data" / "stores" / "schema-v4.sqlite.gz").read_bytes()))
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    before = {r["id"]: json.loads(r["provenance_json"]) for r in conn.execute("SELECT id, provenance_json FROM extractions")}
    cells: dict[int, list[dict]] = {eid: [] for eid in before}
    for r in conn.execute("SELECT * FROM cells ORDER BY rowid"):
        cell = dict(r)
        cells[cell.pop("extraction_id")].append(cell)
    findings = {eid: conn.execute("SELECT COUNT(*) FROM findings WHERE extraction_id = ?", (eid,)).fetchone()[0]
                for eid in before}
    conn.close()
    assert sum(len(p) for p in before.values()) > 500 and any(p.get("box") for ps in before.values() for p in ps)
    with st.open_store(path) as s:
        assert st.schema_version(s) == st.LATEST_VERSION
        for eid, provenance in before.items():
            got = st.get_extraction(s, eid)
            assert got is not None
            # as written then, in today's shape (fields added since are null)
            assert got["provenance"] == [CellProvenance.model_validate(p).model_dump(mode="json")
                                         for p in provenance], eid
            assert got["cells"] == cells[eid], eid
            assert len(got["findings"]) == findings[eid]
        assert st.counts_by_status(s) == {"accepted": 3, "review": 1, "pretemplate": 1, "failed": 1}
        reviewed = st.reviewed_ids(s, ["accept"])
        assert len(reviewed) == 1 and st.latest_reviewed_record(s, reviewed[0]) == st.get_record(s, reviewed[0])
        columns = {r[1] for r in s.conn.execute("PRAGMA table_info(extractions)")}
        assert "provenance_json" not in columns and "findings_json" not in columns
        # results stored after the migration read back the same way
        old = Path(__file__).parent / "data" / "pre_template" / "2018_80529" / "page.txt"
        result = extract_file(old, Settings(llm="off"))
        saved = st.get_extraction(s, st.save_result(s, result, config_key="k"))
        assert saved is not None and saved["provenance"] == [p.model_dump(mode="json") for p in result.provenance]
        assert ("legacy", "active_total", "this_year", 2069) in {
            (c["table"], c["row"], c["col"], c["value"]) for c in saved["cells"]}


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    st.open_store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (99, 'future')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        st.open_store(path)


def test_missing_database_is_an_error_when_not_creating(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no such results database"):
        st.open_store(tmp_path / "absent.sqlite", create=False)


@pytest.mark.parametrize("report", ["001", "008", "012"], ids=["001", "008", "012"])
def test_saved_result_reads_back_whole(store: st.Store, report: str) -> None:
    result = result_from_gold(report, status="review", findings=[
        Finding(rule="review_total", severity="source", code="review_total", cells=["review_litigation.review[4]"],
                params={"label": "行政复议", "total": 0, "parts": [11, 0, 0, 0], "sum": 11, "verdict": "printed"},
                numbers={"printed": 0, "sum": 11})])
    eid = st.save_result(store, result, config_key="k1", llm_setting="off")
    got = st.get_extraction(store, eid)
    assert got is not None
    assert got["record"] == result.record
    assert got["path"] == result.source and got["sha256"] == result.sha256 and got["size"] == result.size
    assert got["status"] == "review" and got["is_current"] == 1
    assert (got["organization"], got["year"], got["template"]) == (result.record["organization"],
                                                                   result.record["year"], result.record["template"])
    assert got["findings"] == [{"rule": "review_total", "severity": "source",
                                "message": "printed in the report: 行政复议: 总计 0 ≠ 11+0+0+0 = 11",
                                "code": "review_total", "params": result.findings[0].params,
                                "cells": ["review_litigation.review[4]"], "numbers": {"printed": 0, "sum": 11},
                                "origin": "extraction"}]
    assert got["llm_usage"][0]["prompt_tokens"] == 900 and got["prompt_versions"] == ["table3@1"]
    # every number of the record is a cell row; the one with provenance carries it
    assert len(got["cells"]) == len(st.record_cells(result.record))
    by_field = {c["field"]: c for c in got["cells"]}
    cell = by_field["applications.new_received[6]"]
    assert cell["value"] == result.record["applications"]["new_received"][6]
    assert (cell["method"], cell["span_start"], cell["span_end"]) == ("grid_cell", 10, 12)
    assert by_field["review_litigation.review[0]"]["value"] == result.record["review_litigation"]["review"][0]
    n_calls = store.conn.execute("SELECT COUNT(*) FROM llm_calls WHERE extraction_id = ?", (eid,)).fetchone()[0]
    assert n_calls == 1


def test_new_result_for_a_path_keeps_the_old_one_as_history(store: st.Store) -> None:
    first = st.save_result(store, result_from_gold("001"), config_key="k1")
    second = st.save_result(store, result_from_gold("001"), config_key="k2")
    changed = result_from_gold("001")
    changed.sha256 = "0" * 64          # the same path, new content
    third = st.save_result(store, changed, config_key="k2")
    rows = store.conn.execute("SELECT id, is_current FROM extractions ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [(first, 0), (second, 0), (third, 1)]
    assert st.current_for_path(store, changed.source)["id"] == third
    # the invariant the crash-safety rests on (one current result per source) is the database's own
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute("UPDATE extractions SET is_current = 1 WHERE id IN (?, ?)", (first, second))


def test_failed_result_without_bytes_is_stored(store: st.Store) -> None:
    eid = st.save_result(store, ExtractionResult(source="big.pdf", status="failed", error="big.pdf: over the limit",
                                                 reasons=["big.pdf: over the limit"]), config_key="k")
    got = st.get_extraction(store, eid)
    assert got["record"] is None and got["cells"] == [] and got["error"] == "big.pdf: over the limit"
    assert st.counts_by_status(store) == {"failed": 1}


def test_copy_for_identical_content_elsewhere(store: st.Store) -> None:
    eid = st.save_result(store, result_from_gold("002"), config_key="k")
    cid = st.copy_extraction(store, eid, path="archive.zip!hzq2024.pdf")
    a, b = st.get_extraction(store, eid), st.get_extraction(store, cid)
    assert b["path"] == "archive.zip!hzq2024.pdf" and b["sha256"] == a["sha256"] and b["reused_from"] == eid
    assert b["record"] == a["record"] and len(b["cells"]) == len(a["cells"]) and b["config_key"] == "k"
    assert a["is_current"] == b["is_current"] == 1


def test_reviews_queue_and_reviewed_record(store: st.Store) -> None:
    risky = result_from_gold("001", status="review", findings=[
        _unsettled(3), Finding(rule="metadata", severity="review", code="metadata_no_year")])
    mild = result_from_gold("002", status="review", findings=[_unsettled(5)])
    ok = result_from_gold("012")
    r1 = st.save_result(store, risky, config_key="k")
    r2 = st.save_result(store, mild, config_key="k")
    st.save_result(store, ok, config_key="k")
    assert [r["id"] for r in st.list_queue(store)] == [r1, r2]
    assert st.count_queue(store) == 2 and st.count_queue(store, status=None, review_state=None) == 3

    corrected = copy.deepcopy(risky.record)
    corrected["review_litigation"]["review"][4] = 11
    with pytest.raises(ValueError):
        st.add_review(store, r1, reviewer="li", decision="maybe")
    with pytest.raises(ValueError):
        st.add_review(store, r1, reviewer="li", decision="accept", record={"year": "not a year"})
    with pytest.raises(LookupError):
        st.add_review(store, 999, reviewer="li", decision="accept")
    st.add_review(store, r1, reviewer="li", decision="reject", note="totals misread")
    assert st.latest_reviewed_record(store, r1) == risky.record     # no correction yet
    st.add_review(store, r1, reviewer="wang", decision="source_inconsistent", record=corrected)
    st.add_review(store, r2, reviewer="li", decision="accept")

    assert [h["decision"] for h in st.review_history(store, r1)] == ["reject", "source_inconsistent"]
    assert st.review_history(store, r1)[1]["record"] == corrected
    assert st.latest_reviewed_record(store, r1) == corrected
    assert st.latest_reviewed_record(store, r2) == mild.record
    assert st.list_queue(store) == []
    reviewed = st.list_queue(store, review_state="reviewed")
    assert {r["id"]: r["review_state"] for r in reviewed} == {r1: "source_inconsistent", r2: "accept"}
    # grouped by code and parameters, figures folded, in the language asked for
    assert st.top_reasons(store)[0] == (
        "the extracted numbers do not add up: （七）总计 [自然人] N ≠ sum of the outcome rows N", 2)
    assert st.top_reasons(store, lang="zh")[0] == ("提取的数字不相加：（七）总计 [自然人] N ≠ 各办理结果行之和 N", 2)
    assert st.top_reasons(store, lang="zh")[1] == ("无法从标题或正文读出报告年度", 1)


def _unsettled(total: int) -> Finding:
    return Finding(rule="processed_total", severity="review", code="processed_total",
                   params={"column": "自然人", "total": total, "sum": total + 1, "verdict": "ours"})


def test_reasons_stored_before_codes_show_and_group_by_their_text(store: st.Store) -> None:
    # results stored before findings had codes: their messages are all there is
    for report in ("001", "002"):
        old = result_from_gold(report, status="review", findings=[
            Finding(rule="unsettled_split", severity="review", message="表三 row 3 has two admissible splits")])
        st.save_result(store, old, config_key="k")
    store.conn.execute("UPDATE findings SET code = '', params_json = '{}'")
    assert st.top_reasons(store, lang="zh") == [("表三 row 3 has two admissible splits", 2)]
    rows = st.list_queue(store)
    assert [reasons_text(r["status"], r["findings"], r["reasons"], "zh") for r in rows] == \
        [["表三 row 3 has two admissible splits"]] * 2


def test_crosscheck_on_hongze_2023_2024(store: st.Store) -> None:
    """洪泽区 2023 (dev/001) and 2024 (dev/002): the labelled records carry over and keep the 现行有效
    chain (5 + 3 - 0 = 8); new applications (21 -> 95) and 行政许可 decisions (550 -> 9487) jump."""
    y24 = gold("002")
    e23 = st.save_result(store, result_from_gold("001"), config_key="k")
    e24 = st.save_result(store, result_from_gold("002"), config_key="k")
    assert run_crosschecks(store) == 2
    stored = [f for f in st.get_extraction(store, e24)["findings"] if f["origin"] == "crosscheck"]
    assert sorted(f["numbers"]["indicator"] for f in stored) == ["licensing_decisions", "new_received"]
    assert {f["rule"] for f in stored} == {"cross_year_jump"}

    # a 2024 record that does not continue 2023: 行政规范性文件 in force 9 instead of 5 + 3 - 0,
    # and 上年结转 2 where 2023 carried forward 0
    bad = copy.deepcopy(y24)
    bad["active_disclosure"]["normative_documents"]["in_force"] = 9
    bad["applications"]["carried_over"][0] = 2
    bad["applications"]["carried_over"][6] = 2
    e24b = st.save_result(store, result_from_gold("002", record=bad), config_key="k2")
    assert run_crosschecks(store) == 4
    assert run_crosschecks(store) == 4     # recomputed, not added again
    found = {f["rule"]: f for f in st.get_extraction(store, e24b)["findings"] if f["origin"] == "crosscheck"}
    assert set(found) == {"cross_year_in_force", "cross_year_carryover", "cross_year_jump"}
    assert all(f["severity"] == "info" for f in found.values())
    assert found["cross_year_in_force"]["numbers"]["expected"] == 8
    assert found["cross_year_in_force"]["numbers"]["last_year_extraction_id"] == e23
    assert found["cross_year_carryover"]["cells"] == ["applications.carried_over[0]", "applications.carried_over[6]"]
    assert st.get_extraction(store, e24b)["status"] == "accepted"       # a finding, not a rejection
    assert [f for f in st.get_extraction(store, e23)["findings"] if f["origin"] == "crosscheck"] == []
    assert st.get_extraction(store, e24)["is_current"] == 0
