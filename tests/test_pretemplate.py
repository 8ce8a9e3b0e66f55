"""Reports from before the national template: the real 2011-2018 平潭 reports (tests/data/pre_template,
sources in each source.json) are recognised, never accepted as template records, and their old
statistics tables read exactly as labelled here by hand from the text."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.legacy import comparable_legacy, comparable_template
from extractor.load import load_document
from extractor.pipeline import extract_file
from extractor.result import ExtractionResult
from extractor.settings import Settings
from tests.dev_reports import DEV

DATA = Path(__file__).parent / "data" / "pre_template"
SETTINGS = Settings(llm="off")

# The old statistics tables as the reports print them, read by hand: name as printed, key ("-": none),
# 本年度, 历年累计 ("?": the report does not let the number be known). Scraped pages glue the numbers
# (`主动公开文件数条206912106其中：1.…`): the hand reading splits them where the report's digits, its
# sums or its own sentence ("2018年全区主动公开政府信息2069条") leave one reading.
LABELS: dict[str, str] = {
    "2011_80678": """
        主动公开信息数 active_total 425 1516
        网站公开 active_website 418 1509
        政府公报公开 active_gazette 7 7
        受理依申请公开信息总数 applications_total 0 0
        当面申请数 applications_in_person 0 0
        传真申请数 applications_fax 0 0
        电子邮件申请数 applications_email 0 0
        网上申请数 applications_online 0 0
        信函申请数 applications_letter 0 0
        其它形式申请数 applications_other 0 0
        对申请的答复数 replies_total 0 0
        同意公开答复数 replies_granted 0 0
        同意部分公开答复数 replies_partially_granted 0 0
        否决公开答复数 replies_refused 0 0
        行政复议数 reviews 0 0
        行政诉讼数 lawsuits 0 0
        行政申诉数 complaints 0 0""",
    # the same table as 2011_80678, glued: 4251516 / 4181509 / 77 add up only as 425 = 418 + 7
    "2011_80716": """
        主动公开信息数 active_total 425 1516
        网站公开 active_website 418 1509
        政府公报公开 active_gazette 7 7
        受理依申请公开信息总数 applications_total 0 0
        当面申请数 applications_in_person 0 0
        传真申请数 applications_fax 0 0
        电子邮件申请数 applications_email 0 0
        网上申请数 applications_online 0 0
        信函申请数 applications_letter 0 0
        其它形式申请数 applications_other 0 0
        对申请的答复数 replies_total 0 0
        同意公开答复数 replies_granted 0 0
        同意部分公开答复数 replies_partially_granted 0 0
        否决公开答复数 replies_refused 0 0
        行政复议数 reviews 0 0
        行政诉讼数 lawsuits 0 0
        行政申诉数 complaints 0 0""",
    # 2026 and 1795 are stated in the text; 2121 = 21/21 (18 + 3; the text: 答复总数21条)
    "2012_80725": """
        主动公开信息数 active_total 2026 3542
        网站公开 active_website 1795 3304
        政府公报公开 active_gazette 0 7
        受理依申请公开信息总数 applications_total 21 21
        当面申请数 applications_in_person 18 18
        传真申请数 applications_fax 0 0
        电子邮件申请数 applications_email 3 3
        网上申请数 applications_online 0 0
        信函申请数 applications_letter 0 0
        其它形式申请数 applications_other 0 0
        对申请的答复数 replies_total 21 21
        同意公开答复数 replies_granted 17 17
        同意部分公开答复数 replies_partially_granted 2 2
        否决公开答复数 replies_refused 2 2
        行政复议数 reviews 0 0
        行政诉讼数 lawsuits 0 0
        行政申诉数 complaints 0 0""",
    "2013_80754": """
        主动公开信息数 active_total 1853 5395
        网站公开 active_website 1713 5017
        政府公报公开 active_gazette 0 7
        受理依申请公开信息总数 applications_total 7 28
        当面申请数 applications_in_person 0 18
        传真申请数 applications_fax 0 0
        电子邮件申请数 applications_email 3 6
        网上申请数 applications_online 4 4
        信函申请数 applications_letter 0 0
        其它形式申请数 applications_other 0 0
        对申请的答复数 replies_total 3 24
        同意公开答复数 replies_granted 2 19
        同意部分公开答复数 replies_partially_granted 1 3
        否决公开答复数 replies_refused 0 2
        行政复议数 reviews 0 0
        行政诉讼数 lawsuits 0 0
        行政申诉数 complaints 0 0""",
    # `2、政府公报公开 条 0`: one number for two columns
    "2013_80759": """
        主动公开信息数 active_total 72804 76424
        网站公开 active_website 72804 76424
        政府公报公开 active_gazette ? ?
        受理依申请公开信息总数 applications_total 0 0
        当面申请数 applications_in_person 0 0
        传真申请数 applications_fax 0 0
        电子邮件申请数 applications_email 0 0
        网上申请数 applications_online 0 0
        信函申请数 applications_letter 0 0
        对申请的答复总数 replies_total 0 0
        同意公开答复数 replies_granted 0 0
        同意部分公开答复数 replies_partially_granted 0 0
        否决公开答复数 replies_refused 0 0
        行政复议数 reviews 0 0
        行政诉讼数 lawsuits 0 0
        行政申诉、举报数 complaints 0 0""",
    "2013_80774": "",   # no table: only sentences
    "2014_80791": """
        主动公开文件数 active_total 2543 78967
        政府网站公开数 active_website 2543 78967
        政府公报公开数 active_gazette 0 0
        受理依申请公开信息总数 applications_total 1 1
        当面申请数 applications_in_person 0 0
        网上申请数 applications_online 0 0
        信函、传真申请数 applications_letter_fax 1 1
        对申请的答复总数 replies_total 1 1
        同意公开答复数 replies_granted 1 1
        同意部分公开答复数 replies_partially_granted 0 0
        不予公开答复数 replies_refused 0 0
        其他类型答复数 replies_other 0 0
        政府信息公开收费减免金额 fee_reductions_yuan 0 0
        接受行政诉讼、举报数 - 0 0
        行政复议数 reviews 0 0
        行政诉讼数 lawsuits 0 0""",
    "2015_80445": """
        主动公开文件数 active_total 2949 81916
        政府网站公开数 active_website 2949 81916
        政府公报公开数 active_gazette 0 0
        受理依申请公开信息总数 applications_total 0 1
        当面申请数 applications_in_person 0 0
        网上申请数 applications_online 0 0
        信函、传真申请数 applications_letter_fax 0 1
        对申请的答复总数 replies_total 0 1
        同意公开答复数 replies_granted 0 1
        同意部分公开答复数 replies_partially_granted 0 0
        不予公开答复数 replies_refused 0 0
        其他类型答复数 replies_other 0 0
        政府信息公开收费减免金额 fee_reductions_yuan 0 0
        接受行政诉讼、举报数 - 0 0
        行政复议数 reviews 0 0
        行政诉讼数 lawsuits 0 0""",
    "2016_80485": """
        主动公开文件数 active_total 3460 85376
        政府网站公开数 active_website 3460 85376
        政府公报公开数 active_gazette 0 0
        受理依申请公开信息总数 applications_total 0 0
        当面申请数 applications_in_person 0 0
        网上申请数 applications_online 0 0
        信函、传真申请数 applications_letter_fax 0 0
        对申请的答复总数 replies_total 0 0
        同意公开答复数 replies_granted 0 0
        同意部分公开答复数 replies_partially_granted 0 0
        不予公开答复数 replies_refused 0 0
        其他类型答复数 replies_other 0 0
        政府信息公开收费减免金额 fee_reductions_yuan 0 0
        接受行政诉讼、举报数 - 0 0
        行政复议数 reviews 0 0
        行政诉讼数 lawsuits 0 0""",
    # 历年累计 10037 is what the report prints (the 2016 report printed 85376)
    "2017_80506": """
        主动公开文件数 active_total 2122 10037
        政府网站公开数 active_website 2122 10037
        政府公报公开数 active_gazette 0 0
        受理政府信息依申请公开总数 applications_total 0 0
        当面申请数 applications_in_person 0 0
        网上申请数 applications_online 0 0
        信函、传真申请数 applications_letter_fax 0 0
        对申请的答复总数 replies_total 0 0
        同意公开答复数 replies_granted 0 0
        同意部分公开答复数 replies_partially_granted 0 0
        不予公开答复数 replies_refused 0 0
        其他类型答复数 replies_other 0 0
        接受行政诉讼、举报数 - 0 0
        行政复议数 reviews 0 0
        行政诉讼数 lawsuits 0 0""",
    "2018_80529": """
        主动公开文件数 active_total 2069 12106
        政府网站公开数 active_website 2069 12106
        政府公报公开数 active_gazette 0 0
        受理依申请公开信息总数 applications_total 0 0
        当面申请数 applications_in_person 0 0
        网上申请数 applications_online 0 0
        信函、传真申请数 applications_letter_fax 0 0
        对申请的答复总数 replies_total 0 0
        同意公开答复数 replies_granted 0 0
        同意部分公开答复数 replies_partially_granted 0 0
        不予公开答复数 replies_refused 0 0
        其他类型答复数 replies_other 0 0
        接受行政诉讼、举报数 - 0 0
        行政复议数 reviews 0 0
        行政诉讼数 lawsuits 0 0""",
}
YEARS = {name: int(name[:4]) for name in LABELS}
# what the reports' own printed sums break (transcribed as printed, listed)
PRINTED_INCONSISTENT = {"2012_80725": 2, "2013_80754": 2}


def _labels(text: str) -> list[tuple[str, str | None, int | None, int | None]]:
    out = []
    for line in text.strip().splitlines():
        name, key, this_year, cumulative = line.split()
        out.append((name, None if key == "-" else key, None if this_year == "?" else int(this_year),
                    None if cumulative == "?" else int(cumulative)))
    return out


@pytest.fixture(scope="module")
def results() -> dict[str, ExtractionResult]:
    return {name: extract_file(DATA / name / "page.txt", SETTINGS) for name in LABELS}


@pytest.mark.parametrize("name", LABELS)
def test_old_report_is_recognised_and_never_a_template_record(name: str, results: dict) -> None:
    r = results[name]
    assert r.status == "pretemplate"
    assert r.record is None
    assert r.reasons[0] == f"report year {YEARS[name]} predates the 2019 national template"
    assert r.legacy is not None and r.legacy.year == YEARS[name]
    assert r.legacy.organization.startswith("平潭")


@pytest.mark.parametrize("name", [n for n, t in LABELS.items() if t])
def test_old_statistics_table_is_read_as_labelled(name: str, results: dict) -> None:
    legacy = results[name].legacy
    assert legacy.kind == "statistics_table"
    assert legacy.columns == [f"{YEARS[name]}年度", "历年累计"]
    got = [(f.name, f.key, f.this_year, f.cumulative) for f in legacy.figures if f.source == "table"]
    assert got == _labels(LABELS[name])
    for f in legacy.figures:
        # a number nobody can know is null and says why; a known one has no doubt
        assert (f.doubt is not None) == (f.source == "table" and (f.this_year is None or f.cumulative is None))
    assert len(legacy.source_inconsistencies) == PRINTED_INCONSISTENT.get(name, 0)


def test_a_real_table_is_read_cell_by_cell() -> None:
    # the 2014 report with its table as <td> cells (derived-table.html, see its source.json)
    r = extract_file(DATA / "2014_80791" / "derived-table.html", SETTINGS)
    assert r.status == "pretemplate" and r.format == "html"
    got = [(f.name, f.key, f.this_year, f.cumulative) for f in r.legacy.figures if f.source == "table"]
    assert got == _labels(LABELS["2014_80791"])
    assert {p.method for p in r.provenance} == {"grid_cell"}


@pytest.mark.parametrize("name", LABELS)
def test_every_number_has_its_provenance_in_the_source(name: str, results: dict) -> None:
    r = results[name]
    text = load_document(DATA / name / "page.txt", SETTINGS).text
    prov = {p.field: p for p in r.provenance}
    numbers = [(f"legacy.figures[{i}].{col}", getattr(f, col)) for i, f in enumerate(r.legacy.figures)
               for col in ("this_year", "cumulative") if getattr(f, col) is not None]
    assert numbers and set(prov) == {field for field, _ in numbers}
    for field, value in numbers:
        p = prov[field]
        assert p.value == value and p.span is not None
        printed = text[p.span.start:p.span.end]
        if p.method == "statement":
            assert "未收到" in printed or "0件" in printed
        else:
            assert printed == str(value), (field, printed)
            assert p.label and text[p.label_span.start:p.label_span.end].replace(" ", "") == p.label


def test_sentences_give_zeros_only_where_they_say_so(results: dict) -> None:
    # 平潭 地税局 2013: no table; "未收到政府信息公开申请", "收到以有关政府信息公开行政复议0件"; no word on lawsuits
    legacy = results["2013_80774"].legacy
    assert legacy.kind == "text_only"
    assert {f.key: (f.this_year, f.cumulative, f.source) for f in legacy.figures} == {
        "applications_total": (0, None, "text"), "reviews": (0, None, "text")}
    assert "lawsuits" not in comparable_legacy(legacy)


def test_a_glued_run_the_report_does_not_settle_stays_open() -> None:
    # the 2018 table without the sentence that states 2069: 206912106 reads 20/6912106, 206/912106 or
    # 2069/12106, and the table's own sums cannot tell
    text = (DATA / "2018_80529" / "page.txt").read_text(encoding="utf-8")
    stripped = text.replace("2018年全区主动公开政府信息2069条", "2018年全区主动公开政府信息若干条")
    from extractor.pipeline import extract_bytes

    r = extract_bytes(stripped.encode("utf-8"), "page.txt", SETTINGS)
    assert r.status == "pretemplate"
    head = r.legacy.figures[0]
    assert (head.name, head.this_year, head.cumulative) == ("主动公开文件数", None, None)
    assert "3 ways" in head.doubt and "2069/12106" in head.doubt
    assert not any(p.field.startswith("legacy.figures[0].") for p in r.provenance)


def test_comparable_measures_say_which_basis(results: dict) -> None:
    old = comparable_legacy(results["2013_80754"].legacy)
    assert {k: (v.value, v.basis) for k, v in old.items()} == {
        "applications_received": (7, "legacy"), "administrative_reviews": (0, "legacy"), "lawsuits": (0, "legacy")}
    assert old["applications_received"].printed_as.startswith("受理依申请公开信息总数")
    new = extract_file(DEV / "016" / "page.txt", SETTINGS)
    measures = comparable_template(new.record)
    rec = new.record
    assert measures["applications_received"].value == rec["applications"]["new_received"][6]
    assert measures["lawsuits"].value == (rec["review_litigation"]["litigation_direct"][4]
                                          + rec["review_litigation"]["litigation_after_review"][4])
    assert {v.basis for v in measures.values()} == {"template"}


# ---- through the whole product: a batch over an archive, the queue, the exports, the service

OLD_IN_RUN = ("2011_80716", "2013_80774", "2018_80529")


@pytest.fixture(scope="module")
def archive_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    import shutil

    from click.testing import CliRunner

    from extractor.cli import main

    root = tmp_path_factory.mktemp("archive")
    inputs = root / "in"
    inputs.mkdir()
    for name in OLD_IN_RUN:
        shutil.copy(DATA / name / "page.txt", inputs / f"{name}.txt")
    shutil.copy(DEV / "016" / "page.txt", inputs / "016.txt")      # a template report beside them
    db = root / "results.sqlite"
    run = CliRunner().invoke(main, ["run", str(inputs), "--db", str(db), "--llm", "off", "--workers", "1",
                                    "--no-crosscheck", "-q"])
    assert run.exit_code == 0, run.output
    return {"db": db, "inputs": inputs, "run_output": run.output}


def _cli(*args: str) -> str:
    from click.testing import CliRunner

    from extractor.cli import main

    res = CliRunner().invoke(main, list(args), env={"EXTRACTOR_LLM": "off"})
    assert res.exit_code == 0, res.output
    return res.stdout


def test_run_summary_counts_old_reports_apart(archive_run: dict) -> None:
    out = archive_run["run_output"]
    assert "accepted 1, review 0, failed 0, before the 2019 template 3," in out
    assert "Database" in out and "pretemplate 3" in out


def test_old_reports_never_reach_the_review_queue(archive_run: dict) -> None:
    db = str(archive_run["db"])
    queue = _cli("review-list", "--db", db)
    assert queue.startswith("0 reports with status review")
    assert not any(name in queue for name in OLD_IN_RUN)
    assert "3 reports predate the 2019 national template" in queue
    listed = _cli("review-list", "--db", db, "--status", "pretemplate")
    assert listed.startswith("3 reports with status pretemplate\n")
    assert "report year 2018 predates the 2019 national template" in listed


def test_exports_carry_the_legacy_record(archive_run: dict, tmp_path: Path) -> None:
    import csv
    import io
    import json

    from openpyxl import load_workbook

    db = str(archive_run["db"])
    lines = {Path(o["source"]).stem: o for o in map(json.loads, _cli("export", "--db", db).splitlines())}
    old = lines["2018_80529"]
    assert old["status"] == "pretemplate" and old["record"] is None
    assert old["legacy"]["figures"][0] == {"key": "active_total", "name": "主动公开文件数", "unit": "条",
                                           "this_year": 2069, "cumulative": 12106, "source": "table", "doubt": None,
                                           "doubt_message": None}
    assert lines["016"]["legacy"] is None and lines["016"]["record"]["year"] == 2023
    rows = list(csv.DictReader(io.StringIO(_cli("export", "--db", db, "--format", "csv"))))
    legacy_rows = [r for r in rows if r["table"] == "legacy"]
    first = next(r for r in legacy_rows if Path(r["report"]).stem == "2018_80529" and r["row"] == "active_total")
    assert (first["table_label"], first["row_label"], first["column_label"], first["value"]) == \
        ("旧统计表", "主动公开文件数", "本年度", "2069")
    assert {r["status"] for r in legacy_rows} == {"pretemplate"}
    only_old = _cli("export", "--db", db, "--status", "pretemplate")
    assert len(only_old.splitlines()) == 3
    out = tmp_path / "r.xlsx"
    _cli("export", "--db", db, "--format", "xlsx", "--out", str(out))
    wb = load_workbook(out, read_only=True)
    sheet = [r for r in wb["旧统计表"].iter_rows(values_only=True)]
    assert sheet[0][:8] == ("报告", "机关", "年度", "指标名称（原文）", "键", "计量单位", "本年度", "历年累计")
    assert any(r[2] == 2013 and r[4] == "reviews" and r[6] == 0 and r[8] == "正文" for r in sheet[1:])
    assert not any(Path(str(r[0])).stem in OLD_IN_RUN for r in wb["待复核"].iter_rows(min_row=2, values_only=True))


def test_service_queue_filters_keep_old_reports_apart(archive_run: dict, tmp_path: Path) -> None:
    import httpx

    from extractor.service.app import create_app
    from tests.test_api import live_server

    settings = Settings(db_path=archive_run["db"], llm="off")
    with live_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=60) as client:
        assert client.get("/v1/queue").json()["total"] == 0
        old = client.get("/v1/queue", params={"status": "pretemplate", "review_state": "any"}).json()
        assert old["total"] == 3
        one = client.get(f"/v1/extractions/{old['items'][0]['id']}").json()
        assert one["status"] == "pretemplate" and one["record"] is None and one["legacy"]["figures"]
        page = client.get("/review", params={"status": "pretemplate"})
        assert page.status_code == 200 and "（1–3 / 共 3）" in page.text
        assert "（0 / 共 0）" in client.get("/review").text
