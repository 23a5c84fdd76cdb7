"""SDG 1.3.1 as its metadata defines it (direct recipients per contingency), kept apart from household receipt;
the published anchors file; the inventory's 'no unemployment benefit -> 0'; the reference year."""

import numpy as np
import pandas as pd
import pytest

from spf_analysis.config.errors import read_yaml
from spf_analysis.config import paths
from spf_analysis.data import io
from spf_analysis.household import gaps, synth
from spf_analysis.stats.survey import Design


def tiny():
    """Three households (weights 2, 1, 3), six persons; hand-computed answers in the tests.

    hh1 (w 2): p1 aged 40, disabled and unemployed; p2 aged 5. The household receives BISP.
    hh2 (w 1): p3 aged 70 with an EOBI pension; p4 aged 30, disabled, informal worker.
    hh3 (w 3): p5 aged 50, formal worker; p6 aged 10. No benefit.
    """
    df = pd.DataFrame({
        "hh": [1, 1, 2, 2, 3, 3], "weights": [2.0, 2.0, 1.0, 1.0, 3.0, 3.0], "stratum": 1, "psu": [1, 1, 2, 2, 3, 3],
        "age": [40, 5, 70, 30, 50, 10],
        "disability": pd.array([1, 0, 0, 1, 0, 0], dtype="Int64"),
        "labour_status": pd.array(["unemployed", None, "inactive", "employed", "employed", None], dtype="string"),
        "formal": pd.array([pd.NA, pd.NA, pd.NA, 0, 1, pd.NA], dtype="Int64"),
        "sehat_card": pd.array([pd.NA] * 6, dtype="Int64"),
        "ben_pension": [0, 0, 1, 0, 0, 0], "rec_essi": [0] * 6,
        "ben_bisp": [1, 1, 0, 0, 0, 0], "ben_social_assistance": [1, 1, 0, 0, 0, 0],
        "ben_any": [1, 1, 1, 1, 0, 0], "poor_pre": [1, 1, 0, 0, 0, 0], "one": 1})
    return Design(gaps.group_flags(df), "weights", "stratum", "psu", lonely_psu="adjust")


def test_direct_recipients_not_household_receipt():
    d = tiny()
    cov = gaps.protection_gaps(d)
    c = cov[cov["indicator"] == "coverage"].set_index("group")["estimate"]
    hh = gaps.household_receipt(d).set_index("group")["estimate"]
    # disabled p1 (w 2) and p4 (w 1) both live in receiving households: household receipt 3/3, SDG 1.3.1 0
    assert c["persons with disabilities"] == 0 and hh["persons with disabilities"] == pytest.approx(1.0)
    assert c["unemployed 15-64"] == 0 and hh["unemployed 15-64"] == pytest.approx(1.0)
    # children: p2 (w 2) in a BISP household, p6 (w 3) not: 2/5
    assert c["children 0-14"] == pytest.approx(0.4)
    assert c["older persons 65+ (pension)"] == pytest.approx(1.0)
    # vulnerable = children p2, p6 and adults without contributory cover p1, p4: weight 8; in SA households p1, p2: 4
    assert c["vulnerable persons (social assistance)"] == pytest.approx(0.5)
    # total: p1, p2 (social assistance), p3 (pension), p5 (contributing): 8 of 12; household receipt 6 of 12
    assert c["whole population (SDG 1.3.1 total)"] == pytest.approx(8 / 12)
    assert hh["whole population (SDG 1.3.1 total)"] == pytest.approx(0.5)


def test_anchors_file_read():
    a = io.read_sdg131_anchors()
    old = a[a["indicator"] == "old_age_pension_coverage"].set_index("year")["value"]
    assert old[2021] == 20 and old[2024] == 15            # HelpAge (3 of 15 million); The News on Sunday 2024
    bisp = a[a["indicator"] == "bisp_beneficiary_families"].iloc[0]
    assert bisp["value"] == 1_083_579 + 140_832 and bisp["year"] == 2018
    z = a[a["indicator"] == "zakat_guzara_recipients"].iloc[0]
    assert z["value"] == 90_806 and z["year"] == 2020      # FY 2019-20 ends in 2020
    assert a["source_url"].str.startswith("http").all()


def test_no_unemployment_benefit_in_the_inventory_means_zero():
    schemes = io.read_schemes()
    assert not gaps.inventory_has_unemployment_benefit(schemes)
    toy = schemes.head(1).assign(scheme_name="Unemployment insurance fund")
    assert gaps.inventory_has_unemployment_benefit(toy)
    h, p, _ = synth.load_survey()
    from spf_analysis.model import policy
    t = gaps.sdg131_table(gaps.survey_design(h, p, policy.survey_poverty_line()), io.read_sdg131_anchors()).set_index("group")
    for g in ("unemployed 15-64", "persons with disabilities"):
        assert t.loc[g, "estimate"] == 0 and t.loc[g, "se"] == 0
        assert t.loc[g, "household_receipt"] > 0.2          # the household-receipt number is not the SDG one
        assert t.loc[g, "inventory"]


def test_reference_year_applied():
    ref = read_yaml(paths.PARAMS / "03_coverage_gaps.yaml")["gap_reference_year"]["value"]
    assert ref == 2023 == int(synth.load_params()["census_year"])
    gaps.check_reference_year(ref, 2023)
    with pytest.raises(ValueError, match="gap_reference_year 2018"):
        gaps.check_reference_year(2018, 2023)


def test_bisp_targeting_labels_calibration_input():
    te = gaps.bisp_targeting(tiny_design_with_quintile(), synthetic=True)
    assert (te["calibration_input"] == gaps.calibration_inputs("poor population (social assistance)")).all()
    assert te["calibration_input"].iloc[0].startswith("BISP UCT beneficiary families; ")  # the targets file's words
    assert (gaps.bisp_targeting(tiny_design_with_quintile(), synthetic=False)["calibration_input"] == "").all()


def tiny_design_with_quintile():
    d = tiny()
    return d.with_columns(quintile=np.array([1, 1, 3, 3, 5, 5]))


def test_calibration_inputs_are_named_in_words():
    """A row's calibration inputs are shown by the targets' own indicator names (the targets file), not their ids."""
    from spf_analysis.household import gaps

    targets = pd.DataFrame({"target_id": ["bisp_families", "bisp_bottom_quintile_share", "poverty_headcount"],
                            "indicator": ["BISP families", "BISP in the poorest 20%", "poverty headcount"]})
    assert gaps.calibration_inputs("poor population (social assistance)", targets) == \
        "BISP families; BISP in the poorest 20%; poverty headcount"
    assert gaps.calibration_inputs("persons with disabilities", targets) == ""
    text = gaps.calibration_inputs("children 0-14")  # the real file
    assert text and "_" not in text
