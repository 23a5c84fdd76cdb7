"""Design-based inference on the simulated survey (poverty and inequality impact, coverage, with SEs
and CIs) and the reconciliation of survey costs with the RAP costs of the same scenario and year.

Inference runs on the survey itself with :class:`spf_analysis.stats.survey.Design` and the
estimators of :mod:`spf_analysis.stats.poverty` / :mod:`spf_analysis.stats.indicators`.  The
reconciliation uses the costing's group definition (:func:`costing.in_age_sex_group`) for the
projected and the survey persons of a rule.
"""

from __future__ import annotations


import numpy as np
import pandas as pd

from spf_analysis.model import costing
from spf_analysis.stats import indicators
from spf_analysis.stats.survey import Design

from .frame import Persons, in_group
from .rules import ALIGNED_TARGETS, SURVEY_FLAG_TARGETS, BenefitRule, RuleSet, ages_label
from .simulate import partition_sums, simulate, survey_costs


#: the life-cycle groups of the impact by group (chapter 5) and the scenario explorer: band edges
#: (age in completed years, right-closed) and the band names
LIFE_CYCLE_EDGES = (-1, 5, 17, 59, 64, 200)
LIFE_CYCLE_GROUPS = ("0-5", "6-17", "18-59", "60-64", "65+")


def life_cycle_group(age) -> pd.Categorical:
    """Each person's life-cycle group (LIFE_CYCLE_GROUPS, in that order) from the age in completed years."""
    bands = pd.cut(pd.Series(age), list(LIFE_CYCLE_EDGES), labels=list(LIFE_CYCLE_GROUPS))
    return pd.Categorical(bands.astype(str), categories=list(LIFE_CYCLE_GROUPS))


def design(sim: pd.DataFrame) -> Design:
    """Survey design on a simulated person frame (strata from hhcode, PSU clusters, household weights)."""
    return Design(sim, "weights", "stratum", "psu", lonely_psu="adjust")


def impact(sim: pd.DataFrame, rs: RuleSet, by=None, *, level: float = 0.95) -> pd.DataFrame:
    """Headcount, gap and Gini before/after the reform with SEs and CIs, and the benefit-cost ratio.

    Pre-reform welfare = ``cons_pae`` (consumption per adult equivalent with the existing transfers),
    post-reform = ``y_post``; :func:`indicators.poverty_impact` and
    :func:`indicators.benefit_cost_ratio` on :func:`design`, per rupee of gross transfer (``gross_pae``:
    a public-works wage in full, while ``y_post`` carries only its net gain).
    """
    d = design(sim)
    out = indicators.poverty_impact(d, "cons_pae", "y_post", rs.line, by=by, level=level)
    bcr = indicators.benefit_cost_ratio(d, "cons_pae", "y_post", "gross_pae", rs.line, by=by, level=level)
    out = pd.concat([out, bcr], ignore_index=True)
    out.insert(0, "scenario", rs.scenario)
    return out


def coverage_by(sim: pd.DataFrame, rs: RuleSet, by, *, level: float = 0.95) -> pd.DataFrame:
    """Share of persons living in a household that receives a new cash benefit, by ``by`` (with SEs; the
    interval on the logit scale, :func:`spf_analysis.stats.indicators.share_interval`)."""
    out = indicators.share_interval(indicators.coverage(design(sim), "ben_new", by=by, level=level), level)
    out.insert(0, "scenario", rs.scenario)
    return out


