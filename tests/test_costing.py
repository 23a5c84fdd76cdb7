"""Tests of the RAP costing engine (spf_analysis.model.costing)."""

from __future__ import annotations

import time
from dataclasses import replace
from fractions import Fraction as Fr
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spf_analysis.model import costing as c

SCEN = Path(__file__).resolve().parent / "data" / "scenarios"
BAD = SCEN / "bad"

THAILAND = [7_236_432_000, 11_180_287_440, 12_795_217_848]


def _population(years, counts_by_age: dict[int, float], max_age=100, female_share=0.5):
    """Synthetic single-age population: ``counts_by_age`` per year, split by sex."""
    rows = []
    for y in years:
        for a in range(max_age + 1):
            n = counts_by_age.get(a, 0.0)
            rows.append({"year": y, "sex": "male", "age": a, "population": n * (1 - female_share)})
            rows.append({"year": y, "sex": "female", "age": a, "population": n * female_share})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------
# Thailand (methods README section 5)
# ----------------------------------------------------------------------------


def test_thailand_exact_fractions():
    """Exact rational arithmetic through the array core."""
    children = np.array([Fr(2_393_000)] * 3, dtype=object)
    takeup = np.array([Fr(6, 10), Fr(9, 10), Fr(1)], dtype=object)
    cpi = c.cpi_from_inflation(np.array([Fr(0), Fr(3, 100), Fr(3, 100)], dtype=object))
    assert list(cpi) == [1, Fr(103, 100), Fr(10609, 10000)]
    level = c.indexed_level(Fr(4800), cpi, cpi[0])
    markup = c.admin_markup(Fr(5, 100), "share_of_benefits")
    cost = c.benefit_cost(c.beneficiaries(children, takeup), level, 12, markup)
    assert list(cost) == THAILAND
    # published base year
    assert Fr(6, 10) * 2_393_000 * 4_800 * Fr(105, 100) == 7_236_432_000


def test_thailand_scenario_file_to_the_baht():
    sc = c.load_scenario(SCEN / "thailand_child_allowance.yaml")
    assert list(sc.years) == [2011, 2012, 2013]
    pop = _population(sc.years, {a: 2_393_000 / 15 for a in range(15)} | {30: 5_000_000})
    macro = pd.DataFrame({"cpi": c.cpi_from_inflation(np.array([0.0, 0.03, 0.03]))}, index=sc.years)
    out = c.cost_scenario(sc, pop, macro)
    ca = out[out["benefit"] == "child_allowance"]
    assert np.allclose(ca["eligible"], 2_393_000)
    assert np.allclose(ca["beneficiaries"], [0.6 * 2_393_000, 0.9 * 2_393_000, 2_393_000])
    assert np.allclose(ca["benefit_level"], [4800, 4944, 5092.32])
    assert [round(x) for x in ca["cost"]] == THAILAND
    assert np.abs(ca["cost"].to_numpy() - THAILAND).max() < 0.01
    pk = out[out["benefit"] == "package"]
    assert [round(x) for x in pk["cost"]] == THAILAND
    assert "cost_pct_gdp" not in out.columns  # no GDP given
    assert sc.sources_table().shape[0] == 7


# ----------------------------------------------------------------------------
# Identity and admin conventions
# ----------------------------------------------------------------------------


def _toy_scenario(admin_rate=0.1, convention="share_of_benefits", months=12, takeup=1.0, prevalence=1.0):
    b = c.Benefit(
        name="pension", level_type="poverty_line", level_value=0.5, takeup=takeup, age_min=65, prevalence=prevalence,
        months=months, admin_rate=admin_rate, admin_convention=convention,
    )
    return c.Scenario(name="toy", years=np.array([2025, 2026, 2027]), benefits=(b,))


