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
    # row 3: the link back to the contents, above the table
    assert rows[2][0] == "Back to contents"
    assert rows[3][:2] == ["a", "b"] and rows[4][:2] == [1, 0.5] and rows[5][:2] == [2, None]
    assert [c.value for c in wb["Contents"][4]][:3] == ["01_population", None, "Table 1.1. Population"]
    # the data label: a column of the contents (empty for a sheet without one) and the row under the title
    assert [c.value for c in wb["Contents"][3]] == ["Sheet", "Table", "Title", "Source", "Note", "Data"]
    assert [c.value for c in wb["Contents"][4]][5] is None
    assert [c.value for c in wb["Contents"][6]][5] == "Synthetic survey data (not PBS microdata)"
    syn = [[c.value for c in r] for r in wb["03_gaps"].iter_rows()]
    assert [r[0] for r in syn] == ["Table 3.1. Gaps", "Data: Synthetic survey data (not PBS microdata)",
                                   "Source: survey", "Note: N", "Back to contents", "g", 80.3]
    assert wb["03_gaps"]["A2"].font.b and rows[1][0] == "Source: PBS"  # no label row without a label


def test_sheet_names_are_unique_and_valid():
    used = set()
    assert tables.sheet_name("a/b:c", used) == "a_b_c"
    assert tables.sheet_name("A/B:C", used) == "A_B_C~2"
    assert len(tables.sheet_name("y" * 40, used)) == 31


# ----------------------------------------------------------------- report formats in the workbook
def test_excel_number_format_by_hand():
    f = tables.excel_number_format
    assert f("{:,.0f}") == "#,##0"
    assert f("{:,.1f}") == "#,##0.0"
    assert f("{:,.2f}") == "#,##0.00"
    assert f("{:.2f}") == "0.00"
    assert f("{:.0f}") == "0"
    assert f("{:.4f}") == "0.0000"
    assert f("{:.1%}") == "0.0%"
    assert f("{:.0%}") == "0%"
    assert f("{}") == "0"  # years
    assert f("{:d}") == "0"
    assert f("{:+.1f}") == "+0.0;-0.0"  # Python shows +0.0 for zero: the first section does too
    assert f("{:.2e}") == "0.00E+00"
    assert f("{:>10,.1f}") == "#,##0.0"  # width and alignment: Excel's column does that
    assert f("{:.1f} %") == '0.0" %"'  # literal text quoted: this % does not scale by 100
    assert f("PKR {:+,.0f}") == '"PKR "+#,##0;"PKR "-#,##0'
    # digits that depend on the value, text, not a spec: General
    for spec in ("{:,.10g}", "{:.3g}", "{:,}", "{:n}", "{:s}", "{:x}", "", None, "abc", "{a}", "{:.1f}\"x"):
        assert f(spec) == "General", spec


def test_column_record_of_chapter_table():
    """Chapter.table records, per CSV column, the header and the format spec the report shows."""
    import json

    from spf_analysis.config import paths
    from spf_analysis.report import exhibits

    tmp_path = paths.tables_dir()  # the tests' output folder (conftest)
    ch = exhibits.Chapter(4, "Costs", synthetic=True)
    df = pd.DataFrame({"scheme": ["a", "b"], "year": [2025, 2026], "people": [1200, 3400],
                       "cost": [1.25, 2.5], "rate": [0.5, 0.25]})
    ch.table(df, "costs", "Costs", source="S", formats={"rate": "{:.1%}"},
             labels={"cost": "Cost (PKR bn)", "rate": "Take-up"}, columns=["scheme", "cost"])
    ch.figure(__import__("matplotlib.pyplot").pyplot.figure(), "fig", "F", source="S")
    idx = exhibits.read_index(["04"], tmp_path)
    record = exhibits.read_columns(idx.loc[0, "columns"])
    # every CSV column, shown or not, and the synthetic-data column last
    assert record == [{"id": "scheme", "label": "scheme", "format": None},
                      {"id": "year", "label": "Year", "format": "{}"},  # the registry's label
                      {"id": "people", "label": "people", "format": "{:,.0f}"},
                      {"id": "cost", "label": "Cost (PKR bn)", "format": "{:,.1f}"},
                      {"id": "rate", "label": "Take-up", "format": "{:.1%}"},
                      {"id": "data", "label": "Data", "format": None}]
    assert idx.loc[1, "columns"] == "" and exhibits.read_columns(idx.loc[1, "columns"]) == []
    text = (tmp_path / "04_index.csv").read_text()
    assert json.dumps(record, separators=(",", ":")).replace('"', '""') in text  # compact, CSV-quoted
    # an index written before the record existed reads with an empty one
    (tmp_path / "05_index.csv").write_text("kind,label,name,title,source,note,file,synthetic,report\n"
                                           "table,Table 5.1,t,T,S,,tables/05_t.csv,False,True\n")
    assert exhibits.read_index(["05"], tmp_path).loc[0, "columns"] == ""


