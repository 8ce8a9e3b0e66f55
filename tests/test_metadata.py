"""The issuing agency and year, read from titles the way real reports print them."""

from __future__ import annotations

import pytest

from extractor.rules.metadata import extract_metadata

CASES = [
    # (title line as printed, body text, file name) -> agency, year
    ("鄂伦春自治旗2024年政府信息公开工作年度报告", "", "report.txt", "鄂伦春自治旗人民政府", 2024),
    ("平潭综合实验区2021年度政府信息公开工作年度报告", "", "page.txt", "平潭综合实验区管委会", 2021),
    ("洪泽区人民政府 2023 年政府信息公开工作年度报告", "本报告由淮安市洪泽区人民政府办公室编制。",
     "hzq2023_working.pdf", "淮安市洪泽区人民政府", 2023),
    ("淮安市人民政府\n2024 年政府信息公开工作年度报告", "", "szfgs2024.pdf", "淮安市人民政府", 2024),
    ("某某县人民政府二〇二三年度政府信息公开工作年度报告", "", "x.pdf", "某某县人民政府", 2023),
    ("2024年上海市科委政府信息公开工作年度报告", "", "kewei.md", "上海市科委", 2024),
]


@pytest.mark.parametrize("title,body,name,org,year", CASES, ids=[c[4].__str__() + "-" + c[3] for c in CASES])
def test_agency_and_year_from_the_title(title: str, body: str, name: str, org: str, year: int) -> None:
    m = extract_metadata(title + "\n" + body, None, name)
    assert (m.organization, m.year) == (org, year)


def test_file_name_title_wins_over_ocr_text() -> None:
    """dev/004: the OCR'd text says 沐阳, the scraper's file name keeps the page title's 沭阳."""
    m = extract_metadata("# 沐阳县人民政府 2025 年 政府信息公开工作年度报告\n",
                         None, "沭阳县人民政府2025年政府信息公开工作年度报告-沭阳县人民政府.txt")
    assert m.organization == "沭阳县人民政府"


def test_no_title_no_guess() -> None:
    m = extract_metadata("本年度报告中所列数据统计期限从2024年1月1日到12月31日止。", None, "page.txt")
    assert m.organization == "" and m.year == 2024
