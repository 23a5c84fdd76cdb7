"""Monte Carlo uncertainty and one-way sensitivities of the cost of a package.

Uncertain inputs (one draw = one persistent scenario of the world; seeded):

============== ==================================================== ===========================
input           distribution (central value)                          source of the central value
============== ==================================================== ===========================
real growth     normal(3.4%, sd 1.0 pp), truncated to [-1%, 8%]       macro.yaml assumption.real_growth
inflation       normal(7%, sd 2.0 pp), truncated to [2%, 20%]         macro.yaml assumption.inflation
take-up         multiplier uniform(0.8, 1.1) on every path, cap 1     scenario take-up paths
fertility       KP/Pakistan TFR scale uniform(lo, hi)                 demography.calibrate_kp
mortality       multiplier of all WPP death rates uniform(0.85, 1.15) WPP 2019 mx
KP GDP share    uniform(8%, 10.5%)                                    macro.yaml kp_gdp_share
KP budget base  multiplier of the budget after the latest one,        the latest budget's share of
                uniform over the range of the published budgets'      GDP held (1); macro.budget_ratio_range
                shares of GDP relative to the latest (lo, 1)
health cost     real growth of out-of-pocket spending per person      NHA 2017-18 carried with the
                since NHA 2017-18, uniform(0, observed 2015-16 ->     CPI alone (0); MacroInputs.
                2017-18 real growth per person)                       health_real_growth_observed
============== ==================================================== ===========================

Growth and inflation are drawn once per draw and held over the horizon (a
persistent shock: the widest, most cautious reading); observed years keep their
observed rates.  Each fertility scale comes with its own net migration rate,
recalibrated so that the 2017 census projected to 2023 still reproduces the
2023 census total.

Demography is not re-projected per draw: :class:`DemoGrid` projects the
population on a small grid of fertility and mortality scales and interpolates
the eligible counts bilinearly (they are smooth, nearly linear functions of the
two scales over these ranges), so the whole Monte Carlo is array arithmetic
over ``(draws, years)`` through :func:`spf_analysis.model.costing.compute_arrays`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from spf_analysis.model import costing
from spf_analysis.model import demography
from spf_analysis.model import macro

#: name -> (label, central, low, high) for the tornado and the draws
DEFAULT_RANGES = {
    "real_growth": ("Real GDP growth", None, 0.015, 0.055),
    "inflation": ("Inflation", None, 0.04, 0.12),
    "takeup": ("Take-up (multiplier)", 1.0, 0.8, 1.1),
    "fertility": ("KP fertility (TFR scale)", None, None, None),
    "mortality": ("Mortality (mx multiplier)", 1.0, 0.85, 1.15),
    "kp_gdp_share": ("KP share of national GDP", None, 0.08, 0.105),
    "budget_ratio": ("KP budget after the latest budget (multiplier of its GDP share)", 1.0, None, None),
    "health_growth": ("Health cost per head (real growth a year since NHA 2017-18)", 0.0, None, None),
}


#: unit of each input as the sensitivity table shows it: (unit, factor applied to the value for display)
UNITS = {
    "real_growth": ("% a year", 100), "inflation": ("% a year", 100), "takeup": ("multiplier", 1),
    "fertility": ("TFR scale (x Pakistan)", 1), "mortality": ("multiplier", 1), "kp_gdp_share": ("% of national GDP", 100),
    "budget_ratio": ("multiplier", 1), "health_growth": ("% a year", 100),
}


def data_ranges(inputs: macro.MacroInputs) -> dict:
    """The ranges read from the data (``DEFAULT_RANGES`` entries with ``None`` bounds): the KP GDP
    share (the other estimates of ``macro_indicators``), the budget base
    (:func:`macro.budget_ratio_range`) and the health cost (0 to the observed real growth of
    health spending per person between NHA rounds)."""
    return {
        "kp_gdp_share": ("KP share of national GDP", None, *inputs.kp_gdp_share_range),
        "budget_ratio": (DEFAULT_RANGES["budget_ratio"][0], 1.0, *macro.budget_ratio_range(inputs)),
        "health_growth": (DEFAULT_RANGES["health_growth"][0], 0.0, 0.0, inputs.health_real_growth_observed),
    }


def fertility_range(calibration: pd.DataFrame) -> tuple[float, float]:
    """The fertility range of the draws: the KP/Pakistan TFR scales of the PDHS-based ratio and of the census fit
    (variants ``survey`` and ``census_fitted`` of the model run's calibration table), lowest first."""
    cal = calibration.set_index("variant")["tfr_scale"]
    return tuple(sorted((float(cal.loc["survey"]), float(cal.loc["census_fitted"]))))


def mortality_grid() -> list[float]:
    """The mortality multipliers of the study's grid: low, central and high of ``DEFAULT_RANGES``."""
    _, central, lo, hi = DEFAULT_RANGES["mortality"]
    return [lo, central, hi]


def study_grid(calibration: pd.DataFrame) -> tuple[list[float], list[float]]:
    """The fertility and mortality scales of the study's demographic grid (chapters 4 and 5, the explorer):
    :func:`fertility_range` of the model run's calibration x :func:`mortality_grid`."""
    return list(fertility_range(calibration)), mortality_grid()


#: columns of the grid projections as the model run stores them (:func:`grid_frames`)
GRID_POINT = ["end", "tfr_scale", "mx_scale"]


def grid_frames(projections: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:meth:`DemoGrid.project` results ``{end: projections}`` as two tidy tables: the population
    (``end, tfr_scale, mx_scale, year, sex, age, population``) and the births with each point's migration rate
    (``end, tfr_scale, mx_scale, migration_rate, year, births``), grid points in the grid's order."""
    pops, births = [], []
    for end in sorted(projections):
        proj = projections[end]
        for i, f in enumerate(proj["fert"]):
            for j, m in enumerate(proj["mort"]):
                kp = proj["kp"][i][j]
                point = {"end": int(end), "tfr_scale": float(f), "mx_scale": float(m)}
                pop = kp["population"][["year", "sex", "age", "population"]]
                pops.append(pd.concat([pd.DataFrame(point, index=pop.index), pop], axis=1))
                b = kp["births"]
                births.append(pd.DataFrame({**point, "migration_rate": float(proj["migration"][i, j]),
                                            "year": np.asarray(b.index, dtype=int), "births": b.to_numpy(dtype=float)}))
    return pd.concat(pops, ignore_index=True), pd.concat(births, ignore_index=True)


def grid_projections(population: pd.DataFrame, births: pd.DataFrame, end: int) -> dict:
    """The inverse of :func:`grid_frames` for one horizon ``end``: :meth:`DemoGrid.project`'s dict
    (``kp[i][j]`` with ``population`` and ``births`` only), for :meth:`DemoGrid.from_projections`."""
    pop = population[population["end"] == end]
    bth = births[births["end"] == end]
    if bth.empty:
        raise KeyError(end)
    fert = pd.unique(bth["tfr_scale"])
    mort = pd.unique(bth["mx_scale"])
    mig = np.empty((len(fert), len(mort)))
    pop_by = {k: g for k, g in pop.groupby(["tfr_scale", "mx_scale"], sort=False)}
    bth_by = {k: g for k, g in bth.groupby(["tfr_scale", "mx_scale"], sort=False)}
    kps = []
    for i, f in enumerate(fert):
        row = []
        for j, m in enumerate(mort):
            p, b = pop_by[(f, m)], bth_by[(f, m)]
            mig[i, j] = b["migration_rate"].iloc[0]
            row.append({"population": p[["year", "sex", "age", "population"]].reset_index(drop=True),
                        "births": pd.Series(b["births"].to_numpy(), index=pd.Index(b["year"].to_numpy(), name="year"),
                                            name="births")})
        kps.append(row)
    return {"fert": np.asarray(fert, dtype=float), "mort": np.asarray(mort, dtype=float), "migration": mig, "kp": kps}


@dataclass
class DemoGrid:
    """Eligible-group counts of a scenario on a grid of fertility x mortality scales.

    ``arrays[key]``: shape ``(n_fert, n_mort, years)`` for every key of
    :func:`spf_analysis.model.costing.demographic_inputs` (``base`` per benefit,
    ``overlap`` per pair, ``total``), plus the births.
    """

    scenario: costing.Scenario
    fert: np.ndarray
    mort: np.ndarray
    base: dict
    overlap: dict
    total: np.ndarray
    migration: np.ndarray = field(default=None)

    @classmethod
    def build(cls, scenario: costing.Scenario, fert, mort=(0.85, 1.0, 1.15), rates=None, migration_rates=None) -> "DemoGrid":
        """Project KP for each grid point (migration recalibrated per fertility scale)."""
        return cls.from_projections(scenario, cls.project(int(scenario.years[-1]), fert, mort, rates, migration_rates))

    @staticmethod
    def project(end: int, fert, mort=(0.85, 1.0, 1.15), rates=None, migration_rates=None) -> dict:
        """The KP projections to ``end`` at every grid point (migration recalibrated per point), which
        :meth:`from_projections` turns into a scenario's counts: ``{"fert", "mort", "migration", "kp"}``,
        ``kp[i][j]`` the :func:`demography.project_kp` result. ``migration_rates[i][j]``: a point's rate when
        known (``None``: calibrated here). The study's grids are made once, by the model run
        (:func:`spf_analysis.model.pipeline.compute`, :func:`study_grid`), and read back with
        :meth:`spf_analysis.model.pipeline.ModelRun.demo_grid`."""
        rates = rates or demography.wpp_rates()
        fert = np.asarray(fert, dtype=float)
        mort = np.asarray(mort, dtype=float)
        mig = np.empty((len(fert), len(mort)))
        kps = []
        for i, f in enumerate(fert):
            row = []
            for j, m in enumerate(mort):
                if migration_rates is not None and migration_rates[i][j] is not None:
                    mig[i, j] = migration_rates[i][j]
                else:
                    mig[i, j] = demography.calibrate_kp(rates, tfr_scale=f, mx_scale=m).migration_rate
                row.append(demography.project_kp(end, tfr_scale=f, migration_rate=mig[i, j], mx_scale=m, rates=rates))
            kps.append(row)
        return {"fert": fert, "mort": mort, "migration": mig, "kp": kps}

    @classmethod
    def from_projections(cls, scenario: costing.Scenario, proj: dict) -> "DemoGrid":
        """The grid of ``scenario``'s eligible counts on the projections of :meth:`project`. The population
        matrices of the scenario's years are kept in ``proj["matrices"]`` for the next scenario on the same
        projections (chapter 5's nine scenarios, the explorer's every change)."""
        fert, mort, mig = proj["fert"], proj["mort"], proj["migration"]
        matrices = proj.setdefault("matrices", {})
        base, overlap, total = {}, {}, []
        for i in range(len(fert)):
            row_t = []
            for j in range(len(mort)):
                kp = proj["kp"][i][j]
                key = (i, j, np.asarray(scenario.years).tobytes())
                if key not in matrices:
                    matrices[key] = costing.population_matrix(kp["population"], scenario.years)
                demo = costing.demographic_inputs(scenario, kp["population"], kp["births"], matrix=matrices[key])
                for k, v in demo["base"].items():
                    base.setdefault(k, np.empty((len(fert), len(mort), len(scenario.years))))[i, j] = v
                for k, v in demo["overlap"].items():
                    overlap.setdefault(k, np.empty((len(fert), len(mort), len(scenario.years))))[i, j] = v
                row_t.append(demo["total"])
            total.append(row_t)
        return cls(scenario, fert, mort, base, overlap, np.asarray(total), mig)

    def interpolate(self, f, m) -> dict:
        """Bilinear interpolation at draws ``f``, ``m`` (arrays of shape (draws,)) -> demo dict of (draws, years)."""
        f = np.atleast_1d(np.asarray(f, dtype=float))
        m = np.atleast_1d(np.asarray(m, dtype=float))

        def weights(grid, x):
            if len(grid) == 1:
                return np.zeros(len(x), dtype=int), np.zeros(len(x))
            i = np.clip(np.searchsorted(grid, x, side="right") - 1, 0, len(grid) - 2)
            w = (x - grid[i]) / (grid[i + 1] - grid[i])
            return i, w

        fi, fw = weights(self.fert, f)
        mi, mw = weights(self.mort, m)
        fw, mw = fw[:, None], mw[:, None]

        def interp(arr):
            if arr.shape[0] == 1 and arr.shape[1] == 1:
                return np.broadcast_to(arr[0, 0], (len(f), arr.shape[-1]))
            f1 = np.minimum(fi + 1, arr.shape[0] - 1)
            m1 = np.minimum(mi + 1, arr.shape[1] - 1)
            a00, a01, a10, a11 = arr[fi, mi], arr[fi, m1], arr[f1, mi], arr[f1, m1]
            return (1 - fw) * ((1 - mw) * a00 + mw * a01) + fw * ((1 - mw) * a10 + mw * a11)

        return {"base": {k: interp(v) for k, v in self.base.items()},
                "overlap": {k: interp(v) for k, v in self.overlap.items()},
                "total": interp(self.total)}


def draw_inputs(n: int, seed: int, fert_range: tuple[float, float], central: macro.MacroInputs, ranges=None) -> pd.DataFrame:
    """Seeded draws of the uncertain inputs (one row per draw)."""
    rng = np.random.default_rng(seed)
    r = dict(DEFAULT_RANGES, **(ranges or {}))

    def tnorm(mu, sd, lo, hi):
        return np.clip(rng.normal(mu, sd, n), lo, hi)

    return pd.DataFrame({
        "real_growth": tnorm(central.real_growth, 0.01, -0.01, 0.08),
        "inflation": tnorm(central.inflation, 0.02, 0.02, 0.20),
        "takeup": rng.uniform(r["takeup"][2], r["takeup"][3], n),
        "fertility": rng.uniform(fert_range[0], fert_range[1], n),
        "mortality": rng.uniform(r["mortality"][2], r["mortality"][3], n),
        "kp_gdp_share": rng.uniform(r["kp_gdp_share"][2], r["kp_gdp_share"][3], n),
        # drawn after the original six, so the first six columns of a seed are unchanged
        **{k: rng.uniform(r[k][2], r[k][3], n) if r[k][2] is not None else np.full(n, r[k][1])
           for k in ("budget_ratio", "health_growth")},
    })


def cost_draws(scenario: costing.Scenario, grid: DemoGrid, inputs: macro.MacroInputs, draws: pd.DataFrame) -> dict:
    """Cost the scenario for every draw; returns ``compute_arrays`` output with (draws, years) arrays.

    ``draws``: :func:`draw_inputs` columns and, optionally, ``level`` (a multiplier of the level of every cash
    benefit, drawn by :func:`spf_analysis.microsim.uncertainty.draw_impact_inputs`)."""
    years = scenario.years
    macro_years = np.arange(inputs.base_year, years[-1] + 1)
    n = len(draws)
    col = lambda c: draws[c].to_numpy(dtype=float)[:, None]  # noqa: E731
    opt = {k: draws[k].to_numpy(dtype=float) for k in ("budget_ratio", "health_growth") if k in draws}
    mac = macro.project_arrays(inputs, macro_years, real_growth=col("real_growth"), inflation=col("inflation"),
                               kp_gdp_share=draws["kp_gdp_share"].to_numpy(dtype=float),
                               budget_ratio=opt.get("budget_ratio"), health_real_growth=opt.get("health_growth"))
    demo = grid.interpolate(draws["fertility"].to_numpy(), draws["mortality"].to_numpy())
    mult = col("takeup")
    level = col("level") if "level" in draws else None
    sc = scenario
    for b in scenario.benefits:
        path = np.asarray(costing.path_over_years(b.takeup, years, before_first=0), dtype=float)
        changes = {"takeup": np.minimum(path * mult, 1.0)}
        if level is not None and b.kind == "cash":  # optional column: multiplier of every cash benefit's level
            changes["level_value"] = b.level_value * level
        sc = sc.with_benefit(b.name, **changes)
    series = {k: mac[k] for k in costing.MACRO_SERIES if k in mac}
    out = costing.compute_arrays(sc, demo, series, macro_years)
    out["_macro"] = mac
    out["_n"] = n
    return out


def fan(values: np.ndarray, years, quantiles=(0.05, 0.25, 0.5, 0.75, 0.95)) -> pd.DataFrame:
    """Quantiles over draws (axis 0) per year: tidy ``year, q05, q25, q50, q75, q95``."""
    q = np.quantile(values, quantiles, axis=0)
    df = pd.DataFrame(q.T, columns=[f"q{int(round(p * 100)):02d}" for p in quantiles])
    df.insert(0, "year", np.asarray(years))
    return df


def tornado(scenario: costing.Scenario, grid: DemoGrid, inputs: macro.MacroInputs, *, year: int, fert_range, fert_central: float,
            metric: str = "cost_pct_gdp", ranges=None) -> pd.DataFrame:
    """One-way sensitivity of the package ``metric`` in ``year``: each input at its low and high value, others central.

    Returns ``input, label, low_value, high_value, at_low, at_high, central, swing`` sorted by swing.
    """
    r = dict(DEFAULT_RANGES, **(ranges or {}))
    central = {"real_growth": inputs.real_growth, "inflation": inputs.inflation, "takeup": 1.0, "fertility": fert_central,
               "mortality": 1.0, "kp_gdp_share": inputs.kp_gdp_share,
               **{k: r[k][1] for k in ("budget_ratio", "health_growth") if r[k][2] is not None}}
    lows = {k: r[k][2] for k in r}
    highs = {k: r[k][3] for k in r}
    lows["fertility"], highs["fertility"] = fert_range
    rows = [central]
    for k in central:
        rows.append(dict(central, **{k: lows[k]}))
        rows.append(dict(central, **{k: highs[k]}))
    draws = pd.DataFrame(rows)
    res = cost_draws(scenario, grid, inputs, draws)
    yi = int(np.where(scenario.years == year)[0][0])
    v = np.asarray(res["package"][metric])[:, yi]
    out = []
    for i, k in enumerate(central):
        lo, hi = v[1 + 2 * i], v[2 + 2 * i]
        out.append({"input": k, "label": r[k][0], "low_value": lows[k], "high_value": highs[k], "at_low": lo, "at_high": hi,
                    "central": v[0], "swing": abs(hi - lo)})
    return pd.DataFrame(out).sort_values("swing", ascending=False).reset_index(drop=True)
