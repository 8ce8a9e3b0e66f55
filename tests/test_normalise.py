"""Normalisation: compatibility ideographs folded, full-width punctuation kept, offsets kept."""

from __future__ import annotations

import pytest

from extractor.load import load_document
from extractor.normalise import normalise
from extractor.pipeline import extract_bytes
from extractor.settings import Settings
from tests.dev_reports import DEV

SETTINGS = Settings(llm="off")


@pytest.mark.parametrize("report", ["008", "012", "014", "015"])
def test_browser_pdf_text_reads_as_ideographs_with_offsets_into_the_source(report: str) -> None:
    # Chromium's text layer writes ⼆ (U+2F06) for 二, ⺠ (U+2EA0) for 民 ...
    source = load_document(DEV / report / "derived-chrome.pdf", SETTINGS).text
    assert "\u2f06" in source or "\u2f00" in source
    norm = normalise(source)
    assert not any(0x2E80 <= ord(c) <= 0x2FDF for c in norm.text)
    assert "本年新收政府信息公开申请数量" in norm.text
    assert "人民政府" in norm.text or "人民" in norm.text
    assert len(norm.origin) == len(norm.text) + 1
    # every character maps back to the source character it came from
    for i, ch in enumerate(norm.text):
        src = source[norm.origin[i]]
        assert ch == src or normalise(src).text.find(ch) >= 0


def test_full_width_punctuation_is_kept_and_only_compatibility_blocks_fold() -> None:
    norm = normalise("（⼀）予以公开，(二)部分公开：⾏政")
    assert norm.text == "（一）予以公开，（二）部分公开：行政"


def test_enclosed_ordinals_read_as_the_template_writes_them() -> None:
    norm = normalise("㈠予以公开 ⒉重复申请 ︵三︶不予公开")
    assert norm.text == "（一）予以公开 2.重复申请 （三）不予公开"
    assert norm.source_span(0, 3) == (0, 1)     # '（一）' is the one source character '㈠'


def test_private_use_code_points_are_kept_and_reported() -> None:
    text = (DEV / "000" / "report.txt").read_text(encoding="utf-8")
    assert "予以公开" in text
    damaged = text.replace("予以公开", "予以\ue0a1开")
    norm = normalise(damaged)
    assert norm.private_use == {"\ue0a1": damaged.count("\ue0a1")}
    r = extract_bytes(damaged.encode("utf-8"), "report.txt", SETTINGS)
    found = [f for f in r.findings if f.rule == "private_use_characters"]
    assert found and "U+E0A1" in found[0].message
    assert r.status == "review" or r.record == extract_bytes(text.encode("utf-8"), "report.txt",
                                                             SETTINGS).record


def test_offsets_stay_exact_over_a_long_text_with_removed_and_expanded_characters() -> None:
    # CRLF line ends removed, entities shrunk, ㈠ expanded: every character still points to its own
    text = (DEV / "000" / "report.txt").read_text(encoding="utf-8")
    source = (text.replace("\n", "\r\n").replace("（一）", "㈠").replace("(一)", "㈠").replace(" ", "&nbsp;") * 20)
    norm = normalise(source)
    assert len(norm.origin) == len(norm.text) + 1 and norm.origin[-1] == len(source)
    assert list(norm.origin) == [norm.origin[k] for k in range(len(norm.origin))]
    for k, ch in enumerate(norm.text):
        src = source[norm.origin[k]]
        assert ch in normalise(src).text or (ch == " " and source.startswith("&nbsp;", norm.origin[k])), \
            (k, ch, src)
    assert all(a <= b for a, b in zip(norm.origin, norm.origin[1:], strict=False))
    assert "㈠" in source
    k = next(k for k in range(len(norm.text)) if source[norm.origin[k]] == "㈠")
    assert norm.text[k:k + 3] == "（一）" and norm.source_span(k, k + 3) == (norm.origin[k], norm.origin[k] + 1)
