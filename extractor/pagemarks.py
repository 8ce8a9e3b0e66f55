"""Page numbers a page-laid-out report prints between its lines ('- 3 -', '第3页 共6页', '3/6')."""

from __future__ import annotations

import re

_PAGE_NUMBER = [
    re.compile(r"^[-—–－―~〜·•]+\s*\d{1,4}\s*[-—–－―~〜·•]+$"),     # - 3 -, — 3 —
    re.compile(r"^第\s*\d{1,4}\s*页(\s*[,，/]?\s*共\s*\d{1,4}\s*页)?$"),  # 第3页, 第3页 共6页
    re.compile(r"^\d{1,4}\s*/\s*\d{1,4}$"),                            # 3/6
    re.compile(r"^(page|p\.)\s*\d{1,4}(\s*(of|/)\s*\d{1,4})?$", re.I),
]


def is_page_mark(line: str) -> bool:
    """True when the whole line is a page number in one of the printed forms (never a bare number:
    a lone '3' on a line may be a table cell)."""
    s = line.strip()
    return bool(s) and any(p.match(s) for p in _PAGE_NUMBER)
