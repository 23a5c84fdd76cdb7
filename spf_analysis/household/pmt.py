"""A proxy-means test (PMT) estimated on the household survey, and the targeting errors it makes.

A PMT predicts a household's welfare from characteristics that are easy to observe and hard to
misreport, because consumption itself cannot be verified when benefits are assigned (Grosh and
Baker 1995, *Proxy Means Tests for Targeting Social Programs*, World Bank LSMS Working Paper
118). Here the welfare measure is the survey's: log **pre-transfer** consumption per adult
equivalent (``cons_pae_pre``; before every existing transfer, so that the score does not reward a
household for the BISP cash it already gets).

Proxies (:data:`PROXY_LABELS`), one row per household: household size and its square, the shares
of children 0-14 and of persons 60+, the number of employed members, any member with a disability
(Washington Group), urban area, the head's sex, education (none = reference) and employment status
(not employed = reference), and district fixed effects (optional). The survey has no dwelling or
asset module, so none of those enter.

Estimation: survey-weighted least squares (:func:`spf_analysis.stats.regression.survey_wls`,
statsmodels WLS) with **person** weights (household weight x household size), so that the fit is
representative of persons, the unit of the poverty headcount; standard errors are design-based
(Taylor linearisation by the study's survey engine, strata x PSU, the ``lonely_psu="adjust"``
rule of the survey's other estimates), which reproduce R ``svyglm`` (tests/test_pmt.py).

Targeting errors (Coady, Grosh and Hoddinott 2004, *Targeting of Transfers in Developing
Countries*, World Bank, ch. 2), counted in persons, for an assignment ``s`` of households and actual
poverty ``p`` (pre-transfer consumption per adult equivalent below the line):

* exclusion error = poor persons in households not selected / poor persons, ``sum w n p (1-s) / sum w n p``;
* inclusion error = non-poor persons in selected households / persons in selected households,
  ``sum w n (1-p) s / sum w n s``;

with ``w`` the household weight and ``n`` its size; both are ratios of totals with linearised
design-based CIs (:meth:`Design.ratio`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spf_analysis.stats import indicators
from spf_analysis.stats.regression import SurveyRegression, survey_wls
from spf_analysis.stats.survey import Design

__all__ = ["PROXY_LABELS", "household_proxies", "fit_pmt", "coefficient_table", "pmt_assignments",
           "select_lowest", "targeting_errors"]

#: regressor -> readable label (the reference categories are named in the label).
PROXY_LABELS = {
    "const": "Constant",
    "hhsize": "Household size (persons)",
    "hhsize_sq": "Household size squared",
    "share_children": "Share of children 0-14",
    "share_elderly": "Share of persons 60+",
    "n_employed": "Employed members (number)",
    "any_disability": "Any member with a disability",
    "urban": "Urban area (rural = reference)",
    "head_female": "Head is a woman",
    "head_edu_primary": "Head's education: primary (none = reference)",
    "head_edu_middle": "Head's education: middle",
    "head_edu_matric": "Head's education: matric",
    "head_edu_higher": "Head's education: intermediate or graduate",
    "head_employee": "Head is an employee (not employed = reference)",
    "head_self_employed": "Head is self-employed or an employer",
    "head_unpaid_or_unemployed": "Head is an unpaid family worker or unemployed",
}
CHILD_AGE_MAX = 14   # the share of children: ages 0-14 (the census's dependent-age band)
ELDERLY_AGE = 60     # the share of older persons: 60+ (the survey's pension age)


def household_proxies(households: pd.DataFrame, persons: pd.DataFrame, line: float) -> pd.DataFrame:
    """One row per household: design (``psu``, ``stratum``, ``weights``, ``pweight`` = weight x
    size), outcome ``log_cons`` (log pre-transfer consumption per adult equivalent), ``poor``
    (pre-transfer consumption below ``line``), ``rec_bisp``, ``district`` and the proxies of
    :data:`PROXY_LABELS` (district dummies are added by :func:`fit_pmt`)."""
    p = persons
    age = p["age"].to_numpy(int)
    g = pd.DataFrame({
        "hhcode": p["hhcode"].to_numpy(),
        "child": (age <= CHILD_AGE_MAX).astype(float),
        "old": (age >= ELDERLY_AGE).astype(float),
        "employed": (p["labour_status"] == "employed").fillna(False).to_numpy(float),
        "dis": p["disability"].fillna(0).to_numpy(float),
    }).groupby("hhcode").agg(child=("child", "mean"), old=("old", "mean"), employed=("employed", "sum"),
                             dis=("dis", "max"))
    head = p[p["relation"] == "head"].set_index("hhcode")
    if head.index.duplicated().any():
        raise ValueError("a household has more than one head")
    h = households.set_index("hhcode")
    if not h.index.isin(head.index).all():
        raise ValueError(f"household(s) without a head, e.g. hhcode {h.index[~h.index.isin(head.index)][0]}")
    head = head.reindex(h.index)
    g = g.reindex(h.index)
    edu = head["education"].fillna("none").astype(str)
    status = head["labour_status"].fillna("inactive").astype(str)
    etype = head["employment_type"].fillna("").astype(str)
    out = pd.DataFrame({
        "hhcode": h.index.to_numpy(), "psu": h["psu"].to_numpy(), "stratum": h["stratum"].to_numpy(),
        "district": h["district"].astype(str).to_numpy(),
        "weights": h["weights"].to_numpy(float), "pweight": (h["weights"] * h["hhsize"]).to_numpy(float),
        "log_cons": np.log(h["cons_pae_pre"].to_numpy(float)),
        "poor": (h["cons_pae_pre"].to_numpy(float) < line).astype(int),
        "rec_bisp": h["rec_bisp"].to_numpy(int),
        "hhsize": h["hhsize"].to_numpy(float),
    })
    out["hhsize_sq"] = out["hhsize"] ** 2
    out["share_children"] = g["child"].to_numpy()
    out["share_elderly"] = g["old"].to_numpy()
    out["n_employed"] = g["employed"].to_numpy()
    out["any_disability"] = g["dis"].to_numpy()
    out["urban"] = (h["region"].to_numpy() == 2).astype(float)
    out["head_female"] = (head["sex"] == "female").to_numpy(float)
    out["head_edu_primary"] = (edu == "primary").to_numpy(float)
    out["head_edu_middle"] = (edu == "middle").to_numpy(float)
    out["head_edu_matric"] = (edu == "matric").to_numpy(float)
    out["head_edu_higher"] = edu.isin(["intermediate", "graduate"]).to_numpy(float)
    emp = (status == "employed").to_numpy()
    out["head_employee"] = (emp & (etype == "employee").to_numpy()).astype(float)
    out["head_self_employed"] = (emp & etype.isin(["self-employed", "employer"]).to_numpy()).astype(float)
    out["head_unpaid_or_unemployed"] = ((emp & (etype == "unpaid family worker").to_numpy())
                                        | (status == "unemployed").to_numpy()).astype(float)
    return out.reset_index(drop=True)


def _district_dummies(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Frame with ``dist_<name>`` dummies, the first district (sorted) as reference."""
    names = sorted(frame["district"].unique())[1:]
    cols = [f"dist_{d}" for d in names]
    return frame.assign(**{c: (frame["district"] == d).astype(float) for c, d in zip(cols, names)}), cols


