"""Known-answer tests of spf_analysis.stats.indicators (ASPIRE set, targeting, SDG 1.3.1)."""

import numpy as np
import pandas as pd
import pytest

from spf_analysis.stats import indicators as ind
from spf_analysis.stats.poverty import gini, weighted_quantile
from spf_analysis.stats.survey import Design, SurveyDesignError

Z = 70.0


@pytest.fixture
def toy():
    """Six persons in two strata; hand values in the comments below."""
    df = pd.DataFrame(
        dict(
            h=[1, 1, 1, 2, 2, 2],
            w=[2.0, 1, 1, 2, 1, 3],
            y_post=[60.0, 50, 90, 100, 150, 200],
            t=[20.0, 0, 10, 0, 30, 0],
            q=[1, 1, 2, 2, 3, 3],
        )
    )
    df["y_pre"] = df.y_post - df.t
    df["ben"] = (df.t > 0).astype(float)
    return Design(df, "w", "h")


def est(out, **where):
    m = np.ones(len(out), bool)
    for k, v in where.items():
        m &= out[k].to_numpy() == v
    assert m.sum() == 1, out[m]
    return out[m].iloc[0]


def test_coverage(toy):
    out = ind.coverage(toy, "ben")
    assert est(out).estimate == pytest.approx(0.4)  # (2+1+1)/10
    byq = ind.coverage(toy, "ben", by="q")
    np.testing.assert_allclose(byq.estimate, [2 / 3, 1 / 3, 1 / 4])
    ref = toy.mean("ben", by="q")
    np.testing.assert_allclose(byq.se, ref.se, rtol=1e-14)
    assert list(byq.columns[:2]) == ["indicator", "q"]
    for c in ("estimate", "se", "ci_low", "ci_high"):
        assert c in byq


def test_incidence(toy):
    bi = ind.beneficiary_incidence(toy, "ben", "q")
    np.testing.assert_allclose(bi.estimate, [0.5, 0.25, 0.25])
    assert bi.estimate.sum() == pytest.approx(1)
    ref = toy.with_columns(b1=toy.data.ben * (toy.data.q == 1)).ratio("b1", "ben")
    assert est(bi, q=1).se == pytest.approx(ref.se.iloc[0], rel=1e-14)
    fi = ind.benefit_incidence(toy, "t", "q")
    np.testing.assert_allclose(fi.estimate, [40 / 80, 10 / 80, 30 / 80])


def test_adequacy_average_transfer(toy):
    assert est(ind.adequacy(toy, "t", "y_post")).estimate == pytest.approx(80 / 360)
    assert est(ind.adequacy(toy, "t", "y_post", "ben")).estimate == pytest.approx(80 / 360)
    assert est(ind.average_transfer(toy, "t")).estimate == pytest.approx(20.0)
    byq = ind.average_transfer(toy, "t", by="q")
    np.testing.assert_allclose(byq.estimate, [20, 10, 30])


def test_poverty_impact_and_bcr(toy):
    out = ind.poverty_impact(toy, "y_pre", "y_post", Z)
    assert est(out, indicator="headcount_pre").estimate == pytest.approx(0.3)
    assert est(out, indicator="headcount_post").estimate == pytest.approx(0.3)
    assert est(out, indicator="headcount_reduction").estimate == pytest.approx(0.0)
    assert est(out, indicator="gap_pre").estimate == pytest.approx(80 / 700)
    assert est(out, indicator="gap_post").estimate == pytest.approx(40 / 700)
    assert est(out, indicator="gap_reduction").estimate == pytest.approx(0.5)
    d = toy.data
    gp, gq = gini(d.y_pre, d.w), gini(d.y_post, d.w)
    assert est(out, indicator="gini_pre").estimate == pytest.approx(gp)
    assert est(out, indicator="gini_marginal_contribution").estimate == pytest.approx(gp - gq)
    assert est(out, indicator="gini_reduction").estimate == pytest.approx((gp - gq) / gp)
    assert out.se.notna().all()
    bcr = ind.benefit_cost_ratio(toy, "y_pre", "y_post", "t", Z)
    assert est(bcr).estimate == pytest.approx(40 / 80)  # 2*(30-10) / (2*20+10+30)


