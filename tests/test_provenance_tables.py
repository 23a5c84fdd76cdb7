"""Provenance tables of chapter 00 on the real raw and processed files."""

import pandas as pd
import pytest

from spf_analysis.data import io
from spf_analysis.data import manifest
from spf_analysis.data import provenance as pv


@pytest.fixture(scope="module")
def inv():
    return pv.source_inventory()


@pytest.fixture(scope="module")
def long_tables():
    return pv.long_tables()


def test_inventory_has_every_manifest_entry(inv):
    # 42 files when chapter 00 was written (18 sourced tables + 24 UN WPP extracts);
    # other chapters add files, each one row here
    assert len(inv) == len(manifest.read_manifest()) >= 42
    assert inv["file"].is_unique
    # rows are data rows of the raw file (header excluded)
    row = inv.set_index("file").loc["macro/pakistan_kp_macro_fiscal.csv"]
    assert row["rows"] == 140
    assert (row["rows_high"], row["rows_medium"], row["rows_low"]) == (130, 6, 4)


def test_every_raw_file_is_mapped_to_a_reader(inv):
    known = set(io.PROCESSED_TABLES)
    for used in pv.USED_BY.values():
        if not used.startswith("(") and "(" not in used:
            assert set(used.split(", ")) <= known, used
    assert inv.set_index("file").loc["schemes/scheme_series.csv", "used_by"] == \
        "scheme_series, scheme_benefit_levels"


def test_confidence_level_parsing():
    assert pv.confidence_level("high (national/benefit series); medium (KP counts)") == "high"
    assert pv.confidence_level("Medium") == "medium"
    assert pv.confidence_level("") == "not rated"
    assert pv.confidence_level("unknown") == "not rated"


def test_summary_collapses_the_wpp_extracts(inv):
    s = pv.summarise_sources(inv)
    wpp = s[s["file"].str.startswith("un_wpp/")]
    assert len(wpp) == 1 and wpp["file"].iloc[0] == "un_wpp/ (25 files)"
    assert len(s) == len(inv) - 25 + 1
    assert s["rows"].sum() == inv["rows"].sum()
    assert s.set_index("file").loc["schemes/schemes.csv", "confidence"] == "30/2/0"


def test_confidence_table_totals(inv):
    t = pv.confidence_table(inv)
    total = t[t["file"] == "Total"].iloc[0]
    body = t[t["file"] != "Total"]
    assert t["file"].iloc[-1] == "Total"
    assert total["rows_high"] == body["rows_high"].sum()
    assert total["rows_low"] == body["rows_low"].sum()
    scheme_facts = t.set_index("file").loc["schemes/scheme_facts.csv"]
    assert scheme_facts["high_pct"] == pytest.approx(100 * 106 / 115)  # F113-F115 high


def test_conflicts_one_chosen_per_group(long_tables):
    c = pv.conflicts(long_tables)
    # the eight conflicts tabulated in data/raw/README.md (other files may add more)
    readme8 = c[c["file"].isin(["macro/pakistan_kp_macro_fiscal.csv",
                                "poverty/poverty_indicators.csv", "schemes/scheme_series.csv"])]
    assert len(readme8) == 8
    assert (c["n_chosen"] == 1).all()
    assert (c["n_values"] >= 2).all()
    assert (c["reason"].str.len() > 0).all()
    gdp = c[(c["quantity"] == "gdp_nominal_pkr") & (c["period"] == "2015-16")].iloc[0]
    assert gdp["chosen_value"] == 32.7 and gdp["other_values"] == "29.1"  # PKR trillion as published
    bisp = c[c["quantity"].str.startswith("S01") & (c["period"] == "2012-13")].iloc[0]
    assert bisp["chosen_value"] == 70 and bisp["other_values"] == "40"


def test_conflicts_detects_a_new_one(long_tables):
    f = "macro/pakistan_kp_macro_fiscal.csv"
    m = long_tables[f]
    extra = m[m["indicator"] == "cpi_inflation"].head(1).assign(value="9.9", chosen="false")
    c = pv.conflicts({f: pd.concat([m, extra], ignore_index=True)})
    assert len(c) == 3
    assert "cpi_inflation" in set(c["quantity"])


def test_derived_values(long_tables):
    d = pv.derived_values(long_tables)
    known = d[d["file"].isin(["macro/pakistan_kp_macro_fiscal.csv",
                              "poverty/poverty_indicators.csv", "schemes/scheme_series.csv"])]
    assert len(known) == 10
    assert d["derived_from"].notna().all()
    share = d[d["quantity"] == "kp_share_national_gdp"].iloc[0]
    assert share["value"] == 9.9 and share["confidence"] == "low"
