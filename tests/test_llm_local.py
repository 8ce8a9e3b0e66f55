"""The LLM tasks against the real local model (llama-server + Qwen2.5-Coder-0.5B from PyPI)."""

from __future__ import annotations

import pytest

from extractor.llm import open_llm
from extractor.llm.client import LLMClient, usage_totals
from extractor.llm.tasks import (
    TABLE3_PROMPT,
    llm_prose_figures,
    row_model,
    row_snippet,
    row_total_checks,
)
from extractor.settings import Settings
from extractor.template import APPLICANT_COLUMNS, application_rows
from tests.llm_fixtures import gold, report_text

pytestmark = pytest.mark.llm

# Figures the reports state in prose, read by hand from the narrative (each agrees with gold.json).
PROSE_CASES = {
    "003": {"applications_received": 3119, "applications_processed": 3050, "reviews_total": 351,
            "lawsuits_total": 46, "fees_yuan": 3940},
    "010": {"applications_received": 70, "applications_processed": 69, "carried_forward": 1},
    "014": {"applications_received": 154, "applications_processed": 148, "reviews_total": 36,
            "lawsuits_total": 9},
}


def _section3(text: str) -> str:
    start = text.index("三、收到和处理政府信息公开申请情况")
    return text[start: text.index("四、政府信息公开行政复议", start)]


@pytest.mark.parametrize("number", list(PROSE_CASES), ids=list(PROSE_CASES))
def test_prose_figures_exact_and_grounded(local_client: LLMClient, number: str):
    text = report_text(number)
    with local_client.ledger() as calls:
        figures = llm_prose_figures(local_client, text)
    got = {k: v.value for k, v in figures if k != "dropped" and v is not None}
    for key, value in PROSE_CASES[number].items():
        assert got.get(key) == value, (key, figures.dropped)
    squashed = "".join(text.split())
    for key, fig in figures:
        if key != "dropped" and fig is not None:
            assert fig.quote in squashed and str(int(fig.value)) in fig.quote
    assert calls and all(c.prompt_id.startswith("prose_figures.v1") for c in calls)
    assert all(c.prompt_tokens > 0 and c.completion_tokens > 0 for c in calls if c.outcome == "ok")


def test_reask_repairs_a_deliberately_broken_answer(local_client: LLMClient):
    """Start the loop from a wrong answer (本年新收 总计 3119 mistyped as 3118): the row-total
    check fails, the re-ask carries that answer and the numbered failed check, and the model's
    new answer must be the printed row."""
    labels = {k: application_rows("2021")[k] for k in ("new_received", "carried_over")}
    model = row_model("RowGroup1", list(labels), 7)
    expected = {k: gold("003")["applications"][k] for k in labels}
    checks = row_total_checks(labels, 7)
    broken = model(**{**expected, "new_received": expected["new_received"][:6] + [3118]})
    assert checks(broken), "the broken answer must fail the row-total check"
    with local_client.ledger() as calls:
        answer = local_client.ask(
            TABLE3_PROMPT,
            {"section": row_snippet(_section3(report_text("003")), list(labels.values())),
             "columns": "、".join(APPLICANT_COLUMNS),
             "rows": "\n".join(f"- {k}: {v}" for k, v in labels.items())},
            model, checks, first_answer=broken)
    assert answer.model_dump() == expected
    assert [c.prompt_id for c in calls] == ["table3.v1+reask.v1"]
    assert calls[0].outcome == "ok" and calls[0].model and calls[0].latency_s > 0
    assert usage_totals(calls)["reasks"] == 1


def test_session_starts_local_server_lazily_and_stops_it(tmp_path):
    settings = Settings.from_env(env={})
    with open_llm(settings) as client:
        lazy = client._base_url.__self__          # the session's lazy local server
        assert lazy.server is None                # nothing started before the first request
        figures = llm_prose_figures(client, "本年度全区共收到70件申请，及时依法依规办结69件。")
        server = lazy.server
        assert server is not None and server.running()
    assert not server.running()
    assert figures.applications_received is not None and figures.applications_received.value == 70
