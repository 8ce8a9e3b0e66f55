"""`extractor run` over a copy of the real dev reports plus bad inputs, asserted on the database rows."""

from __future__ import annotations

import io
import json
import random
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor import reuse
from extractor import store as st
from extractor.archive import iter_items, make_filters
from extractor.batch import Progress, run_batch
from extractor.cli import main
from extractor.cli.batch import _Renderer
from extractor.names import shown
from extractor.pipeline import extract_file
from extractor.reuse import extraction_config, still_valid
from extractor.settings import Settings
from tests.dev_reports import DEV

MAX_FILE = 4_000_000
ENV = {"EXTRACTOR_LLM": "off", "EXTRACTOR_MAX_FILE_BYTES": str(MAX_FILE)}


def dev_inputs() -> dict[str, list[str]]:
    out = {}
    for d in sorted(p for p in DEV.iterdir() if (p / "source.json").is_file()):
        out[d.name] = json.loads((d / "source.json").read_text(encoding="utf-8"))["inputs"]
    return out


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def build_inputs(root: Path) -> dict[str, str]:
    """The dev folders (with their gold/source/notes files) and bad inputs. Returns the expected
    stored names -> what they are ('dev', 'ok', or the expected failure text)."""
    expected: dict[str, str] = {}
    for report, inputs in dev_inputs().items():
        shutil.copytree(DEV / report, root / "dev" / report)
        for name in inputs:
            expected[str(root / "dev" / report / name)] = "dev"
    bad = root / "bad"
    bad.mkdir()
    pdf = (DEV / "001" / "hzq2023_working.pdf").read_bytes()
    files = {
        "empty.txt": b"",
        "garbage.pdf": random.Random(5).randbytes(20_000),
        "truncated.pdf": pdf[: len(pdf) // 3],
        "big.txt": b"\xe6\x8a\xa5" * (MAX_FILE // 3 + 10),     # one byte over the limit is enough
        "notazip.zip": b"PK\x03\x04" + random.Random(6).randbytes(3000),
        ".hidden.txt": (DEV / "016" / "page.txt").read_bytes(),      # hidden: never an input
    }
    for name, data in files.items():
        (bad / name).write_bytes(data)
    expected[str(bad / "empty.txt")] = "failed"
    expected[str(bad / "garbage.pdf")] = "failed"
    expected[str(bad / "truncated.pdf")] = "failed"
    expected[str(bad / "big.txt")] = f"over the limit of {MAX_FILE:,} bytes (EXTRACTOR_MAX_FILE_BYTES)"
    expected[str(bad / "notazip.zip")] = "failed"
    # GBK: the real report 000 re-encoded as GB18030, outside its folder
    shutil.copy(DEV / "000" / "derived-gbk.txt", bad / "gbk.txt")
    expected[str(bad / "gbk.txt")] = "ok"

    arch = root / "archives"
    arch.mkdir()
    inner = zip_bytes({"hzq2023_working.pdf": pdf})
    (arch / "nested.zip").write_bytes(zip_bytes({
        "dir/a/page.html": (DEV / "012" / "page.html").read_bytes(),
        "dir/b/inner.zip": inner,
        "dir/notes/labelling-notes-A.md": (DEV / "012" / "labelling-notes-A.md").read_bytes(),
        "dir/.DS_Store": b"\0\0\0\1Bud1",
    }))
    n = str(arch / "nested.zip")
    expected[f"{n}!dir/a/page.html"] = "ok"
    expected[f"{n}!dir/b/inner.zip!hzq2023_working.pdf"] = "ok"
    (arch / "bomb.zip").write_bytes(zip_bytes({
        "zeros.txt": bytes(3_000_000),                          # ratio ~1000:1
        "page.txt": (DEV / "016" / "page.txt").read_bytes(),
    }))
    expected[f"{arch / 'bomb.zip'}!zeros.txt"] = "zip bomb"
    expected[f"{arch / 'bomb.zip'}!page.txt"] = "ok"
    deep = b"x"
    for level in range(5):
        deep = zip_bytes({f"level{level}.zip" if level else "report.txt": deep})
    (arch / "deep.zip").write_bytes(deep)
    expected[f"{arch / 'deep.zip'}!level4.zip!level3.zip!level2.zip"] = "nested deeper than 3"
    return expected


@pytest.fixture(scope="module")
def batch_run(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("batch")
    inputs = root / "in"
    inputs.mkdir()
    expected = build_inputs(inputs)
    db = root / "results.sqlite"
    runner = CliRunner()
    args = ["run", str(inputs), "--db", str(db), "--exclude", "labelling-notes*"]
    first = runner.invoke(main, args, env=ENV)
    second = runner.invoke(main, args, env=ENV)
    return {"root": root, "db": db, "expected": expected, "first": first, "second": second}


def current_rows(db: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = conn.execute("SELECT e.*, s.path, s.sha256 FROM extractions e JOIN sources s ON s.id = e.source_id "
                        "WHERE e.is_current = 1").fetchall()
    conn.close()
    return rows


def test_every_input_is_stored_once_and_nothing_else(batch_run) -> None:
    assert batch_run["first"].exit_code == 0, batch_run["first"].output
    rows = current_rows(batch_run["db"])
    paths = [r["path"] for r in rows]
    assert len(paths) == len(set(paths))
    assert set(paths) == set(batch_run["expected"])
    assert not any("labelling-notes" in p or p.endswith(".json") or "/." in p or "!." in p
                   or "DS_Store" in p for p in paths)


def test_counts_add_up(batch_run) -> None:
    conn = sqlite3.connect(batch_run["db"])
    runs = [json.loads(r[0]) for r in conn.execute("SELECT counts_json FROM runs ORDER BY id")]
    conn.close()
    n = len(batch_run["expected"])
    first, second = runs
    assert first["accepted"] + first["review"] + first["failed"] + first["pretemplate"] == n and first["skipped"] == 0
    assert second == {"accepted": 0, "review": 0, "failed": 0, "pretemplate": 0, "skipped": n, "reused": 0,
                      "extracted": 0, "duplicate_members": 0, "shared": 0}
    by_status: dict[str, int] = {}
    for r in current_rows(batch_run["db"]):
        by_status[r["status"]] = by_status.get(r["status"], 0) + 1
    assert by_status == {k: first[k] for k in ("accepted", "review", "failed") if first[k]}
    out = batch_run["first"].output
    assert f"{n} inputs, accepted {first['accepted']}, review {first['review']}, failed {first['failed']}" in out


def test_rerun_skips_everything_and_adds_no_rows(batch_run) -> None:
    assert batch_run["second"].exit_code == 0, batch_run["second"].output
    conn = sqlite3.connect(batch_run["db"])
    total = conn.execute("SELECT COUNT(*) FROM extractions").fetchone()[0]
    conn.close()
    assert total == len(batch_run["expected"])
    assert f"skipped (already done) {len(batch_run['expected'])}" in batch_run["second"].output


def test_bad_inputs_fail_with_their_reason(batch_run) -> None:
    rows = {r["path"]: r for r in current_rows(batch_run["db"])}
    for path, what in batch_run["expected"].items():
        if what in ("dev", "ok"):
            continue
        row = rows[path]
        assert row["status"] == "failed", path
        assert row["error"], path
        if what != "failed":
            assert what in row["error"], (path, row["error"])
        assert json.loads(row["record_json"] or "null") is None
    # bytes that could be read are hashed; the ones refused before reading are not
    assert rows[str(batch_run["root"] / "in" / "bad" / "empty.txt")]["sha256"] == \
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert rows[str(batch_run["root"] / "in" / "bad" / "big.txt")]["sha256"] == ""


def test_reports_inside_zips_are_extracted(batch_run) -> None:
    rows = {r["path"]: r for r in current_rows(batch_run["db"])}
    root = batch_run["root"] / "in"
    for path in (f"{root}/archives/nested.zip!dir/a/page.html",
                 f"{root}/archives/nested.zip!dir/b/inner.zip!hzq2023_working.pdf",
                 f"{root}/archives/bomb.zip!page.txt", f"{root}/bad/gbk.txt"):
        assert rows[path]["status"] != "failed", (path, rows[path]["error"])
        assert json.loads(rows[path]["record_json"])["applications"]
    # the same bytes as a dev file: one of the two is a stored copy of the other's result
    a = rows[f"{root}/archives/nested.zip!dir/b/inner.zip!hzq2023_working.pdf"]
    b = rows[f"{root}/dev/001/hzq2023_working.pdf"]
    assert a["sha256"] == b["sha256"] and a["record_json"] == b["record_json"] and a["status"] == b["status"]
    assert (a["reused_from"] == b["id"]) or (b["reused_from"] == a["id"])


@pytest.mark.parametrize("report", sorted(dev_inputs()), ids=sorted(dev_inputs()))
def test_stored_result_equals_extract_file(batch_run, report: str) -> None:
    rows = {r["path"]: r for r in current_rows(batch_run["db"])}
    settings = Settings.from_env(ENV)
    for name in dev_inputs()[report]:
        path = batch_run["root"] / "in" / "dev" / report / name
        row = rows[str(path)]
        direct = extract_file(path, settings)
        assert row["status"] == direct.status
        assert json.loads(row["record_json"] or "null") == direct.record
        if row["reused_from"] is None:
            assert json.loads(row["reasons_json"]) == direct.reasons
        with st.open_store(batch_run["db"]) as store:
            stored = st.get_extraction(store, row["id"])
        assert stored is not None
        assert [{k: v for k, v in f.items() if k != "origin"} for f in stored["findings"]
                if f["origin"] == "extraction"] == [f.model_dump(mode="json") for f in direct.findings]
        assert stored["provenance"] == [p.model_dump(mode="json") for p in direct.provenance]
        assert row["sha256"] == direct.sha256


def test_summary_names_top_review_reasons(batch_run) -> None:
    out = batch_run["first"].output
    with st.open_store(batch_run["db"]) as s:
        top = st.top_reasons(s, status="review")
    assert top, "the dev set holds reports that go to review"
    assert "Top reasons for review:" in out
    for reason, n in top[:8]:
        assert f"{n:>5}  {shown(reason, 150)}" in out   # as the CLI prints it: shortened with '…'
    assert "Failures in this run:" in out
    # non-TTY progress: one plain line per input on stderr (mixed into output by CliRunner)
    assert out.count("] failed ") >= 7


def test_config_change_reextracts_and_keeps_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "in").mkdir()
    for report in ("016", "020"):
        shutil.copy(DEV / report / "page.txt", tmp_path / "in" / f"{report}.txt")
    db = tmp_path / "r.sqlite"
    settings = Settings.from_env(ENV)
    first = run_batch([tmp_path / "in"], settings, db)
    monkeypatch.setattr(reuse, "ENGINE_VERSION", "rules-next")   # as after an engine upgrade
    second = run_batch([tmp_path / "in"], settings, db)
    assert first.extracted == 2 and second.extracted == 2 and second.counts["skipped"] == 0
    with st.open_store(db) as s:
        rows = s.conn.execute("SELECT s.path, e.is_current, e.config_key, e.run_id FROM extractions e "
                              "JOIN sources s ON s.id = e.source_id ORDER BY e.id").fetchall()
    assert [(r["is_current"], r["run_id"]) for r in rows] == [(0, first.run_id)] * 2 + [(1, second.run_id)] * 2
    assert {r["path"] for r in rows[:2]} == {r["path"] for r in rows[2:]}
    assert rows[0]["config_key"] != rows[2]["config_key"]


def test_still_valid_rules() -> None:
    off = extraction_config(Settings.from_env({}, llm="off"))
    auto = extraction_config(Settings.from_env({}, llm="auto"))
    on = extraction_config(Settings.from_env({}, llm="on"))
    stored = {"config_key": off.key, "engine_version": off.engine_version, "status": "accepted",
              "llm_call_count": 0, "llm_setting": "off", "error": None}
    assert still_valid(stored, off)
    assert not still_valid(stored, auto)                # the rules alone may not have settled it
    from_auto = {**stored, "config_key": auto.key, "llm_setting": "auto"}
    assert still_valid(from_auto, off) and still_valid(from_auto, auto) and not still_valid(from_auto, on)
    assert not still_valid({**from_auto, "llm_call_count": 3}, off)       # the model shaped that result
    assert not still_valid({**stored, "engine_version": "older", "config_key": "older-key"}, off)
    crashed = {**stored, "status": "failed", "error": "x.pdf: the worker crashed", "failure": "internal"}
    assert not still_valid(crashed, off)


def test_progress_events_and_terminal_rendering(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    for report in ("016", "018", "021"):
        shutil.copy(DEV / report / "page.txt", tmp_path / "in" / f"{report}.txt")
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    events: list[Progress] = []
    run_batch([tmp_path / "in"], Settings.from_env(ENV), tmp_path / "r.sqlite", on_progress=events.append)
    assert [e.kind for e in events] == ["start"] + ["item"] * 4 + ["finish"]
    assert [e.done for e in events] == [0, 1, 2, 3, 4, 4] and events[0].total == 4
    assert sum(events[-1].counts.values()) == 4 and events[-1].counts["failed"] >= 1
    screen = io.StringIO()
    render = _Renderer(screen, tty=True, quiet=False)
    for e in events:
        render(e)
    text = screen.getvalue()
    assert text.startswith("\r[") and "4/4" in text and "ETA" in text and "/s" in text and text.endswith("\n")


def test_include_and_exclude_patterns(tmp_path: Path) -> None:
    folder = tmp_path / "012"
    folder.mkdir()
    for name in ("page.html", "page.txt", "derived-word.docx", "labelling-notes-A.md", "labelling-notes-B.md",
                 "gold.json", "source.json"):
        shutil.copy(DEV / "012" / name, folder / name)
    settings = Settings.from_env(ENV)
    names = lambda inc, exc: sorted(Path(i.name).name for i in
                                    iter_items([tmp_path], settings, make_filters(inc, exc, tmp_path / "r.sqlite")))
    assert names(None, None) == ["derived-word.docx", "labelling-notes-A.md", "labelling-notes-B.md",
                                 "page.html", "page.txt"]
    assert names(None, ["labelling-notes*"]) == ["derived-word.docx", "page.html", "page.txt"]
    assert names(["*.html", "*.json"], None) == ["gold.json", "page.html", "source.json"]
    # our own database is never an input, even when the patterns would take it
    (tmp_path / "r.sqlite").write_bytes(b"SQLite format 3\0")
    assert "r.sqlite" not in names(["*"], None)


def test_commands_have_help() -> None:
    runner = CliRunner()
    for cmd in ("run", "export", "review-list"):
        result = runner.invoke(main, [cmd, "--help"])
        assert result.exit_code == 0 and "--db" in result.output
        assert main.commands[cmd].help


def test_review_list_prints_the_queue(batch_run) -> None:
    result = CliRunner().invoke(main, ["review-list", "--db", str(batch_run["db"]), "--status", "failed"], env=ENV)
    assert result.exit_code == 0, result.output
    failed = [r for r in current_rows(batch_run["db"]) if r["status"] == "failed"]
    assert result.output.startswith(f"{len(failed)} reports with status failed awaiting review")
    for r in failed:
        assert f"#{r['id']}  {r['path']}" in result.output
    missing = CliRunner().invoke(main, ["review-list", "--db", str(batch_run["root"] / "nope.sqlite")])
    assert missing.exit_code == 1 and "no such results database" in missing.output
