"""Turn Chinese government information-disclosure annual reports into exact, checked records.

Public API (README "Use it from Python"):
    extract_file(path, settings, llm=None) -> ExtractionResult   one report file
    extract_bytes(data, name, settings, llm=None) -> ExtractionResult
    load_document(path, settings) -> Document                     the loaded text and table grids
    open_llm(settings) -> context manager giving the model client (None when EXTRACTOR_LLM=off)
    Settings                      every knob, read from EXTRACTOR_* (Settings.from_env())
    ExtractionResult, Finding, CellProvenance, Document
    parse_record(dict) -> Record2021 | Record2019, record_to_dict(record)   FORMAT.md's record
    LegacyRecord                  result.legacy: a report from before the 2019 template (status pretemplate)
    ExtractorError and its subclasses (the tree is drawn in extractor.errors)
"""

from .document import Document
from .errors import (
    ConfigError,
    EncodingError,
    ExtractionError,
    ExtractorError,
    InputLimitError,
    LLMError,
    LLMOutputError,
    LLMTransportError,
    LoadError,
    LocalModelError,
    StoreError,
    UnsupportedFormatError,
)
from .legacy import LegacyRecord
from .llm import open_llm
from .load import load_document
from .pipeline import extract_bytes, extract_file
from .record import Record2019, Record2021, parse_record, record_to_dict
from .result import CellProvenance, ExtractionResult, Finding
from .settings import Settings
from .version import ENGINE_VERSION

__all__ = [
    "CellProvenance", "ConfigError", "Document", "ENGINE_VERSION", "EncodingError",
    "ExtractionError", "ExtractionResult", "ExtractorError", "Finding", "InputLimitError",
    "LLMError", "LegacyRecord", "LLMOutputError", "LLMTransportError", "LoadError", "LocalModelError",
    "Record2019", "Record2021", "Settings", "StoreError", "UnsupportedFormatError",
    "extract_bytes", "extract_file", "load_document", "open_llm", "parse_record", "record_to_dict",
]
