"""Messages as codes (extractor/messages.py): every code has a Chinese and an English template
taking the same parameters; every finding, note and reason the dev set produces carries a code the
catalog knows and renders in both languages; the language of the terminal and of a request."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from string import Formatter
from typing import Any, Iterator

import pytest

from extractor import store as st
from extractor.messages import (
    CATALOG,
    Lang,
    accepted_language,
    finding_text,
    reasons_text,
    render,
    render_message,
    terminal_language,
)
from extractor.pipeline import extract_file
from extractor.settings import Settings

CJK = re.compile(r"[\u4e00-\u9fff]")
PRE_TEMPLATE = Path(__file__).parent / "data" / "pre_template"
SOURCES = sorted((Path(__file__).parent.parent / "extractor").rglob("*.py"))


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


@pytest.mark.parametrize("code", sorted(CATALOG))
def test_every_code_has_both_languages_with_the_same_parameters(code: str) -> None:
    zh, en = CATALOG[code]
    assert zh.strip() and en.strip()
    assert _fields(zh) == _fields(en)
    # Chinese words, unless the template is only its parameters and punctuation
    assert CJK.search(zh) or not re.sub(r"\{[^}]*\}|[\s…；;:：,，、/+=()（）\[\]]", "", zh)


# ---------------------------------------------------------------- every site in the code


def _calls(path: Path) -> Iterator[tuple[str, ast.Call]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name:
                yield name, node


def _uncoded_sites(paths: list[Path]) -> list[str]:
    """Findings made without a code, and literal codes (Finding(code=...), msg(...)) the catalog lacks."""
    out = []
    for path in paths:
        for name, call in _calls(path):
            keywords = {k.arg: k.value for k in call.keywords}
            where = f"{path.relative_to(path.parents[1])}:{call.lineno}"
            if name == "Finding" and "code" not in keywords and None not in keywords:   # None: **params
                out.append(f"{where}: Finding without a code")
            literal = keywords.get("code") if name == "Finding" else (call.args[0] if name == "msg" and call.args
                                                                     else None)
            if isinstance(literal, ast.Constant) and literal.value not in CATALOG:
                out.append(f"{where}: code {literal.value!r} not in messages.CATALOG")
    return out


def test_every_finding_site_gives_a_code_the_catalog_knows() -> None:
    """Also the sites the dev set does not reach: a finding says its code, and a code written as a
    literal has both templates (a new site adds its entry to messages.CATALOG)."""
    assert _uncoded_sites(SOURCES) == []


# ---------------------------------------------------------------- every message the dev set produces


@pytest.fixture(scope="module")
def results(dev_store_path: Path) -> list[dict[str, Any]]:
    """Every current result of a rules-only batch over the dev inputs, and the reports from before
    the template (tests/data/pre_template) extracted alone."""
    with st.open_store(dev_store_path, readonly=True) as store:
        out = list(st.iter_current(store))
    settings = Settings(llm="off")
    out += [extract_file(p, settings).model_dump(mode="json") for p in sorted(PRE_TEMPLATE.glob("*/*"))
            if p.name != "source.json"]
    return out


def _messages(result: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, message) for every coded text of a result: findings, provenance notes, legacy texts."""
    for f in result["findings"]:
        yield f"finding {f['rule']}", {"code": f["code"], "params": f["params"]}
    for p in result.get("provenance") or []:
        if p.get("note_message"):
            yield f"note of {p['field']}", p["note_message"]
    legacy = result.get("legacy") or {}
    if legacy.get("reason_message"):
        yield "legacy reason", legacy["reason_message"]
    for fig in legacy.get("figures") or []:
        if fig.get("doubt_message"):
            yield f"doubt of {fig['name']}", fig["doubt_message"]


def test_every_finding_of_the_dev_set_has_a_code(results: list[dict[str, Any]]) -> None:
    uncoded = [(r.get("path") or r.get("source"), f["rule"], f["message"]) for r in results for f in r["findings"]
               if f["code"] not in CATALOG]
    assert uncoded == []


