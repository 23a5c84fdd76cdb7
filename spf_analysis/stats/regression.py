"""Survey-weighted linear regression with design-based standard errors (R ``svyglm``, gaussian).

Point estimates: weighted least squares, ``beta = (X'WX)^-1 X'Wy`` with ``W = diag(w)`` the
sampling weights, fitted with ``statsmodels`` WLS (the same estimator as R ``svyglm`` with the
gaussian family and Stata ``svy: regress``; Lumley 2010, *Complex Surveys*, section 5.2).

Standard errors, two estimators reported side by side:

* ``se`` -- design-based, Taylor linearisation through :class:`spf_analysis.stats.survey.Design`
  (Binder 1983, *International Statistical Review* 51(3)): with ``A = X'WX`` and residual
  ``e_i``, the linearised variable of ``beta_j`` is ``z_ij = (A^-1 x_i)_j e_i``, so that
  ``beta - beta_pop ~= sum_i w_i z_i``; ``V(beta_j)`` is the design variance of that total,
  i.e. :meth:`Design.total` of ``z_j`` -- strata, PSUs, finite-population correction and the
  lonely-PSU rule exactly as for every other estimate of the study. This is R ``svyglm``'s
  ``vcov`` (``survey:::svy.varcoef``: ``svyrecvar(estfun %*% Ainv, ...)``), to rounding.
* ``se_cluster`` -- ``statsmodels`` cluster-robust by PSU (``cov_type="cluster"``), the sandwich
  ``A^-1 (sum_g s_g s_g') A^-1`` with the small-sample factor ``G/(G-1) (N-1)/(N-K)``. It ignores
  the strata (PSU scores are not centred within strata and the factor is global, not
  ``n_h/(n_h-1)`` per stratum) and any fpc, so it differs from the design-based SE by those
  terms; it is kept as a cross-check, not used for inference.

Fit: the weighted (centred) R-squared of the WLS fit, ``1 - sum w e^2 / sum w (y - ybar_w)^2``
(R: ``1 - deviance / null deviance`` of the svyglm).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spf_analysis.stats.survey import Design, SurveyDesignError, _tcrit, _zcrit

__all__ = ["SurveyRegression", "survey_wls"]


@dataclass
class SurveyRegression:
    """Result of :func:`survey_wls`: ``coef`` table, fit statistics and the design."""
    coef: pd.DataFrame        # term, estimate, se, ci_low, ci_high, se_cluster
    r_squared: float
    n: int
    n_psu: int
    n_strata: int
    df: int                   # residual degrees of freedom of the design: PSUs - strata - (terms - 1)
    terms: list
    params: np.ndarray

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Linear prediction ``X beta`` (``X`` with the columns of :attr:`terms`; constant added)."""
        Xm = _design_matrix(X, [t for t in self.terms if t != "const"])
        return Xm @ self.params


def _design_matrix(data: pd.DataFrame, x: list[str]) -> np.ndarray:
    missing = [c for c in x if c not in data.columns]
    if missing:
        raise SurveyDesignError(f"regressor column(s) {missing} not found in data")
    X = data[x].to_numpy(dtype=float, na_value=np.nan)
    if not np.isfinite(X).all():
        r, c = np.argwhere(~np.isfinite(X))[0]
        raise SurveyDesignError(f"regressor {x[c]!r} is missing/non-finite at row {data.index[r]!r}")
    return np.column_stack([np.ones(len(data)), X])


def survey_wls(data: pd.DataFrame, y: str, x: list[str], weight: str, strata: str | None = None,
               psu: str | None = None, fpc: str | None = None, *, lonely_psu: str = "fail",
               nest: bool = False, level: float = 0.95) -> SurveyRegression:
    """Survey-weighted least squares of ``y`` on a constant and ``x`` (numeric columns; build
    dummies beforehand), with design-based and cluster-robust SEs (module docstring).

    The CI uses Student's t with ``PSUs - strata - (terms - 1)`` degrees of freedom, R
    ``svyglm``'s ``df.residual`` (``degf(design) + 1 - length(coef)``).
    """
    # the WLS class only, not statsmodels.api (which loads all of statsmodels' models: ~0.3 s more)
    from statsmodels.regression.linear_model import WLS

    x = list(x)
    des = Design(data, weight, strata, psu, fpc, nest=nest, lonely_psu=lonely_psu)
    Y = data[y].to_numpy(dtype=float, na_value=np.nan)
    if not np.isfinite(Y).all():
        raise SurveyDesignError(f"outcome {y!r} is missing/non-finite at row {data.index[int(np.flatnonzero(~np.isfinite(Y))[0])]!r}")
    X = _design_matrix(data, x)
    w = data[weight].to_numpy(float)
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise SurveyDesignError(f"regressors are collinear (rank {np.linalg.matrix_rank(X)} < {X.shape[1]} terms)")
    terms = ["const", *x]
    fit = WLS(Y, X, weights=w).fit()
    groups = pd.factorize(data[psu])[0] if psu is not None else np.arange(len(data))
    fit_cl = WLS(Y, X, weights=w).fit(cov_type="cluster", cov_kwds={"groups": groups})
    beta = np.asarray(fit.params)
    e = Y - X @ beta
    Ainv = np.linalg.inv(X.T @ (X * w[:, None]))
    Z = (X @ Ainv) * e[:, None]  # z_ij = (A^-1 x_i)_j e_i (A symmetric)
    zcols = [f"_z{j}" for j in range(len(terms))]
    tot = des.with_columns(**{c: Z[:, j] for j, c in enumerate(zcols)}).total(zcols)
    se = np.sqrt(tot["se"].to_numpy() ** 2)
    df = des.n_psu - des.n_strata - (len(terms) - 1)
    _zcrit(level)
    t = float(_tcrit(0.5 + level / 2, df)) if df > 0 else np.nan
    coef = pd.DataFrame({"term": terms, "estimate": beta, "se": se,
                         "ci_low": beta - t * se, "ci_high": beta + t * se,
                         "se_cluster": np.asarray(fit_cl.bse)})
    ybar = np.sum(w * Y) / np.sum(w)
    r2 = float(1 - np.sum(w * e**2) / np.sum(w * (Y - ybar) ** 2))
    return SurveyRegression(coef=coef, r_squared=r2, n=len(data), n_psu=des.n_psu, n_strata=des.n_strata,
                            df=int(df), terms=terms, params=beta)
