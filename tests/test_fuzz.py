"""Mutation fuzz of the labelled reports (issue 11): a few hundred seeded mutants of the dev
inputs (digits changed, inserted, deleted; spans cut; lines doubled or swapped; markup broken;
bytes flipped) through the real workers. No mutant may crash the extractor (failure "internal"),
hang (failure "timeout") or run out of memory, and every number of an accepted mutant is what the
mutant prints at that number's provenance span: the span's text in the mutant's loaded text reads
as that number, or the cell is a blank or absent one read as 0 where the sums pin it.

The oracle is written here, independently of the extractor's own reading and checks."""

from __future__ import annotations

import random
import re
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

from extractor.errors import LoadError
from extractor.load import load_bytes
from extractor.result import ExtractionResult
from extractor.settings import Settings
from extractor.workers import Workers
from tests.dev_reports import dev_cases

SEED = 20240611
TEXT_MUTANTS = 300
BINARY_MUTANTS = 10
SETTINGS = Settings(llm="off", file_timeout_s=60, workers=2)

# ---------------------------------------------------------------- mutants

Op = Callable[[random.Random, str], tuple[str, str]]
_NOISE = ["\t", " ", "\n", ".", ",", "<", ">", "-", "—", "/", "０", "５", "一", "无", "\u3000", "|", "%", "1", "9"]


def _digit_at(rng: random.Random, text: str) -> int | None:
    spots = [m.start() for m in re.finditer(r"\d", text)]
    return rng.choice(spots) if spots else None


def change_digit(rng: random.Random, text: str) -> tuple[str, str]:
    i = _digit_at(rng, text)
    if i is None:
        return text, "no digit"
    d = rng.choice([c for c in "0123456789" if c != text[i]])
    return text[:i] + d + text[i + 1:], f"digit@{i}->{d}"


def insert_digit(rng: random.Random, text: str) -> tuple[str, str]:
    i = _digit_at(rng, text)
    if i is None:
        return text, "no digit"
    d = rng.choice("0123456789")
    return text[:i] + d + text[i:], f"insert {d}@{i}"


def delete_digit(rng: random.Random, text: str) -> tuple[str, str]:
    i = _digit_at(rng, text)
    if i is None:
        return text, "no digit"
    return text[:i] + text[i + 1:], f"delete digit@{i}"


def insert_noise(rng: random.Random, text: str) -> tuple[str, str]:
    i = _digit_at(rng, text) if rng.random() < 0.7 else rng.randrange(len(text) + 1)
    i = rng.randrange(len(text) + 1) if i is None else i + rng.choice((0, 1))
    c = rng.choice(_NOISE)
    return text[:i] + c + text[i:], f"insert {c!r}@{i}"


def cut_span(rng: random.Random, text: str) -> tuple[str, str]:
    i = rng.randrange(max(len(text), 1))
    n = rng.randint(1, 40)
    return text[:i] + text[i + n:], f"cut {n}@{i}"


def double_line(rng: random.Random, text: str) -> tuple[str, str]:
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    return "\n".join(lines[:i + 1] + lines[i:]), f"double line {i}"


def swap_lines(rng: random.Random, text: str) -> tuple[str, str]:
    lines = text.split("\n")
    if len(lines) < 2:
        return text, "one line"
    i, j = sorted(rng.sample(range(len(lines)), 2))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines), f"swap lines {i},{j}"


def break_markup(rng: random.Random, text: str) -> tuple[str, str]:
    tags = [m.span() for m in re.finditer(r"<[^<>]{1,80}>", text)]
    if not tags:
        return insert_noise(rng, text)
    a, b = rng.choice(tags)
    choice = rng.randrange(3)
    if choice == 0:
        return text[:a] + text[b:], f"drop tag@{a}"
    if choice == 1:
        k = rng.randrange(a + 1, b)
        return text[:k] + rng.choice([">", "<", '"', "="]) + text[k:], f"break tag@{k}"
    return text[:b] + "<td>9</td>" + text[b:], f"add cell@{b}"


