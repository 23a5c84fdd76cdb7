"""Microsimulation of the SPF options (spf_analysis.microsim): hand-computed households, caseload alignment,
RAP reconciliation (aligned and not), Dask == pandas, contributory capacity."""

import numpy as np
import pandas as pd
import pytest

from spf_analysis.model import costing
from spf_analysis import microsim as ms
from spf_analysis.household import synth
from spf_analysis.stats.poverty import fgt
from toy_survey import TOY_CHILD_PENSION, Z, person

TOY_SCENARIO = TOY_CHILD_PENSION + """  disability_benefit:
    eligible: {basis: population, age_min: 0, sex: all, rationale: test}
    age_profile: {value: {0: 0.5}, rationale: "test: above the survey rate, so every disabled person is eligible"}
    targeting: {rule: disability, rationale: test}
    takeup: {value: 1.0, rationale: test}
    level: {type: poverty_line, value: 1.0, rationale: test}
    admin: {rate: 0.0, convention: share_of_benefits, rationale: test}
    exclusive_with: {value: [social_pension], rationale: test}
"""


def _person(hh, idc, age, *, psu=1, **kw):
    return person(hh, idc, age, psu=psu, **kw)


@pytest.fixture()
def toy(tmp_path):
    f = tmp_path / "toy.yaml"
    f.write_text(TOY_SCENARIO)
    scen = costing.load_scenario(f)
    # the poverty line of 2030 is twice the 2013-14 line: D[2030] = 2
    macro = pd.DataFrame({"poverty_line": [12 * Z * 2], "minimum_wage": [12 * 30000.0], "cpi": [1.0]},
                         index=pd.Index([2030], name="year"))
    # household 1 (5 members, 4.8 adult equivalents, Rs 2,000 per AE a month): child 3, elder 67,
    # disabled adult 40, two adults; household 2 (2 adults, Rs 1,500): nobody eligible.
    rows = [
        _person(1, 1, 38, w=10, ae=4.8, cons=2000),
        _person(1, 2, 35, w=10, ae=4.8, cons=2000, sex="female"),
        _person(1, 3, 3, w=10, ae=4.8, cons=2000),
        _person(1, 4, 67, w=10, ae=4.8, cons=2000, sex="female"),
        _person(1, 5, 40, w=10, ae=4.8, cons=2000, disability=1),
        _person(2, 1, 30, w=20, ae=2.0, cons=1500, psu=2),
        _person(2, 2, 28, w=20, ae=2.0, cons=1500, sex="female", psu=2),
    ]
    frame = pd.DataFrame(rows)
    return scen, macro, frame


def test_hand_computed_household(toy):
    scen, macro, frame = toy
    rs = ms.build_rules(scen, 2030, macro, frame)
    assert rs.deflator == pytest.approx(2.0)
    sim = ms.simulate(frame, rs)
    # monthly benefits in 2013-14 prices: alpha x 3,030.32 (the year-2030 level deflated by D = 2)
    child, pension, disab = 0.25 * Z, 0.5 * Z, 1.0 * Z
    assert sim["b_child_benefit"].tolist() == pytest.approx([0, 0, 757.58, 0, 0, 0, 0])
    assert sim["b_social_pension"].tolist() == pytest.approx([0, 0, 0, 1515.16, 0, 0, 0])
    assert sim["b_disability_benefit"].tolist() == pytest.approx([0, 0, 0, 0, 3030.32, 0, 0])
    # household 1: 2,000 + (757.58 + 1,515.16 + 3,030.32) / 4.8 = 2,000 + 1,104.8042 = 3,104.8042 (> line)
    assert sim["y_post"].iloc[0] == pytest.approx(2000 + (child + pension + disab) / 4.8)
    assert sim["y_post"].iloc[0] == pytest.approx(3104.804167, abs=1e-6)
    assert sim["y_post"].iloc[5] == 1500
    assert sim["ben_new"].tolist() == [1, 1, 1, 1, 1, 0, 0]
    # FGT by hand: 50 persons at 2,000 and 40 at 1,500 are poor before; after, only the 40
    w = sim["weights"]
    assert fgt(sim["cons_pae"], Z, 0, w) == pytest.approx(1.0)
    assert fgt(sim["cons_pae"], Z, 1, w) == pytest.approx((50 * 1030.32 / Z + 40 * 1530.32 / Z) / 90)
    assert fgt(sim["y_post"], Z, 0, w) == pytest.approx(40 / 90)
    assert fgt(sim["y_post"], Z, 1, w) == pytest.approx(40 * 1530.32 / Z / 90)
    sums = ms.combine_sums(ms.partition_sums(sim, rs)).iloc[0]
    assert sums["poor_post"] == pytest.approx(40 / 90)
    assert sums["gap_post"] == pytest.approx(40 * 1530.32 / Z / 90)
    # cost in 2030 rupees: weight 10 x benefit x 12 months x D x (1 + admin)
    costs = ms.survey_costs(ms.partition_sums(sim, rs), rs).set_index("benefit")["cost"]
    assert costs["child_benefit"] == pytest.approx(10 * 757.58 * 12 * 2 * 1.10)
    assert costs["social_pension"] == pytest.approx(10 * 1515.16 * 12 * 2)
    assert costs["package"] == pytest.approx(10 * 12 * 2 * (757.58 * 1.1 + 1515.16 + 3030.32))
    # benefit-cost ratio: gap closed / transferred, per adult equivalent: household 1 closes its 1,030.32
    bcr = (50 * 1030.32) / (50 * (child + pension + disab) / 4.8)
    assert sums["benefit_cost_ratio"] == pytest.approx(bcr)


