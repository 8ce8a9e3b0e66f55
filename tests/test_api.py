"""The review service over HTTP: a real uvicorn server on 127.0.0.1, a real SQLite file, real dev
reports (upload, idempotency, queue, review, history, gold, export-gold, errors, auth)."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
from contextlib import contextmanager
from html import escape
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
import uvicorn
from click.testing import CliRunner

from extractor.cli import main
from extractor.errors import ConfigError
from extractor.normalise import normalise
from extractor.record import parse_record, record_to_dict
from extractor.service.app import check_bind, create_app
from extractor.settings import Settings
from tests.dev_reports import DEV


def gold(report: str) -> dict[str, Any]:
    return record_to_dict(parse_record(json.loads((DEV / report / "gold.json").read_text("utf-8"))))


def report_bytes(report: str) -> tuple[str, bytes]:
    src = json.loads((DEV / report / "source.json").read_text("utf-8"))
    name = src["inputs"][0]
    return name, (DEV / report / name).read_bytes()


def corrupted_000(total: str) -> bytes:
    """Dev report 000 with the 总计 cell of （一）予以公开 (4) printed as `total`.

    "5": a report whose own numbers do not add up (transcribed as printed, flagged, accepted);
    "A": an OCR-style misprint the rules cannot read (the row is unreadable: status review).
    """
    lines = (DEV / "000" / "report.txt").read_text("utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip() in ("(一)予以公开", "（一）予以公开"))
    numbers = [i for i in range(start + 1, start + 20) if lines[i].strip().isdigit()]
    assert lines[numbers[6]].strip() == "4"
    lines[numbers[6]] = total
    return "\n".join(lines).encode("utf-8")


@contextmanager
def live_server(app: Any, **config: Any) -> Iterator[str]:
    """uvicorn serving `app` in a thread on a free loopback port; yields the base URL. `config`:
    further uvicorn.Config options."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", **config))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(db_path=tmp_path / "results.sqlite", llm="off", **overrides)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[httpx.Client, Settings]]:
    settings = make_settings(tmp_path)
    with live_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=120) as client:
        yield client, settings


