"""The analysis report in the machine's Chromium (Playwright), offline: the overview and the 平潭 管委会
agency page open from files with every request outside the page refused, the charts draw (a
screenshot of them is not blank) and the Chinese text is there."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Iterator

import pytest

from extractor import store as st
from extractor.analysis.pages import Links
from extractor.analysis.report import build_report
from tests.browser import CHROMIUM, LAUNCH_ARGS, require_chromium

require_chromium()

from playwright.sync_api import Page, sync_playwright  # noqa: E402

pytestmark = pytest.mark.browser

PINGTAN = "平潭综合实验区管委会"


@pytest.fixture(scope="module")
def report_dir(dev_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    with st.open_store(dev_store_path) as store:
        build_report(store, out)
    return out


@pytest.fixture
def page(report_dir: Path) -> Iterator[tuple[Page, list[str]]]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1300, "height": 900})
        pg = context.new_page()
        requests: list[str] = []
        problems: list[str] = []
        pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        pg.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)

        # Offline: every request but the page's own file (and data: URLs) is recorded and refused.
        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith("data:") or url.startswith(report_dir.as_uri()):
                r.continue_()
            else:
                requests.append(url)
                r.abort()

        pg.route("**/*", route)
        yield pg, requests
        context.close()
        browser.close()
        assert problems == []


def not_blank(png: bytes) -> int:
    """How many distinct colours the screenshot has (a blank one has one or two)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    return len(image.getcolors(maxcolors=1 << 24) or [])


def test_agency_page_offline_with_charts_and_chinese_text(page: tuple[Page, list[str]], report_dir: Path) -> None:
    pg, requests = page
    target = report_dir / Links().agency(PINGTAN)
    pg.goto(target.as_uri())
    assert pg.locator("#agency-name").inner_text() == PINGTAN
    assert "跨年度发现" in pg.content() and "缺少 2024 年度的报告" in pg.locator("ul.findings").inner_text()
    chart = pg.locator("figure.charts svg.chart")
    box = chart.bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 300
    assert not_blank(chart.screenshot()) > 20
    # the indicator table's years and a value as a reader sees them
    assert pg.locator('td[data-indicator="new_received"][data-year="2025"]').inner_text() == "154"
    assert requests == []


def test_overview_and_links_offline(page: tuple[Page, list[str]], report_dir: Path) -> None:
    pg, requests = page
    pg.goto((report_dir / "index.html").as_uri())
    assert "档案总览" in pg.locator("h1").inner_text()
    pg.get_by_role("link", name=PINGTAN).click()
    assert pg.locator("#agency-name").inner_text() == PINGTAN
    pg.get_by_role("link", name="与 2023 年对比").click()
    assert "2025" in pg.locator("h1").inner_text()
    assert requests == []


def test_print_layout_hides_the_navigation(page: tuple[Page, list[str]], report_dir: Path) -> None:
    pg, _ = page
    pg.goto((report_dir / Links().agency(PINGTAN)).as_uri())
    pg.emulate_media(media="print")
    assert not pg.locator("header.top").is_visible()
    assert pg.pdf(format="A4")[:4] == b"%PDF"
