"""Page images of paged inputs: every number of a text PDF has the box where it is printed, and the
service serves page N as PNG with the boxes in the image's pixels (real dev PDFs, a real server)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Iterator

import httpx
import pdfplumber
import pytest
from PIL import Image

from extractor.document import PageBox
from extractor.errors import NoSuchPageError, PageImageError
from extractor.load import load_document
from extractor.page_images import PageRenderer
from extractor.pipeline import extract_document
from extractor.service.app import create_app
from extractor.settings import Settings
from tests.dev_reports import dev_cases
from tests.test_api import live_server

TEXT_PDFS = [c for c in dev_cases() if c.path.suffix == ".pdf" and "scan" not in c.path.name]


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit())


@pytest.mark.parametrize("case", TEXT_PDFS, ids=[c.id for c in TEXT_PDFS])
def test_every_number_read_from_a_pdf_has_the_box_it_is_printed_in(case: Any) -> None:
    settings = Settings(llm="off")
    doc = load_document(case.path, settings)
    result = extract_document(doc, settings)
    text = doc.text
    with_span = [p for p in result.provenance if p.span is not None]
    assert with_span, result.reasons
    assert all(p.box is not None for p in with_span), [p.field for p in with_span if p.box is None][:5]
    with pdfplumber.open(case.path) as pdf:
        for p in with_span:
            if p.method == "blank_cell":
                continue  # an empty cell: its frame
            assert p.box is not None and p.span is not None
            page = pdf.pages[p.box.page - 1]
            printed = page.crop((p.box.x0 - 0.5, p.box.y0 - 0.5, p.box.x1 + 0.5, p.box.y1 + 0.5)).extract_text()
            # the page shows, inside the box, the digits the text holds at the number's span
            assert _digits(text[p.span.start:p.span.end]) in _digits(printed), (p.field, printed)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[httpx.Client, dict[str, Any], Settings]]:
    settings = Settings(db_path=tmp_path / "results.sqlite", llm="off")
    pdf = next(c for c in TEXT_PDFS if c.report == "003").path
    with live_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=120) as api:
        made = api.post("/v1/extractions", files={"file": (pdf.name, pdf.read_bytes(), "application/pdf")}).json()
        assert made["status"] == "accepted"
        yield api, made, settings


def test_a_page_is_served_as_png_with_the_boxes_of_its_numbers(served: Any) -> None:
    api, made, _ = served
    eid = made["id"]
    pages = api.get(f"/v1/extractions/{eid}/pages").json()
    assert pages["pages"] == 6 and [p["page"] for p in pages["items"]] == [1, 2, 3, 4, 5, 6]

    prov = {p["field"]: p for p in made["provenance"]}
    total = prov["applications.total_processed[6]"]
    n = total["box"]["page"]
    boxes = api.get(f"/v1/extractions/{eid}/pages/{n}/boxes", params={"dpi": 144}).json()
    assert boxes["dpi"] == 144 and boxes["width"] == 1190 and boxes["height"] == 1684   # A4 at 144 dpi
    assert boxes["pages"] == 6
    box = next(b for b in boxes["boxes"] if b["field"] == "applications.total_processed[6]")
    assert box["value"] == 3050
    assert box["x0"] == pytest.approx(total["box"]["x0"] * 2, abs=0.1)

    resp = api.get(boxes["image"])
    assert resp.status_code == 200 and resp.headers["content-type"] == "image/png"
    assert resp.headers["x-page-dpi"] == "144"
    image = Image.open(io.BytesIO(resp.content)).convert("L")
    assert image.size == (1190, 1684)
    # ink inside the number's box, and paper around it
    inside = image.crop((int(box["x0"]), int(box["y0"]), int(box["x1"]) + 1, int(box["y1"]) + 1))
    assert min(inside.get_flattened_data()) < 100
    assert sum(1 for v in inside.get_flattened_data() if v < 128) > 10

    again = api.get(boxes["image"], headers={"If-None-Match": resp.headers["etag"]})
    assert again.status_code == 304


def test_page_errors_say_what_is_wrong(served: Any) -> None:
    api, made, _ = served
    eid = made["id"]
    missing = api.get(f"/v1/extractions/{eid}/pages/99")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "no_such_page"
    assert "6 pages" in missing.json()["error"]["message"]
    assert api.get(f"/v1/extractions/{eid}/pages/1", params={"dpi": 5000}).status_code == 422
    assert api.get(f"/v1/extractions/{eid + 100}/pages/1").status_code == 404
    html = api.post("/v1/extractions", json={"text": "<html><body><p>无表格</p></body></html>", "format": "html"}).json()
    none = api.get(f"/v1/extractions/{html['id']}/pages/1")
    assert none.status_code == 404 and none.json()["error"]["code"] == "no_pages"


def test_a_huge_page_is_served_at_a_lower_dpi_within_the_pixel_budget() -> None:
    pdf = next(c for c in TEXT_PDFS if c.report == "003").path.read_bytes()
    renderer = PageRenderer(max_pixels=500_000, cache_bytes=1_000_000)
    image = renderer.render(pdf, "sha", 1, 300)
    assert image.size.dpi < 72 and image.size.width * image.size.height <= 501_000
    assert Image.open(io.BytesIO(image.png)).size == (image.size.width, image.size.height)
    with pytest.raises(NoSuchPageError):
        renderer.size(pdf, 7, 100)
    with pytest.raises(PageImageError):
        renderer.count(b"%PDF-1.4 not really a pdf")


def test_a_page_image_is_a_one_page_input_and_its_boxes_scale_by_dpi() -> None:
    pdf = next(c for c in TEXT_PDFS if c.report == "003").path.read_bytes()
    renderer = PageRenderer(max_pixels=20_000_000, cache_bytes=10_000_000)
    scan = renderer.render(pdf, "sha", 2, 150).png   # a page image as a scanner would give it
    assert renderer.count(scan) == 1
    size = renderer.size(scan, 1, 75)
    assert (size.width, size.height) == (620, 878)  # A4 at 75 dpi (the PNG says nothing: 150 assumed)
    assert size.scale(PageBox(page=1, x0=150, y0=300, x1=300, y1=450, dpi=150)) == (75, 150, 150, 225)
