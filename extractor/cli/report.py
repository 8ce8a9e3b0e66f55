"""`extractor report` and `extractor agencies`: the audit report of a results database, and its agency names."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import AnalysisError, ConfigError, StoreError
from . import common
from .common import db_option


@click.command("report")
@db_option(must_exist=True)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write index.html, the agency / comparison / rankings pages and the two CSV files into.")
@click.option("--agency", default=None, help="Only this agency (its name or any name printed for it).")
@click.option("--year", type=int, default=None, help="Only the reports of this year (agency pages keep every year).")
@click.option("--review-url", default=None, metavar="URL",
              help="Where `extractor serve` runs (e.g. http://127.0.0.1:8000): reports and findings link to "
                   "their review pages there. Default: no links.")
@click.option("-q", "--quiet", is_flag=True, help="No progress, only the summary.")
def report_cmd(db_path: Path | None, out_dir: Path, agency: str | None, year: int | None, review_url: str | None,
               quiet: bool) -> None:
    """Write a self-contained HTML report of the database: an archive overview, one page per agency
    (indicators by year as a table and charts, cross-year findings, the reports' own inconsistencies),
    this year beside the previous one, rankings across agencies for each year, and indicators.csv /
    findings.csv for spreadsheets. Open OUT/index.html in a browser; it needs no network. Charts are
    drawn in EXTRACTOR_WORKERS processes."""
    from ..analysis.report import build_report
    from ..store import open_store

    def progress(i: int, n: int) -> None:
        if not quiet and (i == n or i % 100 == 0):
            click.echo(f"  {i}/{n} agencies", err=True)

    settings = common.settings(db_path=db_path)
    try:
        with open_store(settings.db_path, create=False) as store:
            summary = build_report(store, out_dir, agency=agency, year=year, review_url=review_url,
                                   workers=settings.workers, on_agency=progress)
    except (StoreError, AnalysisError, ConfigError) as e:
        raise click.ClickException(str(e)) from e
    if summary.font is None:
        click.echo("warning: no CJK font found (apt-get install fonts-noto-cjk): chart labels are in English", err=True)
    click.echo(f"{summary.out_dir / 'index.html'}: {summary.agencies} agencies, {summary.reports} reports, "
               f"{summary.findings} cross-year findings, {summary.pages} pages in {summary.seconds:.1f} s")


@click.group("agencies", invoke_without_command=True)
@db_option(must_exist=True)
@click.pass_context
def agencies_cmd(ctx: click.Context, db_path: Path | None) -> None:
    """List which agency each organization name belongs to (the alias table, seeded by normalisation:
    上海市科委 and 上海市科学技术委员会 are one agency). `set` and `unset` edit it."""
    ctx.obj = common.settings(db_path=db_path).db_path
    if ctx.invoked_subcommand is not None:
        return
    from ..analysis import agencies as ag
    from ..store import list_aliases, open_store

    try:
        with open_store(ctx.obj, create=False) as store:
            ag.seed(store)
            rows = list_aliases(store)
    except StoreError as e:
        raise click.ClickException(str(e)) from e
    for r in rows:
        click.echo(f"{r['name_key']}\t{r['agency']}\t{r['origin']}")
    click.echo(f"{len(rows)} name(s), {len({r['agency'] for r in rows})} agencies", err=True)


@agencies_cmd.command("set")
@click.argument("name")
@click.argument("agency")
@click.pass_obj
def agencies_set(db: Path, name: str, agency: str) -> None:
    """Make the organization NAME (as printed) part of AGENCY; cross-year findings are recomputed."""
    _edit(db, name, agency)


@agencies_cmd.command("unset")
@click.argument("name")
@click.pass_obj
def agencies_unset(db: Path, name: str) -> None:
    """Forget NAME's alias row: it falls back to the normalisation; findings are recomputed."""
    _edit(db, name, None)


def _edit(db: Path, name: str, agency: str | None) -> None:
    from ..crosscheck import run_crosschecks
    from ..store import delete_alias, open_store, org_key, set_alias

    key = org_key(name)
    if not key:
        raise click.UsageError("NAME is empty")
    try:
        with open_store(db, create=False) as store:
            if agency is None:
                if not delete_alias(store, key):
                    raise click.ClickException(f"no alias row for {key!r} (`extractor agencies` lists them)")
            else:
                set_alias(store, key, agency)
            n = run_crosschecks(store)
    except (StoreError, ValueError) as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"{key} -> {agency or '(normalisation)'}; {n} cross-year findings recomputed")
