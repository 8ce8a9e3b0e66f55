"""Input names: file system names kept losslessly as text, and shown safely on a terminal.

A POSIX file name is bytes. Python hands the bytes that are not UTF-8 over as lone surrogates
('bad\\udcffname.txt'), which no UTF-8 text (SQLite, JSON output, a terminal) can hold. `as_text`
turns such a name into plain text that says which bytes it had ('bad\\xffname.txt'), and `to_fs`
turns it back into the name the file system knows. Names that are valid UTF-8 are never changed.

`shown` is for people: control characters (ANSI escape sequences, carriage returns, bidi
overrides) become visible escapes, so a name cannot redraw or recolour a progress line.
"""

from __future__ import annotations

import os
import re

_ESCAPED = re.compile(r"\\x([0-9a-f]{2})")
# C0/C1 controls, DEL, and the format characters that reorder or hide text
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")


def as_text(name: str) -> str:
    """A name as valid text: undecodable bytes as '\\xNN' (and '\\' as '\\x5c' in such names only)."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        pass
    raw = os.fsencode(name)
    out: list[str] = []
    i = 0
    while i < len(raw):
        # decode the longest valid UTF-8 run, escape the byte that breaks it
        try:
            out.append(raw[i:].decode("utf-8").replace("\\", "\\x5c"))
            break
        except UnicodeDecodeError as e:
            out.append(raw[i:i + e.start].decode("utf-8").replace("\\", "\\x5c"))
            out.append(f"\\x{raw[i + e.start]:02x}")
            i += e.start + 1
    return "".join(out)


def to_fs(text: str) -> str:
    """The file system name `as_text` made `text` from (the name itself when it was valid UTF-8)."""
    if "\\x" not in text or os.path.lexists(text):
        return text
    raw = bytearray()
    pos = 0
    for m in _ESCAPED.finditer(text):
        raw += text[pos:m.start()].encode("utf-8") + bytes([int(m.group(1), 16)])
        pos = m.end()
    raw += text[pos:].encode("utf-8")
    try:
        bytes(raw).decode("utf-8")
        return text   # every escape decodes: the name was printed this way, not escaped by us
    except UnicodeDecodeError:
        return os.fsdecode(bytes(raw))


def shown(text: str | None, limit: int | None = None) -> str:
    """`text` safe to print: control and bidi characters as visible escapes; cut at `limit`."""
    if text is None:
        return ""
    safe = _UNSAFE.sub(_escape, as_text(text))
    if limit is not None and len(safe) > limit:
        safe = safe[: max(limit - 1, 0)] + "…"
    return safe


def _escape(m: re.Match[str]) -> str:
    c = m.group()
    if c == "\t":
        return " "
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"



_FORMATS = {"htm": "html", "html": "html", "pdf": "pdf", "docx": "docx", "doc": "doc", "txt": "txt",
            "md": "md", "zip": "zip"}


def format_from_name(name: str) -> str | None:
    """The format a name suggests (for results of inputs that were never read)."""
    base = name.rsplit("!", 1)[-1].rsplit("/", 1)[-1].split("#", 1)[0]
    return _FORMATS.get(base.rsplit(".", 1)[-1].lower()) if "." in base else None
