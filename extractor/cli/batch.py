"""`extractor run`, `extractor export`, `extractor review-list`: batch runs over archives and their database."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from pathlib import Path
from typing import TextIO

import click

from ..errors import ConfigError, StoreError
from ..messages import reasons_text, terminal_language
from ..names import shown
from ..result import STATUSES
from . import common
from .common import db_option, llm_option


def _fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class _Renderer:
    """Progress on stderr: a one-line bar redrawn with \\r on a terminal, plain log lines otherwise."""

    def __init__(self, stream: TextIO, tty: bool, quiet: bool):
        self.stream = stream
        self.tty = tty
        self.quiet = quiet
        self.last_draw = 0.0

    def __call__(self, p: "object") -> None:
        from ..batch import Progress

        assert isinstance(p, Progress)
        c = p.counts
        counts = (f"accepted {c.get('accepted', 0)}  review {c.get('review', 0)}  failed {c.get('failed', 0)}  "
                  + (f"pretemplate {c['pretemplate']}  " if c.get("pretemplate") else "")
                  + f"skipped {c.get('skipped', 0)}")
        if p.kind == "notice":
            self.stream.write(("\n" if self.tty else "") + f"note: {shown(p.detail)}\n")
            self.stream.flush()
            return
        if self.tty:
            now = time.monotonic()
            if p.kind == "item" and now - self.last_draw < 0.1 and p.done < p.total:
                return
            self.last_draw = now
            width = 24
            filled = int(width * p.done / p.total) if p.total else width
            bar = "#" * filled + "-" * (width - filled)
            line = (f"\r[{bar}] {p.done}/{p.total}  {counts}  {p.rate:.1f}/s  ETA {_fmt_s(p.eta_s)}")
            self.stream.write(line.ljust(110)[:160])
            if p.kind == "finish":
                self.stream.write("\n")
            self.stream.flush()
        elif p.kind == "start":
            self.stream.write(f"run: about {p.total} inputs\n")
        elif p.kind == "item" and not self.quiet:
            detail = f"  ({shown(p.detail, 300)})" if p.detail and p.status in ("failed", "review") else ""
            self.stream.write(f"[{p.done}/{p.total}] {p.status:<8} {shown(p.name)}{detail}\n")
            self.stream.flush()
        elif p.kind == "finish":
            self.stream.write(f"run: {p.done} inputs in {p.elapsed_s:.1f}s ({p.rate:.2f}/s): {counts}\n")


@click.command("run")
@click.argument("archives", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option()
@llm_option()
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Extraction worker processes (default EXTRACTOR_WORKERS or 2).")
@click.option("--include", multiple=True, metavar="GLOB",
              help="Only files whose name or path matches (repeatable). Default: *.html *.htm *.pdf *.docx "
                   "*.doc *.txt *.md *.zip. Files named on the command line are always read.")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Leave out files whose name or path matches (repeatable), e.g. 'labelling-notes*'.")
@click.option("--no-crosscheck", is_flag=True, help="Skip the cross-year checks at the end.")
@click.option("--quiet", "-q", is_flag=True, help="No per-file lines when not on a terminal.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default=None,
              help="Where the extractions run: local worker processes (default), or a Ray cluster "
                   "(needs the optional extra: pip install 'gov-report-extractor[ray]'). Default: EXTRACTOR_ENGINE "
                   "or local.")
@click.option("--ray-address", metavar="ADDRESS", default=None,
              help="With --engine ray: the cluster to use, 'auto' (the one `ray start` made on this machine) or "
                   "ray://HOST:PORT; without it a local Ray instance is started for the run. Default: "
                   "EXTRACTOR_RAY_ADDRESS.")
def run_cmd(archives: tuple[Path, ...], db_path: Path | None, llm: str | None, workers: int | None,
            include: tuple[str, ...], exclude: tuple[str, ...], no_crosscheck: bool, quiet: bool,
            engine: str | None, ray_address: str | None) -> None:
    """Extract every report under ARCHIVES (files, folders, .zip archives, nested) into a database.

    Resumable: a report already stored with the same content and extraction configuration is
    skipped, so an interrupted run (even killed) just continues when started again. After a
    configuration change only the affected reports are re-extracted; old results stay as history.
    Exit code 0 when the run completed, even if some reports failed or need review.

    With --engine ray each report is extracted by a task on a Ray cluster; this process still
    walks the archives, skips what is done and stores every result, so resuming, progress and the
    summary are the same.
    """
    from ..batch import run_batch

    if ray_address and (engine or common.settings().engine) != "ray":
        raise click.UsageError("--ray-address is for --engine ray")
    settings = common.settings(llm=llm, workers=workers, db_path=db_path, engine=engine, ray_address=ray_address,
                               terminal=True)
    if settings.engine == "ray":
        with contextlib.suppress(ImportError):   # (without Ray the run says how to install it)
            import ray  # noqa: F401  (its import sets up its loggers: quieten them after)
        logging.getLogger("ray").setLevel(logging.ERROR)   # Ray's start-up notes are not this command's output
    err = sys.stderr
    renderer = _Renderer(err, tty=err.isatty(), quiet=quiet)
    try:
        summary = run_batch(archives, settings, settings.db_path, include=include or None, exclude=exclude or None,
                            on_progress=renderer, crosscheck=not no_crosscheck)
    except StoreError as e:
        raise click.ClickException(str(e)) from e
    except ConfigError as e:
        raise click.UsageError(str(e)) from e
    except KeyboardInterrupt:
        click.echo("\ninterrupted: every report finished so far is stored; run the same command again "
                   "to continue", err=True)
        sys.exit(130)
    c = summary.counts
    click.echo(f"Done in {summary.seconds:.1f}s: {summary.total} inputs, accepted {c['accepted']}, "
               f"review {c['review']}, failed {c['failed']}, before the 2019 template {c['pretemplate']}, "
               f"skipped (already done) {c['skipped']}"
               + (f"; {summary.reused} identical files reused a stored result" if summary.reused else "")
               + (f"; {summary.shared} taken from a parallel run" if summary.shared else ""))
    click.echo(f"Engine: {summary.engine} ({summary.engine_size})")
    if summary.duplicate_members:
        click.echo(f"{summary.duplicate_members} zip members share their name with another member of their "
                   "archive: each is stored under its name and its position in the archive ('#N')")
    db = summary.db_counts
    click.echo(f"Database {settings.db_path}: " + ", ".join(f"{k} {db.get(k, 0)}" for k in STATUSES)
               + (f"; {summary.crosscheck_findings} cross-year findings" if summary.crosscheck_findings else ""))
    for title, reasons in (("Top reasons for review", summary.top_review_reasons),
                           ("Failures in this run", summary.top_failure_reasons)):
        if reasons:
            click.echo(f"{title}:")
            for reason, n in reasons[:8]:
                click.echo(f"  {n:>5}  {shown(reason, 150)}")


@click.command("export")
@db_option(must_exist=True)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "xlsx"]), default="jsonl", show_default=True)
@click.option("--layout", type=click.Choice(["long", "wide"]), default="long", show_default=True,
              help="CSV only: long = one line per number (report, table, row, column, value); "
                   "wide = one line per report, one column per cell.")
@click.option("--status", "statuses", multiple=True, type=click.Choice(list(STATUSES)),
              help="Only reports with this status (repeatable; pretemplate: reports from before the 2019 "
                   "national template, with their legacy record). Default: all.")
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Output file. Default: standard output (jsonl, csv); results.xlsx for xlsx.")
def export_cmd(db_path: Path | None, fmt: str, layout: str, statuses: tuple[str, ...], out_path: Path | None) -> None:
    """Export the current results: JSONL of canonical records, CSV (long/wide), or an XLSX workbook
    (表二/表三/表四 sheets with Chinese labels, a 待复核 sheet of reports needing review and a 旧统计表
    sheet of the legacy figures of reports from before the 2019 template).

    A record a reviewer corrected is exported as corrected."""
    from .. import export as ex
    from ..store import open_store

    settings = common.settings(db_path=db_path)
    # the workbook is labelled in Chinese: its reasons too, unless EXTRACTOR_LANG says otherwise;
    # JSON Lines and CSV follow the command line's language
    lang = terminal_language(settings.lang)
    try:
        with open_store(settings.db_path, readonly=True) as store:
            sts = list(statuses) or None
            if fmt == "xlsx":
                target = out_path or Path("results.xlsx")
                n = ex.export_xlsx(store, target, sts, settings.lang or "zh")
                click.echo(f"wrote {n} reports to {target}", err=True)
                return
            writer = {"jsonl": ex.export_jsonl, "csv": ex.export_csv_wide if layout == "wide" else ex.export_csv_long}[fmt]
            if out_path is None:
                n = writer(store, sys.stdout, sts, lang)
            else:
                with out_path.open("w", encoding="utf-8", newline="") as fh:
                    n = writer(store, fh, sts, lang)
                click.echo(f"wrote {n} reports to {out_path}", err=True)
    except StoreError as e:
        raise click.ClickException(str(e)) from e


@click.command("review-list")
@db_option(must_exist=True)
@click.option("--status", type=click.Choice(["review", "failed", "accepted", "pretemplate"]), default="review",
              show_default=True, help="pretemplate: reports from before the 2019 national template (never in the "
              "review queue).")
@click.option("--all", "show_all", is_flag=True, help="Include reports a reviewer already decided.")
@click.option("--limit", type=click.IntRange(1), default=100, show_default=True)
def review_list_cmd(db_path: Path | None, status: str, show_all: bool, limit: int) -> None:
    """Print the review queue, riskiest first: id, report, and the reasons it needs a human."""
    from ..store import count_queue, list_queue, open_store

    settings = common.settings(db_path=db_path, terminal=True)
    lang = settings.lang or "en"
    try:
        with open_store(settings.db_path, readonly=True) as store:
            # reports from before the template are never awaiting review: list them all
            state = None if show_all or status == "pretemplate" else "pending"
            rows = list_queue(store, status=status, review_state=state, limit=limit)
            total = count_queue(store, status=status, review_state=state)
            older = count_queue(store, status="pretemplate", review_state=None) if status == "review" else 0
    except StoreError as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"{total} reports with status {status}" + ("" if state is None else " awaiting review")
               + (f" (showing {len(rows)})" if total > len(rows) else ""))
    for r in rows:
        who = " ".join(str(x) for x in (r["organization"], r["year"]) if x)
        state_txt = f" [{r['review_state']}]" if r["review_state"] else ""
        click.echo(f"#{r['id']}  {shown(r['path'])}" + (f"  ({shown(who)})" if who else "") + state_txt)
        reasons = reasons_text(r["status"], r["findings"], r["reasons"], lang) or ([r["error"]] if r["error"] else [])
        for reason in reasons[:6]:
            click.echo(f"    - {shown(reason, 200)}")
        if len(reasons) > 6:
            click.echo(f"    ... {len(reasons) - 6} more")
    if older:
        click.echo(f"({older} reports predate the 2019 national template: not in the queue; "
                   "`--status pretemplate` lists them)")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_cmd())
