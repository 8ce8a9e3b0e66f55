"""Input loaders: bytes or a file in, one `Document` out (format picked by content)."""

from __future__ import annotations

from pathlib import Path

from ..document import Document
from ..errors import ExtractorError, LoadError
from ..names import as_text
from ..settings import Settings
from .read import check_size, read_input
from .sniff import Sniffed, sniff

__all__ = ["load_bytes", "load_document"]


def load_bytes(data: bytes, name: str, settings: Settings) -> Document:
    """Read one report from its bytes; `name` (path, zip member, upload name) is only a hint.

    Raises LoadError or a subclass (UnsupportedFormatError, EncodingError, InputLimitError) whose
    message names the input and the reason.
    """
    check_size(name, len(data), settings)
    found = sniff(data, name)
    try:
        return _load(found, data, name, settings)
    except ExtractorError:
        raise
    except Exception as e:  # a third-party parser failing on odd input: this item fails, not the run
        raise LoadError(name, f"cannot read this {found.format.upper()} file "
                        f"({type(e).__name__}: {e})") from e


def _load(found: Sniffed, data: bytes, name: str, settings: Settings) -> Document:
    if found.format == "pdf":
        return _load_pdf(data, name, settings)
    if found.format == "image":
        from .scan import cached, load_image
        return cached(data, name, _ocr_cache(settings), lambda: load_image(data, name))
    if found.legacy_suffix is not None:
        from .legacy import load_legacy
        return load_legacy(data, name, found.legacy_suffix, settings.convert_timeout_s)
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


def _load_pdf(data: bytes, name: str, settings: Settings) -> Document:
    """A PDF from its text layer; pages or pictures without one by OCR (a scan wholly).

    The text layer is read first: a PDF that cannot be read (or needs more memory than allowed)
    fails there, before pdfium looks for the parts without text."""
    from ..errors import NoTextLayerError
    from .pdf import load_pdf

    try:
        doc = load_pdf(data, name)
    except NoTextLayerError:
        from .scan import cached, load_scanned_pdf
        return cached(data, name, _ocr_cache(settings), lambda: load_scanned_pdf(data, name))
    from .regions import plan_ocr

    plan = plan_ocr(data)
    if plan is None or not plan.regions or plan.all_pages_whole:
        return doc
    from .mixed import load_mixed_pdf
    from .scan import cached
    return cached(data, name, _ocr_cache(settings), lambda: load_mixed_pdf(data, name, plan))


def _ocr_cache(settings: Settings) -> Path | None:
    return settings.cache_dir if settings.ocr_cache else None


def load_document(path: str | Path, settings: Settings) -> Document:
    """Read one report file (read with the size cap; see read.read_input)."""
    return load_bytes(read_input(path, settings), as_text(str(path)), settings)
