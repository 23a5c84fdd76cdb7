"""Chapter 08, the policy, legal and institutional framework: the sourced facts and the tables
built from them, with known answers (checked by hand against the cited sources and the inventory)."""

import pandas as pd
import pytest

from spf_analysis.data import framework as fw
from spf_analysis.data import io
from spf_analysis.data.io import InputError
from spf_analysis.report import framework as fr


@pytest.fixture(scope="module")
def facts():
    return fw.read_legal_framework()


@pytest.fixture(scope="module")
def schemes():
    return io.read_schemes()


def test_facts_are_complete_and_sourced(facts):
    assert facts["fact_id"].is_unique
    for c in ("instrument", "what", "source_title", "locator", "snippet"):
        assert (facts[c].str.strip() != "").all(), c
    assert facts["source_url"].str.match(r"https?://\S+$").all()
    assert set(facts["confidence"]) <= {"high", "medium", "low"}
    fr.check_facts(facts)  # no error


# the laws and documents the chapter must cover, with the year each source states
KNOWN = {"18th Amendment to the Constitution": "2010", "Employees' Old-Age Benefits Act, 1976": "1976",
         "Benazir Income Support Programme Act, 2010": "2010", "Zakat and Ushr Act, 2011": "2011",
         "Minimum Wages Act, 2013": "2013", "Employees Social Security Act, 2021": "2021",
         "Universal Health Coverage Act, 2022": "2022", "Social Protection Policy 2022": "2022",
         "Social Protection Strategy 2025-2030": "2025"}


@pytest.mark.parametrize("name,year", KNOWN.items())
def test_each_instrument_is_there_with_its_year(facts, name, year):
    row = facts[facts["instrument"].str.contains(name, regex=False)]
    assert len(row) == 1, name
    assert row["year"].iloc[0] == year
    assert row["level"].iloc[0] in ("constitutional", "federal", "provincial")


def test_levels_of_the_laws(facts):
    lvl = facts.set_index("fact_id")["level"]
    assert lvl["L07"] == "federal" and lvl["L08"] == "federal"          # EOBI, BISP
    assert (lvl[["L09", "L10", "L11", "L12"]] == "provincial").all()      # Zakat, wages, ESSI, health


def test_competence_table_covers_the_four_guarantees(facts, schemes):
    t = fr.competence_table(facts, schemes)
    assert len(t) == 4
    assert [g.split(" (")[0] for g in t["guarantee"]] == ["Health", "Children", "Working age", "Old age"]
    t = t.set_index(t["guarantee"].str.split(" (", regex=False).str[0])
    assert (t["instruments"] != "").all() and (t["schemes"] > 0).all()
    # old age: the federal EOBI Act and the provincial Zakat Act
    assert "Employees' Old-Age Benefits Act" in t.loc["Old age", "instruments"]
    assert t.loc["Old age", "legislates"] == "federal and provincial"
    assert t.loc["Health", "legislates"] == "provincial"
    # inventory (chapter 2): children = BISP S02, S04 and Bait-ul-Mal S09-S11 federal; S13, S22, S25 provincial
    assert t.loc["Children", "schemes"] == 8
    assert t.loc["Children", "financed_by"] == "federal 5; provincial 3"
    # every scheme with one of the four main guarantees is counted once
    assert t["schemes"].sum() == schemes["spf_guarantee_main"].astype(str).isin(fw.GUARANTEES).sum()


def test_zakat_and_workers_welfare_are_federally_financed_provincially_delivered():
    assert fr._financed_by("provincial (federal collection, provincial disbursement)") == "federal"
    assert fr._financed_by("provincial board of federal fund") == "federal"
    assert fr._financed_by("provincial") == "provincial"
    assert fr._level_word("provincial board of federal fund") == "provincial"