#: explanation of a benefit's survey-RAP difference, by benefit name (report prose for the KP provisions;
#: a benefit not named here is explained by its survey rule, :data:`TARGET_NOTES`)
RECONCILIATION_NOTES = {
    "child_benefit": ("Age-based: after the demographic adjustment only take-up sampling remains. The raw gap is the "
                      "child share: census 2023 (survey weights) vs the projection, whose WPP-based fertility gives fewer children."),
    "social_pension": "Age-based: after the demographic adjustment only take-up sampling remains (raw gap: older projected population).",
    "disability_benefit": ("Survey Washington Group flag thinned to the RAP's own severe-disability prevalence (census "
                           "2017 Table 17 pattern scaled to the scenario's severe rate); persons 65+ receiving the social "
                           "pension excluded in both; remaining: sampling and take-up draws."),
    "maternity_benefit": ("Survey infants aged 0 scaled to projected births (the survey has no birth history); remaining: "
                          "take-up sampling."),
    "sehat_extension": "Whole population, cost per person: after the demographic adjustment identical by construction.",
    "employment_guarantee": ("Definition: survey = one adult 18-59 per PMT-poor household (poor households are larger than "
                             "average, so fewer households per poor person); RAP = assumed prevalence 7.65% of persons 18-59."),
    "contribution_subsidy": ("Definition: survey = employed, not formally covered, earning at least the capacity threshold; "
                             "RAP = employed share x informal share x share of informal workers earning at least the minimum "
                             "wage, from published aggregates (the last an employers' estimate; no KP tabulation). The survey "
                             "applies the rule itself (with a synthetic survey, a cross-check only)."),
    "package": "Sum of the benefits.",
}
#: explanation by survey rule (:attr:`BenefitRule.target`) of a benefit not in :data:`RECONCILIATION_NOTES`
#: ({ages}: the rule's ages; {rp}: the RAP prevalence)
TARGET_NOTES = {
    "age": "Age-based: after the demographic adjustment only take-up sampling remains.",
    "health": "Everyone in the ages, cost per person: after the demographic adjustment identical by construction.",
    "disability": ("Survey disability flag calibrated to the RAP's age profile; remaining: overlap rules, sampling and "
                   "take-up draws."),
    "births": "Survey infants aged 0 scaled to projected births; remaining: take-up sampling.",
    "poor_household": ("Definition: survey = one adult {ages} per PMT-poor household; RAP = assumed prevalence {rp:.2%} of "
                       "persons {ages}."),
    "contributory_capacity": ("Definition: survey = employed, not formally covered, earning at least the capacity threshold; "
                              "RAP = assumed prevalence {rp:.2%} of persons {ages}. The survey measures the prevalence."),
    "bisp_household": ("Definition: survey = persons {ages} in households that report BISP receipt ({sp:.2%} of persons "
                       "{ages}); RAP = prevalence {rp:.2%} derived from the BISP caseload (scenario file). Not aligned."),
    "no_pension": ("Definition: survey = persons {ages} without a civil-service or EOBI pension ({sp:.2%} of persons "
                   "{ages}); RAP = prevalence {rp:.2%} from the published pension coverage (scenario file). Not aligned."),
}
#: explanation of an aligned rule, by survey rule ({sp}, {rp}: survey and RAP prevalence; {ages}: the rule's ages)
ALIGNED_NOTES = {
    "poor_household": ("Aligned: caseload set to the RAP's ({rp:.2%} of persons {ages}), households selected by ascending PMT "
                       "score; remaining: take-up sampling, level, months, admin, prices. Unaligned, the survey's own rule "
                       "(one adult {ages} per household below the PMT cut-off of the poverty headcount) gives {sp:.2%}: poor "
                       "households are larger than the average household the RAP prevalence assumes."),
    "contributory_capacity": ("Aligned: caseload set to the RAP's ({rp:.2%} of persons {ages}), uncovered workers selected by "
                              "descending earnings; remaining: take-up sampling, level, admin, prices. Unaligned, the survey's own "
                              "rule (employed, not formally covered, earning at least the capacity threshold) gives {sp:.2%}, a "
                              "cross-check of the RAP's product of published factors (employed x informal x earning at least "
                              "the minimum wage; compared factor by factor in chapter 5)."),
}


def group_population(rule: BenefitRule, population: pd.DataFrame, births: pd.Series, year: int) -> float:
    """Projected persons of ``year`` in a rule's age/sex range (births for a births rule), with the
    costing's group definition (:func:`costing.in_age_sex_group`)."""
    if rule.target == "births":
        return float(births.loc[year])
    p = population[population["year"] == year]
    m = costing.in_age_sex_group(p["age"].to_numpy(), p["sex"].to_numpy() if rule.sex != "all" else None,
                                 rule.age_min, rule.age_max, rule.sex)
    return float(p.loc[m, "population"].sum())


def survey_group_population(frame: pd.DataFrame, rule: BenefitRule) -> float:
    """Weighted survey persons in a rule's age/sex range (infants aged 0 for a births rule)."""
    return float(frame["weights"].to_numpy(float)[in_group(frame, rule.age_min, rule.age_max, rule.sex)].sum())


