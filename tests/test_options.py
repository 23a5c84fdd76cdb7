"""Targeted variants and the phased roadmap (issue 12): the phased age of entry of the costing engine
(``eligible.age_min`` as a year path), hand-computed costs of the new scenarios for one year, the
roadmap's convergence to kp_medium after its last phase, the derivations of the scenario values from
the raw sources, and the survey rules of the targeted variants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from spf_analysis import microsim as ms
from spf_analysis.household import synth
from spf_analysis.model import costing as c
from spf_analysis.model import demography as d
from spf_analysis.model import macro, options

NEW = ("kp_medium_child_bisp", "kp_medium_pension_tested", "kp_medium_roadmap")


# ----------------------------------------------------------------------------- engine: phased age of entry


def _toy_population(years):
    """Every single age 0..80 of each sex holds (age + 1) persons in every year (80 = open age)."""
    rows = [{"year": y, "sex": s, "age": a, "population": float(a + 1)} for y in years for s in ("male", "female")
            for a in range(81)]
    return pd.DataFrame(rows)


def _scenario(tmp_path, age_min, extra=""):
    f = tmp_path / "s.yaml"
    f.write_text(f"""
name: s
horizon: {{start: 2025, end: 2030, rationale: test}}
benefits:
  pension:
    eligible: {{basis: population, age_min: {age_min}, sex: all, rationale: test}}
    takeup: {{value: 1.0, rationale: test}}
    level: {{type: indexed, value: 1200, base_year: 2025, rationale: test}}
    admin: {{rate: 0.0, convention: share_of_benefits, rationale: test}}
  disability:
    eligible: {{basis: population, age_min: 0, sex: all, rationale: test}}
    prevalence: {{value: 0.1, rationale: test}}
    takeup: {{value: 1.0, rationale: test}}
    level: {{type: indexed, value: 1200, base_year: 2025, rationale: test}}
    admin: {{rate: 0.0, convention: share_of_benefits, rationale: test}}
    exclusive_with: {{value: [pension], rationale: test}}
{extra}""")
    return c.load_scenario(f, max_age=80)


def test_phased_age_min_by_hand(tmp_path):
    sc = _scenario(tmp_path, "{2026: 75, 2028: 70}")
    years = list(sc.years)
    pop = _toy_population(years)
    demo = c.demographic_inputs(sc, pop)
    # persons aged a..80 of both sexes: 2 x sum_{x=a}^{80} (x + 1)
    above = lambda a: 2 * sum(x + 1 for x in range(a, 81))  # noqa: E731
    expected = [above(75), above(75), above(75), above(70), above(70), above(70)]  # 2025 takes the first value
    assert demo["base"]["pension"].tolist() == expected
    # the disability benefit yields to the pension within the pension's ages of each year
    assert demo["overlap"][("disability", "pension")].tolist() == expected
    assert c.age_min_in_year(sc.benefit("pension"), sc.years, 2027) == 75
    assert c.age_min_in_year(sc.benefit("pension"), sc.years, 2028) == 70
    assert c.age_min_range(sc.benefit("pension")) == (70, 75)
    cost = c.cost_scenario(sc, pop, pd.DataFrame({"cpi": 1.0}, index=range(2025, 2031)))
    r = cost[cost["benefit"] == "pension"].set_index("year")
    assert r.loc[2029, "cost"] == pytest.approx(above(70) * 1200)
    dis = cost[cost["benefit"] == "disability"].set_index("year")
    assert dis.loc[2026, "beneficiaries"] == pytest.approx(0.1 * (2 * sum(x + 1 for x in range(81)) - above(75)))


def test_constant_age_min_path_equals_the_integer(tmp_path):
    pop = _toy_population(range(2025, 2031))
    macro_ = pd.DataFrame({"cpi": 1.0}, index=range(2025, 2031))
    a = c.cost_scenario(_scenario(tmp_path, "{2025: 65}"), pop, macro_)
    b = c.cost_scenario(_scenario(tmp_path, "65"), pop, macro_)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("age_min,match", [
    ("{2024: 75}", r"age_min\[2024\]: year 2024 outside the horizon 2025-2030"),
    ("{2026: 70.5}", r"age_min\[2026\]: expected an integer"),
    ("{2026: 85}", r"age_min 85 outside the projection ages 0-80"),
    ("{x: 70}", r"year keys must be integers"),
    ("{}", r"empty year path"),
])
def test_phased_age_min_validated(tmp_path, age_min, match):
    with pytest.raises(c.ScenarioError, match=match):
        _scenario(tmp_path, age_min)


def test_phased_age_min_above_age_max_refused(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("""
name: s
horizon: {start: 2025, end: 2030, rationale: test}
benefits:
  child:
    eligible: {basis: population, age_min: {2026: 0, 2028: 6}, age_max: 5, sex: all, rationale: test}
    takeup: {value: 1.0, rationale: test}
    level: {type: indexed, value: 1, base_year: 2025, rationale: test}
    admin: {rate: 0.0, convention: share_of_benefits, rationale: test}
