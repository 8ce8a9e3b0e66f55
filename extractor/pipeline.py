"""One file in, one result out: load -> normalise -> rules -> assemble -> LLM where needed ->
checks -> decide."""

from __future__ import annotations

import hashlib
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from .errors import ExtractorError, LoadError
from .messages import Lang, finding_text, reasons_text, render_message
from .names import as_text
from .result import ExtractionResult, Failure, Finding
from .settings import Settings
from .version import ENGINE_VERSION

if TYPE_CHECKING:
    from .document import Document
    from .llm import LLM


def extract_file(path: str | Path, settings: Settings, *, llm: "LLM | None" = None) -> ExtractionResult:
    """Extract one report file. Never raises for a bad item: the result says `failed` and why."""
    from .load.read import read_input

    name = as_text(str(path))
    try:
        data = read_input(path, settings)
    except LoadError as e:
        return failed_result(name, e, None)
    return extract_bytes(data, name, settings, llm=llm)


def extract_bytes(data: bytes, name: str, settings: Settings, *, llm: "LLM | None" = None) -> ExtractionResult:
    """Extract one report given its bytes and a name (path, zip member or upload file name)."""
    from .load import load_bytes  # local import: keeps start-up light

    started = time.perf_counter()
    sha = hashlib.sha256(data).hexdigest()
    try:
        doc = load_bytes(data, name, settings)
        result = extract_document(doc, settings, llm=llm)
    except ExtractorError as e:
        if _ran_out_of_memory(e):   # a parser's MemoryError, wrapped on its way up
            why = e.reason if isinstance(e, LoadError) else str(e)
            err = ExtractorError(f"{name}: {_out_of_memory(settings)} ({why})")
            return failed_result(name, err, sha, size=len(data), started=started, failure="memory")
        return failed_result(name, e, sha, size=len(data), started=started)
    except MemoryError:
        err = ExtractorError(f"{name}: {_out_of_memory(settings)}")
        return failed_result(name, err, sha, size=len(data), started=started, failure="memory")
    except Exception as e:  # a bug must fail this item, not the batch; the message says so
        err = ExtractorError(f"{name}: internal error while extracting ({type(e).__name__}: {e}); "
                             "please report it with the file")
        return failed_result(name, err, sha, size=len(data), started=started, failure="internal")
    result.sha256 = sha
    result.size = len(data)
    result.seconds = round(time.perf_counter() - started, 4)
    return result


def extract_document(doc: "Document", settings: Settings, *, llm: "LLM | None" = None) -> ExtractionResult:
    """The stages after loading, on one document: its result, decided."""
    from .assemble import assemble
    from .decide import decide, judge, layout_doubts, ocr_doubts
    from .normalise import normalise
    from .pretemplate import predates_template, pretemplate_result
    from .readings import rank_runs
    from .record import parse_record, record_to_dict
    from .rules import read_tables
    from .rules.legacy_table import find_legacy_table

    norm = normalise(doc.text)
    tables = read_tables(norm.text, doc.title, doc.source)
    result = ExtractionResult(source=doc.source, status="review", format=doc.format,
                              engine_version=ENGINE_VERSION, ocr_pages=doc.ocr_pages)
    legacy_table = find_legacy_table(norm.text)
    predates = predates_template(tables, legacy_table)
    if predates:
        return localise(pretemplate_result(result, norm, tables, legacy_table, predates), settings.lang or "en")
    if not tables.found:
        result.status = "failed"
        result.failure = "input"
        result.error = (f"{doc.source}: no report tables found (looked for 表二 第二十条…, 表三 "
                        "本年新收政府信息公开申请数量…, 表四 行政复议 结果维持…); is this an annual report?")
        result.reasons = [result.error]
        return result

    use_llm = llm is not None and settings.llm != "off"
    llm_findings: list[Finding] = []
    # the admissible readings of ambiguous runs, best first (the model, if asked, sees that order)
    runs = rank_runs(norm.text, tables)
    with _ledger(llm if use_llm else None, settings.llm_report_budget_s) as calls:
        if use_llm:
            from .llm.assist import help_rules
            help_rules(llm, norm.text, tables, llm_findings)
        asm = assemble(norm, tables, runs)
        if doc.boxes:
            for p in asm.provenance:
                if p.span is not None:
                    p.box = doc.box_at(p.span.start, p.span.end)
        unconfirmed: set[str] = set()
        if doc.ocr_pages:
            # the numbers read by OCR (and the cells not found, which a garbled label may hide);
            # a text layer's numbers beside them are read as in any PDF
            by_ocr = [p for p in asm.provenance if p.span is None or doc.read_by_ocr(p.span.start, p.span.end)]
            for p in by_ocr:
                if p.span is not None:
                    p.ocr = doc.ocr_at(p.span.start, p.span.end)
            ocr_findings, unconfirmed = ocr_doubts(by_ocr)
            asm.findings.extend(ocr_findings)
        doubtful = {c for f in asm.findings if f.severity == "review" for c in f.cells} | unconfirmed
        checked, inconsistent = judge(asm.record, asm.provenance, asm.settled_alone,
                                      layout_doubts(tables.table3), asm.sums, doubtful, unconfirmed)
        asm.record["source_inconsistencies"] = inconsistent
        result.record = record_to_dict(parse_record(asm.record))  # validated against the canonical model
        result.findings = asm.findings + llm_findings + checked + _private_use(norm.private_use)
        result.provenance = asm.provenance
        result.status, result.reasons = decide(result.findings)
        if use_llm and settings.llm == "on":
            from .llm.assist import cross_check_prose
            cross_check_prose(llm, norm.text, result.record, result.findings)
    result.llm_usage = list(calls)
    result.prompt_versions = sorted({c.prompt_id.split("+")[0] for c in calls})
    return localise(result, settings.lang or "en")