def test_exclusive_with_elder_disabled(toy):
    scen, macro, frame = toy
    frame.loc[3, "disability"] = 1.0  # the elder (67) is also disabled: pension only
    sim = ms.simulate(frame, ms.build_rules(scen, 2030, macro, frame))
    assert sim.loc[3, "b_social_pension"] == pytest.approx(0.5 * Z)
    assert sim.loc[3, "b_disability_benefit"] == 0
    assert sim.loc[3, "e_disability_benefit"] == 1


def test_rules_need_a_targeting_rule(tmp_path, toy):
    _, macro, frame = toy
    f = tmp_path / "t.yaml"
    body = TOY_SCENARIO.replace("  child_benefit:\n", "  new_targeted:\n    prevalence: {value: 0.2, rationale: test}\n", 1)
    f.write_text(body)
    scen = costing.load_scenario(f)
    # a prevalence below 1 with the default (universal) targeting has no survey rule: the file and key are named
    with pytest.raises(costing.ScenarioError, match="no survey targeting rule") as info:
        ms.build_rules(scen, 2030, macro, frame)
    assert info.value.file == str(f) and info.value.key == "benefits.new_targeted.targeting"
    # so has an age profile (the disability benefit without its declared rule)
    f.write_text(TOY_SCENARIO.replace("    targeting: {rule: disability, rationale: test}\n", ""))
    with pytest.raises(costing.ScenarioError, match="age profile") as info:
        ms.build_rules(costing.load_scenario(f), 2030, macro, frame)
    assert info.value.key == "benefits.disability_benefit.targeting"
    # targeting is declared, not read from the name: the same benefit renamed keeps its rule
    f.write_text(TOY_SCENARIO.replace("disability_benefit:", "severe_disability_allowance:"))
    rs = ms.build_rules(costing.load_scenario(f), 2030, macro, frame)
    assert rs.rule("severe_disability_allowance").target == "disability"


def test_uniform_hash_is_a_row_function():
    hh = np.arange(1000, 2000)
    u = ms.uniform_hash(hh, np.ones_like(hh), 7)
    perm = np.random.default_rng(0).permutation(len(hh))
    assert np.array_equal(ms.uniform_hash(hh[perm], np.ones_like(hh), 7), u[perm])
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.03
    assert not np.array_equal(ms.uniform_hash(hh, np.ones_like(hh), 8), u)


@pytest.fixture(scope="module")
def survey_frame():
    h, p = synth.generate()
    return ms.person_frame(h, p)


@pytest.fixture(scope="module")
def rap():
    from spf_analysis.model import pipeline

    m = pipeline.compute()  # the model run, as make model writes it
    return m.results(["kp_medium"]), m.population, m.births, m.macro_frame


