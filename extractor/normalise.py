"""Text clean-up that keeps offsets: every normalised character maps back to the source text."""

from __future__ import annotations

import re
import unicodedata
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import overload

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

# CJK Radicals Supplement -> the ideograph each stands for (Unicode's EquivalentUnifiedIdeograph
# data; NFKC maps only two of them). PDF producers (Chromium among them) write these code points
# for glyphs their fonts share with common ideographs: ⺠ for 民, ⻓ for 长, ⻅ for 见.
_RADICALS_SUPPLEMENT: dict[str, str] = dict(zip(
    "⺁⺄⺅⺆⺈⺉⺊⺌⺍⺎⺏⺐⺒⺓⺔⺖⺘⺙⺛⺜⺝⺞⺟⺠⺡⺢⺣⺤⺥⺦⺧⺨⺩⺫⺬⺭⺯⺰⺱⺲⺶⺷⺸⺹⺺⺻⺼⺾⺿⻀⻁⻂⻃⻄⻅⻆⻈⻉⻊⻋⻌⻍⻎⻏⻐⻑⻒⻓⻔⻕⻖⻗⻘⻙⻚⻛⻜⻝⻟⻠⻢⻣⻤⻥⻦⻧⻨⻩⻪⻫⻬⻭⻮⻯⻰⻱⻲⻳",
    "厂乙亻冂刀刂卜小小尢尣尢巳幺彑忄扌攵旡日月歺母民氵氺灬爫爫丬牛犭王目示礻糹纟罓罒羊羊羋耂肀聿肉艹艹艹虎衤覀西见角讠贝足车辶辶辶邑钅長镸长门阜阝雨青韦页风飞食飠饣马骨鬼鱼鸟卤麦黄黾斉齐歯齿竜龙龜亀龟",
    strict=True))

# Enclosed ordinals that label the template's rows: '㈠予以公开' is '（一）予以公开'
_ENCLOSED = {**{chr(0x3220 + i): f"（{c}）" for i, c in enumerate("一二三四五六七八九十")},
             **{chr(0x2474 + i): f"（{i + 1}）" for i in range(20)},      # ⑴ … ⒇
             **{chr(0x2488 + i): f"{i + 1}." for i in range(20)}}        # ⒈ … ⒛


def _is_private_use(o: int) -> bool:
    return 0xE000 <= o <= 0xF8FF or 0xF0000 <= o <= 0x10FFFD


def _fold(ch: str) -> str | None:
    """The ideograph a compatibility code point stands for, or None when `ch` is not one.

    Only these blocks are folded, never NFKC wholesale: NFKC would also turn the full-width
    punctuation the label regexes rely on (（ ） ， ：) into ASCII."""
    o = ord(ch)
    if 0x2F00 <= o <= 0x2FDF or 0xF900 <= o <= 0xFAFF or 0x2F800 <= o <= 0x2FA1F:
        # Kangxi Radicals, CJK Compatibility Ideographs (+ Supplement); the twelve unified
        # ideographs inside U+F900-FAFF are their own NFKC form
        return unicodedata.normalize("NFKC", ch)
    if 0x2E80 <= o <= 0x2EFF:
        return _RADICALS_SUPPLEMENT.get(ch, unicodedata.normalize("NFKC", ch))
    if 0xFE10 <= o <= 0xFE19 or 0xFE30 <= o <= 0xFE44 or o in (0xFE47, 0xFE48):
        # vertical presentation forms (text of a cell set vertically): ︵三︶ is （三）
        return unicodedata.normalize("NFKC", ch)
    return _ENCLOSED.get(ch)


class OffsetMap(Sequence[int]):
    """The source offset of every normalised character (and, last, the source's length), kept
    as runs over which `origin[k] = k + delta`: a few runs per line, not one int per character.

    Reads like the sequence of offsets it stands for (len, indexing, iteration)."""

    __slots__ = ("_deltas", "_len", "_starts")

    def __init__(self, starts: array[int], deltas: array[int], length: int):
        self._starts, self._deltas, self._len = starts, deltas, length

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, k: int) -> int: ...

    @overload
    def __getitem__(self, k: slice) -> list[int]: ...

    def __getitem__(self, k: int | slice) -> int | list[int]:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(self._len))]
        if k < 0:
            k += self._len
        if not 0 <= k < self._len:
            raise IndexError("offset map index out of range")
        return k + self._deltas[bisect_right(self._starts, k) - 1]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, OffsetMap):
            return (self._len, self._starts, self._deltas) == (other._len, other._starts, other._deltas)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self._len, self._starts.tobytes(), self._deltas.tobytes()))

    def __repr__(self) -> str:
        return f"OffsetMap({self._len} offsets in {len(self._starts)} runs)"


