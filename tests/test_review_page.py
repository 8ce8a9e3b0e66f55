"""The review page in the machine's Chromium (Playwright) against a real uvicorn server and SQLite
file: queue, source highlighting, live rechecks, accept, and the report leaving the queue; the
readings of glued runs chosen with one click or one key; the printed page of a PDF with the box of
a clicked number."""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from extractor.record import cell_values
from extractor.service.app import create_app
from extractor.settings import Settings
from tests.browser import CHROMIUM, LAUNCH_ARGS, require_chromium
from tests.dev_reports import DEV
from tests.test_api import corrupted_000, gold, live_server, report_bytes

require_chromium()

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A server holding dev report 000 twice: as published (accepted) and with the 总计 of （一）予以公开
    misprinted as 'A' (OCR-style), which the rules cannot read: that one waits for review."""
    settings = Settings(db_path=tmp_path / "results.sqlite", llm="off")
    with live_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=120) as api:
        name, data = report_bytes("000")
        ok = api.post("/v1/extractions", files={"file": (name, data, "text/plain")}).json()
        bad = api.post("/v1/extractions", files={"file": ("000-ocr.txt", corrupted_000("A"), "text/plain")}).json()
        assert ok["status"] == "accepted" and bad["status"] == "review", bad["reasons"]
        yield {"url": url, "api": api, "ok": ok, "bad": bad}


@contextmanager
def offline_page(browser: Browser, url: str, locale: str = "zh-CN") -> Iterator[Page]:
    """A browser tab (a Chinese reviewer's by default) that may talk to our server only, failing
    the test on any page error."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale=locale)
    pg = context.new_page()
    problems: list[str] = []
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    # a refused review (422) is logged by Chromium as a failed resource: that one is expected
    pg.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
          if m.type == "error" and "status of 422" not in m.text else None)

    # Offline: anything but our own server is a failure (no CDN, no fonts from the web).
    def route(r: Any) -> None:
        if r.request.url.startswith(url) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            problems.append(f"external request: {r.request.url}")
            r.abort()

    pg.route("**/*", route)
    yield pg
    context.close()
    assert problems == []


@pytest.fixture
def page(browser: Browser, site: dict[str, Any]) -> Iterator[Page]:
    with offline_page(browser, site["url"]) as pg:
        yield pg


def source_offset_of_highlight(page: Page) -> int:
    return page.evaluate("""() => {
        let n = 0;
        for (const node of document.getElementById('source-text').childNodes) {
            if (node.nodeName === 'MARK' && node.classList.contains('hl')) return n;
            n += node.textContent.length;
        }
        return -1;
    }""")


def test_reviewer_fixes_a_misread_row_and_accepts(page: Page, site: dict[str, Any]) -> None:
    url, bad = site["url"], site["bad"]
    page.goto(f"{url}/review")
    rows = page.locator("tr.queue-item")
    expect(rows).to_have_count(1)  # the accepted report is not waiting for review
    expect(rows.first).to_have_attribute("data-id", str(bad["id"]))
    rows.first.locator("a").click()
    page.wait_for_url(f"**/review/{bad['id']}")
    expect(page.locator("body")).to_have_attribute("data-ready", "1")

    # click a cell: its number is highlighted in the source text, where the provenance says
    prov = {p["field"]: p for p in bad["provenance"]}
    field = "applications.total_processed[6]"
    page.locator(f'input[data-field="{field}"]').click()
    mark = page.locator("#source-text mark.hl")
    expect(mark).to_have_count(1)
    expect(mark).to_have_text("9")
    expect(mark).to_be_in_viewport()
    assert source_offset_of_highlight(page) == prov[field]["span"]["start"]
    expect(page.locator("#source-text mark.hl-label")).to_contain_text("总计")
    # another cell moves the highlight
    page.locator('input[data-field="applications.unavailable_not_held[0]"]').click()
    expect(mark).to_have_text("2")
    assert source_offset_of_highlight(page) == prov["applications.unavailable_not_held[0]"]["span"]["start"]

    # the failing check is shown, and marked on the cells it involves
    check = page.locator("#check-processed_total")
    expect(check).to_have_class(re.compile(r"\bfail\b"))
    expect(page.locator(f'input[data-field="{field}"]')).to_have_class(re.compile(r"\bfail-strong\b"))
    granted0 = page.locator('input[data-field="applications.granted[0]"]')
    granted6 = page.locator('input[data-field="applications.granted[6]"]')
    expect(granted0).to_have_class(re.compile(r"\bfail\b"))
    expect(page.locator("#check-row_total")).to_have_class(re.compile(r"\bok\b"))

    # correct the row as the reviewer types: first cell alone breaks the row's own total ...
    granted0.fill("4")
    expect(page.locator("#check-row_total")).to_have_class(re.compile(r"\bfail\b"))
    expect(check).to_have_class(re.compile(r"\bfail\b"))
    # ... and its 总计 settles every rule
    granted6.fill("4")
    for rule in ("row_total", "processed_total", "balance", "review_total"):
        expect(page.locator(f"#check-{rule}")).to_have_class(re.compile(r"\bok\b"))
    expect(granted6).not_to_have_class(re.compile(r"\bfail\b"))
    expect(granted6).to_have_class(re.compile(r"\bedited\b"))
    expect(page.locator("body")).to_have_attribute("data-checks", "ok")

    page.fill("#reviewer", "张三")
    page.click("#btn-accept")
    page.wait_for_url(re.compile(r".*/review\?done=\d+$"))
    expect(page.locator("#done-notice")).to_be_visible()
    expect(page.locator(f'tr.queue-item[data-id="{bad["id"]}"]')).to_have_count(0)
    expect(page.locator("#queue-empty")).to_be_visible()

    stored = site["api"].get(f"/v1/extractions/{bad['id']}").json()
    assert stored["review_state"] == "accept"
    assert stored["reviewed_record"]["applications"]["granted"] == [4, 0, 0, 0, 0, 0, 4]
    assert site["api"].get(f"/v1/extractions/{bad['id']}/gold").json() == gold("000")