def test_reconciliation_with_rap(survey_frame, rap):
    res, pop, births, mframe = rap
    rs = ms.build_rules("kp_medium", 2030, mframe, survey_frame, alignment="none")
    costs = ms.survey_costs(ms.partition_sums(ms.simulate(survey_frame, rs), rs), rs)
    rec = ms.reconcile(costs, res["kp_medium"], rs, survey_frame, pop, births, tolerance=0.02).set_index("benefit")
    # same rules, same prices, same take-up (1.0 in 2030): after the demographic adjustment the
    # age-based benefits and the per-capita health extension agree with the RAP
    for b in ("child_benefit", "social_pension", "maternity_benefit", "sehat_extension"):
        assert rec.loc[b, "within_tolerance"], (b, rec.loc[b, "rel_diff"])
        assert abs(rec.loc[b, "rel_diff"]) < 1e-9
    # ... but not before it (census 2023 age structure vs the projection of 2030)
    assert abs(rec.loc["social_pension", "raw_rel_diff"]) > 0.1
    # the survey prices re-inflated give the RAP benefit level exactly: child 25% of the 2030 line
    pl = mframe.loc[2030, "poverty_line"]
    assert rs.rule("child_benefit").monthly * 12 * rs.deflator == pytest.approx(0.25 * pl)
    # without alignment the definitional differences are flagged, not hidden
    assert not rec.loc["contribution_subsidy", "within_tolerance"]
    assert not rec.loc["employment_guarantee", "within_tolerance"]
    assert "Definition" in rec.loc["contribution_subsidy", "explanation"]
    assert (rec.loc[["employment_guarantee", "contribution_subsidy"], "alignment"] == "none").all()
    # the unaligned rule is today's rule: PMT score strictly below the poverty-headcount cut-off
    eg = rs.rule("employment_guarantee")
    assert not eg.aligned and np.isnan(eg.cutoff)
    assert rec.loc["employment_guarantee", "eligible"] / ms.survey_group_population(survey_frame, eg) == pytest.approx(eg.survey_prevalence)


def test_aligned_reconciliation_with_rap(survey_frame, rap):
    """alignment="rap": the targeted caseloads equal the RAP's eligible persons on the survey base, and the cost
    reconciles within 5% (what remains: take-up sampling); the survey's own prevalence is still reported."""
    res, pop, births, mframe = rap
    rs = ms.build_rules("kp_medium", 2030, mframe, survey_frame)  # default alignment "rap"
    rs_none = ms.build_rules("kp_medium", 2030, mframe, survey_frame, alignment="none")
    costs = ms.survey_costs(ms.partition_sums(ms.simulate(survey_frame, rs), rs), rs)
    rec = ms.reconcile(costs, res["kp_medium"], rs, survey_frame, pop, births, tolerance=0.05).set_index("benefit")
    sc = costing.load_named_scenario("kp_medium")
    for b in ("employment_guarantee", "contribution_subsidy"):
        r = rs.rule(b)
        assert r.aligned and rec.loc[b, "alignment"] == "rap"
        assert r.rap_prevalence == pytest.approx(float(sc.benefit(b).prevalence))
        # survey caseload = prevalence x survey persons 18-59, up to the weight of the last unit selected
        target = r.rap_prevalence * ms.survey_group_population(survey_frame, r)
        assert rec.loc[b, "eligible"] >= target
        assert rec.loc[b, "eligible"] - target < survey_frame["weights"].max()
        # after the demographic factor that is the RAP's eligible count of the year
        assert rec.loc[b, "eligible"] * rec.loc[b, "demographic_factor"] == pytest.approx(rec.loc[b, "rap_eligible"], rel=1e-3)
        assert rec.loc[b, "within_tolerance"], (b, rec.loc[b, "rel_diff"])
        assert "Aligned" in rec.loc[b, "explanation"]
        # the survey's own prevalence is the unaligned rule's, and it differs from the RAP assumption
        assert r.survey_prevalence == pytest.approx(rs_none.rule(b).survey_prevalence)
        assert rec.loc[b, "survey_prevalence"] == pytest.approx(r.survey_prevalence)
        assert rec.loc[b, "rap_prevalence"] == pytest.approx(r.rap_prevalence)
        assert abs(rec.loc[b, "prevalence_ratio"] - 1) > 0.05
    # selection order: the aligned PMT cut-off lies above the unaligned one (more households), and the aligned
    # earnings cut-off below the capacity threshold (more workers), because the survey prevalence is below the RAP's
    assert rs.rule("employment_guarantee").cutoff >= rs_none.pmt_cut
    assert rs.rule("contribution_subsidy").cutoff < rs.capacity_threshold
    # universal benefits are untouched by alignment
    assert "alignment" in rec.columns and rec.loc["child_benefit", "alignment"] == ""
    with pytest.raises(ValueError, match="alignment"):
        ms.build_rules("kp_medium", 2030, mframe, survey_frame, alignment="admin")


