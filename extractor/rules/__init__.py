"""Deterministic extraction: find 表二/表三/表四 and the title in normalised text, read every row.

    tokens.py    the numbers of one row as printed (grid cells, glued runs, blanks)
    split.py     every reading of a row's tokens as N cells; counts, absent cells, ambiguity
    labels.py    tolerant regexes for the template's row labels
    table2.py    section 二 (主动公开), both templates
    table3.py    section 三 (依申请), glued runs split by the table's sums
    table4.py    section 四 (复议/诉讼)
    metadata.py  the issuing agency and the year
    legacy_table.py  the old statistics table of reports from before the national template
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..template import TemplateId
from .metadata import Metadata, extract_metadata
from .table2 import Table2, extract_table2
from .table3 import Table3, extract_table3
from .table4 import Table4, extract_table4

__all__ = ["Tables", "read_tables"]

_T2021 = re.compile(r"〔\s*2021\s*〕\s*30\s*号|2021\s*\]\s*30|国办公开办函\s*〔\s*2021")
_T2019 = re.compile(r"〔\s*2019\s*〕\s*60\s*号|国办公开办函\s*〔\s*2019")


@dataclass
class Tables:
    """What the rules read from one report's normalised text."""

    template: TemplateId
    table2: Table2
    table3: Table3 | None
    table4: Table4
    metadata: Metadata

    @property
    def found(self) -> bool:
        """False when none of the three tables is there (not an annual report, or not of the template)."""
        return not (self.table3 is None and all(i.status == "absent" for i in self.table2.items.values())
                    and self.table4.status == "absent")


def read_tables(text: str, title: str | None, source: str) -> Tables:
    """Read the three tables and the title's agency and year from normalised text."""
    t3 = extract_table3(text)
    t2 = extract_table2(text, t3.span[0] if t3 else None)
    # without 表三 (a report telling it in sentences) 表二's span runs to the end: look for
    # section 四 from 表二's start instead
    t4 = extract_table4(text, t3.span[1] if t3 else t2.span[0])
    template = _template(text, t2, t3)
    if t2.template is None and template == "2019":
        # no 表二 header to tell: read its rows as the template the report otherwise follows
        t2 = extract_table2(text, t3.span[0] if t3 else None, template)
    return Tables(template, t2, t3, t4, extract_metadata(text, title, source))


def _template(text: str, t2: Table2, t3: Table3 | None) -> TemplateId:
    """FORMAT.md: the template follows the 主动公开 table; failing that, the cited notice, then 表三."""
    if t2.template:
        return t2.template
    if _T2021.search(text):
        return "2021"
    if _T2019.search(text):
        return "2019"
    return t3.six_form if t3 else "2021"
