"""A whole section the rules cannot read, read by the real local model (llama-server + the 0.5B
model): 表四 with its labels garbled (as OCR or a bad conversion leaves them), made at test time
from a dev report's text. The model's reading is used only when grounded and adding up; never a
wrong number accepted, never worse than the rules alone."""

from __future__ import annotations

import re

import pytest

from extractor.llm.client import LLMClient
from extractor.pipeline import extract_bytes
from extractor.record import cell_values
from extractor.settings import Settings
from tests.dev_reports import DEV
from tests.llm_fixtures import gold

pytestmark = pytest.mark.llm

# characters OCR confuses with the labels' own (a few of the classic look-alike pairs)
_LOOKALIKE = str.maketrans("结果维持纠正其他尚未审总计复议诉讼起经直接行政", "绐杲雉特纟丘具也肖末宙忠汁夏义泝松赴泾真挼彳攻")
_CASES = ("003",)


def garbled_section4(number: str) -> str:
    """The report's layout text with every label of section 四 below its heading garbled."""
    text = (DEV / number / "derived-layout.txt").read_text(encoding="utf-8")
    head = re.search(r"四、政府信息公开行政复议[^\n]*\n", text)
    assert head is not None
    five = re.search(r"\n\s*五\s*、", text[head.end():])
    end = head.end() + (five.start() if five else 0)
    return text[:head.end()] + text[head.end():end].translate(_LOOKALIKE) + text[end:]


@pytest.mark.parametrize("number", _CASES)
def test_garbled_section_is_read_by_the_model_or_sent_to_review(local_client: LLMClient, number: str) -> None:
    data = garbled_section4(number).encode("utf-8")
    alone = extract_bytes(data, "garbled.txt", Settings(llm="off"))
    assert alone.status == "review" and any(f.rule == "missing_table" for f in alone.findings)
    r = extract_bytes(data, "garbled.txt", Settings(llm="auto"), llm=local_client)
    assert any(c.purpose == "section4" for c in r.llm_usage), "the model was not asked"
    want, got, before = cell_values(gold(number)), cell_values(r.record or {}), cell_values(alone.record or {})
    right = sum(got.get(k) == v for k, v in want.items())
    assert right >= sum(before.get(k) == v for k, v in want.items()), "the model made it worse"
    table4 = [p for p in r.provenance if p.field.startswith("review_litigation.")]
    if all(p.method == "llm" for p in table4):
        # used: every number where the section prints it, and the cells the report's
        text = data.decode("utf-8")
        for p in table4:
            assert p.span is not None and text[p.span.start:p.span.end].strip() in (str(p.value), "—", "-", "/", "无")
            assert p.value == want[p.field] or r.status == "review", p.field
    else:
        assert r.status == "review"
        assert any("review_litigation.review[0]" in f.cells for f in r.findings if f.severity == "review")
    if r.status == "accepted":
        assert got == want
