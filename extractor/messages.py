"""Every message about a result as a stable code with parameters, its Chinese and English templates
(one catalog), and the rendering in either language.

A finding carries `code` and `params` (JSON values); its text is made here, never parsed. A
parameter may itself be a message (`{"code": ..., "params": ...}`, e.g. a rule's note inside a
finding) or a list of them; nested messages render in the same language.

Templates are `str.format` strings. A format spec after a list parameter is the separator of its
items (`{parts:+}` gives `1+2+3`; the default is `、` in Chinese and `, ` in English); lists inside
a list are joined with `/` (readings: `8/9/8989; 8/98/989`). A spec after a number is a number format
(`{ratio:.1f}`). A parameter `verdict` wraps the text in the verdict's template (`verdict_printed`:
"printed in the report: …").

A code without a catalog entry (a site added elsewhere, or a result stored before codes) renders
as the message stored with it: nothing that displays findings depends on the catalog being complete.
"""

from __future__ import annotations

import json
import os
from typing import Any, Literal, Mapping, Sequence

from typing_extensions import TypedDict   # pydantic validates it on Python < 3.12 (typing's it does not)

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


class Message(TypedDict):
    """A message as data: its stable code and the parameters its text is made from (JSON values)."""

    code: str
    params: dict[str, Any]


def msg(code: str, **params: Any) -> Message:
    """A message of `code` with `params` (None values are kept: a template may show them as empty)."""
    return {"code": code, "params": params}


def is_message(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("code"), str) and set(value) <= {"code", "params"}


# ---------------------------------------------------------------- the catalog: code -> (zh, en)

CATALOG: dict[str, tuple[str, str]] = {
    # verdicts on a broken rule (decide.judge): the report's own numbers, or our reading
    "verdict_printed": ("报告原文如此：{message}", "printed in the report: {message}"),
    "verdict_ours": ("提取的数字不相加：{message}", "the extracted numbers do not add up: {message}"),
    "verdict_ours_doubt": ("提取的数字不相加（{doubt}）：{message}",
                           "the extracted numbers do not add up ({doubt}): {message}"),
    "ellipsis": (" …", " …"),

    # ---- the consistency rules of FORMAT.md and the report's printed subtotals (checks.py)
    "row_total": ("{label}：总计 {total} ≠ {parts:+} = {sum}", "{label}: 总计 {total} ≠ {parts:+} = {sum}"),
    "processed_total": ("（七）总计 [{column}] {total} ≠ 各办理结果行之和 {sum}",
                        "（七）总计 [{column}] {total} ≠ sum of the outcome rows {sum}"),
    "balance": ("[{column}] 新收 {new} + 上年结转 {carried_over} = {left} ≠ 总计 {total} + 结转下年度 "
                "{carried_forward} = {right}",
                "[{column}] 新收 {new} + 上年结转 {carried_over} = {left} ≠ 总计 {total} + 结转下年度 "
                "{carried_forward} = {right}"),
    "review_total": ("{label}：总计 {total} ≠ {parts:+} = {sum}", "{label}: 总计 {total} ≠ {parts:+} = {sum}"),
    "subtotal": ("{label}：印出 {printed}，≠ 其各部分之和 {sum}", "{label}: printed {printed} ≠ sum of its parts {sum}"),

    # ---- cells the sums do not pin (decide.py)
    "cells_not_printed": ("{n} 个单元格原文未印出，合计也不能表明其为 0（{cells:, }{more}）；"
                          "找不到单元格的表不等于全为零的表",
                          "{n} cell(s) are not printed in the source and the sums do not show they are 0 "
                          "({cells:, }{more}); a table whose cells were not found is not a table of zeros"),
    "placed_by_position": ("{n} 个单元格按其在表中的次序放置，并非在行标签旁读到，合计也不能证实"
                           "（{cells:, }{more}）",
                           "{n} cell(s) were placed by their order in the table, not read beside their row "
                           "label, and the sums do not confirm them ({cells:, }{more})"),
    "doubt_row_without_numbers": ("{label} 一行没有数字", "row {label} has no numbers"),

    # ---- the report's title (assemble.py)
    "metadata_no_organization": ("无法从标题读出发布机关", "the issuing agency could not be read from the title"),
    "metadata_no_year": ("无法从标题或正文读出报告年度", "the report year could not be read from the title or text"),

    # ---- the text as loaded (pipeline.py)
    "private_use_characters": ("文本含 {n} 个私用区字符，其含义由字体自定（{shown:, }）；用它们写的标签或数字无法读出",
                               "the text holds {n} private-use character(s) whose meaning is the font's own "
                               "({shown:, }); a label or number written with them cannot be read"),
}