def test_aspire_table(toy):
    out = ind.aspire_table(toy, welfare_post="y_post", transfer="t", line=Z, group="q")
    assert list(out.columns[:2]) == ["indicator", "q"]
    assert {"coverage", "beneficiary_incidence", "benefit_incidence", "adequacy", "average_transfer",
            "headcount_reduction", "gini_reduction", "benefit_cost_ratio"} <= set(out.indicator)
    assert est(out[out.q.isna()], indicator="coverage").estimate == pytest.approx(0.4)


TARGETING = [  # Grosh et al. 2022, table 7.3: beneficiaries, (EE, IE) vs poverty line, vs poorest 20%
    ({1, 2}, (0.5, 0.0), (0.0, 0.0)),
    ({2, 3}, (0.5, 0.0), (0.5, 0.5)),
    ({3, 4}, (0.5, 0.0), (1.0, 1.0)),
    (set(range(1, 11)), (0.0, 0.6), (0.0, 0.8)),
]


@pytest.mark.parametrize("bens, vs_line, vs_poorest", TARGETING)
def test_targeting_ten_person_economy(bens, vs_line, vs_poorest):
    y = np.array([6, 8, 11, 15, 21, 25, 30, 40, 50, 100], float)
    df = pd.DataFrame(dict(y=y, w=1.0, person=np.arange(1, 11)))
    df["ben"] = df.person.isin(bens).astype(float)
    df["poor"] = (df.y < 20).astype(float)  # persons 1-4
    df["poorest20"] = (df.y <= weighted_quantile(y, None, 0.2)).astype(float)  # persons 1-2
    assert df.poorest20.sum() == 2
    d = Design(df, "w")
    for target, (ee, ie) in (("poor", vs_line), ("poorest20", vs_poorest)):
        out = ind.targeting_errors(d, "ben", target)
        assert est(out, indicator="exclusion_error").estimate == pytest.approx(ee, abs=1e-15)
        assert est(out, indicator="inclusion_error").estimate == pytest.approx(ie, abs=1e-15)
        assert set(out.target) == {target}
        # observations: the target's persons for the exclusion error, the beneficiaries for the inclusion error
        assert est(out, indicator="exclusion_error").n == df[target].sum()
        assert est(out, indicator="inclusion_error").n == len(bens)


def test_sdg131(toy):
    d = toy.with_columns(old=[0, 0, 1, 1, 1, 0], pension=[0, 0, 1, 0, 1, 0], all=1.0)
    out = ind.sdg131_coverage(d, {"older persons": ("old", "pension"), "population": ("all", "ben")})
    assert est(out, group="older persons").estimate == pytest.approx(2 / 4)  # w 1+1 of 1+2+1
    assert est(out, group="population").estimate == pytest.approx(0.4)
    # observations: the group's members (3 older persons of 6), not every row of the sample
    assert est(out, group="older persons").n == 3 and est(out, group="population").n == 6
    byq = ind.sdg131_coverage(d, {"older persons": ("old", "pension")}, by="q")
    assert byq["n"].tolist() == [d.data.loc[d.data["q"] == q, "old"].sum() for q in byq["q"]]


def test_flag_errors(toy):
    with pytest.raises(SurveyDesignError, match="'t' must be 0/1.*row 0"):
        ind.coverage(toy, "t")
    with pytest.raises(SurveyDesignError, match="'nope' not found"):
        ind.beneficiary_incidence(toy, "ben", "nope")