def assert_error(resp: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


# ---------------------------------------------------------------- upload, idempotency, queue


def test_upload_is_idempotent_across_names_and_upload_kinds(service: tuple[httpx.Client, Settings]) -> None:
    client, _ = service
    name, data = report_bytes("000")
    first = client.post("/v1/extractions", files={"file": (name, data, "text/plain")})
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["created"] is True
    assert body["status"] == "accepted" and body["record"] == gold("000")
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["links"]["page"] == f"/review/{body['id']}"

    again = client.post("/v1/extractions", files={"file": ("renamed.txt", data, "text/plain")})
    assert again.status_code == 200
    assert again.json()["id"] == body["id"] and again.json()["created"] is False

    as_text = client.post("/v1/extractions", json={"text": data.decode("utf-8"), "format": "txt", "name": name})
    assert as_text.status_code == 200
    assert as_text.json()["id"] == body["id"]

    got = client.get(f"/v1/extractions/{body['id']}")
    assert got.status_code == 200
    assert got.json()["record"] == body["record"]


def test_the_same_report_uploaded_at_once_is_extracted_once(service: tuple[httpx.Client, Settings]) -> None:
    client, _ = service
    name, data = report_bytes("012")
    results: list[httpx.Response] = []

    def post() -> None:
        results.append(client.post("/v1/extractions", files={"file": (name, data, "text/html")}))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [200, 200, 200, 201]
    assert len({r.json()["id"] for r in results}) == 1
    assert client.get("/v1/queue", params={"status": "any"}).json()["total"] == 1


def test_real_report_extracts_with_provenance_into_the_source_text(service: tuple[httpx.Client, Settings]) -> None:
    client, _ = service
    name, data = report_bytes("000")
    body = client.post("/v1/extractions", files={"file": (name, data, "text/plain")}).json()
    assert body["status"] != "failed", body["error"]
    assert body["record"]["applications"]["granted"] == gold("000")["applications"]["granted"]
    text = client.get(f"/v1/extractions/{body['id']}/source").json()["text"]
    assert "予以公开" in text
    spanned = [p for p in body["provenance"] if p.get("span")]
    assert len(spanned) == sum(1 for p in body["provenance"] if p["method"] in ("grid_cell", "text_token"))
    for p in spanned:       # the page highlights exactly the printed number
        assert text[p["span"]["start"]:p["span"]["end"]] == str(p["value"]), p
        if p["field"].startswith("applications."):     # and the 表三 row label it was read beside
            label = p["label_span"]
            printed = normalise(text[label["start"]:label["end"]]).text
            assert re.sub(r"\s+", "", printed) == p["label"], p


def test_doubtful_report_is_queued_by_risk_and_leaves_the_queue_when_reviewed(
        service: tuple[httpx.Client, Settings]) -> None:
    client, _ = service
    name, clean = report_bytes("000")
    ok = client.post("/v1/extractions", files={"file": (name, clean, "text/plain")}).json()
    printed = client.post("/v1/extractions", files={"file": ("000-sum.txt", corrupted_000("5"), "text/plain")}).json()
    bad = client.post("/v1/extractions", files={"file": ("000-ocr.txt", corrupted_000("A"), "text/plain")}).json()
    assert len({ok["id"], printed["id"], bad["id"]}) == 3
    assert ok["status"] == "accepted"
    # the report's own sums are off: transcribed as printed, flagged, not a reason for review
    assert printed["status"] == "accepted"
    assert printed["record"]["applications"]["granted"][6] == 5
    assert {f["rule"] for f in printed["findings"]} == {"row_total", "processed_total"}
    assert bad["status"] == "review", bad["reasons"]
    assert "processed_total" in {f["rule"] for f in bad["findings"]}

    queue = client.get("/v1/queue", params={"status": "review"}).json()
    assert [item["id"] for item in queue["items"]] == [bad["id"]]
    assert queue["total"] == 1 and queue["items"][0]["source"].endswith("000-ocr.txt")
    paged = client.get("/v1/queue", params={"status": "any", "limit": 1, "offset": 1}).json()
    assert paged["total"] == 3 and len(paged["items"]) == 1
    everything = client.get("/v1/queue", params={"status": "any"}).json()["items"]
    assert everything[0]["id"] == bad["id"]  # riskiest first
    risks = [item["risk"] for item in everything]
    assert risks == sorted(risks, reverse=True)

    corrected = gold("000")
    review = client.post(f"/v1/extractions/{bad['id']}/review",
                         json={"record": corrected, "reviewer": "张三", "decision": "accept", "note": "A 应为 4"})
    assert review.status_code == 200, review.text
    assert review.json()["findings"] == []
    assert review.json()["review_state"] == "accept"

    assert client.get("/v1/queue", params={"status": "review"}).json()["items"] == []
    reviewed = client.get("/v1/queue", params={"status": "review", "review_state": "accept"}).json()
    assert [item["id"] for item in reviewed["items"]] == [bad["id"]]

    events = client.get(f"/v1/extractions/{bad['id']}/history").json()["events"]
    assert [e["event"] for e in events] == ["extracted", "review"]
    assert events[1]["reviewer"] == "张三" and events[1]["note"] == "A 应为 4"
    changed = {c["field"]: (c["from"], c["to"]) for c in events[1]["changes"]}
    assert changed["applications.granted[0]"] == (bad["record"]["applications"]["granted"][0], 4)
    assert changed["applications.granted[6]"] == (bad["record"]["applications"]["granted"][6], 4)
    assert events[0]["record"] == bad["record"]  # the extraction is never overwritten
    assert client.get(f"/v1/extractions/{bad['id']}").json()["reviewed_record"] == corrected

    g = client.get(f"/v1/extractions/{bad['id']}/gold")
    assert g.status_code == 200
    assert g.json() == gold("000")
    assert list(g.json()) == list(gold("000"))  # FORMAT.md key order


def test_findings_and_reasons_follow_accept_language(service: tuple[httpx.Client, Settings]) -> None:
    client, _ = service
    bad = client.post("/v1/extractions", files={"file": ("000-ocr.txt", corrupted_000("A"), "text/plain")}).json()
    url = f"/v1/extractions/{bad['id']}"
    en = client.get(url, headers={"Accept-Language": "en-US,en;q=0.9"}).json()
    zh = client.get(url, headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).json()
    assert client.get(url).json()["reasons"] == en["reasons"]            # the API's default: English
    assert en["reasons"] == ["表三 （一）予以公开: only 6 digits for 7 cells",
                             "the extracted numbers do not add up: （七）总计 [自然人] 9 ≠ sum of the outcome rows 5",
                             "the extracted numbers do not add up: （七）总计 [总计] 9 ≠ sum of the outcome rows 5"]
    assert zh["reasons"] == ["表三 （一）予以公开：7 个单元格只有 6 位数字",
                             "提取的数字不相加：（七）总计 [自然人] 9 ≠ 各办理结果行之和 5",
                             "提取的数字不相加：（七）总计 [总计] 9 ≠ 各办理结果行之和 5"]
    # every finding carries its code and parameters whatever the language; only the text differs
    assert [(f["code"], f["params"]) for f in en["findings"]] == [(f["code"], f["params"]) for f in zh["findings"]]
    assert [f["code"] for f in zh["findings"]] == ["row_note", "processed_total", "processed_total"]
    assert zh["findings"][0]["params"]["note"] == {"code": "too_few_digits", "params": {"digits": 6, "cells": 7}}
    assert [f["message"] for f in zh["findings"] if f["severity"] == "review"] == zh["reasons"]
    queue = client.get("/v1/queue", headers={"Accept-Language": "zh"}).json()["items"]
    assert [item["reasons"] for item in queue] == [zh["reasons"]]
    # the readings of a run and the checks after a choice speak the same language
    checked = client.post(f"{url}/readings", json={"choices": {}}, headers={"Accept-Language": "zh"}).json()
    assert [f["message"] for f in checked["findings"]] == ["（七）总计 [自然人] 9 ≠ 各办理结果行之和 5",
                                                          "（七）总计 [总计] 9 ≠ 各办理结果行之和 5"]


def test_every_review_is_kept_and_the_latest_gives_the_gold(service: tuple[httpx.Client, Settings]) -> None:
    client, _ = service
    body = client.post("/v1/extractions", files={"file": ("000-edited.txt", corrupted_000("5"), "text/plain")}).json()
    eid = body["id"]
    reject = client.post(f"/v1/extractions/{eid}/review", json={"reviewer": "李四", "decision": "reject"})
    assert reject.status_code == 200, reject.text
    assert_error(client.get(f"/v1/extractions/{eid}/gold"), 409, "not_reviewed")

    as_printed = body["record"]
    inconsistent = client.post(f"/v1/extractions/{eid}/review",
                               json={"record": as_printed, "reviewer": "王五", "decision": "source_inconsistent"})
    assert inconsistent.status_code == 200, inconsistent.text
    assert inconsistent.json()["record"]["source_inconsistencies"] == ["row_total", "processed_total"]
    g = client.get(f"/v1/extractions/{eid}/gold").json()
    assert g["applications"]["granted"][6] == 5
    assert g["source_inconsistencies"] == ["row_total", "processed_total"]

    events = client.get(f"/v1/extractions/{eid}/history").json()["events"]
    assert [e.get("decision") for e in events] == [None, "reject", "source_inconsistent"]
    assert client.get(f"/v1/extractions/{eid}").json()["review_state"] == "source_inconsistent"


def test_review_validates_and_rechecks_the_record(service: tuple[httpx.Client, Settings]) -> None:
    client, _ = service
    eid = client.post("/v1/extractions", files={"file": ("000-edited.txt", corrupted_000("5"), "text/plain")}).json()["id"]
    url = f"/v1/extractions/{eid}/review"

    short_row = gold("000")
    short_row["applications"]["granted"] = [4, 0, 0, 0, 0, 4]
    err = assert_error(client.post(url, json={"record": short_row, "reviewer": "a", "decision": "accept"}),
                       422, "invalid_record")
    assert any("granted" in d["loc"] for d in err["details"])

    unknown_key = {**gold("000"), "extra": 1}
    assert_error(client.post(url, json={"record": unknown_key, "reviewer": "a", "decision": "accept"}),
                 422, "invalid_record")

    still_wrong = gold("000")
    still_wrong["applications"]["granted"][6] = 5
    err = assert_error(client.post(url, json={"record": still_wrong, "reviewer": "a", "decision": "accept"}),
                       422, "checks_failed")
    assert {f["rule"] for f in err["details"]["findings"]} == {"row_total", "processed_total"}
    assert "applications.granted[6]" in err["details"]["findings"][0]["cells"]

    assert_error(client.post(url, json={"record": gold("000"), "reviewer": "a", "decision": "source_inconsistent"}),
                 422, "checks_pass")
    assert_error(client.post(url, json={"record": gold("000"), "reviewer": "a", "decision": "maybe"}), 422)
    assert_error(client.post(url, json={"record": gold("000"), "reviewer": "", "decision": "accept"}), 422)
    assert_error(client.post(url, json={"reviewer": "a", "decision": "accept"}), 422, "invalid_review")
    assert client.get(f"/v1/extractions/{eid}/history").json()["events"][1:] == []  # nothing stored


def test_export_gold_writes_eval_folders(service: tuple[httpx.Client, Settings], tmp_path: Path) -> None:
    client, settings = service
    data = corrupted_000("5")
    eid = client.post("/v1/extractions", files={"file": ("000-edited.txt", data, "text/plain")}).json()["id"]
    assert client.post(f"/v1/extractions/{eid}/review",
                       json={"record": gold("000"), "reviewer": "张三", "decision": "accept"}).status_code == 200
    # a report reviewed as not a report at all is not gold
    other = client.post("/v1/extractions", json={"text": "这不是年度报告。", "format": "txt", "name": "note"}).json()
    assert client.post(f"/v1/extractions/{other['id']}/review",
                       json={"reviewer": "张三", "decision": "reject"}).status_code == 200

    out = tmp_path / "gold-out"
    (out / "000").mkdir(parents=True)  # an existing eval folder is never overwritten
    (out / "000" / "gold.json").write_text("{}", "utf-8")
    run = CliRunner().invoke(main, ["export-gold", "--db", str(settings.db_path), "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert (out / "000" / "gold.json").read_text("utf-8") == "{}"
    folder = out / "001"
    assert json.loads((folder / "gold.json").read_text("utf-8")) == gold("000")
    source = json.loads((folder / "source.json").read_text("utf-8"))
    assert source["extraction_id"] == eid and source["decision"] == "accept" and source["reviewer"] == "张三"
    assert source["inputs"] == ["000-edited.txt"]
    assert (folder / "000-edited.txt").read_bytes() == data
    assert sorted(p.name for p in out.iterdir()) == ["000", "001"]

    again = CliRunner().invoke(main, ["export-gold", "--db", str(settings.db_path), "--out", str(out)])
    assert again.exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["000", "001"]  # same report, same folder


def test_reports_from_extractor_run_are_reviewable(tmp_path: Path) -> None:
    """The service works over the database `extractor run` writes: queue, source text from the path."""
    report = DEV / "010" / "page.txt"
    db = tmp_path / "results.sqlite"
    run = CliRunner().invoke(main, ["run", str(report), "--db", str(db), "--llm", "off", "--workers", "1",
                                    "--no-crosscheck", "-q"])
    assert run.exit_code == 0, run.output
    with live_server(create_app(make_settings(tmp_path))) as url, httpx.Client(base_url=url, timeout=60) as client:
        queue = client.get("/v1/queue", params={"status": "any"}).json()
        assert [item["source"] for item in queue["items"]] == [str(report)]
        item = queue["items"][0]
        source = client.get(f"/v1/extractions/{item['id']}/source").json()
        assert source["text"] and "予以公开" in source["text"]
        # the same content uploaded gives the stored result, not a new extraction
        again = client.post("/v1/extractions", files={"file": ("page.txt", report.read_bytes(), "text/plain")})
        assert again.status_code == 200 and again.json()["id"] == item["id"]
        page = client.get(f"/review/{item['id']}")
        assert page.status_code == 200 and 'id="source-text"' in page.text
        missing = client.get("/review/424242")
        assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]


# ---------------------------------------------------------------- errors


def test_errors_have_one_shape_and_the_right_status(service: tuple[httpx.Client, Settings]) -> None:
    client, _ = service
    assert_error(client.get("/v1/extractions/424242"), 404, "not_found")
    assert_error(client.get("/v1/extractions/424242/history"), 404, "not_found")
    assert_error(client.get("/v1/extractions/424242/gold"), 404, "not_found")
    assert_error(client.post("/v1/extractions/424242/review", json={"reviewer": "a", "decision": "reject"}),
                 404, "not_found")
    assert_error(client.get("/v1/no-such-route"), 404, "not_found")
    assert_error(client.delete("/v1/queue"), 405, "method_not_allowed")
    assert_error(client.get("/v1/queue", params={"limit": 0}), 422, "validation_error")
    assert_error(client.get("/v1/queue", params={"status": "bogus"}), 422, "validation_error")
    assert_error(client.get("/v1/extractions/abc"), 422, "validation_error")
    assert_error(client.post("/v1/extractions", content=b"hello", headers={"content-type": "text/plain"}),
                 415, "unsupported_media_type")
    assert_error(client.post("/v1/extractions", content=b"{not json", headers={"content-type": "application/json"}),
                 422, "invalid_json")
    assert_error(client.post("/v1/extractions", json={"text": "x", "format": "exe"}), 422, "validation_error")
    assert_error(client.post("/v1/extractions", files={"other": ("a.txt", b"x", "text/plain")}), 422,
                 "invalid_upload")
    assert_error(client.post("/v1/extractions", files={"file": ("a.txt", b"", "text/plain")}), 422, "empty_upload")
    eid = client.post("/v1/extractions", files={"file": ("000-edited.txt", corrupted_000("5"), "text/plain")}).json()["id"]
    assert_error(client.get(f"/v1/extractions/{eid}/gold"), 409, "not_reviewed")
    assert_error(client.post(f"/v1/extractions/{eid}/review", content=b"[]",
                             headers={"content-type": "application/json"}), 422, "validation_error")


def test_upload_over_the_limit_is_refused(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, max_upload_bytes=4000)
    name, data = report_bytes("000")
    assert len(data) > 4000
    with live_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=60) as client:
        err = assert_error(client.post("/v1/extractions", files={"file": (name, data, "text/plain")}),
                           413, "payload_too_large")
        assert "EXTRACTOR_MAX_UPLOAD_BYTES" in err["message"]
        assert_error(client.post("/v1/extractions", json={"text": data.decode("utf-8"), "format": "txt"}),
                     413, "payload_too_large")

        # a body far over the limit is refused from its Content-Length, before it is read
        big = b"x" * (3 * 4000 + 2 * 1024 * 1024)
        assert_error(client.post("/v1/extractions", files={"file": ("big.txt", big, "text/plain")}),
                     413, "payload_too_large")

        # and without a Content-Length (chunked), while it is read
        def chunks() -> Iterator[bytes]:
            for _ in range(40):
                yield b"y" * 65536

        assert_error(client.post("/v1/extractions", content=chunks(), headers={"content-type": "application/json"}),
                     413, "payload_too_large")
        assert client.get("/v1/queue", params={"status": "any"}).json()["total"] == 0


# ---------------------------------------------------------------- auth


def test_token_is_required_on_every_request_when_set(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, api_token="s3cret-token")
    with live_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=60) as client:
        err = assert_error(client.get("/v1/queue"), 401, "unauthorized")
        assert "Authorization: Bearer" in err["message"]
        assert client.get("/v1/queue").headers["www-authenticate"] == "Bearer"
        assert_error(client.get("/v1/queue", headers={"Authorization": "Bearer wrong"}), 401, "unauthorized")
        assert_error(client.get("/openapi.json"), 401, "unauthorized")
        assert_error(client.get("/docs", headers={"Accept": "application/json"}), 401, "unauthorized")
        assert_error(client.post("/v1/extractions", json={"text": "x", "format": "txt"}), 401, "unauthorized")
        assert_error(client.get("/v1/extractions/1"), 401, "unauthorized")  # no hint whether it exists

        auth = {"Authorization": "Bearer s3cret-token"}
        assert client.get("/v1/queue", headers=auth).status_code == 200
        assert client.get("/openapi.json", headers=auth).status_code == 200
        docs = client.get("/docs", headers=auth)
        assert docs.status_code == 200 and "Authorization: Bearer" in docs.text
        assert_error(client.get("/v1/extractions/1", headers=auth), 404, "not_found")

        # the pages: redirected to the login form, then a session cookie
        page = client.get("/review/1")
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        page = client.get("/docs")
        assert page.status_code == 303 and page.headers["location"] == "/login?next=/docs"
        assert client.get("/static/review.js").status_code == 200
        bad = client.post("/login", data={"token": "nope", "next": "/review"})
        assert bad.status_code == 401
        good = client.post("/login", data={"token": "s3cret-token", "next": "/review"})
        assert good.status_code == 303 and good.headers["location"] == "/review"
        assert "extractor_session" in client.cookies
        assert "s3cret-token" not in client.cookies["extractor_session"]
        assert client.get("/review").status_code == 200
        assert client.get("/v1/queue").status_code == 200
        # the session cookie is not honoured from another site
        assert_error(client.post("/v1/extractions", json={"text": "x", "format": "txt"},
                                 headers={"Origin": "http://evil.example"}), 403, "forbidden")


