"""A long table shown as a grid (Chapter.table view=, exhibits.grid) keeps its CSV; locators show as code."""

import pandas as pd
import pytest

from spf_analysis.config import labels
from spf_analysis.report import exhibits
from spf_analysis.report.exhibits import Chapter, grid

LONG = pd.DataFrame({"scenario": ["kp_medium", "kp_medium", "kp_low", "kp_low"],
                     "indicator": ["headcount_pre", "headcount_post", "headcount_pre", "headcount_post"],
                     "estimate": [26.97, 18.87, 26.97, 21.66], "se": [1.19, 1.01, 1.19, 1.09],
                     "ci_low": [24.65, 16.89, 24.65, 19.52], "ci_high": [29.30, 20.85, 29.30, 23.80]})


def test_grid_hand_made():
    g = grid(LONG, "scenario", "indicator", index_order=["kp_low", "kp_medium"],
             column_order=["headcount_pre", "headcount_post"])
    assert g.columns.tolist() == ["scenario", "headcount_pre", "headcount_post"]
    assert g["scenario"].tolist() == ["kp_low", "kp_medium"]
    # 21.66 -> "21.7", its interval 19.52-23.80 -> "[19.5, 23.8]" on a second line, no break inside it
    assert g.loc[0, "headcount_post"] == "21.7\n[19.5,\u00a023.8]"
    assert g.loc[1, "headcount_pre"] == "27.0\n[24.6,\u00a029.3]"  # 24.65 rounds half to even in binary: 24.6
    assert grid(LONG, "scenario", "indicator", low=None, high=None).loc[0, "headcount_pre"] == "27.0"


def test_table_view_keeps_the_long_csv(tmp_path, monkeypatch):
    monkeypatch.setenv("SPF_OUTPUT_DIR", str(tmp_path))
    ch = Chapter(9, "Test")
    ex = ch.table(LONG, "impact", "Poverty before and after", source="test",
                  view=grid(LONG, "scenario", "indicator", column_order=["headcount_pre", "headcount_post"]))
    csv = pd.read_csv(tmp_path / "tables" / "09_impact.csv")
    assert csv.columns.tolist() == LONG.columns.tolist() and len(csv) == 4  # the CSV is the long table
    assert "Full floor, medium level" in ex.html and labels.header("headcount_post") in ex.html
    assert "18.9<br/>[16.9,\u00a020.9]" in ex.html  # 20.85 is 20.8500000000000014 in binary
    assert "headcount_pre" not in ex.html.split("</table>")[0]
    with pytest.raises(ValueError, match="either view or rows"):
        ch.table(LONG, "bad", "x", source="test", view=LONG, columns=["scenario"])


def test_locators_are_code_and_other_ids_still_stop_the_build(tmp_path, monkeypatch):
    monkeypatch.setenv("SPF_OUTPUT_DIR", str(tmp_path))
    ch = Chapter(9, "Test")
    df = pd.DataFrame({"entry": ["Sehat card"], "source": ["Source: scheme_facts F101 (Daily Times)"]})
    ex = ch.table(df, "src", "Sources", source="test", locators=["source"])
    assert "Source: <code>scheme_facts</code> F101 (Daily Times)" in ex.html
    with pytest.raises(labels.UnlabelledId, match="scheme_facts"):
        ch.table(df, "src2", "Sources", source="test")


def test_numeric_text_columns_align_right():
    assert exhibits._numeric_text(pd.Series(["27.0\n[24.6, 29.3]", "-1.5", ""]))
    assert not exhibits._numeric_text(pd.Series(["Full floor", "27.0"]))