@pytest.mark.parametrize("convention,rate", [("share_of_benefits", 0.1), ("share_of_gross", 0.1), ("share_of_benefits", 0.0)])
@pytest.mark.parametrize("months,takeup", [(12, 1.0), (4, 0.7)])
def test_identity_cost_over_gdp(convention, rate, months, takeup):
    """cost/GDP == (eligible/N) x (benefit/GDP per capita) x months/12 x (1 + a) [x take-up]."""
    years = np.array([2025, 2026, 2027])
    counts = {a: 1000.0 + 10 * a for a in range(101)}
    pop = _population(years, counts)
    pop.loc[pop["year"] == 2026, "population"] *= 1.02
    pop.loc[pop["year"] == 2027, "population"] *= 1.05
    sc = _toy_scenario(rate, convention, months, takeup, prevalence=0.3)
    macro = pd.DataFrame({"poverty_line": [36_000.0, 39_000.0, 41_000.0], "gdp": [5e9, 5.5e9, 6.2e9]}, index=years)
    out = c.cost_scenario(sc, pop, macro).query("benefit == 'pension'")
    N = pop.groupby("year")["population"].sum().to_numpy()
    E = pop[pop["age"] >= 65].groupby("year")["population"].sum().to_numpy() * 0.3
    a_b = rate if convention == "share_of_benefits" else rate / (1 - rate)
    b = 0.5 * macro["poverty_line"].to_numpy()
    gdp = macro["gdp"].to_numpy()
    rhs = (E * takeup / N) * (b / (gdp / N)) * months / 12 * (1 + a_b)
    assert np.allclose(out["cost_pct_gdp"].to_numpy() / 100, rhs, rtol=1e-12)
    assert np.allclose(out["eligible"], E)


def test_admin_conventions_hand():
    # share of benefits: 100 of benefits, a = 0.2 -> gross 120
    assert c.admin_markup(0.2, "share_of_benefits") == 0.2
    assert c.benefit_cost(1, 100, 12, c.admin_markup(0.2, "share_of_benefits")) == pytest.approx(120)
    # share of gross: a_g = 0.2 -> a_b = 0.25, gross 125 of which admin 25 = 20% of gross
    assert c.admin_markup(Fr(1, 5), "share_of_gross") == Fr(1, 4)
    gross = c.benefit_cost(1, 100, 12, c.admin_markup(0.2, "share_of_gross"))
    assert gross == pytest.approx(125)
    assert (gross - 100) / gross == pytest.approx(0.2)
    with pytest.raises(ValueError):
        c.admin_markup(1.0, "share_of_gross")
    with pytest.raises(ValueError):
        c.admin_markup(0.1, "share_of_cost")


def test_admin_conventions_in_scenario():
    years = np.array([2025, 2026, 2027])
    pop = _population(years, {70: 1000.0})
    macro = pd.DataFrame({"poverty_line": [1200.0] * 3}, index=years)
    gross = c.cost_scenario(_toy_scenario(0.2, "share_of_gross"), pop, macro).query("benefit=='pension'")
    ben = c.cost_scenario(_toy_scenario(0.2, "share_of_benefits"), pop, macro).query("benefit=='pension'")
    # 1000 persons x 600 a year = 600,000 of benefits
    assert np.allclose(gross["cost"], 600_000 * 1.25)
    assert np.allclose(gross["admin_cost"], 150_000)
    assert np.allclose(ben["cost"], 600_000 * 1.2)
    assert np.allclose(ben["admin_cost"], 120_000)


# ----------------------------------------------------------------------------
# Overlaps, packages, scenario merge
# ----------------------------------------------------------------------------


@pytest.fixture
def toy_inputs():
    years = np.arange(2025, 2028)
    # 100 persons at each age 0-100 (50 m / 50 f)
    pop = _population(years, {a: 100.0 for a in range(101)})
    macro = pd.DataFrame(
        {
            "cpi": [100.0, 110.0, 121.0],
            "poverty_line": [1000.0, 1100.0, 1200.0],
            "minimum_wage": [5000.0, 5500.0, 6000.0],
            "gdp": [1e7, 1.1e7, 1.2e7],
            "gdp_national": [1e8, 1.1e8, 1.2e8],
            "budget": [2e6, 2.2e6, 2.4e6],
        },
        index=years,
    )
    births = pd.Series([300.0, 310.0, 320.0], index=years)
    return pop, macro, births


