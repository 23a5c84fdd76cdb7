"""The health guarantee's costing (sehat_extension, maternity_care) recomputed by hand from data/raw.

The scenario files hold shares (``alpha``) of two references built from data/raw/health/health_costing.csv:
out-of-pocket (OOP) health spending per person (National Health Accounts 2017-18) and the average Sehat Card
Plus claim per delivery (2021). These tests recompute the references and the shares from the raw rows so
that the numbers typed in params/scenarios cannot drift from their sources.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spf_analysis.config import paths
from spf_analysis.data import io
from spf_analysis.model import costing as c
from spf_analysis.model import demography as d
from spf_analysis.model import macro
from spf_analysis.model import policy

RAW = paths.RAW / "health" / "health_costing.csv"
ILO_OOP_BENCHMARK = 0.35  # Scheil-Adlung (ILO SPPP 10, 2014), p. 46 (kp_medium.yaml sehat_extension.level)
WHO_OOP_BENCHMARK = 0.20  # upper end of 15-20%, WHO World Health Report 2010 (kp_high.yaml, an assumption)


def raw_value(indicator: str, period: str | None = None) -> float:
    df = pd.read_csv(RAW)
    sel = df[df["indicator"] == indicator]
    if indicator == "health_expenditure_per_capita":  # two NHA rounds: the costing uses the latest
        sel = sel[sel["period"] == (period or "2017-18")]
    assert len(sel) == 1, indicator
    return float(sel["value"].iloc[0])


def oop_share_by_hand() -> float:
    return raw_value("health_expenditure_share_private") / 100 * raw_value("health_oop_share_private") / 100


def test_nha_oop_per_capita_by_hand():
    # Rs 5,283 x 58.5% x 88% = Rs 2,719.6884 per person in 2017-18
    assert raw_value("health_expenditure_per_capita") * oop_share_by_hand() == pytest.approx(2719.6884)
    h = macro.health_inputs()
    assert (h.nha_year, h.claims_year) == (2018, 2021)
    assert h.oop_share == pytest.approx(0.5148)
    assert h.oop_per_capita == pytest.approx(2719.6884)
    # Rs 750 million / 60,000 deliveries = Rs 12,500 a delivery
    assert raw_value("sehat_card_delivery_expenditure") * 1e6 / raw_value("sehat_card_deliveries") == 12500
    assert h.delivery_cost == pytest.approx(12500)
    assert "sdg3.nhsrc.pk" in h.sources["health_per_capita"] and "urdupoint" in h.sources["deliveries"]


def test_references_carried_to_the_base_year_with_the_cpi():
    """OOP 2017-18 x CPI inflation FY 2018-19 .. 2023-24 (6.80, 10.74, 8.9, 12.15, 29.2, 23.4%, data/raw/macro)."""
    m = macro.macro_inputs()
    assert m.base_year == 2024
    by_hand = 2719.6884 * 1.068 * 1.1074 * 1.089 * 1.1215 * 1.292 * 1.234
    assert m.health_oop_base == pytest.approx(by_hand, rel=1e-12)
    assert m.delivery_cost_base == pytest.approx(12500 * 1.1215 * 1.292 * 1.234, rel=1e-12)
    frame = macro.macro_frame(m, 2035)
    assert np.allclose(frame["health_oop"], m.health_oop_base * frame["cpi"])
    assert np.allclose(frame["delivery_cost"], m.delivery_cost_base * frame["cpi"])


def sehat_per_person_2025() -> float:
    """Current Sehat Card Plus spending per person: Rs 37 bn (2024-25) / census 2023 population."""
    budget = policy.load().value_at("sehat_card.budget_allocation", "2024-07-01") * 1e9
    pop = io.district_totals_2023(io.read_district_totals(), io.read_crosswalk()).sum()
    assert pop == 40_856_097
    return budget / pop


def test_scenario_shares_equal_the_recomputation():
    s = oop_share_by_hand()
    medium = (s - ILO_OOP_BENCHMARK) / s
    high = (s - WHO_OOP_BENCHMARK) / s
    frame = macro.macro_frame(macro.macro_inputs(), 2035)
    oop_2025 = frame.loc[2025, "health_oop"]
    low = medium - sehat_per_person_2025() / oop_2025
    assert sehat_per_person_2025() == pytest.approx(905.6, abs=0.05)
    levels = {n: c.load_named_scenario(n).benefit("sehat_extension") for n in ("kp_low", "kp_medium", "kp_high")}
    for name, want in (("kp_low", low), ("kp_medium", medium), ("kp_high", high)):
        b = levels[name]
        assert b.level_type == "health_oop", name
        assert b.level_value == round(want, 4), name
    # the per-person amounts quoted in the rationales (Rs in 2024-25)
    assert round(medium, 4) * oop_2025 == pytest.approx(2099, abs=1)
    assert round(low, 4) * oop_2025 == pytest.approx(1193, abs=1)
    assert round(high, 4) * oop_2025 == pytest.approx(4010, abs=1)
    assert c.load_named_scenario("kp_medium_pension60").benefit("sehat_extension").level_value == round(medium, 4)


def test_maternity_care_inputs():
    share = raw_value("facility_delivery_share") / 100
    for name in ("kp_low", "kp_medium", "kp_high"):
        b = c.load_named_scenario(name).benefit("maternity_care")
        assert (b.kind, b.basis, b.targeting_rule(), b.in_consumption()) == ("health", "births", "births", False)
        assert (b.level_type, b.level_value, b.months) == ("delivery_cost", 1.0, 12)
        assert c.takeup_in_year(b, np.arange(2025, 2036), 2026) == share  # first year: today's facility share
    for name in ("package_lifecycle", "package_minimum"):
        assert "maternity_care" not in {b.name for b in c.load_named_scenario(name).benefits}


@pytest.fixture(scope="module")
def run():
    rates = d.wpp_rates()
    cal = d.calibrate_kp(rates, tfr_scale=d.survey_tfr_ratio("2017-18")["ratio"])
    kp = d.project_kp(2035, tfr_scale=cal.tfr_scale, migration_rate=cal.migration_rate, rates=rates)
    frame = macro.macro_frame(macro.macro_inputs(), 2035)
    sc = c.load_named_scenario("kp_medium")
    return kp, frame, c.cost_scenario(sc, kp["population"], macro.costing_macro(frame), kp["births"])


def test_health_costs_in_2030_by_hand(run):
    kp, frame, out = run
    y = 2030
    row = lambda b: out[(out["benefit"] == b) & (out["year"] == y)].iloc[0]  # noqa: E731
    pop = kp["population"].query("year == @y")["population"].sum()
    # sehat_extension: population x (0.3201 x OOP per person) x take-up 1.0 x (1 + 5% admin)
    per_person = 0.3201 * frame.loc[y, "health_oop"]
    assert row("sehat_extension")["benefit_level"] == pytest.approx(per_person)
    assert row("sehat_extension")["cost"] == pytest.approx(pop * per_person * 1.0 * 1.05, rel=1e-12)
    # maternity_care: births x take-up 0.9 x cost per delivery x (1 + 5% admin)
    births = float(pd.Series(kp["births"]).loc[y])
    assert row("maternity_care")["cost"] == pytest.approx(births * 0.9 * frame.loc[y, "delivery_cost"] * 1.05, rel=1e-12)
    # as a share of KP GDP
    assert row("sehat_extension")["cost_pct_gdp"] == pytest.approx(100 * pop * per_person * 1.05 / frame.loc[y, "gdp"])


def test_health_births_rule_only_with_births_basis(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(
        "name: s\nhorizon: {start: 2025, end: 2027, rationale: t}\nbenefits:\n  mc:\n"
        "    kind: {value: health, rationale: t}\n    targeting: {rule: births, rationale: t}\n"
        "    eligible: {basis: population, rationale: t}\n    takeup: {value: 1.0, rationale: t}\n"
        "    level: {type: delivery_cost, value: 1.0, rationale: t}\n"
        "    admin: {rate: 0.05, convention: share_of_benefits, rationale: t}\n")
    with pytest.raises(c.ScenarioError, match="births"):
        c.load_scenario(f)
    f.write_text(f.read_text().replace("basis: population", "basis: births"))
    assert c.load_scenario(f).benefit("mc").targeting_rule() == "births"


# ---------------------------------------------------------------- ILO staff-related access deficit (health workforce)
ILO_STAFF_BENCHMARK = 41.1  # skilled health workers per 10,000 population, ILO World Social Protection Report 2014/15


def test_staff_access_deficit_formula():
    # deficit = max(0, 41.1 - density) / 41.1: half the benchmark -> 50%; at or above it -> 0; no staff -> 100%
    assert macro.staff_access_deficit(20.55, ILO_STAFF_BENCHMARK) == pytest.approx(0.5)
    assert macro.staff_access_deficit(41.1, ILO_STAFF_BENCHMARK) == 0.0
    assert macro.staff_access_deficit(269.0, ILO_STAFF_BENCHMARK) == 0.0
    assert macro.staff_access_deficit(0.0, ILO_STAFF_BENCHMARK) == 1.0
    # 100 + 200 + 111 workers for 100,000 people = 41.1 per 10,000
    assert macro.health_worker_density(100, 200, 111, 100_000) == pytest.approx(41.1)
    with pytest.raises(ValueError):
        macro.health_worker_density(1, 1, 1, 0)


def test_staff_access_pakistan_and_kp_by_hand():
    """Pakistan 2024: (319,572 doctors + 138,000 nurses + 46,801 midwives) / 241,499,431 (census 2023) x 10,000
    = 504,373 / 24,149.9431 = 20.8851 per 10,000; deficit (41.1 - 20.8851) / 41.1 = 49.18%.
    KP 2025 (Health Department staff): (9,543 + 6,157 + 1,485) / 40,856,097 (census 2023) x 10,000 = 4.2062;
    deficit (41.1 - 4.2062) / 41.1 = 89.77%."""
    assert raw_value("ilo_health_worker_benchmark") == ILO_STAFF_BENCHMARK
    df = pd.read_csv(RAW)
    kp_doc = df[df["indicator"] == "health_dept_doctors"]
    assert kp_doc["value"].iloc[0] == 8052 + 930 + 561  # derived row: medical officers + specialists + management cadre
    t = macro.staff_access().set_index("geography")
    pk, kp = t.loc["Pakistan"], t.loc["Khyber Pakhtunkhwa"]
    assert (pk["year"], pk["workers"], pk["population"]) == (2024, 504_373, 241_499_431)
    assert pk["density"] == pytest.approx(20.8851, abs=5e-5)
    assert pk["deficit"] == pytest.approx(0.4918, abs=5e-5)
    assert (kp["year"], kp["workers"], kp["population"]) == (2025, 17_185, 40_856_097)
    assert kp["density"] == pytest.approx(4.2062, abs=5e-5)
    assert kp["deficit"] == pytest.approx(0.8977, abs=5e-5)
    # workers short of the benchmark: (41.1 - 20.8851) x 24,149.9431 = 488,190 (Pakistan)
    assert pk["workers_short"] == pytest.approx(488_190, abs=1)
    assert any("ilo.org" in s for s in t.attrs["sources"])
