"""Tests of the KP costing stack: policy parameters, macro paths, real scenarios, fiscal space, Monte Carlo, Excel."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

import pytest
import yaml

from spf_analysis.model import costing as c
from spf_analysis.model import demography as d
from spf_analysis.report.tables import write_scenario_workbook
from spf_analysis.model import fiscal
from spf_analysis.model import macro
from spf_analysis.model import montecarlo
from spf_analysis.model import policy

# ----------------------------------------------------------------------------- policy


def test_policy_value_at_steps():
    pol = policy.load()
    assert pol.value_at("minimum_wage_kp", "2024-07-01") == 36000
    assert pol.value_at("minimum_wage_kp", "2024-06-30") == 32000
    assert pol.value_at("poverty_line.official_cbn", "2030-01-01") == pytest.approx(3030.32)
    assert pol.value_at("bisp.kafaalat_benefit", "2024-02-01") == 3500  # Rs 10,500 a quarter
    assert "reference" not in pol.parameter("sehat_card.premium_per_family").sources[0]  # source text, not key names
    assert "TechJuice" in pol.parameter("sehat_card.premium_per_family").sources[0]


def test_policy_errors_name_file_and_key(tmp_path):
    pol = policy.load()
    with pytest.raises(policy.PolicyError, match="unknown parameter 'minimum_wage'.*did you mean"):
        pol.value_at("minimum_wage", "2025-01-01")
    with pytest.raises(policy.PolicyError, match="minimum_wage_kp.*malformed date '2025-13-01'"):
        pol.value_at("minimum_wage_kp", "2025-13-01")
    with pytest.raises(policy.PolicyError, match="no value before 2014-07-01"):
        pol.value_at("minimum_wage_kp", "2010-01-01")
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"x": {"values": {"2020-02-30": {"value": 1, "reference": "r"}}}}))
    with pytest.raises(policy.PolicyError, match=r"bad.yaml: x.values\[2020-02-30\]: malformed date"):
        policy.load(bad)
    bad.write_text(yaml.safe_dump({"x": {"values": {"2020-01-01": {"value": 1}}}}))
    with pytest.raises(policy.PolicyError, match="reference"):
        policy.load(bad)
    bad.write_text("x:\n  values:\n    2020-01-01: {value: 1e12, reference: r}\n")
    with pytest.raises(policy.PolicyError, match="YAML reads 1e12 as text"):
        policy.load(bad)


def test_every_policy_value_has_a_source():
    pol = policy.load(policy.BASELINE)
    t = pol.table()
    assert len(t) > 30 and t["source"].str.len().gt(5).all()
    a = macro.load_assumptions().table()
    assert set(a["parameter"]) >= {"assumption.real_growth", "assumption.inflation"} and a["source"].str.len().gt(20).all()


def test_macro_yaml_holds_no_observed_values():
    """One source for observed macro data: macro.yaml has only choices and assumptions."""
    tree = yaml.safe_load(macro.MACRO_FILE.read_text())
    assert set(tree) == {"choice", "assumption"}
    for k, v in macro.load_choices().items():
        assert len(" ".join(str(v["reason"]).split())) > 40, k


@pytest.fixture(scope="module")
def indicators():
    from spf_analysis.data import io

    return io.load("macro_indicators")


def test_macro_hand_computed(indicators):
    m = macro.macro_inputs()
    # every observed value comes from macro_indicators (data/raw/macro/pakistan_kp_macro_fiscal.csv)
    assert m.gdp_national_base == pytest.approx(106.045e12)  # FY 2023-24, Rs 106.045 trillion
    assert m.kp_gdp_share == pytest.approx(0.099)  # chosen: the 2022 estimate (macro.yaml choice.kp_gdp_share)
    assert m.kp_gdp_share_range == (pytest.approx(0.08), pytest.approx(0.105))
    # poverty line 2024 = 3030.32 x prod(1 + inflation FY15..FY24), PBS annual averages
    infl = [0.045, 0.029, 0.042, 0.0468, 0.068, 0.1074, 0.089, 0.1215, 0.292, 0.234]
    assert m.poverty_line_monthly_base == pytest.approx(3030.32 * np.prod([1 + x for x in infl]))
    # KP budget (chapter 2's definition): FY24 expenditure outturn Rs 1.3 tn (no enacted budget),
    # FY25 outlay Rs 1,754 bn, FY26 outlay Rs 2,120 bn; expenditure FY25 1,654 and FY26 1,962 (budget estimates)
    assert m.budget_observed == {2024: pytest.approx(1.3e12), 2025: pytest.approx(1754e9), 2026: pytest.approx(2120e9)}
    assert m.expenditure_observed == {2024: pytest.approx(1.3e12), 2025: pytest.approx(1654e9),
                                      2026: pytest.approx(1962e9)}
    assert m.budget_estimates == {"year": 2025, "kp_expenditure": pytest.approx(1654e9), "kp_receipts": pytest.approx(1754e9),
                                  "kp_own_receipts": pytest.approx(93e9), "kp_federal_transfers": pytest.approx(1212e9)}
    f = macro.macro_frame(m, 2027)
    # 2025 uses the observed FY25 July-April inflation (4.7%); later years the 7% assumption; growth 3.4%
    assert f.loc[2025, "cpi"] == pytest.approx(1.047)
    assert f.loc[2027, "cpi"] == pytest.approx(1.047 * 1.07**2)
    assert f.loc[2027, "gdp_national"] == pytest.approx(106.045e12 * 1.034**3 * 1.047 * 1.07**2)
    assert f.loc[2027, "gdp"] == pytest.approx(0.099 * f.loc[2027, "gdp_national"])
    assert f.loc[2025, "minimum_wage"] == 36000 * 12
    assert f.loc[2026, "minimum_wage"] == pytest.approx(36000 * 12 * 1.07)
    # the latest budget as published, then growth with nominal GDP: 2027 = 2026 x 1.034 x 1.07
    assert (f.loc[2025, "budget"], f.loc[2026, "budget"]) == (pytest.approx(1754e9), pytest.approx(2120e9))
    assert f.loc[2027, "budget"] == pytest.approx(2120e9 * 1.034 * 1.07)
    assert f.loc[2026, "expenditure"] == pytest.approx(1962e9)
    assert f.loc[2027, "expenditure"] == pytest.approx(1962e9 * 1.034 * 1.07)
    assert f.loc[2026, "revenue"] - f.loc[2026, "expenditure"] == pytest.approx(158e9)  # the FY26 surplus (Rs 157 bn reported)
    assert f.loc[2024, "revenue"] == pytest.approx(1.3e12 * 1754 / 1654)  # no FY24 receipts: the FY25 ratio
    b = fiscal.option_bases(m.budget_estimates, 2.0)
    assert b["kp_budget_surplus"] == pytest.approx(2 * 100e9) and b["kp_own_receipts"] == pytest.approx(186e9)


def test_budget_base_is_chapter_2s_budget(indicators):
    """The fiscal frame's KP budget equals the budget chapter 2 reports (data.schemes.kp_budget)
    in every year both have. Both read the same function, so this holds by construction; the test
    guards against a second definition creeping back (the frame once projected FY25-26 from the
    FY24 share of GDP: Rs 1,407 and 1,557 bn instead of the published 1,754 and 2,120 bn)."""
    from spf_analysis.data.schemes import kp_budget

    ch2 = kp_budget(indicators).set_index("year")["budget_pkr_bn"] * 1e9
    frame = macro.macro_frame(macro.macro_inputs(indicators=indicators), 2030)["budget"]
    common = sorted(set(ch2.index) & set(frame.index))
    assert common == [2024, 2025, 2026]
    assert frame.loc[common].to_numpy() == pytest.approx(ch2.loc[common].to_numpy(), rel=1e-12)


def test_budget_does_not_depend_on_the_kp_gdp_share(indicators):
    """The budget is known in rupees: a KP GDP share drawn in the Monte Carlo moves % of KP GDP,
    never % of the KP budget."""
    m = macro.macro_inputs(indicators=indicators)
    years = np.arange(2024, 2031)
    arr = macro.project_arrays(m, years, kp_gdp_share=np.array([0.08, 0.099, 0.105]))
    central = macro.macro_frame(m, 2030)
    for k in ("budget", "revenue", "expenditure"):
        per_draw = np.broadcast_to(arr[k], arr["gdp"].shape)
        assert np.allclose(per_draw, central[k].to_numpy()), k
    assert not np.allclose(arr["gdp"][0], arr["gdp"][2])


def test_macro_reads_the_indicator_table(indicators):
    """Changing a value in the table changes the inputs: the table is the source, not a YAML copy."""
    df = indicators.copy()
    row = (df["indicator"] == "gdp_nominal_pkr") & (df["year"] == 2024) & df["chosen"]
    df.loc[row, "value"] = 110_000.0  # PKR billion
    assert macro.macro_inputs(indicators=df).gdp_national_base == pytest.approx(110e12)
    full = (df["indicator"] == "cpi_inflation") & (df["year"] == 2024)
    df2 = pd.concat([df, df[full].assign(year=2025, value=5.0)])  # a full-year FY25 row beats the July-April proxy
    assert macro.macro_inputs(indicators=df2).inflation_observed[2025] == pytest.approx(0.05)
    with pytest.raises(ValueError, match="no national GDP"):
        macro.macro_inputs(indicators=df[~row])
    with pytest.raises(ValueError, match="kp_share_national_gdp"):
        macro.macro_inputs(indicators=df[df["indicator"] != "kp_share_national_gdp"])


def test_macro_vectorised_draws_match_scalar():
    m = macro.macro_inputs()
    years = np.arange(2024, 2036)
    g = np.array([[0.02], [0.05]])
    arr = macro.project_arrays(m, years, real_growth=g, kp_gdp_share=np.array([0.08, 0.105]))
    one = macro.project_arrays(m, years, real_growth=0.05, kp_gdp_share=0.105)
    assert arr["gdp"].shape == (2, 12)
    assert np.allclose(arr["gdp"][1], one["gdp"])


def test_series_from_long_contract():
    df = pd.DataFrame({
        "indicator": ["gdp_nominal_pkr", "gdp_nominal_pkr", "cpi_inflation"],
        "geography": ["Pakistan"] * 3, "year": [2024, 2024, 2025], "period": ["FY"] * 3,
        "value": [106.045, 100.0, 4.7], "unit": ["PKR trillion", "PKR trillion", "percent"],
        "chosen": [True, False, True],
    })
    assert macro.series_from_long(df, "gdp_nominal_pkr", "Pakistan") == {2024: pytest.approx(106.045e12)}
    assert macro.series_from_long(df, "cpi_inflation", "Pakistan") == {2025: pytest.approx(0.047)}
    with pytest.raises(ValueError, match="several chosen rows"):
        macro.series_from_long(df.assign(chosen=True), "gdp_nominal_pkr", "Pakistan")
    with pytest.raises(ValueError, match="unknown unit"):
        macro.series_from_long(df.assign(unit="USD"), "gdp_nominal_pkr", "Pakistan")


# ----------------------------------------------------------------------------- KP projection and real scenarios


@pytest.fixture(scope="module")
def kp():
    rates = d.wpp_rates()
    # the central calibration of params/run.yaml (fertility_central: census_fitted since issue 12; before, the
    # PDHS 2017-18 ratio, whose births of 2023 are 19% below the census-implied births)
    cal = d.calibrate_kp(rates)
    out = d.project_kp(2035, tfr_scale=cal.tfr_scale, migration_rate=cal.migration_rate, rates=rates)
    out["cal"] = cal
    return out


def test_survey_tfr_ratio_uses_the_chosen_pdhs_values(tmp_path):
    r = d.survey_tfr_ratio("2017-18")
    assert (r["kp"], r["pakistan"]) == (4.0, 3.6)  # KP 4.0 chosen over 4.1 (data/raw/demography/pdhs_total_fertility.csv)
    assert r["ratio"] == pytest.approx(4.0 / 3.6)
    assert "pwdkp.gov.pk" in r["source"] and "pid.gov.pk" in r["source"]
    assert d.survey_tfr_ratio("2006-07")["ratio"] == pytest.approx(4.3 / 4.08)  # the previous ratio, kept
    bad = tmp_path / "tfr.csv"
    lines = d.PDHS_TFR_FILE.read_text().splitlines()
    bad.write_text("\n".join(ln for ln in lines if ",Pakistan,2017-18," not in ln) + "\n")
    with pytest.raises(ValueError, match="one chosen total_fertility_rate for Pakistan 2017-18, found 0"):
        d.survey_tfr_ratio("2017-18", file=bad)


def test_kp_calibration_reproduces_2023_census(kp):
    cal = kp["cal"]
    assert cal.projected_total == pytest.approx(40_856_097, rel=1e-6)
    pop = kp["population"]
    assert pop.loc[pop["year"] == 2023, "population"].sum() == pytest.approx(40_856_097, rel=1e-9)
    assert pop["age"].max() == 75
    g = pop.groupby("year")["population"].sum()
    assert 0.015 < (g[2035] / g[2023]) ** (1 / 12) - 1 < 0.03


@pytest.fixture(scope="module")
def real_results(kp):
    mframe = macro.macro_frame(macro.macro_inputs(), 2035)
    names = c.scenario_names()
    return mframe, c.cost_named_scenarios(names, kp["population"], kp["births"], macro.costing_macro(mframe)), kp


def test_real_scenarios_load():
    names = c.scenario_names()
    assert names[0] == "kp_medium" and len(names) >= 6
    med = c.load_named_scenario("kp_medium")
    assert {b.name for b in med.benefits} == {"child_benefit", "social_pension", "disability_benefit", "maternity_benefit",
                                              "sehat_extension", "maternity_care", "employment_guarantee",
                                              "contribution_subsidy"}
    assert c.load_named_scenario("kp_medium_pension60").benefit("social_pension").age_min == 60
    assert len(c.load_named_scenario("package_minimum").benefits) == 3
    assert c.load_named_scenario("package_minimum").benefit("child_benefit").age_max == 4  # via kp_low
    with pytest.raises(c.ScenarioError, match="unknown scenario"):
        c.load_named_scenario("kp_nonexistent")


@pytest.mark.parametrize("name", c.scenario_names())
def test_identity_every_real_scenario_year(real_results, name):
    """cost/GDP = (beneficiaries/N) x (benefit/GDP per capita) x months/12 x (1 + admin) for every scenario-year."""
    mframe, results, kp = real_results
    sc = c.load_named_scenario(name)
    out = results[name]
    N = kp["population"].groupby("year")["population"].sum().reindex(sc.years).to_numpy()
    gdp = mframe["gdp"].reindex(sc.years).to_numpy()
    for b in sc.benefits:
        r = out[out["benefit"] == b.name]
        lhs = r["cost_pct_gdp"].to_numpy() / 100
        rhs = (r["beneficiaries"].to_numpy() / N) * (r["benefit_level"].to_numpy() / (gdp / N)) * b.months / 12 * (1 + b.markup())
        assert np.allclose(lhs, rhs, rtol=1e-10, atol=0), b.name
    pk = out[out["benefit"] == "package"]
    assert np.allclose(pk["cost"].to_numpy(), out[out["benefit"] != "package"].groupby("year")["cost"].sum().to_numpy())


def test_real_scenario_orders(real_results):
    _, results, _ = real_results
    y = lambda n: results[n].query("benefit == 'package' and year == 2030")["cost_pct_gdp"].iloc[0]  # noqa: E731
    assert y("kp_low") < y("kp_medium") < y("kp_high")
    assert y("package_minimum") < y("package_lifecycle") < y("kp_medium") < y("kp_medium_pension60")
    med = results["kp_medium"]
    assert (med.loc[med["year"] == 2025, "cost"] == 0).all()  # benefits start in 2026


def test_disability_benefit_by_hand(real_results):
    """kp_medium disability benefit in 2030 by hand from the model run population: severe-disability
    prevalence of the census 2017 age pattern scaled to 1.535% (WHO World report on disability band
    rates, tests/test_census.py), 65+ pension takers excluded, take-up 80%, 100% of the poverty line,
    12 months, admin 10%."""
    mframe, results, kp = real_results
    pop = kp["population"].query("year == 2030").groupby("age")["population"].sum()
    prof = c.load_named_scenario("kp_medium").benefit("disability_benefit").age_profile
    assert prof[30] == 0.01688  # 30-34: census 2017 rate 0.704% x 1.535 / 0.640
    n30 = pop.loc[30:34].sum()
    e30 = n30 * 0.01688  # one age group: persons 30-34 with a severe disability in 2030
    assert e30 / n30 == pytest.approx(0.01688)
    assert 40_000 < e30 < 80_000  # 3-4.5 million persons aged 30-34 in 2030
    eligible = sum(pop.loc[a:a + 4].sum() * prof[a] for a in range(0, 75, 5)) + pop.loc[75:].sum() * prof[75]
    excluded = sum(pop.loc[a:a + 4].sum() * prof[a] for a in (65, 70)) + pop.loc[75:].sum() * prof[75]  # pension take-up 1
    r = results["kp_medium"].query("benefit == 'disability_benefit' and year == 2030").iloc[0]
    pension = results["kp_medium"].query("benefit == 'social_pension' and year == 2030").iloc[0]
    assert r["eligible"] == pytest.approx(eligible, rel=1e-9)
    assert r["excluded"] == pytest.approx(excluded, rel=1e-9)
    assert r["beneficiaries"] == pytest.approx(0.8 * (eligible - excluded), rel=1e-9)
    assert 0.014 < eligible / pop.sum() < 0.017  # about the 1.535% of the 2017 population
    line = pension["benefit_level"] / 0.75  # both on the poverty line: pension 75%, disability 100%
    assert r["benefit_level"] == pytest.approx(line, rel=1e-12)
    cost = 0.8 * (eligible - excluded) * line * 12 / 12 * 1.10
    assert r["cost"] == pytest.approx(cost, rel=1e-9)
    assert r["cost_pct_gdp"] == pytest.approx(100 * cost / mframe.loc[2030, "gdp"], rel=1e-9)
    # below the social pension, as a severe-disability benefit should be (it was 0.97% vs 1.08% at 3.16%)
    assert r["cost_pct_gdp"] < 0.6 * pension["cost_pct_gdp"]


def _write_override(tmp_path, body: dict) -> Path:
    folder = tmp_path / "scen"
    folder.mkdir(exist_ok=True)
    src = c.scenario_dir() / "kp_medium.yaml"
    (folder / "kp_medium.yaml").write_text(src.read_text())
    (folder / "variant.yaml").write_text(yaml.safe_dump(body))
    return folder


@pytest.mark.parametrize("body,match", [
    ({"benefits": {"child_benefit": {"takeup": {"value": 1.2, "rationale": "x"}}}}, r"variant.yaml: benefits.child_benefit.takeup.value: take-up 1.2 is above 1"),
    ({"benefits": {"child_benefit": {"levle": {"value": 1, "rationale": "x"}}}}, r"variant.yaml: benefits.child_benefit.levle: unknown key"),
    ({"benefits": {"social_pension": {"eligible": {"age_min": 80, "rationale": "x"}}}}, r"age_min 80 outside the projection ages 0-75"),
    ({"benefits": {"child_benefit": {"takeup": {"value": {2040: 0.5}, "rationale": "x"}}}}, r"year 2040 outside the horizon 2025-2035"),
    ({"scenario_name": "x"}, r"unknown top-level key"),
])
def test_bad_real_scenario_overrides(tmp_path, body, match):
    folder = _write_override(tmp_path, body)
    with pytest.raises(c.ScenarioError, match=match):
        c.load_named_scenario("variant", folder)


# ----------------------------------------------------------------------------- fiscal space


def test_fiscal_paths_and_options():
    mf = pd.DataFrame({"revenue": [110.0, 121.0], "expenditure": [100.0, 110.0], "budget": [999.0, 999.0],
                       "gdp": [1000.0, 1100.0]}, index=[2025, 2026])
    p = fiscal.fiscal_paths(mf, {"A": pd.Series([5.0, 22.0], index=[2025, 2026])})
    a = p[p["package"] == "A"]
    assert list(a["balance"]) == [5.0, -11.0]
    assert a["balance_pct_gdp"].iloc[1] == pytest.approx(-1.0)
    assert list(p.loc[p["package"] == "none", "balance"]) == [10.0, 11.0]
    fr = fiscal.financing_requirements(50e9, 1000e9, {"kp_expenditure": 500e9, "kp_own_receipts": 25e9})
    assert len(fr) == 8
    assert fr.set_index("kp_base").loc["kp_expenditure", "required_pct_of_base"] == pytest.approx(10.0)
    assert fr.set_index("kp_base").loc["kp_own_receipts", "required_pct_of_base"] == pytest.approx(200.0)
    assert np.allclose(fr["required_pct_gdp"], 5.0)


# ----------------------------------------------------------------------------- Monte Carlo


def test_montecarlo_seeded_and_consistent(kp):
    sc = c.load_named_scenario("package_lifecycle")
    inputs = macro.macro_inputs()
    cal = kp["cal"]
    grid = montecarlo.DemoGrid.build(sc, fert=[cal.tfr_scale], mort=[1.0], migration_rates=[[cal.migration_rate]])
    a = montecarlo.draw_inputs(200, 7, (cal.tfr_scale, cal.tfr_scale), inputs)
    b = montecarlo.draw_inputs(200, 7, (cal.tfr_scale, cal.tfr_scale), inputs)
    pd.testing.assert_frame_equal(a, b)
    # central draw == deterministic costing
    central = pd.DataFrame([{"real_growth": inputs.real_growth, "inflation": inputs.inflation, "takeup": 1.0,
                             "fertility": cal.tfr_scale, "mortality": 1.0, "kp_gdp_share": inputs.kp_gdp_share}])
    res = montecarlo.cost_draws(sc, grid, inputs, central)
    det = c.cost_scenario(sc, kp["population"], macro.costing_macro(macro.macro_frame(inputs, 2035)), kp["births"])
    assert np.allclose(np.asarray(res["package"]["cost"])[0], det[det["benefit"] == "package"]["cost"].to_numpy(), rtol=1e-9)
    f = montecarlo.fan(np.asarray(montecarlo.cost_draws(sc, grid, inputs, a)["package"]["cost_pct_gdp"]), sc.years)
    assert (f["q05"] <= f["q50"]).all() and (f["q50"] <= f["q95"]).all()
    tor = montecarlo.tornado(sc, grid, inputs, year=2030, fert_range=(cal.tfr_scale, cal.tfr_scale), fert_central=cal.tfr_scale)
    assert tor.set_index("input").loc["inflation", "swing"] < 0.05  # indexed benefits: inflation barely moves % of GDP
    assert tor.set_index("input").loc["kp_gdp_share", "at_low"] > tor["central"].iloc[0]


# ----------------------------------------------------------------------------- Excel


def test_excel_deterministic_and_atomic(tmp_path):
    df = pd.DataFrame({"benefit": ["a", "b"], "year": [2025, 2026], "cost": [1.5, 2.5], "cost_pct_gdp": [0.1, 0.2]})
    t1, t2 = tmp_path / "x1.xlsx", tmp_path / "x2.xlsx"
    write_scenario_workbook({"s1": df, "s2": df}, t1, title="t", notes={"units": "PKR"})
    time.sleep(1.1)  # openpyxl stamps the clock at second resolution
    write_scenario_workbook({"s1": df, "s2": df}, t2, title="t", notes={"units": "PKR"})
    assert t1.read_bytes() == t2.read_bytes()
    with zipfile.ZipFile(t1) as z:
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in z.infolist())
        assert b"2016-01-01T00:00:00Z" in z.read("docProps/core.xml")
    from openpyxl import load_workbook

    wb = load_workbook(t1)
    assert wb.sheetnames == ["notes", "s1", "s2"]
    assert wb["s1"]["C3"].value == 2.5
    before = t1.read_bytes()
    with pytest.raises(ValueError, match="invalid Excel sheet name"):
        write_scenario_workbook({"bad/name": df}, t1, title="t")
    assert t1.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_package_summary_cost_per_head_by_hand():
    results = {"A": pd.DataFrame({"benefit": ["x", "package", "package"], "year": [2030, 2030, 2031],
                                  "cost": [5.0, 600.0, 900.0], "cost_pct_gdp": [0.1, 1.0, 1.5]})}
    pop = pd.DataFrame({"year": [2030, 2030, 2031, 2031], "sex": ["f", "m", "f", "m"], "age": [0, 0, 0, 0],
                        "population": [100.0, 200.0, 150.0, 150.0]})
    out = c.package_summary(results, [2030, 2031], population=pop)
    assert out["cost_per_head"].tolist() == [2.0, 3.0]  # 600 / 300, 900 / 300
    with pytest.raises(ValueError, match="no projected population for years \\[2031\\]"):
        c.package_summary(results, [2030, 2031], population=pop[pop["year"] == 2030])
