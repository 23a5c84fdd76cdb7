"""Uncertainty in the poverty impact (spf_analysis.microsim.uncertainty): the vectorised draws against the engine
(central draw and drawn rule sets, 1e-12), a hand-computed three-household case, seeded reproducibility and the
monotonicity of the headcount in the benefit level."""

import importlib
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from spf_analysis import microsim as ms
from spf_analysis.config import run
from spf_analysis.data import io
from spf_analysis.household import synth
from spf_analysis.microsim import uncertainty as un
from spf_analysis.model import costing, macro, montecarlo
from toy_survey import TOY_CHILD_PENSION, Z, person

sim_mod = importlib.import_module("spf_analysis.microsim.simulate")  # the module (the package exports the function)


@pytest.fixture()
def toy(tmp_path):
    f = tmp_path / "toy.yaml"
    f.write_text(TOY_CHILD_PENSION)
    scen = costing.load_scenario(f)
    mframe = pd.DataFrame({"poverty_line": [12 * Z * 2], "minimum_wage": [12 * 30000.0], "cpi": [1.0]},
                          index=pd.Index([2030], name="year"))
    # household 1: adult, child 3, elder 70; 2.5 adult equivalents, Rs 2,500 per AE; weight 10
    # household 2: two adults, nobody eligible; 2 AE, Rs 1,500; weight 20
    # household 3: child 2 and adult; 1.5 AE, Rs 2,900; weight 5
    frame = pd.DataFrame([
        person(1, 1, 35, w=10, ae=2.5, cons=2500), person(1, 2, 3, w=10, ae=2.5, cons=2500),
        person(1, 3, 70, w=10, ae=2.5, cons=2500),
        person(2, 1, 30, w=20, ae=2.0, cons=1500), person(2, 2, 28, w=20, ae=2.0, cons=1500),
        person(3, 1, 2, w=5, ae=1.5, cons=2900), person(3, 2, 40, w=5, ae=1.5, cons=2900),
    ])
    return ms.build_rules(scen, 2030, mframe, frame, line=Z), frame


def test_hand_computed_three_households(toy):
    rs, frame = toy
    prep = un.prepare(ms.Persons.from_frame(frame), rs)
    # everyone is poor before: headcount 1; gap = sum w (Z - y) / Z / 80
    gap_pre = (30 * (Z - 2500) + 40 * (Z - 1500) + 10 * (Z - 2900)) / Z / 80
    assert prep.headcount_pre == 1.0
    assert prep.gap_pre == pytest.approx(gap_pre, rel=1e-12)
    # draws: (take-up multiplier, level multiplier)
    res = un.evaluate(prep, takeup=[1.0, 1.0, 0.0, 1.1], level=[1.0, 0.5, 1.0, 1.0])
    # level 1: household 1 gains (757.58 + 1,515.16) / 2.5 = 909.096 -> 3,409.096; household 3 757.58 / 1.5 -> 3,405.05:
    # only household 2 (40 of 80 persons) stays poor
    # level 0.5: household 1 reaches 2,500 + 454.548 = 2,954.548 < Z (poor); household 3 2,900 + 252.527 (not poor)
    # take-up 0: nobody takes up, nothing changes; take-up 1.1: capped at 1, as level 1
    hc = [40 / 80, 70 / 80, 1.0, 40 / 80]
    gap = [40 * (Z - 1500) / Z / 80, (30 * (Z - 2954.548) + 40 * (Z - 1500)) / Z / 80, gap_pre, 40 * (Z - 1500) / Z / 80]
    assert res["headcount_post"] == pytest.approx(hc, rel=1e-12)
    assert res["gap_post"] == pytest.approx(gap, rel=1e-12)
    assert res["headcount_reduction"] == pytest.approx([0.5, 0.125, 0.0, 0.5], rel=1e-12)
    assert res["gap_reduction"] == pytest.approx([1 - g / gap_pre for g in gap], rel=1e-12, abs=1e-15)


@pytest.fixture(scope="module")
def survey():
    from spf_analysis.model import pipeline

    h, p = synth.generate()
    frame = ms.person_frame(h, p)
    m = pipeline.compute()
    S = run.settings()
    rules = {n: ms.build_rules(n, S.reference_year, m.macro_frame, frame) for n in S.scenarios}
    inputs = macro.macro_inputs(indicators=io.load("macro_indicators"))
    return ms.Persons.from_frame(frame), rules, inputs, m


