"""The command line: the only place that prints or exits."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from . import common
from .common import llm_option


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gov-report-extractor")
def main() -> None:
    """Extract the tables of Chinese government information-disclosure annual reports
    (政府信息公开工作年度报告) as exact, checked, structured data."""
    # instructor logs every failed call at ERROR; our ledger and the item's reasons already say it
    logging.getLogger("instructor").setLevel(logging.CRITICAL)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@llm_option()
@click.option("--provenance/--no-provenance", default=True, show_default=True,
              help="Include where every number came from.")
@click.option("--pretty", is_flag=True, help="Indent the JSON (one object per input, not one per line).")
def extract(files: tuple[Path, ...], llm: str | None, provenance: bool, pretty: bool) -> None:
    """Extract FILES (HTML, PDF, DOCX, DOC, WPS, RTF, TXT, MD) and print one JSON object per input
    (JSON Lines).

    Each object: {"source", "status": accepted|review|failed, "record", "findings", "error", ...}.
    Each file gets at most EXTRACTOR_FILE_TIMEOUT_S seconds and EXTRACTOR_FILE_MEMORY_MB of memory.
    Exit code 0 when every input was processed, even if some need review or failed to load.
    """
    from ..errors import LoadError
    from ..llm import open_llm_url
    from ..load.read import read_input
    from ..names import as_text, shown
    from ..pipeline import failed_result
    from ..workers import Workers

    settings = common.settings(llm=llm, terminal=True)

    def notice(message: str) -> None:
        click.echo(f"note: {shown(message)}", err=True)

    with open_llm_url(settings) as url, Workers(settings, 1, llm_url=url, on_notice=notice) as workers:
        for f in files:
            name = as_text(str(f))
            try:
                result = workers.run(read_input(f, settings), name)
            except LoadError as e:
                result = failed_result(name, e)
            data = result.model_dump(mode="json", exclude=None if provenance else {"provenance"})
            click.echo(common.json_text(data, pretty))
            if result.status == "failed":
                click.echo(f"error: {shown(result.error)}", err=True)


from .eval import eval_cmd  # noqa: E402  (registration after main exists)

main.add_command(eval_cmd)

from .batch import export_cmd, review_list_cmd, run_cmd  # noqa: E402

main.add_command(run_cmd)
main.add_command(export_cmd)
main.add_command(review_list_cmd)

from .serve import export_gold_cmd, serve_cmd  # noqa: E402

main.add_command(serve_cmd)
main.add_command(export_gold_cmd)

from .report import agencies_cmd, report_cmd  # noqa: E402

main.add_command(report_cmd)
main.add_command(agencies_cmd)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
