"""Known-answer tests of spf_analysis.stats.survey (methods README sections 4-5; R survey 4.1.1 values)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spf_analysis.stats.survey import Design, SurveyDesignError

DATA = Path(__file__).parent / "data"
REL = 1e-8


def one(df, col="estimate"):
    assert len(df) == 1
    return float(df[col].iloc[0])


@pytest.fixture(scope="module")
def apistrat():
    return pd.read_csv(DATA / "apistrat.csv")


@pytest.fixture(scope="module")
def apiclus1():
    return pd.read_csv(DATA / "apiclus1.csv")


@pytest.fixture(scope="module")
def toy():
    return pd.DataFrame(
        dict(
            stratum=[1, 1, 1, 2, 2, 2, 2],
            psu=list("aabccde"),
            y=[1.0, 2, 3, 4, 5, 6, 7],
            w=[10.0, 10, 20, 5, 5, 15, 10],
        )
    )


# --- published cases -------------------------------------------------------------------
def test_api_stratified(apistrat):
    d = Design(apistrat, "pw", strata="stype", fpc="fpc")
    m = d.mean("api00")
    assert one(m) == pytest.approx(662.287363, rel=1e-8)
    assert one(m, "se") == pytest.approx(9.40894080278458, rel=REL)  # published 9.4089
    assert one(m, "deff") == pytest.approx(1.16556617145353, rel=REL)  # R deff="replace"
    t = d.total("enroll")
    assert one(t) == pytest.approx(3687178, rel=1e-6)
    assert one(t, "se") == pytest.approx(114641.71610078, rel=REL)  # published 114,642
    assert one(t, "deff") == pytest.approx(0.350328806095534, rel=REL)
    r = d.ratio("api00", "api99")
    assert one(r) == pytest.approx(1.05226054621825, rel=REL)
    assert one(r, "se") == pytest.approx(0.00364392223084347, rel=REL)
    assert one(m, "ci_low") == pytest.approx(662.287363159 - 1.959963984540054 * 9.40894080278458, rel=1e-9)


def test_api_domains(apistrat):
    out = Design(apistrat, "pw", strata="stype", fpc="fpc").mean("api00", by="stype")
    assert list(out.stype) == ["E", "H", "M"]
    np.testing.assert_allclose(out.estimate, [674.43, 625.82, 636.60], rtol=1e-10)
    np.testing.assert_allclose(out.se, [12.3824797939073, 14.9371291853931, 16.2147073081845], rtol=REL)
    assert list(out.n) == [100, 50, 50]


def test_api_one_stage_cluster(apiclus1):
    m = Design(apiclus1, "pw", psu="dnum", fpc="fpc").mean("api00")
    assert one(m) == pytest.approx(644.169399, rel=1e-8)
    assert one(m, "se") == pytest.approx(23.542240693781, rel=REL)  # published 23.542
    m = Design(apiclus1, "pw", psu="dnum").mean("api00")
    assert one(m, "se") == pytest.approx(23.7790107208869, rel=REL)  # published 23.779


def test_api_two_stage_with_replacement():
    c2 = pd.read_csv(DATA / "apiclus2.csv")
    d = Design(c2, "pw", psu="dnum")  # ultimate cluster = R id=~dnum+snum without fpc
    m = d.mean("api00")
    assert one(m) == pytest.approx(670.811808118081, rel=1e-12)
    assert one(m, "se") == pytest.approx(30.7115763093288, rel=REL)  # published 30.712
    t = d.total("enroll", na_rm=True)  # 6 missing: R na.rm=TRUE keeps the design
    assert one(t) == pytest.approx(2639272.93, rel=1e-12)
    assert one(t, "se") == pytest.approx(820261.146476758, rel=REL)
    assert one(t, "n") == 120


def test_nhanes2_zinc():
    nh = pd.read_csv(DATA / "nhanes2.csv")
    m = Design(nh, "finalwgt", "stratid", "psuid", nest=True).mean("zinc", na_rm=True)
    assert one(m) == pytest.approx(87.182067, abs=5e-7)
    assert one(m, "se") == pytest.approx(0.494483, abs=5e-7)


def test_toy_exact(toy):
    d = Design(toy, "w", "stratum", "psu")
    m = d.mean("y")
    assert one(m) == pytest.approx(3.933333333333333, rel=1e-14)
    assert one(m, "se") == pytest.approx(0.5221229220011437, rel=1e-12)
    t = d.total("y")
    assert one(t) == 295
    assert one(t, "se") == pytest.approx(49.2442890089805, rel=1e-12)
    p = d.with_columns(low=toy.y < 4.5).proportion("low")
    yes = p[p.level == True]  # noqa: E712
    assert one(yes) == pytest.approx(0.6, rel=1e-14)
    assert one(yes, "se") == pytest.approx(0.0933333333333333, rel=1e-12)
    assert p.estimate.sum() == pytest.approx(1.0)


# --- domain estimation against a plain-loop reference ------------------------------------
def reference_ratio(df, y, x, dom, w, h, p):
    """Straightforward implementation of methods section 4 (loops, full sample)."""
    d = df[dom].to_numpy(float)
    Y, X = (df[w] * df[y] * d).sum(), (df[w] * df[x] * d).sum()
    R = Y / X
    u = df[w] * d * (df[y] - R * df[x]) / X
    V = 0.0
    for _, g in df.assign(u=u).groupby(h):
        t = g.groupby(p)["u"].sum()
        n = len(t)
        V += n / (n - 1) * ((t - t.mean()) ** 2).sum()
    return R, np.sqrt(V)


def test_domain_keeps_all_rows():
    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame(
        dict(h=rng.integers(0, 4, n), w=rng.uniform(1, 9, n), y=rng.normal(10, 3, n), x=rng.uniform(1, 2, n), g=rng.integers(0, 3, n))
    )
    df["p"] = df.h * 10 + rng.integers(0, 5, n)
    d = Design(df, "w", "h", "p")
    out = d.ratio("y", "x", by="g")
    for g in range(3):
        R, se = reference_ratio(df.assign(dom=df.g == g), "y", "x", "dom", "w", "h", "p")
        row = out[out.g == g]
        assert one(row) == pytest.approx(R, rel=1e-12)
        assert one(row, "se") == pytest.approx(se, rel=1e-10)
        # subsetting the data instead would give a different (wrong) SE
        sub = Design(df[df.g == g], "w", "h", "p").ratio("y", "x")
        assert one(sub) == pytest.approx(R, rel=1e-12)
    mean = d.mean("y", by="g")
    one_col = d.with_columns(one=np.ones(n)).ratio("y", "one", by="g")
    np.testing.assert_allclose(mean.se, one_col.se, rtol=1e-12)
    # several variables at once equal one at a time
    both = d.mean(["y", "x"], by="g")
    np.testing.assert_allclose(both[both.variable == "x"].se, d.mean("x", by="g").se, rtol=1e-13)


def test_two_by_columns_and_deff_formula(toy):
    d = Design(toy.assign(a=[0, 0, 1, 1, 0, 1, 1]), "w", "stratum", "psu")
    out = d.mean("y", by=["stratum", "a"])
    assert len(out) == 4 and list(out.columns[:3]) == ["variable", "stratum", "a"]
    # deff = V / (W^2 s^2 / n) for the overall mean
    m = d.mean("y")
    w, y = toy.w, toy.y
    W, n = w.sum(), len(y)
    s2 = n / (n - 1) * (w * (y - (w * y).sum() / W) ** 2).sum() / W
    assert one(m, "deff") == pytest.approx(one(m, "se") ** 2 / (s2 / n), rel=1e-12)


def test_empty_domain_is_nan_row(toy):
    df = toy.assign(g=pd.Categorical(["u", "u", "v", "v", "u", "v", "u"], categories=["u", "v", "empty"]))
    out = Design(df, "w", "stratum", "psu").mean("y", by="g")
    assert list(out.g) == ["u", "v", "empty"]
    empty = out[out.g == "empty"]
    assert one(empty, "n") == 0
    assert empty[["estimate", "se", "ci_low", "ci_high", "deff"]].isna().all(axis=None)
    assert out[out.g != "empty"].estimate.notna().all()


def test_lonely_psu_rules(toy):
    df = toy.copy()
    df.loc[df.stratum == 1, "psu"] = "a"  # stratum 1 has one PSU
    with pytest.raises(SurveyDesignError, match="stratum 1 .*only one PSU"):
        Design(df, "w", "stratum", "psu")
    cert = Design(df, "w", "stratum", "psu", lonely_psu="certainty").total("y")
    rem = Design(df, "w", "stratum", "psu", lonely_psu="remove").total("y")
    adj = Design(df, "w", "stratum", "psu", lonely_psu="adjust").total("y")
    # stratum 2 alone: PSU totals 45, 90, 70 -> 3/2 * sum dev^2
    t2 = np.array([45.0, 90, 70])
    v2 = 1.5 * ((t2 - t2.mean()) ** 2).sum()
    assert one(cert, "se") ** 2 == pytest.approx(v2, rel=1e-12)
    assert one(rem, "se") == one(cert, "se")
    # adjust: the lonely PSU total (10+20+60=90) deviates from 0
    assert one(adj, "se") ** 2 == pytest.approx(v2 + 90.0**2, rel=1e-12)


def test_fpc_certainty_stratum(toy):
    df = toy.assign(N=np.where(toy.stratum == 1, 2, 30))  # stratum 1 fully sampled
    t = Design(df, "w", "stratum", "psu", fpc="N").total("y")
    t2 = np.array([45.0, 90, 70])
    assert one(t, "se") ** 2 == pytest.approx((1 - 3 / 30) * 1.5 * ((t2 - t2.mean()) ** 2).sum(), rel=1e-12)


def test_quantile_api(apistrat):
    d = Design(apistrat, "pw", strata="stype", fpc="fpc")
    q = d.quantile("api00", [0.25, 0.5])
    assert list(q.estimate) == [565, 668]
    np.testing.assert_allclose(q.se, [15.7194511320391, 13.1840557881618], rtol=REL)
    assert list(q.ci_low) == [535, 642] and list(q.ci_high) == [597, 694]
    qb = d.quantile("api00", 0.5, by="stype")
    assert list(qb.estimate) == [671, 635, 648]


def test_quantile_rule_hand():
    df = pd.DataFrame(dict(y=[3.0, 1, 2, 4], w=[1.0, 1, 1, 1]))
    d = Design(df, "w")
    q = d.quantile("y", [0.25, 0.3, 0.5, 1.0])
    assert list(q.estimate) == [1.0, 2.0, 2.0, 4.0]  # S_j = pW -> x_j, else next value


# --- input errors --------------------------------------------------------------------------
def test_errors(toy):
    with pytest.raises(SurveyDesignError, match="weight column 'nope'"):
        Design(toy, "nope")
    with pytest.raises(SurveyDesignError, match="psu column 'q' not found"):
        Design(toy, "w", psu="q")
    bad = toy.copy()
    bad.loc[4, "w"] = np.nan
    with pytest.raises(SurveyDesignError, match="'w'.*row 4"):
        Design(bad, "w")
    bad.loc[4, "w"] = 0
    with pytest.raises(SurveyDesignError, match="non-positive.*row 4"):
        Design(bad, "w")
    two = toy.copy()
    two.loc[6, "psu"] = "a"  # PSU 'a' in strata 1 and 2
    with pytest.raises(SurveyDesignError, match="psu 'a'.*more than one stratum.*row 6"):
        Design(two, "w", "stratum", "psu")
    nested = toy.assign(psu=[1, 1, 2, 1, 1, 2, 3])
    with pytest.raises(SurveyDesignError, match="nest=True"):
        Design(nested, "w", "stratum", "psu")
    assert one(Design(nested, "w", "stratum", "psu", nest=True).mean("y"), "se") == pytest.approx(0.5221229220011437)
    d = Design(toy.assign(s=list("abcdefg")), "w", "stratum", "psu")
    with pytest.raises(SurveyDesignError, match="'s' is not numeric"):
        d.mean("s")
    with pytest.raises(SurveyDesignError, match="'zz' not found"):
        d.mean("zz")
    miss = d.with_columns(m=[1.0, np.nan, 2, 3, 4, 5, 6])
    with pytest.raises(SurveyDesignError, match="'m' is missing at row 1"):
        miss.mean("m")
    assert one(miss.mean("m", na_rm=True), "n") == 6
    with pytest.raises(SurveyDesignError, match="by column 'g'"):
        d.mean("y", by="g")
    with pytest.raises(SurveyDesignError, match="smaller than the number of sampled PSUs"):
        Design(toy.assign(N=1), "w", "stratum", "psu", fpc="N")
    with pytest.raises(ValueError):  # the custom class is a ValueError
        Design(toy, "w", lonely_psu="average")


def test_critical_values_equal_scipy_stats_bit_for_bit():
    """_zcrit and _tcrit (scipy.special, to spare scipy.stats' import) give scipy.stats' own numbers:
    norm.ppf and t.ppf, with t.ppf's edge cases (df <= 0 or NaN, p at or outside 0 and 1, df = inf)."""
    import numpy as np
    from scipy import stats

    from spf_analysis.stats.survey import _tcrit, _zcrit

    for level in (0.5, 0.8, 0.9, 0.95, 0.99, 0.999):
        assert _zcrit(level) == stats.norm.ppf(0.5 + level / 2)
    p = np.array([0.0, 1e-12, 0.025, 0.5, 0.95, 0.975, 0.995, 1.0, -0.1, 1.1, np.nan])
    df = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 7.0, 30.0, 1e6, np.inf, np.nan])
    P, D = np.meshgrid(p, df)
    np.testing.assert_array_equal(_tcrit(P, D), stats.t.ppf(P, D))
    assert _tcrit(0.975, 12) == stats.t.ppf(0.975, 12) and np.ndim(_tcrit(0.975, 12)) == 0


def test_the_cells_of_the_variance_are_np_uniques_to_the_element():
    # counted when the key range is small, sorted by np.unique when it is large: the same arrays and dtypes
    from spf_analysis.stats.survey import _cells

    rng = np.random.default_rng(11)
    for size, n in [(1, 1), (7, 50), (500, 46_515), (3_000, 40), (10**7, 1_000), (10**7, 3)]:
        key = rng.integers(0, size, n)
        cells, inv = _cells(key, size)
        want_cells, want_inv = np.unique(key, return_inverse=True)
        assert cells.dtype == want_cells.dtype and inv.dtype == want_inv.dtype
        assert np.array_equal(cells, want_cells) and np.array_equal(inv, want_inv)
