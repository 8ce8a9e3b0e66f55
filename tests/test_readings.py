"""Ranked readings of ambiguous glued runs on the real dev reports: every admissible reading kept,
best first with its evidence, the record filled with the best one and the status untouched; the
report's own prose and the agency's other years as evidence; the API to read and choose them."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from extractor.pipeline import extract_file
from extractor.readings import OtherYear, evidence_text, runs_of, with_other_years
from extractor.record import cell_values
from extractor.service.app import create_app
from extractor.settings import Settings
from tests.dev_reports import DEV, dev_cases
from tests.test_api import gold, live_server

SETTINGS = Settings(llm="off")
GLUED = [c for c in dev_cases() if c.path.suffix == ".txt" and
         any(f.rule == "ambiguous_split" for f in extract_file(c.path, SETTINGS).findings)]


@pytest.mark.parametrize("case", GLUED, ids=[c.id for c in GLUED])
def test_every_ambiguous_run_offers_its_readings_best_first_and_stays_in_review(case: Any) -> None:
    result = extract_file(case.path, SETTINGS)
    assert result.status == "review"          # the ranking never settles a run
    findings = [f for f in result.findings if f.rule == "ambiguous_split"]
    runs = runs_of([f.model_dump() for f in findings])
    assert len(runs) == len(findings) > 0
    prov = {p.field: p for p in result.provenance}
    record = cell_values(result.record)
    for f, run in zip(findings, runs):
        assert run.fields == f.cells
        scores = [r.score for r in run.readings]
        assert scores == sorted(scores, reverse=True)
        assert run.total >= len(run.readings) >= 2
        assert len({tuple(r.values) for r in run.readings}) == len(run.readings)
        # the cells hold the best reading, still marked as a candidate (never as settled)
        assert [record[x] for x in run.fields] == run.readings[0].values
        assert all(prov[x].method == "candidate" for x in run.fields)
        for r in run.readings:
            assert abs(r.score - sum(e.weight for e in r.evidence)) < 1e-6
            assert all(evidence_text(e, "zh") and evidence_text(e, "en") for e in r.evidence)


def test_the_reports_own_prose_is_evidence_for_its_reading() -> None:
    path = DEV / "012" / "page.txt"
    result = extract_file(path, SETTINGS)
    run = runs_of([f.model_dump() for f in result.findings])[0]
    text = path.read_text("utf-8")
    best = run.readings[0]
    prose = [e for e in best.evidence if e.code == "prose"]
    assert prose and prose[0].params["value"] == best.values[0] == 77
    a, b = prose[0].params["span"]
    assert "制发" in text[a:b] and "规范性文件77件" in text[a:b]
    # every reading with that 本年制发 carries the same sentence; the others do not
    for r in run.readings:
        assert any(e.code == "prose" for e in r.evidence) == (r.values[0] == 77)


def test_the_agencys_other_years_move_the_ranking() -> None:
    run = runs_of([f.model_dump() for f in extract_file(DEV / "012" / "page.txt", SETTINGS).findings])[0]
    field = "active_disclosure.normative_documents.in_force"
    # last year's 现行有效 that fits another reading (77 制发, 13 废止, 2470 现行有效: 2406 + 77 - 13)
    other = with_other_years([run], 2023, [OtherYear(year=2022, values={field: 2406})])[0]
    assert other.readings[0].values == [77, 13, 2470]
    assert any(e.code == "last_year" for e in other.readings[0].evidence)
    # the next year's report: 现行有效 this year + 制发 - 废止 next year = 现行有效 next year
    nxt = {field: 500, "active_disclosure.normative_documents.issued": 40,
           "active_disclosure.normative_documents.repealed": 10}
    other = with_other_years([run], 2023, [OtherYear(year=2024, values=nxt)])[0]
    assert other.readings[0].values == [77, 132, 470]
    assert [e.code for e in other.readings[0].evidence if e.weight > 0].count("next_year") == 1


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[httpx.Client, dict[str, Any]]]:
    settings = Settings(db_path=tmp_path / "results.sqlite", llm="off")
    with live_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=120) as api:
        ids = {}
        for report, name in (("014", "page.html"), ("010", "page.txt"), ("012", "page.txt"), ("008", "page.txt")):
            made = api.post("/v1/extractions", files={"file": (name, (DEV / report / name).read_bytes(), "text/plain")})
            ids[report] = made.json()
        yield api, ids


def test_the_api_gives_the_readings_and_takes_a_choice(service: Any) -> None:
    api, ids = service
    eid = ids["012"]["id"]
    assert ids["012"]["status"] == "review" and ids["014"]["status"] == "accepted"
    got = api.get(f"/v1/extractions/{eid}/readings", headers={"Accept-Language": "zh-CN"}).json()
    assert [r["run"] for r in got["runs"]] == ["active_disclosure.normative_documents"]
    run = got["runs"][0]
    assert [r["rank"] for r in run["readings"]] == list(range(1, len(run["readings"]) + 1))
    best = run["readings"][0]
    assert best["values"] == [77, 132, 470]
    # the same agency's 2025 report in the store (现行有效 546) speaks for this size of 现行有效
    assert not any(e["code"] == "nearby_years" for e in best["evidence"])
    far = next(r for r in run["readings"] if r["values"][2] > 5000)
    near = next(e for e in far["evidence"] if e["code"] == "nearby_years")
    assert near["params"]["year"] == 2025 and near["params"]["other_in_force"] == 546
    assert "2025 年现行有效 546 件" in near["text"]
    assert got["record"]["active_disclosure"]["normative_documents"] == {"issued": 77, "repealed": 132, "in_force": 470}

    chosen = api.post(f"/v1/extractions/{eid}/readings", json={"choices": {run["run"]: 2}}).json()
    assert chosen["unchosen"] == [] and chosen["review"] is None
    assert list(chosen["record"]["active_disclosure"]["normative_documents"].values()) == run["readings"][1]["values"]
    assert api.get(f"/v1/extractions/{eid}").json()["review_state"] is None   # nothing stored

    done = api.post(f"/v1/extractions/{eid}/readings", json={
        "choices": {run["run"]: 1}, "reviewer": "queue-bot", "decision": "accept"}).json()
    assert done["checks_pass"] and done["review"]["decision"] == "accept"
    assert cell_values(api.get(f"/v1/extractions/{eid}/gold").json()) == cell_values(gold("012"))


def test_choices_that_cannot_be_made_are_refused(service: Any) -> None:
    api, ids = service
    eid = ids["008"]["id"]
    runs = api.get(f"/v1/extractions/{eid}/readings").json()["runs"]
    assert len(runs) == 7
    url = f"/v1/extractions/{eid}/readings"
    bad = api.post(url, json={"choices": {"applications.granted": 1}})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_run"
    bad = api.post(url, json={"choices": {runs[0]["run"]: len(runs[0]["readings"]) + 1}})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_reading"
    bad = api.post(url, json={"choices": {runs[0]["run"]: 1}, "reviewer": "x", "decision": "accept"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unchosen_runs"
    assert set(bad.json()["error"]["details"]["unchosen"]) == {r["run"] for r in runs[1:]}
    bad = api.post(url, json={"choices": {r["run"]: 1 for r in runs}, "decision": "accept"})
    assert bad.status_code == 422
    assert api.get(f"/v1/extractions/{eid}/history").json()["events"][1:] == []
    none = api.get(f"/v1/extractions/{ids['014']['id']}/readings").json()
    assert none["runs"] == []
