"""Tables for policy users: reproducible Excel workbooks.

:func:`write_xlsx` writes one sheet per table, each headed by its title and
source, plus a contents sheet linking every sheet (and each sheet links back).
A sheet shows its table as the report does: the report's column headers and,
for each number, the Excel format translated (:func:`excel_number_format`) from
the Python format spec the report used, both read from the column record of the
table in ``NN_index.csv`` (:func:`spf_analysis.report.exhibits.column_record`);
the cells keep the full-precision numbers of the CSV. The file is byte-identical from one build to
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


#: a Python format spec with optional literal text around it: "{:,.1f}", "{}", "{:.1f} %"
_SPEC = re.compile(r"^(?P<pre>[^{}]*)\{(?::(?P<spec>[^{}]*))?\}(?P<post>[^{}]*)$")
#: the format-spec mini-language: [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_MINI = re.compile(r"^(?:.?[<>=^])?(?P<sign>[-+ ]?)z?#?0?(?:\d+)?(?P<group>[,_]?)"
                   r"(?:\.(?P<prec>\d+))?(?P<type>[bcdeEfFgGnosxX%]?)$")


def excel_number_format(spec: str | None) -> str:
    """The Excel number format that shows a number as the Python format ``spec`` does.

    ``"{:,.0f}"`` -> ``#,##0``, ``"{:,.1f}"`` -> ``#,##0.0``, ``"{:.2f}"`` -> ``0.00``,
    ``"{:.1%}"`` -> ``0.0%`` (the cell keeps the fraction, as the CSV does), ``"{:+.1f}"`` ->
    ``+0.0;-0.0``, ``"{:.2e}"`` -> ``0.00E+00``, ``"{}"`` and ``"{:d}"`` (years, counts) -> ``0``,
    literal text around the field is kept (``"{:.1f} %"`` -> ``0.0" %"``). A spec whose digits
    depend on the value (``g``, ``n``, ``{:,}``) or that is not a number format -> ``General``."""
    m = _SPEC.match(spec or "")
    if not m:
        return "General"
    body = m["spec"] or ""
    if body == "":
        core = "0"  # str(v): meant for years and other integers
    else:
        f = _MINI.match(body)
        if not f or f["type"] not in ("f", "F", "%", "d", "e", "E"):
            return "General"
        prec = int(f["prec"]) if f["prec"] is not None else (0 if f["type"] == "d" else 6)
        core = ("#,##0" if f["group"] else "0") + ("." + "0" * prec if prec else "")
        if f["type"] in ("e", "E"):
            core = "0" + ("." + "0" * prec if prec else "") + "E+00"
        elif f["type"] == "%":
            core += "%"
        if f["sign"] == "+":
            core = f"+{core};-{core}"
    pre, post = m["pre"], m["post"]
    if '"' in pre + post:
        return "General"
    if pre or post:
        quote = (lambda t: f'"{t}"' if t else "")
        core = ";".join(quote(pre) + part + quote(post) for part in core.split(";"))
    return core


def _shown(value, spec: str | None) -> str:
    """``value`` as the report shows it (for column widths)."""
    if spec:
        try:
            return spec.format(value)
        except (ValueError, TypeError):
            pass
    return str(value)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


HEADER_WIDTH = 18  # a header of up to this many characters widens its column rather than wrapping
MAX_WIDTH = 50     # column widths are capped; longer text wraps
LINE_HEIGHT = 15   # points, one line of 11-point Calibri


class WorkbookError(ValueError):
    """A table's value the workbook cannot hold (Excel refuses control characters in a cell): the
    message names the table's file, the column and the CSV line."""


