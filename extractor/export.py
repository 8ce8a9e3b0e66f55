"""Export the stored results: JSON Lines of records, CSV (long and wide), and an XLSX workbook."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any, Iterator, Sequence, TextIO

from . import store as st
from .legacy import legacy_cells, parse_legacy
from .messages import Lang, reasons_text, render_message
from .record import empty_record, record_to_dict
from .template import APPLICANT_COLUMNS, REVIEW_COLUMNS, REVIEW_ROWS, application_rows, cell_labels

TABLE_LABELS = {"active_disclosure": "表二", "applications": "表三", "review_litigation": "表四",
                "legacy": "旧统计表"}
LEGACY_COLUMN_LABELS = {"this_year": "本年度", "cumulative": "历年累计"}
LONG_HEADER = ["report", "organization", "year", "template", "status", "table", "table_label", "row", "row_label",
               "column", "column_label", "value"]
WIDE_META = ["report", "organization", "year", "template", "status", "review_state", "reasons"]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def cell(value: Any, *, xlsx: bool = False) -> Any:
    """A value safe in a spreadsheet: text that a spreadsheet would run as a formula (starting with
    = + - @, a tab or a carriage return) gets a leading apostrophe, as OWASP recommends; numbers,
    and text that is just a number ('-3'), stay as they are. xlsx: control characters, which the
    format cannot hold, become visible escapes."""
    if not isinstance(value, str):
        return value
    if value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        value = "'" + value
    if xlsx:
        value = _XLSX_ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return value


def exported_rows(store: st.Store, statuses: Sequence[str] | None = None, lang: Lang = "en") -> Iterator[dict[str, Any]]:
    """Current extractions with `record` replaced by the reviewed record when a human corrected it,
    their reasons in `lang`."""
    for row in st.iter_current(store, statuses):
        if row.get("review_state"):
            row["record"] = st.latest_reviewed_record(store, row["id"])
        row["reasons"] = reasons_text(row["status"], row["findings"], row["reasons"], lang)
        yield row


def _json_line(row: dict[str, Any]) -> dict[str, Any]:
    return {"source": row["path"], "status": row["status"], "review_state": row.get("review_state"),
            "record": row["record"], "legacy": row.get("legacy"), "reasons": row["reasons"], "error": row["error"],
            "sha256": row["sha256"],
            "format": row["format"], "engine_version": row["engine_version"], "extraction_id": row["id"]}


def export_jsonl(store: st.Store, out: TextIO, statuses: Sequence[str] | None = None, lang: Lang = "en") -> int:
    """One JSON object per report: source, status, canonical record (or, for a report from before
    the template, its legacy record), reasons. Returns the count."""
    n = 0
    for row in exported_rows(store, statuses, lang):
        out.write(json.dumps(_json_line(row), ensure_ascii=False) + "\n")
        n += 1
    return n


def export_csv_long(store: st.Store, out: TextIO, statuses: Sequence[str] | None = None, lang: Lang = "en") -> int:
    """One CSV line per number: report, table, row, column, value (with Chinese labels). A report
    from before the template gives its legacy figures (table `legacy`, 旧统计表; row its key or
    printed name, row_label the name as printed; column this_year / cumulative)."""
    w = csv.writer(out)
    w.writerow(LONG_HEADER)
    n = 0
    for row in exported_rows(store, statuses, lang):
        rec = row["record"]
        legacy = parse_legacy(row.get("legacy"))
        if legacy is not None:
            names = {f"legacy.figures[{i}]": f.name for i, f in enumerate(legacy.figures)}
            for table, r, c, field, value in legacy_cells(legacy):
                w.writerow([row["path"], legacy.organization, legacy.year, "", row["status"], table,
                            TABLE_LABELS[table], r, names[field.rsplit(".", 1)[0]], c, LEGACY_COLUMN_LABELS[c], value])
            n += 1
            continue
        if not rec:
            continue
        for table, r, c, _field, value in st.record_cells(rec):
            rl, cl = cell_labels(table, r, c, rec.get("template"))
            w.writerow([cell(v) for v in (row["path"], rec.get("organization"), rec.get("year"), rec.get("template"),
                                          row["status"], table, TABLE_LABELS[table], r, rl, c, cl, value)])
        n += 1
    return n


def wide_fields() -> list[str]:
    """Every cell's field path, 2021 template first, then the 2019-only ones."""
    fields: list[str] = []
    for template in ("2021", "2019"):
        for _t, _r, _c, field, _v in st.record_cells(record_to_dict(empty_record(template))):
            if field not in fields:
                fields.append(field)
    return fields


