"""Numbered, sourced figures and tables."""

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from spf_analysis.report import exhibits as outputs
from spf_analysis.config import paths


def test_table_and_figure_numbering_files_and_captions(tmp_path):
    ch = outputs.Chapter(3, "Coverage", synthetic=True)
    df = pd.DataFrame({"district": ["A", "B"], "year": [2017, 2023], "n": [1234567, 2],
                       "rate": [0.123456, 12.0]})
    t = ch.table(df, "first", "A table", source="Somebody 2020", labels={"n": "Persons"})
    fig, ax = plt.subplots()
    ax.plot([1, 2])
    f = ch.figure(fig, "line", "A figure", source="Somebody 2021", note="A note")
    t2 = ch.table(df, "second", "Another", source="S")
    html = t._repr_html_()
    assert "Table 3.1." in html and "Table 3.2." in t2._repr_html_()
    assert "Figure 3.1." in f._repr_html_() and "data:image/png;base64," in f._repr_html_()
    assert "1,234,567" in html and ">2017<" in html and "Persons" in html
    assert "Source: Somebody 2020" in html and outputs.SYNTHETIC_NOTICE in html
    out = paths.tables_dir() / "03_first.csv"
    assert out.read_text() == "district,year,n,rate\nA,2017,1234567,0.123456\nB,2023,2,12\n"
    assert (paths.figures_dir() / "03_line.png").read_bytes()[:4] == b"\x89PNG"


def test_source_is_required():
    ch = outputs.Chapter(1, "x")
    with pytest.raises(ValueError, match="needs a source"):
        ch.table(pd.DataFrame({"a": [1]}), "t", "T", source="")


def test_png_is_reproducible():
    def make():
        fig, ax = plt.subplots()
        ax.bar([1, 2], [3, 4])
        return outputs.figure_png(fig)
    assert make() == make()


def test_lettered_chapter_for_summary_and_annex():
    ch = outputs.Chapter("A", "Annex A. Assumptions")
    t = ch.table(pd.DataFrame({"a": [1]}), "params", "Parameters", source="params/*.yaml")
    assert "Table A.1." in t._repr_html_() and 'id="A_params"' in t._repr_html_()
    assert (paths.tables_dir() / "A_params.csv").exists()
    assert (paths.tables_dir() / "A_index.csv").read_text().count("Table A.1") == 1
    assert outputs.Chapter(7, "x").key == "07" and outputs.Chapter("7", "x").key == "07"
    for bad in ("a", "AB", "S_1", ""):
        with pytest.raises(ValueError, match="one capital letter"):
            outputs.Chapter(bad, "x")


def test_synthetic_flag_per_output():
    ch = outputs.Chapter(7, "Matrix", synthetic=True)
    a = ch.table(pd.DataFrame({"a": [1]}), "gaps", "Gaps", source="S")
    b = ch.table(pd.DataFrame({"a": [1]}), "costs", "Costs", source="S", synthetic=False)
    assert outputs.SYNTHETIC_NOTICE in a._repr_html_() and outputs.SYNTHETIC_NOTICE not in b._repr_html_()
    idx = pd.read_csv(paths.tables_dir() / "07_index.csv")
    assert list(idx["synthetic"]) == [True, False]


def test_line_breaks_in_text_cells():
    ch = outputs.Chapter(7, "Matrix")
    t = ch.table(pd.DataFrame({"a": ["- one\n- two"], "n": [1]}), "m", "M", source="S")
    assert "- one<br/>- two" in t._repr_html_() and "\\n" not in t._repr_html_()
    assert (paths.tables_dir() / "07_m.csv").read_text() == 'a,n\n"- one\n- two",1\n'


def test_table_can_show_part_of_a_long_table():
    ch = outputs.Chapter(5, "x")
    df = pd.DataFrame({"s": ["a", "a", "b"], "v": [1, 2, 3], "why": ["long", "text", "here"]})
    html = ch.table(df, "part", "Part", source="S", rows=df["s"] == "a", columns=["s", "v"])._repr_html_()
    assert "The report shows 2 of 3 rows and 2 of 3 columns" in html and "05_part.csv" in html
    assert "long" not in html and ">3<" not in html
    assert (paths.tables_dir() / "05_part.csv").read_text().count("\n") == 4  # the CSV keeps all rows
    with pytest.raises(ValueError, match="not in the table"):
        ch.table(df, "bad", "Bad", source="S", columns=["nope"])


def test_numeric_columns_are_marked_for_right_alignment():
    ch = outputs.Chapter(1, "x")
    df = pd.DataFrame({"district": ["A"], "agency": ["B"], "n": [1234], "share": [0.5], "flag": [True]})
    html = ch.table(df, "align", "Align", source="S")._repr_html_()
    assert '<td class="num">1,234</td>' in html and '<td class="num">0.5</td>' in html
    assert "<td>A</td>" in html and "<td>B</td>" in html and "<td>True</td>" in html
    assert '<th class="num">n</th>' in html
