"""Parameter uncertainty of the poverty impact: seeded draws of take-up, benefit level and prices through the
microsimulation of every scenario, giving a fan of the headcount and gap reductions beside the cost fan.

What is drawn (one row of :func:`draw_impact_inputs` = one draw; the first columns are chapter 4's cost Monte
Carlo, :func:`spf_analysis.model.montecarlo.draw_inputs`, with its ranges):

=========== ================================================================ =====================================
input        how it enters the microsimulation                                range
=========== ================================================================ =====================================
take-up      multiplier of every benefit's take-up of the simulation year,     ``montecarlo.DEFAULT_RANGES["takeup"]``
             capped at 1 (as the cost Monte Carlo multiplies the paths)
prices       inflation and real growth paths -> the macro paths               ``montecarlo.draw_inputs``
             (:func:`spf_analysis.model.macro.project_arrays`) -> each
             benefit's level of the year (:func:`costing.benefit_level`) and
             the deflator ``D[t]``; the level in survey prices is
             ``level[t] / D[t]``
level        multiplier of the level of every cash benefit                    ``level_multiplier_range`` of
                                                                               params/05_distributional_impact.yaml
                                                                               (an assumption, stated there)
=========== ================================================================ =====================================

The other columns of the cost draws (fertility, mortality, KP GDP share, budget base, health cost) move the cost
only.  The same draws give the cost (:func:`spf_analysis.model.montecarlo.cost_draws` with the ``level`` column),
so each draw's cost and impact belong together.

No second implementation of a rule: the eligible rows of every rule are the engine's
(:func:`spf_analysis.microsim.simulate.engine`, ``e_<name>``: age groups, disability thinning, the aligned
caseloads, BISP and pension flags), their take-up uniforms the engine's
(:func:`spf_analysis.microsim.simulate.takeup_uniforms`), and a row takes a benefit up in a draw when its
uniform is below the drawn take-up, exactly as in the engine; ``exclusive_with`` removes the rows that took up
the named benefit in the same draw.  What does not depend on the draw is computed once per scenario
(:func:`prepare`): eligibility, uniforms, the household of each row, pre-reform welfare, adult equivalents and
weights.  Benefits are non-negative, so only units poor before the reform can be poor after it: only they are
kept.  The draws are then evaluated in blocks as 2-D arrays (draws x rows), the household totals by
``np.add.reduceat`` over the rows of each household (:func:`evaluate`).

Sampling uncertainty (the design-based confidence intervals of section 5.2) is a different question: these
draws hold the survey fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spf_analysis.model import costing, macro, montecarlo

from .frame import Persons
from .rules import RuleSet
from .simulate import engine, takeup_uniforms

#: indicators of :func:`impact_draws`, per draw (shares; reductions in shares of the pre-reform value)
INDICATORS = ("headcount_post", "gap_post", "headcount_reduction", "gap_reduction")
#: the seed stream of the level multiplier (after the cost draws' stream, so those stay chapter 4's for a seed)
LEVEL_STREAM = 1


def draw_impact_inputs(n: int, seed: int, fert_range, inputs: macro.MacroInputs, level_range, ranges=None) -> pd.DataFrame:
    """Seeded draws: :func:`montecarlo.draw_inputs` (chapter 4's inputs and ranges) plus ``level``, a multiplier of
    every cash benefit's level, uniform on ``level_range`` (its own stream of the seed)."""
    lo, hi = (float(v) for v in level_range)
    if not 0 <= lo <= hi:
        raise ValueError(f"level multiplier range must satisfy 0 <= low <= high, got {level_range}")
    draws = montecarlo.draw_inputs(n, seed, fert_range, inputs, ranges=ranges)
    draws["level"] = np.random.default_rng([int(seed), LEVEL_STREAM]).uniform(lo, hi, n)
    return draws


def central_draw(inputs: macro.MacroInputs, fert_central: float, ranges=None) -> pd.DataFrame:
    """One draw at the central values (the scenario as costed and simulated: every multiplier 1, the central
    macro assumptions)."""
    r = dict(montecarlo.DEFAULT_RANGES, **(ranges or {}))
    return pd.DataFrame([{"real_growth": inputs.real_growth, "inflation": inputs.inflation, "takeup": 1.0,
                          "fertility": fert_central, "mortality": 1.0, "kp_gdp_share": inputs.kp_gdp_share,
                          "budget_ratio": r["budget_ratio"][1], "health_growth": r["health_growth"][1], "level": 1.0}])


def real_level_factors(scenario: costing.Scenario, inputs: macro.MacroInputs, year: int, draws: pd.DataFrame) -> pd.DataFrame:
    """Per draw and benefit: the level of ``year`` in survey prices, ``level[t] / D[t]``, relative to the central one.

    The macro paths of each draw are :func:`macro.project_arrays` of its real growth and inflation (as the cost
    Monte Carlo), the level :func:`costing.benefit_level` (the rules' own function) and ``D[t]`` the poverty line
    of ``year`` over the survey's (:func:`spf_analysis.microsim.frame.price_deflator`).  The central values go
    through the same arithmetic, so a draw at them gives exactly 1.  Levels tied to the CPI (poverty line,
    indexed amounts) or to the minimum wage after its last observed year keep their real value: their factor
    is 1 up to rounding whatever the prices."""
    years = np.arange(inputs.base_year, int(year) + 1)
    n = len(draws)
    g = np.r_[draws["real_growth"].to_numpy(float), inputs.real_growth][:, None]
    pi = np.r_[draws["inflation"].to_numpy(float), inputs.inflation][:, None]
    mac = macro.project_arrays(inputs, years, real_growth=g, inflation=pi)
    D = mac["poverty_line"][:, -1]  # D[t] up to the constant 12 x survey line, which cancels in the ratio
    out = {}
    for b in scenario.benefits:
        v = np.asarray(costing.benefit_level(b, mac, [int(year)], years), dtype=float)[:, 0] / D
        out[b.name] = v[:n] / v[n]
    return pd.DataFrame(out, index=draws.index)


@dataclass
class Prepared:
    """What does not depend on the draw, for one rule set (:func:`prepare`)."""

    rs: RuleSet
    names: tuple[str, ...]            # the rules, in the rule set's order
    base_takeup: np.ndarray           # (rules,) take-up of the year
    value: np.ndarray                 # (rules,) monthly gain per receiver added to welfare (monthly x net_share), 0 if not
    entries: list                     # per rule added to welfare: (rule index, u, hh segment starts, segment households,
                                      #   [(excluding rule index, u of that rule or inf)])
    n_hh: int                         # households kept (with a unit poor before the reform)
    unit_hh: np.ndarray | None        # household of each unit kept (None: units are the households)
    y0: np.ndarray                    # pre-reform welfare of the units kept
    ae: np.ndarray                    # adult equivalents of the units kept
    w: np.ndarray                     # weights of the units kept
    pop: float                        # weighted population
    headcount_pre: float
    gap_pre: float


def prepare(P: Persons, rs: RuleSet) -> Prepared:
    """Eligibility (the engine's), take-up uniforms, households and pre-reform welfare of the units poor before
    the reform.  Units: households when welfare is a household variable (``P.hh_level``), else persons."""
    res = engine(P, rs)
    z = rs.line
    hh_of_row = np.repeat(np.arange(len(P.starts)), P.sizes())
    if P.hh_level:
        y0_all, ae_all, w_all, unit_hh_all = P.cons_h, P.ae_h, P.W_h, np.arange(len(P.starts))
    else:
        y0_all, ae_all, w_all, unit_hh_all = P.cons, P.adult_eq, P.weights, hh_of_row
    pop = float(np.sum(w_all))
    poor = y0_all < z
    headcount_pre = float(np.sum(w_all[poor])) / pop
    gap_pre = float(np.sum(w_all[poor] * ((z - y0_all[poor]) / z))) / pop
    keep_hh = np.zeros(len(P.starts), dtype=bool)
    keep_hh[unit_hh_all[poor]] = True
    new_index = np.cumsum(keep_hh) - 1  # household -> its index among those kept
    names = tuple(r.name for r in rs.rules)
    idx = {n: i for i, n in enumerate(names)}
    rows_of, u_of = {}, {}
    for r in rs.rules:
        rows = np.flatnonzero(res[f"e_{r.name}"])
        rows = rows[keep_hh[hh_of_row[rows]]]
        rows_of[r.name], u_of[r.name] = rows, takeup_uniforms(P, rows, r)
    entries = []
    for i, r in enumerate(rs.rules):
        rows = rows_of[r.name]
        if not (r.to_welfare and len(rows)):
            continue
        excl = []
        for a in r.exclusive_with:
            if a not in idx:  # a benefit simulated alone has nothing to yield to
                continue
            ua = np.full(len(rows), np.inf)  # not eligible for a: never took it up
            pos = np.searchsorted(rows_of[a], rows)
            hit = pos < len(rows_of[a])
            hit[hit] = rows_of[a][pos[hit]] == rows[hit]
            ua[hit] = u_of[a][pos[hit]]
            excl.append((idx[a], ua))
        h = new_index[hh_of_row[rows]]
        seg = np.flatnonzero(np.r_[True, h[1:] != h[:-1]])
        entries.append((i, u_of[r.name], seg, h[seg], excl))
    return Prepared(rs=rs, names=names, base_takeup=np.array([r.takeup for r in rs.rules], dtype=float),
                    value=np.array([r.monthly * r.net_share if r.to_welfare else 0.0 for r in rs.rules]),
                    entries=entries, n_hh=int(keep_hh.sum()),
                    unit_hh=None if P.hh_level else new_index[unit_hh_all[poor]],
                    y0=y0_all[poor], ae=ae_all[poor], w=w_all[poor], pop=pop, headcount_pre=headcount_pre, gap_pre=gap_pre)


def evaluate(prep: Prepared, takeup: np.ndarray, level: np.ndarray, factors: np.ndarray | None = None,
             block: int = 250) -> dict[str, np.ndarray]:
    """Post-reform headcount and gap (and their reductions) for every draw.

    ``takeup``, ``level``: multipliers per draw, shape (draws,); ``factors``: the real level factor per draw and
    rule (:func:`real_level_factors`, columns in ``prep.names`` order; ``None``: 1).  A rule's take-up in a draw
    is ``min(takeup_of_year x multiplier, 1)``, its gain per receiver ``monthly x net_share x level x factor``.
    Draws are evaluated ``block`` at a time as (draws x rows) arrays."""
    takeup = np.asarray(takeup, dtype=float)
    level = np.asarray(level, dtype=float)
    n = len(takeup)
    z = prep.rs.line
    hc, gap = np.empty(n), np.empty(n)
    for s in range(0, n, block):
        e = min(n, s + block)
        p = np.minimum(prep.base_takeup[None, :] * takeup[s:e, None], 1.0)          # (B, rules)
        val = prep.value[None, :] * level[s:e, None]
        if factors is not None:
            val = val * factors[s:e]
        cash = np.zeros((e - s, prep.n_hh))
        for i, u, seg, hh, excl in prep.entries:
            take = u[None, :] < p[:, i, None]                                      # the engine's u < take-up
            for a, ua in excl:
                take &= ~(ua[None, :] < p[:, a, None])
            cash[:, hh] += np.add.reduceat(take, seg, axis=1, dtype=float) * val[:, i, None]
        if prep.unit_hh is not None:
            cash = cash[:, prep.unit_hh]
        y1 = prep.y0[None, :] + cash / prep.ae[None, :]
        hc[s:e] = (y1 < z) @ prep.w / prep.pop
        gap[s:e] = (np.maximum(z - y1, 0.0) / z) @ prep.w / prep.pop
    return {"headcount_post": hc, "gap_post": gap,
            "headcount_reduction": (prep.headcount_pre - hc) / prep.headcount_pre,
            "gap_reduction": (prep.gap_pre - gap) / prep.gap_pre}


def impact_draws(P: Persons, rules: dict[str, RuleSet], inputs: macro.MacroInputs, draws: pd.DataFrame,
                 prepared: dict[str, Prepared] | None = None, scenarios: dict[str, costing.Scenario] | None = None) -> pd.DataFrame:
    """Tidy ``scenario, draw, headcount_post, gap_post, headcount_reduction, gap_reduction`` for every scenario
    of ``rules`` (name -> rule set of the simulation year) and every row of ``draws``.  ``prepared``,
    ``scenarios``: :func:`prepare` of a rule set and the loaded scenario files, when the caller has them."""
    out = []
    for name, rs in rules.items():
        prep = (prepared or {}).get(name) or prepare(P, rs)
        sc = (scenarios or {}).get(name) or costing.load_named_scenario(name)
        fac = real_level_factors(sc, inputs, rs.year, draws)[list(prep.names)].to_numpy()
        res = evaluate(prep, draws["takeup"].to_numpy(float), draws["level"].to_numpy(float), fac)
        out.append(pd.DataFrame({"scenario": name, "draw": np.arange(len(draws)), **res}))
    return pd.concat(out, ignore_index=True)


def cost_in_year(scenario: costing.Scenario, grid: montecarlo.DemoGrid, inputs: macro.MacroInputs, draws: pd.DataFrame,
                 year: int, metric: str = "cost_pct_gdp") -> np.ndarray:
    """The package ``metric`` of ``year`` per draw (:func:`montecarlo.cost_draws` of the same draws)."""
    res = montecarlo.cost_draws(scenario, grid, inputs, draws)
    return np.asarray(res["package"][metric])[:, int(np.where(scenario.years == year)[0][0])]


def cost_by_scenario(names, inputs: macro.MacroInputs, draws: pd.DataFrame, year: int, model, *,
                     metric: str = "cost_pct_gdp") -> dict[str, np.ndarray]:
    """:func:`cost_in_year` of every scenario ``names`` on the same draws, each on the demographic grid of the
    model run ``model`` (:class:`spf_analysis.model.pipeline.ModelRun`: fertility range x mortality low,
    central, high, as chapter 4, projected once by ``make model``). The projections depend on the horizon's
    last year only: read once per last year and shared by the scenarios that end then."""
    out, projections = {}, {}
    for name in names:
        sc = costing.load_named_scenario(name)
        end = int(sc.years[-1])
        if end not in projections:
            projections[end] = model.grid_projections(end)
        out[name] = cost_in_year(sc, model.demo_grid(sc, projections[end]), inputs, draws, year, metric)
    return out


QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def fan_table(values: pd.DataFrame, columns, quantiles=QUANTILES) -> pd.DataFrame:
    """Quantiles over the draws of each scenario: tidy ``scenario, indicator, q05, q25, q50, q75, q95`` (the
    scenarios in their order of appearance, the indicators in ``columns`` order)."""
    rows = []
    for name, g in values.groupby("scenario", sort=False):
        for c in columns:
            q = np.quantile(g[c].to_numpy(float), quantiles)
            rows.append({"scenario": name, "indicator": c, **{f"q{int(round(p * 100)):02d}": v for p, v in zip(quantiles, q)}})
    return pd.DataFrame(rows)
