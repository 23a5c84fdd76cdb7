"""Known answers for the survey-weighted regression (spf_analysis.stats.regression) and the PMT
targeting errors (spf_analysis.household.pmt).

R golden output: tests/data/svyglm_small_golden.csv, written by tests/data/svyglm_small.R (R 4.2.2,
survey 4.1.1) from tests/data/svyglm_small.csv and tests/data/apistrat.csv; R is not needed here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spf_analysis.household import pmt
from spf_analysis.stats.regression import survey_wls
from spf_analysis.stats.survey import SurveyDesignError
from spf_analysis.config import paths

DATA = paths.ROOT / "tests" / "data"
GOLDEN = pd.read_csv(DATA / "svyglm_small_golden.csv")
CASES = {
    "small": dict(file="svyglm_small.csv", y="y", x=["x1", "x2"], weight="w", strata="stratum", psu="psu", fpc=None),
    "apistrat_fpc": dict(file="apistrat.csv", y="api00", x=["api99", "meals"], weight="pw", strata="stype", psu=None, fpc="fpc"),
}


def _fit(case, **kw):
    c = CASES[case]
    d = pd.read_csv(DATA / c["file"])
    return d, survey_wls(d, c["y"], c["x"], c["weight"], c["strata"], c["psu"], c["fpc"], **kw)


def test_exact_linear_data_recovers_the_coefficients():
    """y = 2 + 3 x1 - 1.5 x2 exactly: any weights give these coefficients, residuals 0, SE 0, R2 1."""
    x1 = np.array([0.0, 1, 2, 3, 4, 5, 6, 7])
    x2 = np.array([1.0, 0, 0, 1, 1, 0, 1, 0])
    d = pd.DataFrame({"x1": x1, "x2": x2, "y": 2 + 3 * x1 - 1.5 * x2, "w": [1, 5, 2, 7, 1, 3, 2, 9.0],
                      "h": [1, 1, 1, 1, 2, 2, 2, 2], "psu": [1, 1, 2, 2, 3, 3, 4, 4]})
    r = survey_wls(d, "y", ["x1", "x2"], "w", "h", "psu")
    assert r.coef["estimate"].tolist() == pytest.approx([2.0, 3.0, -1.5], abs=1e-12)
    assert r.coef["se"].max() < 1e-12
    assert r.r_squared == pytest.approx(1.0, abs=1e-12)
    assert r.df == 4 - 2 - 2  # PSUs - strata - (terms - 1), as svyglm's df.residual
    assert r.predict(pd.DataFrame({"x1": [10.0], "x2": [1.0]}))[0] == pytest.approx(30.5)


@pytest.mark.parametrize("case", list(CASES))
def test_coefficients_se_and_r2_equal_r_svyglm(case):
    """Coefficients and design-based SEs equal R svyglm's to 1e-8 (relative): the same estimator
    (WLS) and the same linearisation (strata-centred PSU scores, n_h/(n_h-1), fpc in apistrat)."""
    _, r = _fit(case)
    g = GOLDEN[GOLDEN["case"] == case].reset_index(drop=True)
    assert r.coef["estimate"].to_numpy() == pytest.approx(g["estimate"].to_numpy(), rel=1e-8, abs=1e-10)
    assert r.coef["se"].to_numpy() == pytest.approx(g["se"].to_numpy(), rel=1e-8)
    assert r.r_squared == pytest.approx(float(g["r_squared"].iloc[0]), rel=1e-10)
    assert r.df == int(g["df_residual"].iloc[0])


def test_weights_matter_in_the_golden_case():
    """The small design's weights are informative: unweighted OLS differs from svyglm's coefficients
    (which we reproduce) by far more than the 1e-8 tolerance."""
    d, r = _fit("small")
    ols = survey_wls(d.assign(one=1.0), "y", ["x1", "x2"], "one", "stratum", "psu")
    g = GOLDEN[GOLDEN["case"] == "small"]["estimate"].to_numpy()
    assert np.max(np.abs(ols.coef["estimate"].to_numpy() - g)) > 1e-2
    assert np.max(np.abs(r.coef["estimate"].to_numpy() - g)) < 1e-8


def test_cluster_robust_se_differs_from_r_by_the_strata_and_small_sample_factor():
    """statsmodels' cluster-robust SE (by PSU) is not svyglm's: it ignores the strata and applies
    G/(G-1) (N-1)/(N-K). It equals the design-based SE of the same fit without strata times
    sqrt((N-1)/(N-K)) exactly; against R it differs by up to 13% in the small design."""
    d, r = _fit("small")
    no_strata = survey_wls(d, "y", ["x1", "x2"], "w", None, "psu")
    N, K = len(d), 3
    assert r.coef["se_cluster"].to_numpy() == pytest.approx(no_strata.coef["se"].to_numpy() * np.sqrt((N - 1) / (N - K)), rel=1e-8)
    g = GOLDEN[GOLDEN["case"] == "small"]["se"].to_numpy()
    rel = np.abs(r.coef["se_cluster"].to_numpy() / g - 1)
    assert 0.05 < rel.max() < 0.15


def test_collinear_regressors_are_an_error():
    d = pd.DataFrame({"y": [1.0, 2, 3, 4], "a": [1.0, 2, 3, 4], "b": [2.0, 4, 6, 8], "w": 1.0})
    with pytest.raises(SurveyDesignError, match="collinear"):
        survey_wls(d, "y", ["a", "b"], "w")


# ------------------------------------------------------------------------------ targeting errors
TOY = pd.DataFrame({
    "hhcode": [1, 2, 3, 4, 5, 6], "stratum": 1, "psu": [1, 2, 3, 4, 5, 6],
    "weights": [1.0, 2, 1, 1, 2, 1], "hhsize": [2, 1, 3, 1, 2, 1], "poor": [1, 1, 1, 0, 0, 0]})


def test_targeting_errors_on_six_households():
    """Hand-computed, persons = weight x size: poor persons 2 + 2 + 3 = 7, all persons 13.
    Selected households 1, 3, 4: exclusion = household 2's 2 poor persons / 7; selected persons
    2 + 3 + 1 = 6, of whom household 4's 1 is not poor: inclusion 1/6; coverage 6/13.
    Universal: exclusion 0, inclusion = non-poor persons 1 + 4 + 1 = 6 over 13."""
    s = np.array([1, 0, 1, 1, 0, 0], bool)
    t = pmt.targeting_errors(TOY, {"toy": s, "universal": np.ones(6, bool)}).set_index("method")
    assert t.loc["toy", "exclusion"] == pytest.approx(2 / 7)
    assert t.loc["toy", "inclusion"] == pytest.approx(1 / 6)
    assert t.loc["toy", "coverage"] == pytest.approx(6 / 13)
    assert t.loc["toy", "households"] == pytest.approx(3.0)
    assert t.loc["universal", "exclusion"] == 0
    assert t.loc["universal", "inclusion"] == pytest.approx(6 / 13)
    # linearised SE of the exclusion ratio, one stratum of 6 PSUs: u_i = w_i (y_i - R x_i) / X with
    # y = excluded poor persons, x = poor persons, X = 7, R = 2/7: u = (-4, 10, -6, 0, 0, 0) / 49,
    # V = 6/5 sum u^2 = 6/5 x 152 / 49^2
    assert t.loc["toy", "exclusion_se"] == pytest.approx(np.sqrt(6 / 5 * 152) / 49)


def test_select_lowest_reaches_the_target_weight():
    # scores 5, 1, 3, 2 with weights 1, 2, 2, 1: ascending 1 (w 2), 2 (w 1), 3 (w 2) -> cumulative 2, 3, 5
    sel = pmt.select_lowest([5, 1, 3, 2], [1, 2, 2, 1], 3.0)
    assert sel.tolist() == [False, True, False, True]
    assert pmt.select_lowest([5, 1, 3, 2], [1, 2, 2, 1], 3.5).tolist() == [False, True, True, True]


def test_household_proxies_on_a_hand_made_survey():
    hh = pd.DataFrame({"hhcode": [101, 102], "psu": [1, 2], "stratum": [1, 1], "district": ["A", "B"],
                       "weights": [10.0, 20.0], "cons_pae_pre": [100.0, 300.0], "rec_bisp": [1, 0],
                       "hhsize": [3, 2], "region": [1, 2]})
    pe = pd.DataFrame({"hhcode": [101, 101, 101, 102, 102], "age": [40, 35, 4, 70, 30],
                       "relation": ["head", "spouse", "child", "head", "child"],
                       "sex": ["female", "male", "male", "male", "female"],
                       "education": ["matric", "none", None, "graduate", "primary"],
                       "labour_status": ["employed", "inactive", None, "unemployed", "employed"],
                       "employment_type": ["employee", None, None, None, "self-employed"],
                       "disability": [0, 0, 0, 1, 0]})
    f = pmt.household_proxies(hh, pe, line=200.0).set_index("hhcode")
    assert f.loc[101, "share_children"] == pytest.approx(1 / 3) and f.loc[102, "share_elderly"] == 0.5
    assert f["poor"].tolist() == [1, 0] and f["pweight"].tolist() == [30.0, 40.0]
    assert f.loc[101, ["head_female", "head_edu_matric", "head_employee", "n_employed"]].tolist() == [1, 1, 1, 1]
    assert f.loc[102, ["urban", "head_edu_higher", "head_unpaid_or_unemployed", "any_disability"]].tolist() == [1, 1, 1, 1]
    assert f.loc[102, "log_cons"] == pytest.approx(np.log(300.0))


def test_household_level_errors_equal_the_person_level_bisp_table():
    """On the synthetic survey, the BISP row (households with person weights w x size) equals chapter 3's
    person-level BISP targeting table (spf_analysis.household.gaps.bisp_targeting): estimates and SEs."""
    from spf_analysis.household import gaps, synth

    h, p = synth.generate()
    line = float(synth.read_targets().set_index("target_id").loc["poverty_line", "value"])
    f = pmt.household_proxies(h, p, line)
    mine = pmt.targeting_errors(f, {"bisp": f["rec_bisp"].to_numpy() == 1}).iloc[0]
    ref = gaps.bisp_targeting(gaps.survey_design(h, p, line)).set_index(["target", "indicator"])
    poor = ref.xs("poor (pre-transfer consumption below the poverty line)")
    for k in ("exclusion", "inclusion"):
        assert mine[k] == pytest.approx(poor.loc[f"{k}_error", "estimate"], rel=1e-10)
        assert mine[f"{k}_se"] == pytest.approx(poor.loc[f"{k}_error", "se"], rel=1e-8)
