"""Demographic profile: known answers recomputed by hand from the census rows,
and published PBS figures."""

import csv

import numpy as np
import pandas as pd
import pytest

from spf_analysis.data import census
from spf_analysis.config import paths

RAW = paths.RAW / "census"
SETTLED = "Khyber Pakhtunkhwa (25 districts incl. Malakand PA; excl. ex-FATA)"


def raw_rows(file, **where):
    """Rows of a raw CSV matching ``where``, read with the csv module (an
    independent path from the package's reader)."""
    with open(RAW / file, newline="", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if all(r[k] == v for k, v in where.items())]


def raw_sum(groups, **where):
    rows = raw_rows("kp_population_age_sex.csv", **where)
    return sum(int(r["population"]) for r in rows if r["age_group"] in groups)


CHILD = ["00-04", "05-09", "10-14"]
OLD = ["65-69", "70-74", "75+"]
WORK = ["15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54", "55-59", "60-64"]


def test_dependency_ratios_by_hand(province):
    where = dict(geography=SETTLED, year="2017", sex="both (incl. transgender)", urban_rural="total")
    c, w, o = raw_sum(CHILD, **where), raw_sum(WORK, **where), raw_sum(OLD, **where)
    # the counts published in the reference compilation (kp_demographic_rates.csv)
    assert (c, w, o) == (13_248_806, 16_199_598, 1_060_516)
    d = province[(province["sex"] == "both") & (province["area"] == "total")]
    got = census.dependency_ratios(d).set_index("geography").loc["kp_settled_2017"]
    assert got["child_dependency"] == pytest.approx(100 * c / w, rel=1e-12)
    assert got["old_age_dependency"] == pytest.approx(100 * o / w, rel=1e-12)
    assert got["total_dependency"] == pytest.approx(100 * (c + o) / w, rel=1e-12)
    assert got["share_0-14"] == pytest.approx(100 * c / 30_508_920, rel=1e-12)


@pytest.mark.parametrize("geo, year, child, old, total", [
    ("kp_settled_2017", 2017, 81.8, 6.5, 88.3),
    ("ex_fata_2017", 2017, 104.0, 5.4, 109.4),
    ("kp_merged_2017", 2017, 84.6, 6.4, 91.0),
    ("kp_35_2023", 2023, 81.6, 6.1, 87.7),
])
def test_dependency_ratios_match_published(province, geo, year, child, old, total):
    d = province[(province["sex"] == "both") & (province["area"] == "total")]
    got = census.dependency_ratios(d).set_index(["geography", "year"]).loc[(geo, year)]
    assert round(got["child_dependency"], 1) == child
    assert round(got["old_age_dependency"], 1) == old
    assert round(got["total_dependency"], 1) == pytest.approx(total, abs=0.1)


def test_dependency_ratios_refuse_mixed_sexes(province):
    with pytest.raises(ValueError, match="sex"):
        census.dependency_ratios(province[province["area"] == "total"])


def test_age_groups_add_up_to_all_ages(province, districts):
    assert (census.check_age_totals(province)["difference"] == 0).all()
    assert (census.check_age_totals(districts)["difference"] == 0).all()


def test_growth_rate_reproduces_pbs_1998_2017(totals):
    """PBS Table 1 growth rates 1998-2017 are geometric over the exact
    intercensal interval (2 March 1998 to March 2017, 19.04 years): all 47
    rows (province, divisions, districts, agencies, FRs) are reproduced to the
    printed two decimals."""
    t = totals[totals["growth_period"] == "1998-2017"]
    assert len(t) == 47
    r = census.growth_rate(t["population_1998"], t["population"], 19.04)
    assert np.abs(np.round(r, 2) - t["avg_annual_growth_pct"].to_numpy()).max() <= 0.0100001
    # KP: 17,743,645 -> 30,508,920
    assert round(census.growth_rate(17_743_645, 30_508_920, 19.04), 2) == 2.89


def test_growth_rate_hand():
    assert census.growth_rate(100, 121, 2) == pytest.approx(10.0)
    with pytest.raises(ValueError):
        census.growth_rate(100, 121, 0)


def test_harmonised_growth_totals_and_frontier_regions(districts, totals, crosswalk):
    from spf_analysis.data import io

    tot = districts[(districts["age_group"] == "All ages") & (districts["sex"] == "both")
                    & (districts["area"] == "total") & (districts["year"] == 2017)]
    p0 = tot.set_index("geography")["population"]
    p1 = io.district_totals_2023(totals, crosswalk)
    g = census.harmonised_growth(p0, p1, crosswalk, years=6).set_index("harmonised_unit")
    assert g["population_2017"].sum() == 35_501_964
    assert g["population_2023"].sum() == 40_856_097
    assert len(g) == 32
    pesh = raw_rows("kp_district_population_age_sex.csv", year="2017", age_group="All ages",
                    sex="both (incl. transgender)", urban_rural="total")
    by = {r["geography"]: int(r["population"]) for r in pesh}
    assert g.loc["Peshawar", "population_2017"] == by["Peshawar District"] + by["Fr Peshawar (FATA)"]
    assert g.loc["Peshawar", "ex_fata_share_2017_pct"] == pytest.approx(
        100 * by["Fr Peshawar (FATA)"] / g.loc["Peshawar", "population_2017"])
    assert g.loc["Chitral (Lower + Upper)", "population_2023"] == p1["Lower Chitral"] + p1["Upper Chitral"]
    assert g.loc["Bajaur", "ex_fata_share_2017_pct"] == 100
    assert census.merger_status(g["ex_fata_share_2017_pct"]).value_counts().to_dict() == {
        "settled district": 19, "merged ex-FATA district": 7, "settled district with a former FR": 6}