def test_toy_baseline_hand(toy_inputs):
    pop, macro, births = toy_inputs
    sc = c.load_scenario(SCEN / "toy_baseline.yaml")
    out = c.cost_scenario(sc, pop, macro, births).set_index(["benefit", "year"])
    # pension: 36 ages (65-100, 100+ open counted once) x 100 = 3600 eligible, take-up 0.8
    p = out.loc["old_age_pension"]
    assert np.allclose(p["eligible"], 3600)
    assert np.allclose(p["beneficiaries"], 2880)
    assert np.allclose(p["benefit_level"], [500, 550, 600])
    assert np.allclose(p["cost"], 2880 * np.array([500, 550, 600]) * 1.1)
    # disability 18+: 83 ages x 100 x 0.1 = 830 eligible; overlap with the pension:
    # 65+ (3600) x 0.1 x 1.0 (pension prevalence) x 0.8 (pension take-up) = 288 excluded
    d = out.loc["disability"]
    assert np.allclose(d["eligible"], 830)
    assert np.allclose(d["excluded"], 288)
    assert np.allclose(d["beneficiaries"], [0.5 * 542, 542, 542])
    assert np.allclose(d["benefit_level"], [1200, 1320, 1452])
    assert np.allclose(d["cost"], np.array([271, 542, 542]) * np.array([1200, 1320, 1452]) * 1.25)
    # maternity: births x poverty line x 4/12 x 1.05
    m = out.loc["maternity"]
    assert np.allclose(m["cost"], np.array([300, 310, 320]) * np.array([1000, 1100, 1200]) * 4 / 12 * 1.05)
    pk = out.loc["package"]
    total = p["cost"] + d["cost"] + m["cost"]
    assert np.allclose(pk["cost"], total)
    assert np.allclose(pk["cost_pct_gdp"], 100 * total / macro["gdp"].to_numpy())
    assert np.allclose(pk["cost_pct_national_gdp"], 100 * total / macro["gdp_national"].to_numpy())
    assert np.allclose(pk["cost_pct_budget"], 100 * total / macro["budget"].to_numpy())


def test_overlap_by_sex_and_profile():
    years = np.array([2025])
    pop = _population(years, {a: 100.0 for a in range(101)})  # 50 m / 50 f at each age
    widow = c.Benefit(name="widow", level_type="indexed", level_value=1, base_year=2025, takeup=0.5,
                      age_min=40, age_max=79, sex="female", prevalence=0.2)
    dis = c.Benefit(name="dis", level_type="indexed", level_value=1, base_year=2025, takeup=1.0,
                    age_min=0, prevalence=0.1, age_profile={0: 0.5, 60: 1.0}, exclusive_with=("widow",))
    sc = c.Scenario(name="x", years=years, benefits=(widow, dis))
    out = c.cost_scenario(sc, pop, pd.DataFrame({"cpi": [1.0]}, index=years)).set_index("benefit")
    # dis base: ages 0-59 at 0.5 (60 x 100 x 0.5 = 3000) + 60-100 at 1 (41 x 100 = 4100) = 7100
    assert out.loc["dis", "eligible"] == pytest.approx(0.1 * 7100)
    # overlap cells: women 40-79: 40-59 (20 ages x 50 x 0.5 = 500) + 60-79 (20 x 50 x 1 = 1000) = 1500
    # x p_dis 0.1 x p_widow 0.2 x c_widow 0.5 = 15
    assert out.loc["dis", "excluded"] == pytest.approx(15)
    assert out.loc["dis", "beneficiaries"] == pytest.approx(710 - 15)


def test_scenario_merge_and_remove(toy_inputs):
    pop, macro, births = toy_inputs
    base = c.load_scenario(SCEN / "toy_baseline.yaml")
    sc = c.load_scenario(SCEN / "toy_higher_pension.yaml", SCEN / "toy_baseline.yaml")
    assert [b.name for b in sc.benefits] == ["old_age_pension", "disability", "child_benefit"]
    assert sc.benefit("old_age_pension").level_value == 1.0
    assert sc.benefit("old_age_pension").takeup == 0.8  # untouched node kept from the baseline
    assert "100% of the poverty line" in sc.benefit("old_age_pension").sources["level"]
    # same result with the baseline passed as a loaded Scenario
    sc2 = c.load_scenario(SCEN / "toy_higher_pension.yaml", base)
    assert [b.name for b in sc2.benefits] == [b.name for b in sc.benefits]
    out = c.cost_scenario(sc, pop, macro).set_index(["benefit", "year"])
    # child benefit introduced 2026 (take-up 0 before the first listed year)
    cb = out.loc["child_benefit"]
    assert np.allclose(cb["beneficiaries"], [0, 250, 250])
    assert np.allclose(cb["cost"], [0, 250 * 550 * 1.05, 250 * 600 * 1.05])


