"""The ABND assessment matrix: four guarantees, no empty cell, numbers taken from chapters 03 and 04."""

import re

import pandas as pd
import pytest
import yaml

from spf_analysis.data import io
from spf_analysis.report import matrix
from spf_analysis.config import paths

TABLES = paths.REPORTS / "tables"
BUILT = all((TABLES / f"{n}.csv").exists() for n in
            ("03_protection_gaps", "04_cost_by_benefit_pct_gdp", "04_provisions_medium"))


def spec():
    return matrix.load_spec()


def toy_gaps():
    """A chapter 03 table in miniature, with every group the spec names (gap = 100 - coverage)."""
    rows = []
    for i, (key, row) in enumerate(spec()["guarantees"].items()):
        for j, group in enumerate(row["gap_groups"]):
            cov = 10.0 * (i + 1) + j
            admin = key == "health"  # chapter 03's health row: Sehat card use against a benchmark, no CI
            for ind, est in (("coverage", cov), ("protection_gap", 100 - cov)):
                rows.append({"guarantee": matrix.GUARANTEES[key], "group": group, "covered_by": "x", "indicator": ind,
                             "estimate": est, "se": float("nan") if admin else 1.0,
                             "ci_low": float("nan") if admin else est - 2,
                             "ci_high": float("nan") if admin else est + 2, "n": float("nan") if admin else 100})
    return pd.DataFrame(rows)


def toy_costs():
    names = list(spec()["labels"])
    return pd.DataFrame({"benefit": names,
                         **{f"2030 {lvl}": [k + 0.125 * m for k in range(len(names))]
                            for m, lvl in enumerate(("low", "medium", "high"))}})


def test_spec_is_complete_and_sourced():
    s = spec()
    assert list(s["guarantees"]) == ["health", "children", "working_age", "elderly"]
    for row in s["guarantees"].values():
        for e in row["implementation_issues"] + row["recommendations"] + [row["provision"]]:
            assert (e.get("source") or e.get("rationale") or "").strip()


def test_matrix_from_toy_tables_has_known_numbers():
    m = matrix.assessment_matrix(io.load("schemes"), toy_gaps(), toy_costs(), spec(), 2030)
    assert list(m["guarantee"]) == ["Health", "Children", "Working age", "Elderly"]
    assert (m.map(lambda v: bool(str(v).strip()))).all().all()
    # health: coverage 10 -> gap 90.0, administrative (no CI); children 20 -> 80.0 (CI 78.0-82.0)
    # a share of benchmark admissions, not of persons
    assert ("90.0% of the benchmark inpatient admissions not paid by the card (administrative data against a benchmark, "
            "no sampling error)") in m.loc[0, "policy_gaps"]
    assert "nan" not in m.loc[0, "policy_gaps"]
    assert "80.0% of children 0-14 not covered (95% CI 78.0-82.0)" in m.loc[1, "policy_gaps"]
    # costs: medium = index + 0.125; sehat_extension is the third label (index 2) -> 2.12 (2.125 rounds half-even)
    k = list(spec()["labels"]).index("sehat_extension")
    assert f"{k + 0.125:.2f}% of KP GDP in 2030 at the medium level (low {k:.2f}%, high {k + 0.25:.2f}%)" \
        in m.loc[0, "recommendations"]
    # the existing schemes are those of the inventory, with their ids
    assert "Sehat Sahulat Programme KP (S20)" in m.loc[0, "existing_schemes"]
    assert "Employees Old-Age Benefits Institution (S16)" in m.loc[3, "existing_schemes"]


def test_unknown_group_or_provision_or_year_is_an_error():
    s = spec()
    gaps = toy_gaps()
    with pytest.raises(matrix.MatrixError, match=r"children 0-14.*not in the chapter 03 gap table"):
        matrix.gap_numbers(gaps[gaps["group"] != "children 0-14"], s)
    costs = toy_costs()
    with pytest.raises(matrix.MatrixError, match=r"'social_pension' is not costed in chapter 04"):
        matrix.recommended_costs(costs[costs["benefit"] != "social_pension"], s, 2030)
    with pytest.raises(matrix.MatrixError, match=r"year 2031 not in the chapter 04 cost table"):
        matrix.recommended_costs(costs, s, 2031)


def test_entry_without_source_or_rationale_is_refused(tmp_path):
    raw = yaml.safe_load(matrix.MATRIX_FILE.read_text())
    raw["guarantees"]["elderly"]["implementation_issues"][1].pop("source")
    f = tmp_path / "matrix.yaml"
    f.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(matrix.MatrixError, match=r"guarantees.elderly.implementation_issues\[1\]: every entry needs"):
        matrix.load_spec(f)
    raw = yaml.safe_load(matrix.MATRIX_FILE.read_text())
    del raw["guarantees"]["health"]
    f.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(matrix.MatrixError, match="guarantees must be"):
        matrix.load_spec(f)


