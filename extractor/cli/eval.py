"""`extractor eval`: run the dev-set eval, write its reports, compare with the baseline."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import click

from ..errors import ConfigError, ExtractorError
from . import common
from .common import llm_option


@click.command("eval")
@click.option("--reports", "reports_dir", type=click.Path(path_type=Path, file_okay=False),
              default=None, help="Folder of NNN/ report folders (source.json + gold.json). "
              "Default: EXTRACTOR_EVAL_REPORTS_DIR, else evals/reports of the checkout.")
@llm_option(default="off", help_="off: rules only (the baseline run). on/auto: with the language model.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("eval-out"), show_default=True,
              help="Where metrics.json, report.md and report.html are written.")
@click.option("--baseline", "baseline_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Baseline file. Default: evals/baseline.json in the repository.")
@click.option("--update-baseline", is_flag=True,
              help="Rewrite the baseline with this run's figures (rules-only runs only).")
@click.option("--quiet", "-q", is_flag=True, help="No per-case progress lines.")
def eval_cmd(reports_dir: Path | None, llm: str, out_dir: Path, baseline_path: Path | None,
             update_baseline: bool, quiet: bool) -> None:
    """Extract every hand-labelled report, score the results against gold and print the metrics.

    Writes OUT/metrics.json, OUT/report.md and OUT/report.html (wrong cells beside the gold
    values, with the source snippet). Exit code 0 even when figures regressed; the regression test
    (tests/test_eval_baseline.py) is what fails.
    """
    from ..evaluation.baseline import baseline_from, default_baseline_path, load_baseline, regressions, save_baseline
    from ..evaluation.dataset import default_reports_dir, load_cases
    from ..evaluation.report import render_terminal, write_reports
    from ..evaluation.runner import CaseOutcome, run_eval
    from ..llm import open_llm

    if update_baseline and llm != "off":
        raise click.UsageError("--update-baseline records the rules-only run: use it with --llm off")
    baseline_file = baseline_path or default_baseline_path()
    try:
        settings = common.settings(llm=llm, terminal=True)
        reports = (reports_dir or default_reports_dir(settings)).resolve()
        cases = load_cases(reports)
    except ConfigError as e:
        raise click.UsageError(str(e)) from e

    def progress(o: CaseOutcome) -> None:
        if not quiet:
            s = o.score
            click.echo(f"  {_pad(s.case_id, 60)} {s.status:<8} {s.cells_correct:>3}/{s.cells:<3} "
                       f"{'exact' if s.exact else ''}{' SILENT' if s.silent_error else ''}", err=True)

    click.echo(f"eval: {len(cases)} cases from {reports} (llm {llm})", err=True)
    try:
        with open_llm(settings) as client:
            run = run_eval(cases, settings, reports_dir=reports, llm=client, on_case=progress)
    except ConfigError as e:
        raise click.UsageError(str(e)) from e
    except ExtractorError as e:  # e.g. the local model could not be set up: nothing ran
        raise click.ClickException(str(e)) from e

    paths = write_reports(run, out_dir)
    click.echo(render_terminal(run))
    click.echo(f"wrote {paths['metrics']}, {paths['markdown']}, {paths['html']}")

    if update_baseline:
        save_baseline(baseline_from(run.overall, run.engine_version), baseline_file)
        click.echo(f"baseline updated: {baseline_file}")
    elif llm == "off" and baseline_file.exists():
        problems = regressions(run.overall, load_baseline(baseline_file))
        if problems:
            click.echo("REGRESSION against the baseline:\n  " + "\n  ".join(problems))
            raise click.exceptions.Exit(1)   # a CI step running the eval fails on it
        else:
            click.echo("no regression against the baseline")


def _pad(text: str, width: int) -> str:
    """Left-justify to a terminal width, counting CJK characters as two columns; cut if longer."""
    out, shown = "", 0
    for ch in text:
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if shown + w > width - 1 and len(out) < len(text) - 1:
            return out + "…" + " " * (width - shown - 1)
        out, shown = out + ch, shown + w
    return out + " " * max(0, width - shown)