# ---------------------------------------------------------------- rendering


class RenderError(KeyError):
    """A message that cannot be rendered (no template, a parameter missing): only raised with strict=True."""


def render(code: str, params: Mapping[str, Any] | None, lang: Lang, *, fallback: str | None = None,
           strict: bool = False) -> str:
    """The text of message `code` with `params` in `lang`; `fallback` (else the code) when the catalog
    has no such code or the parameters do not fit its template (strict: raise RenderError)."""
    params = params or {}
    entry = CATALOG.get(code)
    try:
        if entry is None:
            raise RenderError(f"no template for message code {code!r}")
        text = entry[0 if lang == "zh" else 1].format_map(_Params(params, lang, strict))
        verdict = params.get("verdict")
        if verdict:
            wrap = CATALOG.get(f"verdict_{verdict}")
            if wrap is None:
                raise RenderError(f"no template for verdict {verdict!r}")
            text = wrap[0 if lang == "zh" else 1].format_map(_Params({**params, "message": text}, lang, strict))
        return text
    except (KeyError, IndexError, ValueError, TypeError) as e:
        if strict:
            raise RenderError(f"{code}: {e!r}") from e
        return fallback if fallback is not None else code


def render_message(m: Mapping[str, Any] | None, lang: Lang, *, strict: bool = False) -> str:
    """A message value (`{"code", "params"}`) as text; '' for None."""
    if not m:
        return ""
    return render(str(m.get("code")), m.get("params") or {}, lang, strict=strict)


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def finding_text(finding: Any, lang: Lang, *, strict: bool = False) -> str:
    """A finding (the model or its JSON) as text in `lang`: from its code and parameters, or the
    message stored with it when it has no code the catalog knows (results stored before codes)."""
    code = _get(finding, "code") or ""
    stored = _get(finding, "message") or ""
    if code and (code in CATALOG or strict):
        return render(code, _get(finding, "params") or {}, lang, fallback=stored or code, strict=strict)
    return stored or code or str(_get(finding, "rule") or "")


def localised(findings: Sequence[Mapping[str, Any]], lang: Lang) -> list[dict[str, Any]]:
    """Finding JSON objects with `message` rendered in `lang` (code and params unchanged)."""
    return [{**f, "message": finding_text(f, lang)} for f in findings]


def localised_notes(provenance: Sequence[Mapping[str, Any]], lang: Lang) -> list[dict[str, Any]]:
    """Provenance JSON objects with `note` rendered in `lang` where the note has a code."""
    return [{**p, "note": render_message(p["note_message"], lang)} if p.get("note_message") else dict(p)
            for p in provenance]


def reason_findings(status: str, findings: Sequence[Any]) -> list[Any]:
    """The findings a result's reasons are made of: those a human must look at (status review), the
    report's own inconsistencies (accepted), the why and what of a report from before the
    template (pretemplate: rule "pretemplate"); none for a failure (its reason is its error)."""
    if status == "review":
        return [f for f in findings if _get(f, "severity") == "review"]
    if status == "accepted":
        return [f for f in findings if _get(f, "severity") == "source"]
    if status == "pretemplate":
        return [f for f in findings if _get(f, "rule") == "pretemplate"]
    return []


