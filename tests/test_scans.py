"""Scanned reports through real OCR (rapidocr on onnxruntime): the dev scans, and PDFs made from
them that are part text layer, part picture, end to end through `extractor extract` (slow: once
per module), single page images elsewhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from extractor.cli import main
from extractor.load import load_bytes
from extractor.pipeline import extract_bytes
from extractor.record import cell_values
from extractor.settings import Settings
from tests.dev_reports import DEV
from tests.mixed_pdfs import original, pages_mixed, ruled_tables, scanned_reports, tables_covered, tables_pictured

pytest.importorskip("rapidocr_onnxruntime", reason="OCR is not installed: run scripts/setup.sh")

SCANS = sorted(DEV.glob("*/derived-scan.pdf"))
SETTINGS = Settings(llm="off", ocr_cache=False)


def _gold(path: Path) -> dict[str, Any]:
    return json.loads((path.parent / "gold.json").read_text(encoding="utf-8"))


def page_png(pdf: Path, page: int) -> bytes:
    """One page of a scanned PDF as the PNG a scanner would give (its own pixels, 96 dpi here)."""
    import io

    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf.read_bytes())
    try:
        p = doc[page - 1]
        img = p.render(scale=1252 / p.get_width(), grayscale=True).to_pil()
        p.close()
    finally:
        doc.close()
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every dev scan through `extractor extract --provenance` (JSON Lines), by report; OCR'd here
    (an empty cache), not taken from an earlier run."""
    cache = tmp_path_factory.mktemp("ocr-cache")
    result = CliRunner().invoke(main, ["extract", "--llm", "off", "--provenance", *map(str, SCANS)],
                                # the per-input limit (120 s) is not what this tests: 2 shared cores
                                env={"EXTRACTOR_CACHE_DIR": str(cache), "EXTRACTOR_FILE_TIMEOUT_S": "900"})
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    return {Path(r["source"]).parent.name: r for r in rows}


def _exact_or_named(r: dict[str, Any], gold: dict[str, Any]) -> None:
    """Accepted only when exact; in review, every cell that differs from the gold is named by a
    finding; a broken sum is called printed in the report only over OCR reads that agree."""
    assert r["status"] in ("accepted", "review"), r["error"]
    by_field = {p["field"]: p for p in r["provenance"]}
    for f in r["findings"]:
        if f["severity"] == "source":
            for cell in f["cells"]:
                ocr = by_field[cell]["ocr"]
                assert ocr is None or ocr["agreed"] and ocr["confidence"] >= 0.7, (cell, ocr)
    if r["status"] == "accepted":
        assert r["record"] == gold
        return
    flagged = {c for f in r["findings"] if f["severity"] in ("review", "source") for c in f["cells"]}
    got, want = cell_values(r["record"]), cell_values(gold)
    for field, value in want.items():
        if got.get(field) != value:
            assert field in flagged or any(field.startswith(c) for c in flagged if "[" not in c), (
                f"{field}: OCR gave {got.get(field)!r}, gold {value!r}, and no review finding names it")


@pytest.mark.parametrize("path", SCANS, ids=[p.parent.name for p in SCANS])
def test_scan_is_exact_or_names_every_cell_it_could_not_confirm(path: Path, extracted) -> None:
    r = extracted[path.parent.name]
    assert r["format"] == "scan"
    _exact_or_named(r, _gold(path))


@pytest.mark.parametrize("path", SCANS, ids=[p.parent.name for p in SCANS])
def test_scan_cells_are_read(path: Path, extracted) -> None:
    """At least 97 % of a scan's cells right (the issue's goal), its agency and year read."""
    r = extracted[path.parent.name]
    got, want = cell_values(r["record"]), cell_values(_gold(path))
    right = sum(1 for k, v in want.items() if got.get(k) == v)
    assert right / len(want) >= 0.97, f"{right}/{len(want)}"
    assert r["record"]["organization"] == _gold(path)["organization"]
    assert r["record"]["year"] == _gold(path)["year"]


@pytest.mark.parametrize("path", SCANS, ids=[p.parent.name for p in SCANS])
def test_ocr_numbers_carry_their_box_and_reads(path: Path, extracted) -> None:
    r = extracted[path.parent.name]
    read = [p for p in r["provenance"] if p["span"] is not None]
    assert read
    for p in read:
        assert p["box"] is not None, p["field"]
        box = p["box"]
        assert box["page"] >= 1 and 0 <= box["x0"] < box["x1"] and 0 <= box["y0"] < box["y1"]
        assert p["ocr"] is not None and p["ocr"]["reads"], p["field"]
    # every page is accounted for, the prose pages skipped, with seconds
    pages = r["ocr_pages"]
    assert [p["page"] for p in pages] == list(range(1, len(pages) + 1))
    assert any(p["read"] == "tables" for p in pages) and any(p["read"] == "skipped" for p in pages)
    assert all(p["seconds"] > 0 for p in pages)