def test_a_guarantee_without_law_is_an_error(facts, schemes):
    old_age_laws = facts["guarantees"].str.contains("old_age") & facts["kind"].isin(fr.LAW_KINDS)
    with pytest.raises(fr.FrameworkError, match="old_age"):
        fr.check_facts(facts[~old_age_laws])
    with pytest.raises(fr.FrameworkError, match="unknown guarantee"):
        fr.competence_table(facts, schemes, ["health", "elderly"])


def test_institutions_and_their_schemes(facts, schemes):
    t = fr.institutions_table(facts, schemes).set_index("fact_id")
    assert t.loc["L18", "scheme_ids"] == "S16"          # EOBI
    assert t.loc["L19", "scheme_ids"] == "S17"          # ESSI
    assert t.loc["L17", "schemes"] >= 4                  # BISP: UCT, Taleem, graduation, Nashonuma, ...
    assert t.loc["L22", "schemes"] == 0                  # P&D runs no scheme
    other = fr.unmatched_schemes(facts, schemes)
    matched = set(", ".join(t["scheme_ids"]).replace(" ", "").split(",")) - {""}
    assert matched.isdisjoint(other["scheme_id"]) and len(matched) + len(other) == len(schemes)
    assert "S07" in set(other["scheme_id"])               # Pakistan Bait-ul-Mal


def test_labour_indicators_known_answers():
    lab = fr.labour_indicators(io.load("labour_census"), io.load("macro_indicators"), "kp_merged_2017", 0.724, "x")
    v = lab.set_index(lab["indicator"] + " " + lab["period"])["value"]
    assert v["Activity rate, persons 15+ (all) 2017"] == pytest.approx(33.80)
    # the share computed from the counts equals the share derived in the raw table (14.14)
    assert v["Seeking work, share of the active 10+ 2017"] == pytest.approx(14.14, abs=0.01)
    assert v["KP minimum wage, unskilled worker 2014-15"] == 12000
    assert v["KP minimum wage, unskilled worker 2024-25"] == 36000
    assert fr.informal_share("kp_medium")[0] == pytest.approx(0.724)


def test_options_point_to_their_laws(facts):
    labels = {"employment_guarantee": "EG", "contribution_subsidy": "CS", "social_pension": "SP"}
    t = fr.option_links(facts, labels).set_index("option")
    assert "Minimum Wages Act" in t.loc["EG", "instruments"]
    assert t.loc["CS", "fact_ids"] == "L07, L11"
    assert t.loc["SP", "instruments"].startswith("no existing law")
    # the universal child benefit is a new provincial benefit, not one of the federal BISP Act (L08)
    t2 = fr.option_links(facts, {"child_benefit": "CB", "maternity_benefit": "MB"}).set_index("option")
    assert t2.loc["CB", "instruments"].startswith("no existing law") and "L11" not in t2.loc["MB", "fact_ids"]


def test_dialogue_table_needs_one_entry_per_step(facts):
    t = fr.dialogue_table(facts, ["L24", "L26"], ["a", "b"], ["Done", "Not done"])
    assert list(t["step"]) == ["Assessment", "Endorsement"]
    with pytest.raises(fr.FrameworkError, match="one entry per step"):
        fr.dialogue_table(facts, ["L24", "L26"], ["a"], ["Done", "Not done"])
    with pytest.raises(fr.FrameworkError, match="not ABND steps"):
        fr.dialogue_table(facts, ["L07"], ["a"], ["b"])


def test_reader_refuses_an_unknown_guarantee_and_an_empty_snippet(tmp_path):
    df = pd.read_csv(fw.FILE, dtype=str, keep_default_na=False)
    bad = df.copy()
    bad.loc[0, "guarantees"] = "health;elderly"
    bad.to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(InputError, match="unknown guarantee"):
        fw.read_legal_framework(tmp_path / "a.csv")
    bad = df.copy()
    bad.loc[2, "snippet"] = " "
    bad.to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(InputError, match="snippet"):
        fw.read_legal_framework(tmp_path / "b.csv")