def test_a_link_to_a_cell_opens_the_review_on_that_number(page: Page, site: dict[str, Any]) -> None:
    """The analysis pages link a cross-year finding to /review/<id>#cell=<field>: the page opens with
    that number focused and its source highlighted."""
    url, bad = site["url"], site["bad"]
    field = "applications.unavailable_not_held[0]"
    page.goto(f"{url}/review/{bad['id']}#cell={field}")
    expect(page.locator("body")).to_have_attribute("data-ready", "1")
    cell = page.locator(f'input[data-field="{field}"]')
    expect(cell).to_be_focused()
    expect(cell).to_have_class(re.compile(r"\bselected\b"))
    expect(page.locator("#source-text mark.hl")).to_have_text("2")
    prov = {p["field"]: p for p in bad["provenance"]}
    assert source_offset_of_highlight(page) == prov[field]["span"]["start"]


def test_accept_is_refused_while_a_check_fails(page: Page, site: dict[str, Any]) -> None:
    url, bad = site["url"], site["bad"]
    page.goto(f"{url}/review/{bad['id']}")
    expect(page.locator("body")).to_have_attribute("data-ready", "1")
    page.click("#btn-accept")
    expect(page.locator("#result")).to_have_class("error")  # no reviewer named yet
    page.fill("#reviewer", "张三")
    page.click("#btn-accept")
    expect(page.locator("#result")).to_contain_text("processed_total")
    expect(page.locator("#result")).to_contain_text("422")
    page.locator('input[data-field="applications.granted[3]"]').fill("x")
    expect(page.locator('input[data-field="applications.granted[3]"]')).to_have_class(re.compile(r"\binvalid\b"))
    page.goto(f"{url}/review")
    expect(page.locator(f'tr.queue-item[data-id="{bad["id"]}"]')).to_have_count(1)
    assert site["api"].get(f"/v1/extractions/{bad['id']}/history").json()["events"][1:] == []


def test_reasons_are_in_the_reviewers_language(browser: Browser, site: dict[str, Any]) -> None:
    url, bad = site["url"], site["bad"]
    with offline_page(browser, url) as page:                     # zh-CN
        page.goto(f"{url}/review")
        expect(page.locator(f'tr.queue-item[data-id="{bad["id"]}"] td.reasons')).to_contain_text(
            "表三 （一）予以公开：7 个单元格只有 6 位数字")
        page.goto(f"{url}/review/{bad['id']}")
        expect(page.locator("body")).to_have_attribute("data-ready", "1")
        expect(page.locator("#findings li.finding").first).to_have_text(
            "unreadable_row 表三 （一）予以公开：7 个单元格只有 6 位数字")
        expect(page.locator('input[data-field="applications.granted[0]"]')).to_have_attribute(   # the cell's note
            "title", re.compile("7 个单元格只有 6 位数字"))
    with offline_page(browser, url, locale="en-US") as page:
        page.goto(f"{url}/review/{bad['id']}")
        expect(page.locator("#findings li.finding").first).to_have_text(
            "unreadable_row 表三 （一）予以公开: only 6 digits for 7 cells")
    # a client that names no language gets the page in Chinese
    assert "7 个单元格只有 6 位数字" in site["api"].get(f"/review/{bad['id']}", headers={"Accept-Language": ""}).text


