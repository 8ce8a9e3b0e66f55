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
    title: str | None
    title_source: str  # file name | document title | text


def _titles(text: str, doc_title: str | None, name: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    stem = PurePath(name.split("!")[-1]).stem
    out.append((stem, "file name"))
    if doc_title:
        out.append((doc_title, "document title"))
    head = text[:3000]
    for line in head.splitlines():
        line = line.strip().lstrip("#").strip()
        if line.startswith("标题:") or line.startswith("标题："):
            line = line[3:].strip()
        if 6 <= len(line) <= 120 and re.search(r"报\s*告|年\s*报", line):
            out.append((line, "text"))
    out.append((re.sub(r"\s+", "", head), "text"))
    return out


def _match_title(s: str) -> tuple[str, int] | None:
    best = None
    for rx in (_TITLE_ORG_FIRST, _TITLE_YEAR_FIRST):
        m = rx.search(s)
        if m:
            org = re.sub(r"\s+", "", m.group("org"))
            org = re.sub(r"^(?:关于|标题[:：]?|发布)", "", org)
            if best is None or (m.start() < best[2]):
                best = (org, int(m.group("year")), m.start())
    return (best[0], best[1]) if best else None


def _complete(org: str, text: str) -> str:
    """Give the agency's full name: '鄂伦春自治旗' -> '鄂伦春自治旗人民政府', '洪泽区人民政府' ->
    '淮安市洪泽区人民政府' when the report names itself so, an abbreviation expanded when the text
    spells it out."""
    compact = re.sub(r"\s+", "", text)
    if not _AGENCY_END.search(org) and _BARE_PLACE.search(org):
        org = org + ("管委会" if _ZONE.search(org) else "人民政府")
    elif not _AGENCY_END.search(org) and _ZONE.search(org):
        org = org + "管委会"
    # the same agency with its higher-level place prefix, as the report itself writes it
    longer = Counter(m.group(1) for m in re.finditer(rf"([{_CJK}]{{1,8}}?)" + re.escape(org), compact)
                     if _ADMIN_PREFIX.fullmatch(m.group(1)))
    if longer:
        prefix, _ = longer.most_common(1)[0]
        # only when the prefix is a whole admin unit that directly precedes the name
        if _ADMIN_PREFIX.fullmatch(prefix) and not org.startswith(prefix):
            cand = prefix + org
            if compact.count(cand) >= 1 and not re.search(r"^(?:由|是|在|对|向|与|经)", prefix):
                org = cand
    return org


def extract_metadata(text: str, doc_title: str | None, name: str) -> Metadata:
    """Agency and year. The file name comes first: scrapers name files after the page title,
    which is cleaner than OCR'd text."""
    for cand, where in _titles(text, doc_title, name):
        hit = _match_title(cand)
        if hit:
            org, year = hit
            return Metadata(organization=_complete(org, text), year=year, title=cand.strip(),
                            title_source=where)
    m = _PERIOD.search(text)
    return Metadata(organization="", year=int(m.group("year")) if m else None, title=None,
                    title_source="")