def test_harmonised_growth_rejects_unknown_unit(crosswalk):
    p0 = pd.Series({"Atlantis District": 10})
    with pytest.raises(ValueError, match="Atlantis"):
        census.harmonised_growth(p0, pd.Series(dtype=float), crosswalk, years=6)


def test_pyramid_shares(province):
    d = province[(province["geography"] == "kp_35_2023") & (province["area"] == "total")]
    p = census.pyramid(d)
    assert list(p["age_group"]) == list(census.AGE_GROUPS)
    assert p["male_pct"].sum() + p["female_pct"].sum() == pytest.approx(100)
    m = raw_rows("kp_population_age_sex.csv",
                 geography="Khyber Pakhtunkhwa (35 districts, incl. merged ex-FATA districts)",
                 year="2023", sex="male", urban_rural="total", age_group="00-04")
    assert p.loc[0, "male"] == int(m[0]["population"])


def test_urban_share_and_sex_ratio_match_pbs_table1(province):
    u = census.urban_share(province).set_index("geography")
    assert round(u.loc["kp_settled_2017", "urban_share_pct"], 1) == 18.8  # PBS Table 1
    assert round(u.loc["ex_fata_2017", "urban_share_pct"], 1) == 2.8      # PBS Table 1 FATA
    s = census.sex_ratio(province).set_index("geography")
    assert round(s.loc["kp_settled_2017", "sex_ratio"], 1) == 102.5       # 15,444,481/15,062,440


def test_population_summary_uses_official_total(province):
    s = census.population_summary(province, {"kp_35_2023": 40_856_097}).set_index("geography")
    assert s.loc["kp_35_2023", "population"] == 40_856_097
    assert s.loc["kp_35_2023", "age_table_population"] == 40_641_120
    assert list(s.index) == ["kp_settled_2017", "ex_fata_2017", "kp_merged_2017", "kp_35_2023"]


def test_disability_age_profile_is_the_costings(province):
    """One definition of the disability age pattern: census 2017 Table 17 disabled / population (KP incl.
    ex-FATA) scaled to an overall rate. The RAP scenarios state it as literals: they must equal it."""
    import yaml

    from spf_analysis.data import io
    dis = io.load("disability_census")
    prof17 = census.disability_age_profile(dis, province)
    # by hand from the raw rows: 0-4 disabled 2017 (incl. ex-FATA) / population, and the all-ages rate
    assert prof17[0] == pytest.approx(dis.query("geography == 'kp_merged_2017' and sex == 'both' and area == 'total' "
                                                "and age_group == '00-04'")["disabled"].iloc[0]
                                      / province.query("geography == 'kp_merged_2017' and year == 2017 and sex == 'both' "
                                                       "and area == 'total' and age_group == '00-04'")["population"].iloc[0])
    prof = census.disability_age_profile(dis, province, 0.0316)
    assert (prof / prof17).to_numpy() == pytest.approx(0.0316 / (227_331 / 35_501_964))
    assert list(prof.index) == list(range(0, 80, 5))
    # the scenario files state the severe-disability profiles of census.severe_disability_profiles
    profiles = census.severe_disability_profiles(dis, province, io.read_disability_severity())
    assert profiles["low"].equals(prof17)
    for file, level in (("kp_low.yaml", "low"), ("kp_medium.yaml", "medium"), ("kp_high.yaml", "high")):
        spec = yaml.safe_load((paths.PARAMS / "scenarios" / file).read_text(encoding="utf-8"))
        got = spec["benefits"]["disability_benefit"]["age_profile"]["value"]
        assert {int(k): v for k, v in got.items()} == profiles[level].round(5).to_dict(), file


def test_severe_disability_rate_by_hand(province):
    """Severe-disability rate of the medium and high levels, by hand from the raw rows: the WHO World report
    on disability (2011) band rates, 0.7% of children 0-14 and 2.2% (WHS) or 3.8% (GBD) of adults 15+,
    weighted by the census 2017 KP (incl. ex-FATA) population, 44.3% of it under 15."""
    from spf_analysis.data import io
    sev = io.read_disability_severity()
    p = province.query("geography == 'kp_merged_2017' and year == 2017 and sex == 'both' and area == 'total'")
    p = p.set_index("age_group")["population"]
    s = (p["00-04"] + p["05-09"] + p["10-14"]) / p["All ages"]
    assert s == pytest.approx(0.443, abs=5e-4)  # census 2017 share 0-14, data/raw/census/kp_demographic_rates.csv
    assert census.severe_disability_rate(sev, province, "medium") == pytest.approx(s * 0.007 + (1 - s) * 0.022)
    assert census.severe_disability_rate(sev, province, "high") == pytest.approx(s * 0.007 + (1 - s) * 0.038)
    assert census.severe_disability_rate(sev, province, "medium") == pytest.approx(0.01535, abs=5e-5)
    assert census.severe_disability_rate(sev, province, "high") == pytest.approx(0.02427, abs=5e-5)
    # the medium profile is the 2017 pattern scaled by 1.535% / 0.640%
    dis = io.load("disability_census")
    med = census.severe_disability_profiles(dis, province, sev)["medium"]
    assert med[0] == pytest.approx(census.disability_age_profile(dis, province)[0] * 0.015355 / (227_331 / 35_501_964),
                                   rel=1e-3)
    with pytest.raises(ValueError, match="level must be one of"):
        census.severe_disability_rate(sev, province, "severe")
