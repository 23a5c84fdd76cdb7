"""ASPIRE / ADePT-SP social-protection indicators with design-based SEs (methods README section 3).

Notation: person weight ``w``, per-capita transfer ``t`` (household transfer
over household size), post-transfer welfare ``y_post``, pre-transfer welfare
``y_pre = y_post - t`` (no behavioural response), beneficiary
``ben = 1[t > 0]`` unless a column is given (direct and indirect
beneficiaries), a group column ``g`` (e.g. pre- or post-transfer quintile from
:func:`quintiles`) and optional domains ``by``.  Every indicator that is a
survey ratio is written as a ratio of two design totals and estimated by
:meth:`Design.ratio`, so its SE is the linearised one of that ratio (domain
rows are kept, see :mod:`spf_analysis.stats.survey`):

=========================  =======================================================
coverage                   sum w ben / sum w                         (by domain/quintile)
beneficiary_incidence      sum w ben 1[g] / sum w ben                (share of beneficiaries in g)
benefit_incidence          sum w t 1[g] / sum w t                    (share of benefits going to g)
adequacy                   sum w t ben / sum w y_post ben            (transfer over beneficiaries' welfare)
average_transfer           sum w t ben / sum w ben                   (per beneficiary)
headcount_pre / _post      sum w 1[y < z] / sum w
headcount_reduction        sum w (1[y_pre<z] - 1[y_post<z]) / sum w 1[y_pre<z]
gap_pre / _post            sum w 1[y<z](z-y)/z / sum w
gap_reduction              (gap_pre - gap_post) / gap_pre            (ratio of totals)
benefit_cost_ratio         sum w [max(z-y_pre,0) - max(z-y_post,0)] / sum w t
exclusion_error            sum w target (1-ben) / sum w target       (= 1 - target members covered)
inclusion_error            sum w ben (1-target) / sum w ben          (beneficiaries outside target)
sdg131_coverage            sum w covered 1[group] / sum w 1[group]
=========================  =======================================================

Gini rows (``gini_pre``, ``gini_post`` in points; ``gini_marginal_contribution``
= ``gini_pre - gini_post`` in points, the CEQ marginal contribution;
``gini_reduction`` = ``(gini_pre - gini_post) / gini_pre``) use the Osier
(2009) linearised variables of :mod:`spf_analysis.stats.poverty`; the SE of a
difference uses ``z_pre - z_post`` and of the relative reduction
``(G_post z_pre - G_pre z_post) / G_pre^2``.

Every function returns a tidy DataFrame with columns ``indicator``, the domain
column(s), ``estimate``, ``se``, ``ci_low``, ``ci_high`` (normal, ``level``),
``deff`` and ``n`` (rows in the domain): the interval of R ``survey``'s
``confint(svyratio(...))``. :func:`share_interval` replaces it, for a share (coverage,
incidence, adequacy, a targeting error, SDG 1.3.1), by the interval on the logit scale,
which stays within [0, 1] where the normal one of a small share falls below 0.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from spf_analysis.stats.poverty import fgt_variable, gini_and_linearised, quantile_groups
from spf_analysis.stats.survey import Design, SurveyDesignError, _as_list, _first_bad, _py, _zcrit

__all__ = [
    "share_interval",
    "quintiles",
    "coverage",
    "beneficiary_incidence",
    "benefit_incidence",
    "adequacy",
    "average_transfer",
    "poverty_impact",
    "benefit_cost_ratio",
    "targeting_errors",
    "sdg131_coverage",
    "aspire_table",
]

def _col(design: Design, name: str) -> np.ndarray:
    return design._numeric(name, na_rm=False)[0]


def _flag(design: Design, name: str) -> np.ndarray:
    v = _col(design, name)
    bad = (v != 0) & (v != 1)
    if bad.any():
        raise SurveyDesignError(
            f"column {name!r} must be 0/1 (or boolean); found {_py(v[bad][0])!r} at row {_first_bad(design.data.index, bad)!r}"
        )
    return v


def _beneficiary(design: Design, transfer: str, beneficiary: str | None) -> np.ndarray:
    return (_col(design, transfer) > 0).astype(float) if beneficiary is None else _flag(design, beneficiary)


def _ratios(design: Design, specs: Mapping[str, tuple[np.ndarray, np.ndarray]], by, level,
            count_denominator: bool = False) -> pd.DataFrame:
    """Estimate named ratios ``sum w num / sum w den`` together via :meth:`Design.ratio`.
    ``count_denominator``: ``n`` counts the domain's rows with a nonzero denominator (the persons
    of the group a rate is of: a group's members, the target, the beneficiaries) instead of all
    the domain's rows."""
    cols = {}
    nums, dens = [], []
    for i, (num, den) in enumerate(specs.values()):
        cols[f"__n{i}"], cols[f"__d{i}"] = num, den
        nums.append(f"__n{i}")
        dens.append(f"__d{i}")
    out = design.with_columns(**cols).ratio(nums, dens, by=by, level=level)
    names = dict(zip([f"{a}/{b}" for a, b in zip(nums, dens)], specs))
    out = out.rename(columns={"variable": "indicator"})
    out["indicator"] = out["indicator"].map(names)
    if count_denominator:
        dom, labels = design._domains(by)
        out["n"] = np.concatenate([np.bincount(dom, weights=(den != 0).astype(float), minlength=len(labels))
                                   for _, den in specs.values()])
    return out


