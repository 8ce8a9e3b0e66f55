"""A batch always finishes: every entry a careless user or a hostile uploader can put in a folder
or a zip ends as exactly one stored result, with its reason, and the run goes on (issue 11).

The runs are real `extractor run` processes (a FIFO that blocked the run must not block the test)."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from extractor import store as st
from extractor.names import as_text, shown, to_fs
from extractor.pipeline import extract_bytes
from extractor.settings import Settings
from tests.dev_reports import DEV
from tests.test_crash import make_copies

ENV = {**os.environ, "EXTRACTOR_LLM": "off"}
REPORT = (DEV / "016" / "page.txt").read_bytes()          # a real report the rules accept
OTHER = (DEV / "000" / "report.txt").read_bytes()
# nothing a name can do to a terminal may reach it raw: escape sequences, CR, other C0/C1 controls
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def extractor(*args: str, env: dict[str, str] | None = None, timeout: float = 300,
              prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, sys.executable, "-m", "extractor", *args], env=env or ENV,
                          capture_output=True, text=True, timeout=timeout)


def current(db: Path) -> dict[str, sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = conn.execute("SELECT e.*, s.path FROM extractions e JOIN sources s ON s.id = e.source_id "
                        "WHERE e.is_current = 1").fetchall()
    conn.close()
    paths = [r["path"] for r in rows]
    assert len(paths) == len(set(paths)), "one current result per input"
    return {r["path"]: r for r in rows}


def twenty_digit_report() -> bytes:
    html = (DEV / "012" / "page.html").read_text(encoding="utf-8")
    label = html.index("（一）予以公开</p>")
    cell = '<p style="text-indent: 0em;">22</p>'
    at = html.index(cell, label)
    return (html[:at] + '<p style="text-indent: 0em;">12345678901234567890</p>' + html[at + len(cell):]).encode()


# ---------------------------------------------------------------- a folder of hostile entries


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("hostile")
    folder = root / "in"
    folder.mkdir()
    raw = os.fsencode(folder)
    bad_name = os.fsdecode(raw + b"/bad\xffname.txt")           # not UTF-8
    Path(bad_name).write_bytes(REPORT)
    ansi = folder / "\x1b[2J\x1b[31mred\rcover\x9b.txt"         # escape sequences, CR, a C1 control
    ansi.write_bytes(OTHER)
    (folder / "loop.txt").symlink_to("loop.txt")                # a symbolic link to itself
    (folder / "a.txt").symlink_to("b.txt")                      # two links pointing at each other
    (folder / "b.txt").symlink_to("a.txt")
    os.mkfifo(folder / "x.txt")                                 # a FIFO nobody writes to
    (folder / "huge.html").write_bytes(twenty_digit_report())
    db = root / "results.sqlite"
    first = extractor("run", str(folder), "--db", str(db))
    second = extractor("run", str(folder), "--db", str(db))
    return {"folder": folder, "db": db, "first": first, "second": second, "bad": bad_name, "ansi": str(ansi)}


def test_every_hostile_entry_ends_as_one_result_and_the_run_finishes(hostile_run: dict) -> None:
    first = hostile_run["first"]
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    rows = current(hostile_run["db"])
    folder = hostile_run["folder"]
    expected = {as_text(hostile_run["bad"]), hostile_run["ansi"], str(folder / "loop.txt"),
                str(folder / "a.txt"), str(folder / "b.txt"), str(folder / "x.txt"), str(folder / "huge.html")}
    assert set(rows) == expected
    for name in ("loop.txt", "a.txt", "b.txt"):
        row = rows[str(folder / name)]
        assert row["status"] == "failed" and row["failure"] == "input"
        assert "symbolic link loop" in row["error"]
    fifo = rows[str(folder / "x.txt")]
    assert fifo["status"] == "failed" and "FIFO" in fifo["error"]
    assert rows[as_text(hostile_run["bad"])]["status"] == "accepted"
    assert rows[hostile_run["ansi"]]["status"] in ("accepted", "review")


def test_a_name_that_is_not_utf8_is_stored_losslessly(hostile_run: dict) -> None:
    stored = as_text(hostile_run["bad"])
    assert stored == str(hostile_run["folder"] / "bad\\xffname.txt")
    assert to_fs(stored) == hostile_run["bad"]
    assert Path(to_fs(stored)).read_bytes() == REPORT


def test_progress_lines_show_names_safely(hostile_run: dict) -> None:
    err = hostile_run["first"].stderr
    assert not RAW_CONTROL.search(err.replace("\n", "")), [line for line in err.splitlines()
                                                          if RAW_CONTROL.search(line)]
    assert shown(hostile_run["ansi"]) in err
    assert "bad\\xffname.txt" in err


def test_a_20_digit_count_goes_to_review_and_is_stored(hostile_run: dict) -> None:
    row = current(hostile_run["db"])[str(hostile_run["folder"] / "huge.html")]
    assert row["status"] == "review"
    assert any("'12345678901234567890' is larger than any figure" in r for r in json.loads(row["reasons_json"]))


def test_resuming_skips_every_hostile_entry(hostile_run: dict) -> None:
    second = hostile_run["second"]
    assert second.returncode == 0, second.stderr
    assert "7 inputs" in second.stdout and "skipped (already done) 7" in second.stdout, second.stdout


def test_save_result_stores_numbers_beyond_64_bits(tmp_path: Path) -> None:
    # whatever reads a number (a rule, the model, a reviewer), the store takes any valid record
    result = extract_bytes((DEV / "012" / "page.html").read_bytes(), "page.html", Settings(llm="off"))
    assert result.record is not None
    result.record["applications"]["granted"][0] = 12345678901234567890
    result.record["year"] = 10 ** 30
    with st.open_store(tmp_path / "r.sqlite") as store:
        eid = st.save_result(store, result, config_key="k")
        got = st.get_extraction(store, eid)
    assert got is not None and got["record"]["applications"]["granted"][0] == 12345678901234567890
    cell = next(c for c in got["cells"] if c["field"] == "applications.granted[0]")
    assert cell["value"] == pytest.approx(1.2345678901234567e19)


# ---------------------------------------------------------------- devices and FIFOs named explicitly


def test_a_device_named_as_input_is_read_with_a_cap() -> None:
    env = {**ENV, "EXTRACTOR_MAX_FILE_BYTES": "1000000"}
    run = extractor("extract", "/dev/zero", env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    row = json.loads(run.stdout)
    assert row["status"] == "failed" and "goes on past 1,000,000 bytes" in row["error"]
    assert "MemoryError" not in run.stderr and "Traceback" not in run.stderr


def test_a_fifo_named_as_input_is_read_until_it_ends_or_the_time_limit(tmp_path: Path) -> None:
    fifo = tmp_path / "report.txt"
    os.mkfifo(fifo)
    env = {**ENV, "EXTRACTOR_FILE_TIMEOUT_S": "3"}
    # nobody writes: given up after the time limit
    started = time.monotonic()
    row = json.loads(extractor("extract", str(fifo), env=env, timeout=60).stdout)
    assert row["status"] == "failed" and "did not end within 3 s" in row["error"]
    assert time.monotonic() - started < 25

    # a writer that sends a report and closes: read like a file
    def write(data: bytes, hold_s: float) -> None:
        with open(fifo, "wb") as fh:
            fh.write(data)
            fh.flush()
            time.sleep(hold_s)

    for data, hold, expect in ((REPORT, 0.0, "accepted"), (b"x", 8.0, "did not end within 3 s")):
        writer = threading.Thread(target=write, args=(data, hold), daemon=True)
        writer.start()
        started = time.monotonic()
        row = json.loads(extractor("extract", "--no-provenance", str(fifo), env=env, timeout=60).stdout)
        if expect == "accepted":
            assert row["status"] == "accepted"
        else:
            assert row["status"] == "failed" and expect in row["error"]
            assert time.monotonic() - started < 8
        writer.join(timeout=20)


# ---------------------------------------------------------------- zip members


def zip_with(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name), data)
    return buf.getvalue()


def test_zip_members_with_one_name_stay_apart_and_escaping_names_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    archive = folder / "reports.zip"
    with pytest.warns(UserWarning, match="Duplicate name"):
        data = zip_with([("a/report.txt", REPORT), ("a/report.txt", OTHER), ("../../etc/evil.txt", REPORT),
                         ("/abs/evil.txt", REPORT), ("ok/page.txt", OTHER)])
    archive.write_bytes(data)
    db = tmp_path / "r.sqlite"
    first = extractor("run", str(folder), "--db", str(db))
    assert first.returncode == 0, first.stderr
    assert "about 5 inputs" in first.stderr
    assert "2 zip members share their name" in first.stdout, first.stdout
    rows = current(db)
    z = str(archive)
    assert set(rows) == {f"{z}!a/report.txt#1", f"{z}!a/report.txt#2", f"{z}!../../etc/evil.txt",
                         f"{z}!/abs/evil.txt", f"{z}!ok/page.txt"}
    assert rows[f"{z}!a/report.txt#1"]["status"] == "accepted"      # 016's own record
    assert json.loads(rows[f"{z}!a/report.txt#1"]["record_json"]) != json.loads(rows[f"{z}!a/report.txt#2"]["record_json"])
    for evil in ("../../etc/evil.txt", "/abs/evil.txt"):
        row = rows[f"{z}!{evil}"]
        assert row["status"] == "failed" and "points outside the archive" in row["error"]
    second = extractor("run", str(folder), "--db", str(db))
    assert "skipped (already done) 5" in second.stdout, second.stdout
    assert current(db)[f"{z}!a/report.txt#1"]["id"] == rows[f"{z}!a/report.txt#1"]["id"]   # not superseded


# ---------------------------------------------------------------- parallel runs, read-only databases


def _two_parallel_runs(folder: Path, db: Path) -> tuple[list[tuple[str, str, str]], int]:
    extractor("run", str(folder.parent / "none"), "--db", str(db))    # create the database first
    cmd = [sys.executable, "-m", "extractor", "run", str(folder), "--db", str(db), "--workers", "1", "-q"]
    procs = [subprocess.Popen(cmd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    conn = sqlite3.connect(db)
    runs = conn.execute("SELECT counts_json, started_at, finished_at FROM runs WHERE roots_json LIKE ? "
                        "ORDER BY id", (f"%{folder}%",)).fetchall()
    stored = conn.execute("SELECT COUNT(*) FROM extractions e JOIN sources s ON s.id = e.source_id "
                          "WHERE s.path LIKE ?", (f"{folder}%",)).fetchone()[0]
    conn.close()
    return runs, stored


def test_parallel_runs_on_one_database_share_the_work(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    files = make_copies(folder)
    # On a busy machine one run may finish before the other has started: nothing is shared then,
    # so try again (a new database each time) until the two overlap.
    for attempt in range(3):
        db = tmp_path / f"r{attempt}.sqlite"
        runs, stored = _two_parallel_runs(folder, db)
        assert len(runs) == 2
        if runs[1][1] < runs[0][2]:
            break
    else:
        pytest.fail("the two runs never overlapped in three attempts: nothing to share")
    counts = [json.loads(r[0]) for r in runs]
    # each input extracted by one of the runs; the other took its result
    assert sum(c["extracted"] for c in counts) == len(files), counts
    assert stored == len(files)
    assert set(current(db)) >= {str(f) for f in files}


def _read_only_prefix() -> tuple[str, ...]:
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file permissions cannot be enforced")
    # root without the capabilities that override file permissions
    return (setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner")


@pytest.mark.parametrize("what", ["file", "folder"])
def test_export_and_review_list_work_on_a_read_only_database(tmp_path: Path, what: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_bytes(REPORT)
    (folder / "b.txt").write_bytes((DEV / "010" / "page.txt").read_bytes())    # glued: goes to review
    dbdir = tmp_path / "db"
    dbdir.mkdir()
    db = dbdir / "r.sqlite"
    assert extractor("run", str(folder), "--db", str(db)).returncode == 0
    db.chmod(0o444)
    if what == "folder":
        dbdir.chmod(0o555)
    try:
        prefix = _read_only_prefix()
        probe = subprocess.run([*prefix, sys.executable, "-c", f"open({str(db)!r}, 'ab')"], capture_output=True)
        assert probe.returncode != 0, "the database file is still writable"
        export = extractor("export", "--db", str(db), "--format", "jsonl", prefix=prefix)
        assert export.returncode == 0, export.stderr
        assert len(export.stdout.strip().splitlines()) == 2
        listing = extractor("review-list", "--db", str(db), prefix=prefix)
        assert listing.returncode == 0, listing.stderr
        assert "1 reports with status review" in listing.stdout
    finally:
        dbdir.chmod(0o755)
        db.chmod(0o644)
