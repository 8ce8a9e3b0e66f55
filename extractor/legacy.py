"""Reports from before the 2019 national template: the legacy record of their old statistics table.

Before the 2019 template (国办公开办函〔2019〕60号) reports had no 表二/表三/表四. Most ended with a
free-form 政府信息公开情况统计表 (指标名称 / 计量单位 / 本年度 / 历年累计), some only with sentences
("2018年未收到有关政府信息公开申请"). Such a report gets the status `pretemplate` and, instead of
FORMAT.md's record, a `LegacyRecord`: each indicator as printed, the common ones under a fixed key
(`LEGACY_KEYS`), the rest by name. A value is either exactly what the report prints (its
provenance in `ExtractionResult.provenance`, field `legacy.figures[i].this_year`) or None with
the doubt said in `LegacyFigure.doubt`: never a guess.

`comparable_legacy` / `comparable_template` give the few measures that mean the same thing in
both eras (applications received, administrative reviews, lawsuits), each saying which basis
it comes from, so year-on-year views can put old and template years side by side.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from .messages import Message

LEGACY_FORMAT_VERSION = 1

# key -> the indicator's usual printed name (other spellings are matched by legacy reading rules)
LEGACY_KEYS: dict[str, str] = {
    "active_total": "主动公开文件数",
    "active_website": "政府网站公开数",
    "active_gazette": "政府公报公开数",
    "applications_total": "受理依申请公开信息总数",
    "applications_in_person": "当面申请数",
    "applications_online": "网上申请数",
    "applications_letter": "信函申请数",
    "applications_fax": "传真申请数",
    "applications_letter_fax": "信函、传真申请数",
    "applications_email": "电子邮件申请数",
    "applications_other": "其它形式申请数",
    "replies_total": "对申请的答复总数",
    "replies_granted": "同意公开答复数",
    "replies_partially_granted": "同意部分公开答复数",
    "replies_refused": "不予公开答复数",
    "replies_other": "其他类型答复数",
    "fee_reductions_yuan": "政府信息公开收费减免金额",
    "reviews": "行政复议数",
    "lawsuits": "行政诉讼数",
    "complaints": "行政申诉数",
}

FigureSource = Literal["table", "text"]
LegacyKind = Literal["statistics_table", "text_only", "nothing"]


class LegacyFigure(BaseModel):
    """One indicator of the old statistics table (or one the text states as none)."""

    key: str | None = None            # a LEGACY_KEYS key, or None: kept by its printed name only
    name: str                         # the indicator as printed (spaces removed)
    unit: str | None = None           # 条 / 件 / 元 ... as printed
    this_year: int | float | None = None   # 本年度 (the report's year); None: not printed or not settled
    cumulative: int | float | None = None  # 历年累计; None: not printed or not settled
    source: FigureSource = "table"    # "text": a sentence saying there were none ("未收到…申请")
    doubt: str | None = None          # why a printed value is None (e.g. a glued run read several ways)
    doubt_message: Message | None = None   # the same as a code and parameters (messages.py)


class LegacyRecord(BaseModel):
    """What a report from before the national template says in figures (JSON: README "Reports from
    before the national template")."""

    format_version: int = LEGACY_FORMAT_VERSION
    organization: str = ""
    year: int | None = None
    reason: str                       # why it is taken as predating the template
    reason_message: Message | None = None  # the same as a code and parameters (messages.py)
    kind: LegacyKind                  # what was read: the old table, sentences only, or nothing
    columns: list[str] = Field(default_factory=list)   # the table's value columns as printed
    figures: list[LegacyFigure] = Field(default_factory=list)
    source_inconsistencies: list[str] = Field(default_factory=list)  # printed sums that do not hold

    def figure(self, key: str) -> LegacyFigure | None:
        """The first figure with this key (table figures before text ones), or None."""
        hits = [f for f in self.figures if f.key == key]
        hits.sort(key=lambda f: f.source != "table")
        return hits[0] if hits else None


def parse_legacy(data: dict[str, Any] | LegacyRecord | None) -> LegacyRecord | None:
    """A stored legacy record (its JSON dict) as the model; None stays None."""
    if data is None or isinstance(data, LegacyRecord):
        return data
    return LegacyRecord.model_validate(data)


def legacy_cells(legacy: LegacyRecord | dict[str, Any] | None) -> list[tuple[str, str, str, str, Any]]:
    """Every settled number of a legacy record as (table "legacy", row, column, field, value) rows,
    like record.record_cells: row is the key, or the printed name when it has none; column is
    "this_year" or "cumulative"; field is the provenance path (`legacy.figures[3].this_year`)."""
    rec = parse_legacy(legacy)
    out: list[tuple[str, str, str, str, Any]] = []
    if rec is None:
        return out
    for i, f in enumerate(rec.figures):
        for col in ("this_year", "cumulative"):
            value = getattr(f, col)
            if value is not None:
                out.append(("legacy", f.key or f.name, col, f"legacy.figures[{i}].{col}", value))
    return out


# ---- measures comparable across the two eras --------------------------------------------------

Measure = Literal["applications_received", "administrative_reviews", "lawsuits"]
MEASURES: dict[str, str] = {
    "applications_received": "收到的政府信息公开申请",
    "administrative_reviews": "因政府信息公开被申请行政复议",
    "lawsuits": "因政府信息公开被提起行政诉讼",
}
_LEGACY_MEASURE_KEYS: dict[str, str] = {
    "applications_received": "applications_total",
    "administrative_reviews": "reviews",
    "lawsuits": "lawsuits",
}


class Comparable(BaseModel):
    """One year's value of a measure that means the same thing before and after the template."""

    measure: Measure
    value: int | float
    basis: Literal["template", "legacy"]
    printed_as: str                   # where the number comes from, in the report's own words


def comparable_legacy(legacy: LegacyRecord | dict[str, Any] | None) -> dict[str, Comparable]:
    """The measures an old report states this year (only those it states, only settled values)."""
    rec = parse_legacy(legacy)
    out: dict[str, Comparable] = {}
    if rec is None:
        return out
    for measure, key in _LEGACY_MEASURE_KEYS.items():
        f = rec.figure(key)
        if f is None or f.this_year is None:
            continue
        where = "旧统计表" if f.source == "table" else "正文"
        out[measure] = Comparable(measure=measure, value=f.this_year, basis="legacy",  # type: ignore[arg-type]
                                  printed_as=f"{f.name}（{where}，本年度）")
    return out


def comparable_template(record: dict[str, Any] | None) -> dict[str, Comparable]:
    """The same measures from a template record (FORMAT.md): 表三 new applications' 总计, 表四's
    行政复议 总计 and the two 行政诉讼 rows' 总计 added."""
    if not record:
        return {}
    apps = record.get("applications") or {}
    rl = record.get("review_litigation") or {}
    out: dict[str, Comparable] = {}
    if apps.get("new_received"):
        out["applications_received"] = Comparable(
            measure="applications_received", value=apps["new_received"][-1], basis="template",
            printed_as="表三 一、本年新收政府信息公开申请数量 总计")
    if rl.get("review"):
        out["administrative_reviews"] = Comparable(
            measure="administrative_reviews", value=rl["review"][-1], basis="template",
            printed_as="表四 行政复议 总计")
    if rl.get("litigation_direct") and rl.get("litigation_after_review"):
        out["lawsuits"] = Comparable(
            measure="lawsuits", value=rl["litigation_direct"][-1] + rl["litigation_after_review"][-1],
            basis="template", printed_as="表四 行政诉讼 未经复议直接起诉 总计 + 复议后起诉 总计")
    return out