def _write_table(ws, df: pd.DataFrame, columns: list[dict], first: int) -> None:
    """Write ``df`` with its header row at row ``first``: the headers of ``columns`` (the column
    record, :func:`spf_analysis.report.exhibits.column_record`; a column not in it keeps its
    name) in bold, wrapped; each number in its column's Excel format; frozen panes below the
    header (and right of the first column when it holds row labels: text); an autofilter;
    widths from the formatted values."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.exceptions import IllegalCharacterError

    record = {c["id"]: c for c in columns}
    specs = [record.get(str(c), {}).get("format") for c in df.columns]
    heads = [str(record.get(str(c), {}).get("label", c)) for c in df.columns]
    formats = [excel_number_format(s) if s else "General" for s in specs]
    for j, h in enumerate(heads, start=1):
        cell = ws.cell(first, j, h)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")
    widths = [0] * len(heads)
    for i, row in enumerate(df.itertuples(index=False), start=first + 1):
        for j, v in enumerate(row):
            v = None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)
            try:
                cell = ws.cell(i, j + 1, v)
            except IllegalCharacterError:  # the CSV's header is line 1, its first data row line 2
                raise WorkbookError(f"column {str(df.columns[j])!r}, line {i - first + 1}: {v!r} holds a control "
                                    "character, which an Excel cell cannot hold") from None
            if v is None:
                continue
            if _is_number(v):
                cell.number_format = formats[j]
            text = _shown(v, specs[j]) if _is_number(v) else str(v)
            longest = max(len(t) for t in text.split("\n"))
            if longest > MAX_WIDTH - 2:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            widths[j] = max(widths[j], longest)
    lines = 1
    for j, h in enumerate(heads):
        word = max((len(w) for w in h.split()), default=0)
        width = min(max(widths[j], min(len(h), HEADER_WIDTH), word, 6) + 2, MAX_WIDTH)
        ws.column_dimensions[get_column_letter(j + 1)].width = width
        # the wrapped header: about (width - 1) characters a line
        lines = max(lines, sum(-(-max(len(part), 1) // max(width - 1, 1)) for part in h.split("\n")))
    ws.row_dimensions[first].height = LINE_HEIGHT * lines
    text_first = len(df.columns) > 1 and not pd.api.types.is_numeric_dtype(df.iloc[:, 0])
    ws.freeze_panes = f"{'B' if text_first else 'A'}{first + 1}"
    if len(df.columns):
        ws.auto_filter.ref = f"A{first}:{get_column_letter(len(df.columns))}{first + max(len(df), 1)}"


def _link(cell, sheet: str) -> None:
    """Make ``cell`` an internal link to cell A1 of ``sheet`` (Excel's Hyperlink style)."""
    from openpyxl.worksheet.hyperlink import Hyperlink

    cell.hyperlink = Hyperlink(ref=cell.coordinate, location="'{}'!A1".format(sheet.replace("'", "''")))
    cell.style = "Hyperlink"


def workbook_bytes(sheets: list[dict], title: str) -> bytes:
    """``sheets``: dicts with ``name``, ``df`` and optional ``label`` ("Table 4.2"), ``title``,
    ``source``, ``note``, ``columns`` (the column record of the table: the headers and number
    formats the report shows, :func:`spf_analysis.report.exhibits.column_record`, as a list of
    dicts) and ``data`` (a data label, e.g. that the table is built on the synthetic survey:
    shown in bold red on the row under the sheet's title and in the contents sheet's column
    "Data"). The contents sheet links each sheet; each sheet links back to it from the blank row
    above its table. Returns the .xlsx bytes (deterministic)."""
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
    contents.append(["Sheet", "Table", "Title", "Source", "Note", "Data"])
    for c in contents[3]:
        c.font = Font(bold=True)
    contents.freeze_panes = "B4"
    used = {"contents"}
    for s in sheets:
        name = sheet_name(s["name"], used)
        label = s.get("label", "")
        contents.append([name, label, s.get("title", ""), s.get("source", ""), s.get("note", ""),
                         s.get("data", "")])
        _link(contents.cell(contents.max_row, 1), name)
        if s.get("data"):
            contents.cell(contents.max_row, 6).font = Font(bold=True, color=DATA_COLOUR)
        ws = wb.create_sheet(name)
        heading = s.get("title", s["name"])
        ws.append([f"{label}. {heading}" if label else heading])
        ws["A1"].font = Font(bold=True)
        if s.get("data"):
            ws.append([f"Data: {s['data']}"])
            ws["A2"].font = Font(bold=True, color=DATA_COLOUR)
        ws.append([f"Source: {s['source']}" if s.get("source") else ""])
        if s.get("note"):
            ws.append([f"Note: {s['note']}"])
        ws.append(["Back to contents"])
        _link(ws.cell(ws.max_row, 1), contents.title)
        try:
            _write_table(ws, s["df"], list(s.get("columns") or []), ws.max_row + 1)
        except WorkbookError as e:
            raise WorkbookError(f"reports/tables/{s['name']}.csv: {e}") from None
    contents.auto_filter.ref = f"A3:F{max(contents.max_row, 4)}"
    for col, w in zip("ABCDEF", (30, 11, 60, 60, 40, 40)):
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


def scenario_formats(df: pd.DataFrame, formats: Mapping[str, str] | None = None) -> dict:
    """The format spec of each column of a costing-scenario table: the rules of
    :meth:`~spf_analysis.report.exhibits.Chapter.table` (:func:`~spf_analysis.report.exhibits.resolve_formats`)
    with floats as whole numbers (people, PKR), except the costs in percent of GDP or budget
    (``cost_pct_*``) and ``benefit_level_share``, to three decimals; ``formats`` overrides."""
    from spf_analysis.report.exhibits import resolve_formats

    shares = {c: "{:.3f}" for c in df.columns if str(c).startswith("cost_pct") or c == "benefit_level_share"}
    return resolve_formats(df, {**shares, **dict(formats or {})}, float_spec="{:,.0f}")


def write_scenario_workbook(sheets: Mapping[str, pd.DataFrame], target: Path, *, title: str,
                            notes: Mapping[str, str] | None = None,
                            formats: Mapping[str, str] | None = None) -> Path:
    """Write ``{sheet name: table}`` to an .xlsx deterministically and atomically.

    Fixed workbook properties (creator, created/modified dates) and fixed zip
    entry timestamps make two builds byte-identical; the file is written to a
    temporary name and moved into place (:func:`spf_analysis.config.fsutil.atomic_path`),
    so a failure leaves the previous workbook untouched.  ``notes``: an optional
    first sheet ``notes`` of key/value rows (sources, conventions). Numbers get the Excel
    formats of :func:`scenario_formats` (``formats``: Python format specs by column, overriding
    them), translated by :func:`excel_number_format`; header row frozen, with an autofilter.
    """
    import datetime as dt
    import io as _io

    from openpyxl import Workbook

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
        fmts = scenario_formats(df, formats)
        record = [{"id": str(c), "label": str(c), "format": fmts[c]} for c in df.columns]
        _write_table(wb.create_sheet(name), df, record, 1)
    buf = _io.BytesIO()
    wb.save(buf)
    target = Path(target)
    with atomic_path(target) as tmp:  # fixed zip and 'modified' stamps: openpyxl stamps the clock
        tmp.write_bytes(fix_zip_times(buf.getvalue()))
    return target