def test_printed_inconsistency_needs_agreeing_reads(extracted) -> None:
    """dev/001 prints 表四 totals that do not add up. From a scan that is called printed in the
    report only when every cell of the broken sum was read twice alike; otherwise review."""
    r = extracted["001"]
    by_field = {p["field"]: p for p in r["provenance"]}
    for f in r["findings"]:
        if f["severity"] == "source":
            for cell in f["cells"]:
                ocr = by_field[cell]["ocr"]
                assert ocr["agreed"] and ocr["confidence"] >= 0.7, (cell, ocr)
    assert set(r["record"]["source_inconsistencies"]) <= set(_gold(SCANS[0])["source_inconsistencies"])


def test_table2_page_image_reads_the_lone_digit() -> None:
    """dev/003 page 3 as a PNG: 表二's 规章 row prints a lone '1' that whole-page detection missed;
    read cell by cell it is there, twice alike, with its box on the page."""
    data = page_png(DEV / "003" / "derived-scan.pdf", 3)
    doc = load_bytes(data, "page3.png", SETTINGS)
    assert doc.format == "image"
    row = next(line for line in doc.text.split("\n") if line.startswith("规章\t"))
    assert row.split("\t")[1:] == ["1", "0", "11"]
    start = doc.text.index(row) + len("规章\t")
    reading = doc.ocr_at(start, start + 1)
    assert reading is not None and reading.agreed and reading.reads == ["1", "1"]
    box = doc.box_at(start, start + 1)
    assert box is not None and box.page == 1 and box.x1 - box.x0 < 200


def test_page_without_a_table_fails_clearly() -> None:
    """A prose page: OCR reads its text, finds no report tables, and the item fails saying so."""
    r = extract_bytes(page_png(DEV / "003" / "derived-scan.pdf", 2), "prose.png", SETTINGS)
    assert r.status == "failed"
    assert "no report tables found" in (r.error or "")
    assert [p.read for p in r.ocr_pages] == ["text"]


def test_blank_image_fails_clearly() -> None:
    from io import BytesIO

    from PIL import Image

    buf = BytesIO()
    Image.new("L", (800, 1100), 255).save(buf, "PNG")
    r = extract_bytes(buf.getvalue(), "blank.png", SETTINGS)
    assert r.status == "failed"
    assert "OCR found no text" in (r.error or "")


def test_a_scan_is_read_once(tmp_path: Path) -> None:
    """OCR'd documents are cached by content: the second load of the same page (under another
    name) gives the same document without reading it again."""
    import time

    data = page_png(DEV / "003" / "derived-scan.pdf", 3)
    settings = Settings(llm="off", cache_dir=tmp_path)
    first = load_bytes(data, "a.png", settings)
    started = time.perf_counter()
    again = load_bytes(data, "b.png", settings)
    assert time.perf_counter() - started < 1.0
    assert again.source == "b.png"
    assert again.model_dump(exclude={"source"}) == first.model_dump(exclude={"source"})
    assert len(list((tmp_path / "ocr").glob("*.json"))) == 1


def test_uploaded_page_image_shows_each_number_in_its_box(tmp_path: Path) -> None:
    """A page image uploaded to the service: the numbers OCR read carry their boxes, and the page
    served for the review page shows ink inside each box (the reviewer sees the printed number)."""
    import io

    import httpx
    from PIL import Image

    from extractor.service.app import create_app
    from tests.test_api import live_server

    settings = Settings(db_path=tmp_path / "results.sqlite", llm="off", cache_dir=tmp_path / "cache")
    data = page_png(DEV / "003" / "derived-scan.pdf", 3)
    with live_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=300) as api:
        made = api.post("/v1/extractions", files={"file": ("page3.png", data, "image/png")}).json()
        assert made["format"] == "image" and made["status"] == "review"   # one page: no 表三
        active = [p for p in made["provenance"] if p["field"].startswith("active_disclosure.") and p["box"]]
        assert {p["field"] for p in active} >= {"active_disclosure.rules.issued", "active_disclosure.licensing_decisions"}
        boxes = api.get(f"/v1/extractions/{made['id']}/pages/1/boxes", params={"dpi": 150}).json()
        image = Image.open(io.BytesIO(api.get(boxes["image"]).content)).convert("L")
        assert image.size == Image.open(io.BytesIO(data)).size
        shown = {b["field"]: b for b in boxes["boxes"]}
        for p in active:
            b = shown[p["field"]]
            inside = image.crop((int(b["x0"]), int(b["y0"]), int(b["x1"]) + 1, int(b["y1"]) + 1))
            assert sum(1 for v in inside.get_flattened_data() if v < 128) > 10, p["field"]
        text = api.get(f"/v1/extractions/{made['id']}/source").json()["text"]
        made_cell = next(p for p in active if p["field"] == "active_disclosure.rules.issued")
        assert text[made_cell["span"]["start"]:made_cell["span"]["end"]] == "1"


