"""Text clean-up that keeps offsets: every normalised character maps back to the source text."""

from __future__ import annotations

from dataclasses import dataclass

# one source character -> one replacement (possibly empty); offsets are kept by `origin`
_CHAR_MAP: dict[str, str] = {
    **{chr(0xFF10 + i): str(i) for i in range(10)},  # full-width digits
    "\u00a0": " ", "\u3000": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u202f": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "", "\u00ad": "",
    "\r": "",
    "．": ".", "﹒": ".", "，": "，",
    "(": "（", ")": "）", "﹙": "（", "﹚": "）",
    "－": "-", "‐": "-", "‑": "-", "−": "-",
    "／": "/",
}
_ENTITIES = ("&nbsp;", "&#160;", "&ensp;", "&emsp;")


@dataclass(frozen=True)
class NormText:
    """Normalised text plus, for each of its characters, the offset of the source character."""

    text: str
    origin: tuple[int, ...]  # len(text) + 1 entries; the last is len(source)

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) interval of the normalised text back to the source text."""
        if end <= start:
            return self.origin[start], self.origin[start]
        return self.origin[start], self.origin[end - 1] + 1


def normalise(source: str) -> NormText:
    """Full-width digits to ASCII, NBSP/ideographic space to space, zero-width characters and
    leftover HTML space entities removed, ASCII parentheses to full-width (the template's labels),
    dash variants to '-'. Line breaks and TABs (cell boundaries) are kept."""
    out: list[str] = []
    origin: list[int] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "&":
            ent = next((e for e in _ENTITIES if source.startswith(e, i)), None)
            if ent:
                out.append(" ")
                origin.append(i)
                i += len(ent)
                continue
        rep = _CHAR_MAP.get(ch, ch)
        for r in rep:
            out.append(r)
            origin.append(i)
        i += 1
    origin.append(n)
    return NormText("".join(out), tuple(origin))
