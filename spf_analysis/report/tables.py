"""Tables for policy users: reproducible Excel workbooks.

:func:`write_xlsx` writes one sheet per table, each headed by its title and
source, plus a contents sheet. The file is byte-identical from one build to
the next: the workbook's created/modified properties are fixed and the zip
entries get a fixed timestamp (openpyxl stamps them with the clock).
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Mapping

import pandas as pd

from spf_analysis.config.fsutil import write_bytes

FIXED_TIME = datetime(2016, 1, 1)  # end of project PAK/12/50/JPN; no clock in outputs
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
DATA_COLOUR = "9C0006"  # dark red: the data label of a sheet (synthetic survey)


def sheet_name(name: str, used: set) -> str:
    """An Excel-valid, unique sheet name (<= 31 characters, no []:*?/\\)."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "sheet"
    out, i = base, 2
    while out.lower() in used:
        suffix = f"~{i}"
        out, i = base[:31 - len(suffix)] + suffix, i + 1
    used.add(out.lower())
    return out


def workbook_bytes(sheets: list[dict], title: str) -> bytes:
    """``sheets``: dicts with ``name``, ``df`` and optional ``title``,
    ``source``, ``note`` and ``data`` (a data label, e.g. that the table is built on
    the synthetic survey: shown in bold red on the row under the sheet's title and in
    the contents sheet's column "Data"). Returns the .xlsx bytes (deterministic)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.properties.creator = "spf_analysis"
    wb.properties.title = title
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    contents = wb.active
    contents.title = "Contents"
    contents.append([title])
    contents["A1"].font = Font(bold=True, size=12)
    contents.append([])
    contents.append(["Sheet", "Table", "Source", "Note", "Data"])
    for c in contents[3]:
        c.font = Font(bold=True)
    used = {"contents"}
    for s in sheets:
        name = sheet_name(s["name"], used)
        contents.append([name, s.get("title", ""), s.get("source", ""), s.get("note", ""),
                         s.get("data", "")])
        if s.get("data"):
            contents.cell(contents.max_row, 5).font = Font(bold=True, color=DATA_COLOUR)
        ws = wb.create_sheet(name)
        ws.append([s.get("title", s["name"])])
        ws["A1"].font = Font(bold=True)
        if s.get("data"):
            ws.append([f"Data: {s['data']}"])
            ws["A2"].font = Font(bold=True, color=DATA_COLOUR)
        ws.append([f"Source: {s['source']}" if s.get("source") else ""])
        if s.get("note"):
            ws.append([f"Note: {s['note']}"])
        ws.append([])
        df = s["df"]
        ws.append([str(c) for c in df.columns])
        header = ws.max_row
        for c in ws[header]:
            c.font = Font(bold=True)
        for row in df.itertuples(index=False):
            ws.append([None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)
                       for v in row])
        for col in ws.columns:
            width = max(len(str(c.value)) if c.value is not None and c.row >= header else 0 for c in col)
            ws.column_dimensions[col[0].column_letter].width = min(max(width + 2, 8), 50)
    for col, w in zip("ABCDE", (28, 60, 60, 40, 40)):
        contents.column_dimensions[col].width = w
    buf = io.BytesIO()
    wb.save(buf)
    return fix_zip_times(buf.getvalue())


def fix_zip_times(data: bytes) -> bytes:
    """Re-pack an .xlsx with fixed zip entry times and a fixed 'modified' property."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps 'modified' at save
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                              + rb"\g<2>", data)
            dst.writestr(fixed, data)
    return out.getvalue()


def write_xlsx(target: Path, sheets: list[dict], title: str) -> None:
    """Write the workbook atomically."""
    write_bytes(Path(target), workbook_bytes(sheets, title))


_EXCEL_EPOCH = (2016, 1, 1, 0, 0, 0)  # = SOURCE_DATE_EPOCH of the Makefile


def write_scenario_workbook(sheets: Mapping[str, pd.DataFrame], target: Path, *, title: str, notes: Mapping[str, str] | None = None) -> Path:
    """Write ``{sheet name: table}`` to an .xlsx deterministically and atomically.

    Fixed workbook properties (creator, created/modified dates) and fixed zip
    entry timestamps make two builds byte-identical; the file is written to a
    temporary name and moved into place (:func:`spf_analysis.config.fsutil.atomic_path`),
    so a failure leaves the previous workbook untouched.  ``notes``: an optional
    first sheet ``notes`` of key/value rows (sources, conventions).
    """
    import datetime as dt
    import io as _io

    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    import numpy as np

    from spf_analysis.config.fsutil import atomic_path

    wb = Workbook()
    wb.remove(wb.active)
    fixed = dt.datetime(*_EXCEL_EPOCH)
    wb.properties.creator = "spf_analysis"
    wb.properties.title = title
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.lastModifiedBy = "spf_analysis"
    all_sheets = {}
    if notes:
        all_sheets["notes"] = pd.DataFrame({"item": list(notes), "value": list(notes.values())})
    all_sheets.update(sheets)
    for name, df in all_sheets.items():
        if len(name) > 31 or any(c in name for c in "[]:*?/\\"):
            raise ValueError(f"invalid Excel sheet name {name!r}")
        ws = wb.create_sheet(name)
        ws.append([str(c) for c in df.columns])
        for row in df.itertuples(index=False):
            ws.append([None if (isinstance(v, float) and np.isnan(v)) else (v.item() if hasattr(v, "item") else v) for v in row])
        for j, col in enumerate(df.columns, start=1):
            width = max([len(str(col))] + [len(f"{v:,.0f}" if isinstance(v, (int, float)) else str(v)) for v in df[col].head(200)])
            ws.column_dimensions[get_column_letter(j)].width = min(max(10, width + 2), 80)
            if pd.api.types.is_float_dtype(df[col]):
                fmt = "0.000" if col.startswith("cost_pct") or col in ("benefit_level_share",) else "#,##0"
                for cell in ws[get_column_letter(j)][1:]:
                    cell.number_format = fmt
        ws.freeze_panes = "A2"
    buf = _io.BytesIO()
    wb.save(buf)
    target = Path(target)
    with atomic_path(target) as tmp:  # fixed zip and 'modified' stamps: openpyxl stamps the clock
        tmp.write_bytes(fix_zip_times(buf.getvalue()))
    return target
