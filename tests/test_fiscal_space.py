"""Fiscal-space options with yields (spf_analysis.model.fiscal): hand-computed yields, shares,
the options that could finance a package, and contribution revenue in the fiscal balance."""

import numpy as np
import pandas as pd
import pytest

from spf_analysis.data import io
from spf_analysis.model import fiscal

BN = 1e9


def _ind(**over):
    """A fiscal_space_indicators-like table with the real figures (values in PKR billion/percent)."""
    facts = {"kp_subsidies_total": (165, 2026), "kp_subsidy_health_card": (36, 2026),
             "kp_subsidy_mti_hospitals": (65, 2026), "kp_own_tax_receipts": (83.5, 2026),
             "kp_tax_revenue_growth_target": (40, 2026), "provincial_tax_revenue_gdp": (0.85, 2025),
             "provincial_tax_revenue_gdp_expected": (3, 2028), "kp_nfc_claim_shortfall_max": (220, 2026),
             "kp_foreign_grants": (7, 2025), **over}
    return pd.DataFrame([{"indicator": k, "value": v, "year": y, "chosen": True} for k, (v, y) in facts.items()])


GDP = pd.Series({2025: 1000 * BN, 2026: 1100 * BN, 2027: 1210 * BN, 2030: 2200 * BN})
KW = dict(wheat_subsidy=(29, 2025), surplus=236.7 * BN, contrib_essi=16 * BN, contrib_eobi=16 * BN, contrib_takeup=0.5)


def test_option_yields_hand_computed():
    y = fiscal.option_yields(_ind(), GDP, 2030, **KW).set_index("key")
    assert list(y.index) == [k for k, *_ in fiscal.ILO_OPTIONS]
    # carried to 2030 at a constant share of KP GDP: x2 from FY 2025-26, x2.2 from FY 2024-25
    assert y.loc["reallocation", "yield_low"] == pytest.approx(29 * 2.2 * BN)           # 63.8 bn
    assert y.loc["reallocation", "yield_high"] == pytest.approx((165 - 36 - 65) * 2 * BN)  # 128 bn
    assert y.loc["tax", "yield_low"] == pytest.approx(83.5 * (0.40 - 0.10) * 2 * BN)    # 50.1 bn: growth above GDP's 10%
    assert y.loc["tax", "yield_high"] == pytest.approx(422.4117647 * BN)                 # 83.5 x (3/0.85 - 1) x 2
    # ESSI only (provincial): 16 x 0.5 low, 16 high; EOBI's 16 is federal and not KP fiscal space
    assert y.loc["contributions", ["yield_low", "yield_high"]].tolist() == pytest.approx([8 * BN, 16 * BN])
    assert y.loc["transfers", ["yield_low", "yield_high"]].tolist() == pytest.approx([0, (440 + 15.4) * BN])
    assert y.loc["reserves", ["yield_low", "yield_high"]].tolist() == pytest.approx([0, 236.7 * BN])
    for k in ("iff", "debt", "macro"):
        assert y.loc[k, ["yield_low", "yield_high"]].tolist() == [0, 0]
    assert y.loc["reallocation", "yield_low_pct_gdp"] == pytest.approx(2.9)              # 63.8 / 2200
    assert (y["yield_low"] <= y["yield_high"]).all()


def test_option_yields_on_the_sourced_table():
    """In their own fiscal year (GDP held constant) the yields are the published arithmetic."""
    ind = io.read_fiscal_space_indicators()
    gdp = pd.Series(1.0, index=range(2015, 2031))
    y = fiscal.option_yields(ind, gdp, 2026, **{**KW, "surplus": -1.0}).set_index("key")
    assert y.loc["reallocation", "yield_high"] == pytest.approx(64 * BN)      # 165 - 36 - 65 (BR, 14 Jun 2025)
    assert y.loc["tax", "yield_low"] == pytest.approx(33.4 * BN)              # 83.5 x 40% (GDP growth 0 here)
    assert y.loc["tax", "yield_high"] == pytest.approx(211.2058824 * BN)      # 83.5 x (3 / 0.85 - 1)
    assert y.loc["transfers", "yield_high"] == pytest.approx(227 * BN)        # 220 + 7
    assert y.loc["reserves", "yield_high"] == 0                               # a deficit is no reserve