@pytest.mark.skipif(not BUILT, reason="chapters 03 and 04 not built (make report)")
def test_real_matrix_uses_the_chapter_03_and_04_numbers():
    t = matrix.read_chapter_tables()
    s = spec()
    m = matrix.assessment_matrix(io.load("schemes"), t["gaps"], t["costs"], s, 2030, t["provisions"])
    assert len(m) == 4 and (m.map(lambda v: bool(str(v).strip()))).all().all()
    # every gap shown is a protection_gap row of chapter 03, rounded to one decimal
    g = t["gaps"][t["gaps"]["indicator"] == "protection_gap"].set_index("group")
    gp = matrix.gap_numbers(t["gaps"], s)
    for r in gp.itertuples():
        assert r.estimate == g.loc[r.group, "estimate"]
        cell = m.loc[list(s["guarantees"]).index(r.guarantee), "policy_gaps"]
        what = "the benchmark inpatient admissions" if pd.isna(g.loc[r.group, "ci_low"]) else r.group  # Sehat use: a share of admissions
        assert f"{g.loc[r.group, 'estimate']:.1f}% of {what}" in cell
    # every recommended cost equals chapter 04's cost of that provision in 2030
    c = t["costs"].set_index("benefit")
    rc = matrix.recommended_costs(t["costs"], s, 2030)
    assert len(rc) == 8  # the eight provisions of chapter 04 (maternity care costed under health)
    for r in rc.itertuples():
        assert r.cost_pct_gdp_medium == c.loc[r.benefit, "2030 medium"]
        cell = m.loc[list(s["guarantees"]).index(r.guarantee), "recommendations"]
        assert re.search(re.escape(f"{c.loc[r.benefit, '2030 medium']:.2f}% of KP GDP in 2030"), cell)


# ----------------------------------------------------------- priority, agency, timeline
def _write(tmp_path, raw):
    f = tmp_path / "matrix.yaml"
    f.write_text(yaml.safe_dump(raw, sort_keys=False))
    return f


def test_every_recommendation_has_priority_agency_timeline_with_rationale():
    s = spec()
    entries = list(s["costed_plan"].values()) + [e for r in s["guarantees"].values() for e in r["recommendations"]]
    assert len(entries) == 17  # 8 costed provisions + 9 uncosted recommendations
    for e in entries:
        for k in ("priority", "agency", "timeline"):
            assert str(e[k]["rationale"]).strip()
    costed = {b for r in s["guarantees"].values() for b in r["costed"]}
    assert costed == set(s["costed_plan"])


def test_plan_fields_are_validated_naming_file_and_key(tmp_path):
    raw = yaml.safe_load(matrix.MATRIX_FILE.read_text())
    raw["guarantees"]["children"]["recommendations"][0].pop("agency")
    with pytest.raises(matrix.MatrixError, match=r"matrix.yaml.*guarantees.children.recommendations\[0\].*missing \['agency'\]"):
        matrix.load_spec(_write(tmp_path, raw))
    raw = yaml.safe_load(matrix.MATRIX_FILE.read_text())
    raw["guarantees"]["elderly"]["recommendations"][1]["priority"]["value"] = 1  # its timeline starts in phase 2
    with pytest.raises(matrix.MatrixError, match=r"guarantees.elderly.recommendations\[1\].priority.*priority 1 but the timeline starts in phase 2"):
        matrix.load_spec(_write(tmp_path, raw))
    raw = yaml.safe_load(matrix.MATRIX_FILE.read_text())
    raw["costed_plan"]["social_pension"]["agency"]["value"] = ["ministry_of_magic"]
    with pytest.raises(matrix.MatrixError, match=r"costed_plan.social_pension.agency"):
        matrix.load_spec(_write(tmp_path, raw))
    raw = yaml.safe_load(matrix.MATRIX_FILE.read_text())
    raw["costed_plan"]["sehat_extension"]["timeline"] = {"phases": [1], "rationale": "x"}
    with pytest.raises(matrix.MatrixError, match=r"costed_plan.sehat_extension.timeline.*roadmap"):
        matrix.load_spec(_write(tmp_path, raw))
    raw = yaml.safe_load(matrix.MATRIX_FILE.read_text())
    del raw["costed_plan"]["child_benefit"]
    with pytest.raises(matrix.MatrixError, match=r"guarantees.children.costed.*'child_benefit' has no priority"):
        matrix.load_spec(_write(tmp_path, raw))
    raw = yaml.safe_load(matrix.MATRIX_FILE.read_text())
    raw["costed_plan"]["child_benefit"]["priority"]["rationale"] = " "
    with pytest.raises(matrix.MatrixError, match=r"costed_plan.child_benefit.priority: expected a mapping with a non-empty 'rationale'"):
        matrix.load_spec(_write(tmp_path, raw))


