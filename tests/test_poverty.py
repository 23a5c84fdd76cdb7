"""Known-answer tests of spf_analysis.stats.poverty (methods README sections 3 and 5)."""

import numpy as np
import pandas as pd
import pytest

from spf_analysis.stats.poverty import (
    fgt,
    gini,
    gini_by,
    gini_and_linearised,
    gini_linearised,
    poverty_measures,
    quantile_groups,
    watts,
    weighted_quantile,
)
from spf_analysis.stats.survey import Design, SurveyDesignError


def test_fgt_haughton_khandker():
    y = [100, 110, 150, 160]
    assert fgt(y, 125, 0) == pytest.approx(0.5)
    assert fgt(y, 125, 1) == pytest.approx(0.08)
    assert fgt(y, 125, 2) == pytest.approx(0.0136)
    # weights = replication
    assert fgt([100, 150, 160], 125, 1, w=[2, 1, 1]) == pytest.approx((2 * 0.2) / 4)


def test_watts():
    assert watts([50, 100, 200], 100) == pytest.approx(np.log(2) / 3)
    with pytest.raises(SurveyDesignError):
        watts([0, 100], 100)


def test_poverty_measures_design_se():
    df = pd.DataFrame(
        dict(h=[1, 1, 1, 2, 2, 2, 2], p=list("aabccde"), y=[100.0, 110, 150, 160, 90, 200, 120], w=[10.0, 10, 20, 5, 5, 15, 10])
    )
    d = Design(df, "w", "h", "p")
    out = poverty_measures(d, "y", 125, watts_index=True)
    assert list(out.indicator) == ["fgt0", "fgt1", "fgt2", "watts"]
    poor = (df.y < 125).astype(float)
    ref = d.with_columns(poor=poor).mean("poor")
    assert out.estimate.iloc[0] == pytest.approx(ref.estimate.iloc[0], rel=1e-14)
    assert out.se.iloc[0] == pytest.approx(ref.se.iloc[0], rel=1e-14)
    assert out.estimate.iloc[1] == pytest.approx(fgt(df.y, 125, 1, df.w), rel=1e-14)
    assert out.estimate.iloc[3] == pytest.approx(watts(df.y, 125, df.w), rel=1e-14)


def test_gini_known_values():
    assert gini([1, 2, 3, 4]) == pytest.approx(25.0)
    assert gini([1, 2, 3, 4], [2, 2, 2, 2]) == pytest.approx(25.0)  # scale invariant
    assert gini([5, 5, 5]) == pytest.approx(0.0)
    # weights 3,1 on values 1,2: Eurostat formula by hand
    x, w = np.array([1.0, 2.0]), np.array([3.0, 1.0])
    W, cw = 4.0, np.array([3.0, 4.0])
    hand = 100 * ((2 * np.sum(w * x * cw) - np.sum(w**2 * x)) / (W * np.sum(w * x)) - 1)
    assert gini([2, 1], [1, 3]) == pytest.approx(hand)
    assert gini([2, 1], [1, 3]) == pytest.approx(100 * (3 * 1 * 1 / 16) * 2 / (5 / 4) / 2)  # pairwise mean diff / 2 mean


def test_gini_linearisation_is_weight_derivative():
    rng = np.random.default_rng(0)
    x = np.round(rng.lognormal(5, 0.7, 60), 0)  # with ties
    w = rng.uniform(1, 5, 60)
    z = gini_linearised(x, w)
    h = 1e-6
    for k in range(0, 60, 7):
        wp, wm = w.copy(), w.copy()
        wp[k] += h
        wm[k] -= h
        fd = (gini(x, wp) - gini(x, wm)) / (2 * h) / 100
        assert z[k] == pytest.approx(fd, rel=1e-5, abs=1e-9)
    assert np.sum(w * z) == pytest.approx(0.0, abs=1e-12)  # scale invariance


