"""Regexes that find the template's row labels in normalised text, tolerant of breaks and typos."""

from __future__ import annotations

import re
from functools import cache

# between an ordinal and its label: a mark (with spaces around it), or nothing at all; an ordinal
# never stands apart by whitespace alone (the row before may end with the same digit: `… 2 ⏎ 重复申请`)
_ORD_SEP = r"(?:\s*[.、．,，]\s*)?"


def loose(literal: str) -> str:
    """A regex for `literal` that allows whitespace (line breaks, cell TABs) between characters."""
    parts = []
    for ch in literal:
        if ch.isspace():
            continue
        parts.append(re.escape(ch))
    return r"\s*".join(parts)


@cache
def label_regex(alternatives: tuple[str, ...], ordinal: str | None = None) -> re.Pattern[str]:
    """Match one row label: an optional ordinal ('2.' / '2、'), then one of the alternatives.

    The ordinal is part of the match so that, in glued text such as '…3252.没有现成信息', the '2'
    of '2.' is not read as the last digit of the previous row's numbers.
    """
    alts = "|".join(loose(a) for a in alternatives)
    if ordinal:
        return re.compile(rf"(?:(?<!\d){re.escape(ordinal)}{_ORD_SEP}|(?<=\d){re.escape(ordinal)}[.、．]\s*)?(?:{alts})")
    return re.compile(rf"(?:{alts})")


# Between two characters of a wrapped label cell, page-laid-out text can put the row's own numbers
# (the label wraps around them), a row ordinal ('2.'), and, after a line break, a short piece of a
# neighbouring column's text ('1.属于国家秘 0 ⏎ 予公开 密'). Digits are allowed only where whitespace
# is too, so a label glued to numbers ('…3252.没有现成信息') is still found by label_regex alone.
_WRAP_GAP = r"(?:\s|(?<=\s)-?\d+(?:\.\d+)?(?=\s)|(?<=\s)\d{1,2}[.、]|(?<=\n)[^\S\n]*[^\s\d]{1,8}\s)*"


@cache
def wrapped_label_regex(label: str, ordinal: str | None = None) -> re.Pattern[str]:
    """Match a row's full label broken by other text: its own numbers, an ordinal, a neighbouring
    column's words after a line break. Group `head` is the label's first character: the row's
    numbers are read from there on, those printed inside the label included."""
    chars = [re.escape(ch) for ch in label if not ch.isspace()]
    body = f"(?P<head>{chars[0]})" + "".join(_WRAP_GAP + c for c in chars[1:])
    if ordinal:
        return re.compile(rf"(?:(?<!\d){re.escape(ordinal)}{_ORD_SEP})?{body}")
    return re.compile(body)
