"""Poverty and inequality measures with design-based standard errors.

Point estimates (methods README section 3), for person weights ``w_i``,
welfare ``y_i`` and a poverty line ``z``:

* FGT: ``P_alpha = sum w 1[y < z] ((z - y)/z)^alpha / sum w`` (Foster, Greer
  and Thorbecke 1984); alpha = 0 headcount, 1 gap, 2 severity.
* Watts: ``sum w 1[y < z] ln(z / y) / sum w`` (requires ``y > 0`` below the line).
* Gini, laeken/Eurostat form, ``x`` sorted ascending, ``W_i`` cumulative
  weight, ``W`` total: ``100 [(2 sum w_i x_i W_i - sum w_i^2 x_i) / (W sum w_i x_i) - 1]``.
* Weighted quantile, Eurostat rule (laeken ``weightedQuantile``): with
  cumulative weight shares ``S_j`` of the sorted values, ``q_p = (x_j + x_{j+1})/2``
  if ``S_j = p`` else ``x_{j+1}`` for ``S_j < p < S_{j+1}``; ``q_0`` = min,
  ``q_1`` = max.  Shares are compared with a relative tolerance of 1e-12.

Standard errors:

* FGT and Watts with a fixed line are design means of ``1[y<z]((z-y)/z)^alpha``
  and ``1[y<z] ln(z/y)``, so :meth:`Design.mean` gives their linearised SEs.
* Gini: linearisation of Osier (2009, *Survey Research Methods* 3(3), eq. for
  the Gini; as in R ``vardpoor::lingini``).  With ``N_k = sum_{j: y_j <= y_k} w_j``
  and ``Y_k = sum_{j: y_j <= y_k} w_j y_j`` (ties share their group's
  cumulative values), ``N = sum w``, ``Y = sum w y`` and ``G`` the Eurostat
  Gini as a fraction, the linearised variable (exactly ``dG/dw_k``) is::

      z_k = [2 N_k y_k - 2 Y_k + Y - N y_k - G (Y + N y_k)] / (N Y)

  and ``V(G) = V(sum_k w_k z_k)``, the design variance of the total of ``z``
  (:meth:`Design.total`); the SE of the Eurostat Gini (in points) is 100 times
  its square root.  In a domain, ``z`` is computed from the domain's rows and
  is zero elsewhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spf_analysis.stats.survey import Design, SurveyDesignError, _zcrit

__all__ = [
    "fgt",
    "watts",
    "gini",
    "gini_linearised",
    "gini_and_linearised",
    "weighted_quantile",
    "quantile_groups",
    "poverty_measures",
    "gini_by",
]


def _arrays(y, w=None) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=float)
    if y.shape != w.shape or y.ndim != 1:
        raise SurveyDesignError(f"values and weights must be 1-D of equal length ({y.shape} vs {w.shape})")
    if len(y) == 0:
        raise SurveyDesignError("no observations")
    if not np.isfinite(y).all():
        raise SurveyDesignError(f"values are missing/non-finite at position {int(np.flatnonzero(~np.isfinite(y))[0])}")
    bad = ~np.isfinite(w) | (w <= 0)
    if bad.any():
        raise SurveyDesignError(f"weights are missing or non-positive at position {int(np.flatnonzero(bad)[0])}")
    return y, w


def fgt_variable(y, z, alpha: float) -> np.ndarray:
    """Per-person FGT contribution ``1[y < z] ((z - y)/z)^alpha`` (``z`` scalar or per person)."""
    y = np.asarray(y, dtype=float)
    z = np.broadcast_to(np.asarray(z, dtype=float), y.shape)
    if (z <= 0).any():
        raise SurveyDesignError("poverty line must be positive")
    poor = y < z
    gap = np.where(poor, (z - y) / z, 0.0)
    return np.where(poor, gap**alpha, 0.0)


def watts_variable(y, z) -> np.ndarray:
    """Per-person Watts contribution ``1[y < z] ln(z / y)``."""
    y = np.asarray(y, dtype=float)
    z = np.broadcast_to(np.asarray(z, dtype=float), y.shape)
    poor = y < z
    if (poor & (y <= 0)).any():
        raise SurveyDesignError("Watts index needs positive welfare below the line")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(poor, np.log(z / np.where(poor, y, 1.0)), 0.0)


def fgt(y, z, alpha: float = 0, w=None) -> float:
    """Weighted FGT index ``sum w 1[y<z]((z-y)/z)^alpha / sum w``."""
    y, w = _arrays(y, w)
    return float(np.sum(w * fgt_variable(y, z, alpha)) / np.sum(w))


def watts(y, z, w=None) -> float:
    """Weighted Watts index ``sum w 1[y<z] ln(z/y) / sum w``."""
    y, w = _arrays(y, w)
    return float(np.sum(w * watts_variable(y, z)) / np.sum(w))


def _gini_sorted(xs: np.ndarray, ws: np.ndarray, cw: np.ndarray) -> float:
    """The Gini in points of values ``xs`` sorted ascending (stable), weights ``ws`` and their cumulative sums ``cw``."""
    return float(100 * ((2 * np.sum(ws * xs * cw) - np.sum(ws**2 * xs)) / (cw[-1] * np.sum(ws * xs)) - 1))


def gini(x, w=None) -> float:
    """Weighted Gini in points, laeken/Eurostat form (module docstring)."""
    x, w = _arrays(x, w)
    o = np.argsort(x, kind="stable")
    xs, ws = x[o], w[o]
    return _gini_sorted(xs, ws, np.cumsum(ws))


def gini_and_linearised(x, w=None) -> tuple[float, np.ndarray]:
    """:func:`gini` (points) and :func:`gini_linearised` (fraction, input order) from one sort of ``x``:
    the same numbers, to the bit, as the two functions called one after the other."""
    x, w = _arrays(x, w)
    o = np.argsort(x, kind="stable")
    xs, ws = x[o], w[o]
    cw, cy = np.cumsum(ws), np.cumsum(ws * xs)
    # last index of each tie group (what np.searchsorted(xs, xs, side="right") - 1 gives, in one pass)
    change = xs[1:] != xs[:-1]
    last = np.flatnonzero(np.append(change, True))[np.concatenate(([0], np.cumsum(change)))]
    Nk, Yk = cw[last], cy[last]
    N, Y = cw[-1], cy[-1]
    points = _gini_sorted(xs, ws, cw)
    G = points / 100
    zs = (2 * Nk * xs - 2 * Yk + Y - N * xs - G * (Y + N * xs)) / (N * Y)
    z = np.empty_like(zs)
    z[o] = zs
    return points, z


def gini_linearised(x, w=None) -> np.ndarray:
    """Osier (2009) linearised variable ``z_k`` of the Gini (as a fraction), in the input order.

    With ``G`` the Eurostat Gini as a fraction and tie-group-end cumulative
    sums, ``z_k`` is exactly ``dG/dw_k`` (the Eurostat form is invariant to the
    order of tied values); ``V(Gini) = V(sum w z)``.
    """
    return gini_and_linearised(x, w)[1]


def weighted_quantile(x, w=None, p=0.5):
    """Weighted quantile(s) by the Eurostat rule (laeken ``weightedQuantile``), see module docstring."""
    x, w = _arrays(x, w)
    ps = np.atleast_1d(np.asarray(p, dtype=float))
    if ((ps < 0) | (ps > 1)).any():
        raise SurveyDesignError(f"probabilities must be in [0, 1], got {p!r}")
    o = np.argsort(x, kind="stable")
    x, w = x[o], w[o]
    rw = np.cumsum(w) / np.sum(w)
    n = len(x)
    out = np.empty(len(ps))
    for i, pp in enumerate(ps):
        if pp == 0:
            out[i] = x[0]
        elif pp == 1:
            out[i] = x[-1]
        else:
            j = int(np.searchsorted(rw, pp * (1 - 1e-12), side="left"))  # first share >= p
            j = min(j, n - 1)
            if abs(rw[j] - pp) <= 1e-12 * pp and j + 1 < n:
                out[i] = (x[j] + x[j + 1]) / 2
            else:
                out[i] = x[j]
    return out if np.ndim(p) else float(out[0])


def quantile_groups(x, w=None, n: int = 5) -> np.ndarray:
    """Group 1..n (quintiles by default) from Eurostat weighted quantile cut-points.

    Cut-points ``c_k = q_{k/n}`` (``weighted_quantile``); a person is in group
    ``g`` when ``c_{g-1} < x <= c_g``, so ties at a cut-point go to the lower
    group.
    """
    x, w = _arrays(x, w)
    cuts = weighted_quantile(x, w, np.arange(1, n) / n)
    return np.searchsorted(cuts, x, side="left") + 1


def poverty_measures(
    design: Design,
    welfare: str,
    line,
    by=None,
    *,
    alphas=(0, 1, 2),
    watts_index: bool = False,
    level: float = 0.95,
) -> pd.DataFrame:
    """FGT(alpha) (and optionally Watts) with linearised SEs, as design means with a fixed line.

    ``line`` is a number or the name of a column holding a per-person line.
    ``indicator`` is ``fgt0``, ``fgt1``, ``fgt2`` (and ``watts``).
    """
    y, _ = design._numeric(welfare, na_rm=False)
    z = design._numeric(line, na_rm=False)[0] if isinstance(line, str) else float(line)
    cols = {f"fgt{a:g}": fgt_variable(y, z, a) for a in alphas}
    if watts_index:
        cols["watts"] = watts_variable(y, z)
    tmp = {f"__{k}": v for k, v in cols.items()}
    out = design.with_columns(**tmp).mean(list(tmp), by=by, level=level)
    out["variable"] = out["variable"].str.removeprefix("__")
    return out.rename(columns={"variable": "indicator"})


def gini_by(design: Design, var: str, by=None, *, level: float = 0.95) -> pd.DataFrame:
    """Eurostat Gini (points) per domain with its Osier-linearised SE (see module docstring)."""
    x, _ = design._numeric(var, na_rm=False)
    dom, labels = design._domains(by)
    D = len(labels)
    z = np.zeros(len(x))
    est = np.full(D, np.nan)
    w = design._w
    for d in range(D):
        m = dom == d
        if m.any():
            est[d], z[m] = gini_and_linearised(x[m], w[m])
    se = 100 * np.sqrt(design._variance((w * z)[:, None], dom, D)[:, 0])
    zc = _zcrit(level)
    out = labels.copy()
    out.insert(0, "indicator", "gini")
    out["estimate"] = est
    out["se"] = se
    out["ci_low"] = est - zc * se
    out["ci_high"] = est + zc * se
    out["n"] = np.bincount(dom, minlength=D)
    return out
