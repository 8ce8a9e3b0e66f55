"""A table missing from a report is never a table of zeros (issue 16). For every dev report, each
of its three tables is blanked out of its text (the section's body removed, cut part way, or all
its numbers but the first gone, as a damaged page or a table told elsewhere leaves it) and the
text read again: the table may come out all zero only with its cells sent to review, since the
blanked text no longer says what the table held. A 表二 or 表三 told only in sentences: what the
sentences do not state is unknown, never 0.

The sections are found here by their national headings, independently of the extractor."""

from __future__ import annotations

import json
import re
from functools import cache

import pytest

from extractor.load import load_bytes
from extractor.pipeline import extract_bytes
from extractor.record import cell_values
from extractor.result import ExtractionResult
from extractor.settings import Settings
from tests.dev_reports import DEV, dev_cases

SETTINGS = Settings(llm="off")
_TEXT_INPUTS = (".txt", ".md", ".html")


def _loose(s: str) -> str:
    return r"\s*".join(map(re.escape, s))


# each table's section heading (numbered as the report numbers it), and the field it fills
_NUMERAL = r"([一二三四五六七八])\s*[、.．]\s*"
HEADINGS = {
    "active_disclosure": _NUMERAL + _loose("主动公开政府信息情况"),
    "applications": _NUMERAL + _loose("收到和处理政府信息公开申请情况"),
    "review_litigation": _NUMERAL + _loose("政府信息公开行政") + r"[^，。、]{0,4}?\s*[、，,和与及]?\s*"
                         + _loose("行政诉讼情况"),
}
_ORDER = list(HEADINGS)
_NUMERALS = "一二三四五六七八九"


@cache
def _report_texts() -> dict[str, str]:
    """One text input per dev report, as loaded (PDF-only reports: their layout text)."""
    out: dict[str, str] = {}
    for c in dev_cases():
        if c.report in out or c.path.suffix.lower() not in _TEXT_INPUTS:
            continue
        out[c.report] = load_bytes(c.path.read_bytes(), c.path.name, SETTINGS).text
    return out


def _section(text: str, table: str) -> tuple[int, int] | None:
    """The body of the table's section: from the end of its heading (the last match: the
    report's opening lists the parts first) to the next table's heading, or for 表四 to the
    heading numbered after its own (表三's rows are numbered too: '四、结转下年度继续办理')."""
    heads = list(re.finditer(HEADINGS[table], text))
    if not heads:
        return None
    head = heads[-1]
    a = head.end()
    i = _ORDER.index(table)
    if i + 1 < len(_ORDER):
        nxt = [m for m in re.finditer(HEADINGS[_ORDER[i + 1]], text) if m.start() >= a]
        return (a, nxt[-1].start()) if nxt else None
    n = _NUMERALS.index(head.group(1))
    b = re.compile(f"[{_NUMERALS[n + 1:]}]" + r"\s*[、.．]").search(text, a)
    return a, b.start() if b else len(text)