""")
    with pytest.raises(c.ScenarioError, match=r"child.eligible.age_max: age_max 5 outside the projection ages 6-80"):
        c.load_scenario(f, max_age=80)


# ----------------------------------------------------------------------------- the real scenarios


@pytest.fixture(scope="module")
def costed():
    rates = d.wpp_rates()
    cal = d.calibrate_kp(rates, tfr_scale=d.survey_tfr_ratio("2017-18")["ratio"])
    kp = d.project_kp(2035, tfr_scale=cal.tfr_scale, migration_rate=cal.migration_rate, rates=rates)
    mframe = macro.macro_frame(macro.macro_inputs(), 2035)
    res = c.cost_named_scenarios(("kp_medium",) + NEW, kp["population"], kp["births"], macro.costing_macro(mframe))
    return mframe, res, kp


def _row(res, name, benefit, year):
    return res[name].query("benefit == @benefit and year == @year").iloc[0]


def _persons(kp, year, lo, hi=None):
    p = kp["population"].query("year == @year").groupby("age")["population"].sum()
    return p.loc[lo:hi].sum()


def test_child_bisp_by_hand(costed):
    """2030: children 0-5 x 0.3688 (BISP families) x take-up 1 x 25% of the poverty line x 12/12 x 1.10."""
    mframe, res, kp = costed
    n = _persons(kp, 2030, 0, 5)
    r = _row(res, "kp_medium_child_bisp", "child_benefit", 2030)
    line = mframe.loc[2030, "poverty_line"]
    assert r["beneficiaries"] == pytest.approx(n * 0.3688, rel=1e-12)
    assert r["cost"] == pytest.approx(n * 0.3688 * 1.0 * 0.25 * line * 12 / 12 * 1.10, rel=1e-12)
    assert r["cost"] / _row(res, "kp_medium", "child_benefit", 2030)["cost"] == pytest.approx(0.3688)


def test_pension_tested_by_hand(costed):
    """2030: persons 65+ x 0.80 (without a pension) x take-up 1 x 75% of the poverty line x 1.10; the
    disability benefit then excludes only the pension's takers: 0.80 x kp_medium's exclusion."""
    mframe, res, kp = costed
    n = _persons(kp, 2030, 65)
    r = _row(res, "kp_medium_pension_tested", "social_pension", 2030)
    assert r["cost"] == pytest.approx(n * 0.80 * 1.0 * 0.75 * mframe.loc[2030, "poverty_line"] * 1.10, rel=1e-12)
    dis_t = _row(res, "kp_medium_pension_tested", "disability_benefit", 2030)
    dis_u = _row(res, "kp_medium", "disability_benefit", 2030)
    assert dis_t["excluded"] == pytest.approx(0.80 * dis_u["excluded"], rel=1e-12)
    assert dis_t["cost"] > dis_u["cost"]


def test_roadmap_phases_by_hand(costed):
    """Phase 1 (2026): child benefit in the merged districts (0.1634 of children 0-5) at take-up 60%, pension 75+;
    phase 2 (2028): all of KP, pension 70+; phase 3 (2030): pension 65+."""
    mframe, res, kp = costed
    line = lambda y: mframe.loc[y, "poverty_line"]  # noqa: E731
    ch = _row(res, "kp_medium_roadmap", "child_benefit", 2026)
    assert ch["cost"] == pytest.approx(_persons(kp, 2026, 0, 5) * 0.1634 * 0.6 * 0.25 * line(2026) * 1.10, rel=1e-12)
    for year, age, takeup in ((2026, 75, 0.6), (2027, 75, 0.9), (2028, 70, 1.0), (2029, 70, 1.0), (2030, 65, 1.0)):
        p = _row(res, "kp_medium_roadmap", "social_pension", year)
        assert p["eligible"] == pytest.approx(_persons(kp, year, age), rel=1e-12), year
        assert p["cost"] == pytest.approx(_persons(kp, year, age) * takeup * 0.75 * line(year) * 1.10, rel=1e-12), year
    mat = _row(res, "kp_medium_roadmap", "maternity_benefit", 2027)
    assert mat["eligible"] == pytest.approx(kp["births"].loc[2027] * 0.1634, rel=1e-12)


def test_roadmap_converges_to_kp_medium(costed):
    _, res, _ = costed
    road, med = res["kp_medium_roadmap"], res["kp_medium"]
    after = lambda df: df[df["year"] >= 2030].drop(columns=[k for k in df.columns if k.startswith("cost_pct")])  # noqa: E731
    pd.testing.assert_frame_equal(after(road).reset_index(drop=True), after(med).reset_index(drop=True))
    before = road[(road["benefit"] == "package") & road["year"].between(2026, 2029)]["cost"].to_numpy()
    full = med[(med["benefit"] == "package") & med["year"].between(2026, 2029)]["cost"].to_numpy()
    assert (before < full).all()


# ----------------------------------------------------------------------------- derivations from the sources


def _file_value(name, benefit, field):
    spec = yaml.safe_load((c.scenario_dir() / f"{name}.yaml").read_text())
    return spec["benefits"][benefit][field]["value"]


def test_bisp_child_share_by_hand():
    """1.9 million families (F010) / (40,856,097 / household size of census 2017 KP 7.83 and ex-FATA 8.60)."""
    hs = (30_508_920 + 4_993_044) / (30_508_920 / 7.83 + 4_993_044 / 8.60)
    assert options.household_size_2017() == pytest.approx(hs, rel=1e-12)
    b = options.bisp_child_share()
    assert b.share == pytest.approx(1.9e6 / (40_856_097 / hs), rel=1e-12)
    assert round(b.share, 4) == _file_value("kp_medium_child_bisp", "child_benefit", "prevalence") == 0.3688


def test_pension_test_share_from_the_source():
    assert options.pension_coverage() == pytest.approx(3 / 15)  # HelpAge: 3 of 15 million older persons
    assert round(options.pension_test_share(), 4) == _file_value("kp_medium_pension_tested", "social_pension", "prevalence")


def test_merged_districts_share_in_the_roadmap():
    s = options.merged_districts_share("00-04")
    assert 0.12 < s < 0.20  # about 6 million of 41 million people, a young population
    for b in ("child_benefit", "maternity_benefit"):
        path = _file_value("kp_medium_roadmap", b, "prevalence")
        assert path[2026] == round(s, 4) and path[2028] == 1.0


# ----------------------------------------------------------------------------- survey rules


@pytest.fixture(scope="module")
def frame():
    h, p = synth.generate()
    return ms.person_frame(h, p)


@pytest.fixture(scope="module")
def mframe():
    return macro.macro_frame(macro.macro_inputs(), 2035)


def test_survey_rules_of_the_targeted_variants(frame, mframe):
    rs = ms.build_rules("kp_medium_child_bisp", 2030, mframe, frame)
    r = rs.rule("child_benefit")
    assert r.target == "bisp_household" and r.rap_prevalence == 0.3688
    sim = ms.simulate(frame, rs)
    bisp = frame["rec_bisp"].to_numpy(float) == 1
    kids = frame["age"].between(0, 5).to_numpy()
    assert np.array_equal(sim["e_child_benefit"].to_numpy() == 1, kids & bisp)
    w = frame["weights"].to_numpy(float)
    assert r.survey_prevalence == pytest.approx(w[kids & bisp].sum() / w[kids].sum())

    rs = ms.build_rules("kp_medium_pension_tested", 2030, mframe, frame)
    sim = ms.simulate(frame, rs)
    old = frame["age"].to_numpy() >= 65
    pens = (frame["rec_pension_civil"].to_numpy(float) == 1) | (frame["rec_pension_eobi"].to_numpy(float) == 1)
    assert pens[old].any()
    assert np.array_equal(sim["e_social_pension"].to_numpy() == 1, old & ~pens)


def test_survey_rules_of_the_roadmap_follow_the_phase(frame, mframe):
    assert ms.build_rules("kp_medium_roadmap", 2028, mframe, frame).rule("social_pension").age_min == 70
    assert ms.build_rules("kp_medium_roadmap", 2030, mframe, frame).rule("social_pension").age_min == 65
    with pytest.raises(c.ScenarioError, match="prevalence 0.1634 < 1"):  # merged districts only: no survey rule
        ms.build_rules("kp_medium_roadmap", 2026, mframe, frame)


# ----------------------------------------------------------------------------- tables of chapter 4


def test_compare_targeted_savings_are_the_untargeted_shares(costed):
    """Same level, take-up and ages: the saving on the benefit is 1 - prevalence (63.12% and 20%), and the cost
    per beneficiary is unchanged."""
    _, res, _ = costed
    ref = c.load_named_scenario("kp_medium")
    vs = [c.load_named_scenario(n) for n in NEW[:2]]
    t = options.compare_targeted(res, ref, vs, 2030)
    assert t["option"].tolist() == ["Child benefit 0-5, universal", "Child benefit 0-5, children of BISP families only",
                                    "Social pension 65+, universal",
                                    "Social pension 65+, only those without a contributory or civil-service pension"]
    assert t["saving_pct"].tolist() == pytest.approx([0, 100 * (1 - 0.3688), 0, 20.0])
    assert t["cost_per_beneficiary"].iloc[0] == pytest.approx(t["cost_per_beneficiary"].iloc[1])


def test_roadmap_path_phases(costed):
    _, res, _ = costed
    rm = c.load_named_scenario("kp_medium_roadmap")
    assert options.phase_years(rm) == [2026, 2028, 2030]
    p = options.roadmap_path(res, rm, c.load_named_scenario("kp_medium")).set_index("year")
    assert p.loc[2026:2035, "phase"].tolist() == [1, 1, 2, 2, 3, 3, 3, 3, 3, 3]
    assert p.loc[[2026, 2028, 2030], "social_pension_ages"].tolist() == ["75+", "70+", "65+"]
    assert p.loc[2027, "child_benefit_share"] == pytest.approx(16.34)
    assert (p.loc[2030:, "share_of_full"] == 100).all() and (p.loc[2026:2029, "share_of_full"] < 100).all()