def test_caseload_cutoff_by_hand():
    # scores 0.1, 0.3, 0.2, 0.5 with weights 10, 20, 30, 40 (total 100); sorted: 0.1 (10), 0.2 (40), 0.3 (60), 0.5 (100)
    score, w = np.array([0.1, 0.3, 0.2, 0.5]), np.array([10.0, 20, 30, 40])
    assert ms.caseload_cutoff(score, w, 35) == (0.2, 40.0)    # first cumulative weight >= 35 is 40 at 0.2
    assert ms.caseload_cutoff(score, w, 45) == (0.3, 60.0)
    assert ms.caseload_cutoff(score, w, 100) == (0.5, 100.0)
    assert ms.caseload_cutoff(score, w, 500) == (0.5, 100.0)  # short of the target: everyone
    assert ms.caseload_cutoff(score, w, 0) == (-np.inf, 0.0)
    assert ms.caseload_cutoff(np.array([np.nan, 0.4]), np.array([5.0, 7.0]), 6) == (0.4, 7.0)  # NaN never a candidate


ALIGN_SCENARIO = """
name: toy_aligned
horizon: {start: 2029, end: 2031, rationale: test}
benefits:
  employment_guarantee:
    eligible: {basis: population, age_min: 18, age_max: 59, sex: all, rationale: test}
    prevalence: {value: 0.25, rationale: test}
    targeting: {rule: poor_household, rationale: test}
    takeup: {value: 1.0, rationale: test}
    level: {type: poverty_line, value: 1.0, rationale: test}
    admin: {rate: 0.0, convention: share_of_benefits, rationale: test}
  contribution_subsidy:
    eligible: {basis: population, age_min: 18, age_max: 59, sex: all, rationale: test}
    prevalence: {value: 0.2, rationale: test}
    targeting: {rule: contributory_capacity, rationale: test}
    adds_to_consumption: {value: false, rationale: test}
    takeup: {value: 1.0, rationale: test}
    level: {type: minimum_wage, value: 0.06, rationale: test}
    admin: {rate: 0.0, convention: share_of_benefits, rationale: test}
"""