# a sentence saying the table has nothing to count ('2021年我局未收到政府信息公开申请'); not a
# row label ('没有现成信息需要另行制作')
SAYS_NONE = re.compile(r"(?:未收到|没有|未有|未发生|未产生)(?!现成)[^。；，]{0,24}(?:申请|复议|诉讼|信息)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _cut(body: str, keep: float) -> str:
    """The body's first `keep` (at a line or space when one is near: a table cut between rows)."""
    cut = int(len(body) * keep)
    gap = max(body.rfind("\n", 0, cut), body.rfind(" ", 0, cut))
    return body[:gap if keep and gap > cut // 2 else cut]


def _one_number_left(body: str) -> str:
    """The body with every number but the first gone, with the space after it (the cells'
    positions go too): issue 16's silent error was one zero found and the rest read as zeros."""
    first = _NUMBER.search(body)
    if first is None:
        return body
    # a flattened table's cells are one run of digits: of it, its first digit is left
    end = first.start() + 1 if len(first.group()) > 6 else first.end()
    rest = re.sub(r"\d+(?:\.\d+)?[ \t\u3000]*\n?", "", body[end:])
    return body[:end] + rest


BLANKING = {"removed": lambda body: "", "first-third": lambda body: _cut(body, 1 / 3),
            "two-thirds": lambda body: _cut(body, 2 / 3), "one-number-left": _one_number_left}


def _blanked(text: str, table: str, how: str) -> tuple[str, bool] | None:
    """The text with the table's section blanked `how`, and whether what is left of the section
    says there was nothing to count."""
    span = _section(text, table)
    if span is None:
        return None
    a, b = span
    body = BLANKING[how](text[a:b])
    return text[:a] + body + "\n" + text[b:], bool(SAYS_NONE.search(body))


def test_every_dev_report_has_its_three_sections_found() -> None:
    # the property below is only as good as the blanking: every section must be found
    missing = [(n, t) for n, text in _report_texts().items() for t in HEADINGS if _section(text, t) is None]
    assert not missing


@pytest.mark.parametrize("how", list(BLANKING))
@pytest.mark.parametrize("table", list(HEADINGS))
def test_a_blanked_table_is_never_accepted_as_zeros(table: str, how: str) -> None:
    accepted_zero, accepted = [], []
    for n, text in _report_texts().items():
        got = _blanked(text, table, how)
        assert got is not None, n
        blanked, says_none = got
        r = extract_bytes(blanked.encode("utf-8"), f"{n}-blanked.txt", SETTINGS)
        if r.record is None:
            continue
        if r.status == "accepted":
            accepted.append(n)
        flagged = {c for f in r.findings if f.severity == "review" for c in f.cells}
        zeros = not any(cell_values({table: r.record[table]}).values())
        # all zero is not taken as read: the result is in review naming some of the table's cells
        # (a report in review for another reason still says which of these zeros it doubts)
        if zeros and not says_none and not any(c.startswith(f"{table}.") for c in flagged):
            accepted_zero.append(f"{n}:{r.status}")
    assert not accepted_zero, f"{table} blanked ({how}): all zero without review of its cells"
    if how == "removed":
        # the whole table gone: nothing can be accepted in its place
        assert not accepted


# ---- a table told only in sentences (rare for 表二 and 表三): what the sentences do not state
# is unknown, never 0


def _told_in_sentences(n: str, table: str, sentences: str) -> tuple[ExtractionResult, dict]:
    text = _report_texts()[n]
    span = _section(text, table)
    assert span is not None
    a, b = span
    told = text[:a] + "\n" + sentences + "\n" + text[b:]
    gold = json.loads((DEV / n / "gold.json").read_text(encoding="utf-8"))
    return extract_bytes(told.encode("utf-8"), f"{n}-told.txt", SETTINGS), gold


def _wrong_unflagged(r: ExtractionResult, gold: dict, table: str) -> list[str]:
    assert r.record is not None
    got, want = cell_values({table: r.record[table]}), cell_values({table: gold[table]})
    flagged = {c for f in r.findings if f.severity == "review" for c in f.cells}
    return [c for c in got if got[c] != want[c] and not any(c == f or c.startswith(f + ".") for f in flagged)]


@pytest.mark.parametrize("n", ["012", "014"])
def test_table3_told_only_in_sentences_is_review_never_zeros(n: str) -> None:
    a = json.loads((DEV / n / "gold.json").read_text(encoding="utf-8"))["applications"]
    r, gold = _told_in_sentences(n, "applications", (
        f"本年度共收到政府信息公开申请{a['new_received'][6]}件，其中自然人{a['new_received'][0]}件；"
        f"上年结转{a['carried_over'][6]}件。予以公开{a['granted'][6]}件，部分公开{a['partially_granted'][6]}件。"))
    assert r.status == "review"
    assert not _wrong_unflagged(r, gold, "applications")
    # the other tables are still read where they are printed
    assert r.record is not None and r.record["review_litigation"] == gold["review_litigation"]
    assert r.record["active_disclosure"] == gold["active_disclosure"]


@pytest.mark.parametrize("n", ["012", "014"])
def test_table2_told_only_in_sentences_is_never_accepted_with_unstated_zeros(n: str) -> None:
    d = json.loads((DEV / n / "gold.json").read_text(encoding="utf-8"))["active_disclosure"]
    # the 规范性文件 counts and the 行政许可 decisions only: the other rows are not stated
    r, gold = _told_in_sentences(n, "active_disclosure", (
        f"本年度制发规范性文件{d['normative_documents']['issued']}件，废止{d['normative_documents']['repealed']}件，"
        f"现行有效{d['normative_documents']['in_force']}件；作出行政许可决定{d['licensing_decisions']}件。"))
    assert r.status == "review"
    assert not _wrong_unflagged(r, gold, "active_disclosure")
    assert r.record is not None and r.record["applications"] == gold["applications"]