def reasons_text(status: str, findings: Sequence[Any], stored: Sequence[str] | None, lang: Lang) -> list[str]:
    """A result's reasons in `lang`, made from its findings' codes; the reasons stored with it when
    its findings carry no codes (stored before codes) or it failed (the reason is the error)."""
    chosen = reason_findings(status, findings)
    if chosen and all(_get(f, "code") in CATALOG for f in chosen):
        return [finding_text(f, lang) for f in chosen]
    return list(stored or [])


# ---------------------------------------------------------------- grouping (summaries)


def _fold(value: Any) -> Any:
    """Numbers (and strings of digits, as glued runs are printed) as 'N': messages that differ only
    by their figures fall in one group."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return "N"
    if isinstance(value, str):
        return "N" if value.strip() and all(c.isdigit() or c in " .,-/+" for c in value) else value
    if isinstance(value, Mapping):
        return {k: _fold(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_fold(v) for v in value]
    return value


def group_key(code: str, params: Mapping[str, Any] | None) -> str:
    """The key of a message's group in a summary: its code and its parameters with figures folded."""
    return json.dumps([code, _fold(dict(params or {}))], ensure_ascii=False, sort_keys=True)


def group_text(key: str, lang: Lang) -> str:
    """A group (`group_key`) as text, its figures shown as N."""
    code, params = json.loads(key)
    return render(code, params, lang)


# ---------------------------------------------------------------- which language


def terminal_language(setting: Lang | None, env: Mapping[str, str] | None = None) -> Lang:
    """The command line's language: EXTRACTOR_LANG when set, else Chinese when the locale is
    Chinese (LC_ALL, LC_MESSAGES, LANG, the first one set), else English."""
    if setting:
        return setting
    env = os.environ if env is None else env
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def accepted_language(header: str | None, default: Lang) -> Lang:
    """The language an Accept-Language header prefers among zh and en (by its q-values, then its
    order); `default` when it names neither."""
    best: tuple[float, int, Lang] | None = None
    for i, part in enumerate((header or "").split(",")):
        tag, _, rest = part.strip().partition(";")
        tag = tag.strip().lower()
        lang: Lang | None = "zh" if tag.startswith("zh") else "en" if tag.startswith("en") else None
        if lang is None:
            continue
        q = 1.0
        for p in rest.split(";"):
            k, _, v = p.strip().partition("=")
            if k.strip() == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        if q > 0 and (best is None or (q, -i) > (best[0], -best[1])):
            best = (q, i, lang)
    return best[2] if best else default


# ---------------------------------------------------------------- formatting of parameters

_LIST_SEP = {"zh": "、", "en": ", "}
_MESSAGES_SEP = {"zh": "；", "en": "; "}


class _Params(dict[str, Any]):
    def __init__(self, params: Mapping[str, Any], lang: Lang, strict: bool):
        super().__init__(params)
        self.lang = lang
        self.strict = strict

    def __missing__(self, key: str) -> Any:
        raise KeyError(key)

    def __getitem__(self, key: str) -> Any:
        return _Value(super().__getitem__(key), self.lang, self.strict)


class _Value:
    def __init__(self, value: Any, lang: Lang, strict: bool):
        self.value, self.lang, self.strict = value, lang, strict

    def __format__(self, spec: str) -> str:
        return _text(self.value, self.lang, spec, self.strict)

    def __str__(self) -> str:
        return _text(self.value, self.lang, "", self.strict)


def _text(value: Any, lang: Lang, spec: str, strict: bool) -> str:
    if value is None:
        return ""
    if is_message(value):
        return render_message(value, lang, strict=strict)
    if isinstance(value, (list, tuple)):
        if all(is_message(v) for v in value):
            return (spec or _MESSAGES_SEP[lang]).join(_text(v, lang, "", strict) for v in value)
        return (spec or _LIST_SEP[lang]).join(
            _text(v, lang, "/" if isinstance(v, (list, tuple)) else "", strict) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return format(value, spec) if spec else str(value)
    return str(value)
