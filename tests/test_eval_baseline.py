"""The rules-only eval on the dev set must not fall below the committed baseline (evals/baseline.json)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor.cli import main
from extractor.evaluation import EVAL_VERSION
from extractor.evaluation.baseline import default_baseline_path, load_baseline, regressions, save_baseline
from extractor.evaluation.dataset import default_reports_dir, load_cases, producer_of
from extractor.evaluation.report import write_reports
from extractor.evaluation.runner import EvalRun, run_eval
from extractor.settings import Settings


@pytest.fixture(scope="module")
def rules_run() -> EvalRun:
    reports = default_reports_dir()
    return run_eval(load_cases(reports), Settings.from_env(llm="off"), reports_dir=reports)


def test_no_regression_against_baseline(rules_run: EvalRun) -> None:
    baseline = load_baseline(default_baseline_path())
    problems = regressions(rules_run.overall, baseline)
    assert problems == [], "\n".join(problems)


def test_no_silent_errors(rules_run: EvalRun) -> None:
    silent = [o.score.case_id for o in rules_run.outcomes if o.score.silent_error]
    assert silent == []


def test_reports_are_written_and_self_contained(rules_run: EvalRun, tmp_path: Path) -> None:
    paths = write_reports(rules_run, tmp_path)
    metrics = json.loads(paths["metrics"].read_text(encoding="utf-8"))
    assert metrics["eval_version"] == EVAL_VERSION
    assert metrics["overall"]["cases"] == len(rules_run.outcomes) == len(metrics["cases"])
    assert set(metrics["by_template"]) == {"2019", "2021"}
    # the breakdown by producer: the published reports and each kind of rendering of them
    assert {"original", "browser PDF", "layout text", "raw text", "scan", "Word"} <= set(metrics["by_producer"])
    assert sum(m["cases"] for m in metrics["by_producer"].values()) == metrics["overall"]["cases"]
    page = paths["html"].read_text(encoding="utf-8")
    # no external assets: no scripts, stylesheets, images or fonts fetched from anywhere
    assert not re.search(r"<(script|link|img|iframe)\b", page, re.I)
    assert "url(" not in page and "@import" not in page
    for o in rules_run.outcomes:
        assert f"id='{o.score.case_id}'" in page
    assert "| overall |" in paths["markdown"].read_text(encoding="utf-8")
    assert "| producer browser PDF |" in paths["markdown"].read_text(encoding="utf-8")


def test_every_rendering_is_grouped_by_what_made_it() -> None:
    # from source.json "derived" (tool, command) or the file name; never "other" for the dev set
    for case in load_cases(default_reports_dir()):
        if case.input.startswith("derived-"):
            assert case.producer not in ("original", "other"), case.case_id
        else:
            assert case.producer == "original", case.case_id
    assert producer_of("derived-chrome.pdf") == "browser PDF"
    assert producer_of("derived-raw.txt", {"tool": "poppler pdftotext 22.12"}) == "raw text"
    assert producer_of("report.pdf", {"tool": "WPS Office", "command": "export to PDF"}) == "office PDF"


def test_cli_eval_updates_and_checks_a_baseline(tmp_path: Path) -> None:
    # a two-report copy of the dev set keeps this quick
    reports = tmp_path / "reports"
    for name in ("000", "021"):
        shutil.copytree(default_reports_dir() / name, reports / name)
    baseline = tmp_path / "baseline.json"
    runner = CliRunner()
    args = ["eval", "--reports", str(reports), "--out", str(tmp_path / "out"), "--baseline", str(baseline), "-q"]

    first = runner.invoke(main, [*args, "--update-baseline"])
    assert first.exit_code == 0, first.output
    saved = load_baseline(baseline)
    assert saved.cases == 3 and saved.cells == 600
    assert "overall" in first.output and f"baseline updated: {baseline}" in first.output

    # 021 prints its own totals wrong: accepted as printed and flagged, not a silent error
    assert saved.silent_errors == 0
    second = runner.invoke(main, args)
    assert second.exit_code == 0, second.output
    assert "no regression against the baseline" in second.output
    assert (tmp_path / "out" / "report.html").exists()

    # against a baseline this run falls short of, the eval says why and exits 1
    save_baseline(saved.model_copy(update={"exact": saved.exact + 1}), baseline)
    third = runner.invoke(main, args)
    assert third.exit_code == 1, third.output
    assert f"exact reports {saved.exact} fell below the baseline {saved.exact + 1}" in third.output


def test_cli_refuses_an_llm_baseline(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["eval", "--llm", "on", "--update-baseline", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--llm off" in result.output
