"""One analysis page on demand, for `extractor serve` (the same pages as the report folder, served)."""

from __future__ import annotations

from .. import store as st
from ..errors import AnalysisError, ConfigError
from . import agencies as ag
from . import pages
from .charts import Charts
from .findings import check_agency
from .report import FONT_MISSING, agency_chart

LINKS = pages.Links(served=True, review_base="")


class Site:
    """Renders the analysis pages of one store; the chart font is looked up once."""

    def __init__(self, store: st.Store):
        self.store = store
        self._charts: Charts | None = None
        self._note: str | None = None
        self._looked = False

    def charts(self) -> tuple[Charts | None, str | None]:
        if not self._looked:
            try:
                self._charts = Charts.create()
                self._note = FONT_MISSING if self._charts.font is None else None
            except ConfigError as e:      # matplotlib missing: pages without charts, saying why
                self._note = str(e)
            self._looked = True
        return self._charts, self._note

    def _agency(self, name: str) -> ag.Agency:
        found = ag.load(self.store, agency=name)
        if name not in found:
            if len(found) == 1:
                return next(iter(found.values()))
            raise AnalysisError(f"no agency named {name!r}")
        return found[name]

    def _years(self) -> list[int]:
        return sorted({int(c["year"]) for c in st.coverage(self.store) if c["year"] is not None})

    def overview(self) -> str:
        every = list(ag.load(self.store).values())
        counts: dict[str, int] = {}
        for a in every:
            counts[a.name] = len(check_agency(a))
        return pages.overview_page(
            agencies=every, findings_count=counts, status_counts=st.counts_by_status(self.store),
            queue_pending=st.count_queue(self.store), coverage=st.coverage(self.store),
            unmatched=st.count_without_agency(self.store), links=LINKS, font_note=self.charts()[1])

    def agency(self, name: str) -> str:
        a = self._agency(name)
        charts, note = self.charts()
        svg = agency_chart(charts, a) if charts is not None else None
        return pages.agency_page(a, check_agency(a), LINKS, chart_svg=svg, font_note=note, all_years=self._years())

    def compare(self, name: str, year: int) -> str:
        a = self._agency(name)
        if year not in a.years:
            raise AnalysisError(f"{a.name} has no report of {year} (years: {', '.join(map(str, sorted(a.years)))})")
        return pages.compare_page(a, year, check_agency(a, years=[year]), LINKS, self._years())

    def rankings(self, year: int) -> str:
        every = [a for a in ag.load(self.store).values() if year in a.years]
        if not every:
            raise AnalysisError(f"no report of {year}")
        return pages.rankings_page(year, every, LINKS, self._years())

    def agency_of(self, organization: str | None) -> str | None:
        """The agency an organization name belongs to (None when it has no name)."""
        key = st.org_key(organization)
        if key is None:
            return None
        return ag.resolver(self.store).get(key) or ag.agency_key(organization) or key
