"""Enumerate the ways a row's tokens (glued digit runs included) can be read as N numbers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations
from typing import Callable, Iterator, Sequence

from ..errors import TooManySplits
from ..messages import Message, msg
from .tokens import Token

Number = int | Decimal


@dataclass(frozen=True)
class Piece:
    """One number of a row, with where it was printed and how it was read."""

    value: Number
    start: int
    end: int
    method: str  # grid_cell | text_token | split_run | blank_cell | absent_cell


def _parse(s: str) -> Number:
    s = s.replace(",", "")
    return Decimal(s) if "." in s else int(s)


def _valid_piece(s: str) -> bool:
    # a number is never printed with a leading zero ('05'), except '0' itself and '0.x'
    if s.startswith("-"):
        s = s[1:]
        if not s or s == "0":
            return False
    return not (len(s) > 1 and s[0] == "0" and s[1] != ".")


def _cuts(tok: Token, pieces: int) -> Iterator[list[Piece]]:
    """Every way to cut one run token into `pieces` numbers."""
    text = tok.text
    if "," in text:
        # '1,234' in running text: one number with a thousands separator, or numbers separated
        # by commas; the row's sums tell (grid cells are never split)
        parts = text.split(",")
        if pieces == 1:
            yield [Piece(_parse(text), tok.start, tok.end, "text_token")]
        elif pieces == len(parts) and all(p and _valid_piece(p) for p in parts):
            out, pos = [], tok.start
            for part in parts:
                out.append(Piece(_parse(part), pos, pos + len(part), "split_run"))
                pos += len(part) + 1
            yield out
        return
    if pieces == 1:
        if _valid_piece(text):
            yield [Piece(_parse(text), tok.start, tok.end, "text_token")]
        return
    dot = text.find(".")
    # a decimal part belongs to the last piece: cut only inside the integer digits;
    # a minus sign stays with the first piece
    cut_limit = dot if dot >= 0 else len(text)
    first_cut = 2 if text.startswith("-") else 1
    for cuts in combinations(range(first_cut, cut_limit), pieces - 1):
        bounds = (0, *cuts, len(text))
        parts = [text[bounds[i]:bounds[i + 1]] for i in range(pieces)]
        if not all(_valid_piece(p) for p in parts):
            continue
        yield [
            Piece(_parse(parts[i]), tok.start + bounds[i], tok.start + bounds[i + 1], "split_run")
            for i in range(pieces)
        ]


def _max_pieces(tok: Token) -> int:
    if tok.kind != "run":
        return 1
    if "," in tok.text:
        return tok.text.count(",") + 1
    dot = tok.text.find(".")
    n = dot if dot >= 0 else len(tok.text)
    return n - 1 if tok.text.startswith("-") else n


def enumerate_splits(tokens: Sequence[Token], n: int, *, limit: int = 200_000) -> Iterator[list[Piece]]:
    """All readings of `tokens` as exactly `n` numbers (cells and blanks are one number each).

    Raises TooManySplits when more than `limit` readings would be produced.
    """
    maxima = [_max_pieces(t) for t in tokens]
    if len(tokens) > n or sum(maxima) < n:
        return
    produced = 0

    def rec(i: int, remaining: int) -> Iterator[list[Piece]]:
        nonlocal produced
        if i == len(tokens):
            if remaining == 0:
                produced += 1
                if produced > limit:
                    raise TooManySplits(f"more than {limit} readings")
                yield []
            return
        tok = tokens[i]
        rest_min = len(tokens) - i - 1
        rest_max = sum(maxima[i + 1:])
        if tok.kind == "blank":
            options: Iterator[list[Piece]] = iter([[Piece(0, tok.start, tok.end, "blank_cell")]])
            counts = [1]
        elif tok.kind == "cell":
            options = iter([[Piece(_parse(tok.text), tok.start, tok.end, "grid_cell")]])
            counts = [1]
        else:
            counts = [p for p in range(1, maxima[i] + 1) if rest_min <= remaining - p <= rest_max]
            options = (cut for p in counts for cut in _cuts(tok, p))
        if tok.kind in ("blank", "cell"):
            if not (rest_min <= remaining - 1 <= rest_max):
                return
        for head in options:
            for tail in rec(i + 1, remaining - len(head)):
                yield head + tail

    yield from rec(0, n)


def admissible(tokens: Sequence[Token], n: int, accept: Callable[[list[Number]], bool],
               *, limit: int = 200_000) -> list[list[Piece]]:
    """The readings of `tokens` as `n` numbers that satisfy `accept` (e.g. the row total)."""
    return [p for p in enumerate_splits(tokens, n, limit=limit) if accept([x.value for x in p])]




# A count larger than this is not a count any report holds (a misread or a hostile input).
MAX_PLAUSIBLE = 10**9


def is_count(v: Number) -> bool:
    """A whole, non-negative number below MAX_PLAUSIBLE. A decimal point makes a value a decimal
    even when its fraction is zero ('9.0'): counts are printed as whole numbers."""
    return not isinstance(v, Decimal) and 0 <= v < MAX_PLAUSIBLE


def plausible(v: Number) -> bool:
    """Any number a report could print in 表二 (money, a negative 本年增/减), bounded."""
    return -MAX_PLAUSIBLE < v < MAX_PLAUSIBLE


@dataclass
class Reading:
    """How the tokens of one row (or of a whole small table) read as its n cells."""

    status: str                        # ok | blank | ambiguous | unreadable
    chosen: list[Piece] | None = None
    candidates: list[list[Piece]] | None = None
    forced: bool = False               # the digits allow one reading only, whatever the sums say
    note: Message | None = None        # why it is not settled (messages.py)


def _zeros(tokens: Sequence[Token], n: int) -> list[Piece]:
    """Printed zeros / blanks first, then the cell positions that were not printed at all
    (method absent_cell: an assumption the checks must confirm, never 'as printed')."""
    return [Piece(0, t.start, t.end, "blank_cell") for t in tokens] + \
        [Piece(0, -1, -1, "absent_cell")] * (n - len(tokens))


def _bad_values(tokens: Sequence[Token], valid: Callable[[list[Number]], bool] | None) -> Message | None:
    """Why a printed value cannot be a cell of this row (a decimal count, an absurd number), if so."""
    for t in tokens:
        if t.kind not in ("cell", "run") or "," in t.text:
            continue
        v = _parse(t.text)
        if valid is None and isinstance(v, Decimal):
            return msg("value_decimal_count", text=t.text)
        if not plausible(v) and (t.kind == "cell" or len(t.digits) > 30):
            return msg("value_implausible", text=t.text)
    return None


def read_cells(tokens: Sequence[Token], n: int, *,
               valid: Callable[[list[Number]], bool] | None = None,
               sums: Callable[[list[Number]], bool] | None = None,
               sums_said: Message | None = None) -> Reading:
    """Read `n` cells from `tokens`.

    Numbers printed apart are taken as printed; `valid` says which values a cell may hold (by
    default counts: whole, non-negative, below MAX_PLAUSIBLE). Glued runs are split every
    admissible way and kept when `sums` holds; one survivor settles them, several stay
    `ambiguous` with their readings listed, none is `unreadable`. A cell holding neither a
    number nor a blank mark (broken markup) makes the row `unreadable`. Fewer cells than `n`,
    all printed zero or blank, is `blank` with the missing positions as absent cells: zeros that
    only the table's sums can confirm. `sums_said` names the sums in the note when none holds.
    """
    ok: Callable[[list[Number]], bool] = valid or (lambda v: all(is_count(x) for x in v))
    garbled = [t for t in tokens if t.kind == "garbled"]
    if garbled:
        return Reading("unreadable", None, [], note=msg("cell_garbled", text=garbled[0].text[:40]))
    bad = _bad_values(tokens, valid)
    if not tokens:
        return Reading("blank", _zeros([], n), [], note=msg("row_printed_blank"))
    if len(tokens) == n:
        printed = [c for c in enumerate_splits(tokens, n) if ok([p.value for p in c])]
        if printed:
            return Reading("ok", printed[0], printed, forced=True)
        if bad:
            return Reading("unreadable", None, [], note=bad)
    if len(tokens) > n:
        return Reading("unreadable", None, [], note=msg("too_many_numbers", found=len(tokens), cells=n))
    digits = sum(len(t.digits) if t.kind == "run" else 1 for t in tokens)
    if digits < n:
        if all(t.kind == "blank" or t.digits.strip("0.") == "" and "." not in t.text for t in tokens):
            return Reading("blank", _zeros(tokens, n), [], note=msg(
                "few_cells_all_zero", printed=len(tokens), cells=n, missing=n - len(tokens)))
        return Reading("unreadable", None, [], note=bad or msg("too_few_digits", digits=digits, cells=n))
    spaced = sum(1 for t in tokens if t.kind == "run") >= 2
    if sums is None and spaced:
        # several numbers printed apart, yet fewer than the cells: a number is missing here (printed
        # elsewhere?) rather than glued, and with no sum to check, cutting one would be a guess
        cands = [c for c in enumerate_splits(tokens, n) if ok([p.value for p in c])][:20]
        return Reading("ambiguous" if cands else "unreadable", None, cands, note=msg(
            "numbers_apart_too_few", found=len(tokens), printed=" ".join(t.text for t in tokens), cells=n))
    check = (lambda v: ok(v) and sums(v)) if sums else ok
    try:
        readings = 0
        for _ in enumerate_splits(tokens, n):
            readings += 1
            if readings > 1:
                break
        cands = admissible(tokens, n, check)
    except TooManySplits:
        return Reading("ambiguous", None, [], note=msg("too_many_splits"))
    glued = "".join(t.text for t in tokens)
    if len(cands) == 1:
        return Reading("ok", cands[0], cands, forced=readings == 1)
    if not cands:
        return Reading("unreadable", None, [], forced=readings == 1,
                       note=bad or (msg("no_reading_satisfies", printed=glued, sums=sums_said or msg("sums_the_sums"))
                                    if sums else msg("no_reading_plausible", printed=glued)))
    return Reading("ambiguous", None, cands, note=glued_readings(glued, [[p.value for p in c] for c in cands]))


def glued_readings(printed: str, readings: Sequence[Sequence[Number]]) -> Message:
    """The note of a glued run with several readings: the digits, how many readings, the first six."""
    shown = [[json_number(v) for v in r] for r in readings[:6]]
    more = msg("more_readings", n=len(readings) - 6) if len(readings) > 6 else None
    return msg("glued_readings", printed=printed, count=len(readings), readings=shown, more=more)


def json_number(v: Number) -> int | str:
    """A value as a message parameter, as printed: Decimal('1.50') stays '1.50' (a JSON number
    would drop the zero)."""
    return v if isinstance(v, int) else str(v)
