"""What one extraction returns: status, canonical record, findings, provenance, LLM usage."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from .document import OcrPage, OcrReading, PageBox, Span
from .legacy import LegacyRecord
from .messages import Message, finding_text, render_message

# pretemplate: a report from before the 2019 national template (its legacy record, never in the
# review queue)
Status = Literal["accepted", "review", "failed", "pretemplate"]
STATUSES: tuple[str, ...] = ("accepted", "review", "failed", "pretemplate")
# why an item failed: the input cannot be used ("input"); our own bug / a crashed worker
# ("internal": a later run tries it again); over the time or memory limit of one input
# ("timeout" / "memory": a later run tries it again only with a larger limit; reuse.still_valid)
Failure = Literal["input", "internal", "timeout", "memory"]

Method = Literal[
    "grid_cell",    # a table cell of its own (HTML/DOCX/PDF table, pipe table)
    "text_token",   # a number standing alone in running text, separated by spaces or lines
    "split_run",    # one piece of a glued digit run, split by the table's own constraints
    "blank_cell",   # an empty / '-' / '无' cell read as 0
    "absent_cell",  # a cell position not printed at all: 0 only where the sums pin it to 0
    "row_absent",   # the row is not printed at all: 0 by FORMAT.md
    "position",     # numbers found without their row label, placed by their order
    "prose",        # stated in a sentence, read by the phrase beside it ('结果维持1件'); 0 where
                    # the sentence says there were none ('未发生')
    "candidate",    # one of several admissible splits: NOT settled
    "llm",          # proposed by the language model, then checked
    "converted",    # derived from printed numbers (e.g. 元 -> 万元, sum of （六） sub-rows)
    "statement",    # a sentence saying there were none ("未收到…申请"): 0 (legacy records only)
]


class CellProvenance(BaseModel):
    """Where one number of the record came from."""

    field: str                     # path in the record, e.g. "applications.granted[6]"
    value: int | float
    method: Method
    span: Span | None = None       # the characters of the number in Document.text
    label: str | None = None       # the row label as found in the source
    label_span: Span | None = None
    box: PageBox | None = None     # where the number is printed on its page (paged inputs)
    ocr: OcrReading | None = None  # OCR'd inputs: the reads of the number's cell or line
    note: str | None = None        # how it was read, as text (in the language of the extraction)
    note_message: Message | None = None   # the same note as a code and parameters (messages.py)

    @model_validator(mode="after")
    def _note_text(self) -> "CellProvenance":
        if self.note_message is not None and not self.note:
            self.note = render_message(self.note_message, "en")
        return self


Severity = Literal["source", "review", "info"]


class Finding(BaseModel):
    """One observation about the result.

    severity "source": the report's own printed numbers break a consistency rule (recorded in
    `source_inconsistencies`); "review": a reason a human must look; "info": worth knowing.

    `rule` is the kind of observation the logic keys on (a consistency rule, "ambiguous_split" …);
    `code` and `params` say it as a message of `messages.CATALOG`, rendered in Chinese or English;
    `message` is that text in the language the result was made in (English unless EXTRACTOR_LANG or
    the command line's locale says Chinese), filled from the code when not given. Results stored
    before codes have `code` "" and only their message.
    """

    rule: str
    severity: Severity
    message: str = ""
    code: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    cells: list[str] = Field(default_factory=list)
    numbers: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _message_text(self) -> "Finding":
        if self.code and not self.message:
            self.message = finding_text(self, "en")
        return self


class LLMCall(BaseModel):
    """One request to the model, failed or not (the usage ledger)."""

    purpose: str
    prompt_id: str
    attempt: int
    outcome: str                   # ok | invalid | failed_checks | truncated | transport_error ...
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    model: str = ""
    error: str | None = None


class ExtractionResult(BaseModel):
    """One input file in, one of these out (the JSON Lines object of `extractor extract`)."""

    source: str
    status: Status
    record: dict[str, Any] | None = None
    legacy: LegacyRecord | None = None  # a report from before the national template (status "pretemplate")
    findings: list[Finding] = Field(default_factory=list)
    error: str | None = None
    failure: Failure | None = None     # set when status is "failed"
    reasons: list[str] = Field(default_factory=list)
    format: str | None = None
    sha256: str | None = None
    size: int | None = None
    engine_version: str = ""
    prompt_versions: list[str] = Field(default_factory=list)
    provenance: list[CellProvenance] = Field(default_factory=list)
    llm_usage: list[LLMCall] = Field(default_factory=list)
    seconds: float = 0.0
    ocr_pages: list[OcrPage] = Field(default_factory=list)   # OCR'd inputs: seconds per page
