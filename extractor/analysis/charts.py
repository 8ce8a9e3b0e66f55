"""An agency's indicators by year drawn with matplotlib as inline SVG (text as paths: no font needed to view).

Chinese labels need a CJK font on the machine that builds the report (Debian `fonts-noto-cjk`,
installed by scripts/setup.sh). Without one the charts are drawn with the indicators' ids as
labels and `Charts.font` is None, which the pages say.
"""

from __future__ import annotations

import io
import math
import multiprocessing
import re
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from ..errors import ConfigError
from .indicators import BY_ID

# Fonts tried in order; the files are where Debian's fonts-noto-cjk puts them, for a matplotlib
# font cache made before the package was installed.
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Serif CJK SC",
                "WenQuanYi Zen Hei", "AR PL UMing CN", "Source Han Sans SC", "SimHei", "Microsoft YaHei")
CJK_FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
             "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")

# (title, indicator ids) of the small charts of an agency page, in order
PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("申请数量", ("new_received", "processed", "carried_forward")),
    ("办理结果占比", ("granted_share", "disclosed_share", "not_held_share")),
    ("未公开原因占比", ("withheld_share", "unavailable_share", "not_processed_share", "other_share")),
    ("复议与诉讼", ("reviews", "lawsuits")),
    ("规章和规范性文件", ("docs_issued", "docs_repealed", "docs_in_force")),
    ("许可、处罚、强制决定", ("licensing_decisions", "punishment_decisions", "enforcement_decisions")),
)

_LOCK = threading.Lock()       # matplotlib's font and text caches are shared by the process


def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError as e:
        raise ConfigError("the report's charts need matplotlib: .venv/bin/pip install -e '.[report]' "
                          "(scripts/setup.sh installs it)") from e
    matplotlib.use("svg", force=False)
    return matplotlib


def find_cjk_font() -> str | None:
    """The family name of a CJK font matplotlib can use, or None."""
    _matplotlib()
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in names:
            return family
    for path in CJK_FILES:
        if Path(path).is_file():
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError):
                continue
            names = {f.name for f in font_manager.fontManager.ttflist}
            for family in CJK_FAMILIES:
                if family in names:
                    return family
    return None


@dataclass
class Charts:
    """Draws the charts of the pages; `font` is the CJK family used, None when there was none."""

    font: str | None
    _fig: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def create(cls) -> "Charts":
        with _LOCK:
            return cls(find_cjk_font())

    def agency_svg(self, years: Sequence[int], values: dict[str, list[float | None]],
                   marks: Sequence[str]) -> str:
        """The small charts of one agency: one panel per PANELS entry, years on the x axis.

        `values`: indicator id -> one value per year (None: absent); `marks`: per year, "pending"
        when that year's report waits for review (drawn hollow), "legacy" when the value comes
        from an old statistics table before the template (drawn as a square), else "ok"."""
        with _LOCK:
            return self._draw(years, values, marks)

    def _label(self, text: str, fallback: str) -> str:
        return text if self.font else fallback

    def _rc(self) -> dict[str, Any]:
        return {"svg.fonttype": "path", "svg.hashsalt": "extractor", "font.size": 8, "axes.titlesize": 9,
                "font.family": [self.font] if self.font else ["DejaVu Sans"], "axes.unicode_minus": False}

    def _figure(self) -> tuple[Any, Any]:
        # One figure, cleared and redrawn for each agency: building axes and their ticks anew costs
        # about 40% of a chart.
        if self._fig is None:
            _matplotlib()
            from matplotlib.figure import Figure
            from matplotlib.ticker import MaxNLocator, PercentFormatter

            fig = Figure(figsize=(9.6, 5.4), dpi=72)
            axes = fig.subplots(2, 3)
            for ax, (title, ids) in zip(axes.flat, PANELS):
                ax.set_title(self._label(title, "/".join(ids)))
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
                if BY_ID[ids[0]].kind == "share":
                    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
                else:
                    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
                ax.grid(alpha=0.3)
            fig.subplots_adjust(left=0.06, right=0.99, top=0.94, bottom=0.07, wspace=0.25, hspace=0.35)
            self._fig = (fig, axes)
        return self._fig

    def _draw(self, years: Sequence[int], values: dict[str, list[float | None]], marks: Sequence[str]) -> str:
        mpl = _matplotlib()
        with mpl.rc_context(self._rc()):
            fig, axes = self._figure()
            xs = list(years)
            for ax, (_title, ids) in zip(axes.flat, PANELS):
                for artist in [*ax.lines, *ax.texts]:
                    artist.remove()
                if ax.get_legend() is not None:
                    ax.get_legend().remove()
                ax.set_prop_cycle(None)
                drew = False
                for ind_id in ids:
                    ys = [math.nan if v is None else v for v in values.get(ind_id, [None] * len(xs))]
                    if all(math.isnan(y) for y in ys):
                        continue
                    drew = True
                    line, = ax.plot(xs, ys, marker="o", markersize=4, linewidth=1.4,
                                    label=self._label(BY_ID[ind_id].label, ind_id))
                    for mark, shape in (("pending", "o"), ("legacy", "s")):
                        special = [(x, y) for x, y, m in zip(xs, ys, marks) if m == mark and not math.isnan(y)]
                        if special:
                            ax.plot([h[0] for h in special], [h[1] for h in special], linestyle="none",
                                    marker=shape, markersize=6, markerfacecolor="white",
                                    color=line.get_color())   # a given colour keeps the colour cycle
                if drew:
                    ax.legend(fontsize=7, frameon=False, loc="best")
                else:
                    ax.text(0.5, 0.5, self._label("无数据", "no data"), ha="center", va="center",
                            transform=ax.transAxes, color="#888")
                ax.relim()
                ax.autoscale_view()
                if xs:
                    ax.set_xlim(min(xs) - 0.5, max(xs) + 0.5)
                ax.set_ylim(bottom=0, auto=True)
            buf = io.StringIO()
            fig.savefig(buf, format="svg")
        return _inline(buf.getvalue())


ChartJob = tuple[Sequence[int], dict[str, list[float | None]], Sequence[str]]   # agency_svg's arguments


def _draw_job(job: ChartJob) -> str:
    # in a worker process: its own matplotlib, its own font lookup
    return Charts.create().agency_svg(*job)


def draw_all(charts: "Charts", jobs: Iterable[ChartJob], *, workers: int = 1) -> Iterator[str]:
    """agency_svg for every job, in order; with workers > 1 drawn in that many processes (matplotlib
    holds the GIL, so threads would not help)."""
    if workers <= 1:
        for job in jobs:
            yield charts.agency_svg(*job)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(_draw_job, jobs, chunksize=4)


def _inline(svg: str) -> str:
    # an <svg> element to put inside HTML: no XML declaration or DOCTYPE, sized by CSS
    svg = svg[svg.index("<svg"):]
    return re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 class="chart" role="img"', svg, count=1)
