"""Pick an input's format from its content (magic bytes, markup), the file name being only a hint."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from ..document import Format
from ..errors import LoadError, UnsupportedFormatError
from .encoding import control_ratio, decode_text, utf16_without_bom

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGES: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"),
    (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"BM", "BMP"),
]
_ARCHIVES: list[tuple[bytes, str]] = [
    (b"Rar!\x1a\x07", "RAR"), (b"7z\xbc\xaf\x27\x1c", "7z"), (b"\x1f\x8b", "gzip"),
]
_STRONG_HTML = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])",
                          re.I | re.S)
_TAG = re.compile(r"</?(html|head|body|table|tbody|tr|td|th|div|p|span|meta|title|br|h[1-6]|font)\b[^>]*>", re.I)
_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$", re.M)
_PIPE_SEP = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$", re.M)
_HEADING = re.compile(r"^#{1,6}\s+\S", re.M)
_WHITESPACE = b" \t\r\n\x0b\x0c\x00"


@dataclass
class Sniffed:
    format: Format
    text: str | None = None        # decoded text for text formats
    encoding: str | None = None
    legacy_suffix: str | None = None   # legacy word-processor files: the kind LibreOffice converts


def _ole2_kind(data: bytes, name: str, suffix: str) -> str:
    """An OLE2 compound file's kind, from the stream names in its directory (UTF-16LE)."""
    def has(stream: str) -> bool:
        return stream.encode("utf-16-le") in data

    if has("WordDocument"):   # every Word 97-2003 (and Kingsoft WPS) document has this stream
        return ".wps" if suffix == ".wps" else ".doc"
    if has("Workbook") or has("Book\x00"):
        raise UnsupportedFormatError(name, "legacy Microsoft Excel .xls file (OLE2), not a report document")
    if has("PowerPoint Document"):
        raise UnsupportedFormatError(name, "legacy Microsoft PowerPoint .ppt file (OLE2), not a report document")
    if suffix == ".wps" or has("CONTENTS"):
        return ".wps"   # Microsoft Works / older WPS documents
    # no stream name found (a damaged or truncated directory): let LibreOffice try it as Word
    return ".doc"


def _suffix(name: str) -> str:
    return PurePath(name).suffix.lower()


def sniff(data: bytes, name: str) -> Sniffed:
    """Decide the format; raise LoadError (or a subclass) for inputs that are not reports at all."""
    if not data:
        raise LoadError(name, "empty file (0 bytes)")
    stripped = data
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if stripped.startswith(bom):
            stripped = stripped[len(bom):]
    if not stripped.strip(_WHITESPACE):
        raise LoadError(name, f"empty file (only whitespace in {len(data)} bytes)")
    suffix = _suffix(name)

    if b"%PDF-" in data[:1024]:
        return Sniffed("pdf")
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return Sniffed(_sniff_zip(data, name, suffix))
    if data.startswith(_OLE2):
        return Sniffed("doc", legacy_suffix=_ole2_kind(data, name, suffix))
    if data.startswith(b"{\\rtf"):
        return Sniffed("rtf", legacy_suffix=".rtf")
    for magic, kind in _IMAGES:
        if data.startswith(magic):
            if kind == "GIF":
                raise UnsupportedFormatError(name, "GIF image; page images are read as PNG, JPEG, TIFF "
                                             "or BMP: convert it to one of those")
            return Sniffed("image")
    for magic, kind in _ARCHIVES:
        if data.startswith(magic):
            raise UnsupportedFormatError(name, f"{kind} archive, not a report; only zip archives are "
                                         "read, by `extractor run`")

    if control_ratio(data) > 0.01 and not utf16_without_bom(data) \
            and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        hint = f" (named {suffix} but" if suffix else " ("
        raise UnsupportedFormatError(name, f"binary data, not HTML, PDF, Word, RTF, an image, markdown or text{hint} "
                                     "no known signature)")
    return _sniff_text(data, name, suffix)


def _sniff_zip(data: bytes, name: str, suffix: str) -> Format:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, EOFError, ValueError) as e:
        what = "DOCX" if suffix == ".docx" else "zip/DOCX"
        raise LoadError(name, f"corrupt or truncated {what} (the zip container cannot be read: {e})") from e
    if "word/document.xml" in names:
        return "docx"
    if "[Content_Types].xml" in names or suffix in (".docx", ".xlsx", ".pptx"):
        if any(n.startswith("xl/") for n in names):
            raise UnsupportedFormatError(name, "Excel workbook (.xlsx), not a report document")
        if any(n.startswith("ppt/") for n in names):
            raise UnsupportedFormatError(name, "PowerPoint file (.pptx), not a report document")
        raise LoadError(name, "corrupt DOCX: the zip has no word/document.xml")
    raise UnsupportedFormatError(name, f"zip archive ({len(names)} members), not a single report; archives "
                                 "are handled by `extractor run`, which walks the zip members")


def _sniff_text(data: bytes, name: str, suffix: str) -> Sniffed:
    if _STRONG_HTML.match(data[:4096]):
        return Sniffed("html")     # html.py decodes it itself (honours <meta charset>)
    text, encoding = decode_text(data, name)
    if not text.strip():
        raise LoadError(name, "empty file (only whitespace)")
    head = text[:200_000]
    tags = len(_TAG.findall(head[:20_000]))
    if head.lstrip().startswith("<") and tags >= 2 or tags >= 8 or (suffix in (".html", ".htm", ".shtml") and tags):
        return Sniffed("html", text, encoding)
    pipe_rows = len(_PIPE_ROW.findall(head))
    seps = len(_PIPE_SEP.findall(head))
    headings = len(_HEADING.findall(head))
    if (pipe_rows >= 2 and seps >= 1) or headings >= 2 or \
            (suffix in (".md", ".markdown") and (pipe_rows or headings)):
        return Sniffed("md", text, encoding)
    return Sniffed("txt", text, encoding)
