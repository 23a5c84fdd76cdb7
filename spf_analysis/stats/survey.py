"""Design-based survey estimation (Taylor linearisation), validated against R ``survey``.

:class:`Design` plays the role of R's ``svydesign(ids=~psu, strata=~strata,
weights=~weight, fpc=~fpc)`` / Stata's ``svyset psu [pw=weight], strata(strata)
fpc(fpc)`` for a pandas DataFrame.  Estimates: :meth:`Design.mean`,
:meth:`Design.total`, :meth:`Design.ratio`, :meth:`Design.proportion` and
:meth:`Design.quantile`, overall or by domain, each returned as a tidy
DataFrame.

Variance estimator (methods README section 4; R ``survey:::onestage``)
----------------------------------------------------------------------
Ultimate-cluster, with-replacement Taylor linearisation.  Every estimator is a
ratio ``R = Y / X`` of two weighted totals (a total has ``X = 1``, a mean has
``x_i = 1``).  Its linearised score is ``u_i = w_i (y_i - R x_i) / X`` (for a
total ``u_i = w_i y_i``); ``u_hj`` is the total of ``u_i`` over PSU ``j`` of
stratum ``h`` and::

    V(R) = sum_h (1 - f_h) n_h / (n_h - 1) sum_j (u_hj - mean_j u_hj)^2

with ``n_h`` the number of PSUs of stratum ``h`` in the whole sample and
``f_h = n_h / N_h`` when the first-stage population count ``N_h`` is given
(``fpc``), else ``f_h = 0``.  Later sampling stages are ignored (the ultimate
cluster approximation; exact for R when the first stage has no fpc).

Domains (``by``) never drop rows: the domain indicator ``d_i`` multiplies both
``y`` and ``x`` (``u_i = d_i w_i (y_i - R_d x_i) / X_d``), so PSUs without
domain members still count in ``n_h`` with a zero score, exactly as R's
``svyby`` (which pads the missing PSUs with zeros).

Design effect (``deff``), as R's ``deff="replace"``: the design variance of the
linearised total ``t_e = sum_{i in d} w_i e_i`` divided by its variance under
simple random sampling *with replacement* of ``n_d`` units from the domain::

    deff = V(t_e) / (W_d^2 s_e^2 / n_d),   s_e^2 = n_d/(n_d - 1) sum_{i in d} w_i e_i^2 / W_d

with ``e_i = y_i - R_d x_i`` for means, ratios and proportions and
``e_i = y_i - ybar_d`` for totals; ``W_d`` and ``n_d`` are the weight sum and
row count of the domain.  (R's ``deff=TRUE`` additionally multiplies the SRS
variance by ``1 - n_d / W_d``, the without-replacement correction.)  Not
defined for quantiles (NaN).

Confidence intervals are normal, ``estimate -/+ z_{(1+level)/2} se``, as R's
``confint`` on ``svymean``/``svytotal``/``svyratio``/``svyby``.  Quantiles are
the exception, see :meth:`Design.quantile`.

Strata with a single PSU (``lonely_psu``, R's ``options(survey.lonely.psu)``)
---------------------------------------------------------------------------
``"fail"`` (default, as R): :class:`SurveyDesignError` when the design is
built, naming the stratum and a row.  ``"certainty"`` and ``"remove"``: the
stratum contributes nothing to the variance (R 4.1 treats both identically at
the first stage).  ``"adjust"``: the stratum's single PSU score is centred at
the overall mean score (zero) instead of its stratum mean and contributes
``(1 - f_h) u_h1^2``.

Empty domains
-------------
Domains are the observed combinations of the ``by`` values, sorted.  When the
``by`` columns are pandas Categoricals, every combination of their categories
is reported (as ``groupby(observed=False)``), and a domain without any sample
row is returned as a row with ``n = 0`` and NaN estimate, se, CI and deff
(never an error), so that report tables keep a fixed shape.

Missing values
--------------
A NaN in an analysis variable raises :class:`SurveyDesignError` unless
``na_rm=True``; then the row leaves the estimate but stays in the design
(R's ``na.rm=TRUE``: it is outside the domain, not dropped).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["Design", "SurveyDesignError"]

LONELY_PSU_RULES = ("fail", "certainty", "remove", "adjust")


class SurveyDesignError(ValueError):
    """Invalid survey design or analysis input (names the column and row)."""


def _as_list(x) -> list:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    return list(x)


def _py(v):
    """Plain Python scalar for readable messages (no ``np.int64(1)``)."""
    return v.item() if isinstance(v, np.generic) else v


def _first_bad(index: pd.Index, bad: np.ndarray):
    return _py(index[int(np.flatnonzero(bad)[0])])


def _zcrit(level: float) -> float:
    if not 0 < level < 1:
        raise SurveyDesignError(f"level must be in (0, 1), got {level!r}")
    # scipy.special, not scipy.stats: ``stats.norm.ppf`` is ``special.ndtri`` (same bits), and importing
    # scipy.stats costs a process 0.6-1 s; here, not at import: a chapter that estimates nothing does without it
    from scipy.special import ndtri

    return float(ndtri(0.5 + level / 2))


def _tcrit(p, df):
    """Student's t quantile, ``scipy.stats.t.ppf(p, df)`` bit for bit, without importing scipy.stats.

    As ``t.ppf``: ``scipy.special.stdtrit(df, p)`` (what it calls) where ``df > 0`` and ``0 < p < 1``;
    ``-inf`` / ``inf`` at ``p == 0`` / ``p == 1`` (``df > 0``); NaN elsewhere (``df <= 0`` or NaN, ``p``
    outside [0, 1] or NaN). ``df = inf`` is a valid ``df`` (the normal quantile). A scalar for scalar
    arguments, else an array of their broadcast shape."""
    from scipy.special import stdtrit

    q, dfa = np.broadcast_arrays(np.asarray(p, dtype=float), np.asarray(df, dtype=float))
    ok = dfa > 0
    out = np.full(q.shape, np.nan)
    out[ok & (q == 0)] = -np.inf
    out[ok & (q == 1)] = np.inf
    mid = ok & (0 < q) & (q < 1)
    if mid.any():
        out[mid] = stdtrit(dfa[mid], q[mid]) + 0.0  # + 0.0 as t.ppf's ``* scale + loc``: no -0.0
    return out[()] if out.ndim == 0 else out


def _column_keys(code: np.ndarray, k: int) -> np.ndarray:
    """Bin of every cell of an (n, k) array read row by row: ``code[i] * k + j`` (see :func:`_column_sums`)."""
    return (np.asarray(code, dtype=np.int64)[:, None] * k + np.arange(k)).ravel()


def _column_sums(key: np.ndarray, a: np.ndarray, size: int) -> np.ndarray:
    """``np.bincount(code, a[:, j], minlength=size)`` for every column j at once -> (size, k).

    One bincount over the cells of ``a`` in row order (``key`` from :func:`_column_keys`): each (code, column)
    bin adds its rows in the same order as the bincount of that column alone, so the sums are the same numbers."""
    a = np.ascontiguousarray(a, dtype=float)
    k = a.shape[1]
    return np.bincount(key, weights=a.ravel(), minlength=size * k).reshape(size, k)


def _cells(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_inverse=True)`` for integer keys in ``0..size-1``: the keys present, in
    order, and each row's index among them. Counted (no sort: linear in the rows and ``size``) when
    ``size`` is at most a few times the rows; the same arrays either way."""
    if size > 4 * len(key) + 1024:
        return np.unique(key, return_inverse=True)
    counts = np.bincount(key, minlength=size)
    present = counts > 0
    rank = np.cumsum(present) - 1
    return np.flatnonzero(present), rank[key]