def truncate(rng: random.Random, text: str) -> tuple[str, str]:
    i = rng.randrange(len(text) // 2, len(text) + 1)
    return text[:i], f"truncate@{i}"


TEXT_OPS: list[tuple[Op, int]] = [(change_digit, 6), (insert_digit, 3), (delete_digit, 3), (insert_noise, 4),
                                  (cut_span, 2), (double_line, 2), (swap_lines, 2), (break_markup, 2),
                                  (truncate, 1)]


def flip_bytes(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    out = bytearray(data)
    spots = []
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(out))
        out[i] = rng.randrange(256)
        spots.append(i)
    return bytes(out), f"flip bytes {spots}"


@dataclass
class Mutant:
    id: str
    name: str
    data: bytes
    recipe: str


def mutants() -> list[Mutant]:
    rng = random.Random(SEED)
    cases = dev_cases()
    text_cases = [c for c in cases if c.path.suffix in (".txt", ".md", ".html", ".htm")]
    binary_cases = [c for c in cases if c.path.suffix in (".pdf", ".docx")]
    out: list[Mutant] = []
    for k in range(TEXT_MUTANTS):
        case = rng.choice(text_cases)
        raw = case.path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")
        steps = []
        for _ in range(rng.choice((1, 1, 2, 3))):
            op = rng.choices([o for o, _w in TEXT_OPS], weights=[w for _o, w in TEXT_OPS])[0]
            text, what = op(rng, text)
            steps.append(what)
        out.append(Mutant(f"{case.id}#{k}", case.path.name, text.encode("utf-8"), "; ".join(steps)))
    for k in range(BINARY_MUTANTS):
        case = rng.choice(binary_cases)
        data, what = flip_bytes(rng, case.path.read_bytes())
        out.append(Mutant(f"{case.id}#b{k}", case.path.name, data, what))
    return out


# ---------------------------------------------------------------- the oracle

_ZERO_MARKS = re.compile(r"[\s\-—–―－/／\\无零〇0.。、·_|]*")


def read_number(span_text: str) -> float | None:
    """The number a span prints, read plainly (None: it prints no single number)."""
    t = unicodedata.normalize("NFKC", span_text).strip().replace("−", "-")
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", t):
        t = t.replace(",", "")
    if not re.fullmatch(r"-?\d+(\.\d+)?", t):
        return None
    return float(t)


def _equations(record: dict[str, Any]) -> list[tuple[list[str], str]]:
    """FORMAT.md's sums as (parts, total) over record field paths."""
    eqs: list[tuple[list[str], str]] = []
    apps = record.get("applications") or {}
    for key, v in apps.items():
        if isinstance(v, list) and len(v) == 7:
            eqs.append(([f"applications.{key}[{c}]" for c in range(6)], f"applications.{key}[6]"))
    outcome_rows = [k for k in apps if k not in ("new_received", "carried_over", "total_processed",
                                                 "carried_forward")]
    if "total_processed" in apps:
        for c in range(7):
            eqs.append(([f"applications.{k}[{c}]" for k in outcome_rows], f"applications.total_processed[{c}]"))
    for key, v in (record.get("review_litigation") or {}).items():
        if isinstance(v, list) and len(v) == 5:
            eqs.append(([f"review_litigation.{key}[{c}]" for c in range(4)], f"review_litigation.{key}[4]"))
    return eqs


def pinned_cells(record: dict[str, Any], values: dict[str, float], absent: set[str]) -> set[str]:
    """Absent cells whose value the sums force: the only unknown of a sum, or unknowns on the
    parts side of a sum the known parts already reach (counts are never negative)."""
    known = set(values) - absent
    pinned: set[str] = set()
    changed = True
    while changed:
        changed = False
        for parts, total in _equations(record):
            cells = parts + [total]
            unknown = [c for c in cells if c in absent and c not in pinned and c in values]
            if not unknown or any(c not in values for c in cells):
                continue
            if len(unknown) == 1:
                pinned.add(unknown[0])
                changed = True
            elif total in known | pinned and all(u in parts for u in unknown) and \
                    sum(values[p] for p in parts if p not in unknown) == values[total]:
                pinned.update(unknown)
                changed = True
        known |= pinned
    return pinned


def oracle(result: ExtractionResult, text: str) -> list[str]:
    """What an accepted result prints that the mutant does not."""
    from extractor.record import cell_values

    problems: list[str] = []
    values = {k: float(v) for k, v in cell_values(result.record or {}).items()}
    by_field = {p.field: p for p in result.provenance}
    absent = {p.field for p in result.provenance if p.method == "absent_cell"}
    pinned = pinned_cells(result.record or {}, values, absent)
    for field, value in values.items():
        p = by_field.get(field)
        if p is None:
            problems.append(f"{field}={value}: no provenance")
            continue
        if p.method == "row_absent":
            if value != 0:
                problems.append(f"{field}={value}: a row not printed must be 0")
            continue
        if p.method == "absent_cell":
            if value != 0 or field not in pinned:
                problems.append(f"{field}={value}: an absent cell the sums do not pin to 0")
            continue
        if p.span is None:
            problems.append(f"{field}={value} ({p.method}): no span in the source")
            continue
        printed = text[p.span.start:p.span.end]
        if p.method == "blank_cell":
            if value != 0 or not _ZERO_MARKS.fullmatch(unicodedata.normalize("NFKC", printed)):
                problems.append(f"{field}={value}: blank cell printing {printed!r}")
            continue
        number = read_number(printed)
        if p.method == "converted" and number is not None and abs(number / 10000 - value) < 1e-6:
            continue   # 元 printed, 万元 recorded
        if number is None or number != value:
            problems.append(f"{field}={value} ({p.method}): the mutant prints {printed!r} there")
    return problems


# ---------------------------------------------------------------- the run


def test_mutants_never_crash_hang_or_accept_a_number_they_do_not_print() -> None:
    started = time.monotonic()
    cases = mutants()
    with Workers(SETTINGS, 2) as workers, ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda m: workers.run(m.data, m.name), cases))
    bad: list[str] = []
    accepted = 0
    for m, r in zip(cases, results):
        if r.status == "failed" and r.failure != "input":
            bad.append(f"{m.id} [{m.recipe}]: {r.failure}: {r.error}")
            continue
        if r.status != "accepted":
            continue
        accepted += 1
        try:
            text = load_bytes(m.data, m.name, Settings(llm="off")).text
        except LoadError as e:
            bad.append(f"{m.id} [{m.recipe}]: accepted, but the mutant does not load: {e}")
            continue
        for problem in oracle(r, text):
            bad.append(f"{m.id} [{m.recipe}]: accepted with {problem}")
    took = time.monotonic() - started
    print(f"fuzz: {len(cases)} mutants, {accepted} accepted, "
          f"{sum(r.status == 'review' for r in results)} review, "
          f"{sum(r.status == 'failed' for r in results)} failed, {took:.1f} s")
    assert accepted > len(cases) // 10, "the mutants are too broken to test the oracle"
    assert not bad, "\n".join(bad[:30])