def reconcile(costs: pd.DataFrame, rap: pd.DataFrame, rs: RuleSet, frame: pd.DataFrame, population: pd.DataFrame,
              births: pd.Series, tolerance: float) -> pd.DataFrame:
    """Survey cost (grossed up with the weights) against the RAP cost of the same scenario and year.

    Both apply the scenario's take-up of year ``t`` (survey: per-person draws), the same admin
    mark-up and the same price level (survey amounts re-inflated with ``D[t]``).  The survey
    weights add up to the census 2023 population (its age structure); the RAP uses the projected
    population of year ``t``.  So::

        raw_rel_diff     = survey cost / RAP cost - 1
        demographic      = N_projection[t](ages of the benefit) / N_survey(same ages)   (births / infants for maternity)
        adjusted cost    = survey cost x demographic
        rel_diff         = adjusted cost / RAP cost - 1,   within_tolerance = |rel_diff| <= tolerance

    What remains after the demographic adjustment is the eligibility definition (survey flags and
    targeting vs the RAP's assumed prevalences), take-up sampling and overlap rules; the
    ``explanation`` column says which applies.  For targeted rules (:data:`ALIGNED_TARGETS`)
    ``alignment`` says whether the caseload was aligned to the RAP's (then only take-up sampling,
    levels, months, admin and prices remain), and ``survey_prevalence`` / ``rap_prevalence`` compare
    the survey's own (unaligned) eligible share of the persons in the ages with the RAP's assumption
    (``prevalence_ratio`` = survey / RAP): the survey measures what the RAP assumes.
    """
    r = rap[rap["year"] == rs.year].set_index("benefit")
    out = costs.copy()
    out.insert(0, "scenario", rs.scenario)
    out.insert(1, "year", rs.year)
    fac = {}
    for rule in rs.rules:
        fac[rule.name] = group_population(rule, population, births, rs.year) / survey_group_population(frame, rule)
    out["demographic_factor"] = out["benefit"].map(fac)
    out["rap_eligible"] = out["benefit"].map(r["eligible"]) if "eligible" in r else np.nan
    out["rap_beneficiaries"] = out["benefit"].map(r["beneficiaries"]) if "beneficiaries" in r else np.nan
    out["rap_cost"] = out["benefit"].map(r["cost"])
    out["raw_rel_diff"] = out["cost"] / out["rap_cost"] - 1
    out["cost_adjusted"] = out["cost"] * out["demographic_factor"]
    pk = out["benefit"] == "package"
    out.loc[pk, "cost_adjusted"] = out.loc[~pk, "cost_adjusted"].sum()
    out["beneficiaries_adjusted"] = out["beneficiaries"] * out["demographic_factor"]
    out["rel_diff"] = out["cost_adjusted"] / out["rap_cost"] - 1
    out["tolerance"] = tolerance
    out["within_tolerance"] = out["rel_diff"].abs() <= tolerance
    targeted = {r.name: r for r in rs.rules if r.target in ALIGNED_TARGETS or r.target in SURVEY_FLAG_TARGETS}
    out["alignment"] = out["benefit"].map({n: "rap" if r.aligned else "none" for n, r in targeted.items()}).fillna("")
    out["survey_prevalence"] = out["benefit"].map({n: r.survey_prevalence for n, r in targeted.items()})
    out["rap_prevalence"] = out["benefit"].map({n: r.rap_prevalence for n, r in targeted.items()})
    out["prevalence_ratio"] = out["survey_prevalence"] / out["rap_prevalence"]
    notes = {"package": RECONCILIATION_NOTES["package"]}
    for r in rs.rules:
        fmt = {"ages": ages_label(r), "rp": r.rap_prevalence, "sp": r.survey_prevalence}
        if r.name in targeted and r.aligned:
            notes[r.name] = ALIGNED_NOTES[r.target].format(**fmt)
            continue
        if r.target in SURVEY_FLAG_TARGETS:  # the rule, not the benefit's name, says how it was targeted
            notes[r.name] = TARGET_NOTES[r.target].format(**fmt)
            continue
        notes[r.name] = RECONCILIATION_NOTES.get(r.name) or TARGET_NOTES[r.target].format(**fmt)
        if r.name in targeted:
            notes[r.name] += f" Survey prevalence {r.survey_prevalence:.2%} vs RAP {r.rap_prevalence:.2%}."
    out["explanation"] = out["benefit"].map(notes).fillna("")
    return out


def run(frame: pd.DataFrame, rs: RuleSet, *, level: float = 0.95,
        persons: Persons | None = None) -> dict[str, pd.DataFrame]:
    """Simulate one rule set on the survey: ``sim`` (persons), ``impact`` (poverty, Gini, BCR with SEs),
    ``sums`` (weighted sums) and ``costs`` (survey costs in year-``t`` rupees). ``persons``: the
    :meth:`Persons.from_frame` arrays of ``frame``, made once for a chapter's many rule sets."""
    sim = simulate(frame, rs, persons=persons)
    sums = partition_sums(sim, rs)
    return {"sim": sim, "impact": impact(sim, rs, level=level), "sums": sums, "costs": survey_costs(sums, rs)}
