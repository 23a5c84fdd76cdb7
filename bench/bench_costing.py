"""Benchmark: Monte Carlo of the RAP engine, 10,000 draws x 11 years x all benefits (target < 2 s).

The demographic grid (a few cohort-component projections) is built once and
timed separately; the timed part is drawing the inputs and costing every
benefit of the medium scenario for every draw and year.
"""

import time

import numpy as np

from spf_analysis.model import costing
from spf_analysis.model import demography
from spf_analysis.model import macro
from spf_analysis.model import montecarlo

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
    shape = np.asarray(res["package"]["cost"]).shape
    print(f"bench_costing: demographic grid {t_grid:.2f} s (6 projections); Monte Carlo {N:,} draws x {len(sc.years)} years x "
          f"{len(sc.benefits)} benefits {shape}: {t_mc:.3f} s (target < {TARGET} s) {'OK' if t_mc < TARGET else 'SLOW'}")
    return 0 if t_mc < TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
