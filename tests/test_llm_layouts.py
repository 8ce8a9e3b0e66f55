"""表四 told in sentences, with the real local model: it reads each group from the passage that
names it, and a number it gives is used only where it is printed in that passage as that cell;
never accepted wrong."""

from __future__ import annotations

import json

import pytest

from extractor.llm.client import LLMClient
from extractor.llm.tasks import llm_table4_prose
from extractor.load import load_bytes, load_document
from extractor.messages import LANGS, render, render_message
from extractor.normalise import normalise
from extractor.pipeline import extract_bytes, extract_file
from extractor.rules import read_tables
from extractor.settings import Settings
from tests.dev_reports import DEV
from tests.table4_prose_variants import GROUPS, count_first, with_section4

pytestmark = pytest.mark.llm


def _gold(n: str) -> dict:
    return json.loads((DEV / n / "gold.json").read_text(encoding="utf-8"))


def test_every_number_the_model_reads_from_table4_prose_is_the_reports(local_client: LLMClient) -> None:
    path = DEV / "014" / "derived-variant-table4-narrative.md"
    doc = load_document(path, Settings(llm="off"))
    text = normalise(doc.text).text
    t4 = read_tables(text, doc.title, doc.source).table4
    assert t4.section_span is not None
    with local_client.ledger() as calls:
        got = llm_table4_prose(local_client, text, *t4.section_span)
    assert [c.prompt_id.split("+")[0] for c in calls if c.outcome == "ok"] == ["table4_prose.v1"] * 3
    gold = _gold("014")["review_litigation"]
    assert got.cells, got.dropped
    for (group, col), (value, (a, b)) in got.cells.items():
        assert value == gold[group][col], (group, col, got.answer)
        assert text[a:b] == str(value)


def test_prose_the_rules_read_in_part_is_completed_by_the_model_or_sent_to_review(local_client: LLMClient) -> None:
    # each count before its result ('其中1件结果维持'): the rules read the groups' totals only
    gold = _gold("012")
    text = with_section4("012", count_first(gold["review_litigation"]))
    rules = extract_bytes(text.encode("utf-8"), "variant.md", Settings(llm="off"))
    assert rules.status == "review"
    r = extract_bytes(text.encode("utf-8"), "variant.md", Settings(llm="auto"), llm=local_client)
    assert any(c.purpose.startswith("table4_prose") for c in r.llm_usage)
    if r.status == "accepted":
        assert r.record == gold
    else:
        flagged = {c for f in r.findings if f.severity == "review" for c in f.cells}
        wrong = {f"review_litigation.{g}[{i}]" for g in GROUPS for i in range(5)
                 if r.record["review_litigation"][g][i] != gold["review_litigation"][g][i]}
        assert wrong <= flagged, r.reasons
    # what the model did is said in both languages (codes of messages.CATALOG)
    for lang in LANGS:
        for f in r.findings:
            assert render(f.code, f.params, lang, strict=True)
        for p in r.provenance:
            assert render_message(p.note_message, lang, strict=True) or p.note_message is None
    loaded = load_bytes(text.encode("utf-8"), "variant.md", Settings(llm="off")).text
    for p in r.provenance:
        if p.method == "llm":
            assert p.span is not None and loaded[p.span.start:p.span.end] == str(p.value)
            assert p.value == gold["review_litigation"][p.field.split(".")[1].split("[")[0]][int(p.field[-2])]


def test_prose_the_rules_read_whole_needs_no_model(local_client: LLMClient) -> None:
    r = extract_file(DEV / "012" / "derived-variant-table4-narrative.md", Settings(llm="auto"), llm=local_client)
    assert r.status == "accepted" and r.record == _gold("012")
    assert not any(c.purpose.startswith("table4_prose") for c in r.llm_usage)