def test_point_labels_do_not_overlap():
    import matplotlib.pyplot as plt

    from spf_analysis.report import plots

    fig, ax = plt.subplots(figsize=(4, 3))
    xs, ys = [1.0, 1.0, 1.0, 5.0], [2.0, 2.0, 2.0, 9.0]  # three points on top of each other
    ax.scatter(xs, ys)
    ann = plots.label_points(ax, xs, ys, ["Full floor, medium level", "Medium, phased roadmap", "Child benefit", "Far"])
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    from matplotlib.text import Text

    boxes = [Text.get_window_extent(a, r) for a in ann]  # the text alone, without its leader line
    assert not any(boxes[i].overlaps(boxes[j]) for i in range(4) for j in range(i + 1, 4))
    # the coincident points' labels: above, then (below would leave the axes) further up, right of them
    assert [a.xyann for a in ann[:3]] == [(4, 3), (4, 12), (4, 21)]
    assert ann[2].arrow_patch is not None and ann[0].arrow_patch is None  # only a displaced label has a leader line
    frame = ax.get_window_extent(r)
    assert all(frame.x0 <= b.x0 and b.x1 <= frame.x1 and frame.y0 <= b.y0 and b.y1 <= frame.y1 for b in boxes)
    assert ann[3].xyann[0] == -4 and ann[3].get_ha() == "right"  # "Far", at the right edge: left of its point
    plt.close(fig)


def test_a_point_label_never_covers_another_points_marker():
    """Figure 5.4's case: a label right of its point lay over the next point's marker (the child benefit's
    label on the minimum package's circle), so the reader took one for the other."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.transforms import Bbox

    from spf_analysis.report import plots

    fig, ax = plt.subplots(figsize=(5, 3))
    xs, ys = [300.0, 345.0, 0.0, 2000.0], [1.39, 1.50, 0.0, 4.5]  # the two points 45 apart on a 0-2000 axis
    ax.scatter(xs, ys)
    ann = plots.label_points(ax, xs, ys, ["Child benefit", "Minimum package (B)", "", ""])
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    from matplotlib.text import Text

    pts = ax.transData.transform(np.column_stack([xs, ys]))
    k = 3.5 * fig.dpi / 72
    marks = [Bbox.from_extents(x - k, y - k, x + k, y + k) for x, y in pts]
    child = next(a for a in ann if a.get_text() == "Child benefit")
    assert not Text.get_window_extent(child, r).overlaps(marks[1])
    package = next(a for a in ann if a.get_text() == "Minimum package (B)")
    assert not Text.get_window_extent(package, r).overlaps(marks[0])
    plt.close(fig)


def test_a_value_that_rounds_to_zero_never_shows_a_minus_sign(tmp_path, monkeypatch):
    # Python formats -0.02 to one decimal as "-0.0"; a table shows "0.0" (and "+0.0" under a "+" format),
    # as the "z" option would; other values keep their sign
    f = exhibits.format_cell
    assert f("{:.1f}", -0.02) == "0.0" and f("{:.1f}", -0.0) == "0.0" and f("{:.1f}", -0.06) == "-0.1"
    assert f("{:+.1f}", -1.1e-14) == "+0.0" and f("{:+.1f}", 2.2e-14) == "+0.0" and f("{:+.1f}", -0.3) == "-0.3"
    assert f("{:.1%}", -0.0004) == "0.0%" and f("{:,.0f}", -0.4) == "0" and f("{:,.0f}", -1234.6) == "-1,235"
    assert f("{:d}", -3) == "-3" and f("{}", 2017) == "2017"
    grid_cells = grid(LONG.assign(ci_low=[-0.02, 16.89, 24.65, 19.52]), "scenario", "indicator")
    assert grid_cells.loc[grid_cells["scenario"] == "kp_medium", "headcount_pre"].item() == "27.0\n[0.0,\u00a029.3]"
    monkeypatch.setenv("SPF_OUTPUT_DIR", str(tmp_path))
    ex = Chapter(9, "Test").table(LONG.assign(se=[-0.01, 1.01, 1.19, 1.09]), "signs", "Signs", source="test",
                                  formats={"se": "{:.1f}"})
    assert ">0.0</td>" in ex.html and ">-0.0<" not in ex.html
    assert pd.read_csv(tmp_path / "tables" / "09_signs.csv")["se"].iloc[0] == -0.01  # the CSV keeps the value
