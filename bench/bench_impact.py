"""Benchmark: uncertainty in the poverty impact, 1,000 draws of take-up, benefit level and prices through the
microsimulation of every scenario of params/run.yaml (spf_analysis.microsim.uncertainty; goal: under 60 s).

    .venv/bin/python bench/bench_impact.py [--draws 1000] [--repeat 3]

Timed: drawing the inputs and :func:`uncertainty.impact_draws` (per scenario: the engine's eligibility and
take-up uniforms computed once, the real level factors of the draws, then the draws as (draws x rows) arrays).
Not timed: loading the survey, the model run and the scenario files, building the rule sets (shared with the
baseline).

Baseline measured in the same run: ONE deterministic run of the engine over all scenarios
(:func:`simulate_sums`, the hot path: weighted sums without a frame).  Ratio = draws x baseline / fan time:
how many draws the fan evaluates in the time the engine takes for one run of all scenarios (goal >= 1: the
vectorised draws beat re-running the engine once per draw).  ``check``: the goal of issue 15 (fan < 60 s) and
the central draw equal to the engine's headcount and gap (1e-12).  Each time is the fastest of ``--repeat`` runs
(the machine is shared).
"""

from __future__ import annotations

import argparse
import importlib
import time

import numpy as np

from record import Figure, write

from spf_analysis import microsim as ms
from spf_analysis.config import run
from spf_analysis.data import io
from spf_analysis.household import synth
from spf_analysis.microsim import uncertainty
from spf_analysis.model import costing, macro, montecarlo, pipeline
from spf_analysis.config.params import load_values

GOAL_S = 60.0
sim_mod = importlib.import_module("spf_analysis.microsim.simulate")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=None, help="draws (default: impact_draws of params/05_distributional_impact.yaml)")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    prm = load_values("05_distributional_impact")
    n = a.draws or int(prm["impact_draws"])
    h, p, _ = synth.load_survey()
    frame = ms.person_frame(h, p)
    P = ms.Persons.from_frame(frame)
    S = run.settings()
    model = pipeline.load()
    scen = {s: costing.load_named_scenario(s) for s in S.scenarios}  # the scenario files, read once (as the rule sets)
    rules = {s: ms.build_rules(scen[s], S.reference_year, model.macro_frame, frame, seed=int(prm["seed"])) for s in S.scenarios}
    inputs = macro.macro_inputs(indicators=io.load("macro_indicators"))
    ranges = montecarlo.data_ranges(inputs)
    fr = montecarlo.fertility_range(model.calibration)

    t_engine = np.inf
    for _ in range(a.repeat):
        t = time.perf_counter()
        for rs in rules.values():
            ms.simulate_sums(P, rs)
        t_engine = min(t_engine, time.perf_counter() - t)

    t_fan, res = np.inf, None
    for _ in range(a.repeat):
        t = time.perf_counter()
        draws = uncertainty.draw_impact_inputs(n, int(prm["impact_seed"]), fr, inputs, prm["level_multiplier_range"], ranges=ranges)
        res = uncertainty.impact_draws(P, rules, inputs, draws, scenarios=scen)
        t_fan = min(t_fan, time.perf_counter() - t)

    fails = []
    if not t_fan < GOAL_S:
        fails.append(f"{n:,} draws x {len(rules)} scenarios took {t_fan:.1f} s, goal < {GOAL_S:g} s")
    if len(res) != n * len(rules) or not np.isfinite(res[list(uncertainty.INDICATORS)].to_numpy()).all():
        fails.append("draws missing or not finite")
    cen = uncertainty.impact_draws(P, rules, inputs, uncertainty.central_draw(inputs, fr[1], ranges)).set_index("scenario")
    for s, rs in rules.items():
        e = sim_mod.combine_sums(sim_mod.sums(P, ms.engine(P, rs), rs)).iloc[0]
        d = max(abs(cen.loc[s, "headcount_post"] - e["poor_post"]), abs(cen.loc[s, "gap_post"] - e["gap_post"]))
        if d > 1e-12:
            fails.append(f"{s}: central draw differs from the engine by {d:.2g}")
    ok = write([Figure("impact", f"{n:,} impact draws x {len(rules)} scenarios (take-up, level, prices)", t_fan, "s",
                       baseline="one deterministic engine run of all scenarios (simulate_sums)", baseline_value=t_engine,
                       ratio=n * t_engine / t_fan,
                       ratio_meaning="draws evaluated in the time of one engine run of all scenarios",
                       goal=">= 1", check="ok" if not fails else "; ".join(fails))])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
