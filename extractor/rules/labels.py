"""Regexes that find the template's row labels in normalised text, tolerant of breaks and typos."""

from __future__ import annotations

import re
from functools import cache

_ORD_SEP = r"\s*[.、．,，]?\s*"


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
