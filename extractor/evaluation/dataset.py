"""The dev set on disk: every NNN/ folder with its source.json inputs and gold.json, as cases."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import ConfigError
from ..record import parse_record, record_to_dict
from ..settings import Settings

_REPO_ROOT = Path(__file__).resolve().parents[2]
REPORTS_ENV = "EXTRACTOR_EVAL_REPORTS_DIR"


def repo_root() -> Path:
    """The checkout this package runs from (an editable install), or the current folder."""
    if (_REPO_ROOT / "evals").is_dir():
        return _REPO_ROOT
    return Path.cwd()


def default_reports_dir(settings: Settings | None = None) -> Path:
    """The hand-labelled reports: EXTRACTOR_EVAL_REPORTS_DIR when set, else evals/reports/ of the
    checkout (the repository carries its own copy; scripts/refresh_eval_reports.py updates it)."""
    configured = settings.eval_reports_dir if settings is not None else None
    if configured is None and os.environ.get(REPORTS_ENV):
        configured = Path(os.environ[REPORTS_ENV])
    if configured is not None:
        return Path(configured).resolve()
    return (repo_root() / "evals" / "reports").resolve()


class Case(BaseModel):
    """One (report, input file) pair: the unit the eval scores."""

    report: str                # folder name, e.g. "012"
    input: str                 # file name inside the folder, e.g. "page.html"
    path: Path                 # absolute path of the input
    gold: dict[str, Any]       # the canonical record of gold.json (validated)
    producer: str = "original"  # what made this rendering (producer_of), for the eval's breakdown

    @property
    def case_id(self) -> str:
        return f"{self.report}/{self.input}"


def load_cases(reports_dir: Path) -> list[Case]:
    """Every case under `reports_dir`, in folder then `inputs` order.

    Raises ConfigError when the folder or a report in it is malformed: an eval on a broken
    dataset must stop, not report figures over whatever happened to load.
    """
    if not reports_dir.is_dir():
        raise ConfigError(f"reports folder not found: {reports_dir} (use --reports DIR or set {REPORTS_ENV})")
    cases: list[Case] = []
    for folder in sorted(p for p in reports_dir.iterdir() if p.is_dir()):
        source_file, gold_file = folder / "source.json", folder / "gold.json"
        if not source_file.exists() or not gold_file.exists():
            continue  # not a report folder
        gold = _read_gold(gold_file)
        source = _read_json(source_file)
        inputs = source.get("inputs") or []
        derived: dict[str, Any] = {}
        if isinstance(source.get("derived"), dict):
            derived = source["derived"]
        if not inputs:
            raise ConfigError(f"{source_file}: no `inputs` listed")
        for name in inputs:
            path = folder / name
            if not path.is_file():
                raise ConfigError(f"{source_file}: input {name!r} does not exist")
            cases.append(Case(report=folder.name, input=name, path=path.resolve(), gold=gold,
                              producer=producer_of(name, derived.get(name))))
    if not cases:
        raise ConfigError(f"no report folders (NNN/ with source.json and gold.json) in {reports_dir}")
    return cases


# what source.json's "derived" entry (tool, command) or the file name says -> the producer; the
# first match wins (a Word file made by LibreOffice is "Word", a PDF made by it "office PDF")
_PRODUCERS: list[tuple[re.Pattern[str], str]] = [(re.compile(p, re.I), name) for p, name in (
    (r"\bvariant\b|structural edit", "layout variant"),
    (r"\bscan\b|pdftoppm|img2pdf", "scan"),
    (r"pdftotext\s+-layout|\blayout\b", "layout text"),
    (r"pdftotext|\braw\b", "raw text"),
    (r"\biconv\b|re-?encoded|\bgbk\b|gb18030", "re-encoded text"),
    (r"\blegacy\b|word 97|\.doc\b", "legacy Word"),
    (r"\.docx\b|\bword\b", "Word"),
    (r"chrom(e|ium)|\bbrowser\b|firefox|print-to-pdf", "browser PDF"),
    (r"libreoffice|soffice|\bwps\b|\boffice\b", "office PDF"),
    (r"markitdown|pandoc|\bmarkdown\b", "markdown conversion"),
)]


def producer_of(name: str, derived: Any = None) -> str:
    """The kind of producer that made an input: "original" for the report as published, else from
    its source.json "derived" entry (tool and command) or, failing that, its `derived-` file name."""
    if derived is None and not name.startswith("derived-"):
        return "original"
    entry = derived if isinstance(derived, dict) else {}
    said = f"{name} {entry.get('tool', '')} {entry.get('command', '')}"
    for text in (said, name.removeprefix("derived-").replace("-", " ")):
        for rx, producer in _PRODUCERS:
            if rx.search(text):
                if producer == "browser PDF" and not name.lower().endswith(".pdf"):
                    continue
                return producer
    return "other"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ConfigError(f"{path}: cannot read JSON: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object")
    return data


def _read_gold(path: Path) -> dict[str, Any]:
    try:
        return record_to_dict(parse_record(_read_json(path)))
    except ValidationError as e:
        raise ConfigError(f"{path}: not a canonical record (FORMAT.md): {e}") from e
