"""Pure scoring: one result against its gold record, and sums of case scores into metrics.

Definitions (eval version 1; evals/README.md explains them for readers):

- cells: every number of the gold record's `active_disclosure`, `applications` and
  `review_litigation`, addressed by path (`applications.granted[6]`). A cell is correct when the
  result has the same path with an equal value. Paths missing from the result (another template,
  a removed row, no record at all because extraction failed) are wrong. Cells the result has
  but gold does not are not counted: the denominator is always gold's cells.
- exact: the whole record equals gold (organization, year, template, every number,
  source_inconsistencies compared as sets).
- exact_numbers: the same, ignoring organization.
- silent error: status `accepted` and not exact_numbers. A wrong organization name alone is not
  a silent error; it is counted as `accepted_org_mismatch` instead.
- real problem (for review precision): the result is not exact_numbers, or gold lists a printed
  inconsistency (the report itself needs a human look).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable

from pydantic import BaseModel, Field

from ..record import cell_values
from ..result import ExtractionResult
from ..template import APPLICANT_COLUMNS, REVIEW_COLUMNS


class WrongCell(BaseModel):
    path: str
    gold: int | float
    got: int | float | None     # None: the path is absent from the result


class CaseScore(BaseModel):
    """The score of one (report, input) case."""

    case_id: str
    report: str
    input: str
    format: str
    template: str                    # gold's template
    producer: str = "original"       # what made the input (evaluation.dataset.producer_of)
    status: str
    crashed: bool = False            # extract_file raised instead of returning a failed result
    cells: int
    cells_correct: int
    wrong_cells: list[WrongCell] = Field(default_factory=list)
    exact: bool
    exact_numbers: bool
    organization_ok: bool
    year_ok: bool
    template_ok: bool
    inconsistencies_ok: bool
    silent_error: bool
    real_problem: bool
    inconsistencies_gold: list[str] = Field(default_factory=list)
    inconsistencies_found: list[str] = Field(default_factory=list)
    inconsistencies_missed: list[str] = Field(default_factory=list)
    inconsistencies_invented: list[str] = Field(default_factory=list)
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0


class Metrics(BaseModel):
    """The metrics of a group of cases (overall, one format, one template ...)."""

    cases: int
    cells: int
    cells_correct: int
    cell_accuracy: float | None
    exact: int
    exact_rate: float | None
    exact_numbers: int
    exact_numbers_rate: float | None
    accepted: int
    accepted_rate: float | None
    review: int
    failed: int
    pretemplate: int                 # taken as predating the national template (every gold report is a template one)
    crashed: int
    silent_errors: int
    accepted_org_mismatch: int
    review_with_problem: int
    review_precision: float | None   # None when nothing went to review
    inconsistencies_gold: int
    inconsistencies_found: int
    inconsistency_recall: float | None
    inconsistencies_invented: int
    llm_calls: int
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    llm_calls_per_report: float | None
    tokens_per_report: float | None
    seconds_per_report: float | None


def number_cells(record: dict[str, Any] | None) -> dict[str, int | float]:
    """Every number of a record's table sections, by path (the CellProvenance.field format)."""
    return cell_values(record)


def compare_cells(got: dict[str, Any] | None, gold: dict[str, Any]) -> tuple[int, list[WrongCell]]:
    """(number of gold cells, the wrong ones) for one record against gold."""
    gold_cells = number_cells(gold)
    got_cells = number_cells(got)
    wrong = [
        WrongCell(path=path, gold=value, got=got_cells.get(path))
        for path, value in gold_cells.items()
        if path not in got_cells or got_cells[path] != value
    ]
    return len(gold_cells), wrong


def score_case(result: ExtractionResult, gold: dict[str, Any], *, report: str, input_name: str,
               crashed: bool = False, producer: str = "original") -> CaseScore:
    """Score one extraction result against its gold record."""
    record = result.record if result.status != "failed" else None
    cells, wrong = compare_cells(record, gold)
    rec = record or {}
    gold_inc = set(gold.get("source_inconsistencies") or [])
    got_inc = set(rec.get("source_inconsistencies") or []) if record is not None else set()
    organization_ok = record is not None and rec.get("organization") == gold.get("organization")
    year_ok = record is not None and rec.get("year") == gold.get("year")
    template_ok = record is not None and rec.get("template") == gold.get("template")
    inconsistencies_ok = record is not None and got_inc == gold_inc
    # the number sections must also have no extra keys: equal cell sets, not only gold's cells right
    same_shape = record is not None and set(number_cells(record)) == set(number_cells(gold))
    exact_numbers = (record is not None and not wrong and same_shape and year_ok and template_ok
                     and inconsistencies_ok)
    exact = exact_numbers and organization_ok
    real_problem = not exact_numbers or bool(gold_inc)
    usage = result.llm_usage
    return CaseScore(
        case_id=f"{report}/{input_name}",
        report=report,
        input=input_name,
        format=result.format or _format_from_name(input_name),
        template=str(gold.get("template")),
        producer=producer,
        status=result.status,
        crashed=crashed,
        cells=cells,
        cells_correct=cells - len(wrong),
        wrong_cells=wrong,
        exact=exact,
        exact_numbers=exact_numbers,
        organization_ok=organization_ok,
        year_ok=year_ok,
        template_ok=template_ok,
        inconsistencies_ok=inconsistencies_ok,
        silent_error=result.status == "accepted" and not exact_numbers,
        real_problem=real_problem,
        inconsistencies_gold=sorted(gold_inc),
        inconsistencies_found=sorted(gold_inc & got_inc),
        inconsistencies_missed=sorted(gold_inc - got_inc),
        inconsistencies_invented=sorted(got_inc - gold_inc),
        llm_calls=len(usage),
        prompt_tokens=sum(c.prompt_tokens for c in usage),
        completion_tokens=sum(c.completion_tokens for c in usage),
        seconds=result.seconds,
    )


