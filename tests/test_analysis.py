"""The analysis on a store made by a real batch run over the dev reports: indicators on the pages equal
those of the stored records, cross-year findings match a table written by hand from the gold
records, first years have none, and the report / agencies commands and the served pages behave."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from click.testing import CliRunner
from lxml import html as lhtml

from extractor import store as st
from extractor.analysis import agencies as ag
from extractor.analysis.charts import Charts
from extractor.analysis.indicators import BY_ID, INDICATORS, compute, format_value
from extractor.analysis.pages import Links
from extractor.analysis.report import FONT_MISSING, build_report
from extractor.cli import main
from extractor.service.app import create_app
from extractor.settings import Settings
from tests.dev_reports import DEV
from tests.test_api import live_server

PINGTAN = "平潭综合实验区管委会"
HONGZE = "淮安市洪泽区人民政府"

# Every cross-year finding the dev set must give, worked out by hand from the gold.json files
# (agency, rule, year, previous year, what): 洪泽区 2023 -> 2024 carries over (结转 0 -> 上年结转 0)
# and keeps the 现行有效 chain (规范性文件 5 + 3 - 0 = 8), but its new applications go 21 -> 95 and
# its 行政许可 decisions 550 -> 9487 (both over 3 times and by 20 or more); every other series
# has years missing between its reports.
EXPECTED_FINDINGS = {
    (HONGZE, "cross_year_jump", 2024, 2023, "new_received"),
    (HONGZE, "cross_year_jump", 2024, 2023, "licensing_decisions"),
    (PINGTAN, "cross_year_missing", 2021, 2019, (2020,)),
    (PINGTAN, "cross_year_missing", 2023, 2021, (2022,)),
    (PINGTAN, "cross_year_missing", 2025, 2023, (2024,)),
    ("平潭综合实验区经济发展局", "cross_year_missing", 2024, 2021, (2022, 2023)),
    ("平潭综合实验区交通与建设局", "cross_year_missing", 2023, 2020, (2021, 2022)),
    ("平潭综合实验区市场监督管理局", "cross_year_missing", 2025, 2022, (2023, 2024)),
}

# 平潭 管委会 2025 (dev/014), computed by hand from its gold.json: 154 new, 148 processed, 33 予以公开,
# 38 部分公开, 50 不掌握; 表四 复议 25 3 8 0 36, 诉讼 3 3 0 0 6 + 3 0 0 0 3; 规范性文件 58 / 45 / 546.
PINGTAN_2025 = {
    "new_received": 154, "processed": 148, "carried_forward": 6, "granted_share": 33 / 148,
    "disclosed_share": 71 / 148, "not_held_share": 50 / 148, "reviews": 36, "lawsuits": 9,
    "review_corrected_share": 3 / 36, "lawsuit_corrected_share": 3 / 9, "docs_issued": 58, "docs_repealed": 45,
    "docs_in_force": 546, "fees": 4166.241619,
}


@pytest.fixture(scope="module")
def store(dev_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    db = tmp_path_factory.mktemp("analysis") / "results.sqlite"
    shutil.copy(dev_store_path, db)
    s = st.open_store(db)
    yield s
    s.close()


@pytest.fixture(scope="module")
def report_dir(store: st.Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    build_report(store, out, review_url="http://127.0.0.1:8000")
    return out


def page_of(report_dir: Path, href: str) -> Any:
    return lhtml.fromstring((report_dir / href).read_text(encoding="utf-8"))


def read_csv(path: Path) -> list[dict[str, str]]:
    """A report CSV as rows, its '#' notes left out."""
    lines = [line for line in path.read_text(encoding="utf-8-sig").splitlines(keepends=True) if not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("".join(lines))))


def stored_record(store: st.Store, extraction_id: int) -> dict:
    record = st.latest_reviewed_record(store, extraction_id)
    assert record is not None
    return record


def test_every_indicator_on_the_agency_pages_equals_the_stored_records(store: st.Store, report_dir: Path) -> None:
    links = Links()
    checked = 0
    for agency in ag.load(store).values():
        doc = page_of(report_dir, links.agency(agency.name))
        assert doc.get_element_by_id("agency-name").text_content() == agency.name
        shown = {(c.get("data-indicator"), int(c.get("data-year"))): c for c in doc.cssselect("td[data-indicator]")}
        for entry in agency.ordered():
            expected = compute(stored_record(store, entry.report.id))
            for ind in INDICATORS:
                cell = shown.get((ind.id, entry.year))
                if cell is None:            # a row left out: no year of the agency has that indicator
                    assert all(compute(stored_record(store, e.report.id))[ind.id].value is None for e in agency.ordered())
                    continue
                value = expected[ind.id].value
                assert cell.get("data-value") == ("" if value is None else repr(value)), (agency.name, entry.year, ind.id)
                assert cell.text_content() == format_value(ind, value)
                checked += 1
    assert checked > 300


def test_pingtan_2025_indicators_by_hand(store: st.Store, report_dir: Path) -> None:
    doc = page_of(report_dir, Links().agency(PINGTAN))
    for ind_id, value in PINGTAN_2025.items():
        cell = doc.cssselect(f'td[data-indicator="{ind_id}"][data-year="2025"]')[0]
        assert float(cell.get("data-value")) == pytest.approx(value), ind_id
    # the shares' denominators decide ranking: 148 processed is over 10; 9 concluded lawsuits over 5
    assert "small" not in doc.cssselect('td[data-indicator="granted_share"][data-year="2025"]')[0].get("class")
    formula = doc.cssselect('td[data-indicator="granted_share"][data-year="2025"]')[0].getparent()[-1].text_content()
    assert "（一）予以公开·总计" in formula and "（七）总计·总计" in formula and "10" in formula


def found_set(findings: list[dict]) -> set[tuple]:
    out = set()
    for f in findings:
        what = f["indicator"] if f["rule"] == "cross_year_jump" else tuple(f.get("missing_years") or ())
        out.add((f["agency"], f["rule"], int(f["year"]), int(f["previous_year"]), what))
    return out


def test_cross_year_findings_match_the_hand_table(store: st.Store, report_dir: Path) -> None:
    rows = read_csv(report_dir / "findings.csv")
    from extractor.analysis.findings import check_agency

    computed = [f for a in ag.load(store).values() for f in check_agency(a)]
    as_dicts = [{"agency": f.agency, "rule": f.rule, "year": f.report.year, "previous_year": f.previous.year,
                 **f.numbers} for f in computed]
    assert found_set(as_dicts) == EXPECTED_FINDINGS
    assert len(rows) == len(computed)
    assert {(r["agency"], r["rule"], int(r["year"]), int(r["previous_year"])) for r in rows} == \
        {e[:4] for e in EXPECTED_FINDINGS}
    # each finding names both reports and, for a jump, the cells of both
    jump = next(r for r in rows if r["rule"] == "cross_year_jump" and "new_received" in r["cells"])
    assert jump["cells"] == jump["previous_cells"] == "applications.new_received[6]"
    assert "/002/" in jump["source"] and "/001/" in jump["previous_source"]
    # the agency page lists the same findings, linked to both reports' review pages
    doc = page_of(report_dir, Links().agency(HONGZE))
    items = doc.cssselect("li.finding")
    assert sorted((li.get("data-rule"), li.get("data-year"), li.get("data-previous-year")) for li in items) == \
        [("cross_year_jump", "2024", "2023")] * 2
    hrefs = [a.get("href") for a in items[0].cssselect("a")]
    assert f"http://127.0.0.1:8000/review/{jump['extraction_id']}#cell=applications.new_received%5B6%5D" in hrefs \
        or any(h.startswith(f"http://127.0.0.1:8000/review/{jump['extraction_id']}") for h in hrefs)
    assert any(h.startswith(f"http://127.0.0.1:8000/review/{jump['previous_extraction_id']}") for h in hrefs)
    # the same rules are what `extractor run` stored on the later reports
    stored = {(f["rule"], f["numbers"].get("indicator") or tuple(f["numbers"].get("missing_years") or ()))
              for row in st.analysis_rows(store) for f in st.get_extraction(store, row["id"])["findings"]
              if f["origin"] == "crosscheck"}
    assert stored == {(e[1], e[4]) for e in EXPECTED_FINDINGS}


def test_a_report_with_no_previous_year_shows_no_cross_year_finding(store: st.Store, report_dir: Path) -> None:
    links = Links()
    rows = read_csv(report_dir / "findings.csv")
    for agency in ag.load(store).values():
        first = min(agency.years)
        doc = page_of(report_dir, links.compare(agency.name, first))
        assert doc.get_element_by_id("no-previous") is not None
        assert doc.cssselect("li.finding") == []
        assert not [r for r in rows if r["agency"] == agency.name and int(r["year"]) == first]
        if len(agency.years) == 1:
            assert page_of(report_dir, links.agency(agency.name)).get_element_by_id("no-findings") is not None


def test_comparison_page_marks_what_changed(store: st.Store, report_dir: Path) -> None:
    doc = page_of(report_dir, Links().compare(HONGZE, 2024))
    new = doc.cssselect('#compare-t3 tr[data-field="applications.new_received[6]"] td')
    assert [td.text_content() for td in new[:2]] == ["21", "95"]
    assert "diff" in new[1].get("class") and "▲ 74" in new[2].text_content()
    same = doc.cssselect('#compare-t3 tr[data-field="applications.carried_over[6]"] td')
    assert "diff" not in same[1].get("class")
    assert len(doc.cssselect("li.finding")) == 2


def test_rankings_rank_only_trusted_reports_with_enough_applications(store: st.Store, report_dir: Path) -> None:
    doc = page_of(report_dir, "rankings-2025.html")
    section = doc.get_element_by_id("rank-granted_share").getnext().getnext()
    ranked = [tr for tr in section.cssselect("tbody tr") if tr.get("class") != "unranked"]
    unranked = section.cssselect("tbody tr.unranked")
    agencies = {a.name: a for a in ag.load(store).values()}
    for tr in ranked:
        entry = agencies[tr[1].text_content()].years[2025]
        assert entry.report.trusted and compute(entry.report.record)["granted_share"].denominator >= 10
    assert PINGTAN in [tr[1].text_content() for tr in ranked]
    shares = [compute(agencies[tr[1].text_content()].years[2025].report.record)["granted_share"].value for tr in ranked]
    assert shares == sorted(shares, reverse=True) and [tr[0].text_content() for tr in ranked][:1] == ["1"]
    assert all("不排名" in tr[3].text_content() for tr in unranked)
    assert "分母小于 10" in doc.text_content()


def test_csv_files_state_their_formulas(report_dir: Path) -> None:
    text = (report_dir / "indicators.csv").read_text(encoding="utf-8-sig")
    notes = [line for line in text.splitlines() if line.startswith("#")]
    for ind in INDICATORS:
        assert any(line.startswith(f"# {ind.id}: ") for line in notes), ind.id
    rows = read_csv(report_dir / "indicators.csv")
    row = next(r for r in rows if r["agency"] == PINGTAN and r["year"] == "2025")
    assert float(row["granted_share"]) == pytest.approx(33 / 148, abs=1e-6) and row["granted_share.denominator"] == "148"


def test_overview_counts_the_store(store: st.Store, report_dir: Path) -> None:
    doc = page_of(report_dir, "index.html")
    assert doc.get_element_by_id("queue-pending").text_content() == str(st.count_queue(store))
    names = [a.text_content() for a in doc.cssselect("#agencies a")]
    assert PINGTAN in names and HONGZE in names and len(names) == len(ag.load(store))


def test_abbreviated_and_full_names_are_one_agency(tmp_path: Path, store: st.Store) -> None:
    """上海市科委 (as dev/005's markdown prints it) and 上海市科学技术委员会 (its title) meet, and a
    user's alias joins names the normalisation cannot."""
    kewei = ag.agency_key("上海市科委")
    assert kewei == ag.agency_key("上海市科学技术委员会") == ag.agency_key(" 上海市科学技术委员会（市外国专家局） ")
    aliases = ag.default_aliases([("上海市科委", "上海市科委"), ("上海市科学技术委员会", "上海市科学技术委员会")])
    assert set(aliases.values()) == {"上海市科学技术委员会"}
    assert ag.agency_key("平潭综合实验区管委会") == ag.agency_key("平潭综合实验区管理委员会")
    assert ag.agency_key("洪泽区政府") == "洪泽区人民政府"

    db = tmp_path / "results.sqlite"
    shutil.copy(store.path, db)
    runner = CliRunner()
    listed = runner.invoke(main, ["agencies", "--db", str(db)])
    assert listed.exit_code == 0 and f"{HONGZE}\t{HONGZE}\tauto" in listed.output
    moved = runner.invoke(main, ["agencies", "--db", str(db), "set", "淮安市洪泽区人民政府", "洪泽区"])
    assert moved.exit_code == 0, moved.output
    with st.open_store(db) as s:
        assert "洪泽区" in ag.load(s) and HONGZE not in ag.load(s)
        ag.seed(s)        # seeding never overwrites a user's row
        assert {a["name_key"]: a for a in st.list_aliases(s)}[HONGZE]["origin"] == "user"
    out = tmp_path / "out"
    result = runner.invoke(main, ["report", "--db", str(db), "--out", str(out), "--agency", "洪泽区", "-q"])
    assert result.exit_code == 0, result.output
    assert "1 agencies, 2 reports" in result.output
    full = runner.invoke(main, ["report", "--db", str(db), "--out", str(tmp_path / "full"), "--agency",
                                "平潭综合实验区管理委员会", "-q"])     # the printed 管委会, written out
    assert full.exit_code == 0 and "1 agencies, 4 reports" in full.output, full.output
    unknown = runner.invoke(main, ["report", "--db", str(db), "--out", str(out), "--agency", "不存在的机关"])
    assert unknown.exit_code == 1 and "no agency named" in unknown.output and "extractor agencies" in unknown.output


def test_report_for_one_year(tmp_path: Path, store: st.Store) -> None:
    out = tmp_path / "y"
    result = CliRunner().invoke(main, ["report", "--db", str(store.path), "--out", str(out), "--year", "2024", "-q"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("rankings-*")) == ["rankings-2024.html"]
    assert all(p.name.endswith("-2024.html") for p in out.glob("compare-*"))
    rows = [line for line in (out / "indicators.csv").read_text(encoding="utf-8-sig").splitlines()
            if line and not line.startswith("#")][1:]
    assert rows and all(",2024," in r for r in rows)
    bad = CliRunner().invoke(main, ["report", "--db", str(store.path), "--out", str(out), "--year", "1999"])
    assert bad.exit_code == 1 and "no report of 1999" in bad.output


def test_without_a_cjk_font_the_report_still_builds_and_says_so(tmp_path: Path, store: st.Store) -> None:
    summary = build_report(store, tmp_path, agency=PINGTAN, charts=Charts(font=None))
    assert summary.font is None
    page = (tmp_path / Links().agency(PINGTAN)).read_text(encoding="utf-8")
    assert FONT_MISSING in page and "<svg" in page and "new_received" in page


def test_without_matplotlib_the_command_says_how_to_install_it(tmp_path: Path, store: st.Store,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)      # import matplotlib now raises ImportError
    result = CliRunner().invoke(main, ["report", "--db", str(store.path), "--out", str(tmp_path)])
    assert result.exit_code == 1 and "pip install -e '.[report]'" in result.output


def test_served_pages_and_the_review_page_link(store: st.Store) -> None:
    with live_server(create_app(Settings(db_path=store.path, llm="off"))) as url, \
            httpx.Client(base_url=url, timeout=60) as client:
        agency = client.get("/analysis/agency", params={"name": PINGTAN})
        assert agency.status_code == 200
        doc = lhtml.fromstring(agency.text)
        cell = doc.cssselect('td[data-indicator="new_received"][data-year="2025"]')[0]
        assert cell.get("data-value") == "154.0"
        assert doc.cssselect("svg.chart")
        review_links = [a.get("href") for a in doc.cssselect("#reports a") if a.get("href").startswith("/review/")]
        assert review_links
        compare = client.get("/analysis/compare", params={"name": HONGZE, "year": 2024})
        assert compare.status_code == 200 and "cross_year_jump" in compare.text
        assert client.get("/analysis/rankings", params={"year": 2025}).status_code == 200
        assert client.get("/analysis").status_code == 200
        missing = client.get("/analysis/agency", params={"name": "不存在的机关"})
        assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
        # the review page of a 平潭 2025 report links to its agency and comparison pages
        review = client.get(review_links[-1])
        links = [a.get("href") for a in lhtml.fromstring(review.text).cssselect("#analysis-links a")]
        assert links == [f"/analysis/agency?name={quote(PINGTAN)}", f"/analysis/compare?name={quote(PINGTAN)}&year=2025"]
        assert client.get(links[0]).status_code == 200 and client.get(links[1]).status_code == 200


def test_years_before_the_template_show_their_old_table_beside_the_template_years(
        store: st.Store, tmp_path: Path) -> None:
    """The real 2011-2018 平潭 reports (tests/data/pre_template) join the 管委会 series: their old
    statistics tables' applications, reviews and lawsuits stand beside the template years, marked."""
    from extractor.batch import run_batch
    from extractor.legacy import comparable_legacy

    db = tmp_path / "results.sqlite"
    shutil.copy(store.path, db)
    run_batch([Path(__file__).parent / "data" / "pre_template"], Settings.from_env(env={}, llm="off"), db)
    with st.open_store(db) as s:
        agency = ag.load(s, agency=PINGTAN)[PINGTAN]
        assert set(agency.legacy) and max(agency.legacy) < 2019 and min(agency.years) == 2019
        out = tmp_path / "out"
        build_report(s, out, agency=PINGTAN)
        doc = page_of(out, Links().agency(PINGTAN))
        head = [th.text_content() for th in doc.cssselect("#indicators thead th")][1:-1]
        assert head == [str(y) for y in agency.all_years()]
        for year, old in agency.legacy.items():
            stated = comparable_legacy(st.get_extraction(s, old.id)["legacy"])
            for measure, ind_id in (("applications_received", "new_received"), ("administrative_reviews", "reviews"),
                                    ("lawsuits", "lawsuits")):
                cell = doc.cssselect(f'td[data-indicator="{ind_id}"][data-year="{year}"]')[0]
                assert cell.get("data-basis") == "legacy"
                if measure in stated:
                    assert float(cell.get("data-value")) == stated[measure].value
                    assert "旧统计表" in cell.get("title") or "正文" in cell.get("title")
                else:
                    assert cell.get("data-value") == ""
            # nothing else is claimed for a year before the template
            assert doc.cssselect(f'td[data-indicator="granted_share"][data-year="{year}"]')[0].text_content() == "—"
        assert "旧统计表" in doc.get_element_by_id("reports").text_content()
        rows = [r for r in read_csv(out / "indicators.csv") if r["template"] == "legacy"]
        assert sorted(int(r["year"]) for r in rows) == sorted(agency.legacy)
        # no cross-year finding is made from an old table
        assert {int(li.get("data-year")) for li in doc.cssselect("li.finding")} <= set(agency.years)


def test_every_indicator_has_a_formula_and_a_label() -> None:
    for ind in INDICATORS:
        assert ind.label and ind.formulas()
        if ind.kind == "share":
            assert ind.min_denominator > 0 and "分母小于" in ind.formulas()
    assert BY_ID["disclosed_share"].formula("2021") == "(（一）予以公开·总计 + （二）部分公开·总计) ÷ (（七）总计·总计)"
    assert "2019 模板：" in BY_ID["other_share"].formulas() and "（六）其他处理·总计" in BY_ID["other_share"].formulas()


def test_dev_gold_is_what_the_expected_table_was_written_from() -> None:
    """Guard: the hand table above rests on these labelled numbers."""
    g = {n: json.loads((DEV / n / "gold.json").read_text(encoding="utf-8")) for n in ("001", "002", "014")}
    assert g["001"]["applications"]["new_received"][6] == 21 and g["002"]["applications"]["new_received"][6] == 95
    assert g["001"]["active_disclosure"]["licensing_decisions"] == 550
    assert g["002"]["active_disclosure"]["licensing_decisions"] == 9487
    assert g["014"]["applications"]["granted"][6] == 33 and g["014"]["applications"]["total_processed"][6] == 148
