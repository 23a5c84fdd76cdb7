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
    # a synthetic chapter's CSV carries the label as its last column, on every row
    assert out.read_text() == ("district,year,n,rate,data\n"
                               "A,2017,1234567,0.123456,Synthetic survey data (not PBS microdata)\n"
                               "B,2023,2,12,Synthetic survey data (not PBS microdata)\n")
    assert "Synthetic survey data" not in html.split('<p class="synthetic">')[0]  # not a column of the report
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
    # the label column only in the synthetic table's CSV
    assert (paths.tables_dir() / "07_gaps.csv").read_text() == \
        "a,data\n1,Synthetic survey data (not PBS microdata)\n"
    assert (paths.tables_dir() / "07_costs.csv").read_text() == "a\n1\n"


def test_synthetic_csv_reads_back_and_republishes():
    """pandas reads a synthetic CSV as a table with one more column; passed back to a synthetic
    table it is not labelled twice; to a non-synthetic table, or a real column named 'data', it is refused."""
    ch = outputs.Chapter(5, "x", synthetic=True)
    ch.table(pd.DataFrame({"group": ["old"], "rate": [80.3]}), "gaps", "Gaps", source="S")
    back = pd.read_csv(paths.tables_dir() / "05_gaps.csv")
    assert list(back.columns) == ["group", "rate", "data"] and back.loc[0, "rate"] == 80.3
    html = ch.table(back, "again", "Again", source="S")._repr_html_()
    assert ">data<" not in html
    assert (paths.tables_dir() / "05_again.csv").read_text() == \
        (paths.tables_dir() / "05_gaps.csv").read_text()
    with pytest.raises(ValueError, match="make it with synthetic=True"):
        ch.table(back, "plain", "Plain", source="S", synthetic=False)
    with pytest.raises(ValueError, match="reserved"):
        ch.table(pd.DataFrame({"data": ["x"]}), "own", "Own", source="S")


def test_a_table_mixing_synthetic_and_published_rows_labels_its_synthetic_rows():
    import numpy as np

    ch = outputs.Chapter("S", "Summary")
    df = pd.DataFrame({"what": ["population", "gap"], "value": [40856097, 80.3]})
    t = ch.table(df, "key", "Key", source="S", synthetic=pd.Series([False, True]))
    assert outputs.SYNTHETIC_NOTICE in t._repr_html_()
    assert (paths.tables_dir() / "S_key.csv").read_text() == \
        "what,value,data\npopulation,40856097,\ngap,80.3,Synthetic survey data (not PBS microdata)\n"
    assert pd.read_csv(paths.tables_dir() / "S_index.csv")["synthetic"].tolist() == [True]
    back = pd.read_csv(paths.tables_dir() / "S_key.csv")  # read back: the label column is recognised
    ch.table(back, "key2", "Key", source="S", synthetic=back["data"].notna())
    assert (paths.tables_dir() / "S_key2.csv").read_bytes() == (paths.tables_dir() / "S_key.csv").read_bytes()
    ch.table(df, "none", "None", source="S", synthetic=np.array([False, False]))  # no synthetic row: no label
    assert (paths.tables_dir() / "S_none.csv").read_text() == "what,value\npopulation,40856097\ngap,80.3\n"
    with pytest.raises(ValueError, match="1 flags for 2 rows"):
        ch.table(df, "bad", "Bad", source="S", synthetic=[True])


def _png(synthetic):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar([1, 2], [3, 4])
    ax.set_xlabel("x")
    return outputs.figure_png(fig, synthetic=synthetic)


