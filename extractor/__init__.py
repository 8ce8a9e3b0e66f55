"""Turn Chinese government information-disclosure annual reports into exact, checked records.

Public API:
    extract_file(path, settings) -> ExtractionResult
    extract_bytes(data, name, settings) -> ExtractionResult
    load_document(path, settings) -> Document
    Settings, ExtractionResult, Finding, CellProvenance, Document
    parse_record(dict) -> Record2021 | Record2019, record_to_dict(record)
    ExtractorError and its subclasses (see extractor.errors)
"""

from .document import Document
from .errors import (
    ConfigError, EncodingError, ExtractionError, ExtractorError, InputLimitError, LLMError,
    LLMOutputError, LLMTransportError, LoadError, LocalModelError, StoreError,
    UnsupportedFormatError,
)
from .pipeline import extract_bytes, extract_file
from .record import Record2019, Record2021, parse_record, record_to_dict
from .result import CellProvenance, ExtractionResult, Finding
from .settings import Settings
from .version import ENGINE_VERSION

__all__ = [
    "CellProvenance", "ConfigError", "Document", "ENGINE_VERSION", "EncodingError",
    "ExtractionError", "ExtractionResult", "ExtractorError", "Finding", "InputLimitError",
    "LLMError", "LLMOutputError", "LLMTransportError", "LoadError", "LocalModelError",
    "Record2019", "Record2021", "Settings", "StoreError", "UnsupportedFormatError",
    "extract_bytes", "extract_file", "parse_record", "record_to_dict",
]