def test_alignment_by_hand(tmp_path, toy):
    _, macro, _ = toy
    f = tmp_path / "a.yaml"
    f.write_text(ALIGN_SCENARIO)
    scen = costing.load_scenario(f)
    # five households, two adults 18-59 each (plus a child in household 3 and an elder alone in household 6):
    #   hh  weight  PMT    adults 18-59
    #   1   10      -1.0   2
    #   2   20      -0.5   2
    #   3   30       0.0   2 (+ child aged 4)
    #   4   25       0.5   2
    #   5   15       1.0   2
    #   6   50      -2.0   0 (one person aged 70: the lowest score, but no adult to employ)
    # persons 18-59, weighted: 2 x (10 + 20 + 30 + 25 + 15) = 200; RAP caseload = 0.25 x 200 = 50 participants.
    # Candidates (one adult per household with an adult): cumulative weights by ascending PMT score:
    # -1.0: 10, -0.5: 30, 0.0: 60 >= 50 -> cut-off 0.0; households 1, 2, 3 selected (60, the last one overshoots by 10).
    pmt = {1: -1.0, 2: -0.5, 3: 0.0, 4: 0.5, 5: 1.0, 6: -2.0}
    wt = {1: 10, 2: 20, 3: 30, 4: 25, 5: 15, 6: 50}
    # workers: the first adult of each household is employed and uncovered with earnings (Rs a month, survey prices)
    earn = {1: 5000.0, 2: 40000.0, 3: 0.0, 4: 90000.0, 5: 25000.0}
    rows = []
    for h in range(1, 7):
        ages = [70] if h == 6 else [40, 35] + ([4] if h == 3 else [])
        for i, a in enumerate(ages, start=1):
            r = _person(h, i, a, w=wt[h], ae=2.0, cons=2000, psu=h)
            r["pmt_score"] = pmt[h]
            if h != 6 and i == 1:
                r.update(labour_status="employed", formal=0.0, earnings_month=earn[h])
            rows.append(r)
    frame = pd.DataFrame(rows)
    rs = ms.build_rules(scen, 2030, macro, frame)
    eg, cs = rs.rule("employment_guarantee"), rs.rule("contribution_subsidy")
    assert eg.aligned and eg.cutoff == 0.0
    sim = ms.simulate(frame, rs)
    part = sim.loc[sim["e_employment_guarantee"] == 1, ["hhcode", "idc"]].values.tolist()
    assert part == [[1, 1], [2, 1], [3, 1]]  # one adult (the lowest member number) per selected household
    # contribution subsidy: caseload 0.2 x 200 = 40. Uncovered workers with earnings > 0 by descending earnings:
    # 90,000 (25), 40,000 (20) -> 45 >= 40: cut-off Rs 40,000; household 3's worker earns 0 and is never a candidate.
    assert cs.aligned and cs.cutoff == 40000.0
    assert sim.loc[sim["e_contribution_subsidy"] == 1, "hhcode"].tolist() == [2, 4]
    sums = ms.partition_sums(sim, rs).iloc[0]
    assert sums["e_employment_guarantee"] == 60 and sums["e_contribution_subsidy"] == 45
    # the survey's own rules: the capacity threshold is the 2030 minimum wage deflated, 12 x 30,000 / 12 / 2 = 15,000 a
    # month, so the workers earning 40,000, 90,000 and 25,000 qualify: (20 + 25 + 15) / 200 = 30%
    assert rs.capacity_threshold == pytest.approx(15000)
    assert cs.survey_prevalence == pytest.approx(60 / 200) and cs.rap_prevalence == pytest.approx(0.2)
    # ... and PMT-poor households are those below the weighted quantile of the PMT score at the survey headcount:
    # everyone is poor here (2,000 < line), headcount 100%, so the cut-off is the largest score (1.0) and the strict rule
    # "score < cut-off" keeps households 1-4: (10 + 20 + 30 + 25) / 200
    assert rs.pmt_cut == 1.0
    assert eg.survey_prevalence == pytest.approx(85 / 200)
    # alignment "none": today's rules
    rs0 = ms.build_rules(scen, 2030, macro, frame, alignment="none")
    sim0 = ms.simulate(frame, rs0)
    assert sim0.loc[sim0["e_contribution_subsidy"] == 1, "hhcode"].tolist() == [2, 4, 5]
    assert not rs0.rule("employment_guarantee").aligned


def test_takeup_draws_match_the_rate(survey_frame, rap):
    _, _, _, mframe = rap
    rs = ms.build_rules("kp_medium", 2026, mframe, survey_frame)  # take-up 60% (child, pension)
    sim = ms.simulate(survey_frame, rs)
    s = ms.partition_sums(sim, rs).iloc[0]
    for b in ("child_benefit", "social_pension"):
        assert s[f"n_{b}"] / s[f"e_{b}"] == pytest.approx(0.6, abs=0.03)


@pytest.mark.parametrize("alignment", ["rap", "none"])
def test_dask_equals_pandas(survey_frame, rap, alignment):
    distributed = pytest.importorskip("distributed")
    _, _, _, mframe = rap
    rs = ms.build_rules("kp_medium", 2027, mframe, survey_frame, alignment=alignment)
    assert rs.rule("employment_guarantee").aligned == (alignment == "rap")
    ref_sums = ms.partition_sums(ms.simulate(survey_frame, rs), rs, ["quintile", "sex"])
    ref_sim = ms.simulate(survey_frame, rs)
    shuffled = survey_frame.sample(frac=1, random_state=3)
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None) as cl, \
            distributed.Client(cl):
        ddf = ms.to_dask(shuffled, 5)
        assert ddf.npartitions == 5
        got = ms.sums_dask(ddf, rs, ["quintile", "sex"])
        sim = ms.simulate_dask(ddf, rs).compute()
    pd.testing.assert_frame_equal(got.sort_index(), ref_sums.sort_index(), check_exact=False, rtol=1e-12)
    sim = sim.sort_values(["hhcode", "idc"]).reset_index(drop=True)
    for c in ("y_post", "cash_pae", "ben_new", "quintile", "b_employment_guarantee", "b_disability_benefit",
              "e_employment_guarantee", "e_contribution_subsidy"):
        np.testing.assert_allclose(sim[c].to_numpy(float), ref_sim[c].to_numpy(float), rtol=1e-12)
    assert ref_sim["r_employment_guarantee"].sum() > 0


