"""The national templates' rows and columns: keys, Chinese labels, order (FORMAT.md)."""

from __future__ import annotations

from typing import Literal

TemplateId = Literal["2021", "2019"]

APPLICANT_COLUMNS: tuple[str, ...] = (
    "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计",
)
REVIEW_COLUMNS: tuple[str, ...] = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
REVIEW_ROWS: dict[str, str] = {
    "review": "行政复议",
    "litigation_direct": "行政诉讼（未经复议直接起诉）",
    "litigation_after_review": "行政诉讼（复议后起诉）",
}

# section 三 rows: key -> label as the template prints it
_HEAD_ROWS = {
    "new_received": "一、本年新收政府信息公开申请数量",
    "carried_over": "二、上年结转政府信息公开申请数量",
}
_OUTCOME_ROWS = {
    "granted": "（一）予以公开",
    "partially_granted": "（二）部分公开",
    "withheld_state_secret": "（三）1.属于国家秘密",
    "withheld_prohibited_by_law": "（三）2.其他法律行政法规禁止公开",
    "withheld_three_safeties_one_stability": "（三）3.危及“三安全一稳定”",
    "withheld_third_party_rights": "（三）4.保护第三方合法权益",
    "withheld_internal_affairs": "（三）5.属于三类内部事务信息",
    "withheld_process_information": "（三）6.属于四类过程性信息",
    "withheld_enforcement_files": "（三）7.属于行政执法案卷",
    "withheld_administrative_query": "（三）8.属于行政查询事项",
    "unavailable_not_held": "（四）1.本机关不掌握相关政府信息",
    "unavailable_needs_creation": "（四）2.没有现成信息需要另行制作",
    "unavailable_unclear_after_correction": "（四）3.补正后申请内容仍不明确",
    "not_processed_petition": "（五）1.信访举报投诉类申请",
    "not_processed_duplicate": "（五）2.重复申请",
    "not_processed_publication": "（五）3.要求提供公开出版物",
    "not_processed_mass_repeated": "（五）4.无正当理由大量反复申请",
    "not_processed_confirmation": "（五）5.要求行政机关确认或重新出具已获取信息",
}
_OTHER_2021 = {
    "other_overdue_correction": "（六）1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other_overdue_fee": "（六）2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other_other": "（六）3.其他",
}
_OTHER_2019 = {"other_processing": "（六）其他处理"}
_TAIL_ROWS = {
    "total_processed": "（七）总计",
    "carried_forward": "四、结转下年度继续办理",
}


def application_rows(template: TemplateId) -> dict[str, str]:
    """Row key -> label, in the record's order, for one template."""
    other = _OTHER_2021 if template == "2021" else _OTHER_2019
    return {**_HEAD_ROWS, **_OUTCOME_ROWS, **other, **_TAIL_ROWS}


def outcome_keys(template: TemplateId) -> list[str]:
    """The rows that add up to （七）总计, in order."""
    other = _OTHER_2021 if template == "2021" else _OTHER_2019
    return [*_OUTCOME_ROWS, *other]


ALL_APPLICATION_LABELS: dict[str, str] = {
    **_HEAD_ROWS, **_OUTCOME_ROWS, **_OTHER_2021, **_OTHER_2019, **_TAIL_ROWS,
}

# section 二
ACTIVE_2021_LABELS: dict[str, str] = {
    "rules": "规章",
    "normative_documents": "行政规范性文件",
    "licensing_decisions": "行政许可 本年处理决定数量",
    "punishment_decisions": "行政处罚 本年处理决定数量",
    "enforcement_decisions": "行政强制 本年处理决定数量",
    "fees_wan_yuan": "行政事业性收费 本年收费金额（万元）",
}
ACTIVE_2021_TRIPLE = ("issued", "repealed", "in_force")
ACTIVE_2021_TRIPLE_LABELS = ("本年制发件数", "本年废止件数", "现行有效件数")

ACTIVE_2019_LABELS: dict[str, str] = {
    "rules": "规章",
    "normative_documents": "规范性文件",
    "licensing": "行政许可",
    "other_services": "其他对外管理服务事项",
    "punishment": "行政处罚",
    "enforcement": "行政强制",
    "fees": "行政事业性收费",
    "procurement": "政府集中采购",
}
ACTIVE_2019_DOC_TRIPLE = ("new_made", "new_published", "total_published")
ACTIVE_2019_DOC_LABELS = ("本年新制作数量", "本年新公开数量", "对外公开总数量")
ACTIVE_2019_ITEM_TRIPLE = ("prev_year_items", "change", "decisions")
ACTIVE_2019_ITEM_LABELS = ("上一年项目数量", "本年增/减", "处理决定数量")

# the numbers of a 表二 item, by their record key (both templates; procurement's two in 2019)
ACTIVE_LEAF_LABELS: dict[str, str] = {
    **dict(zip(ACTIVE_2021_TRIPLE, ACTIVE_2021_TRIPLE_LABELS)),
    **dict(zip(ACTIVE_2019_DOC_TRIPLE, ACTIVE_2019_DOC_LABELS)),
    **dict(zip(ACTIVE_2019_ITEM_TRIPLE, ACTIVE_2019_ITEM_LABELS)),
    "items": "采购项目数量", "amount_wan_yuan": "采购总金额（万元）",
}


def cell_labels(table: str, row: str, col: str, template: str | None) -> tuple[str, str]:
    """Chinese (row label, column label) of one cell of a record: `col` is a column index of
    表三/表四, a 表二 leaf key, or "" for a 表二 item of one number."""
    if table == "applications":
        return ALL_APPLICATION_LABELS.get(row, row), APPLICANT_COLUMNS[int(col)] if col.isdigit() else col
    if table == "review_litigation":
        return REVIEW_ROWS.get(row, row), REVIEW_COLUMNS[int(col)] if col.isdigit() else col
    first, second = ((ACTIVE_2019_LABELS, ACTIVE_2021_LABELS) if template == "2019"
                     else (ACTIVE_2021_LABELS, ACTIVE_2019_LABELS))
    return first.get(row) or second.get(row) or row, ACTIVE_LEAF_LABELS.get(col, col)