# ---- PDFs that are part text layer, part picture (made here from the dev reports and their scans)

MIXED = [(d, kind) for d in scanned_reports() for kind in ("pages", "pictures")]
MIXED_IDS = [f"{d.name}-{kind}" for d, kind in MIXED]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict[str, Any], list[int]]]:
    """Each mixed PDF (its table pages from the scan; or one page's tables as pictures) through
    `extractor extract --provenance`, with the pages that have no text layer; OCR'd here."""
    folder = tmp_path_factory.mktemp("mixed")
    made: dict[str, list[int]] = {}
    for d, kind in MIXED:
        if kind == "pages":
            data, pages = pages_mixed(d)
        else:
            data, page = tables_pictured(d)
            pages = [page]
        (folder / f"{d.name}-{kind}.pdf").write_bytes(data)
        made[f"{d.name}-{kind}"] = pages
    result = CliRunner().invoke(main, ["extract", "--llm", "off", "--provenance",
                                       *sorted(str(p) for p in folder.glob("*.pdf"))],
                                env={"EXTRACTOR_CACHE_DIR": str(folder / "cache"), "EXTRACTOR_FILE_TIMEOUT_S": "900"})
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    return {Path(r["source"]).stem: (r, made[Path(r["source"]).stem]) for r in rows}


@pytest.mark.parametrize("case", MIXED_IDS)
def test_mixed_pdf_is_exact_or_names_every_cell_it_could_not_confirm(case: str, mixed) -> None:
    r, _ = mixed[case]
    assert r["format"] == "pdf"
    _exact_or_named(r, _gold(DEV / case[:3] / "gold.json"))


@pytest.mark.parametrize("case", MIXED_IDS)
def test_mixed_pdf_ocrs_only_what_has_no_text_layer(case: str, mixed) -> None:
    """Only the pages (or pictures) without a text layer are read by OCR, each listed with its
    seconds (a picture with its place on the page); their numbers carry OCR reads and boxes in
    page pixels inside that place, the text layer's numbers PDF-point boxes and no OCR reads."""
    r, pages = mixed[case]
    ocr_pages = r["ocr_pages"]
    assert sorted({p["page"] for p in ocr_pages}) == pages
    assert all(p["seconds"] > 0 and p["read"] == "tables" for p in ocr_pages)
    pictured = case.endswith("pictures")
    assert all((p["region"] is not None) == pictured for p in ocr_pages)
    placed = [p for p in r["provenance"] if p["box"] is not None]
    assert {p["box"]["page"] for p in placed if p["ocr"]} == set(pages)
    for p in placed:
        box = p["box"]
        if p["ocr"] is None:
            assert box["page"] not in pages or pictured, p["field"]
            assert box["dpi"] == 72.0, p["field"]
            continue
        assert p["ocr"]["reads"], p["field"]
        around = [o for o in ocr_pages if o["page"] == box["page"]]
        assert any(o["dpi"] == box["dpi"] for o in around), p["field"]
        if pictured:
            assert any(o["region"]["x0"] - 2 <= box["x0"] < box["x1"] <= o["region"]["x1"] + 2
                       and o["region"]["y0"] - 2 <= box["y0"] < box["y1"] <= o["region"]["y1"] + 2
                       for o in around), (p["field"], box)


@pytest.mark.parametrize("folder", scanned_reports(), ids=lambda d: d.name)
def test_pictures_over_a_text_layer_are_not_ocrd(folder: Path) -> None:
    """Pictures of the tables laid over the tables' own text: the text layer is read (no OCR),
    exact."""
    data, _ = tables_covered(folder)
    r = extract_bytes(data, "covered.pdf", SETTINGS)
    assert r.format == "pdf" and r.ocr_pages == []
    assert r.record == _gold(DEV / folder.name / "gold.json")


def test_plan_finds_only_pictures_without_text() -> None:
    """A page's large pictures with no text over them are read by OCR, each on its own; pictures
    under text and small ones (a seal, a logo) are not; a text PDF has nothing to OCR."""
    from extractor.load.regions import plan_ocr

    folder = scanned_reports()[-1]
    data, page = tables_pictured(folder)
    plan = plan_ocr(data)
    assert plan is not None and set(plan.regions) == {page}
    found = plan.on(page)
    tables = ruled_tables(original(folder))[page]
    assert len(found) == len(tables) and not any(r.whole for r in found)
    for r, (x0, top, x1, bottom) in zip(found, tables):
        assert abs(r.x0 - x0) < 2 and abs(r.top - top) < 2 and abs(r.x1 - x1) < 2 and abs(r.bottom - bottom) < 2
    for other in (tables_covered(folder)[0], tables_pictured(folder, shrink=0.2)[0], original(folder).read_bytes()):
        plan = plan_ocr(other)
        assert plan is not None and plan.regions == {}