def fit_pmt(frame: pd.DataFrame, district_effects: bool = True, level: float = 0.95) -> tuple[SurveyRegression, pd.DataFrame]:
    """The PMT regression on :func:`household_proxies` output: ``(fit, frame with the score)``.

    The returned frame adds ``score`` (predicted log consumption per adult equivalent)."""
    x = [k for k in PROXY_LABELS if k != "const"]
    if district_effects:
        frame, dcols = _district_dummies(frame)
        x = x + dcols
    fit = survey_wls(frame, "log_cons", x, "pweight", "stratum", "psu", lonely_psu="adjust", level=level)
    return fit, frame.assign(score=fit.predict(frame))


def coefficient_table(fit: SurveyRegression) -> pd.DataFrame:
    """Coefficients with readable labels; district fixed effects summarised in one row (their number)."""
    c = fit.coef
    main = c[c["term"].isin(list(PROXY_LABELS))].copy()
    main.insert(0, "proxy", main["term"].map(PROXY_LABELS))
    return main.drop(columns="term").reset_index(drop=True)


def select_lowest(score, weight, target: float) -> np.ndarray:
    """Units with the lowest ``score``, up to and including the one at which the cumulative
    ``weight`` (ascending score, ties in input order) first reaches ``target``."""
    score, weight = np.asarray(score, float), np.asarray(weight, float)
    o = np.argsort(score, kind="stable")
    k = min(int(np.searchsorted(np.cumsum(weight[o]), target * (1 - 1e-12))) + 1, len(score))
    sel = np.zeros(len(score), bool)
    sel[o[:k]] = True
    return sel


