"""The Monte Carlo's budget-base and health-cost inputs, recomputed by hand from data/raw.

Issue 12 asks the uncertainty analysis to cover the KP budget base and the health cost per head
besides the KP GDP share. Both ranges are read from the data (``montecarlo.data_ranges``):
- health cost: real growth of health spending per person between the NHA rounds 2015-16 and
  2017-18 (Rs 4,688 -> Rs 5,283, data/raw/health/health_costing.csv) deflated by CPI inflation
  FY 2016-17 4.2% and FY 2017-18 4.68% (data/raw/macro): the upper bound of the real drift of
  out-of-pocket spending per person since 2017-18 (central 0: the CPI alone);
- budget base: the KP budget's share of national GDP in the published budgets (FY 2023-24
  outturn Rs 1,300 bn, FY 2024-25 Rs 1,754 bn, FY 2025-26 Rs 2,120 bn) relative to the latest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spf_analysis.model import costing as c
from spf_analysis.model import macro, montecarlo


@pytest.fixture(scope="module")
def inputs():
    return macro.macro_inputs()


def test_health_real_growth_between_nha_rounds_by_hand(inputs):
    by_hand = ((5283 / 4688) / (1.042 * 1.0468)) ** 0.5 - 1
    assert by_hand == pytest.approx(0.016437752833, abs=1e-12)
    assert inputs.health_real_growth_observed == pytest.approx(by_hand, rel=1e-12)
    assert inputs.health_reference_year == 2018
    h = macro.health_inputs()
    assert h.health_per_capita == 5283 and h.per_capita_history == {2016: 4688.0}


def test_health_drift_path_by_hand(inputs):
    years = np.arange(2024, 2031)
    central = macro.project_arrays(inputs, years)
    g = 0.02
    drift = macro.project_arrays(inputs, years, health_real_growth=g)
    # (1 + g)^(year - 2018): 2024 -> 1.02^6, 2030 -> 1.02^12
    assert drift["health_oop"][0] == pytest.approx(central["health_oop"][0] * 1.02 ** 6, rel=1e-12)
    assert drift["health_oop"][-1] == pytest.approx(central["health_oop"][-1] * 1.02 ** 12, rel=1e-12)
    assert np.array_equal(drift["delivery_cost"], central["delivery_cost"])
    per_draw = macro.project_arrays(inputs, years, health_real_growth=np.array([0.0, g]))
    assert per_draw["health_oop"].shape == (2, len(years))
    assert np.allclose(per_draw["health_oop"][0], central["health_oop"])
    assert np.allclose(per_draw["health_oop"][1], drift["health_oop"])


def test_budget_ratio_range_by_hand(inputs):
    years = np.arange(2024, 2027)
    y = macro.project_arrays(inputs, years)["gdp_national"]
    shares = np.array([1300e9, 1754e9, 2120e9]) / y
    lo, hi = macro.budget_ratio_range(inputs)
    assert lo == pytest.approx(shares.min() / shares[-1], rel=1e-12)
    assert hi == pytest.approx(shares.max() / shares[-1], rel=1e-12)
    assert shares.argmin() == 0  # the FY 2023-24 outturn (no enacted budget) has the lowest share
    assert 0.7 < lo < 0.75 and hi == 1.0


def test_budget_ratio_moves_only_years_after_the_latest_budget(inputs):
    years = np.arange(2024, 2031)
    central = macro.project_arrays(inputs, years)
    low = macro.project_arrays(inputs, years, budget_ratio=0.8)
    last = max(inputs.budget_observed)
    after = years > last
    assert last == 2026
    assert np.array_equal(low["budget"][~after], central["budget"][~after])
    assert np.allclose(low["budget"][after], 0.8 * central["budget"][after])
    assert np.array_equal(low["gdp"], central["gdp"])


def test_montecarlo_covers_budget_and_health(inputs):
    sc = c.load_named_scenario("kp_medium")
    r = montecarlo.data_ranges(inputs)
    assert r["budget_ratio"][2:] == pytest.approx(macro.budget_ratio_range(inputs))
    assert r["health_growth"][2:] == (0.0, pytest.approx(inputs.health_real_growth_observed))
    d = montecarlo.draw_inputs(50, 3, (1.0, 1.0), inputs, ranges=r)
    assert d["budget_ratio"].between(*r["budget_ratio"][2:]).all()
    assert d["health_growth"].between(*r["health_growth"][2:]).all()
    # the original six inputs are drawn first: a seed gives them the same values as before
    old = montecarlo.draw_inputs(50, 3, (1.0, 1.0), inputs)
    pd.testing.assert_frame_equal(d[old.columns[:6]], old[old.columns[:6]])
    # one-way: a lower budget raises the cost in % of the budget, not in % of GDP; the health drift raises both
    from spf_analysis.model import demography
    cal = demography.calibrate_kp(tfr_scale=1.0)
    grid = montecarlo.DemoGrid.build(sc, fert=[1.0], mort=[1.0], migration_rates=[[cal.migration_rate]])
    kw = dict(year=2030, fert_range=(1.0, 1.0), fert_central=1.0, ranges=r)
    gdp = montecarlo.tornado(sc, grid, inputs, **kw).set_index("input")
    bud = montecarlo.tornado(sc, grid, inputs, metric="cost_pct_budget", **kw).set_index("input")
    assert gdp.loc["budget_ratio", "swing"] == pytest.approx(0.0, abs=1e-12)
    lo = r["budget_ratio"][2]
    assert bud.loc["budget_ratio", "at_low"] == pytest.approx(bud.loc["budget_ratio", "central"] / lo, rel=1e-9)
    assert gdp.loc["health_growth", "at_high"] > gdp.loc["health_growth", "central"]
    assert gdp.loc["health_growth", "at_low"] == pytest.approx(gdp.loc["health_growth", "central"], rel=1e-12)
