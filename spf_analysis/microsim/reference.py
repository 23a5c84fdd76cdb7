"""The engine of the microsimulation as it was before the array engine (frozen copy: pandas frames,
``np.unique`` household sums, a DataFrame per chunk).

Kept as the reference the array engine of :mod:`.simulate` is checked against
(tests/test_microsim_golden.py) and measured against (bench/bench_microsim.py: the speed-up is
a ratio in the same run).  Not used by the report.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from spf_analysis.stats.poverty import fgt_variable

from .capacity import capacity_flags
from .frame import hh_sum, in_group, pensioner, uniform_hash
from .rules import RuleSet, poor_household_eligible


def simulate_reference(df: pd.DataFrame, rs: RuleSet) -> pd.DataFrame:
    """Apply the rules to a frame of whole households (a survey or a Dask partition).

    Adds per benefit ``e_<name>`` (0/1 eligible, before take-up and exclusions), ``r_<name>`` (0/1 receives) and ``b_<name>`` (benefit per month, survey prices,
    to the person, gross), then ``cash_pae`` (household net gains added to welfare -- benefit x ``net_share``
    -- / adult equivalents), ``gross_pae`` (the gross cash benefits of those rules / adult equivalents),
    ``y_post`` (= ``cons_pae + cash_pae``), ``ben_new`` (lives in a household receiving a new cash
    benefit), ``quintile`` (of pre-reform welfare ``cons_pae``, cut-points of the rule set).
    """
    out = df.copy()
    n = len(out)
    hh = out["hhcode"].to_numpy()
    idc = out["idc"].to_numpy()
    age = out["age"].to_numpy()
    dis = np.nan_to_num(out["disability"].to_numpy(float), nan=0.0) == 1
    received: dict[str, np.ndarray] = {}
    cash = np.zeros(n)
    gross = np.zeros(n)
    for r in rs.rules:
        el = in_group(out, r.age_min, r.age_max, r.sex)
        unit_idc = idc
        if r.target == "disability":
            el &= dis & (uniform_hash(hh, idc, r.salt ^ 0x5A5A5A5A) < r.thinning)
        elif r.target == "births":
            el &= age == 0
        elif r.target == "poor_household":
            score = out["pmt_score"].to_numpy(float) if rs.targeting == "pmt" else out["cons_pae"].to_numpy(float)
            el = poor_household_eligible(hh, idc, el, score, r.cutoff if r.aligned else rs.pmt_cut, inclusive=r.aligned)
            unit_idc = np.zeros_like(idc)  # household take-up draw
        elif r.target == "contributory_capacity":
            el &= capacity_flags(out, r.cutoff if r.aligned else rs.capacity_threshold)["capacity"].to_numpy() == 1
        elif r.target == "bisp_household":
            el &= np.nan_to_num(out["rec_bisp"].to_numpy(float), nan=0.0) == 1
        elif r.target == "no_pension":
            el &= ~pensioner(out)
        take = uniform_hash(hh, unit_idc, r.salt) < r.takeup
        out[f"e_{r.name}"] = el.astype(np.int8)
        rec = el & take
        for a in r.exclusive_with:
            if a in received:  # a benefit simulated alone has nothing to yield to
                rec &= ~received[a]
        received[r.name] = rec
        out[f"r_{r.name}"] = rec.astype(np.int8)
        amount = rec * r.monthly
        out[f"b_{r.name}"] = amount
        if r.to_welfare:
            cash += amount * r.net_share
            gross += amount
    hh_cash = hh_sum(hh, cash)
    out["cash_pae"] = hh_cash / out["adult_eq"].to_numpy(float)
    out["gross_pae"] = hh_sum(hh, gross) / out["adult_eq"].to_numpy(float)
    out["y_post"] = out["cons_pae"].to_numpy(float) + out["cash_pae"].to_numpy()
    out["ben_new"] = (hh_cash > 0).astype(np.int8)
    out["quintile"] = np.searchsorted(np.asarray(rs.quintile_cuts), out["cons_pae"].to_numpy(float), side="left") + 1
    return out


def partition_sums_reference(sim: pd.DataFrame, rs: RuleSet, by: Sequence[str] = ()) -> pd.DataFrame:
    """Weighted sums of a simulated frame by ``by`` (additive across partitions).

    Columns: ``pop`` (sum w), ``poor_pre``/``poor_post`` (sum w 1[y<z]), ``gap_pre``/``gap_post``
    (sum w 1[y<z](z-y)/z), ``shortfall_pre``/``_post`` (sum w max(z-y,0)), ``cash_pae`` (sum w t, net gains),
    ``gross_pae`` (sum w of the gross transfers),
    ``ben_new``, and per benefit ``e_<name>`` (eligible before take-up), ``n_<name>`` (beneficiaries) and ``a_<name>`` (annual benefits,
    survey prices: sum w b x 12).
    """
    by = list(by)
    w = sim["weights"].to_numpy(float)
    z = rs.line
    y0, y1 = sim["cons_pae"].to_numpy(float), sim["y_post"].to_numpy(float)
    cols = {
        "pop": w,
        "poor_pre": w * fgt_variable(y0, z, 0), "poor_post": w * fgt_variable(y1, z, 0),
        "gap_pre": w * fgt_variable(y0, z, 1), "gap_post": w * fgt_variable(y1, z, 1),
        "shortfall_pre": w * np.maximum(z - y0, 0), "shortfall_post": w * np.maximum(z - y1, 0),
        "cash_pae": w * sim["cash_pae"].to_numpy(float), "gross_pae": w * sim["gross_pae"].to_numpy(float),
        "ben_new": w * sim["ben_new"].to_numpy(float),
    }
    for r in rs.rules:
        cols[f"e_{r.name}"] = w * sim[f"e_{r.name}"].to_numpy(float)
        cols[f"n_{r.name}"] = w * sim[f"r_{r.name}"].to_numpy(float)
        cols[f"a_{r.name}"] = w * sim[f"b_{r.name}"].to_numpy(float) * 12
    tmp = pd.DataFrame(cols, index=sim.index)
    if not by:
        return tmp.sum().to_frame().T.assign(group="all").set_index("group")
    for c in by:
        tmp[c] = sim[c].to_numpy()
    return tmp.groupby(by, observed=True, sort=True).sum()
