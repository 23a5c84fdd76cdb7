"""Vectorised application of a rule set to persons, household aggregation, weighted sums and survey costs.

Benefits are added to household consumption (when the rule's ``to_welfare``, declared in the scenario
as ``adds_to_consumption``) and the welfare measure stays consumption per adult equivalent (chapter
03's measure), so poverty is measured exactly as in chapter 03.  A public-works wage is added net of the earnings the
participant gives up (``wage x net_share``, ``net_share = 1 - forgone_earnings`` declared in the scenario,
e.g. about half the gross wage for Argentina's Trabajar: Jalan and Ravallion 2003, Journal of Business &
Economic Statistics 21(1)); the cost and the benefit-cost ratio's denominator stay the gross transfer.
No other behavioural response.

The engine (:func:`engine`) evaluates the rules as numpy array operations over persons: households are
the slices of rows sorted by household code (:class:`spf_analysis.microsim.frame.Persons`), their totals
``np.add.reduceat``; take-up is drawn (:func:`spf_analysis.microsim.frame.uniform_hash`, a pure function
of the person's ids) only for the eligible rows, which gives the same draws as drawing for everyone.
:func:`simulate` returns the per-person frame the chapter's inference reads; :func:`simulate_sums` is the
hot path of chunks and Dask partitions (weighted sums only, from the compact arrays, no frame).  The
engine it replaced is kept in :mod:`spf_analysis.microsim.reference` (tests/test_microsim_golden.py
holds the two to 1e-12).

Household aggregation needs every member of a household in the same frame or partition
(:func:`spf_analysis.microsim.parallel.to_dask` partitions on household boundaries).  Aggregates
are weighted sums (:func:`partition_sums`), so partition sums add up.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from .frame import Persons, uniform_hash
from .rules import RuleSet

#: the weighted sums of :func:`partition_sums` before the per-benefit ones, in their order
SUM_COLUMNS = ("pop", "poor_pre", "poor_post", "gap_pre", "gap_post", "shortfall_pre", "shortfall_post", "cash_pae",
               "gross_pae", "ben_new")


def _draw_below(P: Persons, rows: np.ndarray, unit_idc, salt: int, p: float) -> np.ndarray:
    """``uniform_hash(hh, idc, salt) < p`` for the rows ``rows`` only (the draw is a pure function of the
    row, so drawing on a subset gives the same draws); ``p >= 1``: everyone (``u < 1`` always)."""
    if p >= 1:
        return np.ones(len(rows), dtype=bool)
    if p <= 0 or not len(rows):
        return np.zeros(len(rows), dtype=bool)
    return _uniforms(P, rows, unit_idc, salt) < p


def _uniforms(P: Persons, rows: np.ndarray, unit_idc, salt: int) -> np.ndarray:
    """The counter-based uniforms ``uniform_hash(hh, idc, salt)`` of the rows ``rows`` (``unit_idc``: the
    member number to hash instead of the row's, e.g. 0 for a household draw)."""
    return uniform_hash(P.hh_at(rows), unit_idc if unit_idc is not None else P.idc_at(rows), salt)


def takeup_uniforms(P: Persons, rows: np.ndarray, rule) -> np.ndarray:
    """The uniforms the engine compares with ``rule.takeup`` for the eligible rows ``rows`` of ``rule``: a row
    takes the benefit up when its uniform is below the take-up (one draw per household for ``poor_household``).
    For :mod:`spf_analysis.microsim.uncertainty`, which compares them with drawn take-up rates."""
    return _uniforms(P, rows, np.zeros(len(rows), np.int64) if rule.target == "poor_household" else None, rule.salt)


def _first_of_household(P: Persons, rows: np.ndarray) -> np.ndarray:
    """Of the rows ``rows`` (ascending), those with the lowest member number of their household among them
    (rows sorted by household then member number: the first of each household, and any tie with it)."""
    if not len(rows):
        return rows
    h = P.hh_at(rows)
    new = np.r_[True, h[1:] != h[:-1]]
    idc = P.idc_at(rows)
    return rows[idc == idc[new][np.cumsum(new) - 1]]


def engine(P: Persons, rs: RuleSet) -> dict[str, np.ndarray]:
    """The rules applied to the arrays ``P`` (rows in ``P``'s order): per benefit ``e_``/``r_`` (boolean) and
    the receivers' rows ``rows_<name>``; ``hh_cash``, ``hh_gross`` (household totals of the net gains and the
    gross transfers added to welfare, one per household) and the per-person ``cash_pae``, ``gross_pae``,
    ``y_post``, ``ben_new``.  Eligibility is array logic over persons, households are the slices of
    ``P.starts`` (``np.add.reduceat``), take-up is drawn only for the eligible."""
    n = P.n
    out: dict[str, np.ndarray] = {}
    received: dict[str, np.ndarray] = {}
    cash = np.zeros(n)
    gross = np.zeros(n)
    for r in rs.rules:
        el = P.in_group(r.age_min, r.age_max, r.sex)
        unit = None
        if r.target == "disability":
            el &= P.req("dis")
            if r.thinning < 1:
                rows = np.flatnonzero(el)
                el[rows[~_draw_below(P, rows, None, r.salt ^ 0x5A5A5A5A, r.thinning)]] = False
        elif r.target == "births":
            el &= P.age == 0
        elif r.target == "poor_household":
            score = P.req("pmt") if rs.targeting == "pmt" else P.cons
            cut = r.cutoff if r.aligned else rs.pmt_cut
            s = np.nan_to_num(score, nan=np.inf)
            el &= (s <= cut) if r.aligned else (s < cut)
            keep = _first_of_household(P, np.flatnonzero(el))
            el = np.zeros(n, dtype=bool)
            el[keep] = True
            unit = 0  # household take-up draw
        elif r.target == "contributory_capacity":
            el &= P.req("uncovered") & (P.req("earn") >= (r.cutoff if r.aligned else rs.capacity_threshold))
        elif r.target == "bisp_household":
            el &= P.req("bisp")
        elif r.target == "no_pension":
            el &= ~P.req("pension")
        rows = np.flatnonzero(el)
        rows = rows[_draw_below(P, rows, None if unit is None else np.zeros(len(rows), np.int64), r.salt, r.takeup)]
        for a in r.exclusive_with:
            if a in received:  # a benefit simulated alone has nothing to yield to
                rows = rows[~received[a][rows]]
        rec = np.zeros(n, dtype=bool)
        rec[rows] = True
        received[r.name] = rec
        out[f"e_{r.name}"], out[f"r_{r.name}"], out[f"rows_{r.name}"] = el, rec, rows
        if r.to_welfare and len(rows):
            # x + 0.0 = x: adding on the receivers only is the sum over all persons, bit for bit
            cash[rows] += r.monthly * r.net_share
            gross[rows] += r.monthly
    ae = P.adult_eq
    sizes = P.sizes()
    if n:
        out["hh_cash"] = np.add.reduceat(cash, P.starts)
        out["hh_gross"] = np.add.reduceat(gross, P.starts)
    else:
        out["hh_cash"] = out["hh_gross"] = np.zeros(0)
    hh_cash = np.repeat(out["hh_cash"], sizes)
    out["cash_pae"] = hh_cash / ae
    out["gross_pae"] = np.repeat(out["hh_gross"], sizes) / ae
    out["y_post"] = P.cons + out["cash_pae"]
    out["ben_new"] = hh_cash > 0
    return out


def _group_codes(keys: Sequence[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """One code per row for the combination of ``keys`` (lexicographic, -1 where a key is missing) and the
    sorted levels of every key (``pd.factorize``: a hash, not a group-by)."""
    code = np.zeros(len(keys[0]), dtype=np.int64)
    missing = np.zeros(len(keys[0]), dtype=bool)
    levels = []
    for k in keys:
        c, lev = pd.factorize(k, sort=True)
        missing |= c < 0
        code = code * max(len(lev), 1) + np.maximum(c, 0)
        levels.append(np.asarray(lev))
    code[missing] = -1
    return code, levels


def sums(P: Persons, res: dict[str, np.ndarray], rs: RuleSet, by: Sequence[str] = (), quintile=None) -> pd.DataFrame:
    """:func:`partition_sums` of an :func:`engine` result on ``P`` (additive across partitions).

    ``by``: ``"quintile"`` or columns of ``P.extra``.  Without ``by``: sums over persons (numpy); with
    ``by``: ``np.bincount`` over the group codes of :func:`_group_codes` (groups with persons only,
    sorted, persons with a missing key left out, as a pandas group-by).
    """
    by = list(by)
    w = P.weights
    z = rs.line
    y0, y1 = P.cons, res["y_post"]
    cols: dict[str, np.ndarray | tuple] = {}
    p0, p1 = y0 < z, y1 < z
    sh0, sh1 = np.maximum(z - y0, 0), np.maximum(z - y1, 0)
    cols["pop"] = w
    cols["poor_pre"], cols["poor_post"] = p0, p1
    cols["gap_pre"], cols["gap_post"] = w * np.where(p0, (z - y0) / z, 0.0), w * np.where(p1, (z - y1) / z, 0.0)
    cols["shortfall_pre"], cols["shortfall_post"] = w * sh0, w * sh1
    cols["cash_pae"], cols["gross_pae"] = w * res["cash_pae"], w * res["gross_pae"]
    cols["ben_new"] = res["ben_new"]
    for r in rs.rules:
        cols[f"e_{r.name}"] = res[f"e_{r.name}"]
        cols[f"n_{r.name}"] = res[f"rows_{r.name}"]
        cols[f"a_{r.name}"] = ("a", res[f"rows_{r.name}"], r.monthly)
    if not by:
        vals = {}
        for k, v in cols.items():
            if isinstance(v, tuple):  # annual benefits: w x monthly x 12 on the receivers
                vals[k] = float(np.sum(w[v[1]] * v[2] * 12))
            elif v.dtype == bool:
                vals[k] = float(np.sum(w[v]))
            elif k in ("pop",) or v is w:
                vals[k] = float(np.sum(w))
            elif v.dtype.kind == "i":  # row indices (beneficiaries)
                vals[k] = float(np.sum(w[v]))
            else:
                vals[k] = float(np.sum(v))
        return pd.DataFrame([vals], index=pd.Index(["all"], name="group"))
    keys = [quintile if c == "quintile" else P.extra[c] for c in by]
    code, levels = _group_codes(keys)
    ok = code >= 0
    size = int(np.prod([max(len(lev), 1) for lev in levels]))
    cw = np.where(ok, code, 0)
    wz = np.where(ok, w, 0.0)
    vals = {}
    for k, v in cols.items():
        if isinstance(v, tuple):
            vals[k] = np.bincount(cw[v[1]], weights=wz[v[1]] * v[2] * 12, minlength=size)
        elif v is w:
            vals[k] = np.bincount(cw, weights=wz, minlength=size)
        elif v.dtype == bool:
            vals[k] = np.bincount(cw[v], weights=wz[v], minlength=size)
        elif v.dtype.kind == "i":
            vals[k] = np.bincount(cw[v], weights=wz[v], minlength=size)
        else:
            vals[k] = np.bincount(cw, weights=np.where(ok, v, 0.0), minlength=size)
    present = np.bincount(code[ok], minlength=size) > 0
    idx = np.flatnonzero(present)
    return _group_frame(vals, idx, levels, by)


def quintiles(P: Persons, rs: RuleSet) -> np.ndarray:
    """Quintile of pre-reform welfare (cut-points of the rule set), 1-5."""
    return np.searchsorted(np.asarray(rs.quintile_cuts), P.cons, side="left") + 1


def _rows_in(rows: np.ndarray, sorted_rows: np.ndarray) -> np.ndarray:
    """Whether each of ``rows`` is in the ascending ``sorted_rows``."""
    if not len(sorted_rows):
        return np.zeros(len(rows), dtype=bool)
    i = np.minimum(np.searchsorted(sorted_rows, rows), len(sorted_rows) - 1)
    return sorted_rows[i] == rows


def _in_table(table: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """``table[cells]``; a table true on one run of cells is two comparisons (no gather)."""
    on = np.flatnonzero(table)
    if not len(on):
        return np.zeros(len(cells), dtype=bool)
    if on[-1] - on[0] + 1 == len(on):
        lo, hi = int(on[0]), int(on[-1])
        return (cells >= lo) & (cells <= hi) if lo > 0 else cells <= hi
    return table[cells]


def _fast_sums(P: Persons, rs: RuleSet) -> pd.DataFrame:
    """:func:`sums` without ``by`` from the compact arrays (:class:`Persons`): the same rules, evaluated where
    they are cheap.  An age/sex rule is a lookup table over ``cell``; its eligible total is the table times
    the weights per cell (one ``np.bincount`` per chunk for all rules); flag rules start from the rows of
    their flag; take-up is drawn on the eligible rows only.  The gains added to welfare are one lookup per
    person (the age/sex rules) plus adds on the rows of the others, added up per household
    (``np.add.reduceat``); poverty and the transfers per adult equivalent are then household sums with the
    household's weight (consumption and adult equivalents are household variables, ``P.hh_level``)."""
    n = P.n
    w, cell = P.weights, P.cell
    n_h = len(P.starts)
    W_cell = np.bincount(P.hc_cell, weights=P.hc_w, minlength=P.n_cells)
    vals: dict[str, float] = {}
    received: dict[str, tuple] = {}   # ("table", t) or ("rows", rows)
    cash_table = np.zeros(P.n_cells)
    gross_table = np.zeros(P.n_cells)
    row_adds: list[tuple[np.ndarray, float, float]] = []
    any_table = False

    def members(rec, rows):  # which of ``rows`` receive ``rec``
        return _in_table(rec[1], cell[rows]) if rec[0] == "table" else _rows_in(rows, rec[1])

    for r in rs.rules:
        g = P.group_table(r.age_min, r.age_max, r.sex)
        if r.target in ("age", "health", "births"):
            if r.target == "births":
                g = g & (np.arange(P.n_cells) // (len(P.sex_levels) + 1) == 0)
            e_sum = float(np.sum(W_cell[g]))
            rec = ("table", g)
            if r.takeup < 1 or any(a in received for a in r.exclusive_with):
                rows = np.flatnonzero(_in_table(g, cell))
                rec = ("rows", rows)
        else:
            if r.target == "disability":
                rows = P.rows_dis[_in_table(g, cell[P.rows_dis])]
                if r.thinning < 1:
                    rows = rows[_draw_below(P, rows, None, r.salt ^ 0x5A5A5A5A, r.thinning)]
            elif r.target == "poor_household":
                score = P.pmt_h if rs.targeting == "pmt" else P.cons_h
                cut = r.cutoff if r.aligned else rs.pmt_cut
                ok = score <= cut if r.aligned else score < cut
                if r.aligned and cut == np.inf:
                    ok |= np.isnan(score)
                hs = np.flatnonzero(ok)
                lens = P.sizes_h[hs]
                rows = np.arange(int(lens.sum()), dtype=np.int64) + np.repeat(P.starts[hs] - np.cumsum(lens) + lens, lens)
                hid = np.repeat(hs, lens)
                m = _in_table(g, cell[rows])
                rows, hid = rows[m], hid[m]
                if len(rows):  # the member with the lowest number among the eligible (rows sorted by idc within households)
                    new = np.r_[True, hid[1:] != hid[:-1]]
                    idc = P.idc_at(rows)
                    rows = rows[idc == idc[new][np.cumsum(new) - 1]]
            elif r.target == "contributory_capacity":
                ru, eu = P.rows_uncovered, P.earn_uncovered
                thr = r.cutoff if r.aligned else rs.capacity_threshold
                rows = ru[_in_table(g, cell[ru]) & (eu >= thr)]
            elif r.target == "bisp_household":
                rows = P.rows_bisp[_in_table(g, cell[P.rows_bisp])]
            elif r.target == "no_pension":
                rows = np.flatnonzero(_in_table(g, cell))
                rows = rows[~_rows_in(rows, P.rows_pension)]
            else:
                raise ValueError(f"unknown survey rule {r.target!r}")
            e_sum = float(np.sum(w[rows]))
            rec = ("rows", rows)
        if rec[0] == "rows":
            rows = rec[1]
            unit_idc = np.zeros(len(rows), np.int64) if r.target == "poor_household" else None  # household draw
            rows = rows[_draw_below(P, rows, unit_idc, r.salt, r.takeup)]
            for a in r.exclusive_with:
                if a in received:
                    rows = rows[~members(received[a], rows)]
            rec = ("rows", rows)
            n_sum = float(np.sum(w[rows]))
            if r.to_welfare and len(rows):
                row_adds.append((rows, r.monthly * r.net_share, r.monthly))
        else:
            n_sum = e_sum
            if r.to_welfare:
                cash_table += rec[1] * (r.monthly * r.net_share)
                gross_table += rec[1] * r.monthly
                any_table = True
        received[r.name] = rec
        vals[f"e_{r.name}"], vals[f"n_{r.name}"], vals[f"a_{r.name}"] = e_sum, n_sum, n_sum * r.monthly * 12
    same = all(c == g for _, c, g in row_adds) and np.array_equal(cash_table, gross_table)
    hc = sparse.csr_matrix((P.hc_cnt, P.hc_cell, P.hc_indptr), shape=(n_h, P.n_cells)) if any_table else None
    hh = []
    for tab, k in ((cash_table, 1), (gross_table, 2)) if not same else ((cash_table, 1),):
        tot = hc @ tab if any_table else np.zeros(n_h)
        for rows, c, g in row_adds:
            tot += np.bincount(np.searchsorted(P.starts, rows, side="right") - 1, minlength=n_h) * (c if k == 1 else g)
        hh.append(tot)
    hh_cash = hh[0]
    hh_gross = hh[-1]
    W, y0, ae, z = P.W_h, P.cons_h, P.ae_h, rs.line
    cash_pae = hh_cash / ae
    y1 = y0 + cash_pae
    out = {"pop": float(np.sum(W))}
    pre, post = {}, {}
    for y, d in ((y0, pre), (y1, post)):
        i = np.flatnonzero(y < z)
        wi, gap = W[i], z - y[i]
        d["poor"], d["gap"], d["shortfall"] = float(np.sum(wi)), float(np.sum(wi * (gap / z))), float(np.sum(wi * gap))
    for k in ("poor", "gap", "shortfall"):
        out[f"{k}_pre"], out[f"{k}_post"] = pre[k], post[k]
    out = {c: out[c] for c in ("pop", "poor_pre", "poor_post", "gap_pre", "gap_post", "shortfall_pre", "shortfall_post")}
    out["cash_pae"] = float(np.sum(W * cash_pae))
    out["gross_pae"] = out["cash_pae"] if same else float(np.sum(W * (hh_gross / ae)))
    out["ben_new"] = float(np.sum(W[hh_cash > 0]))
    out.update(vals)
    return pd.DataFrame([out], index=pd.Index(["all"], name="group"))


def simulate_sums(P: Persons, rs: RuleSet, by: Sequence[str] = ()) -> pd.DataFrame:
    """The hot path, no frame (what chunks and Dask partitions run): :func:`partition_sums` of the rules on the
    arrays ``P``.  Without ``by`` and with household-level welfare (``P.hh_level``) from the compact arrays
    (:func:`_fast_sums`), else :func:`engine` + :func:`sums`."""
    if not by and P.hh_level:
        return _fast_sums(P, rs)
    return sums(P, engine(P, rs), rs, by, quintile=quintiles(P, rs) if "quintile" in by else None)


def simulate(df: pd.DataFrame, rs: RuleSet, persons: Persons | None = None) -> pd.DataFrame:
    """Apply the rules to a frame of whole households (a survey or a Dask partition).

    Adds per benefit ``e_<name>`` (0/1 eligible, before take-up and exclusions), ``r_<name>`` (0/1 receives) and ``b_<name>`` (benefit per month, survey prices,
    to the person, gross), then ``cash_pae`` (household net gains added to welfare -- benefit x ``net_share``
    -- / adult equivalents), ``gross_pae`` (the gross cash benefits of those rules / adult equivalents),
    ``y_post`` (= ``cons_pae + cash_pae``), ``ben_new`` (lives in a household receiving a new cash
    benefit), ``quintile`` (of pre-reform welfare ``cons_pae``, cut-points of the rule set).
    The numbers come from the array engine (:func:`engine`), in the frame's row order. ``persons``: the
    :meth:`Persons.from_frame` arrays of ``df`` when the caller made them already (the scenario explorer
    simulates one frame again and again).
    """
    P = Persons.from_frame(df) if persons is None else persons
    if P.n != len(df):
        raise ValueError(f"persons has {P.n} rows, the frame {len(df)}: not the arrays of this frame")
    res = engine(P, rs)
    back = (lambda a: a) if P.order is None else (lambda a: _unsort(a, P.order))
    new = {}
    for r in rs.rules:
        new[f"e_{r.name}"] = back(res[f"e_{r.name}"]).astype(np.int8)
        rec = back(res[f"r_{r.name}"])
        new[f"r_{r.name}"] = rec.astype(np.int8)
        new[f"b_{r.name}"] = rec * r.monthly
    new["cash_pae"] = back(res["cash_pae"])
    new["gross_pae"] = back(res["gross_pae"])
    new["y_post"] = back(res["y_post"])
    new["ben_new"] = back(res["ben_new"]).astype(np.int8)
    new["quintile"] = np.searchsorted(np.asarray(rs.quintile_cuts), df["cons_pae"].to_numpy(float), side="left") + 1
    out = df.copy()
    for k in new:  # columns the frame already has (a frame simulated twice) are replaced in place, as before
        if k in out.columns:
            out[k] = new[k]
    add = {k: v for k, v in new.items() if k not in out.columns}
    return pd.concat([out, pd.DataFrame(add, index=out.index)], axis=1) if add else out


def _unsort(a: np.ndarray, order: np.ndarray) -> np.ndarray:
    out = np.empty_like(a)
    out[order] = a
    return out


def partition_sums(sim: pd.DataFrame, rs: RuleSet, by: Sequence[str] = ()) -> pd.DataFrame:
    """Weighted sums of a simulated frame by ``by`` (additive across partitions).

    Columns: ``pop`` (sum w), ``poor_pre``/``poor_post`` (sum w 1[y<z]), ``gap_pre``/``gap_post``
    (sum w 1[y<z](z-y)/z), ``shortfall_pre``/``_post`` (sum w max(z-y,0)), ``cash_pae`` (sum w t, net gains),
    ``gross_pae`` (sum w of the gross transfers),
    ``ben_new``, and per benefit ``e_<name>`` (eligible before take-up), ``n_<name>`` (beneficiaries) and ``a_<name>`` (annual benefits,
    survey prices: sum w b x 12).  Numpy sums (``np.bincount`` per group with ``by``), no group-by.
    """
    by = list(by)
    w = sim["weights"].to_numpy(float)
    z = rs.line
    y0, y1 = sim["cons_pae"].to_numpy(float), sim["y_post"].to_numpy(float)
    p0, p1 = y0 < z, y1 < z
    cols = {
        "pop": w,
        "poor_pre": w * p0, "poor_post": w * p1,
        "gap_pre": w * np.where(p0, (z - y0) / z, 0.0), "gap_post": w * np.where(p1, (z - y1) / z, 0.0),
        "shortfall_pre": w * np.maximum(z - y0, 0), "shortfall_post": w * np.maximum(z - y1, 0),
        "cash_pae": w * sim["cash_pae"].to_numpy(float), "gross_pae": w * sim["gross_pae"].to_numpy(float),
        "ben_new": w * sim["ben_new"].to_numpy(float),
    }
    for r in rs.rules:
        cols[f"e_{r.name}"] = w * sim[f"e_{r.name}"].to_numpy(float)
        cols[f"n_{r.name}"] = w * sim[f"r_{r.name}"].to_numpy(float)
        cols[f"a_{r.name}"] = w * sim[f"b_{r.name}"].to_numpy(float) * 12
    if not by:
        return pd.DataFrame([{k: float(np.sum(v)) for k, v in cols.items()}], index=pd.Index(["all"], name="group"))
    code, levels = _group_codes([sim[c].to_numpy() for c in by])
    ok = code >= 0
    size = int(np.prod([max(len(lev), 1) for lev in levels]))
    cw = code[ok]
    vals = {k: np.bincount(cw, weights=v[ok], minlength=size) for k, v in cols.items()}
    idx = np.flatnonzero(np.bincount(cw, minlength=size) > 0)
    return _group_frame(vals, idx, levels, by)


def combine_sums(sums: pd.DataFrame) -> pd.DataFrame:
    """Rates from summed :func:`partition_sums`: headcount, gap, coverage, BCR, per group.

    BCR = poverty shortfall closed / gross transfers (a public-works wage counts in full in the
    denominator, only its net gain in the numerator)."""
    s = sums
    out = pd.DataFrame(index=s.index)
    out["population"] = s["pop"]
    for k in ("poor", "gap"):
        out[f"{k}_pre"] = s[f"{k}_pre"] / s["pop"]
        out[f"{k}_post"] = s[f"{k}_post"] / s["pop"]
    out["coverage"] = s["ben_new"] / s["pop"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["benefit_cost_ratio"] = (s["shortfall_pre"] - s["shortfall_post"]) / s["gross_pae"]
    return out


def survey_costs(sums: pd.DataFrame, rs: RuleSet) -> pd.DataFrame:
    """Per benefit: beneficiaries and gross annual cost from the survey, in year-``t`` rupees.

    ``cost = sum w b x 12 x D[t] x (1 + markup)`` on the survey's population base (its weights).
    """
    tot = sums.sum()
    rows = []
    for r in rs.rules:
        benefits = float(tot[f"a_{r.name}"]) * rs.deflator
        rows.append({"benefit": r.name, "eligible": float(tot[f"e_{r.name}"]), "beneficiaries": float(tot[f"n_{r.name}"]),
                     "benefits": benefits, "cost": benefits * (1 + r.markup)})
    df = pd.DataFrame(rows)
    pk = {"benefit": "package", "eligible": np.nan, "beneficiaries": np.nan, "benefits": df["benefits"].sum(), "cost": df["cost"].sum()}
    return pd.concat([df, pd.DataFrame([pk])], ignore_index=True)


def _group_frame(vals: dict, idx: np.ndarray, levels: list, by: list) -> pd.DataFrame:
    """The sums ``vals`` (arrays over mixed-radix group codes) of the groups ``idx`` that occur,
    indexed by the levels of ``by`` decoded from each code."""
    parts, rem = [], idx
    for lev in reversed(levels):
        m = max(len(lev), 1)
        parts.append(lev[rem % m])
        rem = rem // m
    parts = parts[::-1]
    index = pd.MultiIndex.from_arrays(parts, names=by) if len(by) > 1 else pd.Index(parts[0], name=by[0])
    return pd.DataFrame({k: v[idx] for k, v in vals.items()}, index=index)