def test_contributory_capacity_toy():
    rows = [  # labour_status, formal, earnings, sector, type, weight
        ("employed", 1, 20000, "services", "employee", 10),     # covered
        ("employed", 0, 15000, "services", "employee", 10),     # capacity
        ("employed", 0, 12000, "industry", "self-employed", 5),  # capacity (at the threshold)
        ("employed", 0, 8000, "industry", "self-employed", 5),   # below the threshold
        ("employed", 0, 0, "agriculture", "unpaid family worker", 20),
        ("inactive", None, None, None, None, 30),
    ]
    df = pd.DataFrame(rows, columns=["labour_status", "formal", "earnings_month", "sector", "employment_type", "weights"])
    df["formal"] = df["formal"].astype(float)
    df["earnings_month"] = df["earnings_month"].astype(float)
    df["age"] = 30
    df["stratum"], df["psu"] = 1, [1, 1, 2, 2, 3, 3]
    f = ms.capacity_flags(df, 12000)
    assert f["capacity"].tolist() == [0, 1, 1, 0, 0, 0]
    assert f["uncovered"].tolist() == [0, 1, 1, 1, 1, 0]
    out = ms.contributory_capacity(df, 12000, {"essi": 0.06, "eobi": 0.06}, base_monthly=10000,
                                   by=("sector",), age_min=15, age_max=64)
    tot = out[out["sector"] == "all"].iloc[0]
    assert tot["worker"] == 50 and tot["uncovered"] == 40 and tot["capacity"] == 15
    assert tot["capacity_share_of_uncovered"] == pytest.approx(15 / 40)
    assert tot["contrib_essi"] == pytest.approx(15 * 0.06 * 10000 * 12)
    ind = out[out["sector"] == "industry"].iloc[0]
    assert ind["capacity"] == 5 and ind["capacity_share_of_uncovered"] == pytest.approx(0.5)
    assert "not employed" not in set(out["sector"])
    # by default the working ages of WORKING_AGE (15-64, both counted): the capacity rows aged 14, 15, 64, 65
    assert ms.WORKING_AGE == (15, 64)
    df["age"] = [30, 14, 15, 64, 65, 30]
    tot = ms.contributory_capacity(df, 12000, {"essi": 0.06}, base_monthly=10000, by=("sector",))
    tot = tot[tot["sector"] == "all"].iloc[0]
    assert tot["worker"] == 10 + 5 + 5 and tot["capacity"] == 5  # the 15-year-old only (the 14-year-old is out)


def test_contribution_rates_are_sourced():
    r = ms.contribution_rates().set_index("scheme")
    assert r.loc["ESSI", "rate"] == pytest.approx(0.06)
    assert r.loc["EOBI", "rate"] == pytest.approx(780 / 13000)
    assert r["source"].str.len().min() > 20


SCEN_DIR = __import__("pathlib").Path(__file__).resolve().parent / "data" / "scenarios"


def test_renamed_employment_guarantee_gives_the_same_result(tmp_path, survey_frame, rap):
    """Targeting and consumption are declared in the scenario, not keyed on names: the toy scenario with its
    employment guarantee renamed ``public_works`` simulates the same persons, amounts, welfare and costs."""
    _, _, _, mframe = rap
    src = SCEN_DIR / "toy_microsim.yaml"
    renamed = tmp_path / "toy_public_works.yaml"
    renamed.write_text(src.read_text().replace("  employment_guarantee:\n", "  public_works:\n"))
    out = {}
    for key, f in (("orig", src), ("renamed", renamed)):
        rs = ms.build_rules(costing.load_scenario(f), 2030, mframe, survey_frame)
        sim = ms.simulate(survey_frame, rs)
        out[key] = (rs, sim, ms.survey_costs(ms.partition_sums(sim, rs), rs).set_index("benefit"))
    (rs0, sim0, c0), (rs1, sim1, c1) = out["orig"], out["renamed"]
    r0, r1 = rs0.rule("employment_guarantee"), rs1.rule("public_works")
    assert r1.target == "poor_household" and r1.aligned and r1.cutoff == r0.cutoff
    assert r1.survey_prevalence == r0.survey_prevalence and r1.monthly == r0.monthly
    assert not rs1.rule("contribution_subsidy").to_welfare  # declared, not the name
    for col in ("e_", "r_", "b_"):
        np.testing.assert_array_equal(sim1[f"{col}public_works"].to_numpy(), sim0[f"{col}employment_guarantee"].to_numpy())
    for col in ("cash_pae", "y_post", "ben_new", "quintile"):
        np.testing.assert_array_equal(sim1[col].to_numpy(), sim0[col].to_numpy())
    assert sim0["r_employment_guarantee"].sum() > 0
    c1 = c1.rename(index={"public_works": "employment_guarantee"})
    pd.testing.assert_frame_equal(c1.sort_index(), c0.sort_index())
    # ... and the same poverty impact
    i0, i1 = ms.impact(sim0, rs0), ms.impact(sim1, rs1)
    pd.testing.assert_frame_equal(i0.drop(columns="scenario"), i1.drop(columns="scenario"))