def _format_from_name(name: str) -> str:
    # a failed load has no result.format; group it by its extension so it is not lost
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {"htm": "html", "markdown": "md"}.get(suffix, suffix or "unknown")


def aggregate(scores: Iterable[CaseScore]) -> Metrics:
    """Sum case scores into the metrics of their group."""
    s = list(scores)
    n = len(s)
    cells = sum(c.cells for c in s)
    correct = sum(c.cells_correct for c in s)
    exact = sum(c.exact for c in s)
    exact_numbers = sum(c.exact_numbers for c in s)
    accepted = [c for c in s if c.status == "accepted"]
    review = [c for c in s if c.status == "review"]
    review_problem = sum(c.real_problem for c in review)
    inc_gold = sum(len(c.inconsistencies_gold) for c in s)
    inc_found = sum(len(c.inconsistencies_found) for c in s)
    calls = sum(c.llm_calls for c in s)
    prompt = sum(c.prompt_tokens for c in s)
    completion = sum(c.completion_tokens for c in s)
    seconds = round(sum(c.seconds for c in s), 4)
    return Metrics(
        cases=n,
        cells=cells,
        cells_correct=correct,
        cell_accuracy=_ratio(correct, cells),
        exact=exact,
        exact_rate=_ratio(exact, n),
        exact_numbers=exact_numbers,
        exact_numbers_rate=_ratio(exact_numbers, n),
        accepted=len(accepted),
        accepted_rate=_ratio(len(accepted), n),
        review=len(review),
        failed=sum(c.status == "failed" for c in s),
        pretemplate=sum(c.status == "pretemplate" for c in s),
        crashed=sum(c.crashed for c in s),
        silent_errors=sum(c.silent_error for c in s),
        accepted_org_mismatch=sum(not c.organization_ok for c in accepted),
        review_with_problem=review_problem,
        review_precision=_ratio(review_problem, len(review)),
        inconsistencies_gold=inc_gold,
        inconsistencies_found=inc_found,
        inconsistency_recall=_ratio(inc_found, inc_gold),
        inconsistencies_invented=sum(len(c.inconsistencies_invented) for c in s),
        llm_calls=calls,
        prompt_tokens=prompt,
        completion_tokens=completion,
        seconds=seconds,
        llm_calls_per_report=_ratio(calls, n),
        tokens_per_report=_ratio(prompt + completion, n),
        seconds_per_report=_ratio(seconds, n),
    )


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 6) if b else None


def group_by(scores: Iterable[CaseScore], key: str) -> dict[str, Metrics]:
    """Metrics per value of a CaseScore attribute (e.g. "format", "template", "producer", "report")."""
    groups: dict[str, list[CaseScore]] = {}
    for c in scores:
        groups.setdefault(str(getattr(c, key)), []).append(c)
    return {k: aggregate(v) for k, v in sorted(groups.items())}


def row_of(path: str) -> str:
    """`applications.granted[6]` -> `applications.granted`."""
    return path.split("[", 1)[0]


def column_of(path: str) -> str | None:
    """`applications.granted[6]` -> `applications[总计]`; None for cells that are not in a row."""
    if "[" not in path:
        return None
    section = path.split(".", 1)[0]
    index = int(path.rsplit("[", 1)[1].rstrip("]"))
    names = APPLICANT_COLUMNS if section == "applications" else REVIEW_COLUMNS
    name = names[index] if index < len(names) else str(index)
    return f"{section}[{name}]"


class FieldErrors(BaseModel):
    """How often each cell, row and column is wrong, most frequent first."""

    by_cell: dict[str, int]
    by_row: dict[str, int]
    by_column: dict[str, int]


def field_errors(scores: Iterable[CaseScore]) -> FieldErrors:
    """Per-field error counts over the cases that produced a record.

    Failed cases (and those taken as predating the template: no record either) are left out: they
    would add every gold cell and hide which fields the extraction actually gets wrong (they are
    counted in cell accuracy, `failed` and `pretemplate`).
    """
    cell, row, column = Counter[str](), Counter[str](), Counter[str]()
    for c in scores:
        if c.status in ("failed", "pretemplate"):
            continue
        for w in c.wrong_cells:
            cell[w.path] += 1
            row[row_of(w.path)] += 1
            col = column_of(w.path)
            if col:
                column[col] += 1
    return FieldErrors(by_cell=dict(cell.most_common()), by_row=dict(row.most_common()),
                       by_column=dict(column.most_common()))
