"""Exhibits display themselves in a kernel, once, and a re-run cell replaces its exhibit.

The display tests run small notebooks in a real Jupyter kernel (as papermill, nbval and
JupyterLab do): an exhibit made anywhere in a cell shows, and one that is also the cell's
last expression, or wrapped in ``display()``, shows once, not twice.
"""

import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest

from spf_analysis.config import paths
from spf_analysis.report import exhibits

SETUP = """
import pandas as pd, matplotlib.pyplot as plt
from IPython.display import display
from spf_analysis.report.exhibits import Chapter
ch = Chapter(4, "Costing")
df = pd.DataFrame({"a": [1, 2]})
def fig():
    f, ax = plt.subplots(figsize=(1, 1)); ax.plot([1, 2]); return f
"""


def run_cells(sources, tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in [SETUP, *sources]]
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    return nb.cells[1:]


def labels_shown(cell):
    """The exhibit labels a cell's outputs show, in order, one per display."""
    import re

    return [m for o in cell.outputs
            for m in re.findall(r'<span class="label">((?:Table|Figure) [0-9SA]+\.[0-9]+)\.</span>',
                                o.get("data", {}).get("text/html", ""))]


@pytest.fixture(scope="module")
def kernel_cells(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nb")
    import os

    before = os.environ.get("SPF_OUTPUT_DIR")
    os.environ["SPF_OUTPUT_DIR"] = str(tmp / "outputs")  # inherited by the kernel
    try:
        return run_cells([
            # 0: not the last expression (was lost before)
            'ch.table(df, "t1", "First", source="S")\nx = 1',
            # 1: the last expression: once
            'ch.figure(fig(), "f1", "Fig", source="S")',
            # 2: wrapped in display(): once
            'display(ch.table(df, "t2", "Second", source="S"))',
            # 3: two exhibits in one cell, the second last: both, once each
            'ch.figure(fig(), "f2", "Fan", source="S")\nch.table(df, "t3", "Third", source="S")',
            # 4: a workbook-only table: its pointer line, once
            '_ = ch.table(df, "t4", "Long", source="S", report=False)',
            # 5: cell 2 re-run: same label, no error
            'display(ch.table(df.assign(a=[3, 4]), "t2", "Second, again", source="S"))',
            # 6: the next table keeps the chapter's numbering
            'ch.table(df, "t5", "Fifth", source="S")',
        ], tmp), tmp / "outputs"
    finally:
        if before is None:
            os.environ.pop("SPF_OUTPUT_DIR", None)
        else:
            os.environ["SPF_OUTPUT_DIR"] = before


def test_every_exhibit_shows_once_in_a_kernel(kernel_cells):
    cells, _ = kernel_cells
    assert [labels_shown(c) for c in cells] == [
        ["Table 4.1"], ["Figure 4.1"], ["Table 4.2"], ["Figure 4.2", "Table 4.3"], ["Table 4.4"],
        ["Table 4.2"], ["Table 4.5"]]
    assert not any(o.output_type == "error" for c in cells for o in c.outputs)
    assert "not printed here" in cells[4].outputs[0]["data"]["text/html"]


def test_rerun_cell_in_a_kernel_replaces_its_exhibit(kernel_cells):
    _, out = kernel_cells
    idx = pd.read_csv(out / "tables" / "04_index.csv", keep_default_na=False)
    assert list(idx["label"]) == ["Table 4.1", "Figure 4.1", "Table 4.2", "Figure 4.2", "Table 4.3",
                                  "Table 4.4", "Table 4.5"]
    row = idx[idx["name"] == "t2"].iloc[0]
    assert row["title"] == "Second, again"
    assert (out / "tables" / "04_t2.csv").read_text() == "a\n3\n4\n"
    assert list(idx["report"].astype(str)) == ["True"] * 5 + ["False", "True"]


def test_same_table_twice_keeps_label_and_numbering():
    ch = exhibits.Chapter(4, "x")
    df = pd.DataFrame({"a": [1]})
    a = ch.table(df, "one", "One", source="S")
    b = ch.table(df, "two", "Two", source="S")
    b2 = ch.table(pd.DataFrame({"a": [9]}), "two", "Two (re-run)", source="S")
    fig, ax = plt.subplots()
    f = ch.figure(fig, "one", "Fig", source="S")  # a figure may share a table's name
    c = ch.table(df, "three", "Three", source="S")
    assert [a.label, b.label, b2.label, f.label, c.label] == [
        "Table 4.1", "Table 4.2", "Table 4.2", "Figure 4.1", "Table 4.3"]
    idx = exhibits.read_index(["04"], paths.tables_dir())
    assert list(idx["label"]) == ["Table 4.1", "Table 4.2", "Figure 4.1", "Table 4.3"]
    assert idx.loc[1, "title"] == "Two (re-run)"
    assert (paths.tables_dir() / "04_two.csv").read_text() == "a\n9\n"
    # the text cites an exhibit by its name: the label it was given
    assert (ch.label("two"), ch.label("one", kind="figure"), ch.label("three")) == ("Table 4.2", "Figure 4.1", "Table 4.3")
    with pytest.raises(KeyError, match="no table named 'four'"):
        ch.label("four")


def test_outside_a_kernel_nothing_is_displayed_until_asked(capsys):
    ch = exhibits.Chapter(2, "x")
    t = ch.table(pd.DataFrame({"a": [1]}), "t", "T", source="S")
    assert capsys.readouterr().out == "" and not t.shown
    assert "Table 2.1" in repr(t) and "Table 2.1." in t._repr_html_()
