"""Benchmark: Monte Carlo of the RAP engine, 10,000 draws x 11 years x all benefits (target < 2 s).

The demographic grid (a few cohort-component projections) is built once and
timed separately; the timed part is drawing the inputs and costing every
benefit of the medium scenario for every draw and year.  The same-run baseline
is the same call with one draw (best of 5): the ratio says what 10,000 draws
cost against one, i.e. how well the draws are vectorised (10,000 would be a
loop).  The 2 s bound is checked as well.  Reported through bench/record.py.
"""

import sys
import time
from pathlib import Path

import numpy as np

from spf_analysis.model import costing
from spf_analysis.model import demography
from spf_analysis.model import macro
from spf_analysis.model import montecarlo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from record import Figure, write  # noqa: E402

N, SEED, TARGET = 10_000, 1, 2.0


def main() -> int:
    rates = demography.wpp_rates()
    sc = costing.load_named_scenario(costing.reference_scenario())
    inputs = macro.macro_inputs()
    t = time.perf_counter()
    grid = montecarlo.DemoGrid.build(sc, fert=[4.3 / 4.08, 1.37], mort=[0.85, 1.0, 1.15], rates=rates)
    t_grid = time.perf_counter() - t
    t = time.perf_counter()
    draws = montecarlo.draw_inputs(N, SEED, (4.3 / 4.08, 1.37), inputs)
    res = montecarlo.cost_draws(sc, grid, inputs, draws)
    t_mc = time.perf_counter() - t
    one = []
    for _ in range(5):
        t = time.perf_counter()
        d1 = montecarlo.draw_inputs(1, SEED, (4.3 / 4.08, 1.37), inputs)
        montecarlo.cost_draws(sc, grid, inputs, d1)
        one.append(time.perf_counter() - t)
    t_one = min(one)
    shape = np.asarray(res["package"]["cost"]).shape
    print(f"bench_costing: demographic grid {t_grid:.2f} s (6 projections); result {shape} (draws x years)")
    ok = write([Figure("costing", f"Monte Carlo {N:,} draws x {len(sc.years)} years x {len(sc.benefits)} benefits", t_mc, "s",
                       baseline="the same with 1 draw", baseline_value=t_one, ratio=t_mc / t_one,
                       ratio_meaning=f"time of {N:,} draws / time of 1 draw", check="ok" if t_mc < TARGET else f"above {TARGET} s")])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
