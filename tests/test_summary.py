"""The executive summary: every key number is read from a chapter table, none typed."""

import pandas as pd
import pytest

from spf_analysis.report import summary


def idx(ch, *names, synthetic=False):
    return pd.DataFrame([{"kind": "table", "label": f"Table {int(ch)}.{i + 1}", "name": n, "title": n, "source": "s",
                          "note": "", "file": f"tables/{ch}_{n}.csv", "synthetic": synthetic}
                         for i, n in enumerate(names)])


def toy():
    """Miniature chapter tables with hand-set numbers."""
    gaps = pd.DataFrame([(g, ind, est) for g, ind, est in (
        ("whole population (any benefit)", "coverage", 36.4), ("children 0-14", "protection_gap", 69.9),
        ("older persons 65+ (pension)", "protection_gap", 80.3),
        ("working-age employed 15-64 (social insurance)", "protection_gap", 83.4),
        ("persons with disabilities", "protection_gap", 54.1), ("whole population (Sehat card use)", "protection_gap", 74.4))],
        columns=["group", "indicator", "estimate"])
    pk = pd.DataFrame({"scenario": ["kp_medium", "package_lifecycle", "package_minimum", "kp_medium"],
                       "year": [2030, 2030, 2030, 2035], "cost_pkr_bn": [1017.5, 694.4, 320.7, 1600.0],
                       "cost_pct_gdp": [5.346, 3.649, 1.685, 5.2], "cost_pct_national_gdp": [0.5292, 0.3612, 0.1668, 0.51],
                       "cost_per_head_pkr": [19034.4, 12990.0, 6000.0, 27000.0],
                       "cost_pct_budget": [43.6, 29.8, 13.7, 42.0]})
    net = pd.DataFrame([(sc, 2030, m, lab, *vals) for sc, rows in {
        "kp_medium": {"gross": (1017.5, 5.346, 0.5292, 43.6), "offset": (5.6, 0.03, 0.003, 0.24), "net": (1011.9, 5.316, 0.5262, 43.4),
                      "provincial": (990.0, 5.2, 0.515, 42.4), "federal": (21.9, 0.116, 0.0112, 0.94)},
        "package_lifecycle": {"net": (690.0, 3.62, 0.358, 29.6), "provincial": (690.0, 3.62, 0.358, 29.6)},
        "package_minimum": {"net": (318.0, 1.67, 0.165, 13.6), "provincial": (318.0, 1.67, 0.165, 13.6)}}.items()
        for m, vals in rows.items() for lab in [{"net": "Net cost", "provincial": "Net cost paid by KP"}.get(m, m)]],
        columns=["scenario", "year", "measure", "measure_label", "pkr_bn", "pct_gdp", "pct_national_gdp", "pct_budget"])
    fin = pd.DataFrame([
        ("kp_medium", "low", 9.0, "no", ""), ("kp_medium", "high", 94.4, "no", "A; B; C; D; E"),
        ("package_lifecycle", "low", 15.2, "no", ""), ("package_lifecycle", "high", 167.0, "yes", "Lobbying for aid and transfers; Increasing tax revenues"),
        ("package_minimum", "low", 28.4, "no", ""), ("package_minimum", "high", 312.7, "yes", "Lobbying for aid and transfers")],
        columns=["package", "yield_case", "covered_pct", "financed", "options_needed_largest_first"])
    return {
        "04_package_costs_net": net,
        "06_financing_packages": fin,
        "01_population_summary": pd.DataFrame({"geography": ["kp_35_2023"], "boundary": ["KP 2023"], "year": [2023],
                                               "population": [40856097]}),
        "01_dependency_ratios": pd.DataFrame({"geography": ["KP 2023", "other"], "year": [2023, 2023],
                                              "share_0-14": [43.45, 1], "share_65+": [3.26, 1],
                                              "total_dependency": [87.67, 1]}),
        "03_protection_gaps": gaps,
        "03_sehat_utilisation": pd.DataFrame({
            "benchmark": ["Region, Publisher (2020): 85.3 per 1,000", "World, IHME: 100 per 1,000"],
            "per_1000": [21.84, 21.84], "share_of_benchmark_pct": [25.61, 21.84], "chosen": [True, False]}),
        "03_sdg131": pd.DataFrame({
            "group": ["whole population (SDG 1.3.1 total)", "older persons 65+ (pension)", "children 0-14",
                      "persons with disabilities", "unemployed 15-64"],
            "estimate": [33.5, 19.4, 29.3, 0.0, 0.0],
            "anchor": ["", "20% (Pakistan, 2021; HelpAge International blog)", "1,224,411 families (Khyber Pakhtunkhwa, 2018; The News)",
                       "37,000 persons (Khyber Pakhtunkhwa, 2024-25; The Nation)", float("nan")],
            "calibration_input": ["", "pension_60plus", "bisp_families", "", float("nan")]}),
        "04_package_costs": pk,
        "04_fan_package_cost": pd.DataFrame({"year": [2030], "q05": [4.51], "q95": [6.85]}),
        "05_poverty_impact": pd.DataFrame({"scenario": ["kp_medium"] * 3 + ["kp_low"],
                                           "indicator": ["headcount_pre", "headcount_post", "gap_reduction",
                                                         "headcount_post"],
                                           "estimate": [27.0, 18.1, 48.2, 22.0]}),
        "05_contributory_capacity": pd.DataFrame({"sector": ["agriculture", "all"], "employment_type": ["employee", "all"],
                                                  "capacity": [100_000.0, 430_000.0],
                                                  "contrib_essi": [1.5, 15.5], "contrib_eobi": [1.5, 15.5]}),
        "06_fiscal_paths": pd.DataFrame({"year": [2030, 2030], "package": ["none", "kp_medium"],
                                         "balance_pct_gdp": [0.74, -4.61]}),
        "07_recommendation_costs": pd.DataFrame({"label": ["Universal child benefit", "Universal social pension"],
                                                 "cost_pct_gdp_medium": [1.2995, 1.07]}),
        "07_matrix_sources": pd.DataFrame({"column": ["implementation issues", "recommendations", "recommendations"]}),
        "index_01": idx("01", "population_summary", "dependency_ratios"),
        "index_03": pd.concat([idx("03", "protection_gaps", "sdg131", "y", "z", "w", "bisp_targeting", synthetic=True),
                               idx("03", "sehat_utilisation").assign(label="Table 3.7")], ignore_index=True),
        "index_04": idx("04", "package_costs", "fan_package_cost", "package_costs_net"),
        "index_05": idx("05", "benefit_rules", "poverty_impact", "x", "y", "z", "w", "contribution_rates",
                        "contributory_capacity", synthetic=True),
        "index_06": idx("06", "fiscal_paths", "option_yields", "financing_packages"),
        "index_07": idx("07", "assessment_matrix", "recommendation_costs", "matrix_sources"),
    }


