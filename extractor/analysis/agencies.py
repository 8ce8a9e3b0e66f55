"""Agencies across years: names as printed -> one agency (alias table + normalisation), one report per year.

A name is first reduced to its store key (`store.org_key`: no spaces, no parenthesised aside). The
alias table (`agency_aliases`, editable with `extractor agencies`) maps such a key to an agency;
keys it does not hold fall back to the normalisation below, which expands the usual abbreviations
(科委 -> 科学技术委员会, 管委会 -> 管理委员会 ...), so 上海市科委 and 上海市科学技术委员会 meet.

Several current extractions may hold the same agency and year (page.html and page.txt of one
report, a re-published copy): the one a human approved wins, then an accepted one, then one
waiting for review, the newest first within each; the others are kept as `others`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from .. import store as st

# Common abbreviations in agency names, expanded for matching (longest first when applied).
ABBREVIATIONS: dict[str, str] = {
    "科委": "科学技术委员会",
    "科技局": "科学技术局",
    "发改委": "发展和改革委员会",
    "发改局": "发展和改革局",
    "经信委": "经济和信息化委员会",
    "经信局": "经济和信息化局",
    "工信局": "工业和信息化局",
    "管委会": "管理委员会",
    "人社局": "人力资源和社会保障局",
    "住建局": "住房和城乡建设局",
    "住建委": "住房和城乡建设委员会",
    "市监局": "市场监督管理局",
    "卫健委": "卫生健康委员会",
    "卫健局": "卫生健康局",
    "交通局": "交通运输局",
    "应急局": "应急管理局",
    "医保局": "医疗保障局",
}
_ABBREV = re.compile("|".join(sorted(map(re.escape, ABBREVIATIONS), key=len, reverse=True)))
_GOVERNMENT = re.compile(r"(?<!人民)政府$")

# How far each kind of stored report can be trusted, best first. A report a reviewer rejected
# without a corrected record is left out.
TRUST_LABELS = {0: "人工审核通过", 1: "自动通过", 2: "待审核"}


def agency_key(name: str | None) -> str | None:
    """The name as matched across reports: store.org_key with abbreviations expanded."""
    key = st.org_key(name)
    if not key:
        return None
    key = _ABBREV.sub(lambda m: ABBREVIATIONS[m.group(0)], key)
    return _GOVERNMENT.sub("人民政府", key)


@dataclass(frozen=True)
class StoredReport:
    """One current extraction as the analysis sees it."""

    id: int
    path: str
    status: str
    review_state: str | None
    organization: str
    org_key: str
    year: int
    template: str
    record: dict[str, Any]
    source_findings: tuple[dict[str, Any], ...] = ()

    @property
    def trust(self) -> int:
        """0: a human approved it, 1: accepted by the checks, 2: waiting for review, 3: rejected."""
        if self.review_state in ("accept", "source_inconsistent"):
            return 0
        if self.review_state == "reject":
            return 3
        return 1 if self.status == "accepted" else 2

    @property
    def trusted(self) -> bool:
        return self.trust <= 1

    @property
    def trust_label(self) -> str:
        return TRUST_LABELS.get(self.trust, "已驳回")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "StoredReport":
        record = row["record"]
        return cls(id=int(row["id"]), path=row["path"], status=row["status"], review_state=row["review_state"],
                   organization=row["organization"] or "", org_key=row["org_key"], year=int(row["year"]),
                   template=str(record.get("template") or row["template"] or ""), record=record,
                   source_findings=tuple(row.get("source_findings") or ()))


@dataclass
class YearEntry:
    year: int
    report: StoredReport                      # the one the analysis uses
    others: list[StoredReport] = field(default_factory=list)


@dataclass(frozen=True)
class LegacyReport:
    """A report from before the national template: its old statistics table (extractor.legacy)."""

    id: int
    path: str
    organization: str
    year: int
    legacy: dict[str, Any]


@dataclass
class Agency:
    name: str
    names: set[str] = field(default_factory=set)          # the names printed for it
    years: dict[int, YearEntry] = field(default_factory=dict)
    legacy: dict[int, LegacyReport] = field(default_factory=dict)   # years before the template

    def all_years(self) -> list[int]:
        """Template and legacy years, in order."""
        return sorted({*self.years, *self.legacy})

    def ordered(self) -> list[YearEntry]:
        return [self.years[y] for y in sorted(self.years)]

    def previous(self, year: int) -> YearEntry | None:
        """The closest earlier year present."""
        earlier = [y for y in self.years if y < year]
        return self.years[max(earlier)] if earlier else None


def default_aliases(names: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Seed for the alias table: org_key -> agency, from (org_key, printed name) pairs.

    Keys with the same agency_key form one agency, named by its longest printed form (the full
    name rather than the abbreviation)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for key, name in names:
        groups.setdefault(agency_key(name) or key, []).append((key, name))
    out: dict[str, str] = {}
    for members in groups.values():
        display = max((st.org_key(n) or k for k, n in members), key=lambda s: (len(s), s))
        for key, _ in members:
            out[key] = display
    return out


def resolver(store: st.Store) -> dict[str, str]:
    """org_key -> agency for every name in the store: the alias table, the normalisation for the rest."""
    table = {a["name_key"]: a["agency"] for a in st.list_aliases(store)}
    missing = [(o["org_key"], name) for o in st.organizations(store) if o["org_key"] not in table
               for name in o["names"] if name]
    return {**default_aliases(missing), **table}


def seed(store: st.Store) -> int:
    """Write 'auto' alias rows for names the table does not hold yet; returns how many were added."""
    table = {a["name_key"] for a in st.list_aliases(store)}
    names = [(o["org_key"], name) for o in st.organizations(store) for name in o["names"] if name]
    # group against every name (known ones too) so a new abbreviation joins its agency's full name
    defaults = default_aliases(names)
    known = {a["name_key"]: a["agency"] for a in st.list_aliases(store)}
    for key, agency in list(defaults.items()):
        # a new key whose group already has a row follows that row's agency
        peers = [known[k] for k, v in defaults.items() if v == agency and k in known]
        if peers:
            defaults[key] = peers[0]
    return st.seed_aliases(store, {k: v for k, v in defaults.items() if k not in table})


def group(rows: Iterable[dict[str, Any]], aliases: dict[str, str],
          legacy_rows: Iterable[dict[str, Any]] = ()) -> dict[str, Agency]:
    """Rows of store.analysis_rows grouped into agencies, one chosen report per year; the reports
    from before the template (store.legacy_rows) join their agency's `legacy` years (the newest
    file of a year)."""
    agencies: dict[str, Agency] = {}
    for row in legacy_rows:
        name = aliases.get(row["org_key"]) or agency_key(row["organization"]) or row["org_key"]
        agency = agencies.setdefault(name, Agency(name))
        agency.names.add(row["organization"] or "")
        year = int(row["year"])
        if year not in agency.legacy or agency.legacy[year].id < int(row["id"]):
            agency.legacy[year] = LegacyReport(int(row["id"]), row["path"], row["organization"] or "", year,
                                               row["legacy"])
    candidates: dict[tuple[str, int], list[StoredReport]] = {}
    for row in rows:
        report = StoredReport.from_row(row)
        if report.trust > 2:
            continue
        name = aliases.get(report.org_key) or agency_key(report.organization) or report.org_key
        agency = agencies.setdefault(name, Agency(name))
        agency.names.add(report.organization)
        candidates.setdefault((name, report.year), []).append(report)
    for (name, year), reports in candidates.items():
        reports.sort(key=lambda r: (r.trust, -r.id))
        agencies[name].years[year] = YearEntry(year, reports[0], reports[1:])
    return {n: agencies[n] for n in sorted(agencies)}


def load(store: st.Store, *, agency: str | None = None) -> dict[str, Agency]:
    """Every agency of the store (or only `agency`, matched by its name or any name printed for it)."""
    aliases = resolver(store)
    keys: list[str] | None = None
    if agency is not None:
        # the agency's name, a name printed for it, or either written with/without abbreviations
        wanted = {agency.strip(), st.org_key(agency) or "", agency_key(agency) or ""} - {""}
        target = {a for k, a in aliases.items() if {k, a, agency_key(k), agency_key(a)} & wanted}
        keys = [k for k, a in aliases.items() if a in target]
    return group(st.analysis_rows(store, keys), aliases, st.legacy_rows(store, keys))
