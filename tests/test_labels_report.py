"""The built study shows no code id where a reader expects words: every table of the HTML report
(headers and cells) and every sheet of the Excel workbook (headers and cells), except the columns
of values a reader types, which the report shows as code (keys=, code_refs=, locators=).
Figures are checked when they are made (Chapter.figure refuses a legend, tick or title with an id:
tests/test_labels.py)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from spf_analysis.config import labels, paths
from spf_analysis.report.exhibits import read_columns

pytestmark = pytest.mark.skipif(not paths.REPORT_HTML.exists() or not paths.REPORT_XLSX.exists(),
                                reason="needs the built report (make report)")


def test_no_table_of_the_html_report_shows_an_id():
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(paths.REPORT_HTML.read_text(encoding="utf-8"), "html.parser")
    blocks = soup.select(".spf-table-block")
    assert len(blocks) > 50
    found = []
    for blk in blocks:
        for cell in blk.select("th, td"):
            for code in cell.find_all("code"):  # a value the reader types, shown as such
                code.decompose()
            text = cell.get_text(" ")
            if labels.find_ids(text) or text.strip() in ("True", "False"):
                found.append((blk.get("id"), text.strip()[:60]))
    assert not found, found[:20]


def test_no_sheet_of_the_workbook_shows_an_id():
    from openpyxl import load_workbook

    wb = load_workbook(paths.REPORT_XLSX, read_only=True)
    records = {}
    for f in sorted((paths.REPORTS / "tables").glob("*_index.csv")):
        if len(f.stem.split("_")) != 2:  # NN_index.csv, not a table named like 02_cpi_index
            continue
        idx = pd.read_csv(f, keep_default_na=False, dtype=str)
        for r in idx[idx["kind"] == "table"].itertuples():
            records[r.label] = read_columns(getattr(r, "columns", ""))
    contents = list(wb["Contents"].iter_rows(values_only=True))
    head = next(i for i, row in enumerate(contents) if row and row[0] == "Sheet")
    found, checked = [], 0
    for row in contents[head + 1:]:
        sheet, label = row[0], row[1]
        record = records[label]
        rows = list(wb[sheet].iter_rows(values_only=True))
        headers = [c["label"] for c in record]
        at = next(i for i, r in enumerate(rows) if list(r[:len(headers)]) == headers)  # the header row
        free = [i for i, c in enumerate(record) if not (c.get("key") or c.get("code"))]
        for r in rows[at:]:
            for i in free:
                v = r[i] if i < len(r) else None
                if isinstance(v, str) and labels.find_ids(v) or isinstance(v, bool):
                    found.append((sheet, headers[i], str(v)[:60]))
        checked += 1
    assert checked == len(records) and not found, found[:20]
