"""The report's issuing agency and year, from its title, file name and text."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePath

_CJK = r"\u4e00-\u9fff"
_TITLE_ORG_FIRST = re.compile(
    rf"(?P<org>[{_CJK}（）()]{{2,40}}?)\s*(?P<year>(?:19|20)\d\d)\s*年\s*度?\s*(?:的)?\s*"
    rf"(?:政府|政务)?\s*信\s*息\s*公\s*开\s*(?:工\s*作\s*)?(?:年\s*度\s*)?(?:报\s*告|年\s*报)")
_TITLE_YEAR_FIRST = re.compile(
    rf"(?P<year>(?:19|20)\d\d)\s*年\s*度?\s*(?P<org>[{_CJK}（）()]{{2,40}}?)\s*"
    rf"(?:政府|政务)?\s*信\s*息\s*公\s*开\s*(?:工\s*作\s*)?(?:年\s*度\s*)?(?:报\s*告|年\s*报)")
_PERIOD = re.compile(r"(?P<year>(?:19|20)\d\d)\s*年\s*1\s*月\s*1\s*日")
_BARE_PLACE = re.compile(rf"[{_CJK}]+(?:省|市|县|区|旗|盟|州|自治州|自治县|自治旗)$")
_ZONE = re.compile(r"(?:实验区|试验区|开发区|新区|高新区|管理区|合作区|示范区)$")
_AGENCY_END = re.compile(r"(?:人民政府|管委会|管理委员会|委员会|局|厅|办公室|办|委|署|院|中心|所|站|队|会|部)$")
_ADMIN_PREFIX = re.compile(rf"[{_CJK}]{{1,8}}?(?:省|市|州|盟|自治区)$")


@dataclass(frozen=True)
class Metadata:
    organization: str
    year: int | None


def _titles(text: str, doc_title: str | None, name: str) -> list[str]:
    """Candidate titles, best first: the file name, the document's title, title-like lines."""
    out = [PurePath(name.split("!")[-1]).stem]
    if doc_title:
        out.append(doc_title)
    lines = []
    for line in text[:4000].splitlines():
        line = line.strip().lstrip("#").strip()
        if line.startswith("标题:") or line.startswith("标题："):
            line = line[3:].strip()
        if line:
            lines.append(line)
    for i, line in enumerate(lines[:40]):
        if len(line) <= 120 and re.search(r"报\s*告|年\s*报", line):
            out.append(line)
            # a title broken over two lines: '淮安市人民政府' / '2024 年政府信息公开工作年度报告'
            if i > 0 and len(lines[i - 1]) <= 40:
                out.append(lines[i - 1] + line)
    return out


_CN_DIGITS = str.maketrans("〇零○一二三四五六七八九", "00012345678" + "9")
_CN_YEAR = re.compile(r"[〇零○一二三四五六七八九]{4}(?=\s*年)")


def _match_title(s: str) -> tuple[str, int] | None:
    # '二〇二三年度' is 2023
    s = _CN_YEAR.sub(lambda m: m.group(0).translate(_CN_DIGITS), s)
    best = None
    for rx in (_TITLE_ORG_FIRST, _TITLE_YEAR_FIRST):
        m = rx.search(s)
        if m:
            org = re.sub(r"\s+", "", m.group("org"))
            org = re.sub(r"^(?:关于|标题[:：]?|发布)", "", org)
            if len(org) < 2 or org in ("政府", "本机关", "我单位", "我局", "我委"):
                continue
            if best is None or (m.start() < best[2]):
                best = (org, int(m.group("year")), m.start())
    return (best[0], best[1]) if best else None


_COUNTY_LEVEL = re.compile(rf"^[{_CJK}]{{2,8}}?(?:区|县|旗)")
_CITY_PREFIX = re.compile(rf"[{_CJK}]{{1,6}}(?:市|州|盟)")
_BEFORE_NAME = set("由与和及、，,。：:（(《“\"的 \n") | {""}


def _city_prefix(org: str, compact: str) -> str | None:
    """The city the report itself puts before a county-level name ('淮安市' + '洪泽区人民政府')."""
    counts: Counter[str] = Counter()
    for m in re.finditer(re.escape(org), compact):
        p = m.start()
        for k in (4, 3, 2):
            prefix = compact[max(0, p - k):p]
            before = compact[p - k - 1:p - k] if p - k - 1 >= 0 else ""
            if len(prefix) == k and _CITY_PREFIX.fullmatch(prefix) and before in _BEFORE_NAME:
                counts[prefix] += 1
                break
    return counts.most_common(1)[0][0] if counts else None


def _complete(org: str, text: str) -> str:
    """Give the agency's full name: '鄂伦春自治旗' -> '鄂伦春自治旗人民政府'; a county-level name
    gets the city the report itself writes before it ('洪泽区人民政府' -> '淮安市洪泽区人民政府')."""
    if not _AGENCY_END.search(org) and _ZONE.search(org):
        org = org + "管委会"
    elif not _AGENCY_END.search(org) and _BARE_PLACE.search(org):
        org = org + "人民政府"
    county = _COUNTY_LEVEL.match(org)
    if county and not _ZONE.search(county.group(0)):
        prefix = _city_prefix(org, re.sub(r"\s+", "", text))
        if prefix:
            org = prefix + org
    return org


def extract_metadata(text: str, doc_title: str | None, name: str) -> Metadata:
    """Agency and year. The file name comes first: scrapers name files after the page title,
    which is cleaner than OCR'd text."""
    for cand in _titles(text, doc_title, name):
        hit = _match_title(cand)
        if hit:
            org, year = hit
            return Metadata(organization=_complete(org, text), year=year)
    m = _PERIOD.search(text)
    return Metadata(organization="", year=int(m.group("year")) if m else None)
