"""The `serve` and `export-gold` commands: the review service, and reviewed reports as eval data."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import ConfigError, StoreError
from . import common
from .common import db_option, llm_option


@click.command("serve")
@db_option()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on. Anything beyond loopback needs EXTRACTOR_API_TOKEN.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@llm_option(help_="Language model use for uploads (as for `extractor extract`).")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@click.option("--forwarded-allow-ips", default=None, metavar="IPS",
              help="Comma-separated proxy addresses (or '*') whose X-Forwarded-Proto/-For are trusted, so the "
                   "session cookie is Secure behind an HTTPS proxy. Default: EXTRACTOR_FORWARDED_ALLOW_IPS or "
                   "127.0.0.1.")
def serve_cmd(db_path: Path | None, host: str, port: int, llm: str | None, log_level: str,
              forwarded_allow_ips: str | None) -> None:
    """Run the review-queue HTTP service and the review pages.

    API under /v1 (OpenAPI document at /openapi.json); review pages at /review. When
    EXTRACTOR_API_TOKEN is set every request needs 'Authorization: Bearer <token>' (the pages ask
    for it once); without a token the service only listens on loopback.
    """
    import uvicorn

    from ..llm import open_llm_url
    from ..service.app import check_bind, create_app

    settings = common.settings(db_path=db_path, llm=llm, forwarded_allow_ips=forwarded_allow_ips)
    try:
        check_bind(host, settings)
    except ConfigError as e:
        raise click.UsageError(str(e)) from e
    with open_llm_url(settings) as url:
        try:
            app = create_app(settings, llm_url=url)
        except ConfigError as e:
            raise click.ClickException(str(e)) from e
        click.echo(f"review pages: http://{host}:{port}/review   API: http://{host}:{port}/v1   "
                   f"db: {settings.db_path}", err=True)
        # SIGTERM/SIGINT: stop taking requests, give those in progress a few seconds, then the
        # app's shutdown stops the extraction workers (their requests answer at once)
        uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level=log_level, timeout_keep_alive=5,
                                      timeout_graceful_shutdown=5, proxy_headers=True,
                                      forwarded_allow_ips=settings.forwarded_allow_ips)).run()


@click.command("export-gold")
@db_option(must_exist=True)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write NNN/gold.json + source.json (+ the input file) into.")
def export_gold_cmd(db_path: Path | None, out_dir: Path) -> None:
    """Write every report a human accepted (or marked source_inconsistent) as an eval folder.

    Each folder NNN/ gets gold.json (FORMAT.md label format), source.json (original path, sha256,
    reviewer, decision) and the input file when the database or the original path still has it.
    A report exported before keeps its folder; new ones take the next free numbers.
    """
    from ..service import reviews as rq
    from ..store import open_store

    try:
        with open_store(common.settings(db_path=db_path).db_path, create=False) as store:
            written = rq.export_gold(store, out_dir)
    except StoreError as e:
        raise click.ClickException(str(e)) from e
    for eid, folder in written:
        click.echo(f"{folder}\textraction {eid}")
    click.echo(f"{len(written)} gold record(s) written to {out_dir}", err=True)
