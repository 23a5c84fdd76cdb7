"""Static microsimulation of the SPF options on the household survey (chapter 05).

Each scenario of ``params/scenarios/`` (loaded with
:func:`spf_analysis.model.costing.load_named_scenario`) is turned into per-person benefit rules for
one **simulation year** ``t`` and applied to the survey persons; benefits that add to consumption
are added to household consumption and the welfare measure stays consumption per adult equivalent
(chapter 03's measure), so poverty is measured exactly as in chapter 03 (official CBN line,
Rs 3,030.32 per adult equivalent a month, FY 2013-14 prices).

The package, by concern (each module imports only those above it):

* :mod:`.frame` -- survey inputs: the person frame, the price deflator ``D[t]``, counter-based
  draws, household aggregation, group membership of persons;
* :mod:`.capacity` -- contributory capacity (flags, contributions, rates, the prevalence by factor);
* :mod:`.rules` -- scenario + year -> per-person rules, from the costing's per-year functions and
  the scenario's declared targeting (``targeting.rule``) and ``adds_to_consumption``; caseload
  alignment to the RAP;
* :mod:`.simulate` -- the array engine (rules as numpy operations over persons, households as slices of
  sorted household codes), weighted sums, survey costs;
* :mod:`.reference` -- the engine it replaced (frozen, pandas), for the golden test and the benchmark;
* :mod:`.parallel` -- the Dask path (partitions of whole households, generated in the workers; same numbers);
* :mod:`.inference` -- design-based impact and coverage, reconciliation with the RAP costs.
* :mod:`.uncertainty` -- parameter uncertainty of the impact: draws of take-up, benefit level and prices through
  the engine's rules for every scenario, paired with the cost Monte Carlo (imported as a module, not re-exported).

This module only re-exports their public API.
"""

from __future__ import annotations

from .capacity import (CAPACITY_FACTORS, WORKING_AGE, capacity_flags, capacity_prevalence_factors, contribution_rates,
                       contributory_capacity)
from .frame import (HOUSEHOLD_COLUMNS, PERSON_COLUMNS, REPLICA_STRIDE, Persons, in_group, survey_line, survey_price_year, person_frame,
                    pensioner, price_deflator, replicate, uniform_hash)
from .inference import (ALIGNED_NOTES, LIFE_CYCLE_GROUPS, RECONCILIATION_NOTES, TARGET_NOTES, coverage_by, design, group_population,
                        impact, life_cycle_group, reconcile, run, survey_group_population)
from .parallel import replicated_sums_dask, simulate_dask, sums_dask, to_dask
from .rules import (ALIGNED_TARGETS, ALIGNMENT, SURVEY_FLAG_TARGETS, TARGETING_RULES, BenefitRule, RuleSet, build_rules, caseload_cutoff,
                    poor_household_eligible, profile_at, single_benefits, survey_target)
from .simulate import combine_sums, engine, partition_sums, simulate, simulate_sums, survey_costs

__all__ = [
    "survey_line", "survey_price_year", "TARGETING_RULES", "BenefitRule", "RuleSet", "person_frame", "price_deflator",
    "build_rules", "simulate", "partition_sums", "Persons", "engine", "simulate_sums", "replicated_sums_dask", "REPLICA_STRIDE", "combine_sums", "survey_costs", "to_dask", "simulate_dask",
    "sums_dask", "design", "impact", "coverage_by", "life_cycle_group", "LIFE_CYCLE_GROUPS", "reconcile", "group_population", "survey_group_population",
    "capacity_flags", "contributory_capacity", "capacity_prevalence_factors", "CAPACITY_FACTORS", "contribution_rates", "uniform_hash", "replicate", "single_benefits", "run",
    "ALIGNMENT", "ALIGNED_TARGETS", "SURVEY_FLAG_TARGETS", "caseload_cutoff", "in_group", "profile_at", "survey_target", "poor_household_eligible",
    "PERSON_COLUMNS", "HOUSEHOLD_COLUMNS", "pensioner", "RECONCILIATION_NOTES", "TARGET_NOTES", "ALIGNED_NOTES",
]
