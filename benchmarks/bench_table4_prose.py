"""How often the local model reads 表四 told in sentences right: on every dev report with a
table4-narrative variant, in its own phrasing and in the phrasings of tests/table4_prose_variants,
the groups it reads exactly, the numbers the grounding keeps (right and wrong) and the time; then
the whole pipeline with the model on: accepted exact, review, or accepted wrong (must be 0).
Usage: python benchmarks/bench_table4_prose.py"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extractor.llm import open_llm
from extractor.llm.client import usage_totals
from extractor.llm.tasks import llm_table4_prose
from extractor.load import load_bytes
from extractor.normalise import normalise
from extractor.pipeline import extract_bytes
from extractor.rules import read_tables
from extractor.settings import Settings
from tests.dev_reports import DEV
from tests.table4_prose_variants import GROUPS, PHRASINGS, with_section4

TABLES = ("active_disclosure", "applications", "review_litigation")


def main() -> None:
    settings = Settings.from_env()
    reports = sorted(p.parent.name for p in DEV.glob("*/derived-variant-table4-narrative.md"))
    exact = groups = kept_right = kept_wrong = 0
    outcomes = {"accepted exact": 0, "review": 0, "accepted wrong": 0}
    with open_llm(settings) as client:
        if client is None:
            raise SystemExit("EXTRACTOR_LLM=off: nothing to measure")
        for n in reports:
            record = json.loads((DEV / n / "gold.json").read_text(encoding="utf-8"))
            gold = record["review_litigation"]
            original = (DEV / n / "derived-variant-table4-narrative.md").read_text(encoding="utf-8")
            texts = {"as published": original,
                     **{name: with_section4(n, f(gold)) for name, f in PHRASINGS.items()}}
            for name, source in texts.items():
                doc = load_bytes(source.encode("utf-8"), "variant.md", settings)
                text = normalise(doc.text).text
                span = read_tables(text, doc.title, doc.source).table4.section_span
                if span is None:
                    print(f"{n} {name}: no section 四 found")
                    continue
                with client.ledger() as calls:
                    t = time.monotonic()
                    got = llm_table4_prose(client, text, *span)
                    dt = time.monotonic() - t
                right = [g for g in GROUPS if got.answer.get(g) == gold[g]]
                ok = sum(1 for (g, c), (v, _) in got.cells.items() if v == gold[g][c])
                exact += len(right)
                groups += len(GROUPS)
                kept_right += ok
                kept_wrong += len(got.cells) - ok
                u = usage_totals(calls)
                print(f"{n} {name:16} groups exact {len(right)}/3 ({', '.join(right) or '-'}); kept "
                      f"{ok} right, {len(got.cells) - ok} wrong of 15 cells; {dt:.1f}s, {u['requests']} "
                      f"requests, {u['prompt_tokens']}+{u['completion_tokens']} tokens")
                r = extract_bytes(source.encode("utf-8"), "variant.md", settings, llm=client)
                same = r.record is not None and all(r.record[k] == record[k] for k in TABLES)
                outcome = "review" if r.status != "accepted" else "accepted exact" if same else "accepted wrong"
                outcomes[outcome] += 1
                model_cells = sum(1 for p in r.provenance if p.method == "llm")
                print(f"{'':20} pipeline: {outcome} ({model_cells} cells from the model)")
    print(f"total: groups read exactly {exact}/{groups}; numbers kept by the grounding "
          f"{kept_right} right, {kept_wrong} wrong ({settings.local_model} model)")
    print("pipeline with the model: " + ", ".join(f"{k} {v}" for k, v in outcomes.items()))


if __name__ == "__main__":
    main()
