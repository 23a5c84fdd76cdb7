"""Chapter 02 functions: hand-computed answers, then the real inventory."""

import numpy as np
import pandas as pd
import pytest

from spf_analysis.data import io
from spf_analysis.data import schemes as sm


def test_cpi_chain_hand_computed():
    idx = sm.cpi_index(pd.Series([10.0, 5.0], index=[2021, 2022]), base_year=2020)
    assert list(idx.index) == [2020, 2021, 2022]
    assert idx.to_numpy() == pytest.approx([1.0, 1.1, 1.155])
    rebased = sm.cpi_index(pd.Series([10.0, 5.0], index=[2021, 2022]), base_year=2022)
    assert rebased.loc[2020] == pytest.approx(1 / 1.155)
    assert rebased.loc[2022] == 1.0


def test_cpi_chain_refuses_gaps_and_bad_base():
    with pytest.raises(ValueError, match=r"\[2022\]"):
        sm.cpi_index(pd.Series([10.0, 5.0], index=[2021, 2023]), base_year=2021)
    with pytest.raises(ValueError, match="base year 2030"):
        sm.cpi_index(pd.Series([10.0, 5.0], index=[2021, 2022]), base_year=2030)


def test_deflate_hand_computed():
    idx = sm.cpi_index(pd.Series([10.0, 5.0], index=[2021, 2022]), base_year=2020)
    # Rs 1,155 in 2022 is Rs 1,000 at 2020 prices; Rs 1,100 in 2021 also
    assert sm.deflate([1155.0, 1100.0], [2022, 2021], idx) == pytest.approx([1000.0, 1000.0])
    with pytest.raises(ValueError, match=r"\[2019\]"):
        sm.deflate([1.0], [2019], idx)
    out = sm.deflate([1.0, 1155.0], [2019, 2022], idx, outside="nan")
    assert np.isnan(out[0]) and out[1] == pytest.approx(1000.0)


def test_budget_shares_hand_computed():
    budget = pd.DataFrame({"year": [2020, 2021], "period": ["2019-20", "2020-21"],
                           "budget_pkr_bn": [900.0, 923.0], "basis": "budget outlay"})
    a = pd.DataFrame({"year": [2020, 2022], "value": [9.0, 5.0]})
    out = sm.budget_shares(a, budget)
    assert out["share_pct"].iloc[0] == pytest.approx(1.0)
    assert np.isnan(out["share_pct"].iloc[1])  # no budget for 2022: no guess


def test_combine_components_prefers_the_all_heads_total():
    rows = pd.DataFrame({"component": ["Zakat (all heads)", "guzara allowance"],
                         "value": [1.3418, 1.089672]})
    assert sm.combine_components(rows) == pytest.approx(1.3418)
    assert sm.combine_components(rows.iloc[[1]]) == pytest.approx(1.089672)
    two = pd.DataFrame({"component": ["a", "b"], "value": [28.0, 9.0]})
    assert sm.combine_components(two) == 37.0


def test_short_name():
    assert sm.short_name("Benazir Income Support Programme (BISP), Ministry X") == \
        "Benazir Income Support Programme"
    assert sm.short_name("KP Zakat & Ushr Department / Council; local committees") == \
        "KP Zakat & Ushr Department / Council"


@pytest.fixture(scope="module")
def data():
    return {n: io.load(n) for n in ("schemes", "scheme_series", "macro_indicators",
                                    "scheme_benefit_levels")}


def test_inventory_matrix_real(data):
    m = sm.inventory_matrix(data["schemes"]).set_index("guarantee")
    assert m.loc["Total", "Total"] == 32
    assert m.loc["Total", "Social insurance"] + m.loc["Total", "Social assistance"] \
        + m.loc["Total", "Labour market"] == 32
    assert (m.drop(index="Total")["Total"].sum()) == 32


def test_cpi_real_chain(data):
    idx = sm.cpi_from_macro(data["macro_indicators"], base_year=2014)
    # FY 2014-15 4.5% and FY 2015-16 2.9%: 1.045 x 1.029 = 1.075305
    assert idx.loc[2016] == pytest.approx(1.045 * 1.029)
    assert idx.index.min() == 2012 and idx.index.max() == 2024


