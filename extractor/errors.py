"""The error tree: one root, one subclass per stage.

    ExtractorError                 root of everything this package raises on purpose
    ├── ConfigError                the configuration is wrong: stop at start-up
    │   └── EngineError            the extraction engine cannot be used (Ray not installed, the
    │                              cluster unreachable, a node without this package's version)
    ├── LoadError                  this input cannot be read (empty, garbage, truncated, image-only ...)
    │   ├── UnsupportedFormatError the content is none of the formats we read
    │   ├── NoTextLayerError       a PDF without a text layer (the loader reads it by OCR)
    │   ├── EncodingError          text whose encoding cannot be determined
    │   └── InputLimitError        over a size / member / decompression limit
    ├── ExtractionError            the text was read but no report tables could be found
    │   └── TooManySplits          a glued digit run has too many readings to enumerate safely
    ├── LLMError                   the language model could not give a usable answer
    │   ├── LLMTransportError      connection, timeout, 429/5xx after the retries ran out
    │   │   ├── LLMBudgetError     the report's wall-clock model budget is spent
    │   │   └── LLMUnavailableError  not called: the server kept failing (circuit breaker open)
    │   ├── LLMOutputError         the reply is unusable (invalid JSON, truncated, fails checks)
    │   │   └── LLMAnswerError     no usable answer within the budget: the attempts, last answer
    │   └── LocalModelError        the built-in local model/server could not be set up
    ├── PageImageError             a page of an input cannot be shown as an image (not paged, damaged)
    │   └── NoSuchPageError        the input has no page of that number
    ├── StoreError                 the results database cannot be used
    ├── AnalysisError              the analysis asked for cannot be made (no such agency or year)
    └── ReviewError                a review request that cannot be done (the service answers 4xx)
        ├── ReviewInputError       the reviewer's input is invalid (a code, a message, details)
        └── NoGoldError            the report has no reviewed record to give as gold

An item-level error (LoadError, ExtractionError, LLMError) fails that item only; a batch goes on.
ConfigError and StoreError stop the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from .result import LLMCall


class ExtractorError(Exception):
    """Root of every error this package raises on purpose."""


class ConfigError(ExtractorError):
    """The configuration is wrong; nothing can run until it is fixed."""


class EngineError(ConfigError):
    """The engine a batch should run on cannot be used; the message says how to fix it."""


class LoadError(ExtractorError):
    """An input file cannot be read. The message names the file and the reason."""

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class UnsupportedFormatError(LoadError):
    """The content is none of the formats read (HTML, PDF, Word, RTF, page images, text, markdown)."""


class NoTextLayerError(LoadError):
    """A PDF with no text layer (scanned pages): read by OCR instead of pdfplumber."""


class EncodingError(LoadError):
    """A text file whose encoding cannot be determined."""


class InputLimitError(LoadError):
    """A file or archive over a configured limit (size, members, decompressed size)."""


class ExtractionError(ExtractorError):
    """The document was read but holds no recognisable report tables."""


class TooManySplits(ExtractionError):
    """The search space of a glued digit run is too large to enumerate safely."""


class LLMError(ExtractorError):
    """The language model could not give a usable answer."""


class LLMTransportError(LLMError):
    """The server could not be reached or kept failing after bounded retries."""


class LLMBudgetError(LLMTransportError):
    """The wall-clock budget for the model calls of one report ran out (EXTRACTOR_LLM_REPORT_BUDGET_S)."""


class LLMUnavailableError(LLMTransportError):
    """The server is not called any more: it kept failing on the transport (the circuit breaker)."""


class LLMOutputError(LLMError):
    """The model's reply was unusable: invalid, truncated, or failing the checks after re-asks."""


class LLMAnswerError(LLMOutputError):
    """No usable answer within the budget. reason: failed_checks | invalid | truncated."""

    def __init__(self, message: str, *, reason: str, attempts: list["LLMCall"],
                 last_answer: Any = None, failed_checks: Sequence[str] = ()):
        super().__init__(message)
        self.reason = reason
        self.attempts = attempts
        self.last_answer = last_answer
        self.failed_checks = list(failed_checks)

    @property
    def prompt_tokens(self) -> int:
        return sum(c.prompt_tokens for c in self.attempts)

    @property
    def completion_tokens(self) -> int:
        return sum(c.completion_tokens for c in self.attempts)


class LocalModelError(LLMError):
    """The built-in local model or its server could not be set up."""


class PageImageError(ExtractorError):
    """A page of an input cannot be rendered: the input has no pages (HTML, text) or is damaged."""


class NoSuchPageError(PageImageError, LookupError):
    """The input has no page of that number."""


class StoreError(ExtractorError):
    """The results database cannot be opened, migrated or written."""


class AnalysisError(ExtractorError, LookupError):
    """The analysis asked for cannot be made: no such agency or year in the store."""


class ReviewError(ExtractorError):
    """A review-service request that cannot be carried out."""


class ReviewInputError(ReviewError, ValueError):
    """The reviewer's input is invalid; `code` and `details` go into the 4xx error body."""

    def __init__(self, code: str, message: str, details: Any = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class NoGoldError(ReviewError, LookupError):
    """The report has not been accepted by a reviewer, so it has no gold record."""
