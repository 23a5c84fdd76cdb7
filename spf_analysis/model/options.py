"""Derived inputs of the targeted variants and the phased roadmap (params/scenarios/kp_medium_child_bisp.yaml,
kp_medium_pension_tested.yaml, kp_medium_roadmap.yaml), each computed from sourced raw figures.

The scenario files hold the values the costing uses (a scenario file is the costing's input, with its
derivation in the ``rationale``); these functions recompute them from ``data/raw`` so that
``tests/test_options.py`` checks that every file value equals its derivation (rounded to four decimals).

* :func:`bisp_child_share`: the share of KP children in BISP Benazir Kafaalat families = BISP beneficiary
  families in KP (scheme_facts F010: 1.9 million, 2024-25) / KP households (census 2023 population / the
  census 2017 average household size of KP and ex-FATA) x the ratio of children per BISP family to children
  per household (an assumption, 1: no source consulted gives the household composition of BISP families;
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
    year: str                   # the period of the caseload ("2024-25")
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
    return BispShare(beneficiaries=ben, year=str(fact["year"]).split(" (")[0], population_2023=pop, household_size=hs, households=hh,
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


# ----------------------------------------------------------------------------- tables of chapter 4

#: who receives a benefit under each survey targeting rule (costing.TARGETING_RULES), as a label
RULE_LABELS = {"universal": "universal", "bisp_household": "children of BISP families only",
               "no_pension": "only those without a contributory or civil-service pension",
               "disability": "persons with a severe disability", "births": "per birth",
               "poor_household": "one adult per poor household", "contributory_capacity": "informal workers with capacity"}


def ages_label(b, years=None, year=None) -> str:
    """Ages of a benefit, "65+" or "0-5" (of ``year`` for a phased age of entry, else its lowest)."""
    from spf_analysis.model import costing

    lo = costing.age_min_in_year(b, years, year) if year is not None else costing.age_min_range(b)[0]
    return f"{lo}-{b.age_max}" if b.age_max is not None else f"{lo}+"


def benefit_label(b) -> str:
    """``"Child benefit 0-5, children of BISP families only"``: the readable name, ages and who receives it."""
    from spf_analysis.config import labels

    return f"{labels.label(b.name)} {ages_label(b)}, {RULE_LABELS[b.targeting_rule()]}"


def targeted_benefit(variant, reference) -> str:
    """The one benefit whose targeting differs between a targeted variant and the reference scenario."""
    changed = [b.name for b in variant.benefits
               if b.name in {r.name for r in reference.benefits} and b.targeting_rule() != reference.benefit(b.name).targeting_rule()]
    if len(changed) != 1:
        raise ValueError(f"scenario {variant.name!r}: expected one benefit targeted differently from {reference.name!r}, got {changed}")
    return changed[0]


def compare_targeted(results, reference, variants, year: int) -> pd.DataFrame:
    """Each targeted variant's benefit beside its universal counterpart in the reference scenario, in ``year``.

    ``results``: ``{scenario: cost table}`` (:func:`spf_analysis.model.costing.cost_named_scenarios`);
    ``reference``, ``variants``: loaded scenarios.  Columns: ``option`` (label), ``pair`` (the variant's
    name), ``beneficiaries``, ``cost``, ``cost_pct_gdp``, ``cost_per_beneficiary`` (PKR a year),
    ``package_pct_gdp`` (the whole floor with this option), ``saving_pct`` (the targeted benefit's cost
    below the universal one, % of it; 0 for the universal rows).
    """
    rows = []
    for v in variants:
        name = targeted_benefit(v, reference)
        pair = []
        for sc in (reference, v):
            df = results[sc.name]
            r = df[(df["benefit"] == name) & (df["year"] == year)].iloc[0]
            pk = df[(df["benefit"] == "package") & (df["year"] == year)].iloc[0]
            pair.append({"option": benefit_label(sc.benefit(name)), "pair": v.name, "beneficiaries": float(r["beneficiaries"]),
                         "cost": float(r["cost"]), "cost_pct_gdp": float(r["cost_pct_gdp"]),
                         "cost_per_beneficiary": float(r["cost"] / r["beneficiaries"]),
                         "package_pct_gdp": float(pk["cost_pct_gdp"])})
        pair[0]["saving_pct"] = 0.0
        pair[1]["saving_pct"] = 100 * (1 - pair[1]["cost"] / pair[0]["cost"])
        rows += pair
    return pd.DataFrame(rows)


def phase_years(scenario) -> list[int]:
    """The years in which a phased scenario changes: the keys of its prevalence and age-of-entry year paths."""
    ys = set()
    for b in scenario.benefits:
        for v in (b.prevalence, b.age_min):
            if isinstance(v, dict):
                ys |= {int(k) for k in v}
    return sorted(ys)


def roadmap_path(results, roadmap, reference, phased=("child_benefit", "social_pension")) -> pd.DataFrame:
    """The roadmap's cost path beside the full floor (the reference scenario), by year.

    Columns: ``year``, ``phase`` (1, 2, ... from the phase years; 0 before the first), for each benefit of
    ``phased`` its coverage (``<benefit>_share``: the prevalence of the year) and its age of entry
    (``<benefit>_ages``), ``cost`` and ``cost_pct_gdp`` of the roadmap, ``full_cost_pct_gdp`` of the reference,
    ``share_of_full`` (roadmap cost / full cost, %).
    """
    from spf_analysis.model import costing

    years = roadmap.years
    starts = phase_years(roadmap)
    rd = results[roadmap.name].query("benefit == 'package'").set_index("year")
    fu = results[reference.name].query("benefit == 'package'").set_index("year")
    rows = []
    for y in years:
        y = int(y)
        row = {"year": y, "phase": sum(1 for s in starts if s <= y)}
        for n in phased:
            b = roadmap.benefit(n)
            row[f"{n}_share"] = 100 * float(costing.prevalence_in_year(b, years, y))
            row[f"{n}_ages"] = ages_label(b, years, y)
        row.update(cost=float(rd.loc[y, "cost"]), cost_pct_gdp=float(rd.loc[y, "cost_pct_gdp"]),
                   full_cost_pct_gdp=float(fu.loc[y, "cost_pct_gdp"]),
                   share_of_full=100 * float(rd.loc[y, "cost"] / fu.loc[y, "cost"]) if fu.loc[y, "cost"] > 0 else float("nan"))
        rows.append(row)
    return pd.DataFrame(rows)
