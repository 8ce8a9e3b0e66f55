"""The command line as a user runs it: JSON Lines out, exit codes, errors that say what to do."""

from __future__ import annotations

import json

import click
from click.testing import CliRunner

from extractor.cli import main
from extractor.version import ENGINE_VERSION
from tests.dev_reports import DEV


def _run(*args: str) -> "click.testing.Result":
    return CliRunner().invoke(main, list(args), env={"EXTRACTOR_LLM": "off"}, catch_exceptions=False)


def test_extract_prints_the_exact_record_for_a_report() -> None:
    path = DEV / "016" / "page.txt"
    res = _run("extract", "--no-provenance", str(path))
    assert res.exit_code == 0
    lines = res.stdout.strip().split("\n")
    assert len(lines) == 1
    out = json.loads(lines[0])
    seconds = out.pop("seconds")
    assert isinstance(seconds, float)
    gold = json.loads((DEV / "016" / "gold.json").read_text(encoding="utf-8"))
    assert out == {
        "source": str(path), "status": "accepted", "record": gold, "legacy": None, "findings": [], "error": None, "failure": None,
        "reasons": [], "format": "txt",
        "sha256": out["sha256"], "size": path.stat().st_size, "engine_version": ENGINE_VERSION,
        "prompt_versions": [], "llm_usage": [], "ocr_pages": [],
    }
    assert len(out["sha256"]) == 64


def test_extract_keeps_going_past_a_bad_file(tmp_path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 20)
    good = DEV / "018" / "page.txt"
    res = _run("extract", str(empty), str(garbage), str(good))
    assert res.exit_code == 0
    rows = [json.loads(x) for x in res.stdout.strip().split("\n")]
    assert [r["status"] for r in rows] == ["failed", "failed", "accepted"]
    assert rows[0]["record"] is None and "empty" in rows[0]["error"] and str(empty) in rows[0]["error"]
    assert str(garbage) in rows[1]["error"]
    assert f"error: {rows[0]['error']}" in res.stderr


def test_extract_missing_file_is_a_failed_item_not_a_crash(tmp_path) -> None:
    res = _run("extract", str(tmp_path / "nope.html"))
    assert res.exit_code == 0
    row = json.loads(res.stdout)
    assert row["status"] == "failed" and "cannot read" in row["error"]


def test_provenance_points_at_the_printed_number() -> None:
    path = DEV / "010" / "page.txt"
    res = _run("extract", str(path))
    out = json.loads(res.stdout)
    text = path.read_text(encoding="utf-8")
    prov = {p["field"]: p for p in out["provenance"]}
    p = prov["applications.new_received[6]"]
    assert p["method"] == "split_run"
    assert text[p["span"]["start"]:p["span"]["end"]] == "70"
    assert "本年新收" in p["label"]


def test_bad_configuration_is_a_usage_error() -> None:
    res = CliRunner().invoke(main, ["extract", str(DEV / "016" / "page.txt")],
                             env={"EXTRACTOR_LLM": "sometimes"})
    assert res.exit_code == 2
    assert "EXTRACTOR_LLM" in res.output


def test_every_command_has_help_and_a_description() -> None:
    for name, cmd in main.commands.items():
        assert cmd.help and cmd.help.strip(), f"{name} has no description"
        res = CliRunner().invoke(main, [name, "--help"])
        assert res.exit_code == 0, name
        assert "Usage:" in res.output