def test_synthetic_figure_carries_the_label_inside_the_png():
    import io

    import matplotlib.image as mpimg

    plain, synth = _png(False), _png(True)
    assert _png(True) == synth and _png(False) == plain  # deterministic bytes
    assert synth != plain
    a, b = mpimg.imread(io.BytesIO(plain)), mpimg.imread(io.BytesIO(synth))
    # the label is a band under the figure: the image is taller by it, the same width,
    # and the band holds grey (not white) pixels on its right half only (right-aligned text)
    assert b.shape[1] == a.shape[1] and b.shape[0] > a.shape[0]
    band = b[a.shape[0]:, :, :3]
    ink = (band < 0.9).any(axis=2)
    assert ink[:, band.shape[1] // 2:].any() and not ink[:, :band.shape[1] // 4].any()


def _savefig_png(fig, synthetic=False):
    """What figure_png did before it drew once: savefig's own tight bounding box (two drawings)."""
    import io

    if synthetic:
        outputs.label_synthetic(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


def _outside(fig_kw=None):
    """A figure whose tick labels and legend lie outside its own area, as the study's bar charts'
    long category labels and legends above the axes do (savefig's tight box reaches beyond it)."""
    fig, ax = plt.subplots(figsize=(4, 3), **(fig_kw or {}))
    ax.barh(["a category with a long label", "b"], [3, 4], label="after")
    ax.set_xlabel("Poverty headcount (%)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.05))
    if not fig_kw:
        fig.subplots_adjust(left=0.05, bottom=0.02)
    return fig


def test_one_drawing_gives_savefig_s_tight_image():
    """figure_png draws a figure once and cuts its tight box out of the pixels; savefig lays it out,
    then draws it again from a fraction of a pixel. Same image size (the padded tight box, also where
    the figure's texts reach outside it), the same pixels but for antialiasing; the synthetic label
    under everything, right-aligned, within a few pixels of where label_synthetic puts it (which
    lays the figure out at the figure's dpi, not the image's)."""
    import io

    import matplotlib.image as mpimg
    import numpy as np

    fig = _outside()
    fig.draw_without_rendering()
    box = fig.get_tightbbox(fig.canvas.get_renderer())
    assert box.x0 < 0 and box.y0 < 0  # the case that needs the enlarged canvas
    plt.close(fig)
    for synthetic in (False, True):
        ours = mpimg.imread(io.BytesIO(outputs.figure_png(_outside(), synthetic=synthetic)))
        theirs = mpimg.imread(io.BytesIO(_savefig_png(_outside(), synthetic=synthetic)))
        assert ours.shape[1] == theirs.shape[1]
        if not synthetic:
            assert ours.shape == theirs.shape
            diff = np.abs(ours - theirs).max(axis=2)
            assert diff.mean() < 0.03 and (diff > 0.25).mean() < 0.06, (diff.mean(), (diff > 0.25).mean())
        else:
            assert abs(ours.shape[0] - theirs.shape[0]) <= 4
            band = ours[-20:, :, :3]  # the label's row, bottom right
            ink = (band < 0.9).any(axis=2)
            assert ink[:, ink.shape[1] // 2:].any() and not ink[:, :ink.shape[1] // 4].any()
    plt.close("all")


def test_figures_one_drawing_cannot_make_are_saved_by_savefig():
    """A figure with a layout engine (laid out on its own area, not the enlarged canvas) and one
    whose texts reach beyond the margin are saved by savefig: exactly its bytes."""
    engine = _outside({"layout": "constrained"})
    assert outputs._png_one_drawing(engine, 150, False) is None
    assert outputs.figure_png(_outside({"layout": "constrained"})) == _savefig_png(engine)

    def far():
        fig = _outside()
        fig.text(-outputs.MARGIN_INCHES / 2, 0.5, "far to the left of the figure")  # fraction: 2 widths out
        return fig
    fig = far()
    assert outputs._png_one_drawing(fig, 150, True) is None
    assert not [t for t in fig.texts if t.get_text() == outputs.SYNTHETIC_LABEL]  # the label it drew is removed
    assert outputs.figure_png(far(), synthetic=True) == _savefig_png(far(), synthetic=True)
    plt.close("all")


def test_chapter_figure_labels_only_synthetic_figures():
    for synthetic in (False, True):
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.bar([1, 2], [3, 4])
        ax.set_xlabel("x")
        outputs.Chapter(5, "x").figure(fig, f"f{synthetic}", "F", source="S", synthetic=synthetic)
    assert (paths.figures_dir() / "05_fFalse.png").read_bytes() == _png(False)  # unchanged
    assert (paths.figures_dir() / "05_fTrue.png").read_bytes() == _png(True)


def _align_by_parsing(table_html, numeric):
    """What _align_numbers did with BeautifulSoup (its reference)."""
    from bs4 import BeautifulSoup

    if not numeric:
        return table_html
    soup = BeautifulSoup(table_html, "html.parser")
    for tr in soup.find_all("tr"):
        cells = tr.find_all(["td", "th"], recursive=False)
        for i in numeric:
            if i < len(cells):
                cells[i]["class"] = cells[i].get("class", []) + ["num"]
    return str(soup)


def test_numeric_cells_marked_as_by_parsing():
    """_align_numbers marks the numeric columns' cells without a parser: byte for byte what
    BeautifulSoup's html.parser gives, on pandas' tables with escaped text, line breaks and code,
    blank and non-breaking-space cells, and on a cell that has a class already."""
    df = pd.DataFrame({"name": ["a & b <c>", "  ", "x\x1fy", "\ue000id_1\ue001 and \ue000id_2\ue001", "q\"uote's"],
                       "n": ["1,234", "", "-0.5", "\xa0", " "], "m": ["5", "6", "7", "8", "9"]})
    html = (df.to_html(index=False, escape=True, classes="spf-table", border=0, na_rep="")
            .replace("\x1f", "<br/>").replace("\ue000", "<code>").replace("\ue001", "</code>"))
    for numeric in ([1], [1, 2], [0, 2], []):
        assert outputs._align_numbers(html, numeric) == _align_by_parsing(html, numeric), numeric
    assert outputs._align_numbers(html, [1]).count('class="num"') == 6  # the header and five rows
    own = '<table>\n  <tr>\n    <th class="x">a</th>\n    <td>1</td>\n  </tr>\n</table>'
    assert outputs._align_numbers(own, [0, 1]) == _align_by_parsing(own, [0, 1])
    assert '<th class="x num">' in outputs._align_numbers(own, [0])


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
    assert "<td>A</td>" in html and "<td>B</td>" in html and "<td>yes</td>" in html  # booleans read yes/no
    assert '<th class="num">n</th>' in html
