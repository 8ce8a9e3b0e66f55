"""Decode the bytes of a text input: strict UTF-8, BOMs, UTF-16, GB18030, then charset-normalizer."""

from __future__ import annotations

import codecs
import re

from ..errors import EncodingError

_BOMS: list[tuple[bytes, str]] = [
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),   # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
_CJK_OR_PUNCT = re.compile(r"[\u2010-\u206f\u2e80-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_ratio(data: bytes) -> float:
    """Share of C0 control bytes (other than tab/newline/CR/FF) in a sample: high means binary."""
    sample = data[:8192]
    if not sample:
        return 0.0
    bad = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13)) + sample.count(127)
    return bad / len(sample)


def utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when the NUL bytes say so (ASCII digits/newlines of a UTF-16 text)."""
    sample = data[:8192]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    if even + odd < len(sample) // 50:
        return None
    if odd > 4 * max(even, 1) and (len(data) % 2 == 0):
        return "utf-16-le"
    if even > 4 * max(odd, 1) and (len(data) % 2 == 0):
        return "utf-16-be"
    return None


def plausible(text: str) -> bool:
    """Decoded text reads like a document: no control characters, and not mojibake."""
    if not text.strip():
        return True
    if len(_CONTROL.findall(text)) > max(2, len(text) // 1000):
        return False
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return True
    cjk = sum(1 for c in non_ascii if _CJK_OR_PUNCT.match(c))
    return cjk / len(non_ascii) >= 0.8


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Return (text, encoding name). Raises EncodingError when no encoding gives readable text."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as e:
                raise EncodingError(name, f"starts with a {enc} byte-order mark but does not decode "
                                    f"as {enc} ({e.reason} at byte {e.start}); re-save it as UTF-8") from e
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    enc16 = utf16_without_bom(data)
    if enc16:
        try:
            text = data.decode(enc16)
            if plausible(text):
                return text, enc16
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("gb18030")
        if plausible(text):
            # GBK is the everyday name; GB18030 is its superset and decodes both
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    import charset_normalizer  # local import: only needed for the rare odd encodings

    best = charset_normalizer.from_bytes(data).best()
    if best is not None:
        text = str(best)
        if plausible(text):
            return text, best.encoding
    raise EncodingError(name, "text in an unknown encoding (not UTF-8, UTF-16, GBK/GB18030, and no "
                        "other encoding gives readable Chinese text); re-save it as UTF-8")