def test_rules_use_the_costing_per_year_functions(survey_frame, rap):
    """Each rule's level, take-up, prevalence and mark-up are the costing's values of the year."""
    res, _, _, mframe = rap
    sc = costing.load_named_scenario("kp_medium")
    rs = ms.build_rules(sc, 2026, mframe, survey_frame)
    rap26 = res["kp_medium"].query("year == 2026").set_index("benefit")
    for b in sc.benefits:
        r = rs.rule(b.name)
        assert r.takeup == costing.takeup_in_year(b, sc.years, 2026)
        assert r.level_year == pytest.approx(rap26.loc[b.name, "benefit_level"] * b.months / 12, rel=1e-12)
        assert r.monthly * 12 * rs.deflator == pytest.approx(r.level_year, rel=1e-12)
        assert r.markup == b.markup()
        assert r.to_welfare == b.in_consumption()
    assert rs.rule("employment_guarantee").rap_prevalence == costing.prevalence_in_year(sc.benefit("employment_guarantee"), sc.years, 2026)


PW_SCENARIO = """
name: toy_pw
horizon: {start: 2029, end: 2031, rationale: test}
benefits:
  employment_guarantee:
    eligible: {basis: population, age_min: 18, age_max: 59, sex: all, rationale: test}
    prevalence: {value: 0.25, rationale: test}
    targeting: {rule: poor_household, rationale: test}
    forgone_earnings: {value: 0.5, rationale: test}
    takeup: {value: 1.0, rationale: test}
    level: {type: poverty_line, value: 1.0, rationale: test}
    admin: {rate: 0.0, convention: share_of_benefits, rationale: test}
"""


def test_public_works_net_of_forgone_earnings(tmp_path, toy):
    """The household gains the wage x (1 - forgone share); the survey cost and the BCR denominator stay gross."""
    _, macro, frame = toy
    f = tmp_path / "pw.yaml"
    f.write_text(PW_SCENARIO)
    rs = ms.build_rules(costing.load_scenario(f), 2030, macro, frame, alignment="none")
    eg = rs.rule("employment_guarantee")
    assert eg.net_share == 0.5 and eg.monthly == pytest.approx(Z)  # the 2030 line (2 Z) deflated by D = 2
    sim = ms.simulate(frame, rs)
    # no PMT score: targeting on consumption; everyone is poor (headcount 100%), the cut-off is the largest
    # consumption (2,000) and the strict rule keeps household 2 (Rs 1,500, 2 adult equivalents): one participant, idc 1
    assert sim["r_employment_guarantee"].tolist() == [0, 0, 0, 0, 0, 1, 0]
    assert sim["b_employment_guarantee"].iloc[5] == pytest.approx(3030.32)  # gross wage, survey prices
    # net gain per adult equivalent 0.5 x 3,030.32 / 2 = 757.58; gross 1,515.16
    assert sim["cash_pae"].iloc[5:].tolist() == pytest.approx([757.58, 757.58])
    assert sim["gross_pae"].iloc[5:].tolist() == pytest.approx([1515.16, 1515.16])
    assert sim["y_post"].iloc[5:].tolist() == pytest.approx([2257.58, 2257.58])
    sums = ms.partition_sums(sim, rs)
    # BCR: the 40 persons close 757.58 of their shortfall per 1,515.16 transferred (gross) = 0.5
    assert ms.combine_sums(sums).iloc[0]["benefit_cost_ratio"] == pytest.approx(0.5)
    # survey cost: weight 20 x gross wage 3,030.32 x 12 months x D = 2 (no admin), as if nothing were forgone
    costs = ms.survey_costs(sums, rs).set_index("benefit")["cost"]
    assert costs["employment_guarantee"] == pytest.approx(20 * 3030.32 * 12 * 2)
    imp = ms.impact(sim, rs).set_index("indicator")["estimate"]
    assert imp["benefit_cost_ratio"] == pytest.approx(0.5)


