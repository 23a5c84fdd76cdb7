"""Static microsimulation of the SPF options on the household survey (chapter 05).

Each scenario of ``params/scenarios/`` (loaded with
:func:`spf_analysis.model.costing.load_named_scenario`) is turned into per-person
benefit rules for one **simulation year** ``t`` and applied to the survey
persons; benefits are added to household consumption and the welfare measure
stays consumption per adult equivalent (chapter 03's measure), so poverty is
measured exactly as in chapter 03 (official CBN line, Rs 3,030.32 per adult
equivalent a month, FY 2013-14 prices).

Prices (the deflation).  The survey's consumption is in FY 2013-14 rupees; the
RAP levels of year ``t`` are in year-``t`` rupees.  The macro frame carries the
2013-14 line forward with the CPI (:mod:`spf_analysis.model.macro`), so the price
index from FY 2013-14 to ``t`` is::

    D[t] = poverty_line[t] / (12 x 3,030.32)        (annual line / annual 2013-14 line)

and a year-``t`` amount ``b[t]`` is ``b[t] / D[t]`` in survey prices.  For a
level ``alpha x poverty_line`` this is exactly ``alpha x 3,030.32`` a month;
minimum-wage and indexed levels are deflated the same way.  Survey costs are
re-inflated with ``D[t]`` for the comparison with the RAP.

Per-person rules (pure functions of a person's row, household columns merged
in, plus scenario-wide constants computed once: take-up of year ``t``, PMT
cut-off, disability thinning, quintile cut-points):

* age/sex groups (child benefit, social pension): ``age_min <= age <= age_max``, sex;
* disability benefit: survey disability flag (Washington Group "a lot of
  difficulty" or "cannot do") within the ages; when the scenario's prevalence
  (its ``age_profile`` averaged over the survey's age structure) is below the
  survey's, a deterministic share ``P_scenario / P_survey`` of the disabled
  is eligible (low scenario: census 2017 rates);
* maternity benefit (births): infants aged 0, one per birth (the benefit goes
  to the infant's household; the survey has no birth history);
* employment guarantee (poor households): one participant per household, the
  adult 18-59 with the lowest member number, in households whose PMT score
  (or, with ``targeting="consumption"``, pre-reform consumption) is below the
  cut-off that selects the scenario's poverty headcount share of persons;
* contribution subsidy (contributory capacity): employed, not in formal
  (social-insurance) employment, aged within the range, earning at least the
  capacity threshold (see :func:`capacity_flags`);
* Sehat extension (health, in kind): everyone in the ages, cost only.

Caseload alignment (``alignment="rap"``, the default).  The RAP's eligible
prevalence of the employment guarantee and of the contribution subsidy is an
assumption (params/scenarios: 7.65% and 12.38% of persons 18-59 in kp_medium),
while the survey rules above measure it.  As microsimulation models align
simulated totals to external targets (alignment: e.g. the JAS-mine alignment
library of SimPaths, https://github.com/simpaths/SimPaths/wiki/6.3-The-JAS%E2%80%90mine-Alignment-library;
EUROMOD minimum-income schemes calibrated to official expenditure,
https://doi.org/10.1111/roiw.12728), the simulated caseload is then aligned
to the RAP's: the grossed-up number of
eligible units is set to ``C = prevalence[t] x N_survey(ages)`` (the RAP's
eligible persons on the survey's population base), selecting units in the
order of the benefit's own targeting rule -- households by ascending PMT score
(one adult of the ages each), uncovered workers (earnings > 0) by descending
earnings.  The cut-off is computed once on the whole survey from weighted
totals (:func:`caseload_cutoff`: the weighted quantile of the candidates'
score at ``C / sum w``); the rule applied to each row stays a pure row rule
(``score <= cut-off``, ``earnings >= cut-off``), so Dask partitions give the
pandas numbers.  The survey's own (unaligned) prevalence is kept on the rule
(``survey_prevalence``) and reported against the RAP's (:func:`reconcile`):
that difference is a finding, not an error.  ``alignment="none"``: the survey
rules alone.

Take-up: a person (household, for the employment guarantee) takes a benefit
up when a counter-based uniform ``u = hash(hhcode, idc, benefit, seed)`` is
below the scenario's take-up of year ``t``.  The draw depends only on the
row's identifiers, so it is the same whatever the row order or partitioning
(Dask partitions give the same numbers as pandas).  ``exclusive_with``: a
person who takes up a benefit ``A`` named there does not receive ``s``.

What is added to welfare: cash benefits (``kind: cash``) except the
contribution subsidy, which is paid to ESSI/EOBI on the worker's behalf and
does not raise current consumption; the Sehat extension is in kind (it would
count in CEQ "final income", not in consumption).  Their cost is still
computed.  No behavioural response: the employment-guarantee wage is added in
full (an upper bound: forgone earnings are ignored).

Household aggregation needs every member of a household in the same frame or
partition (:func:`to_dask` partitions on household boundaries).  Aggregates are
weighted sums (:func:`partition_sums`), so partition sums add up.  Inference
(SEs, CIs) runs on the survey itself with :class:`spf_analysis.stats.survey.Design`
and the estimators of :mod:`spf_analysis.stats.poverty` / :mod:`spf_analysis.stats.indicators`.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from spf_analysis.model import costing
from spf_analysis.stats import indicators
from spf_analysis.stats.poverty import fgt_variable, quantile_groups, weighted_quantile
from spf_analysis.stats.survey import Design

__all__ = [
    "SURVEY_LINE", "SURVEY_PRICE_YEAR", "TARGETING", "BenefitRule", "RuleSet", "person_frame", "price_deflator",
    "build_rules", "simulate", "partition_sums", "combine_sums", "survey_costs", "to_dask", "simulate_dask",
    "sums_dask", "design", "impact", "coverage_by", "reconcile", "group_population", "survey_group_population", "rap_costs", "capacity_flags",
    "contributory_capacity", "contribution_rates", "uniform_hash", "replicate", "single_benefits", "run",
    "ALIGNMENT", "ALIGNED_TARGETS", "caseload_cutoff", "in_group",
]

#: Official CBN poverty line, PKR per adult equivalent per month, FY 2013-14 (params/policy/baseline.yaml
#: poverty_line.official_cbn; Planning Commission press release 18 Apr 2016); the survey's price base.
SURVEY_LINE = 3030.32
#: Fiscal year (labelled by its end) of the survey's prices.
SURVEY_PRICE_YEAR = 2014

#: benefit name -> survey targeting rule, where the scenario's eligibility is a prevalence (not ages alone)
TARGETING = {
    "disability_benefit": "disability",
    "maternity_benefit": "births",
    "employment_guarantee": "poor_household",
    "contribution_subsidy": "contributory_capacity",
}
#: caseload alignment options of :func:`build_rules`: "rap" (align targeted caseloads to the RAP's) or "none"
ALIGNMENT = ("rap", "none")
#: survey targeting rules whose caseload is aligned to the RAP's with ``alignment="rap"``, and the selection order
ALIGNED_TARGETS = {
    "poor_household": "households by ascending PMT score (one adult of the ages each)",
    "contributory_capacity": "uncovered workers by descending monthly earnings",
}
#: cash benefits that do not raise current household consumption
NOT_CONSUMPTION = {"contribution_subsidy": "contribution paid to ESSI/EOBI on the worker's behalf"}

PERSON_COLUMNS = ["hhcode", "idc", "psu", "stratum", "weights", "district", "region", "age", "sex", "disability",
                  "labour_status", "employment_type", "sector", "formal", "earnings_month"]
HOUSEHOLD_COLUMNS = ["hhcode", "hhsize", "adult_eq", "cons_pae", "cons_pae_pre", "pmt_score"]


# ---------------------------------------------------------------------------- inputs
def person_frame(households: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
    """Persons with their household's welfare columns (a many-to-one join on ``hhcode``), plain dtypes.

    Nullable survey columns become floats with NaN (``disability``, ``formal``, ``earnings_month``,
    ``pmt_score``) and strings become plain objects, so every rule is a numpy expression.
    """
    missing = [c for c in PERSON_COLUMNS if c not in persons.columns]
    missing += [c for c in HOUSEHOLD_COLUMNS if c not in households.columns]
    if missing:
        raise ValueError(f"survey tables lack column(s) {missing}")
    df = persons[PERSON_COLUMNS].merge(households[HOUSEHOLD_COLUMNS], on="hhcode", how="left", validate="many_to_one")
    if df["cons_pae"].isna().any():
        bad = df.loc[df["cons_pae"].isna(), "hhcode"].iloc[0]
        raise ValueError(f"person(s) without a household record, e.g. hhcode {bad}")
    for c in ("disability", "formal", "earnings_month", "pmt_score"):
        df[c] = df[c].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    for c in ("district", "sex", "labour_status", "employment_type", "sector"):
        df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df.sort_values(["hhcode", "idc"], kind="stable").reset_index(drop=True)


def price_deflator(macro_frame: pd.DataFrame, year: int, line: float = SURVEY_LINE) -> float:
    """``D[t] = poverty_line[t] / (12 x line)``: price index from the survey year (FY 2013-14) to ``year``.

    ``macro_frame``: :func:`spf_analysis.model.macro.macro_frame` (annual poverty line per person, the
    2013-14 line indexed by the CPI).
    """
    if year not in macro_frame.index:
        raise ValueError(f"macro frame has no year {year} (years {macro_frame.index.min()}-{macro_frame.index.max()})")
    return float(macro_frame.loc[year, "poverty_line"]) / (12 * line)


def uniform_hash(hhcode, idc, salt: int) -> np.ndarray:
    """Counter-based uniform in [0, 1) from a person's identifiers (splitmix64 finaliser).

    ``u = splitmix64(hhcode x 2^6 + idc, mixed with salt) / 2^64``: a pure function of the row, so the
    draw is identical in any order or partition (Steele, Lea and Flood 2014, SplitMix).
    """
    h = np.asarray(hhcode).astype(np.uint64)
    i = np.asarray(idc).astype(np.uint64)
    with np.errstate(over="ignore"):
        x = h * np.uint64(0x9E3779B97F4A7C15) + i * np.uint64(0xD1B54A32D192ED03) + np.uint64(salt & 0xFFFFFFFFFFFFFFFF)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)


# ---------------------------------------------------------------------------- rules
@dataclass(frozen=True)
class BenefitRule:
    """One benefit as a per-person rule for one year (amounts in survey prices, per month)."""

    name: str
    target: str                 # "age", "disability", "births", "poor_household", "contributory_capacity", "health"
    age_min: int
    age_max: int | None
    sex: str
    takeup: float
    monthly: float              # per beneficiary per month averaged over the year (level x months/12 / 12 / D)
    markup: float               # administrative mark-up on benefits (costing.admin_markup)
    to_welfare: bool            # added to household consumption
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


def _at_year(value, year: int, years) -> float:
    path = costing.path_over_years(value, years, before_first=0)
    arr = np.asarray(path, dtype=float)
    if arr.ndim == 0:
        return float(arr)
    return float(arr[list(np.asarray(years)).index(year)])


def _level_year(b: costing.Benefit, macro_frame: pd.DataFrame, year: int) -> float:
    """Annual level per beneficiary in year-``t`` rupees (as :func:`costing.compute_arrays`)."""
    if b.level_type == "poverty_line":
        return float(b.level_value) * float(macro_frame.loc[year, "poverty_line"])
    if b.level_type == "minimum_wage":
        return float(b.level_value) * float(macro_frame.loc[year, "minimum_wage"])
    if b.level_type == "indexed":
        return float(b.level_value) * float(macro_frame.loc[year, "cpi"]) / float(macro_frame.loc[b.base_year, "cpi"])
    raise ValueError(f"benefit {b.name!r}: unknown level type {b.level_type!r}")


def _target(b: costing.Benefit) -> str:
    if b.kind == "health":
        return "health"
    if b.name in TARGETING:
        return TARGETING[b.name]
    if b.basis == "births":
        return "births"
    if b.age_profile:
        return "disability"
    prev = b.prevalence if not isinstance(b.prevalence, Mapping) else min(b.prevalence.values())
    if float(prev) < 1:
        raise ValueError(f"benefit {b.name!r} has prevalence {prev} < 1 and no survey targeting rule: "
                         f"add it to spf_analysis.microsim.TARGETING")
    return "age"


def profile_at(profile: Mapping[int, float], age) -> np.ndarray:
    """Step function ``{age_lower: share}`` at ``age`` (as :func:`costing.group_weights`)."""
    keys = np.array(sorted(int(k) for k in profile))
    vals = np.array([float(profile[k]) for k in keys])
    i = np.searchsorted(keys, np.asarray(age), side="right") - 1
    return np.where(i >= 0, vals[np.clip(i, 0, None)], 0.0)


def _eq(col: pd.Series, value: str) -> np.ndarray:
    """``col == value`` as a plain boolean array (missing -> False; object, string or Arrow dtypes)."""
    return col.astype("string").eq(value).fillna(False).to_numpy(dtype=bool)


def capacity_flags(df: pd.DataFrame, threshold: float, age_min: int = 0, age_max: int | None = None) -> pd.DataFrame:
    """Per-row contributory-capacity flags (pure): ``worker``, ``uncovered``, ``capacity``.

    worker = employed (labour status) in the ages; uncovered = worker not in formal (social-insurance)
    employment (``formal != 1``); capacity = uncovered with monthly earnings >= ``threshold``
    (unpaid family workers earn 0 and never qualify).
    """
    age = df["age"].to_numpy()
    inage = age >= age_min
    if age_max is not None:
        inage &= age <= age_max
    worker = _eq(df["labour_status"], "employed") & inage
    formal = np.nan_to_num(df["formal"].to_numpy(dtype=float), nan=0.0) == 1
    earn = np.nan_to_num(df["earnings_month"].to_numpy(dtype=float), nan=0.0)
    uncovered = worker & ~formal
    return pd.DataFrame({"worker": worker.astype(int), "uncovered": uncovered.astype(int),
                         "capacity": (uncovered & (earn >= threshold)).astype(int)}, index=df.index)


def in_group(frame: pd.DataFrame, age_min: int, age_max: int | None = None, sex: str = "all") -> np.ndarray:
    """Rows with ``age_min <= age <= age_max`` (no upper bound when ``None``) and, unless ``"all"``, the sex."""
    age = frame["age"].to_numpy()
    m = age >= age_min
    if age_max is not None:
        m &= age <= age_max
    if sex != "all":
        m &= _eq(frame["sex"], sex)
    return m


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


def _poor_household_eligible(hh: np.ndarray, idc: np.ndarray, inage: np.ndarray, score: np.ndarray, cut: float,
                             inclusive: bool) -> np.ndarray:
    """One participant per household whose score is below (``inclusive``: at most) ``cut``: the member in
    ``inage`` with the lowest member number (``score`` is a household variable, NaN = never)."""
    s = np.nan_to_num(np.asarray(score, dtype=float), nan=np.inf)
    el = inage & ((s <= cut) if inclusive else (s < cut))
    first = _hh_min(hh, np.where(el, idc, np.inf))
    return el & (idc == first)


def _prevalence_at(b: costing.Benefit, year: int, years) -> float:
    """The scenario's prevalence of ``year`` (as :func:`costing.compute_arrays`: a step path, the first value before)."""
    path = costing.path_over_years(b.prevalence, years)
    arr = np.asarray(path, dtype=float)
    return float(arr) if arr.ndim == 0 else float(arr[list(np.asarray(years)).index(year)])


