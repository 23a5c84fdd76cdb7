"""spf_analysis.report.plots.estimate_chart: seaborn draws the given estimates and CIs, unchanged."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from spf_analysis.report import plots
from spf_analysis.report.exhibits import figure_png

D = pd.DataFrame({"q": [1, 2, 3, 1, 2, 3], "p": list("AAABBB"), "e": [50, 40, 30, 20, 10, 5.0],
                  "lo": [47, 37, 27, 17, 7, 2.0], "hi": [54, 44, 34, 24, 14, 9.0]})  # asymmetric: -3 / +4


def _whiskers(ax):
    return sorted((float(np.nanmin(y)), float(np.nanmax(y))) for y in
                  (ln.get_xydata()[:, 1] for ln in ax.lines) if len(y) > 3)


@pytest.mark.parametrize("kind", ["bar", "point"])
def test_heights_and_whiskers_are_the_estimates_and_cis(kind):
    fig = plots.estimate_chart(D, "q", "e", "lo", "hi", hue="p", kind=kind)
    ax = fig.axes[0]
    if kind == "bar":
        assert sorted(p.get_height() for p in ax.patches if p.get_height() > 0) == sorted(D["e"])
    assert _whiskers(ax) == sorted(zip(D["lo"], D["hi"]))
    plots.plt.close(fig)


def test_png_bytes_are_deterministic():
    h = {hashlib.sha256(figure_png(plots.estimate_chart(D, "q", "e", "lo", "hi", hue="p"), synthetic=True)).hexdigest()
         for _ in range(2)}
    assert len(h) == 1


def test_estimate_outside_its_ci_is_an_error():
    with pytest.raises(ValueError, match="outside its CI"):
        plots.estimate_chart(D.assign(e=D["hi"] + 1), "q", "e", "lo", "hi")
