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

from typing_extensions import TypedDict  # pydantic validates it on Python < 3.12 (typing's it does not)

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

    # ---- how a row's numbers read as its cells (rules/split.py)
    "cell_garbled": ("单元格“{text}”含有既非数字、零标记也非空白的字符（标记损坏？）",
                     "the cell '{text}' holds characters that are neither a number, a zero mark nor whitespace "
                     "(broken markup?)"),
    "row_printed_blank": ("未印出数字：除非合计表明，其单元格不读作 0",
                          "printed with no numbers: its cells are not read as 0 unless the sums say so"),
    "value_decimal_count": ("“{text}”带小数点，而此处应为件数（整数）",
                            "'{text}' has a decimal point where a count (a whole number) belongs"),
    "value_implausible": ("“{text}”大于报告中可能出现的任何数字", "'{text}' is larger than any figure a report holds"),
    "too_many_numbers": ("此处有 {cells} 个单元格，却读到 {found} 个数字", "{found} numbers found where there are {cells} cells"),
    "few_cells_all_zero": ("{cells} 个单元格只印出 {printed} 个，均为零；其余 {missing} 个未印出，除非合计表明，不读作 0",
                           "only {printed} of {cells} cells printed, all zero; the other {missing} are not printed "
                           "and are not read as 0 unless the sums say so"),
    "too_few_digits": ("{cells} 个单元格只有 {digits} 位数字", "only {digits} digits for {cells} cells"),
    "numbers_apart_too_few": ("{cells} 个单元格只印出 {found} 个分开的数字（{printed}）：可能缺了一个或印在别处，"
                              "也没有合计能说明如何切分",
                              "{found} numbers printed apart ({printed}) for {cells} cells: one may be missing or "
                              "printed elsewhere, and no sum tells how to cut them"),
    "too_many_splits": ("连写数字的切分方式太多", "too many ways to split the digits"),
    "no_reading_satisfies": ("印出的数字“{printed}”没有一种读法满足{sums}",
                             "no reading of the printed digits '{printed}' satisfies {sums}"),
    "no_reading_plausible": ("印出的数字“{printed}”没有一种读法能给出单元格可取的值",
                             "no reading of the printed digits '{printed}' gives values a cell can hold"),
    "glued_readings": ("连写数字“{printed}”有 {count} 种读法：{readings:；}{more}",
                       "the glued digits '{printed}' can be read {count} ways: {readings:; }{more}"),
    "more_readings": ("（另有 {n} 种）", " (+{n} more)"),
    # the sums a glued run is split by (the {sums} of no_reading_satisfies)
    "sums_the_sums": ("合计", "the sums"),
    "sums_row_total": ("行合计（总计 = 六列之和）", "the row total (总计 = sum of six columns)"),
    "sums_row_subtotal_total": ("该行的小计和总计（小计 = 五类法人或其他组织之和，总计 = 自然人 + 小计）",
                                "the row's 小计 and 总计 (小计 = its five organisations, 总计 = 自然人 + 小计)"),
    "sums_table4_totals": ("三个“总计”（各为其四项结果之和）", "the three 总计 cells (each the sum of its four results)"),
    "sums_table4_group_totals": ("各组的“总计”（其四项结果之和）", "each group's 总计 (the sum of its four results)"),

    # ---- 表三 as laid out (rules/table3.py, rules/subtotals.py)
    "numbers_before_first_label": ("第一行标签之前已印有数字：原文可能把每行的数字印在标签之前，各行可能错位",
                                   "numbers are printed just before the first row label: the text may put each "
                                   "row's numbers before its label, so rows may be shifted"),
    "t2_numbers_before_label": ("从其子表读取：数字印在第二十条小标题与行标签之间，而不在标签之后",
                                "read from its sub-table: the numbers stand between the 第二十条 heading "
                                "and the row label, not after it"),
    "placed_in_sequence": ("按数字在表中的位置、以原文印出的次序读取（各行连印，逐列）：其旁没有印出行标签",
                           "numbers read by their place in the table, in the order the text prints them (rows "
                           "together, column by column): no row label is printed beside them"),
    "row_adds_up_once_moved": ("{label} 的数字移动其中一个后才能相加：原文可能没有保持表格的次序",
                               "the numbers of {label} add up once one of them is moved: the text may not keep the "
                               "table's order"),
    "placed_without_label": ("按数字在表中的位置读取：其旁没有印出行标签",
                             "numbers read by their place in the table: the row label is not printed beside them"),
    "subtotal_column_place_unknown": ("表中印有“小计”列，其位置（法人或其他组织的第一列或最后一列）表头和合计都说明不了，"
                                      "而本行不是八个分开的单元格",
                                      "the table prints a 小计 column whose place (first or last of 法人或其他组织) "
                                      "neither its header nor its sums tell, and this row is not eight separate cells"),
    "subtotal_column_either": ("表中印有“小计”列（由算术推知，表头未写明），可能是法人或其他组织的第一列或最后一列；"
                               "两种都能相加，本行读作 {first:/} 或 {second:/}",
                               "the table prints a 小计 column (told by arithmetic, its header does not name it) that "
                               "may be the first or the last of 法人或其他组织; both add up, and the row reads "
                               "{first:/} or {second:/}"),
    "unlabelled_subtotal": ("该组最后一行之后有一行无标签的数字，等于该组各行之和：读作其小计",
                            "a line with no label after the group's last row, equal to the sum of its rows: read as "
                            "its 小计"),
    "too_many_combinations": ("切分组合有 {n} 种：太多，无法逐一检验", "{n} combinations of splits: too many to check"),
    "combinations_several": ("有 {n} 种切分能使本行相加，且有多种组合满足各列合计",
                             "{n} splits make the row add up, and several combinations satisfy the column totals"),
    "combinations_none": ("有 {n} 种切分能使本行相加，但没有一种组合满足各列合计",
                          "{n} splits make the row add up, and none of the combinations satisfy the column totals"),

    # ---- 表四 as laid out (rules/table4.py, rules/table4_prose.py)
    "table4_not_found": ("未找到行政复议/行政诉讼表（结果维持……）",
                         "the 行政复议/行政诉讼 table (结果维持 …) was not found"),
    "table4_no_numbers": ("行政复议/行政诉讼表头之后没有数字", "no numbers after the 行政复议/行政诉讼 header"),
    "table4_one_moved": ("读到的数字（{printed}）不能相加，移动其中一个后可以：共 {n} 种次序；原文可能没有保持表格的次序",
                         "the numbers as read ({printed}) do not add up, but do once one of them is moved: {n} such "
                         "order(s); the text may not keep the table's order"),
    "table4_runs_one_order": ("数字分段印在表头之外（{runs:；}）：按唯一能使每个“总计”等于其各项结果之和的分段次序放置",
                              "the numbers are printed in runs apart from their headers ({runs:; }): placed in the one "
                              "order of the runs that makes every 总计 the sum of its results"),
    "table4_runs_orders": ("数字分段印在表头之外（{runs:；}）：有 {n} 种分段次序能使每个“总计”等于其各项结果之和",
                           "the numbers are printed in runs apart from their headers ({runs:; }): {n} orders of the "
                           "runs make every 总计 the sum of its results"),
    "table4_runs_no_order": ("数字分段印在表头之外（{runs:；}），没有一种分段次序能相加：按印出的次序读取，未必是表格的次序",
                             "the numbers are printed in runs apart from their headers ({runs:; }) and no order of "
                             "the runs adds up: read in printed order, which may not be the table's"),
    "table4_groups": ("按组各印一表（行政复议／未经复议直接起诉／复议后起诉）",
                      "printed as a table per group (行政复议 / 未经复议直接起诉 / 复议后起诉)"),
    "table4_transposed_row": ("转置的表，第 {row} 行：{note}", "transposed table, row {row}: {note}"),
    "table4_transposed": ("转置印出：每种结果一行，每组一列", "printed transposed: a row per result, a column per group"),
    "table4_prose": ("以文字叙述而非表格：从正文读出 15 个单元格中的 {stated} 个{conflicts}{unplaced}",
                     "stated in sentences, not a table: {stated} of 15 cells read from the prose{conflicts}{unplaced}"),
    "table4_prose_conflicts": ("；{items:；}", "; {items:; }"),
    "table4_prose_unplaced": ("；结果是就行政诉讼整体所述，未分类：{items}",
                              "; results stated for 行政诉讼 as a whole, not per kind: {items}"),
    "prose_conflict_cell": ("{group} 第 {column} 列先后写作 {first} 和 {second}",
                            "{group} column {column} stated as {first} and as {second}"),
    "prose_conflict_litigation": ("行政诉讼先后写作 {first} 和 {second}", "行政诉讼 stated as {first} and as {second}"),
    "sum_litigation_prose": ("行政诉讼（正文所述）", "行政诉讼 (stated in the prose)"),

    # ---- the tables as a record (assemble.py): findings
    "row_note": ("{table} {label}：{note}", "{table} {label}: {note}"),
    "readings_of_digits": ("数字“{printed}”有 {n} 种读法", "{n} readings of the digits '{printed}'"),
    "table2_row_missing": ("原文中未找到表二“{label}”行（{row}）；记为 0",
                           "表二 row {row} ({label}) not found in the source; recorded as 0"),
    "table3_row_missing": ("原文中未找到表三“{label}”行；记为 0", "表三 row {label} not found in the source; recorded as 0"),
    "table3_not_found": ("未找到表三（收到和处理政府信息公开申请情况）", "表三 (收到和处理政府信息公开申请情况) not found"),
    "table4_note": ("表四：{note}", "表四: {note}"),
    "table4_arranged": ("表四{how}：{note}", "表四 {how}: {note}"),
    "arranged_groups": ("按组分表印出", "printed as a table per group"),
    "arranged_transposed": ("转置印出", "printed transposed"),
    "arranged_prose": ("以文字叙述", "stated in sentences"),
    "other_subrow_unreadable": ("表三（六）子行 {row}：{note}", "表三 （六） sub-row {row}: {note}"),
    "subtotal_column_kept_apart": ("表三印有法人或其他组织的“小计”列（{how}）：不计入记录，用以核对其五列",
                                   "表三 prints a 法人或其他组织 小计 column ({how}): not kept in the record, checked "
                                   "against its five columns"),
    "how_header": ("表头写明", "named in the header"),
    "how_arithmetic": ("由算术推知", "told by arithmetic"),
    "subtotal_row_unused": ("表三小计行 {label}：未用于核对（{why}）", "表三 subtotal row {label}: not used as a check ({why})"),
    "subtotal_group_unnamed": ("未写明其相加的是哪一组", "the group it adds up is not named"),
    "subtotal_row_kept_apart": ("表三印有（{group}）的小计行（{label}）：不计入记录，用以核对该组各行",
                                "表三 prints a 小计 row for （{group}） ({label}): not kept in the record, checked "
                                "against the group's rows"),
    # ---- provenance notes (assemble.py)
    "notes": ("{items:；}", "{items:; }"),
    "row_not_found": ("未找到该行", "row not found"),
    "rules_row_absent_normative_only": ("未印出规章行（只有规范性文件）：按 FORMAT.md 记为 0",
                                        "no 规章 row printed (only 规范性文件): 0 by FORMAT.md"),
    "printed_yuan": ("印为 {value} 元，记为万元", "printed {value} 元, recorded in 万元"),
    "table3_single_other_row": ("表三只印有一行（六）其他处理：记入 other_other（FORMAT.md）",
                                "表三 prints a single （六）其他处理 row: recorded in other_other (FORMAT.md)"),
    "no_other_subrows": ("报告的表三没有（六）的子行（旧模板）", "the report's 表三 has no （六） sub-rows (older template)"),
    "sum_of_other_subrows": ("报告所印（六）三个子行之和（FORMAT.md）",
                             "sum of the three （六） sub-rows the report prints (FORMAT.md)"),
    "not_stated_in_prose": ("正文未述及：除非合计表明为 0，否则未知",
                            "not stated in the prose: unknown unless the sums show it is 0"),

    # ---- the language model (llm/assist.py); {error} is the error's own (English) text
    "llm_chose_reading": ("语言模型选定的读法，引用报告原文：“{quote}”",
                          "reading chosen by the language model, citing the report: “{quote}”"),
    "llm_read_row": ("由语言模型读出；原文中对应为：“{evidence}”",
                     "read by the language model; found in the source as: “{evidence}”"),
    "llm_split_choice": ("{where}：{note}", "{where}: {note}"),
    "llm_read_section": ("由语言模型读出整节（规则读不出其标签）；每个数字都在本节原文中按此顺序找到",
                         "read by the language model from the whole section (the rules could not read its labels); "
                         "each number found where the section prints it, in this order"),
    "llm_section_read": ("{where}：{note}", "{where}: {note}"),
    "llm_ungrounded_section": ("{where}：模型对整节的读法在本节原文中并非按此顺序印出（或本节太长未发送）；未采用",
                               "{where}: the model's reading of the whole section is not printed there in that order "
                               "(or the section is too long to send); not used"),
    "llm_section_unconfirmed": ("{where}：模型给出的数字在本节中按此顺序印出，但中间夹有其他数字：请核对各格",
                                "{where}: the model's numbers are printed in the section in this order, but with other "
                                "numbers between them: check which cells they are"),
    "llm_ungrounded_choice": ("{where}：模型选择了 [{chosen:, }]，引用“{quote}”，"
                              "但该句并未把可区分的数字与本行本列对应起来；未采用",
                              "{where}: the model chose [{chosen:, }] citing “{quote}”, but that sentence does not tie a "
                              "distinguishing number to this row and column; not used"),
    "llm_ungrounded_row": ("{where}：模型给出的数字 [{values:, }] 在行标签旁找不到；未采用",
                           "{where}: the model's numbers [{values:, }] were not found beside the row label; not used"),
    "llm_unusable": ("{where}：语言模型的回答不可用（{error}）", "{where}: the language model's answer was unusable ({error})"),
    "llm_unavailable": ("{where}：语言模型无法提供帮助：{error}", "{where}: the language model could not help: {error}"),
    "llm_skipped": ("表三：{n} 行未读出，超过交给模型读的上限 {max} 行",
                    "表三: {n} rows unread, more than the {max} the model is asked to read"),
    "llm_table4_disagrees": ("表四 {group} {column}：语言模型读作 {llm}，规则在其文字旁读作 {rules}；保留规则的读数",
                             "表四 {group} {column}: the language model reads {llm} where the rules read {rules} "
                             "beside its words; the rules' reading kept"),
    "llm_table4_dropped": ("表四：{why}；未采用", "表四: the model's {why}; not used"),
    "llm_table4_group_unusable": ("语言模型对{group}的回答不可用（{reason}：{error}）",
                                  "answer for {group} unusable ({reason}: {error})"),
    "llm_table4_not_printed": ("{group} {column} {value} 在“{sentence}”中并非作为该单元格印出",
                               "{group} {column} {value}: not printed as that cell in “{sentence}”"),
    "llm_table4_prose": ("{n} 个单元格由语言模型从本节的句子读出，每个都在其引用的句子中、在其列的词语旁印出",
                         "{n} cell(s) read by the language model from the section's sentences, each found printed "
                         "in the sentence it cited beside its column's words"),
    "llm_table4_prose_cells": ("表四：{note}：{cells}", "表四: {note}: {cells}"),
    "llm_table4_cell": ("{group} {column} {value}", "{group} {column} {value}"),
    "llm_prose_skipped": ("正文核对已跳过：{error}", "prose cross-check skipped: {error}"),
    "llm_prose_unusable": ("正文核对：语言模型对位于 {at} 的句子的回答不可用（{error}）",
                           "prose cross-check: the language model's answer for the sentence at {at} was unusable ({error})"),
    "prose_mismatch": ("正文称{label} {prose}（“{quote}”），而表中印为 {table}",
                       "the narrative says {label} {prose} (“{quote}”) but the table prints {table}"),

    # ---- reports from before the national template (pretemplate.py, rules/legacy_table.py)
    "pretemplate_year": ("报告年度 {year} 早于 {first} 年的全国模板",
                         "report year {year} predates the {first} national template"),
    "pretemplate_old_table": ("报告印有旧统计表（指标名称／计量单位／本年度／历年累计），没有全国模板的任何一张表",
                              "the report prints the old statistics table (指标名称 / 计量单位 / 本年度 / 历年累计) and "
                              "none of the national template's tables"),
    "legacy_nothing_read": ("没有旧统计表，也没有陈述数字的句子：未读出任何内容",
                            "no old statistics table and no sentence stating figures: nothing read"),
    "legacy_summary": ("{parts}", "{parts}"),
    "legacy_table_read": ("已读出旧统计表：{n} 项指标", "old statistics table read: {n} indicators"),
    "legacy_from_sentences": ("{n} 项数字来自写明没有的句子", "{n} figure(s) from sentences saying there were none"),
    "legacy_not_settled_count": ("{n} 项未确定（{name}：{doubt}）", "{n} not settled ({name}: {doubt})"),
    "legacy_not_settled": ("旧统计表 {name}：{doubt}；记为未确定（null）",
                           "旧统计表 {name}: {doubt}; recorded as not settled (null)"),
    "legacy_sum": ("旧统计表 {name} {column} {total} ≠ {terms: + }", "旧统计表 {name} {column} {total} ≠ {terms: + }"),
    "legacy_term": ("{name} {value}", "{name} {value}"),
    "legacy_cumulative": ("旧统计表 {name}：历年累计 {cumulative} 小于本年度 {this_year}",
                          "旧统计表 {name}: 历年累计 {cumulative} is less than 本年度 {this_year}"),
    "legacy_text": ("正文称«{clause}»，而旧统计表印为 {name} {value}",
                    "the text says «{clause}» but the old statistics table prints {name} {value}"),
    "legacy_cell_not_number": ("单元格“{text}”不是数字", "cell '{text}' is not a number"),
    "legacy_cells_for_columns": ("{columns} 列却有 {cells} 个单元格", "{cells} cells for {columns} columns"),
    "legacy_numbers_for_columns": ("{columns} 列只印出 {n} 个数字", "{n} number(s) printed for {columns} columns"),
    "legacy_numbers_unreadable": ("数字无法读出：{cells: }", "numbers not readable: {cells: }"),
    "legacy_digits_unreadable": ("数字 {digits} 无法读作 {n} 个数", "the digits {digits} cannot be read as {n} numbers"),
    "legacy_readings": ("数字 {digits} 读作 {columns:/} 有 {n} 种读法（{readings:, }{more}）",
                        "the digits {digits} can be read as {columns:/} in {n} ways ({readings:, }{more})"),
    "how_as_printed": ("按原样", "as printed"),
    "how_only_reading": ("其数字唯一的读法", "the only reading of its digits"),
    "how_legacy_sums": ("表中合计（仅此一种读法能使各部分在每列都等于其合计）",
                        "the table's sums (its parts add up to its total in every column only this way)"),
    "how_legacy_text": ("正文：«{clause}»", "the text: «{clause}»"),
    "glued_read_by": ("连写数字按{how}读出", "glued digits read by {how}"),
    "statement_none": ("该句写明没有", "the sentence says there were none"),

    # ---- the evidence that ranks a reading of a glued run (readings.py: evidence_<code>)
    "evidence_prose": ("报告正文写明 {value}：“{quote}”", "the report's text states {value}: “{quote}”"),
    "evidence_table_sums": ("按此读法表三各列合计可以成立", "with this reading 表三's column totals can hold"),
    "evidence_last_year": ("与 {year} 年报告衔接：{detail}", "carries over from the {year} report: {detail}"),
    "evidence_next_year": ("与 {year} 年报告衔接：{detail}", "carries over into the {year} report: {detail}"),
    "evidence_nearby_years": ("{year} 年现行有效 {other_in_force} 件，此读法为 {in_force} 件",
                              "现行有效 was {other_in_force} in {year}; this reading has {in_force}"),
    "evidence_prior_in_force_ge_issued": ("现行有效 {in_force} 少于本年制发 {issued}（多数报告不会如此）",
                                          "现行有效 {in_force} below 本年制发 {issued} (unusual)"),
    "evidence_prior_repealed_le_in_force": ("本年废止 {repealed} 多于现行有效 {in_force}（少见）",
                                            "本年废止 {repealed} above 现行有效 {in_force} (unusual)"),
    "evidence_prior_total_ge_new": ("对外公开总数 {total} 少于本年新公开 {new}（多数报告不会如此）",
                                    "对外公开总数量 {total} below 本年新公开 {new} (unusual)"),
    "evidence_prior_items_not_negative": ("上一年 {prev} 项、本年增减 {change}：项目数将小于 0",
                                          "last year {prev} items and a change of {change}: fewer than zero items"),
    "evidence_prior_change_within_level": ("本年增减 {change} 超过上一年项目数 {prev}（少见）",
                                           "a change of {change} beyond last year's {prev} items (unusual)"),
    "evidence_prior_lengths": ("数字位数不均（{lengths:/}）", "numbers of uneven lengths ({lengths:/})"),
    "evidence_prior_size": ("数字偏大", "larger numbers"),

    # ---- one agency's report against its previous one (analysis/findings.py, crosscheck.py)
    "cross_year_carryover": ("{year} 年上年结转 [{now:, }] 与 {last_year} 年结转下年度 [{before:, }] 不一致（{columns}）",
                             "上年结转 of {year} [{now:, }] differs from 结转下年度 of {last_year} [{before:, }] "
                             "({columns})"),
    "cross_year_in_force": ("{label} 现行有效件数 {printed} ≠ {last_year} 年 {last_in_force} + 制发 {issued} − 废止 "
                            "{repealed} = {expected}",
                            "{label} 现行有效件数 {printed} ≠ {last_in_force} in {last_year} + 制发 {issued} − 废止 "
                            "{repealed} = {expected}"),
    "cross_year_jump": ("{label} 从 {last_year} 年 {before} 变为 {year} 年 {now}（{ratio}）",
                        "{label}: {before} in {last_year}, {now} in {year} ({ratio})"),
    "jump_ratio": ("{ratio:.1f} 倍", "×{ratio:.1f}"),
    "jump_from_zero": ("上年为 0", "0 the year before"),
    "cross_year_missing": ("缺少 {span} 年度的报告（{last_year} 年之后、{year} 年之前）",
                           "no report for {span} (after {last_year}, before {year})"),
    "cross_year_repeat": ("{year} 年表三与 {last_year} 年表三逐格相同",
                          "表三 of {year} is identical, cell for cell, to 表三 of {last_year}"),
    "cross_year_compared": ("{finding}；对照 {year} 年报告（{path}）", "{finding}; compared with the {year} report ({path})"),

    # ---- numbers read by OCR (decide.ocr_doubts, load/scan.py)
    "ocr_unsure": ("OCR 对 {n} 个单元格没有把握：{cells}{more}", "the OCR is unsure of {n} cell(s): {cells}{more}"),
    "ocr_unconfirmed": ("两次 OCR 读数不一致（表二没有合计可以核对）的单元格有 {n} 个：{cells}{more}",
                        "two OCR reads disagree (表二 has no sums to check them) on {n} cell(s): {cells}{more}"),
    "ocr_cell": ("{field} = {value}（{how}）", "{field} = {value} ({how})"),
    "ocr_no_read": ("没有覆盖它的 OCR 读数", "no OCR read covers it"),
    "ocr_reads": ("读作“{reads:” / “}”，各读数最低的数字得分 {scores: / }{extra}",
                  "read '{reads:' / '}', lowest digit scores {scores: / }{extra}"),
    "ocr_extra": ("；{note}", "; {note}"),
    "ocr_marks_unread": ("单元格内有笔画，但未识别出文字", "marks in the cell, nothing recognised"),

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
