"""rules/split.py on small strings: every reading of a row's tokens as N cells, and how a row is
read (forced, settled by its sums, ambiguous, unreadable, absent cells, decimals, plausibility)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from extractor.errors import TooManySplits
from extractor.messages import Lang, msg, render_message
from extractor.rules.split import (
    MAX_PLAUSIBLE,
    Reading,
    enumerate_splits,
    is_count,
    plausible,
    read_cells,
)
from extractor.rules.tokens import row_tokens


def _splits(text: str, n: int, **kw: Any) -> list[list[Any]]:
    return [[p.value for p in c] for c in enumerate_splits(row_tokens(text, 0, len(text)), n, **kw)]


def _note(r: Reading, lang: Lang = "en") -> str:
    """The reading's note as the reviewer reads it."""
    return render_message(r.note, lang, strict=True)


def _read(text: str, n: int, **kw: Any) -> Reading:
    return read_cells(row_tokens(text, 0, len(text)), n, **kw)


def _values(r: Reading) -> list[Any] | None:
    return None if r.chosen is None else [p.value for p in r.chosen]


def _total(v: list[Any]) -> bool:
    """The last cell is the sum of the others (表三's 总计, 表四's 总计)."""
    return sum(v[:-1]) == v[-1]


# ---- enumerate_splits


def test_every_cut_of_a_run_in_order() -> None:
    assert _splits("123", 2) == [[1, 23], [12, 3]]
    assert _splits("123", 3) == [[1, 2, 3]]
    assert _splits("123", 4) == []


def test_no_piece_starts_with_a_zero() -> None:
    # '05' is never printed: 105 as two numbers is only 10 and 5
    assert _splits("105", 2) == [[10, 5]]
    assert _splits("100", 2) == [[10, 0]]
    assert _splits("100", 3) == [[1, 0, 0]]


def test_separate_tokens_are_never_merged_and_cells_never_cut() -> None:
    assert _splits("1 23", 2) == [[1, 23]]
    assert _splits("1 23", 3) == [[1, 2, 3]]
    assert _splits("x\t123\t4", 3) == []        # a grid cell is one number
    assert _splits("x\t123\t4", 2) == [[123, 4]]


def test_a_minus_sign_stays_with_the_first_piece_and_decimals_with_the_last() -> None:
    assert _splits("-720", 2) == [[-7, 20], [-72, 0]]
    assert _splits("123.5", 2) == [[1, Decimal("23.5")], [12, Decimal("3.5")]]


def test_blanks_count_as_one_cell_each() -> None:
    assert _splits("— 12", 3) == [[0, 1, 2]]


def test_too_many_readings_raise() -> None:
    with pytest.raises(TooManySplits):
        list(enumerate_splits(row_tokens("1" * 30, 0, 30), 12, limit=1000))


# ---- read_cells


def test_numbers_printed_apart_are_taken_as_printed_even_when_the_sum_breaks() -> None:
    r = _read("5 7 13", 3, sums=_total)
    assert (r.status, _values(r), r.forced) == ("ok", [5, 7, 13], True)
    assert [p.method for p in r.chosen or []] == ["text_token"] * 3


def test_a_run_with_one_reading_is_forced() -> None:
    r = _read("123", 3)
    assert (r.status, _values(r), r.forced) == ("ok", [1, 2, 3], True)
    assert [p.method for p in r.chosen or []] == ["split_run"] * 3


def test_a_glued_run_settled_by_its_sum() -> None:
    # '10515' as three cells with 总计 last: only 10/5/15 adds up
    r = _read("10515", 3, sums=_total)
    assert (r.status, _values(r), r.forced) == ("ok", [10, 5, 15], False)
    assert [(p.start, p.end) for p in r.chosen or []] == [(0, 2), (2, 3), (3, 5)]


def test_several_readings_that_add_up_are_ambiguous_and_listed() -> None:
    r = _read("11213", 3, sums=_total)
    assert r.status == "ambiguous" and r.chosen is None
    assert [[p.value for p in c] for c in r.candidates or []] == [[1, 12, 13], [11, 2, 13]]
    assert _note(r) == "the glued digits '11213' can be read 2 ways: 1/12/13; 11/2/13"
    assert _note(r, "zh") == "连写数字“11213”有 2 种读法：1/12/13；11/2/13"