#: R survey 4.1.1 on tests/data/apiclus1.csv (the package's own api data), one-stage cluster design:
#:   d <- read.csv("tests/data/apiclus1.csv"); d$high <- as.numeric(d$stype == "H")
#:   d$nowide <- as.numeric(d$sch.wide == "No")
#:   dc <- svydesign(id = ~dnum, weights = ~pw, data = d, fpc = ~fpc)
#:   r <- svyciprop(~high, dc, method = "logit", level = 0.95, df = Inf); coef(r); attr(r, "ci")
#:   SE(svymean(~high, dc))
#: (variable, level): (estimate, SE, CI low, CI high), printed with %.17g
R_SVYCIPROP_LOGIT = {
    ("high", 0.95): (0.076502732240495322, 0.026810219050770825, 0.037883982335115425, 0.14841636440862424),
    ("high", 0.9): (0.076502732240495322, 0.026810219050770825, 0.042491567939356503, 0.13392936937391992),
    ("nowide", 0.95): (0.12568306011295999, 0.02035947724462743, 0.090890058552534167, 0.17128552238822109),
    ("nowide", 0.9): (0.12568306011295999, 0.02035947724462743, 0.095830765282307939, 0.16315660780139293),
}


@pytest.mark.parametrize("var,level", sorted(R_SVYCIPROP_LOGIT))
def test_share_interval_is_r_svyciprop_logit(var, level):
    """A share's interval on the logit scale (indicators.share_interval) on the coverage estimator is R's
    svyciprop(method = "logit", df = Inf) on the same design: estimate, SE and both bounds to 1e-10."""
    from spf_analysis.stats.survey import Design

    from pathlib import Path

    d = pd.read_csv(Path(__file__).parent / "data" / "apiclus1.csv")
    d["high"] = (d["stype"] == "H").astype(int)
    d["nowide"] = (d["sch.wide"] == "No").astype(int)
    out = ind.share_interval(ind.coverage(Design(d, "pw", psu="dnum", fpc="fpc"), var, level=level), level)
    got = out[["estimate", "se", "ci_low", "ci_high"]].iloc[0].to_numpy()
    np.testing.assert_allclose(got, R_SVYCIPROP_LOGIT[(var, level)], rtol=1e-10, atol=0)


def test_share_interval_by_hand_and_at_the_edges():
    """Hand-computed: p = 0.2, SE 0.05, 95%: logit 0.2 = -ln 4, half-width 1.959964 x 0.05 / 0.16 = 0.6124888,
    bounds 1 / (1 + exp(1.3862944 +/- 0.6124887)) = 0.1193307 and 0.3156565 (the normal interval: 0.102, 0.298).
    A small share keeps a positive lower bound where the normal one is below 0; 0 and 1 give [p, p];
    a missing SE a missing interval; a share outside [0, 1] is refused."""
    t = pd.DataFrame({"indicator": ["a", "small", "none", "all", "nose"], "estimate": [0.2, 0.0045, 0.0, 1.0, 0.3],
                      "se": [0.05, 0.0026, 0.0, 0.0, np.nan]})
    out = ind.share_interval(t)
    assert out.loc[0, "ci_low"] == pytest.approx(0.1193307, abs=1e-7)
    assert out.loc[0, "ci_high"] == pytest.approx(0.3156565, abs=1e-7)
    assert 0 < out.loc[1, "ci_low"] < 0.0045 < out.loc[1, "ci_high"] and 0.0045 - 1.96 * 0.0026 < 0
    assert out.loc[2, ["ci_low", "ci_high"]].tolist() == [0.0, 0.0]
    assert out.loc[3, ["ci_low", "ci_high"]].tolist() == [1.0, 1.0]
    assert out.loc[4, ["ci_low", "ci_high"]].isna().all()
    assert out["estimate"].tolist() == t["estimate"].tolist() and out["se"].equals(t["se"])
    edge = ind.share_interval(pd.DataFrame({"estimate": [1 + 1e-15, -1e-15], "se": [0.0, 0.0]}))  # rounding
    assert edge[["ci_low", "ci_high"]].to_numpy().tolist() == [[1.0, 1.0], [0.0, 0.0]]
    assert edge["estimate"].tolist() == [1 + 1e-15, -1e-15]
    with pytest.raises(ValueError, match="bad = 1.2"):
        ind.share_interval(pd.DataFrame({"indicator": ["ok", "bad"], "estimate": [0.5, 1.2], "se": [0.1, 0.1]}))