def test_vectorised_draws_and_benchmark(toy_inputs):
    """(draws, years) arrays flow through the core; 10,000 draws x 11 years fast."""
    pop, macro, births = toy_inputs
    years = np.arange(2025, 2036)
    pop11 = _population(years, {a: 100.0 for a in range(101)})
    births11 = pd.Series(300.0, index=years)
    sc = c.load_scenario(SCEN / "toy_baseline.yaml")
    sc = replace(sc, years=years)
    rng = np.random.default_rng(1)
    draws = 10_000
    infl = rng.normal(0.08, 0.02, size=(draws, len(years)))
    macro_arrays = {
        "cpi": c.cpi_from_inflation(infl),
        "poverty_line": 12_000 * c.cpi_from_inflation(infl),
        "gdp": np.full((draws, len(years)), 1e12),
        "budget": np.full((draws, len(years)), 1e11),
    }
    demo = c.demographic_inputs(sc, pop11, births11)
    sc = sc.with_benefit("old_age_pension", takeup=rng.uniform(0.6, 1.0, size=(draws, 1)) * np.ones(len(years)),
                         admin_rate=rng.uniform(0.05, 0.15, size=(draws, 1)))
    t0 = time.perf_counter()
    res = c.compute_arrays(sc, demo, macro_arrays)
    elapsed = time.perf_counter() - t0
    assert res["package"]["cost"].shape == (draws, len(years))
    assert res["package"]["cost_pct_gdp"].shape == (draws, len(years))
    assert elapsed < 2.0
    # draw 0 equals a deterministic run with draw 0's inputs
    sc0 = sc.with_benefit("old_age_pension", takeup=sc.benefit("old_age_pension").takeup[0],
                          admin_rate=float(sc.benefit("old_age_pension").admin_rate[0, 0]))
    det = c.compute_arrays(sc0, demo, {k: v[0] for k, v in macro_arrays.items()})
    assert np.allclose(det["package"]["cost"], res["package"]["cost"][0])


# ----------------------------------------------------------------------------
# Bad inputs
# ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fname,key,fragment",
    [
        ("unknown_key.yaml", "benefits.old_age_pension.takeup", "unknown key"),
        ("unknown_benefit_field.yaml", "benefits.old_age_pension.colour", "unknown key"),
        ("unknown_top_key.yaml", "horizons", "unknown top-level key"),
        ("takeup_above_one.yaml", "benefits.disability.takeup.value[2026]", "above 1"),
        ("takeup_below_zero.yaml", "benefits.old_age_pension.takeup.value", "below 0"),
        ("age_outside.yaml", "benefits.old_age_pension.eligible.age_max", "outside the projection"),
        ("year_outside.yaml", "benefits.disability.takeup.value[2031]", "outside the horizon"),
        ("missing_source.yaml", "benefits.old_age_pension.takeup", "source"),
        ("bad_convention.yaml", "benefits.old_age_pension.admin.convention", "convention"),
        ("unknown_exclusive.yaml", "benefits.disability.exclusive_with.value", "unknown benefit"),
        ("chained_exclusive.yaml", "benefits.old_age_pension.exclusive_with.value", "chains"),
        ("births_overlap.yaml", "benefits.maternity.exclusive_with.value", "population-based"),
        ("share_of_gross_one.yaml", "benefits.disability.admin.rate", "out of range"),
        ("incomplete_new_benefit.yaml", "benefits.child_benefit.eligible", "missing required"),
        ("unknown_targeting.yaml", "benefits.disability.targeting.rule", "targeting rule must be one of"),
        ("targeting_without_rule.yaml", "benefits.disability.targeting.rule", "missing targeting rule"),
        ("births_targeting_population.yaml", "benefits.old_age_pension.targeting.rule", "basis 'births'"),
        ("consumption_not_boolean.yaml", "benefits.old_age_pension.adds_to_consumption.value", "true or false"),
    ],
)
def test_bad_scenarios(fname, key, fragment):
    with pytest.raises(c.ScenarioError) as info:
        c.load_scenario(BAD / fname, SCEN / "toy_baseline.yaml")
    err = info.value
    assert isinstance(err, ValueError)
    assert err.file is not None and err.file.endswith(fname)
    assert err.key == key
    assert fname in str(err) and key in str(err) and fragment in str(err)