def test_no_token_no_listening_beyond_loopback(tmp_path: Path) -> None:
    open_settings = make_settings(tmp_path)
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.5"):
        check_bind(host, open_settings)
    for host in ("0.0.0.0", "192.168.1.20", "::", "example.org"):
        with pytest.raises(ConfigError, match="EXTRACTOR_API_TOKEN"):
            check_bind(host, open_settings)
        for weak in ("t", "0123456789abcde", " 0123456789abcde "):   # under 16 characters
            with pytest.raises(ConfigError, match="EXTRACTOR_API_TOKEN needs at least 16"):
                check_bind(host, make_settings(tmp_path, api_token=weak))
        with pytest.raises(ConfigError, match="without an API token"):
            check_bind(host, make_settings(tmp_path, api_token=" "))
        check_bind(host, make_settings(tmp_path, api_token="0123456789abcdef"))
    for token in ("", " ", "short-token"):
        run = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--db", str(tmp_path / "x.sqlite")],
                                 env={"EXTRACTOR_API_TOKEN": token})
        assert run.exit_code == 2
        assert "EXTRACTOR_API_TOKEN" in run.output
        assert not (tmp_path / "x.sqlite").exists()


def test_openapi_document_lists_the_api(service: tuple[httpx.Client, Settings]) -> None:
    client, _ = service
    doc = client.get("/openapi.json").json()
    paths = doc["paths"]
    for path in ("/v1/extractions", "/v1/extractions/{extraction_id}", "/v1/queue",
                 "/v1/extractions/{extraction_id}/review", "/v1/extractions/{extraction_id}/history",
                 "/v1/extractions/{extraction_id}/gold"):
        assert path in paths, path
    content = paths["/v1/extractions"]["post"]["requestBody"]["content"]
    assert set(content) == {"multipart/form-data", "application/json"}
    assert not any(p.startswith("/review") for p in paths)
    # every error is documented with the one shape the service sends (422 included)
    for path, ops in paths.items():
        for method, op in ops.items():
            for code, resp in op["responses"].items():
                if code[0] in "45":
                    ref = resp["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorOut"), (method, path, code)


def test_docs_page_documents_every_operation_offline(service: tuple[httpx.Client, Settings]) -> None:
    """README promises /docs: the reference is served by the service itself (no CDN, no script),
    from the same OpenAPI document, with every operation, its parameters and every schema."""
    client, _ = service
    doc = client.get("/openapi.json").json()
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<script" not in html and "cdn" not in html.lower() and "https://" not in html
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert f"{method.upper()}</span> <code>{escape(path)}</code>" in html, (method, path)
            for param in op.get("parameters", []):
                assert f"<code>{param['name']}</code>" in html
    for name in doc["components"]["schemas"]:
        assert f'id="schema-{name}"' in html, name
    # the queue's filters and the upload's two body types are spelled out
    assert "<code>review_state</code>" in html and "<code>multipart/form-data</code>" in html
    assert 'href="/openapi.json"' in html


def test_commands_are_documented() -> None:
    for cmd in ("serve", "export-gold"):
        run = CliRunner().invoke(main, [cmd, "--help"])
        assert run.exit_code == 0 and "--db" in run.output
