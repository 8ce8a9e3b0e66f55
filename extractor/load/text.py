"""Plain text inputs: decoded text kept as is (line endings normalised), plus a title guess."""

from __future__ import annotations

import re

from ..document import Document

_TITLE_WORDS = ("年度报告", "工作报告", "年报")
_TITLE_PREFIX = re.compile(r"^(标题|题目|title)\s*[:：]\s*", re.I)


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")


def guess_title(lines: list[str]) -> str | None:
    """First short line that reads like a report title, else the first non-empty line."""
    candidates = [ln.strip().lstrip("#").strip() for ln in lines if ln.strip()]
    for word in _TITLE_WORDS:
        for i, ln in enumerate(candidates):
            if len(ln) <= 120 and word in ln:
                prev = candidates[i - 1] if i else ""
                # a wrapped title: '…公开工作' / '年度报告', or '淮安市人民政府' / '2024 年…年度报告'
                if prev and (len(ln) <= len(word) + 2 or (re.match(r"\d{4}\s*年", ln) and len(prev) <= 30
                                                          and not re.search(r"[，。；：,;:]", prev))):
                    ln = prev + ln
                return _TITLE_PREFIX.sub("", ln)
    return candidates[0][:120] if candidates else None


def trim_title(title: str | None) -> str | None:
    """'报告名_栏目_网站' or '报告名-单位' (page/metadata titles) -> the part naming the report."""
    if not title or not title.strip():
        return None
    parts = [p.strip() for p in re.split(r"\s*[_|｜]\s*|\s+-\s+|-(?=[^-]*$)", title.strip()) if p.strip()]
    for p in parts:
        if "报告" in p:
            return p
    return parts[0] if parts else None


def load_text(text: str, name: str, encoding: str | None) -> Document:
    text = normalise_newlines(text)
    return Document(source=name, format="txt", text=text, encoding=encoding,
                    title=guess_title(text.split("\n", 400)[:400]))