def build_rules(scenario: str | costing.Scenario, year: int, macro_frame: pd.DataFrame, frame: pd.DataFrame, *,
                targeting: str = "pmt", capacity_share_of_minimum_wage: float = 1.0, seed: int = 0,
                alignment: str = "rap", line: float = SURVEY_LINE) -> RuleSet:
    """Per-person rules of ``scenario`` in ``year`` with constants computed once on the survey ``frame``.

    Constants: the deflator ``D[t]`` (:func:`price_deflator`); the PMT cut-off (weighted quantile of
    the household PMT score -- or pre-reform consumption with ``targeting="consumption"`` -- at the
    scenario's poverty share: prevalence x household size x share 18-59, i.e. the headcount the
    employment-guarantee prevalence was derived from, else the survey headcount); the disability
    thinning ``min(1, P_scenario / P_survey)``; the quintile cut-points of pre-reform welfare; the
    capacity threshold (``capacity_share_of_minimum_wage x minimum_wage[t] / 12 / D[t]``).

    Targeted rules (:data:`ALIGNED_TARGETS`) also carry the scenario's prevalence of year ``t``
    (``rap_prevalence``) and the survey's own prevalence under the rules above
    (``survey_prevalence`` = weighted eligible / weighted persons in the ages).  With
    ``alignment="rap"`` their caseload is aligned to the RAP's: target ``C = rap_prevalence x
    N_survey(ages)``, cut-off by :func:`caseload_cutoff` over the candidates (households with a
    member in the ages and a score, by ascending score; uncovered workers in the ages with
    earnings > 0, by descending earnings), stored as ``cutoff`` and applied per row by
    :func:`simulate`.  ``alignment="none"``: the survey rules alone.
    """
    sc = costing.load_named_scenario(scenario) if isinstance(scenario, str) else scenario
    if year not in set(int(y) for y in sc.years):
        raise ValueError(f"year {year} outside the scenario horizon {sc.years[0]}-{sc.years[-1]}")
    if targeting not in ("pmt", "consumption"):
        raise ValueError(f"targeting must be 'pmt' or 'consumption', got {targeting!r}")
    if alignment not in ALIGNMENT:
        raise ValueError(f"alignment must be one of {list(ALIGNMENT)}, got {alignment!r}")
    D = price_deflator(macro_frame, year, line)
    w = frame["weights"].to_numpy(float)
    age = frame["age"].to_numpy()
    y_pre = frame["cons_pae"].to_numpy(float)
    dis = np.nan_to_num(frame["disability"].to_numpy(float), nan=0.0)
    notes: dict[str, str] = {"deflator": f"D[{year}] = {D:.4f} (FY 2013-14 = 1)"}
    rules = []
    for b in sc.benefits:
        tgt = _target(b)
        level = _level_year(b, macro_frame, year)
        months = float(b.months)
        thin = 1.0
        if tgt == "disability" and b.age_profile:
            inage = (age >= b.age_min) & ((age <= b.age_max) if b.age_max is not None else True)
            p_scen = np.sum(w * inage * profile_at(b.age_profile, age)) / np.sum(w * inage)
            p_surv = np.sum(w * inage * dis) / np.sum(w * inage)
            thin = float(min(1.0, p_scen / p_surv)) if p_surv > 0 else 0.0
            notes[b.name] = (f"scenario prevalence {p_scen:.2%} vs survey disability {p_surv:.2%}: "
                             f"{thin:.0%} of the survey's disabled are eligible")
        rules.append(BenefitRule(
            name=b.name, target=tgt, age_min=0 if tgt == "births" else b.age_min,
            age_max=0 if tgt == "births" else b.age_max, sex=b.sex,
            takeup=_at_year(b.takeup, year, sc.years), monthly=level * months / 12 / 12 / D,
            markup=float(b.markup()), to_welfare=(b.kind == "cash" and b.name not in NOT_CONSUMPTION),
            exclusive_with=tuple(b.exclusive_with), thinning=thin, level_year=level * months / 12,
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
        if r.target not in ALIGNED_TARGETS:
            continue
        grp = in_group(frame, r.age_min, r.age_max, r.sex)
        n_grp = float(np.sum(w * grp))
        prev = _prevalence_at(by_name[r.name], year, sc.years)
        if r.target == "poor_household":
            own = _poor_household_eligible(hh, idc, grp, score, pmt_cut, inclusive=False)
            cand = _poor_household_eligible(hh, idc, grp & ~np.isnan(score), score, np.inf, inclusive=True)
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


def run(frame: pd.DataFrame, rs: RuleSet, *, level: float = 0.95) -> dict[str, pd.DataFrame]:
    """Simulate one rule set on the survey: ``sim`` (persons), ``impact`` (poverty, Gini, BCR with SEs),
    ``sums`` (weighted sums) and ``costs`` (survey costs in year-``t`` rupees)."""
    sim = simulate(frame, rs)
    sums = partition_sums(sim, rs)
    return {"sim": sim, "impact": impact(sim, rs, level=level), "sums": sums, "costs": survey_costs(sums, rs)}


# ---------------------------------------------------------------------------- simulation
def _hh_sum(hh: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Household total of ``v`` broadcast back to the members (rows of one household may be anywhere)."""
    codes, inv = np.unique(hh, return_inverse=True)
    return np.bincount(inv, weights=v, minlength=len(codes))[inv]


def _hh_min(hh: np.ndarray, v: np.ndarray) -> np.ndarray:
    codes, inv = np.unique(hh, return_inverse=True)
    out = np.full(len(codes), np.inf)
    np.minimum.at(out, inv, v)
    return out[inv]


def simulate(df: pd.DataFrame, rs: RuleSet) -> pd.DataFrame:
    """Apply the rules to a frame of whole households (a survey or a Dask partition).

    Adds per benefit ``e_<name>`` (0/1 eligible, before take-up and exclusions), ``r_<name>`` (0/1 receives) and ``b_<name>`` (benefit per month, survey prices,
    to the person), then ``cash_pae`` (household cash benefits added to welfare / adult equivalents),
    ``y_post`` (= ``cons_pae + cash_pae``), ``ben_new`` (lives in a household receiving a new cash
    benefit), ``quintile`` (of pre-reform welfare ``cons_pae``, cut-points of the rule set).
    """
    out = df.copy()
    n = len(out)
    hh = out["hhcode"].to_numpy()
    idc = out["idc"].to_numpy()
    age = out["age"].to_numpy()
    dis = np.nan_to_num(out["disability"].to_numpy(float), nan=0.0) == 1
    received: dict[str, np.ndarray] = {}
    cash = np.zeros(n)
    for r in rs.rules:
        el = age >= r.age_min
        if r.age_max is not None:
            el &= age <= r.age_max
        if r.sex != "all":
            el &= _eq(out["sex"], r.sex)
        unit_idc = idc
        if r.target == "disability":
            el &= dis & (uniform_hash(hh, idc, r.salt ^ 0x5A5A5A5A) < r.thinning)
        elif r.target == "births":
            el &= age == 0
        elif r.target == "poor_household":
            score = out["pmt_score"].to_numpy(float) if rs.targeting == "pmt" else out["cons_pae"].to_numpy(float)
            el = _poor_household_eligible(hh, idc, el, score, r.cutoff if r.aligned else rs.pmt_cut, inclusive=r.aligned)
            unit_idc = np.zeros_like(idc)  # household take-up draw
        elif r.target == "contributory_capacity":
            el &= capacity_flags(out, r.cutoff if r.aligned else rs.capacity_threshold)["capacity"].to_numpy() == 1
        take = uniform_hash(hh, unit_idc, r.salt) < r.takeup
        out[f"e_{r.name}"] = el.astype(np.int8)
        rec = el & take
        for a in r.exclusive_with:
            if a in received:  # a benefit simulated alone has nothing to yield to
                rec &= ~received[a]
        received[r.name] = rec
        out[f"r_{r.name}"] = rec.astype(np.int8)
        amount = rec * r.monthly
        out[f"b_{r.name}"] = amount
        if r.to_welfare:
            cash += amount
    hh_cash = _hh_sum(hh, cash)
    out["cash_pae"] = hh_cash / out["adult_eq"].to_numpy(float)
    out["y_post"] = out["cons_pae"].to_numpy(float) + out["cash_pae"].to_numpy()
    out["ben_new"] = (hh_cash > 0).astype(np.int8)
    out["quintile"] = np.searchsorted(np.asarray(rs.quintile_cuts), out["cons_pae"].to_numpy(float), side="left") + 1
    return out


def partition_sums(sim: pd.DataFrame, rs: RuleSet, by: Sequence[str] = ()) -> pd.DataFrame:
    """Weighted sums of a simulated frame by ``by`` (additive across partitions).

    Columns: ``pop`` (sum w), ``poor_pre``/``poor_post`` (sum w 1[y<z]), ``gap_pre``/``gap_post``
    (sum w 1[y<z](z-y)/z), ``shortfall_pre``/``_post`` (sum w max(z-y,0)), ``cash_pae`` (sum w t),
    ``ben_new``, and per benefit ``e_<name>`` (eligible before take-up), ``n_<name>`` (beneficiaries) and ``a_<name>`` (annual benefits,
    survey prices: sum w b x 12).
    """
    by = list(by)
    w = sim["weights"].to_numpy(float)
    z = rs.line
    y0, y1 = sim["cons_pae"].to_numpy(float), sim["y_post"].to_numpy(float)
    cols = {
        "pop": w,
        "poor_pre": w * fgt_variable(y0, z, 0), "poor_post": w * fgt_variable(y1, z, 0),
        "gap_pre": w * fgt_variable(y0, z, 1), "gap_post": w * fgt_variable(y1, z, 1),
        "shortfall_pre": w * np.maximum(z - y0, 0), "shortfall_post": w * np.maximum(z - y1, 0),
        "cash_pae": w * sim["cash_pae"].to_numpy(float), "ben_new": w * sim["ben_new"].to_numpy(float),
    }
    for r in rs.rules:
        cols[f"e_{r.name}"] = w * sim[f"e_{r.name}"].to_numpy(float)
        cols[f"n_{r.name}"] = w * sim[f"r_{r.name}"].to_numpy(float)
        cols[f"a_{r.name}"] = w * sim[f"b_{r.name}"].to_numpy(float) * 12
    tmp = pd.DataFrame(cols, index=sim.index)
    if not by:
        return tmp.sum().to_frame().T.assign(group="all").set_index("group")
    for c in by:
        tmp[c] = sim[c].to_numpy()
    return tmp.groupby(by, observed=True, sort=True).sum()


def combine_sums(sums: pd.DataFrame) -> pd.DataFrame:
    """Rates from summed :func:`partition_sums`: headcount, gap, coverage, BCR, per group."""
    s = sums
    out = pd.DataFrame(index=s.index)
    out["population"] = s["pop"]
    for k in ("poor", "gap"):
        out[f"{k}_pre"] = s[f"{k}_pre"] / s["pop"]
        out[f"{k}_post"] = s[f"{k}_post"] / s["pop"]
    out["coverage"] = s["ben_new"] / s["pop"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["benefit_cost_ratio"] = (s["shortfall_pre"] - s["shortfall_post"]) / s["cash_pae"]
    return out


def survey_costs(sums: pd.DataFrame, rs: RuleSet) -> pd.DataFrame:
    """Per benefit: beneficiaries and gross annual cost from the survey, in year-``t`` rupees.

    ``cost = sum w b x 12 x D[t] x (1 + markup)`` on the survey's population base (its weights).
    """
    tot = sums.sum()
    rows = []
    for r in rs.rules:
        benefits = float(tot[f"a_{r.name}"]) * rs.deflator
        rows.append({"benefit": r.name, "eligible": float(tot[f"e_{r.name}"]), "beneficiaries": float(tot[f"n_{r.name}"]),
                     "benefits": benefits, "cost": benefits * (1 + r.markup)})
    df = pd.DataFrame(rows)
    pk = {"benefit": "package", "eligible": np.nan, "beneficiaries": np.nan, "benefits": df["benefits"].sum(), "cost": df["cost"].sum()}
    return pd.concat([df, pd.DataFrame([pk])], ignore_index=True)


# ---------------------------------------------------------------------------- dask
def to_dask(frame: pd.DataFrame, npartitions: int):
    """A Dask dataframe of ``frame`` split on household boundaries (no household spans two partitions)."""
    import dask.dataframe as dd

    f = frame.sort_values(["hhcode", "idc"], kind="stable").reset_index(drop=True)
    hh = f["hhcode"].to_numpy()
    starts = np.flatnonzero(np.r_[True, hh[1:] != hh[:-1]])
    cut_hh = np.array_split(starts, max(1, min(npartitions, len(starts))))
    bounds = [int(c[0]) for c in cut_hh if len(c)] + [len(f)]
    parts = [f.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    return dd.from_map(lambda p: p, parts, meta=f.iloc[:0], divisions=[None] * (len(parts) + 1))


def simulate_dask(ddf, rs: RuleSet):
    """:func:`simulate` on every partition (partitions must hold whole households, see :func:`to_dask`)."""
    meta = simulate(ddf._meta, rs)
    return ddf.map_partitions(simulate, rs, meta=meta)


def sums_dask(ddf, rs: RuleSet, by: Sequence[str] = ()) -> pd.DataFrame:
    """:func:`partition_sums` on every partition, added up (same numbers as pandas)."""
    by = list(by)

    def part(p):
        return partition_sums(simulate(p, rs), rs, by).reset_index()

    meta = part(ddf._meta)
    parts = ddf.map_partitions(part, meta=meta).compute()
    keys = by or ["group"]
    return parts.groupby(keys, sort=True).sum()


# ---------------------------------------------------------------------------- inference (survey)
def design(sim: pd.DataFrame) -> Design:
    """Survey design on a simulated person frame (strata from hhcode, PSU clusters, household weights)."""
    return Design(sim, "weights", "stratum", "psu", lonely_psu="adjust")


def impact(sim: pd.DataFrame, rs: RuleSet, by=None, *, level: float = 0.95) -> pd.DataFrame:
    """Headcount, gap and Gini before/after the reform with SEs and CIs, and the benefit-cost ratio.

    Pre-reform welfare = ``cons_pae`` (consumption per adult equivalent with the existing transfers),
    post-reform = ``y_post``; :func:`indicators.poverty_impact` and
    :func:`indicators.benefit_cost_ratio` (methods README section 3) on :func:`design`.
    """
    d = design(sim)
    out = indicators.poverty_impact(d, "cons_pae", "y_post", rs.line, by=by, level=level)
    bcr = indicators.benefit_cost_ratio(d, "cons_pae", "y_post", "cash_pae", rs.line, by=by, level=level)
    out = pd.concat([out, bcr], ignore_index=True)
    out.insert(0, "scenario", rs.scenario)
    return out


def coverage_by(sim: pd.DataFrame, rs: RuleSet, by, *, level: float = 0.95) -> pd.DataFrame:
    """Share of persons living in a household that receives a new cash benefit, by ``by`` (with SEs)."""
    out = indicators.coverage(design(sim), "ben_new", by=by, level=level)
    out.insert(0, "scenario", rs.scenario)
    return out


# ---------------------------------------------------------------------------- RAP reconciliation
RECONCILIATION_NOTES = {
    "child_benefit": ("Age-based: after the demographic adjustment only take-up sampling remains. The raw gap is the "
                      "child share: census 2023 (survey weights) vs the projection, whose WPP-based fertility gives fewer children."),
    "social_pension": "Age-based: after the demographic adjustment only take-up sampling remains (raw gap: older projected population).",
    "disability_benefit": ("Survey Washington Group flag calibrated to the RAP's own age profile (census 2017 Table 17 "
                           "pattern scaled to the 2023 rate); persons 65+ receiving the social pension excluded in both; "
                           "remaining: sampling and take-up draws."),
    "maternity_benefit": ("Survey infants aged 0 scaled to projected births (the survey has no birth history); remaining: "
                          "take-up sampling."),
    "sehat_extension": "Whole population, cost per person: after the demographic adjustment identical by construction.",
    "employment_guarantee": ("Definition: survey = one adult 18-59 per PMT-poor household (poor households are larger than "
                             "average, so fewer households per poor person); RAP = assumed prevalence 7.65% of persons 18-59."),
    "contribution_subsidy": ("Definition: survey = employed, not formally covered, earning at least the capacity threshold; "
                             "RAP = assumed 30% of informal workers (no KP estimate). The survey measures the prevalence."),
    "package": "Sum of the benefits.",
}
#: explanation of an aligned rule ({own}: the survey's own rule; {sp}, {rp}: survey and RAP prevalence)
ALIGNED_NOTES = {
    "employment_guarantee": ("Aligned: caseload set to the RAP's ({rp:.2%} of persons 18-59), households selected by ascending PMT "
                             "score; remaining: take-up sampling, level, months, admin, prices. Unaligned, the survey's own rule "
                             "(one adult 18-59 per household below the PMT cut-off of the poverty headcount) gives {sp:.2%}: poor "
                             "households are larger than the average household the RAP prevalence assumes."),
    "contribution_subsidy": ("Aligned: caseload set to the RAP's ({rp:.2%} of persons 18-59), uncovered workers selected by "
                             "descending earnings; remaining: take-up sampling, level, admin, prices. Unaligned, the survey's own "
                             "rule (employed, not formally covered, earning at least the capacity threshold) gives {sp:.2%}, a "
                             "measurement of the share the RAP assumes (informal workers x an assumed share with capacity)."),
}


def group_population(rule: BenefitRule, population: pd.DataFrame, births: pd.Series, year: int) -> float:
    """Projected persons of ``year`` in a rule's age/sex range (births for a births rule)."""
    if rule.target == "births":
        return float(births.loc[year])
    p = population[population["year"] == year]
    m = p["age"] >= rule.age_min
    if rule.age_max is not None:
        m &= p["age"] <= rule.age_max
    if rule.sex != "all":
        m &= p["sex"] == rule.sex
    return float(p.loc[m, "population"].sum())


def survey_group_population(frame: pd.DataFrame, rule: BenefitRule) -> float:
    """Weighted survey persons in a rule's age/sex range (infants aged 0 for a births rule)."""
    age = frame["age"].to_numpy()
    m = age >= rule.age_min
    if rule.age_max is not None:
        m &= age <= rule.age_max
    if rule.sex != "all":
        m &= _eq(frame["sex"], rule.sex)
    return float(frame["weights"].to_numpy(float)[m].sum())


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
    targeted = {r.name: r for r in rs.rules if r.target in ALIGNED_TARGETS}
    out["alignment"] = out["benefit"].map({n: "rap" if r.aligned else "none" for n, r in targeted.items()}).fillna("")
    out["survey_prevalence"] = out["benefit"].map({n: r.survey_prevalence for n, r in targeted.items()})
    out["rap_prevalence"] = out["benefit"].map({n: r.rap_prevalence for n, r in targeted.items()})
    out["prevalence_ratio"] = out["survey_prevalence"] / out["rap_prevalence"]
    notes = dict(RECONCILIATION_NOTES)
    for n, r in targeted.items():
        if r.aligned and n in ALIGNED_NOTES:
            notes[n] = ALIGNED_NOTES[n].format(sp=r.survey_prevalence, rp=r.rap_prevalence)
        elif r.aligned:
            notes[n] = (f"Aligned: caseload set to the RAP's ({r.rap_prevalence:.2%} of persons in the ages), "
                        f"{ALIGNED_TARGETS[r.target]}; unaligned the survey gives {r.survey_prevalence:.2%}.")
        elif n in notes:
            notes[n] += f" Survey prevalence {r.survey_prevalence:.2%} vs RAP {r.rap_prevalence:.2%}."
    out["explanation"] = out["benefit"].map(notes).fillna("")
    return out


def rap_costs(names: Iterable[str], *, end_year: int = 2035, tfr_survey: str = "2017-18"):
    """RAP costs of the named scenarios on chapter 04's projection and macro frame.

    Same inputs as chapter 04: KP fertility = Pakistan's (WPP 2019) x the KP/Pakistan TFR ratio of
    the PDHS round ``tfr_survey`` (:func:`demography.survey_tfr_ratio`), net migration calibrated on
    the censuses (:func:`demography.calibrate_kp`), macro frame from ``params/policy`` with the
    observed values of ``data/processed/macro_indicators``.  Returns ``(results {name: cost table},
    population (tidy year, sex, age), births by year, macro frame)``.
    """
    from spf_analysis.model import demography
    from spf_analysis.data import io
    from spf_analysis.model import macro

    rates = demography.wpp_rates()
    cal = demography.calibrate_kp(rates, tfr_scale=demography.survey_tfr_ratio(tfr_survey)["ratio"])
    kp = demography.project_kp(end_year, tfr_scale=cal.tfr_scale, migration_rate=cal.migration_rate, rates=rates)
    mframe = macro.macro_frame(macro.macro_inputs(indicators=io.load("macro_indicators")), end_year)
    res = costing.cost_named_scenarios(list(names), kp["population"], kp["births"], macro.costing_macro(mframe))
    return res, kp["population"], kp["births"], mframe


# ---------------------------------------------------------------------------- contributory capacity
def contribution_rates(policy_files=None, *, eobi_wage_base: float = 13000.0, date: str = "2024-07-01") -> pd.DataFrame:
    """Contribution rates of ESSI and EOBI with their sources (params/policy/baseline.yaml).

    ESSI: employer 6% of the worker's minimum wage (``contributions.essi_employer_rate``, F053).
    EOBI: Rs 780 a month per insured worker in 2019 (employer 650 + employee 130,
    ``contributions.eobi_monthly_2019``, F039) over an assumed wage base (default Rs 13,000, as in the
    kp_medium contribution_subsidy rationale) = 6%.
    """
    from spf_analysis.model import policy

    pol = policy.load(*(policy_files or (policy.BASELINE,)))
    essi = pol.parameter("contributions.essi_employer_rate")
    eobi = pol.parameter("contributions.eobi_monthly_2019")
    return pd.DataFrame([
        {"scheme": "ESSI", "rate": float(pol.value_at("contributions.essi_employer_rate", date)),
         "source": essi.source_at(date) + " (params/policy/baseline.yaml contributions.essi_employer_rate)"},
        {"scheme": "EOBI", "rate": float(eobi.values[-1]) / eobi_wage_base,
         "source": eobi.sources[-1] + f" (contributions.eobi_monthly_2019) / assumed wage base Rs {eobi_wage_base:,.0f}"},
    ])


def contributory_capacity(frame: pd.DataFrame, threshold: float, rates: Mapping[str, float], base_monthly: float, *,
                          by=("sector", "employment_type"), age_min: int = 15, age_max: int | None = 64,
                          level: float = 0.95) -> pd.DataFrame:
    """Workers not covered by a contributory scheme with earnings >= ``threshold``, and their contributions.

    Per domain of ``by``: weighted totals (with design SEs, :meth:`Design.total`) of workers,
    uncovered workers and uncovered workers with capacity; the share with capacity among the
    uncovered (ratio, SE); and the annual contributions they would pay, ``sum w capacity x rate x
    base_monthly x 12`` per scheme (``base_monthly``: the contribution base, e.g. the minimum wage,
    in the currency wanted).  A total row (domain ``all``) is appended.
    """
    flags = capacity_flags(frame, threshold, age_min, age_max)
    cols = {c: flags[c].to_numpy(float) for c in flags}
    for scheme, rate in rates.items():
        cols[f"contrib_{scheme}"] = flags["capacity"].to_numpy(float) * float(rate) * base_monthly * 12
    df = frame.copy()
    by = list(by)
    for c in by:
        df[c] = df[c].astype(object).where(df[c].notna(), "not employed")
    d = Design(df, "weights", "stratum", "psu", lonely_psu="adjust").with_columns(**cols)
    names = list(cols)
    parts = []
    for b in (by, None):
        t = d.total(names, by=b, level=level)
        wide = t.pivot_table(index=b or [], columns="variable", values=["estimate", "se"], aggfunc="first") if b else None
        if b:
            wide.columns = [f"{v}{'' if s == 'estimate' else '_se'}" for s, v in wide.columns]
            wide = wide.reset_index()
        else:
            wide = pd.DataFrame({**{v: [e] for v, e in zip(t["variable"], t["estimate"])},
                                 **{f"{v}_se": [e] for v, e in zip(t["variable"], t["se"])}})
            for c in by:
                wide.insert(0, c, "all")
        ratio = d.ratio("capacity", "uncovered", by=b, level=level)
        wide["capacity_share_of_uncovered"] = ratio["estimate"].to_numpy()
        wide["capacity_share_se"] = ratio["se"].to_numpy()
        parts.append(wide)
    out = pd.concat(parts, ignore_index=True)
    out = out[out["worker"] > 0].reset_index(drop=True)
    keep = by + ["worker", "uncovered", "capacity", "capacity_se", "capacity_share_of_uncovered", "capacity_share_se"]
    keep += [f"contrib_{s}" for s in rates] + [f"contrib_{s}_se" for s in rates]
    return out[keep]


# ---------------------------------------------------------------------------- scale
def replicate(frame: pd.DataFrame, copies: int, start: int = 0) -> pd.DataFrame:
    """``copies`` replicas of a person frame with new household ids (for benchmarks).

    Replica ``k`` adds ``(start + k + 1) x 10^11`` to ``hhcode`` (survey codes have 10 digits), so
    households stay whole and ids unique; weights are divided by the total number of replicas by
    the caller if population totals matter.
    """
    k = np.repeat(np.arange(start, start + copies, dtype=np.int64), len(frame))
    out = pd.concat([frame] * copies, ignore_index=True)
    out["hhcode"] = out["hhcode"].to_numpy(np.int64) + (k + 1) * 10**11
    return out


_ = quantile_groups