def test_key_numbers_are_the_table_values_with_their_labels():
    kn = summary.key_numbers(toy(), 2030, "kp_medium", n_schemes=32).set_index("key")
    assert kn.loc["population", "value"] == 40856097 and kn.loc["population", "table"] == "Table 1.1"
    assert kn.loc["gap_workers", "value"] == 83.4 and kn.loc["gap_workers", "synthetic"]
    # SDG 1.3.1 direct coverage with its anchors; the BISP exclusion error (a calibration input) is not a key number
    assert kn.loc["sdg_total", "value"] == 33.5 and kn.loc["sdg_total", "table"] == "Table 3.2"
    assert kn.loc["cov_old", "value"] == 19.4 and "published: 20% (Pakistan, 2021" in kn.loc["cov_old", "what"]
    assert kn.loc["cov_unemployed", "value"] == 0.0 and "published" not in kn.loc["cov_unemployed", "what"]
    assert "bisp_exclusion" not in kn.index
    # health: use of the Sehat card against the chosen benchmark (not enrolment), from its own table
    assert kn.loc["gap_health", "value"] == 74.4 and kn.loc["gap_health", "table"] == "Table 3.1"
    assert kn.loc["sehat_per_1000", "value"] == 21.84 and kn.loc["sehat_share", "value"] == 25.61
    assert kn.loc["sehat_per_1000", "table"] == "Table 3.7" and not kn.loc["sehat_per_1000", "synthetic"]
    assert kn.loc["cost_floor_gdp", "value"] == 5.346 and kn.loc["cost_floor_pkr", "value"] == 1017.5
    assert kn.loc["cost_floor_national_gdp", "value"] == 0.5292 and kn.loc["cost_floor_national_gdp", "unit"] == "% of national GDP"
    assert kn.loc["cost_package_minimum_gdp", "value"] == 1.685
    assert kn.loc["balance_after", "value"] == -4.61 and kn.loc["recommendations_other", "value"] == 2
    assert kn.loc["top_recommendation", "what"].endswith("Universal child benefit")
    assert not kn.loc["cost_floor_gdp", "synthetic"]