def test_option_yields_refuses_a_missing_figure():
    with pytest.raises(ValueError, match="kp_foreign_grants"):
        fiscal.option_yields(_ind().query("indicator != 'kp_foreign_grants'"), GDP, 2030, **KW)


def test_shares_and_financing_combination():
    y = fiscal.option_yields(_ind(), GDP, 2030, **KW)
    sh = fiscal.yield_shares(y, {"A": 500 * BN}).set_index("key")
    assert sh.loc["reallocation", "share_high"] == pytest.approx(25.6)         # 128 / 500
    hi = fiscal.financing_combination(y, 500 * BN, "high")
    assert hi["key"].tolist() == ["transfers", "tax", "reserves", "reallocation", "contributions"]
    assert hi["cumulative_share"].iloc[0] == pytest.approx(91.08)               # 455.4 / 500
    assert hi["needed"].tolist() == [True, True, False, False, False]
    pf = fiscal.package_financing(y, {"A": 500 * BN}).set_index("bound")
    assert pf.loc["high", "financed"] and pf.loc["high", "n_options"] == 2
    assert pf.loc["high", "options"] == "Lobbying for aid and transfers; Increasing tax revenues"
    # low bound: 50.1 + 63.8 + 8 = 121.9 bn of 500 -> all three needed, not enough
    assert not pf.loc["low", "financed"] and pf.loc["low", "n_options"] == 3
    assert pf.loc["low", "covered_pct"] == pytest.approx(24.38)
    lo = fiscal.financing_combination(y, 500 * BN, "low")
    assert lo["key"].tolist() == ["reallocation", "tax", "contributions"]      # 63.8 > 50.1 > 8


def test_contribution_path_and_net_balance():
    years = [2029, 2030, 2031]
    path = fiscal.contribution_path(16.0, 10.0, 2030, pd.Series([100.0, 110.0, 121.0], index=years),
                                    pd.Series([10.0, 10.0, 11.0], index=years), pd.Series(0.5, index=years))
    assert path.loc[2031, "contrib_essi"] == pytest.approx(16 * 1.1 * 1.1 * 0.5)     # 9.68
    assert path.loc[2029, "contrib_essi"] == pytest.approx(16 * 100 / 110 * 0.5)     # 7.2727
    assert path.loc[2030, "contrib_eobi"] == pytest.approx(5.0)
    mf = pd.DataFrame({"revenue": [100.0, 110.0, 120.0], "expenditure": [90.0, 95.0, 100.0],
                       "gdp": [1000.0, 1000.0, 1000.0]}, index=years)
    p = fiscal.fiscal_paths(mf, {"A": pd.Series(20.0, index=years), "B": pd.Series(1.0, index=years)},
                            contributions={"A": path}).set_index(["package", "year"])
    assert p.loc[("A", 2030), "balance"] == pytest.approx(-5.0)                     # 110 - 95 - 20
    assert p.loc[("A", 2030), "balance_net"] == pytest.approx(3.0)                  # -5 + 8 (ESSI only)
    assert p.loc[("A", 2030), "balance_net_pct_gdp"] == pytest.approx(0.3)
    assert p.loc[("B", 2030), "balance_net"] == p.loc[("B", 2030), "balance"] == pytest.approx(14.0)
    assert p.loc[("none", 2030), "contrib_essi"] == 0


def test_subsidy_takeup():
    r = pd.DataFrame({"benefit": ["contribution_subsidy"] * 2 + ["child_benefit"], "year": [2025, 2026, 2026],
                      "eligible": [0.0, 200.0, 5.0], "beneficiaries": [0.0, 40.0, 5.0]})
    assert fiscal.subsidy_takeup(r).tolist() == [0.0, 0.2]
    assert fiscal.subsidy_takeup(r[r["benefit"] == "child_benefit"]) is None