def test_with_a_token_the_reviewer_logs_in_once_and_can_reject(browser: Browser, tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "results.sqlite", llm="off", api_token="review-token-1")
    auth = {"Authorization": "Bearer review-token-1"}
    with live_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=120, headers=auth) as api:
        bad = api.post("/v1/extractions", files={"file": ("000-ocr.txt", corrupted_000("A"), "text/plain")}).json()
        context = browser.new_context()
        page = context.new_page()
        try:
            page.goto(f"{url}/review/{bad['id']}")
            page.wait_for_url(re.compile(r".*/login\?next=.*"))
            page.fill('input[name="token"]', "wrong")
            page.click('button[type="submit"]')
            expect(page.locator("main.login .error")).to_be_visible()
            page.fill('input[name="token"]', "review-token-1")
            page.click('button[type="submit"]')
            page.wait_for_url(f"**/review/{bad['id']}")
            expect(page.locator("body")).to_have_attribute("data-ready", "1")
            page.fill("#reviewer", "李四")
            page.fill("#note", "扫描件，无法辨认")
            page.click("#btn-reject")
            page.wait_for_url(re.compile(r".*/review\?done=\d+$"))
            expect(page.locator(f'tr.queue-item[data-id="{bad["id"]}"]')).to_have_count(0)
        finally:
            context.close()
        events = api.get(f"/v1/extractions/{bad['id']}/history").json()["events"]
        assert [(e.get("decision"), e.get("reviewer"), e.get("note")) for e in events[1:]] == \
            [("reject", "李四", "扫描件，无法辨认")]


# ---------------------------------------------------------------- readings of glued runs, keys, PDF pages


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Real dev inputs: two glued web-archive texts waiting for review (平潭 2023 with one run, 2019
    with seven), the agency's 2025 page (accepted: its other year) and a text PDF (accepted)."""
    settings = Settings(db_path=tmp_path / "results.sqlite", llm="off")
    with live_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=120) as api:
        made = {}
        for report, name in (("014", "page.html"), ("012", "page.txt"), ("008", "page.txt"), ("003", "szfgs2024.pdf")):
            made[report] = api.post("/v1/extractions", files={"file": (name, (DEV / report / name).read_bytes())}).json()
        assert [made[r]["status"] for r in ("014", "012", "008", "003")] == ["accepted", "review", "review", "accepted"]
        yield {"url": url, "api": api, **made}


def test_one_click_chooses_a_reading_and_a_key_accepts_it(browser: Browser, archive: dict[str, Any]) -> None:
    url, api, item = archive["url"], archive["api"], archive["012"]
    with offline_page(browser, url) as page:
        page.goto(f"{url}/review")
        page.locator(f'tr.queue-item[data-id="{item["id"]}"] a').click()
        page.wait_for_url(f"**/review/{item['id']}")
        expect(page.locator("body")).to_have_attribute("data-ready", "1")
        expect(page.locator("#readings h2")).to_have_text("连写数字的读法（按证据排序）")
        run = page.locator("#run-0")
        expect(run.locator("h3")).to_contain_text("表二 行政规范性文件 · 印刷为 77132470 · 21 种读法")
        check = page.locator("#run-check-0")
        expect(check).to_have_class(re.compile(r"\bfail\b"))
        expect(check).to_contain_text("读法待确认")
        first = run.locator("button.reading").first
        expect(first).to_contain_text("77 / 132 / 470")
        expect(run.locator("li.reading-item").first.locator("li.ev")).to_contain_text(["报告正文写明 77"])
        # accepting before the run is confirmed is refused with the reason
        page.fill("#reviewer", "王五")
        page.keyboard.press("Escape")
        page.keyboard.press("a")
        expect(page.locator("#result")).to_contain_text("还有 1 处连写数字未确认读法")

        first.click()                                             # one click ...
        for field, value in (("issued", "77"), ("repealed", "132"), ("in_force", "470")):
            expect(page.locator(f'input[data-field="active_disclosure.normative_documents.{field}"]')).to_have_value(value)
        expect(check).to_have_class(re.compile(r"\bok\b"))            # ... the checks turn green
        expect(check).to_contain_text("已选读法 1")
        for rule in ("row_total", "processed_total", "balance", "review_total"):
            expect(page.locator(f"#check-{rule}")).to_have_class(re.compile(r"\bok\b"))
        expect(page.locator("body")).to_have_attribute("data-ready2accept", "1")
        page.keyboard.press("a")                                  # ... and one key accepts
        page.wait_for_url(re.compile(r".*/review(/\d+)?\?done=\d+$"))
        expect(page.locator("#done-notice")).to_contain_text(f"#{item['id']}")
    stored = api.get(f"/v1/extractions/{item['id']}").json()
    assert stored["review_state"] == "accept"
    assert cell_values(api.get(f"/v1/extractions/{item['id']}/gold").json()) == cell_values(gold("012"))


