"""Markdown inputs: text kept, pipe tables rendered as TAB rows (same contract as every grid format)."""

from __future__ import annotations

import re

from ..document import Document
from .render import Cell, TextBuilder, collapse
from .text import guess_title, normalise_newlines

_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_SEP_CELL = re.compile(r"^\s*:?-{3,}:?\s*$")
_SPLIT = re.compile(r"(?<!\\)\|")


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [collapse(c.replace("\\|", "|")).strip() for c in _SPLIT.split(inner)]


def _is_separator(cells: list[str]) -> bool:
    return bool(cells) and all(_SEP_CELL.match(c) for c in cells)


def load_markdown(text: str, name: str, encoding: str | None) -> Document:
    text = normalise_newlines(text)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out = TextBuilder()
    table: list[list[Cell]] = []
    for line in lines:
        if _PIPE_ROW.match(line):
            cells = _cells(line)
            if _is_separator(cells):
                # a separator under a header row that follows other rows starts a new table
                if len(table) > 1:
                    header = table.pop()
                    out.table(table)
                    table = [header]
                continue
            table.append([Cell(c) for c in cells])
            continue
        if table:
            out.table(table)
            table = []
        out.line(line, keep_blank=True)
    if table:
        out.table(table)
    return Document(source=name, format="md", text=out.text, grids=out.grids, encoding=encoding,
                    title=guess_title(lines[:400]))