def _toy_roadmap():
    """A roadmap with dated parameters at 2027, 2029 and 2031 (years 2025-2035)."""
    from types import SimpleNamespace as NS
    import numpy as np
    bens = [NS(name="child_benefit", prevalence={2027: 0.2, 2029: 1.0}, age_min=0),
            NS(name="social_pension", prevalence=1.0, age_min={2027: 75, 2029: 70, 2031: 65}),
            NS(name="sehat_extension", prevalence=1.0, age_min=0)]
    return NS(name="toy_roadmap", years=np.arange(2025, 2036), benefits=bens,
              benefit=lambda n: next(b for b in bens if b.name == n))


def test_phases_and_timelines_from_a_toy_roadmap():
    s = spec()
    ph = matrix.roadmap_phases(_toy_roadmap(), s)
    assert ph[["phase", "start", "end"]].values.tolist() == [[1, 2027, 2028], [2, 2029, 2030], [3, 2031, 2035]]
    assert ph["years"].tolist() == ["FY 2026-27 to FY 2027-28", "FY 2028-29 to FY 2029-30", "FY 2030-31 to FY 2034-35"]
    rm = _toy_roadmap()
    assert matrix._roadmap_path(rm, "social_pension", 2027) == \
        "ages 75+ from FY 2026-27, 70+ from FY 2028-29, 65+ from FY 2030-31"
    assert matrix._roadmap_path(rm, "child_benefit", 2027) == \
        "20% of the eligible (merged districts) from FY 2026-27, all of KP from FY 2028-29"
    assert matrix._roadmap_path(rm, "sehat_extension", 2027) == "from FY 2026-27, at the medium level (not phased)"
    with pytest.raises(matrix.MatrixError, match="model run pays it from 2026"):
        matrix._roadmap_path(rm, "social_pension", 2026)


def test_real_roadmap_phases_are_the_scenario_dates():
    from spf_analysis.model import costing
    s = spec()
    raw = yaml.safe_load((matrix.paths.PARAMS / "scenarios" / f"{s['roadmap']}.yaml").read_text())
    dates = sorted({int(y) for b in raw["benefits"].values() for f in b.values()
                    for y in ((f.get("value") if isinstance(f.get("value"), dict) else None)
                              or (f.get("age_min") if isinstance(f.get("age_min"), dict) else None) or {})})
    ph = matrix.roadmap_phases(costing.load_named_scenario(s["roadmap"]), s)
    assert ph["start"].tolist() == dates and len(dates) == len(s["priorities"])


def test_agencies_are_the_inventory_s(tmp_path):
    s = spec()
    ag = matrix.check_agencies(io.load("schemes"), s).set_index("agency")
    assert ag.loc["health", "schemes"] == "S20" and ag.loc["eobi", "schemes"] == "S16"
    s["agencies"]["social_welfare"] = dict(s["agencies"]["social_welfare"], schemes=["S20"])
    with pytest.raises(matrix.MatrixError, match=r"agencies.social_welfare.schemes.*S20 is administered by"):
        matrix.check_agencies(io.load("schemes"), s)


def test_plan_costs_come_from_the_model_run_toy():
    s = spec()
    rm = _toy_roadmap()
    rm.benefits = [b for b in rm.benefits] + []
    names = list(s["labels"])
    rows = []
    for k, b in enumerate(names):
        for y in range(2025, 2036):
            paid = y >= 2027
            rows.append({"scenario": "ref", "benefit": b, "year": y, "beneficiaries": 1.0, "cost": (k + 1) * 1e9,
                         "cost_pct_gdp": k + 0.5, "cost_pct_budget": 2.0 * k})
            rows.append({"scenario": "toy_roadmap", "benefit": b, "year": y, "beneficiaries": 1.0 if paid else 0.0,
                         "cost": 0.0, "cost_pct_gdp": 0.0, "cost_pct_budget": 0.0})

    class RM:  # the toy roadmap, without dated parameters for the other provisions
        name, years = rm.name, rm.years
        benefits = rm.benefits

        @staticmethod
        def benefit(n):
            from types import SimpleNamespace as NS
            return next((b for b in rm.benefits if b.name == n), NS(name=n, prevalence=1.0, age_min=0))
    p = matrix.recommendation_plan(s, RM, pd.DataFrame(rows), "ref", 2030).set_index("id")
    assert len(p) == 17 and p["priority"].isin([1, 2, 3]).all()
    assert p.loc["E1", "recommendation"] == s["labels"]["social_pension"]
    k = names.index("social_pension")
    assert p.loc["E1", "cost_pkr_bn"] == k + 1 and p.loc["E1", "cost_pct_gdp"] == k + 0.5
    assert p.loc["E1", "timeline"].startswith("ages 75+ from FY 2026-27")
    assert p["cost_pkr_bn"].isna().sum() == 9  # the uncosted recommendations have no cost
    # a provision the roadmap starts in phase 2 cannot keep priority 1
    late = pd.DataFrame(rows)
    late.loc[(late["scenario"] == "toy_roadmap") & (late["benefit"] == "sehat_extension") & (late["year"] < 2029),
             "beneficiaries"] = 0.0
    with pytest.raises(matrix.MatrixError, match=r"costed_plan.sehat_extension.priority.*phase 2"):
        matrix.recommendation_plan(s, RM, late, "ref", 2030)


