"""Excel workbooks: reproducible bytes, valid sheet names, titles and sources."""

import io
import time

import openpyxl
import pandas as pd

from spf_analysis.report import tables


def sheets():
    return [{"name": "01_population", "title": "Table 1.1. Population", "source": "PBS",
             "df": pd.DataFrame({"a": [1, 2], "b": [0.5, None]})},
            {"name": "x" * 40, "title": "T", "source": "S", "note": "N",
             "df": pd.DataFrame({"c": ["p"]})},
            {"name": "03_gaps", "title": "Table 3.1. Gaps", "source": "survey", "note": "N",
             "data": "Synthetic survey data (not PBS microdata)", "df": pd.DataFrame({"g": [80.3]})}]


def test_workbook_is_reproducible():
    a = tables.workbook_bytes(sheets(), "Tables")
    time.sleep(1.1)  # openpyxl stamps the clock at second resolution
    assert tables.workbook_bytes(sheets(), "Tables") == a


def test_workbook_content():
    wb = openpyxl.load_workbook(io.BytesIO(tables.workbook_bytes(sheets(), "Tables")))
    assert wb.sheetnames == ["Contents", "01_population", "x" * 31, "03_gaps"]
    ws = wb["01_population"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0][0] == "Table 1.1. Population" and rows[1][0] == "Source: PBS"
    assert rows[3][:2] == ["a", "b"] and rows[4][:2] == [1, 0.5] and rows[5][:2] == [2, None]
    assert [c.value for c in wb["Contents"][4]][:2] == ["01_population", "Table 1.1. Population"]
    # the data label: a column of the contents (empty for a sheet without one) and the row under the title
    assert [c.value for c in wb["Contents"][3]] == ["Sheet", "Table", "Source", "Note", "Data"]
    assert [c.value for c in wb["Contents"][4]][4] is None
    assert [c.value for c in wb["Contents"][6]][4] == "Synthetic survey data (not PBS microdata)"
    syn = [[c.value for c in r] for r in wb["03_gaps"].iter_rows()]
    assert [r[0] for r in syn] == ["Table 3.1. Gaps", "Data: Synthetic survey data (not PBS microdata)",
                                   "Source: survey", "Note: N", None, "g", 80.3]
    assert wb["03_gaps"]["A2"].font.b and rows[1][0] == "Source: PBS"  # no label row without a label


def test_sheet_names_are_unique_and_valid():
    used = set()
    assert tables.sheet_name("a/b:c", used) == "a_b_c"
    assert tables.sheet_name("A/B:C", used) == "A_B_C~2"
    assert len(tables.sheet_name("y" * 40, used)) == 31