def test_scheme_list_latest_values(data):
    lst = sm.scheme_list(data["schemes"], data["scheme_series"]).set_index("scheme_id")
    assert len(lst) == 32
    bisp = lst.loc["S01"]
    assert bisp["beneficiaries_kp"] == 1_900_000 and bisp["beneficiaries_period"] == "2024-25"
    assert bisp["spending_kp_pkr_bn"] == 72 and bisp["spending_kind"] == "spent"
    # Sehat card 2024-25: 28 bn settled + 9 bn merged districts, one sourced row of 37
    assert lst.loc["S20", "spending_kp_pkr_bn"] == 37


def test_benefit_levels_real_bisp(data):
    idx = sm.cpi_from_macro(data["macro_indicators"], base_year=2024)
    b = sm.benefit_levels_real(data["scheme_benefit_levels"], idx)
    assert "S20" not in set(b["scheme_id"])  # insurance cover, not cash
    bisp = b[b["scheme_id"] == "S01"].set_index("period")
    assert bisp.loc["2023-24", "monthly_real"] == pytest.approx(3500)
    assert bisp.loc["2016-17", "monthly_nominal"] == pytest.approx(19338 / 12)
    assert np.isnan(bisp.loc["2008-09", "monthly_real"])  # no CPI before 2012


def test_spending_share_real(data):
    budget = sm.kp_budget(data["macro_indicators"])
    assert budget.set_index("year").loc[2024, "basis"] == "expenditure outturn"
    sp = sm.provincial_spending(data["scheme_series"], data["schemes"])
    by = sm.spending_share_by_year(sp, budget).set_index("year")
    # 2024-25: Sehat 37 + girls stipend 1.14 + wheat 29 + Naujawan 5 + Rozgar 12 + Apna Ghar 3 + disability assistance 0.37 (F113)
    assert by.loc[2025, "sp_schemes_pkr_bn"] == pytest.approx(87.51)
    assert by.loc[2025, "sp_schemes_share_pct"] == pytest.approx(100 * 87.51 / 1754)
    assert by.loc[2025, "excluded_pkr_bn"] == 160  # civil pensions kept out of the total


# ----------------------------------------------------------- the BISP caseload is a count of families
def test_bisp_kp_caseload_is_counted_in_families(data):
    """F010's '1.9 million beneficiaries' are the women paid by Benazir Kafaalat, one per family (the benefit
    is paid per family, F013): the caseload is a count of families, never of persons, wherever it is quoted."""
    s = data["scheme_series"]
    bisp = s[(s["scheme_id"] == "S01") & (s["metric"] == "beneficiaries") & (s["geography"] != "Pakistan")]
    assert set(bisp["fact_id"]) >= {"F001", "F002", "F010"}
    assert not bisp["unit"].str.contains("person").any(), bisp[["fact_id", "unit"]]
    assert bisp.set_index("fact_id").loc["F010", "unit"] == "families (one beneficiary per family)"
    lst = sm.scheme_list(data["schemes"], s).set_index("scheme_id")
    assert lst.loc["S01", "beneficiaries_unit"] == "families (one beneficiary per family)"


def test_bisp_caseload_quotes_say_families():
    """Every parameter file and built chapter table that quotes F010 calls it families."""
    from spf_analysis.config import paths
    import re
    for f in sorted(paths.PARAMS.rglob("*.yaml")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if "F010" in line and "1.9 million" in line:
                assert "families" in line, (f, line)
    latest = paths.REPORTS / "tables" / "02_latest_figures.csv"
    if latest.exists():
        t = pd.read_csv(latest).set_index("scheme_id")
        assert t.loc["S01", "beneficiaries_unit"] == "families (one beneficiary per family)"
    for f in sorted((paths.REPORTS / "tables").glob("*.csv")) if (paths.REPORTS / "tables").exists() else []:
        text = f.read_text(encoding="utf-8")
        assert not re.search(r"1[.,]9 million (?:BISP )?(?:beneficiar\w+ )?persons", text), f
