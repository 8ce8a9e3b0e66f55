"""表四 told in sentences the rules do not read in full: real dev reports' numbers written in
other phrasings (count before its result, Chinese numerals), for the model's tests and benchmark."""

from __future__ import annotations

import re

from tests.dev_reports import DEV

GROUPS = ("review", "litigation_direct", "litigation_after_review")
_CN = "零一两三四五六七八九"


def _cn(v: int) -> str:
    return _CN[v] if v < 10 else str(v)


def count_first(rl: dict[str, list[int]]) -> str:
    """'其中1件结果维持、1件结果纠正…': each count before its result."""
    def results(v: list[int]) -> str:
        words = ("结果维持", "结果纠正", "为其他结果", "尚未审结")
        return "，".join(f"{v[i]}件{w}" for i, w in enumerate(words))
    r, d, a = (rl[g] for g in GROUPS)
    return (f"本年度共有行政复议案件{r[4]}件，其中{results(r)}。行政诉讼方面，未经复议直接起诉的"
            f"{d[4]}件中，{results(d)}；复议后起诉的{a[4]}件中，{results(a)}。")


def chinese_numerals(rl: dict[str, list[int]]) -> str:
    """Counts under ten in Chinese numerals, the results as '维持原行政行为…'."""
    r, d, a = (rl[g] for g in GROUPS)

    def results(v: list[int]) -> str:
        return (f"维持原行政行为{_cn(v[0])}件，被纠正{_cn(v[1])}件，其他结果{_cn(v[2])}件，"
                f"尚在审理中{_cn(v[3])}件")
    return (f"本机关被申请行政复议{_cn(r[4])}件（{results(r)}）；未经复议直接起诉{_cn(d[4])}件"
            f"（{results(d)}）；复议后起诉{_cn(a[4])}件（{results(a)}）。")


PHRASINGS = {"count-first": count_first, "chinese-numerals": chinese_numerals}


def with_section4(n: str, body: str) -> str:
    """Dev report n's 表四-as-prose variant with section 四's text replaced by `body`."""
    text = (DEV / n / "derived-variant-table4-narrative.md").read_text(encoding="utf-8")
    a = text.index("四、政府信息公开行政复议、行政诉讼情况")
    b = re.search(r"\n(?:\*\*)?五、", text[a:])
    assert b is not None
    return text[:a] + "四、政府信息公开行政复议、行政诉讼情况\n\n" + body + "\n" + text[a + b.start():]