def test_bad_baseline_names_baseline_file(tmp_path):
    bad_base = tmp_path / "base.yaml"
    bad_base.write_text((SCEN / "toy_baseline.yaml").read_text().replace("value: 0.8", "value: 1.8"))
    with pytest.raises(c.ScenarioError) as info:
        c.load_scenario(SCEN / "toy_higher_pension.yaml", bad_base)
    assert info.value.file == str(bad_base)
    assert info.value.key == "benefits.old_age_pension.takeup.value"


def test_age_range_against_projection_max_age():
    # a projection with open age 75 cannot price a 65-79 group
    p = SCEN / "toy_baseline.yaml"
    with pytest.raises(c.ScenarioError, match="age_min 80 outside"):
        _write_and_load_age(p, 80, 75)


def _write_and_load_age(base, age_min, max_age):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "s.yaml"
        f.write_text(
            "benefits:\n  old_age_pension:\n    eligible:\n      age_min: %d\n      rationale: test.\n" % age_min
        )
        return c.load_scenario(f, base, max_age=max_age)


def test_missing_file_and_invalid_yaml(tmp_path):
    with pytest.raises(c.ScenarioError, match="file not found"):
        c.load_scenario(tmp_path / "nope.yaml")
    f = tmp_path / "broken.yaml"
    f.write_text("benefits: [unclosed\n")
    with pytest.raises(c.ScenarioError, match="invalid YAML"):
        c.load_scenario(f)


def test_runtime_errors(toy_inputs):
    pop, macro, births = toy_inputs
    sc = c.load_scenario(SCEN / "toy_baseline.yaml")
    with pytest.raises(ValueError, match="births"):
        c.cost_scenario(sc, pop, macro, None)
    with pytest.raises(ValueError, match="poverty_line"):
        c.cost_scenario(sc, pop, macro.drop(columns="poverty_line"), births)
    with pytest.raises(ValueError, match="unknown macro"):
        c.cost_scenario(sc, pop, macro.assign(gdp_pc=1.0), births)
    with pytest.raises(ValueError, match="no rows for years"):
        c.cost_scenario(sc, pop[pop["year"] < 2027], macro, births)


# ----------------------------------------------------------------------------
# Per-year functions (shared with the microsimulation) and declared targeting
# ----------------------------------------------------------------------------


def test_per_year_takeup_and_prevalence_by_hand():
    years = np.arange(2025, 2031)
    b = c.Benefit(name="b", level_type="poverty_line", level_value=0.5, takeup={2026: 0.6, 2028: 1.0},
                  prevalence={2027: 0.2, 2029: 0.1})
    # take-up: 0 before 2026 (not introduced), 0.6 in 2026-27, 1.0 from 2028
    assert [c.takeup_in_year(b, years, y) for y in years] == [0, 0.6, 0.6, 1.0, 1.0, 1.0]
    # prevalence: the first value (0.2) before 2027, 0.1 from 2029
    assert [c.prevalence_in_year(b, years, y) for y in years] == [0.2, 0.2, 0.2, 0.2, 0.1, 0.1]
    assert c.takeup_in_year(replace(b, takeup=0.8), years, 2025) == 0.8
    # per-draw arrays (draws, years): the column of the year
    draws = np.array([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [1, 2, 3, 4, 5, 6]])
    assert c.takeup_in_year(replace(b, takeup=draws), years, 2027).tolist() == [0.3, 3]
    # the RAP engine uses the same paths: year by year = the whole path
    assert np.array_equal(c.takeup_path(b, years), [c.takeup_in_year(b, years, y) for y in years])
    with pytest.raises(ValueError, match="outside"):
        c.takeup_in_year(b, years, 2031)


