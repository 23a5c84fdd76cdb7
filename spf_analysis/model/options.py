"""Derived inputs of the targeted variants and the phased roadmap (params/scenarios/kp_medium_child_bisp.yaml,
kp_medium_pension_tested.yaml, kp_medium_roadmap.yaml), each computed from sourced raw figures.

The scenario files hold the values the costing uses (a scenario file is the costing's input, with its
derivation in the ``rationale``); these functions recompute them from ``data/raw`` so that
``tests/test_options.py`` checks that every file value equals its derivation (rounded to four decimals).

* :func:`bisp_child_share`: the share of KP children in BISP Benazir Kafaalat families = BISP beneficiary
  families in KP (scheme_facts F010: 1.9 million, 2024-25) / KP households (census 2023 population / the
  census 2017 average household size of KP and ex-FATA) x the ratio of children per BISP family to children
  per household (an assumption, 1: no stored source gives the household composition of BISP families;
  BISP's proxy means test favours larger households, so the share is a lower bound).
* :func:`pension_test_share`: the share of older persons without a contributory or civil-service pension
  = 1 - the share with one (3 of 15 million older persons, HelpAge International; survey target
  ``pension_60plus``).
* :func:`merged_districts_share`: the merged (ex-FATA) districts' share of KP's persons of an age group in
  census 2023 (the seven ex-FATA agencies, now districts, by the district crosswalk; the six former frontier
  regions are sub-divisions of settled districts and stay with them).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from spf_analysis.data import io
from spf_analysis.household import synth

#: the scheme fact of the current BISP Kafaalat caseload in KP (data/raw/schemes/scheme_facts.csv)
BISP_CASELOAD_FACT = "F010"
#: children per BISP family / children per KP household: an assumption (see the module docstring)
BISP_CHILDREN_RATIO = 1.0
#: the crosswalk status of the units that became KP's merged districts
MERGED_STATUS = "ex-FATA agency"


@dataclass(frozen=True)
class BispShare:
    beneficiaries: float        # BISP beneficiary families in KP (F010)
    year: str                   # the period of the caseload
    population_2023: float      # KP census 2023
    household_size: float       # persons per household, census 2017 KP + ex-FATA
    households: float           # population_2023 / household_size
    children_ratio: float       # BISP_CHILDREN_RATIO
    share: float                # beneficiaries / households x children_ratio


def _fact(fact_id: str) -> pd.Series:
    f = io.load("scheme_facts")
    row = f[f["fact_id"] == fact_id]
    if len(row) != 1:
        raise ValueError(f"scheme fact {fact_id} not found once in scheme_facts")
    return row.iloc[0]


def household_size_2017() -> float:
    """Persons per household in census 2017, KP settled districts and ex-FATA together: the sum of their
    populations over the sum of their households (population / average household size of each region)."""
    t = io.load("census_district_totals")
    tot = t[(t["level"] == "province/region total") & (t["year"] == 2017)]
    if len(tot) != 2:
        raise ValueError("census 2017 district totals need the KP and the FATA rows")
    pop = tot["population"].astype(float)
    return float(pop.sum() / (pop / tot["avg_household_size"].astype(float)).sum())


def bisp_child_share(children_ratio: float = BISP_CHILDREN_RATIO) -> BispShare:
    """Share of KP children in BISP families (see the module docstring)."""
    from spf_analysis.model import demography

    fact = _fact(BISP_CASELOAD_FACT)
    if "million" not in str(fact["unit"]):
        raise ValueError(f"scheme fact {BISP_CASELOAD_FACT}: expected a count in millions, got {fact['unit']!r}")
    ben = float(fact["value_num"]) * 1e6
    pop = demography.KP_CENSUS_TOTALS[2023]
    hs = household_size_2017()
    hh = pop / hs
    return BispShare(beneficiaries=ben, year=str(fact["year"]), population_2023=pop, household_size=hs, households=hh,
                     children_ratio=children_ratio, share=ben / hh * children_ratio)


def pension_coverage() -> float:
    """Share of older persons who receive a pension (civil or EOBI), from the survey target ``pension_60plus``."""
    tg = synth.read_targets().set_index("target_id")
    if tg.loc["pension_60plus", "unit"] != "percent of persons 60+":
        raise ValueError("pension_60plus: expected percent of persons 60+")
    return float(tg.loc["pension_60plus", "value"]) / 100


def pension_test_share() -> float:
    """Share of older persons without a contributory or civil-service pension: 1 - :func:`pension_coverage`."""
    return 1 - pension_coverage()


def merged_districts_share(age_group: str = "00-04", year: int = 2023) -> float:
    """The merged districts' share of KP's persons in ``age_group`` ("All ages" for everyone), census ``year``."""
    d = io.load("census_district_age_sex")
    d = d[(d["year"] == year) & (d["age_group"] == age_group) & (d["sex"] == "both") & (d["area"] == "total")]
    cw = io.load("census_district_crosswalk")
    merged = set(cw.loc[cw["status_2017"] == MERGED_STATUS, "district_2023"])
    if not merged or not merged <= set(d["geography"]):
        raise ValueError(f"census {year} {age_group}: merged districts {sorted(merged - set(d['geography']))} missing")
    pop = d.groupby("geography")["population"].sum().astype(float)
    return float(pop[list(merged)].sum() / pop.sum())