def test_summary_text_quotes_the_numbers():
    text = summary.summary_markdown(summary.key_numbers(toy(), 2030, "kp_medium", n_schemes=32), 2030)
    for s in ("40.9 million", "43% are children", "3.3% are 65", "ratio of 88 per 100", "32 federal and provincial",
              "34% of the population receive at least one social protection benefit or contribute to social insurance, "
              "the SDG 1.3.1 total", "19% of persons aged 65+ receive a pension (published: 20% (Pakistan, 2021; "
              "HelpAge International blog)) and 29% of children live in a household receiving a family cash benefit "
              "(published: 1,224,411 families (Khyber Pakhtunkhwa, 2018; The News))",
              "persons with disabilities (0%) and the unemployed (0%) receive no regular benefit", "synthetic household survey",
              "5.3% of KP GDP in 2030 (Rs 1,018 billion or Rs 19,034 per resident a year, 0.53% of national GDP, "
              "a ratio that does not depend on "
              "the unofficial estimate of KP's GDP, and 44% of the KP budget)", "between 4.5% and 6.8%",
              "a surplus of 0.7% of KP GDP", "a deficit of 4.6% of KP GDP", "universal child benefit (1.30% of KP GDP)",
              "(Table 3.2, Table 3.1)", "(Table 6.1)"):
        assert s in text, s
    assert ("Enrolment in the Sehat card is universal by policy, but the card pays for 22 admissions per 1,000 "
            "residents a year, 26% of the benchmark of comparable countries (Region, Publisher (2020): 85.3 per "
            "1,000) (Table 3.7).") in text
    assert "not enrolled" not in text
    assert "BISP misses" not in text and "of the poor" not in text
    assert "from 27.0% to 18.1% and close 48% of the poverty gap" in text
    assert "About 0.43 million workers" in text and "Rs 31 billion a year" in text
    assert "(Table 5.2, Table 5.8)" in text


def test_net_costs_and_financing_quoted():
    kn = summary.key_numbers(toy(), 2030, "kp_medium", n_schemes=32)
    k = kn.set_index("key")
    assert k.loc["net_kp_medium_pct_gdp", "value"] == 5.316 and k.loc["net_kp_medium_pct_gdp", "table"] == "Table 4.3"
    assert k.loc["provincial_package_minimum_pct_budget", "value"] == 13.6
    assert k.loc["offset_floor_pkr", "value"] == 5.6
    assert k.loc["fin_package_minimum_high", "value"] == 312.7 and k.loc["fin_kp_medium_low", "table"] == "Table 6.3"
    text = summary.summary_markdown(kn, 2030)
    for s in ("Rs 5.6 billion for the full floor in 2030",
              "the full floor 5.3% of KP GDP, 0.53% of national GDP and 43% of the KP budget",
              "the minimum package 1.7% of KP GDP, 0.17% of national GDP and 14% of the KP budget",
              "take 42% of its budget for the full floor, 30% of its budget for the life-cycle package and 14% of its "
              "budget for the minimum package; the federal government would pay the rest (Table 4.3)",
              "the minimum package could be financed by lobbying for aid and transfers",
              "the life-cycle package could be financed by lobbying for aid and transfers and increasing tax revenues",
              "the full floor could not be financed (all of them together cover 94% of it)",
              "cover only 9% of the full floor, 15% of the life-cycle package and 28% of the minimum package (Table 6.3)"):
        assert s in text, s


def test_chapter_5_numbers():
    kn = summary.key_numbers(toy(), 2030, "kp_medium").set_index("key")
    assert kn.loc["impact_headcount_post", "value"] == 18.1 and kn.loc["impact_headcount_post", "synthetic"]
    assert kn.loc["capacity_workers", "value"] == 430_000 and kn.loc["capacity_contributions", "value"] == 31
    assert kn.loc["capacity_workers", "table"] == "Table 5.8"


def test_key_numbers_rounded_by_unit():
    kn = pd.DataFrame({"value": [443227.25, 1119.99, 28.913, 5.9443, 312.66],
                       "unit": ["persons", "PKR billion", "%", "% of KP GDP", "% of the package cost"]})
    assert summary.rounded(kn).tolist() == [443227.0, 1120.0, 28.9, 5.94, 313.0]


def test_calibration_inputs_are_said_to_be_inputs():
    kn = summary.key_numbers(toy(), 2030, "kp_medium", n_schemes=32)
    text = summary.summary_markdown(kn, 2030)
    assert "reproduce its calibration targets: inputs, not findings" in text
    # the published anchor is quoted without the calibration marker
    assert "(published: 20% (Pakistan, 2021; HelpAge International blog))" in text and "[calibration" not in text
    t = toy()
    t["03_sdg131"]["calibration_input"] = ""
    assert "inputs, not findings" not in summary.summary_markdown(summary.key_numbers(t, 2030, "kp_medium", n_schemes=32), 2030)