def test_no_reading_that_adds_up_is_unreadable() -> None:
    r = _read("999", 3, sums=_total, sums_said=msg("sums_row_total"))
    assert (r.status, r.chosen) == ("unreadable", None)
    assert r.note is not None and r.note["code"] == "no_reading_satisfies"
    assert _note(r) == "no reading of the printed digits '999' satisfies the row total (总计 = sum of six columns)"
    assert _note(r, "zh") == "印出的数字“999”没有一种读法满足行合计（总计 = 六列之和）"


def test_more_numbers_than_cells_or_too_few_digits_are_unreadable() -> None:
    r = _read("1 2 3 4", 3)
    assert r.status == "unreadable" and _note(r) == "4 numbers found where there are 3 cells"
    r = _read("12 3", 4)
    assert r.status == "unreadable" and _note(r) == "only 3 digits for 4 cells"


def test_blank_marks_are_printed_zeros() -> None:
    r = _read("0 无 —", 3)
    assert (r.status, _values(r)) == ("ok", [0, 0, 0])
    assert [p.method for p in r.chosen or []] == ["text_token", "blank_cell", "blank_cell"]


def test_fewer_cells_than_the_row_are_absent_not_printed_zeros() -> None:
    r = _read("0 0", 7)
    assert r.status == "blank"
    assert [p.method for p in r.chosen or []] == ["blank_cell"] * 2 + ["absent_cell"] * 5
    assert "not read as 0 unless the sums say so" in _note(r)
    r = _read("", 7)
    assert r.status == "blank" and [p.method for p in r.chosen or []] == ["absent_cell"] * 7
    # seven empty grid cells are seven printed blanks, none absent
    r = _read("予以公开\t\t\t\t\t\t\t", 7)
    assert r.status == "ok" and [p.method for p in r.chosen or []] == ["blank_cell"] * 7


def test_a_short_row_holding_a_non_zero_is_unreadable_not_padded() -> None:
    r = _read("0 3", 7)
    assert r.status == "unreadable" and r.chosen is None


@pytest.mark.parametrize("printed", ["9.8", "0.5", "22.0"])
def test_a_decimal_where_a_count_belongs_is_unreadable(printed: str) -> None:
    r = _read(f"x\t{printed}\t1", 2)
    assert r.status == "unreadable" and "decimal point" in _note(r)


def test_decimals_are_kept_where_the_caller_allows_them() -> None:
    r = _read("x\t9.8\t1", 2, valid=lambda v: all(plausible(x) for x in v))
    assert (r.status, _values(r)) == ("ok", [Decimal("9.8"), 1])


def test_a_figure_no_report_holds_is_unreadable() -> None:
    r = _read(f"x\t{MAX_PLAUSIBLE}", 1)
    assert r.status == "unreadable" and "larger than any figure" in _note(r)
    # the same digits in running text: no reading gives a plausible count
    r = _read(str(MAX_PLAUSIBLE), 1)
    assert r.status == "unreadable" and _note(r).endswith("gives values a cell can hold")
    assert _values(_read(str(MAX_PLAUSIBLE - 1), 1)) == [MAX_PLAUSIBLE - 1]


def test_a_garbled_cell_makes_the_row_unreadable() -> None:
    r = _read("x\t<b>2\t1", 2)
    assert r.status == "unreadable" and "neither a number" in _note(r)


def test_thousands_separator_in_a_cell_is_one_number() -> None:
    r = _read("予以公开\t1,234\t0\t1,234", 3)
    assert r.status == "ok" and _values(r) == [1234, 0, 1234]


def test_thousands_separator_in_running_text_is_settled_by_the_sums() -> None:
    # '1,234' in running text could be one number or two cells separated by a comma
    r = _read("1,234 235", 3, sums=_total)
    assert r.status == "ok" and _values(r) == [1, 234, 235]
    r = _read("1,234 0 1,234", 3, sums=_total)
    assert r.status == "ok" and _values(r) == [1234, 0, 1234]
    # not a thousands group: never '1,234' and '5'
    assert _values(_read("1,2345", 2)) == [1, 2345]


# ---- value checks


@pytest.mark.parametrize("v,count", [(0, True), (12, True), (-1, False), (Decimal("9.0"), False),
                                     (MAX_PLAUSIBLE - 1, True), (MAX_PLAUSIBLE, False)])
def test_is_count(v: Any, count: bool) -> None:
    assert is_count(v) is count


@pytest.mark.parametrize("v,ok", [(-72, True), (Decimal("7539.44"), True), (MAX_PLAUSIBLE, False),
                                  (-MAX_PLAUSIBLE, False)])
def test_plausible(v: Any, ok: bool) -> None:
    assert plausible(v) is ok