def test_benefit_level_in_year_by_hand():
    macro = pd.DataFrame({"cpi": [100.0, 110.0, 121.0], "poverty_line": [40000.0, 44000.0, 48400.0],
                          "minimum_wage": [300000.0, 330000.0, 363000.0], "other": ["x", "y", "z"]},
                         index=pd.Index([2025, 2026, 2027], name="year"))
    pl = c.Benefit(name="pl", level_type="poverty_line", level_value=0.25, takeup=1.0)
    mw = c.Benefit(name="mw", level_type="minimum_wage", level_value=0.06, takeup=1.0)
    ix = c.Benefit(name="ix", level_type="indexed", level_value=4800, base_year=2025, takeup=1.0)
    assert c.benefit_level_in_year(pl, macro, 2026) == pytest.approx(0.25 * 44000)     # 11,000
    assert c.benefit_level_in_year(mw, macro, 2027) == pytest.approx(0.06 * 363000)    # 21,780
    assert c.benefit_level_in_year(ix, macro, 2027) == pytest.approx(4800 * 121 / 100)  # 5,808
    # the array form over years equals the one-year values, and the costing uses it
    assert c.benefit_level(ix, macro, [2025, 2026, 2027]).tolist() == pytest.approx([4800, 5280, 5808])
    assert c.annual_amount(48000.0, 4) == pytest.approx(16000)  # 4 months of an annual level
    with pytest.raises(ValueError, match="do not cover year 2030"):
        c.benefit_level_in_year(pl, macro, 2030)
    with pytest.raises(ValueError, match="base year"):
        c.benefit_level_in_year(replace(ix, base_year=2020), macro, 2026)


def test_group_membership_by_hand():
    age = np.array([0, 5, 6, 17, 65, 80, 40])
    sex = np.array(["male", "female", "female", None, "male", "female", "male"], dtype=object)
    assert c.in_age_sex_group(age, sex, 0, 5).tolist() == [True, True, False, False, False, False, False]
    assert c.in_age_sex_group(age, sex, 65).tolist() == [False] * 4 + [True, True, False]  # no upper bound
    assert c.in_age_sex_group(age, sex, 0, None, "female").tolist() == [False, True, True, False, False, True, False]
    assert c.in_age_sex_group(age, None, 6, 17).tolist() == [False, False, True, True, False, False, False]
    # profile {0: 1%, 5: 3%, 65: 5%} within ages 0+
    prof = {0: 0.01, 5: 0.03, 65: 0.05}
    assert c.age_profile_at(prof, age).tolist() == [0.01, 0.03, 0.03, 0.03, 0.05, 0.05, 0.03]
    assert c.group_membership(age, sex, 5, 70, "all", prof).tolist() == [0, 0.03, 0.03, 0.03, 0.05, 0, 0.03]
    assert c.age_profile_at({5: 0.2}, [0, 4, 5]).tolist() == [0, 0, 0.2]  # 0 below the first key
    # the population cells of the RAP engine use the same definition
    cols = pd.MultiIndex.from_arrays([["female", "male", "male"], [3, 3, 70]], names=["sex", "age"])
    assert c.group_weights(cols, 0, 5, "male").tolist() == [0, 1, 0]


def test_declared_targeting_and_consumption():
    sc = c.load_named_scenario("kp_medium")
    rules = {b.name: b.targeting_rule() for b in sc.benefits}
    assert rules == {"child_benefit": "universal", "social_pension": "universal", "disability_benefit": "disability",
                     "maternity_benefit": "births", "sehat_extension": "universal", "maternity_care": "births",
                     "employment_guarantee": "poor_household", "contribution_subsidy": "contributory_capacity"}
    assert {b.name for b in sc.benefits if not b.in_consumption()} == {"sehat_extension", "maternity_care",
                                                                       "contribution_subsidy"}
    for b in sc.benefits:
        assert b.sources["targeting"] and b.sources["adds_to_consumption"]
    # inherited by the other scenarios
    low = c.load_named_scenario("package_minimum")
    assert low.benefit("disability_benefit").targeting_rule() == "disability"
    # defaults when not declared: births for births-based, else universal; cash adds to consumption, health does not
    toy = c.load_scenario(SCEN / "toy_baseline.yaml")
    assert toy.benefit("maternity").targeting_rule() == "births" and toy.benefit("disability").targeting_rule() == "universal"
    assert toy.benefit("old_age_pension").in_consumption()
    assert not c.Benefit(name="h", kind="health", level_type="indexed", level_value=1, takeup=1).in_consumption()