def test_gini_and_linearised_from_one_sort_equal_the_definitions_to_the_bit():
    # the tie-group ends found in one pass are those of np.searchsorted (the definition); zeros,
    # negative values, a single value and all values tied included
    def linearised_by_definition(x, w):
        o = np.argsort(x, kind="stable")
        xs, ws = x[o], w[o]
        cw, cy = np.cumsum(ws), np.cumsum(ws * xs)
        last = np.searchsorted(xs, xs, side="right") - 1
        N, Y, G = cw[-1], cy[-1], gini(x, w) / 100
        zs = (2 * cw[last] * xs - 2 * cy[last] + Y - N * xs - G * (Y + N * xs)) / (N * Y)
        z = np.empty_like(zs)
        z[o] = zs
        return z

    rng = np.random.default_rng(7)
    cases = [(np.array([5.0]), np.array([2.0])), (np.full(6, 3.0), rng.uniform(1, 2, 6)),
             (np.array([2.0, 0.0, 2.0, -1.0, 0.0, 7.0]), rng.uniform(1, 2, 6))]
    for n in (10, 200):
        x = np.round(rng.lognormal(5, 1, n), -1)
        x[::4] = 0.0
        cases.append((x, rng.uniform(0.5, 3, n)))
    for x, w in cases:
        points, z = gini_and_linearised(x, w)
        assert points == gini(x, w)
        assert np.array_equal(z, linearised_by_definition(x, w), equal_nan=True)


def test_gini_by_se_matches_design_total_of_scores():
    rng = np.random.default_rng(1)
    n = 300
    df = pd.DataFrame(dict(h=rng.integers(0, 3, n), w=rng.uniform(1, 4, n), y=rng.lognormal(5, 0.5, n), g=rng.integers(0, 2, n)))
    df["p"] = df.h * 10 + rng.integers(0, 6, n)
    d = Design(df, "w", "h", "p")
    out = gini_by(d, "y", by="g")
    for g in (0, 1):
        m = (df.g == g).to_numpy()
        zz = np.zeros(n)
        zz[m] = gini_linearised(df.y[m], df.w[m])
        se = d.with_columns(zz=zz).total("zz").se.iloc[0] * 100
        row = out[out.g == g]
        assert row.estimate.iloc[0] == pytest.approx(gini(df.y[m], df.w[m]))
        assert row.se.iloc[0] == pytest.approx(se, rel=1e-12)


def test_weighted_quantile_eurostat_rule():
    x = [6, 8, 11, 15, 21, 25, 30, 40, 50, 100]
    assert weighted_quantile(x, None, 0.2) == pytest.approx(9.5)  # S_j = pW -> average
    assert weighted_quantile(x, None, 0.25) == 11  # S_2 < pW < S_3 -> x_3
    assert weighted_quantile(x, None, 0.3) == pytest.approx(13.0)  # 0.3*10 on the boundary
    assert weighted_quantile(x, None, 0.5) == pytest.approx(23.0)
    assert weighted_quantile(x, None, 0.0) == 6 and weighted_quantile(x, None, 1.0) == 100
    assert weighted_quantile([1, 2, 3], [1, 2, 1], 0.5) == 2
    np.testing.assert_allclose(weighted_quantile([3, 1, 2, 4], [1, 1, 1, 1], [0.25, 0.5, 0.6]), [1.5, 2.5, 3])


def test_quintile_groups():
    x = np.arange(1, 11, dtype=float)
    assert list(quantile_groups(x)) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    w = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 11.0])  # the richest person holds half the weight
    # cuts q.2=4.5, q.4=8.5, q.6=q.8=10: ties at a cut-point go to the lower group
    assert list(quantile_groups(x, w)) == [1, 1, 1, 1, 2, 2, 2, 2, 3, 3]
    with pytest.raises(SurveyDesignError):
        quantile_groups([1.0, np.nan])


def test_one_weighted_quantile_rule():
    """Weighted quantiles are computed by this module's Eurostat rule (validated against laeken)
    everywhere; the only other definition is survey.Design.quantile (R svyquantile, with its
    interval estimate, validated against R survey)."""
    import ast

    from spf_analysis.config import paths
    from spf_analysis.household import synth
    from spf_analysis.stats import poverty

    allowed = {("stats/poverty.py", "weighted_quantile"), ("stats/poverty.py", "quantile_groups"),
               ("stats/survey.py", "quantile")}
    pkg = paths.ROOT / "spf_analysis"
    defs = set()
    for f in sorted(pkg.rglob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and "quantile" in node.name.lower():
                defs.add((f.relative_to(pkg).as_posix(), node.name))
    assert defs <= allowed, sorted(defs - allowed)
    assert synth.weighted_quantile is poverty.weighted_quantile