def pmt_assignments(frame: pd.DataFrame, line: float, line_multiple: float = 1.0) -> dict[str, np.ndarray]:
    """Household assignments of a household transfer, by method (``frame`` with ``score``):

    * ``universal``: every household;
    * ``bisp``: the households the survey flags as BISP beneficiaries (``rec_bisp``);
    * ``pmt_line``: predicted consumption ``exp(score)`` below ``line_multiple x line``;
    * ``pmt_caseload``: the lowest scores up to the BISP caseload (households, weighted).
    """
    bisp = frame["rec_bisp"].to_numpy(int) == 1
    w = frame["weights"].to_numpy(float)
    return {
        "universal": np.ones(len(frame), bool),
        "bisp": bisp,
        "pmt_line": frame["score"].to_numpy(float) < np.log(line_multiple * line),
        "pmt_caseload": select_lowest(frame["score"], w, float(w[bisp].sum())),
    }


def targeting_errors(frame: pd.DataFrame, assignments: dict[str, np.ndarray], level: float = 0.95,
                     lonely_psu: str = "adjust") -> pd.DataFrame:
    """Exclusion and inclusion errors (module docstring) of each assignment, counted in persons, with
    design-based CIs (on the logit scale: :func:`spf_analysis.stats.indicators.share_interval`); also the households selected (weighted) and the share of persons covered.

    ``frame``: one row per household with ``weights``, ``hhsize``, ``poor``, ``stratum``, ``psu``.
    The errors are :func:`spf_analysis.stats.indicators.targeting_errors` (the estimator of
    chapter 3's BISP table) on the households with person weights ``w n``: every person of a
    household shares its weight, poverty status and selection, so the PSU totals of the linearised
    scores -- hence estimates and SEs -- equal those of the person-level design."""
    w = frame["weights"].to_numpy(float)
    n = frame["hhsize"].to_numpy(float)
    d = Design(frame.assign(_pw=w * n), "_pw", "stratum", "psu", lonely_psu=lonely_psu)
    rows = []
    for method, s in assignments.items():
        s = np.asarray(s, bool)
        row = {"method": method, "households": float(np.sum(w * s)), "coverage": float(np.sum(w * n * s) / np.sum(w * n))}
        te = indicators.targeting_errors(d.with_columns(_sel=s.astype(int)), "_sel", "poor", level=level)
        te = indicators.share_interval(te, level).set_index("indicator")
        for k, ind in (("exclusion", "exclusion_error"), ("inclusion", "inclusion_error")):
            for col, suffix in (("estimate", ""), ("se", "_se"), ("ci_low", "_ci_low"), ("ci_high", "_ci_high")):
                row[k + suffix] = float(te.loc[ind, col])
        rows.append(row)
    return pd.DataFrame(rows)