def tiny_sheets():
    columns = [{"id": "district", "label": "District", "format": None},
               {"id": "year", "label": "Year", "format": "{}"},
               {"id": "people", "label": "Children aged 0-4", "format": "{:,.0f}"},
               {"id": "cost", "label": "Cost (PKR bn)", "format": "{:,.1f}"},
               {"id": "share", "label": "Share of GDP", "format": "{:.2f}"},
               {"id": "takeup", "label": "Take-up", "format": "{:.0%}"},
               {"id": "data", "label": "Data", "format": None}]
    df = pd.DataFrame({"district": ["Peshawar", "Swat"], "year": [2025, 2026], "people": [1234567, 89],
                       "cost": [30.19366538, 1.05], "share": [0.3679, 1.5], "takeup": [0.8, 0.125],
                       "data": ["Synthetic survey data (not PBS microdata)"] * 2})
    return [{"name": "04_costs", "label": "Table 4.2", "title": "Costs by district", "source": "S",
             "note": "N", "data": "Synthetic survey data (not PBS microdata)", "columns": columns, "df": df},
            {"name": "04_years", "label": "Table 4.3", "title": "Years", "source": "S",
             "df": pd.DataFrame({"year": [2025], "v": [1.5]})}]  # no record: names, General


def test_workbook_shows_the_report_headers_and_formats():
    wb = openpyxl.load_workbook(io.BytesIO(tables.workbook_bytes(tiny_sheets(), "Tables")))
    ws = wb["04_costs"]
    # title, data label, source, note, back link, header at row 6
    assert ws["A1"].value == "Table 4.2. Costs by district"
    assert ws["A2"].font.b and ws["A2"].font.color.rgb.endswith("9C0006")
    header = [c.value for c in ws[6]]
    assert header == ["District", "Year", "Children aged 0-4", "Cost (PKR bn)", "Share of GDP", "Take-up", "Data"]
    assert all(c.font.b and c.alignment.wrap_text for c in ws[6])
    assert [c.number_format for c in ws[7]] == ["General", "0", "#,##0", "#,##0.0", "0.00", "0%", "General"]
    # numbers stay numbers at full precision; a percentage stays the fraction of the CSV
    assert ws["D7"].value == 30.19366538 and ws["F8"].value == 0.125
    assert ws.freeze_panes == "B7"  # below the header, right of the row labels
    assert ws.auto_filter.ref == "A6:G8"
    # widths from the formatted values: "1,234,567" (9 characters) + 2; the header wraps instead
    assert ws.column_dimensions["C"].width == max(9, len("Children aged 0-4")) + 2
    assert ws.column_dimensions["G"].width == len("Synthetic survey data (not PBS microdata)") + 2
    years = wb["04_years"]
    assert years["A1"].value == "Table 4.3. Years"
    assert [c.value for c in years[4]] == ["year", "v"]  # no record: the CSV names
    assert [c.number_format for c in years[5]] == ["General", "General"]
    assert years.freeze_panes == "A5"  # the first column is a number, not a row label


def test_contents_links_to_every_sheet_and_back():
    wb = openpyxl.load_workbook(io.BytesIO(tables.workbook_bytes(tiny_sheets(), "Tables")))
    contents = wb["Contents"]
    assert contents.freeze_panes == "B4"
    rows = list(contents.iter_rows(min_row=4))
    assert [(r[0].value, r[1].value, r[2].value) for r in rows] == [
        ("04_costs", "Table 4.2", "Costs by district"), ("04_years", "Table 4.3", "Years")]
    for r in rows:
        sheet, cell = r[0].hyperlink.location.rsplit("!", 1)
        assert sheet.strip("'") == r[0].value and sheet.strip("'") in wb.sheetnames and cell == "A1"
        assert r[0].style == "Hyperlink"
        back = [c for row in wb[r[0].value].iter_rows(max_row=6) for c in row if c.hyperlink]
        assert [(c.value, c.hyperlink.location) for c in back] == [("Back to contents", "'Contents'!A1")]


def test_tiny_workbook_is_byte_identical():
    a = tables.workbook_bytes(tiny_sheets(), "Tables")
    time.sleep(1.1)
    assert tables.workbook_bytes(tiny_sheets(), "Tables") == a


def test_scenario_workbook_formats(tmp_path):
    df = pd.DataFrame({"benefit": ["a"], "year": [2025], "eligible": [7496470.95], "cost": [1.5e9],
                       "cost_pct_gdp": [0.8123]})
    t = tables.write_scenario_workbook({"s1": df}, tmp_path / "s.xlsx", title="t",
                                       formats={"cost": "{:,.2f}"})
    ws = openpyxl.load_workbook(t)["s1"]
    assert [c.number_format for c in ws[2]] == ["General", "0", "#,##0", "#,##0.00", "0.000"]
    assert ws.freeze_panes == "B2" and ws["C2"].value == 7496470.95


def test_a_value_excel_cannot_hold_is_named_by_table_column_and_line():
    """A control character (which an Excel cell cannot hold) stops the workbook with the table's file,
    the column and the CSV line (header line 1), not openpyxl's bare IllegalCharacterError."""
    import pytest

    bad = sheets()
    bad[2]["df"] = pd.DataFrame({"g": [80.3, 1.0], "who": ["fine", "bell\x07"]})
    with pytest.raises(tables.WorkbookError,
                       match=r"reports/tables/03_gaps\.csv: column 'who', line 3: 'bell\\x07' holds a control character"):
        tables.workbook_bytes(bad, "Tables")