def test_every_message_of_the_dev_set_renders_in_both_languages(results: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for r in results:
        for where, m in _messages(r):
            seen.add(m["code"])
            zh, en = (render_message(m, lang, strict=True) for lang in ("zh", "en"))
            assert CJK.search(zh), (where, zh)
            for text in (zh, en):
                assert "{" not in text and "}" not in text, (where, text)   # no placeholder left
    # the dev set reaches the sites that matter most to a reviewer
    assert {"row_note", "glued_readings", "row_total", "processed_total", "pretemplate_year",
            "legacy_summary"} <= seen, sorted(seen)


def test_reasons_of_results_waiting_for_review_read_in_chinese(results: list[dict[str, Any]]) -> None:
    waiting = [r for r in results if r["status"] == "review"]
    assert waiting
    for r in waiting:
        reasons = reasons_text("review", r["findings"], r["reasons"], "zh")
        assert reasons and all(CJK.search(x) and not re.search(r"\b(the|of|not|cells?)\b", x) for x in reasons), reasons


# ---------------------------------------------------------------- rendering


def test_nested_messages_lists_and_verdicts_render_in_the_language_asked() -> None:
    note = {"code": "glued_readings", "params": {"printed": "898989", "count": 8, "more": {"code": "more_readings",
            "params": {"n": 2}}, "readings": [[8, 9, 8989], [8, 98, 989], [89, 8, 989], [89, 89, 89], [8, 989, 89],
                                              [898, 9, 89]]}}
    params = {"table": "表二", "label": "规章", "note": note}
    assert render("row_note", params, "en") == ("表二 规章: the glued digits '898989' can be read 8 ways: "
                                                "8/9/8989; 8/98/989; 89/8/989; 89/89/89; 8/989/89; 898/9/89 (+2 more)")
    assert render("row_note", params, "zh") == ("表二 规章：连写数字“898989”有 8 种读法："
                                                "8/9/8989；8/98/989；89/8/989；89/89/89；8/989/89；898/9/89（另有 2 种）")
    total = {"label": "行政复议", "total": 0, "parts": [1, 0, 0, 0], "sum": 1, "verdict": "printed"}
    assert render("review_total", total, "en") == "printed in the report: 行政复议: 总计 0 ≠ 1+0+0+0 = 1"
    assert render("review_total", total, "zh") == "报告原文如此：行政复议：总计 0 ≠ 1+0+0+0 = 1"


def test_a_code_without_a_template_shows_its_stored_message() -> None:
    stored = {"rule": "new_rule", "severity": "review", "message": "said elsewhere", "code": "not_in_the_catalog",
              "params": {}}
    assert finding_text(stored, "zh") == "said elsewhere"
    assert finding_text({"rule": "row_total", "severity": "review", "message": "old text"}, "zh") == "old text"
    # parameters that do not fit the template: the stored message, never an exception
    assert finding_text({**stored, "code": "row_total", "params": {"label": "x"}}, "zh") == "said elsewhere"


# ---------------------------------------------------------------- which language


@pytest.mark.parametrize(("header", "default", "expected"), [
    ("zh-CN,zh;q=0.9,en;q=0.8", "en", "zh"),
    ("en-US,en;q=0.9", "zh", "en"),
    ("en;q=0.5, zh-TW;q=0.8", "en", "zh"),
    ("fr-FR, de;q=0.5", "zh", "zh"),
    ("zh;q=0, en", "zh", "en"),
    (None, "en", "en"),
])
def test_a_request_gets_the_language_it_prefers(header: str | None, default: Lang, expected: Lang) -> None:
    assert accepted_language(header, default) == expected


def test_the_terminal_speaks_chinese_only_in_a_chinese_locale() -> None:
    assert terminal_language(None, {"LANG": "zh_CN.UTF-8"}) == "zh"
    assert terminal_language(None, {"LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert terminal_language(None, {}) == "en"
    assert terminal_language("zh", {"LANG": "en_US.UTF-8"}) == "zh"     # EXTRACTOR_LANG wins