def _by_group(design: Design, name: str, values: np.ndarray, weights_den: np.ndarray, group: str, by, level) -> pd.DataFrame:
    """``sum w v 1[g] / sum w v`` for each level of ``group`` (incidence-type shares)."""
    if group not in design.data.columns:
        raise SurveyDesignError(f"group column {group!r} not found in data")
    g = design.data[group]
    if g.isna().any():
        raise SurveyDesignError(f"group column {group!r} is missing at row {_first_bad(g.index, g.isna().to_numpy())!r}")
    levels = g.cat.categories if isinstance(g.dtype, pd.CategoricalDtype) else pd.Index(np.sort(g.unique()))
    gv = g.to_numpy()
    specs = {f"{name}|{i}": (values * (gv == lv), weights_den) for i, lv in enumerate(levels)}
    out = _ratios(design, specs, by, level)
    idx = out["indicator"].str.split("|").str[1].astype(int)
    out.insert(1 + len(_as_list(by)), group, levels.take(idx.to_numpy()))
    out["indicator"] = name
    return out


#: how far outside [0, 1] floating-point rounding may put a share (beyond it: not a share)
SHARE_ROUNDING = 1e-12


def share_interval(out: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """``out`` (a tidy indicator table) with the confidence interval of each share computed on the logit
    scale: ``expit(logit(p) -/+ z se / (p (1 - p)))``, ``z`` the normal quantile of ``level``.

    It is R ``survey``'s ``svyciprop(method = "logit", df = Inf)``: the Wald interval of the
    intercept of a quasi-binomial ``svyglm``, whose standard error is exactly the linearised SE of
    the share over ``p (1 - p)``, transformed back. Unlike the normal interval ``p -/+ z se``, it
    never leaves [0, 1]: for a share of 0.45% with an SE of 0.26 points the normal interval starts
    at -0.05%, this one at 0.15%. A share of exactly 0 or 1 (nobody, or everyone, in the domain)
    gets the interval [p, p], as its SE is 0; a missing SE leaves a missing interval. A share
    outside [0, 1] by more than rounding (:data:`SHARE_ROUNDING`) is an error (a transfer below
    zero, a column that is no share); the estimate itself is never changed."""
    p, se = out["estimate"].to_numpy(dtype=float), out["se"].to_numpy(dtype=float)
    bad = (p < -SHARE_ROUNDING) | (p > 1 + SHARE_ROUNDING)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        what = out["indicator"].iloc[i] if "indicator" in out.columns else "estimate"
        raise ValueError(f"share_interval: {what} = {float(p[i])!r} (row {i}) is not a share in [0, 1]")
    from scipy.special import expit, logit

    z = _zcrit(level)
    p = np.clip(p, 0.0, 1.0)  # a share of the whole a rounding above 1 (summed in another order): 1
    inner = (p > 0) & (p < 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = logit(np.where(inner, p, 0.5))
        half = z * se / np.where(inner, p * (1 - p), 1.0)
    lo = np.where(inner, expit(centre - half), p)
    hi = np.where(inner, expit(centre + half), p)
    missing = np.isnan(se) | np.isnan(p)
    res = out.copy()
    res["ci_low"] = np.where(missing, np.nan, lo)
    res["ci_high"] = np.where(missing, np.nan, hi)
    return res


def quintiles(design: Design, var: str, n: int = 5) -> np.ndarray:
    """Weighted quintile (1..n) of ``var`` by Eurostat cut-points (:func:`poverty.quantile_groups`)."""
    return quantile_groups(_col(design, var), design._w, n)


def coverage(design: Design, beneficiary: str, by=None, *, level: float = 0.95) -> pd.DataFrame:
    """Coverage ``sum w ben / sum w`` per domain (e.g. ``by="quintile_pre"``)."""
    b = _flag(design, beneficiary)
    return _ratios(design, {"coverage": (b, np.ones_like(b))}, by, level)


def beneficiary_incidence(design: Design, beneficiary: str, group: str, by=None, *, level: float = 0.95) -> pd.DataFrame:
    """Share of beneficiaries in each ``group`` level: ``sum w ben 1[g] / sum w ben`` (within ``by``)."""
    b = _flag(design, beneficiary)
    return _by_group(design, "beneficiary_incidence", b, b, group, by, level)


def benefit_incidence(design: Design, transfer: str, group: str, by=None, *, level: float = 0.95) -> pd.DataFrame:
    """Share of benefits going to each ``group`` level: ``sum w t 1[g] / sum w t`` (within ``by``)."""
    t = _col(design, transfer)
    return _by_group(design, "benefit_incidence", t, t, group, by, level)


def adequacy(design: Design, transfer: str, welfare_post: str, beneficiary: str | None = None, by=None, *, level: float = 0.95) -> pd.DataFrame:
    """Adequacy ``sum_{ben} w t / sum_{ben} w y_post`` per domain."""
    t, y = _col(design, transfer), _col(design, welfare_post)
    b = _beneficiary(design, transfer, beneficiary)
    return _ratios(design, {"adequacy": (t * b, y * b)}, by, level)


def average_transfer(design: Design, transfer: str, beneficiary: str | None = None, by=None, *, level: float = 0.95) -> pd.DataFrame:
    """Average (per-capita) transfer per beneficiary ``sum_{ben} w t / sum w ben``."""
    t = _col(design, transfer)
    b = _beneficiary(design, transfer, beneficiary)
    return _ratios(design, {"average_transfer": (t * b, b)}, by, level)


def _line(design: Design, line) -> np.ndarray | float:
    return _col(design, line) if isinstance(line, str) else float(line)


def benefit_cost_ratio(design: Design, welfare_pre: str, welfare_post: str, transfer: str, line, by=None, *, level: float = 0.95) -> pd.DataFrame:
    """Poverty-gap reduction per unit transferred: ``sum w [max(z-y_pre,0) - max(z-y_post,0)] / sum w t``."""
    z = _line(design, line)
    yp, yq, t = _col(design, welfare_pre), _col(design, welfare_post), _col(design, transfer)
    num = np.maximum(z - yp, 0) - np.maximum(z - yq, 0)
    return _ratios(design, {"benefit_cost_ratio": (num, t)}, by, level)


def poverty_impact(design: Design, welfare_pre: str, welfare_post: str, line, by=None, *, level: float = 0.95) -> pd.DataFrame:
    """Headcount, gap and Gini before/after the transfer and their reductions (see module table)."""
    z = _line(design, line)
    yp, yq = _col(design, welfare_pre), _col(design, welfare_post)
    h0, h1 = fgt_variable(yp, z, 0), fgt_variable(yq, z, 0)
    g0, g1 = fgt_variable(yp, z, 1), fgt_variable(yq, z, 1)
    one = np.ones_like(yp)
    specs = {
        "headcount_pre": (h0, one),
        "headcount_post": (h1, one),
        "headcount_reduction": (h0 - h1, h0),
        "gap_pre": (g0, one),
        "gap_post": (g1, one),
        "gap_reduction": (g0 - g1, g0),
    }
    out = _ratios(design, specs, by, level)
    return pd.concat([out, _gini_impact(design, yp, yq, by, level)], ignore_index=True)


def _gini_impact(design: Design, yp: np.ndarray, yq: np.ndarray, by, level) -> pd.DataFrame:
    dom, labels = design._domains(by)
    D, w = len(labels), design._w
    G = np.full((D, 2), np.nan)
    Z = np.zeros((len(yp), 2))
    for d in range(D):
        m = dom == d
        if m.any():
            for j, y in enumerate((yp, yq)):
                points, Z[m, j] = gini_and_linearised(y[m], w[m])
                G[d, j] = points / 100
    Gd = G[dom]
    scores = np.column_stack(
        [Z[:, 0], Z[:, 1], Z[:, 0] - Z[:, 1], (Gd[:, 1] * Z[:, 0] - Gd[:, 0] * Z[:, 1]) / Gd[:, 0] ** 2]
    )
    est = np.column_stack([G[:, 0], G[:, 1], G[:, 0] - G[:, 1], (G[:, 0] - G[:, 1]) / G[:, 0]])
    scale = np.array([100, 100, 100, 1.0])
    var = design._variance(np.nan_to_num(scores) * w[:, None], dom, D)
    se = np.sqrt(var) * scale
    est = est * scale
    zc = _zcrit(level)
    n = np.bincount(dom, minlength=D)
    frames = []
    for j, name in enumerate(["gini_pre", "gini_post", "gini_marginal_contribution", "gini_reduction"]):
        f = labels.copy()
        f.insert(0, "indicator", name)
        f["estimate"], f["se"] = est[:, j], se[:, j]
        f["ci_low"], f["ci_high"] = est[:, j] - zc * se[:, j], est[:, j] + zc * se[:, j]
        f["deff"], f["n"] = np.nan, n
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def targeting_errors(design: Design, beneficiary: str, target: str, by=None, *, level: float = 0.95) -> pd.DataFrame:
    """Exclusion and inclusion errors of ``beneficiary`` against a 0/1 ``target`` column.

    exclusion = ``sum w target (1 - ben) / sum w target``; inclusion =
    ``sum w ben (1 - target) / sum w ben`` (Grosh et al. 2022, ch. 7).  Build
    ``target`` against the poverty line (``y_pre < z``) or the programme's own
    eligibility threshold (e.g. PMT score <= cut-off); output has a ``target``
    column naming it. ``n``: the target's rows (exclusion), the beneficiaries' (inclusion).
    """
    b, g = _flag(design, beneficiary), _flag(design, target)
    out = _ratios(design, {"exclusion_error": (g * (1 - b), g), "inclusion_error": (b * (1 - g), b)}, by, level,
                  count_denominator=True)
    out.insert(1, "target", target)
    return out


def sdg131_coverage(design: Design, groups: Mapping[str, tuple[str, str]], by=None, *, level: float = 0.95) -> pd.DataFrame:
    """SDG 1.3.1 coverage rates: share of each population group receiving its benefit.

    ``groups`` maps a label to ``(member_column, covered_column)``, both 0/1,
    e.g. ``{"older persons (pension)": ("age65plus", "gets_pension"),
    "population (any benefit)": ("one", "any_benefit")}``.  Estimate:
    ``sum w covered member / sum w member``; output has a ``group`` column; ``n``: the group's
    members (rows) in the domain.
    """
    specs = {}
    for label, (member, covered) in groups.items():
        m, c = _flag(design, member), _flag(design, covered)
        specs[label] = (c * m, m)
    out = _ratios(design, specs, by, level, count_denominator=True)
    out.insert(1, "group", out["indicator"])
    out["indicator"] = "sdg131_coverage"
    return out


def aspire_table(
    design: Design,
    *,
    welfare_post: str,
    transfer: str,
    line,
    group: str,
    beneficiary: str | None = None,
    welfare_pre: str | None = None,
    by=None,
    level: float = 0.95,
) -> pd.DataFrame:
    """The ASPIRE set for one transfer: per ``group`` level (e.g. pre-transfer quintile) and overall.

    Coverage, adequacy and average transfer by ``group`` (and ``by``);
    beneficiary and benefit incidence across ``group`` within ``by``; poverty
    impact and benefit-cost ratio by ``by``.  ``welfare_pre`` defaults to
    ``welfare_post - transfer``.
    """
    if welfare_pre is None:
        yp = _col(design, welfare_post) - _col(design, transfer)
        design, welfare_pre = design.with_columns(__y_pre=yp), "__y_pre"
    if beneficiary is None:
        design = design.with_columns(__ben=(_col(design, transfer) > 0).astype(float))
        beneficiary = "__ben"
    byg = [*_as_list(by), group]
    parts = [
        coverage(design, beneficiary, byg, level=level),
        adequacy(design, transfer, welfare_post, beneficiary, byg, level=level),
        average_transfer(design, transfer, beneficiary, byg, level=level),
        beneficiary_incidence(design, beneficiary, group, by, level=level),
        benefit_incidence(design, transfer, group, by, level=level),
        coverage(design, beneficiary, by, level=level),
        adequacy(design, transfer, welfare_post, beneficiary, by, level=level),
        average_transfer(design, transfer, beneficiary, by, level=level),
        poverty_impact(design, welfare_pre, welfare_post, line, by, level=level),
        benefit_cost_ratio(design, welfare_pre, welfare_post, transfer, line, by, level=level),
    ]
    out = pd.concat(parts, ignore_index=True)
    cols = ["indicator", *byg]
    return out[cols + [c for c in out.columns if c not in cols]]