def test_capacity_prevalence_factors_by_hand():
    """Persons 18-59 weighted 10, 20, 30, 40 (100): employed 20 (uncovered, Rs 5,000), 30 (uncovered, Rs 20,000),
    40 (formal, Rs 50,000); threshold Rs 15,000: employed 90/100, uncovered 50/90, capacity 30/50, product 30/100."""
    rows = []
    for i, (w, status, formal, earn) in enumerate([(10, "inactive", np.nan, np.nan), (20, "employed", 0.0, 5000.0),
                                                   (30, "employed", 0.0, 20000.0), (40, "employed", 1.0, 50000.0)], start=1):
        r = _person(i, 1, 30, w=w, ae=1.0, cons=2000, psu=i)
        r.update(labour_status=status, formal=formal, earnings_month=earn)
        rows.append(r)
    rows.append(_person(9, 1, 70, w=500, ae=1.0, cons=2000, psu=9))  # outside the ages: not counted
    got = ms.capacity_prevalence_factors(pd.DataFrame(rows), 15000.0)
    assert got == pytest.approx({"employed_share": 0.9, "informal_share": 50 / 90, "capacity_share": 0.6, "prevalence": 0.3})
    assert got["employed_share"] * got["informal_share"] * got["capacity_share"] == pytest.approx(got["prevalence"])


def test_life_cycle_group_band_edges():
    """Chapter 5's and the explorer's life-cycle groups: each band includes its upper age."""
    got = ms.life_cycle_group([0, 5, 6, 17, 18, 59, 60, 64, 65, 99])
    assert list(got) == ["0-5", "0-5", "6-17", "6-17", "18-59", "18-59", "60-64", "60-64", "65+", "65+"]
    assert list(got.categories) == list(ms.LIFE_CYCLE_GROUPS)


def test_nominal_level_in_the_survey(tmp_path, toy):
    """A social pension of Rs 3,000 a month, not indexed (level type nominal): Rs 36,000 a year in 2030 rupees,
    3,000 a month; deflated to survey prices by D[2030] = 2 it is Rs 1,500 a month to the elder (67), and the
    prebuilt arrays of the frame (simulate(persons=)) give the same simulation."""
    _, macro, frame = toy
    f = tmp_path / "nominal.yaml"
    f.write_text(TOY_SCENARIO.replace("    level: {type: poverty_line, value: 0.5, rationale: test}\n",
                                      "    level: {type: nominal, value: 36000, rationale: test}\n", 1))
    scen = costing.load_scenario(f)
    assert scen.benefit("social_pension").level_type == "nominal"
    rs = ms.build_rules(scen, 2030, macro, frame)
    pension = rs.rule("social_pension")
    assert pension.level_year == 36000.0 and pension.monthly == pytest.approx(1500.0, rel=1e-12)
    sim = ms.simulate(frame, rs)
    assert sim["b_social_pension"].tolist() == pytest.approx([0, 0, 0, 1500.0, 0, 0, 0])
    from spf_analysis.microsim.frame import Persons

    pd.testing.assert_frame_equal(ms.simulate(frame, rs, Persons.from_frame(frame)), sim, check_exact=True)
    with pytest.raises(ValueError, match="not the arrays of this frame"):
        ms.simulate(frame.iloc[:5], rs, Persons.from_frame(frame))


def test_a_run_on_arrays_made_once_equals_a_run_that_makes_them(survey_frame, rap):
    # chapter 5 makes the person frame's arrays once for its many rule sets (ms.run's persons=)
    _, _, _, mframe = rap
    persons = ms.Persons.from_frame(survey_frame)
    for name in ("kp_medium", "kp_medium_pension_tested"):
        rs = ms.build_rules(name, 2030, mframe, survey_frame)
        alone, shared = ms.run(survey_frame, rs), ms.run(survey_frame, rs, persons=persons)
        assert set(alone) == set(shared)
        for k in alone:
            pd.testing.assert_frame_equal(alone[k], shared[k], check_exact=True)
    with pytest.raises(ValueError, match="not the arrays of this frame"):
        ms.run(survey_frame.iloc[:-1], rs, persons=persons)