TABLES_07 = all((TABLES / f"07_{n}.csv").exists() for n in ("recommendation_plan", "recommendation_costs", "assessment_matrix"))


@pytest.mark.skipif(not (BUILT and TABLES_07), reason="chapter 07 not built (make report)")
def test_built_chapter_7_tables_carry_the_plan():
    plan = pd.read_csv(TABLES / "07_recommendation_plan.csv")
    assert len(plan) == 17 and plan[["priority_label", "agency", "timeline"]].notna().all().all()
    rc = pd.read_csv(TABLES / "07_recommendation_costs.csv")
    # the summary's columns are kept, the plan's added
    for c in ("guarantee", "label", "eligible", "level", "year", "cost_pct_gdp_low", "cost_pct_gdp_medium",
              "cost_pct_gdp_high", "priority_label", "agency", "timeline", "cost_pkr_bn"):
        assert c in rc.columns, c
    # the model run's cost (% of KP GDP) equals chapter 04's medium cost of the same provision
    c4 = pd.read_csv(TABLES / "04_cost_by_benefit_pct_gdp.csv").set_index("benefit")
    by_label = {v: k for k, v in spec()["labels"].items()}
    costed = plan[plan["costed"] == "yes"].assign(benefit=lambda d: d["recommendation"].map(by_label)).set_index("benefit")
    year = int(rc["year"].iloc[0])
    for b, r in costed.iterrows():
        assert r["cost_pct_gdp"] == pytest.approx(c4.loc[b, f"{year} medium"], rel=1e-9)
    m = pd.read_csv(TABLES / "07_assessment_matrix.csv")
    assert {"priority", "agency", "timeline"} <= set(m.columns)
    # the social pension follows the roadmap's age steps
    assert costed.loc["social_pension", "timeline"].startswith("ages 75+ from FY 2025-26, 70+ from FY 2027-28")


# ----------------------------------------------------------- contradictions with the scheme inventory
def test_matrix_disability_text_matches_the_inventory():
    """The inventory has a KP disability allowance (S23: Rs 1,000 a month announced, F048; a one-off Rs 10,000 to
    37,000 persons, F113): the matrix may not say there is none, and its amounts are those of the facts."""
    facts = pd.read_csv(matrix.paths.ROOT / "data/raw/schemes/scheme_facts.csv").set_index("fact_id")
    assert facts.loc["F048", "scheme_id"] == "S23" and float(facts.loc["F048", "value"]) == 1000
    assert "37,000 persons" in facts.loc["F113", "value"] and "Rs 10,000 each" in facts.loc["F113", "value"]
    texts = [e["text"] for r in spec()["guarantees"].values() for e in r["implementation_issues"] + r["recommendations"]]
    for t in texts:
        assert not re.search(r"no (?:regular )?disability allowance|no disability benefit", t, re.I), t
    dis = [t for t in texts if "S23" in t]
    assert len(dis) == 1 and "Rs 1,000 a month" in dis[0] and "Rs 10,000 to 37,000 persons" in dis[0]
    assert "F048" in dis[0] and "F113" in dis[0]
    built = TABLES / "07_assessment_matrix.csv"
    if built.exists():
        wa = pd.read_csv(built).set_index("guarantee").loc["Working age", "implementation_issues"]
        assert "disability allowance (S23) is small and irregular" in wa
        assert "no regular disability allowance" not in wa


def test_no_unemployment_benefit_statement_matches_the_inventory():
    """'No unemployment benefit': the only scheme of the inventory for the unemployed is a loan scheme (S29)."""
    sch = pd.read_csv(matrix.paths.ROOT / "data/raw/schemes/schemes.csv")
    unemp = sch[sch["spf_guarantee"].str.contains("unemploy", case=False) | sch["scheme_name"].str.contains("unemploy", case=False)]
    assert unemp["scheme_id"].tolist() == ["S29"] and "loans" in unemp["scheme_name"].iloc[0]
    assert any("no unemployment benefit" in e["text"] and "S29" in e["text"]
               for e in spec()["guarantees"]["working_age"]["implementation_issues"])