def _engine_rates(P, rs):
    s = sim_mod.combine_sums(sim_mod.sums(P, ms.engine(P, rs), rs)).iloc[0]
    return s["poor_post"], s["gap_post"]


def test_central_draw_is_the_engine(survey):
    """At the central values (multipliers 1, central prices) the fan's path is the engine's headcount and gap."""
    P, rules, inputs, m = survey
    cen = un.central_draw(inputs, m.calibration_of("central")["tfr_scale"], montecarlo.data_ranges(inputs))
    res = un.impact_draws(P, rules, inputs, cen).set_index("scenario")
    for name, rs in rules.items():
        hc, gap = _engine_rates(P, rs)
        assert abs(res.loc[name, "headcount_post"] - hc) < 1e-12, name
        assert abs(res.loc[name, "gap_post"] - gap) < 1e-12, name
    # the prices leave the real levels unchanged at the central values, exactly
    fac = un.real_level_factors(costing.load_named_scenario("kp_medium"), inputs, 2030, cen)
    assert (fac.to_numpy() == 1.0).all()


@pytest.mark.parametrize("mult,level", [(0.85, 0.93), (0.6, 1.2), (1.1, 0.9)])
def test_drawn_rule_set_is_the_engine(survey, mult, level):
    """A draw equals the engine run on the rule set with that take-up and level (exclusions with partial take-up
    included: the disability benefit yields to the social pension)."""
    P, rules, _, _ = survey
    for name in ("kp_medium", "package_minimum", "kp_medium_pension_tested"):
        rs = rules[name]
        drawn = replace(rs, rules=tuple(replace(r, takeup=min(r.takeup * mult, 1.0), monthly=r.monthly * level)
                                        for r in rs.rules))
        hc, gap = _engine_rates(P, drawn)
        res = un.evaluate(un.prepare(P, rs), [mult], [level])
        assert abs(res["headcount_post"][0] - hc) < 1e-12, name
        assert abs(res["gap_post"][0] - gap) < 1e-12, name


def test_seeded_and_reproducible(survey):
    P, rules, inputs, m = survey
    fr = montecarlo.fertility_range(m.calibration)
    a = un.draw_impact_inputs(50, 7, fr, inputs, (0.9, 1.1))
    b = un.draw_impact_inputs(50, 7, fr, inputs, (0.9, 1.1))
    c = un.draw_impact_inputs(50, 8, fr, inputs, (0.9, 1.1))
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["level"], c["level"])
    # the cost inputs of a seed are chapter 4's draws of that seed
    pd.testing.assert_frame_equal(a.drop(columns="level"), montecarlo.draw_inputs(50, 7, fr, inputs))
    assert a["level"].between(0.9, 1.1).all()
    sub = {n: rules[n] for n in ("kp_medium", "kp_low")}
    pd.testing.assert_frame_equal(un.impact_draws(P, sub, inputs, a), un.impact_draws(P, sub, inputs, b))


def test_higher_level_never_raises_headcount(survey):
    P, rules, _, _ = survey
    prep = un.prepare(P, rules["kp_medium"])
    level = np.linspace(0.5, 1.5, 41)
    for mult in (0.8, 1.0):
        res = un.evaluate(prep, np.full(len(level), mult), level)
        assert np.all(np.diff(res["headcount_post"]) <= 0)
        assert np.all(np.diff(res["gap_post"]) < 0)
    # and more take-up never raises it either
    res = un.evaluate(prep, np.linspace(0.5, 1.1, 31), np.ones(31))
    assert np.all(np.diff(res["headcount_post"]) <= 0)


def test_cost_level_multiplier_scales_cash_benefits(survey):
    """The level column of the draws multiplies the cost of the cash benefits (cost is linear in the level)."""
    _, _, inputs, m = survey
    sc = costing.load_named_scenario("package_minimum")
    fr = montecarlo.fertility_range(m.calibration)
    grid = montecarlo.DemoGrid.build(sc, fert=list(fr), mort=[1.0])
    cen = un.central_draw(inputs, fr[1], montecarlo.data_ranges(inputs))
    base = montecarlo.cost_draws(sc, grid, inputs, cen)
    up = montecarlo.cost_draws(sc, grid, inputs, cen.assign(level=1.1))
    for b in sc.benefits:
        f = 1.1 if b.kind == "cash" else 1.0
        np.testing.assert_allclose(np.asarray(up[b.name]["cost"]), f * np.asarray(base[b.name]["cost"]), rtol=1e-12)