class Design:
    """A complex survey design over a DataFrame (R ``svydesign``, Stata ``svyset``).

    Parameters
    ----------
    data : DataFrame with one row per sampled unit.
    weight : column of sampling weights (finite, > 0).
    strata : column of first-stage strata, or None (one stratum).
    psu : column of primary sampling units, or None (each row is a PSU,
        R's ``ids=~1``).
    fpc : column holding the first-stage population count ``N_h`` of the
        stratum (number of PSUs in the population), constant within a
        stratum, or None (with replacement, ``f_h = 0``).
    nest : as R's ``nest=TRUE``: PSU labels are only unique within strata.
        Without it a PSU label found in two strata is an error.
    lonely_psu : rule for strata with one PSU, see the module docstring.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        weight: str,
        strata: str | None = None,
        psu: str | None = None,
        fpc: str | None = None,
        *,
        nest: bool = False,
        lonely_psu: str = "fail",
    ):
        if not isinstance(data, pd.DataFrame):
            raise SurveyDesignError("data must be a pandas DataFrame")
        if lonely_psu not in LONELY_PSU_RULES:
            raise SurveyDesignError(f"lonely_psu must be one of {LONELY_PSU_RULES}, got {lonely_psu!r}")
        for role, col in (("weight", weight), ("strata", strata), ("psu", psu), ("fpc", fpc)):
            if col is not None and col not in data.columns:
                raise SurveyDesignError(f"{role} column {col!r} not found in data")
        if len(data) == 0:
            raise SurveyDesignError("data has no rows")
        self.data = data
        self.weight, self.strata, self.psu, self.fpc = weight, strata, psu, fpc
        self.nest, self.lonely_psu = nest, lonely_psu
        idx = data.index
        n = len(data)

        w = data[weight]
        if not (pd.api.types.is_numeric_dtype(w) and not pd.api.types.is_bool_dtype(w)):
            raise SurveyDesignError(f"weight column {weight!r} is not numeric (dtype {w.dtype})")
        w = w.to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(w)
        if bad.any():
            raise SurveyDesignError(f"weight column {weight!r} has a missing/non-finite value at row {_first_bad(idx, bad)!r}")
        bad = w <= 0
        if bad.any():
            raise SurveyDesignError(
                f"weight column {weight!r} has a non-positive value {_py(w[bad][0])!r} at row {_first_bad(idx, bad)!r}"
            )
        self._w = w

        # strata codes 0..H-1
        if strata is None:
            h_code = np.zeros(n, dtype=np.int64)
            self._strata_labels = np.array([None], dtype=object)
        else:
            s = data[strata]
            bad = s.isna().to_numpy()
            if bad.any():
                raise SurveyDesignError(f"strata column {strata!r} is missing at row {_first_bad(idx, bad)!r}")
            h_code, self._strata_labels = pd.factorize(s, sort=True)
            h_code = h_code.astype(np.int64)
        H = len(self._strata_labels)

        # PSU codes 0..P-1
        if psu is None:
            p_key = np.arange(n, dtype=np.int64)
        else:
            p = data[psu]
            bad = p.isna().to_numpy()
            if bad.any():
                raise SurveyDesignError(f"psu column {psu!r} is missing at row {_first_bad(idx, bad)!r}")
            p_key, _ = pd.factorize(p, sort=True)
            p_key = p_key.astype(np.int64)
            if nest:
                p_key = h_code * (int(p_key.max()) + 1) + p_key
            else:
                # a PSU label must belong to a single stratum
                first_h = np.full(int(p_key.max()) + 1, -1, dtype=np.int64)
                first_h[p_key[::-1]] = h_code[::-1]  # stratum of first occurrence
                bad = first_h[p_key] != h_code
                if bad.any():
                    i = int(np.flatnonzero(bad)[0])
                    raise SurveyDesignError(
                        f"psu {_py(data[psu].iloc[i])!r} (column {psu!r}) appears in more than one stratum "
                        f"({_py(self._strata_labels[first_h[p_key[i]]])!r} and {_py(self._strata_labels[h_code[i]])!r}, "
                        f"row {_py(idx[i])!r}); use nest=True if PSU labels are only unique within strata"
                    )
        _, p_first, p_code = np.unique(p_key, return_index=True, return_inverse=True)
        P = len(p_first)
        self._psu_code = p_code
        self._psu_stratum = h_code[p_first]
        self._n_psu = n_h = np.bincount(self._psu_stratum, minlength=H).astype(float)

        # finite population correction per stratum
        one_minus_f = np.ones(H)
        if fpc is not None:
            fv = data[fpc]
            if not pd.api.types.is_numeric_dtype(fv) or pd.api.types.is_bool_dtype(fv):
                raise SurveyDesignError(f"fpc column {fpc!r} is not numeric (dtype {fv.dtype})")
            fv = fv.to_numpy(dtype=float, na_value=np.nan)
            bad = ~np.isfinite(fv)
            if bad.any():
                raise SurveyDesignError(f"fpc column {fpc!r} is missing/non-finite at row {_first_bad(idx, bad)!r}")
            N_h = np.full(H, np.nan)
            N_h[h_code] = fv
            bad = fv != N_h[h_code]
            if bad.any():
                raise SurveyDesignError(f"fpc column {fpc!r} is not constant within its stratum at row {_first_bad(idx, bad)!r}")
            bad = N_h[h_code] < n_h[h_code]
            if bad.any():
                raise SurveyDesignError(
                    f"fpc column {fpc!r} is smaller than the number of sampled PSUs of its stratum at row "
                    f"{_first_bad(idx, bad)!r} (fpc must be the stratum population count N_h, not a fraction)"
                )
            one_minus_f = (N_h - n_h) / N_h
            one_minus_f[one_minus_f < 1e-7] = 0.0  # certainty strata, as R
        lonely = n_h == 1
        if lonely.any() and lonely_psu == "fail":
            h = int(np.flatnonzero(lonely)[0])
            raise SurveyDesignError(
                f"stratum {_py(self._strata_labels[h])!r} (column {strata!r}) has only one PSU "
                f"(row {_first_bad(idx, h_code == h)!r}); choose lonely_psu='certainty', 'remove' or 'adjust'"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(lonely, one_minus_f, one_minus_f * n_h / (n_h - 1))
        if lonely_psu in ("certainty", "remove"):
            scale[lonely] = 0.0
        self._scale = scale
        self._lonely = lonely & (lonely_psu == "adjust")
        self.n_strata, self.n_psu = H, P

    # ------------------------------------------------------------------ helpers
    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return (
            f"Design(n={len(self)}, strata={self.n_strata}, psu={self.n_psu}, weight={self.weight!r}, "
            f"strata_col={self.strata!r}, psu_col={self.psu!r}, fpc={self.fpc!r})"
        )

    def with_columns(self, **columns) -> "Design":
        """The same design over ``data`` with added/replaced columns.

        Values are scalars (broadcast) or arrays/Series of length ``len(data)``,
        taken by row position.
        """
        new = object.__new__(Design)
        new.__dict__.update(self.__dict__)
        vals = {k: (v.to_numpy() if isinstance(v, pd.Series) else np.asarray(v)) for k, v in columns.items()}
        vals = {k: np.full(len(self), v) if v.ndim == 0 else v for k, v in vals.items()}
        for k, v in vals.items():
            if v.shape != (len(self),):
                raise SurveyDesignError(f"new column {k!r} has shape {v.shape}, expected ({len(self)},)")
        new.data = self.data.assign(**vals)
        return new

    def _numeric(self, col: str, na_rm: bool) -> tuple[np.ndarray, np.ndarray]:
        """Values of ``col`` as float (NaN set to 0) and the validity mask."""
        if col not in self.data.columns:
            raise SurveyDesignError(f"variable column {col!r} not found in data")
        s = self.data[col]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            raise SurveyDesignError(f"variable column {col!r} is not numeric (dtype {s.dtype})")
        x = s.to_numpy(dtype=float, na_value=np.nan)
        bad = np.isinf(x)
        if bad.any():
            raise SurveyDesignError(f"variable column {col!r} is infinite at row {_first_bad(self.data.index, bad)!r}")
        ok = ~np.isnan(x)
        if not ok.all():
            if not na_rm:
                raise SurveyDesignError(
                    f"variable column {col!r} is missing at row {_first_bad(self.data.index, ~ok)!r} "
                    "(pass na_rm=True to treat missing rows as outside the domain)"
                )
            x = np.where(ok, x, 0.0)
        return x, ok

    def _domains(self, by) -> tuple[np.ndarray, pd.DataFrame]:
        """Domain code per row (0..D-1) and the table of domain labels."""
        cols = _as_list(by)
        n = len(self)
        if not cols:
            return np.zeros(n, dtype=np.int64), pd.DataFrame(index=range(1))
        codes, levels, categorical = [], [], []
        for c in cols:
            if c not in self.data.columns:
                raise SurveyDesignError(f"by column {c!r} not found in data")
            s = self.data[c]
            bad = s.isna().to_numpy()
            if bad.any():
                raise SurveyDesignError(f"by column {c!r} is missing at row {_first_bad(self.data.index, bad)!r}")
            if isinstance(s.dtype, pd.CategoricalDtype):
                codes.append(s.cat.codes.to_numpy().astype(np.int64))
                levels.append(s.cat.categories)
                categorical.append(True)
            else:
                k, lev = pd.factorize(s, sort=True)
                codes.append(k.astype(np.int64))
                levels.append(lev)
                categorical.append(False)
        dims = tuple(len(lv) for lv in levels)
        flat = np.ravel_multi_index(codes, dims)
        if any(categorical):
            dom = flat
            keep = np.arange(int(np.prod(dims)))
        else:
            keep, dom = np.unique(flat, return_inverse=True)
        lab = np.unravel_index(keep, dims)
        table = pd.DataFrame({c: levels[j].take(lab[j]) for j, c in enumerate(cols)})
        for c, is_cat, lv in zip(cols, categorical, levels):
            if is_cat:
                table[c] = pd.Categorical(table[c], categories=lv, ordered=self.data[c].cat.ordered)
        return dom.astype(np.int64), table

    # ------------------------------------------------------------------ engine
    def _ratio_core(self, Y: np.ndarray, X: np.ndarray | None, ok: np.ndarray, dom: np.ndarray, D: int) -> dict:
        """Vectorised linearised ratios ``sum w y / sum w x`` by domain for k variables.

        ``Y``, ``X`` (n, k) with invalid entries already 0, ``ok`` (n, k) validity;
        ``X=None`` means totals.  Returns (D, k) arrays est, var, deff, n.
        """
        w = self._w
        n, k = Y.shape
        key = _column_keys(dom, k)  # every column's sums by domain in one np.bincount (_column_sums)
        wy = Y * w[:, None]
        W = _column_sums(key, ok * w[:, None], D)
        Ty = _column_sums(key, wy, D)
        cnt = _column_sums(key, ok.astype(float), D)
        with np.errstate(divide="ignore", invalid="ignore"):
            if X is None:
                est = Ty
                ybar = Ty / W
                E = np.where(ok, Y - ybar[dom], 0.0)  # deviations for deff
                resid = wy  # score numerators: u_i = w_i y_i
                denom = np.ones((D, k))
            else:
                Tx = _column_sums(key, X * w[:, None], D)
                est = Ty / Tx
                Rr = np.where(np.isfinite(est), est, 0.0)
                E = Y - Rr[dom] * X
                resid = E * w[:, None]
                denom = Tx
            var = self._variance(resid, dom, D) / denom**2
            # SRS-with-replacement variance of the linearised total (see module docstring)
            ss = _column_sums(key, E * E * w[:, None], D)
            vsrs = W * ss / (cnt - 1) / denom**2
            deff = var / vsrs
        empty = cnt == 0
        est = np.where(empty, np.nan, est)
        var = np.where(empty, np.nan, var)
        deff = np.where(empty | (cnt < 2), np.nan, deff)
        return {"est": est, "var": var, "deff": deff, "n": cnt.astype(np.int64)}

    def _variance(self, resid: np.ndarray, dom: np.ndarray, D: int) -> np.ndarray:
        """``sum_h scale_h sum_j (t_hj - tbar_h)^2`` of PSU-by-domain totals of ``resid`` (n, k) -> (D, k).

        Only PSU x domain cells that hold rows are formed; the empty cells
        (score 0) enter through ``(n_h - m_hd) tbar_hd^2``, avoiding the
        cancellation-prone ``sum t^2 - n tbar^2``.
        """
        k = resid.shape[1]
        H = self.n_strata
        cell, inv = _cells(self._psu_code * D + dom, self.n_psu * D)
        cell_psu, cell_dom = np.divmod(cell, D)
        cell_h = self._psu_stratum[cell_psu]
        hd = cell_h * D + cell_dom  # stratum x domain of each cell
        m_hd = np.bincount(hd, minlength=H * D).astype(float)
        n_h = np.repeat(self._n_psu, D)
        centre = ~np.repeat(self._lonely, D)  # "adjust": lonely strata centred at 0
        out = np.empty((D, k))
        T = _column_sums(_column_keys(inv, k), resid, len(cell))
        for j in range(k):
            t = T[:, j]
            tbar = np.bincount(hd, t, minlength=H * D) / n_h * centre
            dev2 = np.bincount(hd, (t - tbar[hd]) ** 2, minlength=H * D) + (n_h - m_hd) * tbar**2
            out[:, j] = (dev2.reshape(H, D) * self._scale[:, None]).sum(axis=0)
        return out

    def _table(self, res: dict, labels: pd.DataFrame, names: Sequence[str], level: float, extra=None) -> pd.DataFrame:
        """Tidy output: variable, by columns, [extra], estimate, se, ci_low, ci_high, deff, n."""
        z = _zcrit(level)
        D, k = res["est"].shape
        if extra is None:  # one frame at once (the same rows and values as the frames concatenated below)
            idx = np.tile(np.arange(D), k)
            est, var = res["est"].T.ravel(), res["var"].T.ravel()
            se = np.sqrt(var)
            cols = {"variable": pd.Series(list(names)).repeat(D).reset_index(drop=True),  # dtype as a scalar's
                    **{c: labels[c].iloc[idx].reset_index(drop=True) for c in labels.columns},
                    "estimate": est, "se": se, "ci_low": est - z * se, "ci_high": est + z * se,
                    "deff": res["deff"].T.ravel(), "n": res["n"].T.ravel()}
            return pd.DataFrame(cols)
        frames = []
        for j, name in enumerate(names):
            f = labels.copy()
            f.insert(0, "variable", name)
            if extra is not None:
                for col, val in extra[j].items():
                    f[col] = val
            se = np.sqrt(res["var"][:, j])
            f["estimate"] = res["est"][:, j]
            f["se"] = se
            f["ci_low"] = res["est"][:, j] - z * se
            f["ci_high"] = res["est"][:, j] + z * se
            f["deff"] = res["deff"][:, j]
            f["n"] = res["n"][:, j]
            frames.append(f)
        return pd.concat(frames, ignore_index=True)

    def _matrix(self, cols: Sequence[str], na_rm: bool) -> tuple[np.ndarray, np.ndarray]:
        pairs = [self._numeric(c, na_rm) for c in cols]
        return np.column_stack([p[0] for p in pairs]), np.column_stack([p[1] for p in pairs])

    # ------------------------------------------------------------------ public estimators
    def total(self, var, by=None, *, level: float = 0.95, na_rm: bool = False) -> pd.DataFrame:
        """Horvitz-Thompson total ``sum_i d_i w_i y_i`` (R ``svytotal``/``svyby``); score ``u_i = d_i w_i y_i``.

        ``var`` is a column name or a list of them (estimated together).
        """
        cols = _as_list(var)
        Y, ok = self._matrix(cols, na_rm)
        dom, labels = self._domains(by)
        return self._table(self._ratio_core(Y, None, ok, dom, len(labels)), labels, cols, level)

    def mean(self, var, by=None, *, level: float = 0.95, na_rm: bool = False) -> pd.DataFrame:
        """Weighted mean ``sum d w y / sum d w`` (R ``svymean``), the ratio of ``y`` to 1."""
        cols = _as_list(var)
        Y, ok = self._matrix(cols, na_rm)
        dom, labels = self._domains(by)
        return self._table(self._ratio_core(Y, ok.astype(float), ok, dom, len(labels)), labels, cols, level)

    def ratio(self, num, den, by=None, *, level: float = 0.95, na_rm: bool = False) -> pd.DataFrame:
        """Ratio of totals ``sum d w y / sum d w x`` (R ``svyratio``); score ``u = d w (y - R x) / X``.

        ``num`` and ``den`` are column names or equal-length lists (paired); a
        single ``den`` is used for every ``num``.  The ``variable`` column
        reads ``"num/den"``.
        """
        nums, dens = _as_list(num), _as_list(den)
        if len(dens) == 1:
            dens = dens * len(nums)
        if len(nums) != len(dens):
            raise SurveyDesignError(f"num and den must have the same length ({len(nums)} vs {len(dens)})")
        Y, oky = self._matrix(nums, na_rm)
        X, okx = self._matrix(dens, na_rm)
        ok = oky & okx
        Y, X = np.where(ok, Y, 0.0), np.where(ok, X, 0.0)
        dom, labels = self._domains(by)
        names = [f"{a}/{b}" for a, b in zip(nums, dens)]
        return self._table(self._ratio_core(Y, X, ok, dom, len(labels)), labels, names, level)

    def proportion(self, var: str, by=None, *, level: float = 0.95, na_rm: bool = False) -> pd.DataFrame:
        """Share of each category of ``var`` (R ``svymean`` on a factor): the mean of ``1[var == level]``.

        Levels are the sorted observed values (or all categories of a
        Categorical); output has a ``level`` column.
        """
        if var not in self.data.columns:
            raise SurveyDesignError(f"variable column {var!r} not found in data")
        s = self.data[var]
        ok = ~s.isna().to_numpy()
        if not ok.all() and not na_rm:
            raise SurveyDesignError(
                f"variable column {var!r} is missing at row {_first_bad(self.data.index, ~ok)!r} "
                "(pass na_rm=True to treat missing rows as outside the domain)"
            )
        if isinstance(s.dtype, pd.CategoricalDtype):
            code, levels = s.cat.codes.to_numpy(), s.cat.categories
        else:
            code, levels = pd.factorize(s, sort=True)
        L = len(levels)
        Y = (code[:, None] == np.arange(L)[None, :]).astype(float)
        OK = np.repeat(ok[:, None], L, axis=1)
        dom, labels = self._domains(by)
        res = self._ratio_core(Y, OK.astype(float), OK, dom, len(labels))
        return self._table(res, labels, [var] * L, level, extra=[{"level": lv} for lv in levels])

    def quantile(self, var: str, q, by=None, *, level: float = 0.95, na_rm: bool = False) -> pd.DataFrame:
        """Quantiles with Woodruff confidence intervals, as R ``survey`` 4.1 ``svyquantile`` defaults.

        Estimate (``qrule="math"``): the smallest ``x_(j)`` whose cumulative
        weight share reaches ``p``, i.e. with ``S_j`` the cumulative weights of
        the sorted domain values, ``x_(j)`` if ``S_j = pW`` for the last
        ``j`` with ``S_j <= pW``, else ``x_(j+1)``.

        Interval (``interval.type="mean"``, Woodruff 1952): ``phat`` is the
        design mean of ``1[x <= qhat]`` in the domain with its linearised
        ``se_p``; ``ci = (Q(phat - t se_p), Q(phat + t se_p))`` with ``Q`` the
        same rule, NaN when the shifted probability leaves [0, 1].  ``t`` is
        the Student quantile with ``df`` = PSUs minus strata *containing
        domain rows* (R's ``degf`` of the domain subset; normal if infinite).
        ``se = (ci_high - ci_low) / (2 t)`` -- so it depends on ``level``, as in R.

        Differences from R 4.1.1: for ``p < w_(1) / W`` (below the first
        cumulative share) R's ``qs`` returns the second-smallest value; here
        the smallest.  Cumulative weights are accumulated in extended
        precision like R's ``cumsum``, so results coincide except when
        ``phat -/+ t se_p`` lies within rounding error of a cumulative share.
        """
        qs_ = np.atleast_1d(np.asarray(q, dtype=float))
        if ((qs_ < 0) | (qs_ > 1)).any():
            raise SurveyDesignError(f"quantile probabilities must be in [0, 1], got {q!r}")
        x, ok = self._numeric(var, na_rm)
        dom, labels = self._domains(by)
        D = len(labels)
        w = self._w
        alpha = 1 - level
        _zcrit(level)
        # sort once by (domain, x); per-domain slices of valid rows
        rows = np.flatnonzero(ok)
        order = rows[np.lexsort((x[rows], dom[rows]))]
        bounds = np.searchsorted(dom[order], np.arange(D + 1))
        # degrees of freedom per domain: #PSU - #strata among domain rows
        pd_cells = np.unique(dom[rows] * self.n_psu + self._psu_code[rows])
        n_psu_d = np.bincount(pd_cells // self.n_psu, minlength=D)
        hd_cells = np.unique(dom[rows] * self.n_strata + self._psu_stratum[self._psu_code[rows]])
        n_h_d = np.bincount(hd_cells // self.n_strata, minlength=D)
        df = (n_psu_d - n_h_d).astype(float)
        with np.errstate(invalid="ignore"):
            tcrit = _tcrit(1 - alpha / 2, df)

        def qrule(xs, cw, W, p):
            if not (0 <= p <= 1):
                return np.nan
            pos = np.searchsorted(cw, p * W, side="right") - 1  # last cw <= pW
            if pos < 0:
                return xs[0]
            if p - cw[pos] / W == 0:
                return xs[pos]
            return xs[min(pos + 1, len(xs) - 1)]

        cache = []
        for d in range(D):
            o = order[bounds[d] : bounds[d + 1]]
            if len(o) == 0:
                cache.append(None)
                continue
            cw = np.cumsum(w[o].astype(np.longdouble)).astype(float)
            cache.append((x[o], cw, cw[-1]))
        frames = []
        for p in qs_:
            qhat = np.array([np.nan if c is None else qrule(c[0], c[1], c[2], p) for c in cache])
            ind = (x <= qhat[dom]).astype(float) * ok
            r = self._ratio_core(ind[:, None], ok[:, None].astype(float), ok[:, None], dom, D)
            phat, sep = r["est"][:, 0], np.sqrt(r["var"][:, 0])
            lo = np.full(D, np.nan)
            hi = np.full(D, np.nan)
            for d, c in enumerate(cache):
                if c is None or not np.isfinite(tcrit[d]):
                    continue
                lo[d] = qrule(c[0], c[1], c[2], phat[d] - tcrit[d] * sep[d])
                hi[d] = qrule(c[0], c[1], c[2], phat[d] + tcrit[d] * sep[d])
            f = labels.copy()
            f.insert(0, "variable", var)
            f["quantile"] = p
            f["estimate"] = qhat
            f["se"] = (hi - lo) / (2 * tcrit)
            f["ci_low"] = lo
            f["ci_high"] = hi
            f["deff"] = np.nan
            f["n"] = r["n"][:, 0]
            frames.append(f)
        return pd.concat(frames, ignore_index=True)