def test_the_keyboard_drives_a_report_with_several_runs(browser: Browser, archive: dict[str, Any]) -> None:
    url, api, item = archive["url"], archive["api"], archive["008"]
    runs = api.get(f"/v1/extractions/{item['id']}/readings").json()["runs"]
    truth = cell_values(gold("008"))
    # the reviewer who knows the answer: the rank of the gold reading of each run, as a key
    keys = [next(r["rank"] for r in run["readings"]
                 if all(abs(v - truth[f]) < 1e-6 for v, f in zip(r["values"], run["fields"]))) for run in runs]
    with offline_page(browser, url) as page:
        page.goto(f"{url}/review/{item['id']}")
        expect(page.locator("body")).to_have_attribute("data-ready", "1")
        expect(page.locator("#run-0")).to_have_class(re.compile(r"\bcurrent\b"))
        page.keyboard.press("j")
        expect(page.locator("#run-1")).to_have_class(re.compile(r"\bcurrent\b"))
        page.keyboard.press("k")
        expect(page.locator("#run-0")).to_have_class(re.compile(r"\bcurrent\b"))
        for i, key in enumerate(keys):                            # a key chooses and moves on
            page.keyboard.press(str(key))
            expect(page.locator(f"#run-check-{i}")).to_contain_text(f"已选读法 {key}")
        expect(page.locator("body")).to_have_attribute("data-runs", "ok")
        # next / previous report of the queue (riskiest first: this one, then 2023's)
        page.keyboard.press("n")
        page.wait_for_url(f"**/review/{archive['012']['id']}")
        expect(page.locator("body")).to_have_attribute("data-ready", "1")
        page.keyboard.press("p")
        page.wait_for_url(f"**/review/{item['id']}")
        expect(page.locator("body")).to_have_attribute("data-ready", "1")
        for key in keys:
            page.keyboard.press(str(key))
        page.fill("#reviewer", "王五")
        page.keyboard.press("Escape")
        page.keyboard.press("a")
        page.wait_for_url(f"**/review/{archive['012']['id']}?done={item['id']}")
        expect(page.locator("body")).to_have_attribute("data-ready", "1")
        page.keyboard.press("r")                                   # reject the next one at once
        page.wait_for_url(re.compile(rf".*/review\?done={archive['012']['id']}$"))
        expect(page.locator("#queue-empty")).to_be_visible()
    assert cell_values(api.get(f"/v1/extractions/{item['id']}/gold").json()) == truth
    assert api.get(f"/v1/extractions/{archive['012']['id']}").json()["review_state"] == "reject"


def test_a_pdf_page_shows_the_box_of_a_clicked_number(browser: Browser, archive: dict[str, Any]) -> None:
    url, item = archive["url"], archive["003"]
    prov = {p["field"]: p for p in item["provenance"]}
    field = "applications.total_processed[6]"
    box = prov[field]["box"]
    with offline_page(browser, url) as page:
        page.goto(f"{url}/review/{item['id']}")
        expect(page.locator("body")).to_have_attribute("data-ready", "1")
        expect(page.locator("#page-view")).to_be_visible()
        expect(page.locator("#text-view")).to_be_hidden()
        page.locator(f'input[data-field="{field}"]').click()
        expect(page.locator("#page-label")).to_have_text(f"第 {box['page']} 页 / 共 6 页")
        marker = page.locator("#page-box")
        expect(marker).to_be_visible()
        expect(marker).to_have_attribute("data-page", str(box["page"]))
        image = page.locator("#page-image")
        page.wait_for_function("() => document.getElementById('page-image').complete"
                               " && document.getElementById('page-image').naturalWidth > 0")
        img, mark = image.bounding_box(), marker.bounding_box()
        assert img and mark
        # the marker sits where the number is printed: the box's corner in points, scaled to the image
        scale = img["width"] / (595 / 72 * 72)      # the page is A4 (595 pt wide)
        assert mark["x"] - img["x"] == pytest.approx(box["x0"] * scale, abs=4)
        assert mark["y"] - img["y"] == pytest.approx(box["y0"] * scale, abs=4)
        assert mark["width"] == pytest.approx((box["x1"] - box["x0"]) * scale, abs=6)
        # the reviewer can leaf through the pages; the marker is only on its own page
        page.locator("#page-next").click()
        expect(page.locator("#page-label")).to_have_text(f"第 {box['page'] + 1} 页 / 共 6 页")
        expect(marker).to_be_hidden()
        page.locator("#page-prev").click()
        expect(page.locator("#page-label")).to_have_text(f"第 {box['page']} 页 / 共 6 页")
        page.locator(f'input[data-field="{field}"]').click()
        expect(marker).to_be_visible()
        # the text view stays one click away, with the number highlighted
        page.locator("#tab-text").click()
        expect(page.locator("#source-text")).to_be_visible()
        expect(page.locator("#source-text mark.hl")).to_have_text("3050")
