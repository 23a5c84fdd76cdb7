"""Scenario + simulation year -> per-person benefit rules (amounts in survey prices, constants computed once).

Each benefit of a scenario (:func:`spf_analysis.model.costing.load_named_scenario`) becomes a
:class:`BenefitRule` for one **simulation year** ``t``, with the costing's own per-year functions:
level (:func:`costing.benefit_level_in_year`, annual amount :func:`costing.annual_amount`), take-up
(:func:`costing.takeup_in_year`), eligible prevalence (:func:`costing.prevalence_in_year`), age/sex
group (:func:`costing.in_age_sex_group`, :func:`costing.group_membership`) and the admin mark-up
(:meth:`costing.Benefit.markup`).

How the eligible are found in the survey is **declared** in the scenario (``targeting.rule``,
:data:`costing.TARGETING_RULES`), not derived from benefit names; so is whether the benefit adds to
household consumption (``adds_to_consumption``; defaults: cash yes, health in kind no) and, for a
public-works wage, the share of it the participant gives up in other earnings (``forgone_earnings``:
the household gains ``wage x (1 - share)``, the rule's ``net_share``; the cost stays the gross wage).
The rule's ``target`` is the survey rule applied by :func:`spf_analysis.microsim.simulate.simulate`:

* ``age`` (declared ``universal``, cash): ``age_min <= age <= age_max``, sex;
* ``health`` (``kind: health``, universal): everyone in the ages, cost only (in kind); a births-based
  health benefit (maternity care) takes the ``births`` rule, cost only;
* ``disability``: survey disability flag (Washington Group "a lot of difficulty" or "cannot do")
  within the ages; when the scenario's prevalence (its ``age_profile`` averaged over the survey's
  age structure) is below the survey's, a deterministic share ``P_scenario / P_survey`` of the
  disabled is eligible (low scenario: census 2017 rates);
* ``births``: infants aged 0, one per birth (the benefit goes to the infant's household; the survey
  has no birth history);
* ``poor_household``: one participant per household, the adult in the ages with the lowest member
  number, in households whose PMT score (or, with ``targeting="consumption"``, pre-reform
  consumption) is below the cut-off that selects the survey's poverty headcount share of persons;
* ``contributory_capacity``: employed, not in formal (social-insurance) employment, in the ages,
  earning at least the capacity threshold (:func:`spf_analysis.microsim.capacity.capacity_flags`);
* ``bisp_household``: in the ages and living in a household that receives BISP (``rec_bisp``);
* ``no_pension``: in the ages and receiving neither a civil-service nor an EOBI pension
  (:func:`spf_analysis.microsim.frame.pensioner`).

These two rules read the survey's own receipt flags: their caseload is the survey's, not aligned to
the RAP's prevalence (the notes of the rule set compare the two).

A ``universal`` benefit whose prevalence in the simulation year is below 1 or that has an age
profile has no survey rule that reproduces it: :func:`build_rules` refuses it, naming the scenario
file and key.  The age of entry is that of the simulation year (:func:`costing.age_min_in_year`:
a phased age of entry takes the age of its phase).

Caseload alignment (``alignment="rap"``, the default).  The RAP's eligible prevalence of the
``poor_household`` and ``contributory_capacity`` rules is derived in the scenario files from
published aggregates (params/scenarios: 7.65% and 12.38% of persons 18-59 in kp_medium, the latter
the product of its ``prevalence.factors``), while the survey rules above apply the rule itself.  As
microsimulation models align simulated totals to external targets (alignment: e.g. the JAS-mine
alignment library of SimPaths,
https://github.com/simpaths/SimPaths/wiki/6.3-The-JAS%E2%80%90mine-Alignment-library; EUROMOD
minimum-income schemes calibrated to official expenditure, https://doi.org/10.1111/roiw.12728), the
simulated caseload is then aligned to the RAP's: the grossed-up number of eligible units is set to
``C = prevalence[t] x N_survey(ages)``, selecting units in the order of the rule -- households by
ascending PMT score (one adult of the ages each), uncovered workers (earnings > 0) by descending
earnings.  The cut-off is computed once on the whole survey from weighted totals
(:func:`caseload_cutoff`); the rule applied to each row stays a pure row rule, so Dask partitions
give the pandas numbers.  The survey's own (unaligned) prevalence is kept on the rule
(``survey_prevalence``).  ``alignment="none"``: the survey rules alone.

Take-up: a person (household, for ``poor_household``) takes a benefit up when a counter-based
uniform ``u = hash(hhcode, idc, salt)`` is below the take-up of year ``t``; the salt is a hash of
the benefit's name and the seed, so the name identifies the benefit's stream of draws (renaming a
benefit with take-up below 1 redraws it; its rules are unchanged).  ``exclusive_with``: a person who
takes up a benefit ``A`` named there does not receive ``s``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace
from typing import Mapping

import numpy as np
import pandas as pd

from spf_analysis.model import costing
from spf_analysis.stats.poverty import weighted_quantile

from .capacity import capacity_flags
from .frame import hh_min, in_group, pensioner, price_deflator, survey_line

#: caseload alignment options of :func:`build_rules`: "rap" (align targeted caseloads to the RAP's) or "none"
ALIGNMENT = ("rap", "none")
#: survey targeting rules whose caseload is aligned to the RAP's with ``alignment="rap"``, and the selection order
ALIGNED_TARGETS = {
    "poor_household": "households by ascending PMT score (one adult of the ages each)",
    "contributory_capacity": "uncovered workers by descending monthly earnings",
}
#: survey targeting rules read from the survey's receipt flags (caseload not aligned), and what they select
SURVEY_FLAG_TARGETS = {
    "bisp_household": "persons in households receiving BISP",
    "no_pension": "persons without a civil-service or EOBI pension",
}
#: the declared targeting rules (scenario ``targeting.rule``), from the costing's schema
TARGETING_RULES = costing.TARGETING_RULES
#: ``{age_lower: share}`` step function at ``age``: the costing's (:func:`costing.age_profile_at`)
profile_at = costing.age_profile_at


@dataclass(frozen=True)
class BenefitRule:
    """One benefit as a per-person rule for one year (amounts in survey prices, per month)."""

    name: str
    target: str                 # "age", "disability", "births", "poor_household", "contributory_capacity", "health",
                                # "bisp_household", "no_pension"
    age_min: int
    age_max: int | None
    sex: str
    takeup: float
    monthly: float              # per beneficiary per month averaged over the year (level x months/12 / 12 / D)
    markup: float               # administrative mark-up on benefits (costing.admin_markup)
    to_welfare: bool            # added to household consumption
    net_share: float = 1.0      # share of the benefit that raises consumption: 1 - forgone earnings (public works)
    exclusive_with: tuple[str, ...] = ()
    thinning: float = 1.0       # share of flagged persons eligible (disability)
    level_year: float = 0.0     # annual level per beneficiary in year-t rupees (level x months/12)
    salt: int = 0
    aligned: bool = False       # caseload aligned to the RAP's (poor_household, contributory_capacity)
    cutoff: float = np.nan      # aligned rule: PMT score (or consumption) <= cutoff; earnings >= cutoff
    rap_prevalence: float = np.nan     # the scenario's eligible prevalence in year t (targeted rules)
    survey_prevalence: float = np.nan  # the survey's own rule, unaligned: weighted eligible / persons in the ages


@dataclass(frozen=True)
class RuleSet:
    """The rules of one scenario in one year, with the scenario-wide constants."""

    scenario: str
    year: int
    deflator: float
    line: float
    rules: tuple[BenefitRule, ...]
    pmt_cut: float = np.inf
    targeting: str = "pmt"
    quintile_cuts: tuple[float, ...] = ()
    capacity_threshold: float = np.inf   # monthly earnings, survey prices
    notes: Mapping[str, str] = field(default_factory=dict)

    def rule(self, name: str) -> BenefitRule:
        for r in self.rules:
            if r.name == name:
                return r
        raise KeyError(name)


def survey_target(b: costing.Benefit, file=None, *, years=None, year=None) -> str:
    """The survey rule of a benefit from its declared targeting (``age`` for universal cash, ``health`` in kind).

    A universal benefit with a prevalence below 1 (in ``year`` of the scenario ``years`` when given,
    else anywhere on its path) or an age profile has no survey rule:
    :class:`costing.ScenarioError` naming ``file`` and ``benefits.<name>.targeting``.
    """
    rule = b.targeting_rule()
    if b.kind == "health":  # in kind, cost only: everyone in the ages, or infants aged 0 when births-based
        return "births" if b.basis == "births" else "health"
    if rule != "universal":
        return rule
    if year is not None:
        prev = costing.prevalence_in_year(b, years, year)
    else:
        prev = b.prevalence if not isinstance(b.prevalence, Mapping) else min(b.prevalence.values())
    if b.age_profile or float(np.min(prev)) < 1:
        what = "an age profile" if b.age_profile else f"prevalence {prev} < 1"
        raise costing.ScenarioError(
            f"benefit {b.name!r} has {what} and targeting rule 'universal': no survey targeting rule reproduces it; "
            f"declare targeting.rule (one of {list(TARGETING_RULES)})", file=file, key=f"benefits.{b.name}.targeting")
    return "age"


def caseload_cutoff(score, weights, target: float) -> tuple[float, float]:
    """Cut-off ``c`` selecting the units of lowest ``score`` until their weights reach ``target``.

    ``c`` is the weighted quantile of the candidates' scores at ``p = target / sum w``
    (:func:`spf_analysis.stats.poverty.weighted_quantile`, Eurostat rule): the smallest score whose
    cumulative weight reaches ``target``.  The selection ``score <= c`` then grosses up to at least
    ``target`` and exceeds it by less than the weight of the last unit selected (units tied at ``c``
    are all selected).  ``target >= sum w``: every candidate (``c`` = the largest score; the caseload
    falls short of the target).  No candidate or ``target <= 0``: ``c = -inf`` (nobody).  Scores that
    are NaN are not candidates.  Returns ``(c, selected weight)``.

    To select by *descending* value (e.g. earnings) pass ``-value`` and use ``value >= -c``.
    """
    x = np.asarray(score, dtype=float)
    w = np.asarray(weights, dtype=float)
    ok = ~np.isnan(x)
    x, w = x[ok], w[ok]
    total = float(w.sum())
    if len(x) == 0 or target <= 0 or total <= 0:
        return -np.inf, 0.0
    c = float(x.max()) if target >= total else float(weighted_quantile(x, w, target / total))
    return c, float(w[x <= c].sum())


def poor_household_eligible(hh: np.ndarray, idc: np.ndarray, inage: np.ndarray, score: np.ndarray, cut: float,
                            inclusive: bool) -> np.ndarray:
    """One participant per household whose score is below (``inclusive``: at most) ``cut``: the member in
    ``inage`` with the lowest member number (``score`` is a household variable, NaN = never)."""
    s = np.nan_to_num(np.asarray(score, dtype=float), nan=np.inf)
    el = inage & ((s <= cut) if inclusive else (s < cut))
    first = hh_min(hh, np.where(el, idc, np.inf))
    return el & (idc == first)


def ages_label(r: BenefitRule) -> str:
    return f"{r.age_min}-{r.age_max}" if r.age_max is not None else f"{r.age_min}+"


def build_rules(scenario: str | costing.Scenario, year: int, macro_frame: pd.DataFrame, frame: pd.DataFrame, *,
                targeting: str = "pmt", capacity_share_of_minimum_wage: float = 1.0, seed: int = 0,
                alignment: str = "rap", line: float | None = None) -> RuleSet:
    """Per-person rules of ``scenario`` in ``year`` with constants computed once on the survey ``frame``.

    Constants: the deflator ``D[t]`` (:func:`price_deflator`); the PMT cut-off (weighted quantile of
    the household PMT score -- or pre-reform consumption with ``targeting="consumption"`` -- at the
    survey poverty headcount); the disability thinning ``min(1, P_scenario / P_survey)``; the
    quintile cut-points of pre-reform welfare; the capacity threshold
    (``capacity_share_of_minimum_wage x minimum_wage[t] / 12 / D[t]``).

    Targeted rules (:data:`ALIGNED_TARGETS`) also carry the scenario's prevalence of year ``t``
    (``rap_prevalence``) and the survey's own prevalence under the rules above
    (``survey_prevalence`` = weighted eligible / weighted persons in the ages).  With
    ``alignment="rap"`` their caseload is aligned to the RAP's: target ``C = rap_prevalence x
    N_survey(ages)``, cut-off by :func:`caseload_cutoff` over the candidates (households with a
    member in the ages and a score, by ascending score; uncovered workers in the ages with
    earnings > 0, by descending earnings), stored as ``cutoff`` and applied per row by
    :func:`spf_analysis.microsim.simulate.simulate`.  ``alignment="none"``: the survey rules alone.
    """
    sc = costing.load_named_scenario(scenario) if isinstance(scenario, str) else scenario
    if year not in set(int(y) for y in sc.years):
        raise ValueError(f"year {year} outside the scenario horizon {sc.years[0]}-{sc.years[-1]}")
    if targeting not in ("pmt", "consumption"):
        raise ValueError(f"targeting must be 'pmt' or 'consumption', got {targeting!r}")
    if alignment not in ALIGNMENT:
        raise ValueError(f"alignment must be one of {list(ALIGNMENT)}, got {alignment!r}")
    line = survey_line() if line is None else line
    D = price_deflator(macro_frame, year, line)
    w = frame["weights"].to_numpy(float)
    age = frame["age"].to_numpy()
    y_pre = frame["cons_pae"].to_numpy(float)
    dis = np.nan_to_num(frame["disability"].to_numpy(float), nan=0.0)
    notes: dict[str, str] = {"deflator": f"D[{year}] = {D:.4f} (FY 2013-14 = 1)"}
    rules = []
    for b in sc.benefits:
        tgt = survey_target(b, sc.file, years=sc.years, year=year)
        amin = costing.age_min_in_year(b, sc.years, year)
        annual = costing.annual_amount(costing.benefit_level_in_year(b, macro_frame, year), float(b.months))
        thin = 1.0
        if tgt == "disability" and b.age_profile:
            inage = costing.group_membership(age, None, amin, b.age_max)
            p_scen = np.sum(w * inage * costing.age_profile_at(b.age_profile, age)) / np.sum(w * inage)
            p_surv = np.sum(w * inage * dis) / np.sum(w * inage)
            thin = float(min(1.0, p_scen / p_surv)) if p_surv > 0 else 0.0
            notes[b.name] = (f"scenario prevalence {p_scen:.2%} vs survey disability {p_surv:.2%}: "
                             f"{thin:.0%} of the survey's disabled are eligible")
        rules.append(BenefitRule(
            name=b.name, target=tgt, age_min=0 if tgt == "births" else amin,
            age_max=0 if tgt == "births" else b.age_max, sex=b.sex,
            takeup=float(costing.takeup_in_year(b, sc.years, year)), monthly=annual / 12 / D,
            markup=float(b.markup()), to_welfare=b.in_consumption(), net_share=float(b.net_share()),
            exclusive_with=tuple(b.exclusive_with), thinning=thin, level_year=annual,
            salt=(zlib.crc32(b.name.encode()) + 1_000_003 * int(seed)) & 0xFFFFFFFF,
        ))
    # benefits named in exclusive_with first (costing refuses chains, so one pass suffices)
    first = {a for r in rules for a in r.exclusive_with}
    rules.sort(key=lambda r: (r.name not in first,))
    pmt_cut = np.inf
    score = y_pre
    if any(r.target == "poor_household" for r in rules):
        score = frame["pmt_score"].to_numpy(float) if targeting == "pmt" else y_pre
        if np.isnan(score).all():
            score, targeting = y_pre, "consumption"
            notes["targeting"] = "the survey has no PMT score: targeting on pre-reform consumption"
        share = float(np.sum(w * (y_pre < line)) / np.sum(w))
        pmt_cut = float(weighted_quantile(np.nan_to_num(score, nan=np.inf), w, share))
        notes["poor_household"] = (f"{'PMT score' if targeting == 'pmt' else 'pre-reform consumption'} below "
                                   f"its weighted {share:.1%} quantile (the survey poverty headcount)")
    cuts = tuple(float(c) for c in weighted_quantile(y_pre, w, np.arange(1, 5) / 5))
    mw = float(macro_frame.loc[year, "minimum_wage"]) / 12 / D
    cap_threshold = capacity_share_of_minimum_wage * mw
    by_name = {b.name: b for b in sc.benefits}
    hh = frame["hhcode"].to_numpy()
    idc = frame["idc"].to_numpy()
    earn = np.nan_to_num(frame["earnings_month"].to_numpy(float), nan=0.0)
    for i, r in enumerate(rules):
        if r.target in SURVEY_FLAG_TARGETS:
            grp = in_group(frame, r.age_min, r.age_max, r.sex)
            n_grp = float(np.sum(w * grp))
            flag = (np.nan_to_num(frame["rec_bisp"].to_numpy(float), nan=0.0) == 1) if r.target == "bisp_household" \
                else ~pensioner(frame)
            own = float(np.sum(w * (grp & flag))) / n_grp if n_grp > 0 else np.nan
            prev = float(costing.prevalence_in_year(by_name[r.name], sc.years, year))
            rules[i] = replace(r, rap_prevalence=prev, survey_prevalence=own)
            notes[r.name] = (f"{SURVEY_FLAG_TARGETS[r.target]}: {own:.2%} of the survey persons in the ages "
                             f"(the RAP's prevalence: {prev:.2%}); not aligned")
            continue
        if r.target not in ALIGNED_TARGETS:
            continue
        grp = in_group(frame, r.age_min, r.age_max, r.sex)
        n_grp = float(np.sum(w * grp))
        prev = float(costing.prevalence_in_year(by_name[r.name], sc.years, year))
        if r.target == "poor_household":
            own = poor_household_eligible(hh, idc, grp, score, pmt_cut, inclusive=False)
            cand = poor_household_eligible(hh, idc, grp & ~np.isnan(score), score, np.inf, inclusive=True)
            key = score
        else:
            own = grp & (capacity_flags(frame, cap_threshold)["capacity"].to_numpy() == 1)
            cand = grp & (capacity_flags(frame, 0.0)["uncovered"].to_numpy() == 1) & (earn > 0)
            key = -earn
        fields = {"rap_prevalence": prev, "survey_prevalence": float(np.sum(w * own)) / n_grp if n_grp > 0 else np.nan}
        if alignment == "rap":
            target = prev * n_grp
            c, got = caseload_cutoff(key[cand], w[cand], target)
            cut = c if r.target == "poor_household" else -c
            fields.update(aligned=True, cutoff=cut)
            what = ("PMT score" if targeting == "pmt" else "pre-reform consumption") if r.target == "poor_household" else "earnings"
            notes[r.name] = (f"aligned to the RAP caseload: {prev:.2%} x {n_grp:,.0f} survey persons in the ages = {target:,.0f}; "
                             f"{ALIGNED_TARGETS[r.target]}, {what} {'<=' if r.target == 'poor_household' else '>='} {cut:,.4g} "
                             f"selects {got:,.0f}" + (" (all candidates: the caseload falls short)" if got < target else "")
                             + f"; the survey's own rule gives {fields['survey_prevalence']:.2%}")
        rules[i] = replace(r, **fields)
    return RuleSet(scenario=sc.name, year=int(year), deflator=D, line=line, rules=tuple(rules), pmt_cut=pmt_cut,
                   targeting=targeting, quintile_cuts=cuts, capacity_threshold=cap_threshold, notes=notes)


def single_benefits(scenario: costing.Scenario) -> dict[str, costing.Scenario]:
    """One scenario per benefit of ``scenario`` (named ``<benefit>``), each benefit alone (no overlap rule)."""
    return {b.name: replace(scenario, name=b.name, benefits=(replace(b, exclusive_with=()),)) for b in scenario.benefits}
