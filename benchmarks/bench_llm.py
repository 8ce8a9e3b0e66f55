"""Speed of the local model on real dev reports: tokens/s and latency of a prose-figure call and
of a 表三 row request. Usage: python benchmarks/bench_llm.py [report numbers...]"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from llm_fixtures import report_text

from extractor.llm import open_llm
from extractor.llm.client import usage_totals
from extractor.llm.tasks import llm_prose_figures, llm_table3
from extractor.settings import Settings


def _rates(calls) -> str:  # type: ignore[no-untyped-def]
    u = usage_totals(calls)
    secs = u["seconds"] or 1e-9
    return (f"{u['requests']} req, {u['prompt_tokens']} prompt + {u['completion_tokens']} "
            f"completion tokens, {u['seconds']:.1f}s, {u['completion_tokens'] / secs:.1f} completion tok per request-second, "
            f"re-asks {u['reasks']}")


def main(numbers: list[str]) -> None:
    settings = Settings.from_env()
    t0 = time.monotonic()
    with open_llm(settings) as client:
        for n in numbers:
            text = report_text(n)
            with client.ledger() as calls:
                t = time.monotonic()
                figures = llm_prose_figures(client, text)
                dt = time.monotonic() - t
            found = {k: v.value for k, v in figures if k != "dropped" and v is not None}
            print(f"{n} prose figures: {dt:.1f}s wall; {_rates(calls)}; found {found}")
            if "三、收到和处理" in text:
                a = text.index("三、收到和处理")
                section = text[a: text.find("四、", a + 10)]
                with client.ledger() as calls:
                    t = time.monotonic()
                    table = llm_table3(client, section, "2021", groups=[["granted"]])
                    dt = time.monotonic() - t
                print(f"{n} 表三 row 'granted': {dt:.1f}s wall; {_rates(calls)}; "
                      f"value {table.values.get('granted')} grounded {table.evidence.get('granted') is not None}")
    print(f"total {time.monotonic() - t0:.1f}s including server start "
          f"({settings.local_model} model, {settings.local_server_threads} threads)")


if __name__ == "__main__":
    main(sys.argv[1:] or ["003", "010", "014"])
