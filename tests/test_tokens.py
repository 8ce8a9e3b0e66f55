"""rules/tokens.py on small strings: which characters of a row are its numbers, blanks and
garbled cells, and where each one is printed."""

from __future__ import annotations

import pytest

from extractor.rules.tokens import Token, has_label_text, row_tokens, trim_empty


def _tokens(text: str, start: int = 0, **kw: bool) -> list[tuple[str, str]]:
    """(kind, text) of every token; each token's offsets must point at its own text."""
    toks = row_tokens(text, start, len(text), **kw)
    for t in toks:
        assert text[t.start:t.end] == t.text, t
    return [(t.kind, t.text) for t in toks]


# ---- grid lines (cells separated by TAB)


def test_grid_line_gives_one_token_per_cell_after_the_label() -> None:
    assert _tokens("（一）予以公开\t12\t0\t\t-\t无\t3") == [
        ("cell", "12"), ("cell", "0"), ("blank", ""), ("blank", "-"), ("blank", "无"), ("cell", "3")]


def test_grid_cells_keep_thousands_separators_and_drop_units() -> None:
    assert _tokens("政府集中采购\t75394432.52元\t12件\t1,234") == [
        ("cell", "75394432.52"), ("cell", "12"), ("cell", "1,234")]


def test_reading_from_just_after_a_label_skips_the_rest_of_its_cell() -> None:
    # read from the middle of a line: ' 4' shares the label's cell, so it is not a value
    assert _tokens("标签 4\t6\t7", start=2) == [("cell", "6"), ("cell", "7")]
    # read from the start of a line, the same cell is a value
    assert _tokens("A\n 4\t6\t7", start=2) == [("cell", "4"), ("cell", "6"), ("cell", "7")]


def test_a_cell_of_broken_markup_is_garbled_not_blank_nor_its_digits() -> None:
    assert _tokens('予以公开\t<p sty>e="x">25\t3') == [("garbled", '<p sty>e="x">25'), ("cell", "3")]


def test_a_cell_holding_two_numbers_is_read_as_running_text() -> None:
    assert _tokens("予以公开\t0 0\t5") == [("run", "0"), ("run", "0"), ("cell", "5")]


def test_a_line_of_empty_cells_without_a_label_gives_nothing() -> None:
    assert _tokens("\t\t\t") == []


# ---- free text


def test_free_text_numbers_are_runs_in_order() -> None:
    assert _tokens("予以公开 12 0 3") == [("run", "12"), ("run", "0"), ("run", "3")]


def test_glued_digits_stay_one_run_for_the_splitter() -> None:
    assert _tokens("一、本年新收政府信息公开申请数量640020470") == [("run", "640020470")]


def test_free_standing_zero_marks_are_blanks_but_words_are_not() -> None:
    assert _tokens("其他 — / 无 5") == [("blank", "—"), ("blank", "/"), ("blank", "无"), ("run", "5")]
    # '无法提供' is a label, and '无' after a bracket starts a wrapped label '（四）无 / 法提供'
    assert _tokens("本机关不掌握相关政府信息 无法提供 1") == [("run", "1")]
    assert _tokens("（四）无 法提供 1 2") == [("run", "1"), ("run", "2")]


def test_a_year_glued_after_the_last_digits_is_text() -> None:
    # '…20000022025年，我局…': the table's last digits, then the next sentence's year
    assert _tokens("0 0 20000022025年，我局继续") == [("run", "0"), ("run", "0"), ("run", "2000002")]
    # a year standing alone is never a value
    assert _tokens("2024年 5 6") == [("run", "5"), ("run", "6")]


def test_negative_change_after_a_number_is_its_own_run() -> None:
    # 2019 template: '88-720' is 88, then -72 and 0 glued (本年增/减 can be negative)
    assert _tokens("88-720") == [("run", "88"), ("run", "-720")]


def test_a_comma_that_is_not_a_thousands_group_separates_numbers() -> None:
    assert _tokens("1,2345") == [("run", "1"), ("run", "2345")]
    assert _tokens("1,234") == [("run", "1,234")]


def test_row_ordinals_and_page_marks_are_not_values() -> None:
    assert _tokens("2、重复申请 25 0") == [("run", "25"), ("run", "0")]
    assert _tokens("1 2 3\n- 3 -\n4 5") == [("run", "1"), ("run", "2"), ("run", "3"), ("run", "4"), ("run", "5")]


def test_stop_at_text_ends_at_the_next_label() -> None:
    text = "1 2 3\n二、上年结转 4 5"
    assert _tokens(text, stop_at_text=True) == [("run", "1"), ("run", "2"), ("run", "3")]
    assert len(_tokens(text)) == 5


# ---- helpers


def test_trim_empty_drops_surplus_empty_cells_at_the_ends_only() -> None:
    toks = row_tokens("x\t\t1\t2\t", 0, 7)
    assert [t.text for t in toks] == ["", "1", "2", ""]
    assert [t.text for t in trim_empty(toks, 2)] == ["1", "2"]
    assert [t.text for t in trim_empty(toks, 3)] == ["1", "2", ""]
    # a printed mark is a cell, never trimmed
    dash = [Token("blank", "-", 0, 1), Token("cell", "1", 2, 3)]
    assert trim_empty(dash, 1) == dash


@pytest.mark.parametrize("s,label", [("予以公开", True), ("Total", True), ("12 0", False), ("— /", False)])
def test_has_label_text(s: str, label: bool) -> None:
    assert has_label_text(s) is label


def test_digits_of_a_token_drop_sign_and_separators() -> None:
    assert Token("run", "-1,234", 0, 6).digits == "1234"
