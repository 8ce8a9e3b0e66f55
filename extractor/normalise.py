"""Text clean-up that keeps offsets: every normalised character maps back to the source text."""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class NormText:
    """Normalised text plus, for each of its characters, the offset of the source character."""

    text: str
    origin: tuple[int, ...]  # len(text) + 1 entries; the last is len(source)
    # private-use code points left as they are (a font's own encoding: the glyph they show is
    # unknown), with how often each occurs
    private_use: dict[str, int] = field(default_factory=dict)

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) interval of the normalised text back to the source text."""
        if end <= start:
            return self.origin[start], self.origin[start]
        return self.origin[start], self.origin[end - 1] + 1


def normalise(source: str) -> NormText:
    """Full-width digits to ASCII, NBSP/ideographic space to space, zero-width characters and
    leftover HTML space entities removed, ASCII parentheses to full-width (the template's labels),
    dash variants to '-', compatibility ideographs (Kangxi and supplementary radicals, CJK
    compatibility ideographs), vertical presentation forms and enclosed ordinals (㈠, ⑴, ⒈) to
    what they stand for. Line
    breaks and TABs (cell boundaries) are kept."""
    out: list[str] = []
    origin: list[int] = []
    private: Counter[str] = Counter()
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
        rep = _CHAR_MAP.get(ch)
        if rep is None:
            if ch.isascii() or "\u4e00" <= ch <= "\u9fff":
                rep = ch
            else:
                rep = _fold(ch)
                if rep is None:
                    rep = ch
                    if _is_private_use(ord(ch)):
                        private[ch] += 1
                else:
                    rep = "".join(_CHAR_MAP.get(r, r) for r in rep)
        for r in rep:
            out.append(r)
            origin.append(i)
        i += 1
    origin.append(n)
    return NormText("".join(out), tuple(origin), dict(private))