def test_health_cannot_be_targeted_or_add_to_consumption(tmp_path):
    base = (SCEN / "toy_baseline.yaml").read_text()
    f = tmp_path / "h.yaml"
    for extra, key, frag in (
        ("    targeting: {rule: disability, rationale: test}\n", "targeting.rule", "health"),
        ("    adds_to_consumption: {value: true, rationale: test}\n", "adds_to_consumption.value", "in kind"),
    ):
        f.write_text(base.replace("  old_age_pension:\n", "  old_age_pension:\n    kind: {value: health, rationale: test}\n" + extra))
        with pytest.raises(c.ScenarioError, match=frag) as info:
            c.load_scenario(f)
        assert info.value.key == f"benefits.old_age_pension.{key}"


def test_forgone_earnings_and_prevalence_factors(tmp_path):
    """forgone_earnings: the household's net share 1 - f, validated; the RAP cost is unchanged (gross outlay).
    prevalence.factors: the prevalence is their product (checked against a stated value)."""
    base = (SCEN / "toy_baseline.yaml").read_text()
    f = tmp_path / "f.yaml"
    f.write_text(base.replace("  old_age_pension:\n", "  old_age_pension:\n    forgone_earnings: {value: 0.4, rationale: test}\n"))
    b = c.load_scenario(f).benefit("old_age_pension")
    assert b.forgone_earnings == 0.4 and b.net_share() == pytest.approx(0.6)
    assert c.load_scenario(SCEN / "toy_baseline.yaml").benefit("old_age_pension").net_share() == 1  # default: none
    for extra, frag in (
        ("    forgone_earnings: {value: 1.0, rationale: test}\n", r"outside \[0, 1\)"),
        ("    forgone_earnings: {value: 0.3, rationale: test}\n    adds_to_consumption: {value: false, rationale: test}\n",
         "adds to household consumption"),
    ):
        f.write_text(base.replace("  old_age_pension:\n", "  old_age_pension:\n" + extra))
        with pytest.raises(c.ScenarioError, match=frag) as info:
            c.load_scenario(f)
        assert info.value.key == "benefits.old_age_pension.forgone_earnings.value"
    # factors 0.5 x 0.4 x 0.25 = 0.05; a stated value must agree with the product
    fac = "    prevalence: {factors: {a: 0.5, b: 0.4, c: 0.25}, rationale: test}\n"
    f.write_text(base.replace("  old_age_pension:\n", "  old_age_pension:\n" + fac))
    b = c.load_scenario(f).benefit("old_age_pension")
    assert b.prevalence == pytest.approx(0.05) and b.prevalence_factors == {"a": 0.5, "b": 0.4, "c": 0.25}
    f.write_text(base.replace("  old_age_pension:\n", "  old_age_pension:\n" + fac.replace("factors:", "value: 0.06, factors:")))
    with pytest.raises(c.ScenarioError, match="not the product of its factors") as info:
        c.load_scenario(f)
    assert info.value.key == "benefits.old_age_pension.prevalence.value"


def test_kp_public_works_and_contribution_subsidy_inputs():
    """kp_medium: the employment guarantee's household gains half the wage (Jalan and Ravallion 2003), kp_low three
    quarters; the contribution subsidy's prevalence is 0.570 x 0.724 x 0.30 = 0.123804 of persons 18-59."""
    med, low, high = (c.load_named_scenario(n) for n in ("kp_medium", "kp_low", "kp_high"))
    assert med.benefit("employment_guarantee").net_share() == 0.5
    assert low.benefit("employment_guarantee").net_share() == 0.75
    assert high.benefit("employment_guarantee").net_share() == 0.5
    assert "Jalan" in med.benefit("employment_guarantee").sources["forgone_earnings"]
    cs = med.benefit("contribution_subsidy")
    assert cs.prevalence == pytest.approx(0.123804, abs=1e-12)
    assert cs.prevalence_factors == {"employed_share": 0.570, "informal_share": 0.724, "capacity_share": 0.30}
    assert low.benefit("contribution_subsidy").prevalence == pytest.approx(0.123804, abs=1e-12)
    # every other benefit gains in full
    assert all(b.net_share() == 1 for b in med.benefits if b.name != "employment_guarantee")