def export_csv_wide(store: st.Store, out: TextIO, statuses: Sequence[str] | None = None, lang: Lang = "en") -> int:
    """One CSV line per report, one column per cell (field paths as headers; blank when not in its template)."""
    fields = wide_fields()
    w = csv.writer(out)
    w.writerow(WIDE_META + fields)
    n = 0
    for row in exported_rows(store, statuses, lang):
        rec = row["record"] or {}
        values = {field: v for _t, _r, _c, field, v in st.record_cells(rec)}
        w.writerow([cell(v) for v in [row["path"], rec.get("organization"), rec.get("year"), rec.get("template"),
                                      row["status"], row.get("review_state") or "", "; ".join(row["reasons"] or [])]
                    + [values.get(f, "") for f in fields]])
        n += 1
    return n


def _active_columns(template: str) -> list[tuple[str, str, str]]:
    """(row, col, header) of 表二 for one template, in template order."""
    rec = record_to_dict(empty_record(template))  # type: ignore[arg-type]
    out = []
    for _t, r, c, _f, _v in st.record_cells({"active_disclosure": rec["active_disclosure"]}):
        rl, cl = cell_labels("active_disclosure", r, c, template)
        out.append((r, c, f"{rl} {cl}".strip()))
    return out


def export_xlsx(store: st.Store, path: str | Path, statuses: Sequence[str] | None = None, lang: Lang = "zh") -> int:
    """A workbook: 表二 (one sheet per template), 表三, 表四 with Chinese labels, 待复核 (review queue),
    and 旧统计表 (the legacy figures of reports from before the 2019 template, one line per indicator)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    meta = ["报告", "机关", "年度", "状态"]
    active = {t: _active_columns(t) for t in ("2021", "2019")}
    s2 = {t: wb.create_sheet(f"表二（{t}）") for t in ("2021", "2019")}
    s3 = wb.create_sheet("表三")
    s4 = wb.create_sheet("表四")
    sr = wb.create_sheet("待复核")
    sl = wb.create_sheet("旧统计表")
    bold = Font(bold=True)

    def header(ws: Any, cells: list[str]) -> None:
        from openpyxl.cell import WriteOnlyCell

        row = []
        for text in cells:
            c = WriteOnlyCell(ws, value=text)
            c.font = bold
            row.append(c)
        ws.append(row)

    for t in ("2021", "2019"):
        header(s2[t], meta + [h for _r, _c, h in active[t]])
    header(s3, meta + ["行"] + list(APPLICANT_COLUMNS))
    header(s4, meta + ["行"] + list(REVIEW_COLUMNS))
    header(sr, ["报告", "状态", "机关", "年度", "风险", "复核", "原因", "错误"])
    header(sl, ["报告", "机关", "年度", "指标名称（原文）", "键", "计量单位", "本年度", "历年累计", "来源", "存疑"])
    n = 0
    for row in exported_rows(store, statuses, lang):
        n += 1
        rec = row["record"]
        if row["status"] in ("review", "failed"):
            sr.append([cell(v, xlsx=True) for v in (row["path"], row["status"], row["organization"], row["year"],
                                                    row["risk"], row.get("review_state") or "",
                                                    "\n".join(row["reasons"] or []), row["error"] or "")])
        legacy = parse_legacy(row.get("legacy"))
        if legacy is not None:
            for f in legacy.figures:
                doubt = render_message(f.doubt_message, lang) if f.doubt_message else f.doubt or ""
                sl.append([cell(v, xlsx=True) for v in (
                    row["path"], legacy.organization, legacy.year, f.name, f.key or "", f.unit or "", f.this_year,
                    f.cumulative, "统计表" if f.source == "table" else "正文", doubt)])
        if not rec:
            continue
        template = rec.get("template", "2021")
        lead = [cell(v, xlsx=True) for v in (row["path"], rec.get("organization"), rec.get("year"), row["status"])]
        ad = rec.get("active_disclosure") or {}
        s2[template].append(lead + [cell((ad.get(r) or {}).get(c) if c else ad.get(r), xlsx=True)
                                    for r, c, _h in active[template]])
        apps = rec.get("applications") or {}
        for key, label in application_rows(template).items():
            s3.append(lead + [label] + [cell(v, xlsx=True) for v in apps.get(key) or []])
        rl = rec.get("review_litigation") or {}
        for key, label in REVIEW_ROWS.items():
            s4.append(lead + [label] + [cell(v, xlsx=True) for v in rl.get(key) or []])
    wb.save(str(path))
    return n