def localise(result: ExtractionResult, lang: Lang) -> ExtractionResult:
    """The result's texts (findings' messages, reasons, provenance notes) in `lang`, from their codes."""
    for f in result.findings:
        if f.code:
            f.message = finding_text(f, lang)
    for p in result.provenance:
        if p.note_message is not None:
            p.note = render_message(p.note_message, lang)
    if result.legacy is not None:
        if result.legacy.reason_message is not None:
            result.legacy.reason = render_message(result.legacy.reason_message, lang)
        for fig in result.legacy.figures:
            if fig.doubt_message is not None:
                fig.doubt = render_message(fig.doubt_message, lang)
    result.reasons = reasons_text(result.status, result.findings, result.reasons, lang)
    return result


def _private_use(found: dict[str, int]) -> list[Finding]:
    """Private-use code points stay as printed; say so, since a font's own encoding may hide a
    character a label or a number needed."""
    if not found:
        return []
    shown = [f"U+{ord(c):04X}×{n}" for c, n in sorted(found.items(), key=lambda t: -t[1])[:8]]
    return [Finding(rule="private_use_characters", severity="info", code="private_use_characters",
                    params={"n": sum(found.values()), "shown": shown},
                    numbers={"code_points": {f"U+{ord(c):04X}": n for c, n in found.items()}})]


@contextmanager
def _ledger(client: Any, budget_s: float) -> Iterator[list[Any]]:
    """The client's per-report usage ledger and wall-clock budget (an empty list when the model
    is not used)."""
    if client is None:
        yield []
        return
    with client.ledger(budget_s=budget_s) as calls:
        yield calls


def _ran_out_of_memory(error: BaseException) -> bool:
    seen: set[int] = set()
    stack: list[BaseException | None] = [error]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        if isinstance(e, MemoryError):
            return True
        seen.add(id(e))
        stack += [e.__cause__, e.__context__]
    return False


def _out_of_memory(settings: Settings) -> str:
    if settings.file_memory_mb:
        return (f"needed more than the {settings.file_memory_mb} MB of memory one input may use "
                "(EXTRACTOR_FILE_MEMORY_MB); raise it if this file is genuine")
    return "ran out of memory"


def failed_result(name: str, error: Exception, sha: str | None = None, *, size: int | None = None,
                  started: float | None = None, failure: Failure = "input") -> ExtractionResult:
    """The result of an input that could not be extracted (`error` says why)."""
    return ExtractionResult(
        source=name, status="failed", error=str(error), reasons=[str(error)], sha256=sha, size=size,
        failure=failure,
        engine_version=ENGINE_VERSION,
        seconds=round(time.perf_counter() - started, 4) if started else 0.0,
    )