class _Builder:
    """Collects the normalised text as chunks and its offset map as runs."""

    def __init__(self, source: str):
        self.source = source
        self.chunks: list[str] = []
        self.starts: array[int] = array("q")
        self.deltas: array[int] = array("q")
        self.length = 0

    def _at(self, delta: int) -> None:
        # the character about to be written at `length` comes from source offset length + delta
        if not self.deltas or self.deltas[-1] != delta:
            self.starts.append(self.length)
            self.deltas.append(delta)

    def copy(self, a: int, b: int) -> None:
        """source[a:b] as it is."""
        if b > a:
            self._at(a - self.length)
            self.chunks.append(self.source[a:b])
            self.length += b - a

    def put(self, rep: str, i: int) -> None:
        """`rep` in place of the source character at i (every character of it points to i)."""
        for _ in rep:
            self._at(i - self.length)
            self.length += 1
        self.chunks.append(rep)

    def done(self) -> tuple[str, OffsetMap]:
        self._at(len(self.source) - self.length)
        return "".join(self.chunks), OffsetMap(self.starts, self.deltas, self.length + 1)


@dataclass(frozen=True)
class NormText:
    """Normalised text plus, for each of its characters, the offset of the source character."""

    text: str
    origin: OffsetMap  # len(text) + 1 entries; the last is len(source)
    # private-use code points left as they are (a font's own encoding: the glyph they show is
    # unknown), with how often each occurs
    private_use: dict[str, int] = field(default_factory=dict)

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) interval of the normalised text back to the source text."""
        if end <= start:
            return self.origin[start], self.origin[start]
        return self.origin[start], self.origin[end - 1] + 1


# the characters `normalise` may change: everything but plain ASCII and unified ideographs, and
# of ASCII the ones _CHAR_MAP names and '&' (an HTML entity)
_SPECIAL = re.compile("[" + re.escape("".join(c for c in _CHAR_MAP if c.isascii())) + "&]"
                      + "|[^\\x00-\\x7f\\u4e00-\\u9fff]")


def _replacement(ch: str) -> str:
    rep = _CHAR_MAP.get(ch)
    if rep is not None:
        return rep
    folded = _fold(ch)
    if folded is None:
        return ch
    return "".join(_CHAR_MAP.get(r, r) for r in folded)


def normalise(source: str) -> NormText:
    """Full-width digits to ASCII, NBSP/ideographic space to space, zero-width characters and
    leftover HTML space entities removed, ASCII parentheses to full-width (the template's labels),
    dash variants to '-', compatibility ideographs (Kangxi and supplementary radicals, CJK
    compatibility ideographs), vertical presentation forms and enclosed ordinals (㈠, ⑴, ⒈) to
    what they stand for. Line
    breaks and TABs (cell boundaries) are kept."""
    out = _Builder(source)
    private: Counter[str] = Counter()
    seen: dict[str, str] = {}
    pos = 0  # source[pos:] not written yet; characters left as they are written in one slice
    for m in _SPECIAL.finditer(source):
        i = m.start()
        if i < pos:
            continue  # inside an entity already written
        ch = m.group()
        if ch == "&":
            ent = next((e for e in _ENTITIES if source.startswith(e, i)), None)
            if ent:
                out.copy(pos, i)
                out.put(" ", i)
                pos = i + len(ent)
            continue
        rep = seen.get(ch)
        if rep is None:
            rep = seen[ch] = _replacement(ch)
        if rep == ch:
            if _is_private_use(ord(ch)):
                private[ch] += 1
            continue
        out.copy(pos, i)
        out.put(rep, i)
        pos = i + 1
    out.copy(pos, len(source))
    text, origin = out.done()
    return NormText(text, origin, dict(private))