def test_nominal_level_by_hand(tmp_path):
    """A nominal level: Rs 1,000 a month = Rs 12,000 a year in every year, whatever the CPI; the indexed variant
    of the same amount rises with the CPI (12,000 x 110/100 = 13,200 in 2026, x 121/100 = 14,520 in 2027)."""
    macro = pd.DataFrame({"cpi": [100.0, 110.0, 121.0], "poverty_line": [40000.0, 44000.0, 48400.0]},
                         index=pd.Index([2025, 2026, 2027], name="year"))
    nom = c.Benefit(name="nom", level_type="nominal", level_value=12000, takeup=1.0)
    ix = c.Benefit(name="ix", level_type="indexed", level_value=12000, base_year=2025, takeup=1.0)
    assert c.benefit_level(nom, macro, [2025, 2026, 2027]).tolist() == [12000.0, 12000.0, 12000.0]
    assert c.benefit_level(ix, macro, [2025, 2026, 2027]).tolist() == pytest.approx([12000, 13200, 14520])
    assert c.benefit_level_in_year(nom, macro.drop(columns="cpi"), 2027) == 12000.0  # no CPI read
    # macro arrays with draws (the Monte Carlo): one row per draw, and a (draws, 1) level multiplier broadcasts
    draws = {"cpi": np.array([[100.0, 110.0, 121.0], [100.0, 105.0, 110.25]])}
    assert c.benefit_level(nom, draws, [2026, 2027], [2025, 2026, 2027]).tolist() == [[12000.0] * 2] * 2
    mult = replace(nom, level_value=12000 * np.array([[1.0], [0.5]]))
    assert c.benefit_level(mult, draws, [2026, 2027], [2025, 2026, 2027]).tolist() == [[12000.0] * 2, [6000.0] * 2]
    # the scenario file: type nominal, value in rupees a year, no base year (refused, naming file and key)
    base = (SCEN / "toy_baseline.yaml").read_text()
    old = "      type: poverty_line\n      value: 0.5\n"
    assert base.count(old) == 1
    f = tmp_path / "nominal.yaml"
    f.write_text(base.replace(old, "      type: nominal\n      value: 12000\n"))
    sc = c.load_scenario(f)
    b = sc.benefit("old_age_pension")
    assert (b.level_type, b.level_value, b.base_year) == ("nominal", 12000, None)
    pop = pd.DataFrame([{"year": y, "sex": s, "age": a, "population": 10.0}
                        for y in (2025, 2026, 2027) for s in ("male", "female") for a in range(101)])
    costs = c.cost_scenario(sc, pop, macro, births=pd.Series(5.0, index=[2025, 2026, 2027]))
    old_age = costs.query("benefit == 'old_age_pension'").set_index("year")
    # 36 ages 65-100 x 2 sexes x 10 persons = 720 eligible, take-up 0.8: 576 x 12,000 x 1.1 (admin 10%)
    assert old_age["benefit_level"].tolist() == [12000.0] * 3
    np.testing.assert_allclose(old_age["cost"], [576 * 12000 * 1.1] * 3, rtol=1e-12)
    f.write_text(base.replace(old, "      type: nominal\n      value: 12000\n      base_year: 2025\n"))
    with pytest.raises(c.ScenarioError, match="same rupees in every year") as info:
        c.load_scenario(f)
    assert info.value.key == "benefits.old_age_pension.level.base_year" and info.value.file.endswith("nominal.yaml")
    f.write_text(base.replace(old, "      type: nominal\n      value: -5\n"))
    with pytest.raises(c.ScenarioError, match="negative benefit level") as info:
        c.load_scenario(f)
    assert info.value.key == "benefits.old_age_pension.level.value"
