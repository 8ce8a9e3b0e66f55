"""Input loaders: bytes or a file in, one `Document` out (format picked by content)."""

from __future__ import annotations

from pathlib import Path

from ..document import Document
from ..errors import ExtractorError, InputLimitError, LoadError
from ..settings import Settings
from .sniff import Sniffed, sniff

__all__ = ["load_bytes", "load_document"]


def load_bytes(data: bytes, name: str, settings: Settings) -> Document:
    """Read one report from its bytes; `name` (path, zip member, upload name) is only a hint.

    Raises LoadError or a subclass (UnsupportedFormatError, EncodingError, InputLimitError) whose
    message names the input and the reason.
    """
    if len(data) > settings.max_file_bytes:
        raise InputLimitError(name, _too_big(len(data), settings.max_file_bytes))
    found = sniff(data, name)
    try:
        return _load(found, data, name)
    except ExtractorError:
        raise
    except Exception as e:  # a third-party parser failing on odd input: this item fails, not the run
        raise LoadError(name, f"cannot read this {found.format.upper()} file "
                        f"({type(e).__name__}: {e})") from e


def _load(found: Sniffed, data: bytes, name: str) -> Document:
    if found.format == "pdf":
        from .pdf import load_pdf
        return load_pdf(data, name)
    if found.format == "docx":
        from .docx import load_docx
        return load_docx(data, name)
    if found.format == "html":
        from .html import load_html
        return load_html(data, name, found.text, found.encoding)
    assert found.text is not None
    if found.format == "md":
        from .markdown import load_markdown
        return load_markdown(found.text, name, found.encoding)
    from .text import load_text
    return load_text(found.text, name, found.encoding)


def load_document(path: str | Path, settings: Settings) -> Document:
    """Read one report file (size-checked before reading)."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > settings.max_file_bytes:
            raise InputLimitError(str(path), _too_big(size, settings.max_file_bytes))
        data = p.read_bytes()
    except OSError as e:
        raise LoadError(str(path), f"cannot read file: {e.strerror or e}") from e
    return load_bytes(data, str(path), settings)


def _too_big(size: int, limit: int) -> str:
    return (f"file is {size:,} bytes, over the limit of {limit:,} bytes; raise EXTRACTOR_MAX_FILE_BYTES "
            "if this file is genuine")
