"""Rapid Assessment Protocol (RAP) costing engine.

Implements methods README section 2 (ILO DWT Bangkok 2011, *Overview of the
Rapid Assessment Protocol*; ILO ABND guide 2013, modules 11-13).  For every
benefit ``s`` and year ``t``::

    eligible       E[s,t] = sum_{g in group(s)} N[g,t] x profile_s(g) x p[s,t]     (or births[t] x p[s,t])
    excluded       X[s,t] = sum_{A in exclusive_with(s)} sum_{g in both} N[g,t] profile_s profile_A p[s,t] p[A,t] c[A,t]
    beneficiaries  B[s,t] = c[s,t] x (E[s,t] - X[s,t])
    benefit        b[s,t] = b0 x CPI[t] / CPI[t0] (indexed)  |  b0 (nominal: the same rupees every year)
                   |  alpha x reference[t]  (poverty line, minimum wage,
                   out-of-pocket health spending per person, cost of a facility delivery)
    cost           C[s,t] = B[s,t] x b[s,t] x months_s / 12 x (1 + a_s)
    ratios         C / GDP_province, C / GDP_national, C / budget   (in percent)
    package        sum_s C[s,t]

Units: every benefit level and reference series (poverty line, minimum wage,
per-capita health cost) is an **annual amount per person** (a monthly amount
x 12); ``months`` is the number of months a year it is paid (maternity: 4),
so ``b x months/12`` is what one beneficiary receives in the year.

Administrative cost (stored per benefit with its convention):

* ``share_of_benefits``: admin = a x benefits, gross = benefits x (1 + a);
* ``share_of_gross``: admin is a_g of the gross outlay, so the mark-up on
  benefits is ``a_b = a_g / (1 - a_g)`` and gross = benefits / (1 - a_g).

Health (``kind: health``): covered population x per-capita cost x (1 + a), or, births-based
(``eligible.basis: births``, e.g. maternity care), births x take-up x cost per birth x (1 + a);
``months`` must be 12.  Level types ``health_oop`` (alpha x out-of-pocket health spending per
person, National Health Accounts) and ``delivery_cost`` (alpha x the average Sehat Card Plus
claim per delivery) read their reference from the macro frame
(:func:`spf_analysis.model.macro.health_inputs`).

Overlaps (``exclusive_with``): a person eligible for benefit ``s`` and for a
benefit ``A`` listed in ``s.exclusive_with`` receives only ``A``.  The persons
of ``s``'s eligible group who are in ``A``'s group (intersection of the age
ranges and sexes, prevalences assumed independent) *and* take ``A`` up are
removed from ``s``'s eligible pool before ``s``'s take-up applies (formula for
``X`` above).  Chains are refused (a benefit named in ``exclusive_with`` may not
itself yield to another), as are births-based benefits in overlap rules.

Vectorisation: the array core (:func:`compute_arrays` and the small functions
it uses) only broadcasts, so every parameter may be a scalar, an array over
years ``(years,)`` or over draws and years ``(draws, years)`` (per-draw scalars
as ``(draws, 1)``); there is no state carried from one year to the next.  The
core functions use plain arithmetic, so object arrays of
:class:`fractions.Fraction` give exact results.

Scenarios (:func:`load_scenario`): YAML files stating only what differs from a
baseline; every value node carries a ``source`` or ``rationale``; invalid input
raises :class:`ScenarioError` naming the file and the key.  Two declared
properties serve the household microsimulation and leave the RAP arithmetic
unchanged: ``targeting.rule`` (how the eligible are found in a survey,
:data:`TARGETING_RULES`) and ``adds_to_consumption.value`` (whether the benefit
raises household consumption); so does ``forgone_earnings.value`` (the share of
a public-works wage that participants give up in other earnings: the household's
net gain is ``wage x (1 - share)``, while the fiscal cost stays the gross wage
bill).  ``prevalence.factors`` (optional) states an eligible prevalence as the
product of named shares (e.g. employed x informal x with contributory capacity);
the prevalence is then that product, and reports can show each factor.

Per-year functions (shared with :mod:`spf_analysis.microsim`): take-up and
prevalence of a year (:func:`takeup_in_year`, :func:`prevalence_in_year`), the age
of entry of a year (:func:`age_min_in_year`: ``eligible.age_min`` may be a ``{year: age}``
step path, a phased age of entry such as 75, then 70, then 65, so that ``group(s)`` above is
``group(s, t)``), the
benefit level of a year from the macro frame (:func:`benefit_level_in_year`),
the annual amount a beneficiary receives (:func:`annual_amount`) and the
membership of persons in an age/sex group (:func:`in_age_sex_group`,
:func:`group_membership`, :func:`age_profile_at`); the array core calls the
same functions over all years.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from spf_analysis.config.errors import FileKeyError, read_yaml

ADMIN_CONVENTIONS = ("share_of_benefits", "share_of_gross")
#: how a benefit level is set (``level.type`` of a scenario file): ``indexed`` rupees a year in the prices of a base
#: year, raised with the CPI; ``nominal`` the same rupees a year in every year, not indexed (its real value falls
#: with prices); the others a share ``alpha`` of a reference series of the year (:data:`_LEVEL_REFERENCE`)
LEVEL_TYPES = ("indexed", "nominal", "poverty_line", "minimum_wage", "health_oop", "delivery_cost")
KINDS = ("cash", "health")
BASES = ("population", "births")
SEX_CHOICES = ("all", "male", "female")
#: How the eligible persons of a benefit are identified in a household survey (the microsimulation):
#: ``universal`` everyone in the age/sex group; ``disability`` a disability flag (thinned to the scenario's
#: age profile); ``births`` infants aged 0 (births-based benefits); ``poor_household`` one adult per household
#: selected by a poverty proxy (PMT score); ``contributory_capacity`` workers outside contributory schemes
#: earning at least a threshold; ``bisp_household`` persons of the ages living in a household that receives BISP
#: (Benazir Kafaalat); ``no_pension`` persons of the ages who receive no contributory or civil-service pension.
#: Declared per benefit in the scenario file (``targeting.rule``).
TARGETING_RULES = ("universal", "disability", "births", "poor_household", "contributory_capacity", "bisp_household",
                   "no_pension")

#: Macro series a scenario may use, by name (annual values, one per year).
MACRO_SERIES = ("cpi", "poverty_line", "minimum_wage", "health_oop", "delivery_cost", "gdp", "gdp_national", "budget")
_LEVEL_REFERENCE = {"poverty_line": "poverty_line", "minimum_wage": "minimum_wage", "health_oop": "health_oop",
                    "delivery_cost": "delivery_cost"}
_RATIO_COLUMNS = {"gdp": "cost_pct_gdp", "gdp_national": "cost_pct_national_gdp", "budget": "cost_pct_budget"}


class ScenarioError(FileKeyError):
    """Invalid scenario input; the message names the file and the key."""


# ----------------------------------------------------------------------------
# Array core (broadcasting, dtype-agnostic)
# ----------------------------------------------------------------------------


def admin_markup(rate, convention: str):
    """Administrative mark-up on benefits, ``a_b``, so that gross = benefits x (1 + a_b).

    ``share_of_benefits``: ``a_b = rate``; ``share_of_gross``: ``a_b = rate / (1 - rate)``
    (rate = admin share of gross expenditure, must be < 1).
    """
    if convention == "share_of_benefits":
        return rate
    if convention == "share_of_gross":
        if np.any(np.asarray(rate) >= 1):
            raise ValueError("an admin share of gross expenditure must be below 1")
        return rate / (1 - rate)
    raise ValueError(f"unknown admin convention {convention!r}; use one of {ADMIN_CONVENTIONS}")


def cpi_from_inflation(inflation, base=1):
    """Price index from annual inflation rates: ``CPI[0] = base``, ``CPI[t] = CPI[t-1] (1 + pi[t])``.

    ``inflation[..., t]`` is the inflation *into* year t (``inflation[..., 0]`` is
    ignored).  Works along the last axis, so ``(draws, years)`` arrays work.
    """
    infl = np.asarray(inflation)
    growth = 1 + infl[..., 1:]
    ones = np.ones(infl.shape[:-1] + (1,), dtype=growth.dtype) * base
    return np.concatenate([ones, ones * np.cumprod(growth, axis=-1)], axis=-1)


def indexed_level(base_value, cpi, cpi_base):
    """``b[t] = b0 x CPI[t] / CPI[t0]``."""
    return base_value * cpi / cpi_base


def nominal_level(value, years, lead=()):
    """``b[t] = b0`` in every year: a fixed nominal amount, not indexed (its real value falls as prices rise).

    ``lead``: the leading (draws) shape of the macro arrays the other levels follow; ``value`` may be an array
    that broadcasts against ``lead + (years,)`` (e.g. a (draws, 1) multiplier of the level)."""
    return np.asarray(value, dtype=float) * np.ones(tuple(lead) + (len(np.atleast_1d(years)),))


def relative_level(alpha, reference):
    """``b[t] = alpha x reference[t]`` (poverty line or minimum wage, annual)."""
    return alpha * reference


def beneficiaries(eligible, takeup, excluded=0):
    """``B = c x (E - X)``."""
    return takeup * (eligible - excluded)


def benefit_cost(beneficiaries_, level, months, markup):
    """``C = B x b x months/12 x (1 + a_b)`` (``a_b`` from :func:`admin_markup`)."""
    return beneficiaries_ * level * months / 12 * (1 + markup)


def cost_share(cost, denominator):
    """Cost as a percentage of a macro aggregate (GDP, national GDP, budget)."""
    return cost / denominator * 100


# ----------------------------------------------------------------------------
# Benefit and scenario specifications
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Benefit:
    """One costed provision.  See the module docstring for the formulas.

    ``prevalence`` and ``takeup``: scalar, ``{year: value}`` (step path: a value
    holds until the next listed year; before the first listed year take-up is
    0 -- benefit not yet introduced -- and prevalence takes its first value) or
    an array over the scenario years (``(years,)`` or ``(draws, years)``).
    ``level_value``: the base-year annual amount (``indexed``), the annual amount of every year (``nominal``)
    or ``alpha``.
    ``age_min``: an integer, or a ``{year: age}`` step path (a phased age of entry: the age holds until
    the next listed year, the first value before it; see :func:`age_min_path`).
    ``age_profile``: optional ``{age_lower: share}`` step function over age
    (e.g. disability prevalence by age), multiplied into the population.
    ``sources``: the ``source``/``rationale`` of every field, kept for reports.
    ``targeting``: the survey targeting rule (:data:`TARGETING_RULES`); None = the default,
    ``births`` for births-based benefits, else ``universal`` (see :meth:`targeting_rule`).
    ``adds_to_consumption``: whether the benefit raises the recipient household's consumption;
    None = the default, True for cash and False for health (in kind) (see :meth:`in_consumption`).
    ``forgone_earnings``: share of the gross benefit (a public-works wage) that the participant's
    household gives up in other earnings (0 = none); the household's net gain is
    ``benefit x (1 - forgone_earnings)`` (:meth:`net_share`).  ``prevalence_factors``: the named
    shares whose product is the prevalence, when the scenario states them (else None).
    None of these changes the RAP arithmetic (the cost is the gross outlay); the microsimulation
    reads them.
    """

    name: str
    level_type: str
    level_value: Any
    takeup: Any
    kind: str = "cash"
    basis: str = "population"
    age_min: Any = 0
    age_max: int | None = None
    sex: str = "all"
    prevalence: Any = 1.0
    age_profile: Mapping[int, float] | None = None
    base_year: int | None = None
    months: Any = 12
    admin_rate: Any = 0.0
    admin_convention: str = "share_of_benefits"
    exclusive_with: tuple[str, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)
    targeting: str | None = None
    adds_to_consumption: bool | None = None
    forgone_earnings: Any = 0.0
    prevalence_factors: Mapping[str, float] | None = None

    def markup(self):
        return admin_markup(self.admin_rate, self.admin_convention)

    def targeting_rule(self) -> str:
        """The declared survey targeting rule, or the default (``births`` for births-based, else ``universal``)."""
        if self.targeting is not None:
            return self.targeting
        return "births" if self.basis == "births" else "universal"

    def in_consumption(self) -> bool:
        """Whether the benefit adds to household consumption (declared, or: cash yes, health in kind no)."""
        return self.kind == "cash" if self.adds_to_consumption is None else bool(self.adds_to_consumption)

    def net_share(self):
        """Share of the gross benefit that raises household consumption: ``1 - forgone_earnings``."""
        return 1 - self.forgone_earnings


@dataclass(frozen=True)
class Scenario:
    """A costing scenario: horizon years, benefits, provenance."""

    name: str
    years: np.ndarray
    benefits: tuple[Benefit, ...]
    max_age: int = 100
    description: str = ""
    label: str = ""
    file: str | None = None
    spec: Mapping[str, Any] = field(default_factory=dict)

    def benefit(self, name: str) -> Benefit:
        for b in self.benefits:
            if b.name == name:
                return b
        raise KeyError(name)

    def with_benefit(self, name: str, **changes) -> "Scenario":
        """Copy with one benefit's fields replaced (e.g. Monte Carlo draws)."""
        return replace(self, benefits=tuple(replace(b, **changes) if b.name == name else b for b in self.benefits))

    def sources_table(self) -> pd.DataFrame:
        """One row per benefit field: its value and source/rationale (for the report)."""
        rows = []
        for b in self.benefits:
            for fld, src in b.sources.items():
                rows.append({"benefit": b.name, "field": fld, "source": src})
        return pd.DataFrame(rows, columns=["benefit", "field", "source"])


def path_over_years(value, years, *, before_first=None):
    """Resolve a parameter into an array over ``years`` (last axis).

    Scalars broadcast; ``{year: value}`` is a step path (value carried forward;
    years before the first key get ``before_first``, default the first value);
    arrays are returned as they are (their last axis must match ``years``).
    """
    years = np.asarray(years)
    if isinstance(value, Mapping):
        keys = sorted(int(k) for k in value)
        vals = [value[k] if k in value else value[str(k)] for k in keys]
        idx = np.searchsorted(np.asarray(keys), years, side="right") - 1
        first = vals[0] if before_first is None else before_first
        return np.array([vals[i] if i >= 0 else first for i in idx], dtype=object if _is_exact(vals) else float)
    arr = np.asarray(value)
    if arr.ndim == 0:
        return value
    if arr.shape[-1] != len(years):
        raise ValueError(f"array parameter has {arr.shape[-1]} years, expected {len(years)}")
    return value


def _is_exact(vals) -> bool:
    from fractions import Fraction

    return any(isinstance(v, Fraction) for v in vals)


def takeup_path(benefit: "Benefit", years):
    """Take-up ``c[s,t]`` over ``years``: 0 before the first listed year (benefit not yet introduced)."""
    return path_over_years(benefit.takeup, years, before_first=0)


def prevalence_path(benefit: "Benefit", years):
    """Eligible prevalence ``p[s,t]`` over ``years`` (the first listed value before it)."""
    return path_over_years(benefit.prevalence, years)


def age_min_path(benefit: "Benefit", years) -> np.ndarray | int:
    """Age of entry over ``years``: the integer ``age_min``, or its ``{year: age}`` step path resolved
    over ``years`` as an integer array (the first listed age before the first listed year)."""
    if isinstance(benefit.age_min, Mapping):
        return path_over_years(benefit.age_min, years).astype(int)
    return int(benefit.age_min)


def age_min_in_year(benefit: "Benefit", years, year) -> int:
    """Age of entry of ``year`` (one of the scenario ``years``): :func:`age_min_path` at that year."""
    return int(_in_year(age_min_path(benefit, years), years, year))


def age_min_range(benefit: "Benefit") -> tuple[int, int]:
    """Lowest and highest age of entry over the horizon (equal unless ``age_min`` is a year path)."""
    if isinstance(benefit.age_min, Mapping):
        vals = [int(v) for v in benefit.age_min.values()]
        return min(vals), max(vals)
    return int(benefit.age_min), int(benefit.age_min)


def _year_index(years, year) -> int:
    ys = [int(y) for y in np.asarray(years)]
    if int(year) not in ys:
        raise ValueError(f"year {year} outside the years {ys[0]}-{ys[-1]}")
    return ys.index(int(year))


def _in_year(path, years, year):
    arr = np.asarray(path)
    if arr.ndim == 0:
        return path
    return arr[..., _year_index(years, year)]


def takeup_in_year(benefit: "Benefit", years, year):
    """Take-up of ``year`` (one of the scenario ``years``): :func:`takeup_path` at that year.

    A scalar for scalar or ``{year: value}`` take-up; per-draw values for ``(draws, years)`` arrays.
    """
    return _in_year(takeup_path(benefit, years), years, year)


def prevalence_in_year(benefit: "Benefit", years, year):
    """Eligible prevalence of ``year``: :func:`prevalence_path` at that year (as :func:`takeup_in_year`)."""
    return _in_year(prevalence_path(benefit, years), years, year)


def _macro_positions(years, macro_years) -> tuple[dict[int, int], np.ndarray]:
    """Position of each macro year, and the positions of ``years`` among them (error naming a year not covered)."""
    pos = {int(y): i for i, y in enumerate(macro_years)}
    try:
        return pos, np.array([pos[int(y)] for y in years])
    except KeyError as e:
        raise ValueError(f"macro series do not cover year {e.args[0]}") from None


def _macro_column(macro, name: str, benefit: str):
    if isinstance(macro, pd.DataFrame):
        if name not in macro.columns:
            raise ValueError(f"benefit {benefit!r} needs the macro series {name!r}")
        return macro[name].to_numpy()
    return _macro_value(macro, name, benefit)


def benefit_level(benefit: "Benefit", macro, years, macro_years=None):
    """Annual benefit level per beneficiary ``b[s,t]`` for each of ``years`` (last axis).

    ``indexed``: ``b0 x CPI[t] / CPI[base_year]`` (:func:`indexed_level`); ``nominal``: ``b0`` in every year
    (:func:`nominal_level`, no CPI read); ``poverty_line`` /
    ``minimum_wage`` / ``health_oop`` / ``delivery_cost``: ``alpha x reference[t]`` (:func:`relative_level`).  ``macro``: a DataFrame
    indexed by year (e.g. :func:`spf_analysis.model.macro.macro_frame`; only the series needed are
    read) or a mapping ``name -> array`` over ``macro_years`` on its last axis (``(years,)`` or
    ``(draws, years)``); ``macro_years`` defaults to ``years`` (mapping) or the frame's index.
    ``macro_years`` must contain ``years`` and the base year of an indexed level.
    """
    years = np.asarray(years)
    if isinstance(macro, pd.DataFrame):
        macro_years = macro.index.to_numpy(dtype=int)
    macro_years = years if macro_years is None else np.asarray(macro_years)
    pos, sel = _macro_positions(years, macro_years)
    b = benefit
    if b.level_type == "indexed":
        cpi_full = np.asarray(_macro_column(macro, "cpi", b.name))
        if b.base_year is None or int(b.base_year) not in pos:
            raise ValueError(f"benefit {b.name!r}: CPI has no value for base year {b.base_year}")
        cpi_base = cpi_full[..., pos[int(b.base_year)]]
        if cpi_full.ndim > 1:
            cpi_base = cpi_base[..., None]  # (draws, 1) against (draws, years)
        return indexed_level(b.level_value, cpi_full[..., sel], cpi_base)
    if b.level_type == "nominal":
        lead = () if isinstance(macro, pd.DataFrame) else next(
            (np.shape(v)[:-1] for v in dict(macro).values() if np.ndim(v) > 1), ())
        return nominal_level(b.level_value, years, lead)
    if b.level_type in _LEVEL_REFERENCE:
        ref = _macro_column(macro, _LEVEL_REFERENCE[b.level_type], b.name)
        return relative_level(b.level_value, np.asarray(ref)[..., sel] if np.ndim(ref) else ref)
    raise ValueError(f"benefit {b.name!r}: unknown level type {b.level_type!r}")


def benefit_level_in_year(benefit: "Benefit", macro_frame: pd.DataFrame, year) -> float:
    """Annual level per beneficiary in ``year``'s currency, from a macro frame indexed by year (:func:`benefit_level`)."""
    return float(benefit_level(benefit, macro_frame, [int(year)])[..., 0])


def annual_amount(level, months):
    """What one beneficiary receives in a year: ``b x months / 12`` (the level is annual)."""
    return level * months / 12


# ----------------------------------------------------------------------------
# Population -> eligible counts
# ----------------------------------------------------------------------------


def population_matrix(population: pd.DataFrame, years) -> pd.DataFrame:
    """Tidy ``year, sex, age, population`` (single ages, last age open) -> years x (sex, age).

    ``population`` may also be this function's own result for other years (columns ``(sex, age)``): then only
    the years are selected, so a caller costing many scenarios on one population (the scenario explorer)
    pivots it once (:func:`wide_population`)."""
    if isinstance(population.columns, pd.MultiIndex) and list(population.columns.names) == ["sex", "age"]:
        wide = population
    else:
        wide = wide_population(population)
    missing = sorted(set(np.asarray(years).tolist()) - set(wide.index))
    if missing:
        raise ValueError(f"population has no rows for years {missing}")
    return wide.reindex(np.asarray(years)).fillna(0.0)


def wide_population(population: pd.DataFrame) -> pd.DataFrame:
    """Tidy ``year, sex, age, population`` -> year x (sex, age), every year of the frame (see :func:`population_matrix`)."""
    needed = {"year", "sex", "age", "population"}
    if not needed <= set(population.columns):
        raise ValueError(f"population needs columns {sorted(needed)}")
    return population.pivot_table(index="year", columns=["sex", "age"], values="population", aggfunc="sum")


def age_profile_at(profile: Mapping[int, float], age) -> np.ndarray:
    """Step function ``{age_lower: share}`` evaluated at ``age`` (0 below the first key).

    ``age_profile_at({0: 0.01, 5: 0.03}, [0, 4, 5, 80]) = [0.01, 0.01, 0.03, 0.03]``.
    """
    keys = np.array(sorted(int(k) for k in profile))
    vals = np.array([float(profile[k] if k in profile else profile[str(k)]) for k in keys])
    i = np.searchsorted(keys, np.asarray(age), side="right") - 1
    return np.where(i >= 0, vals[np.clip(i, 0, None)], 0.0)


def in_age_sex_group(age, sex, age_min=0, age_max=None, sex_rule="all") -> np.ndarray:
    """Boolean membership of persons (or population cells) in an eligible group.

    ``age_min <= age <= age_max`` (no upper bound when ``age_max`` is None) and, unless ``sex_rule``
    is ``"all"``, ``sex == sex_rule``.  ``age``, ``sex``: arrays of the same length (``sex`` may hold
    None, never a member of a sex-specific group; it is not read when ``sex_rule == "all"``).
    """
    age = np.asarray(age)
    m = age >= age_min
    if age_max is not None:
        m &= age <= age_max
    if sex_rule != "all":
        m &= np.asarray(sex, dtype=object) == sex_rule
    return m


def group_membership(age, sex, age_min=0, age_max=None, sex_rule="all", age_profile=None) -> np.ndarray:
    """Weight of each person or (sex, age) cell in an eligible group: ``1[in group] x profile(age)``.

    The group is :func:`in_age_sex_group`; ``age_profile`` (``{age_lower: share}``, optional) is
    multiplied in with :func:`age_profile_at`.  The RAP engine applies it to the cells of the
    projected population (:func:`group_weights`), the microsimulation to survey persons.
    """
    age = np.asarray(age)
    w = in_age_sex_group(age, sex, age_min, age_max, sex_rule).astype(float)
    if age_profile:
        w *= age_profile_at(age_profile, age)
    return w


def group_weights(columns: pd.MultiIndex, age_min=0, age_max=None, sex="all", age_profile=None) -> np.ndarray:
    """Weight of every (sex, age) cell in an eligible group: 1[in group] x profile(age) (:func:`group_membership`)."""
    return group_membership(columns.get_level_values("age").to_numpy(), columns.get_level_values("sex").to_numpy(),
                            age_min, age_max, sex, age_profile)


def demographic_inputs(scenario: Scenario, population: pd.DataFrame, births: pd.Series | None = None, *,
                       matrix: pd.DataFrame | None = None) -> dict:
    """Eligible-group and overlap population counts per benefit and year (before ``p``).

    Returns ``{"base": {name: array(years)}, "overlap": {(s, A): array(years)},
    "total": array(years)}``; ``base`` is the sum of ``N x profile`` over the
    group (births for births-based benefits). ``matrix``: ``population_matrix(population, scenario.years)``
    when the caller already has it (read only).
    """
    years = scenario.years
    mat = population_matrix(population, years) if matrix is None else matrix
    values = mat.to_numpy(dtype=float)
    open_age = int(mat.columns.get_level_values("age").max())
    weights = {}
    base = {}
    for b in scenario.benefits:
        if b.basis == "births":
            if births is None:
                raise ValueError(f"benefit {b.name!r} is births-based: pass births by year")
            s = pd.Series(births).reindex(years)
            if s.isna().any():
                raise ValueError(f"births missing for years {list(s[s.isna()].index)}")
            base[b.name] = s.to_numpy(dtype=float)
            continue
        if age_min_range(b)[1] > open_age or (b.age_max is not None and b.age_max > open_age):
            raise ValueError(f"benefit {b.name!r}: ages {b.age_min}-{b.age_max} outside the population (open age {open_age})")
        amin = age_min_path(b, years)
        if np.ndim(amin):  # phased age of entry: one row of weights per year, (years, cells)
            w = np.stack([group_weights(mat.columns, int(a), b.age_max, b.sex, b.age_profile) for a in amin])
        else:
            w = group_weights(mat.columns, amin, b.age_max, b.sex, b.age_profile)
        weights[b.name] = w
        base[b.name] = _weighted_sum(values, w)
    overlap = {}
    for b in scenario.benefits:
        for a in b.exclusive_with:
            overlap[(b.name, a)] = _weighted_sum(values, weights[b.name] * weights[a])
    return {"base": base, "overlap": overlap, "total": values.sum(axis=1)}


def _weighted_sum(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per year, the population (years x cells) weighted by ``w``: cells ``(cells,)`` or per year ``(years, cells)``."""
    return values @ w if w.ndim == 1 else np.einsum("yc,yc->y", values, w)


# ----------------------------------------------------------------------------
# Costing
# ----------------------------------------------------------------------------


def _macro_value(macro: Mapping[str, Any], name: str, benefit: str):
    if name not in macro or macro[name] is None:
        raise ValueError(f"benefit {benefit!r} needs the macro series {name!r}")
    return macro[name]


def compute_arrays(scenario: Scenario, demo: Mapping, macro: Mapping[str, Any], macro_years=None) -> dict[str, dict[str, Any]]:
    """Vectorised RAP arithmetic for every benefit (no pandas, no loops over years).

    ``demo``: from :func:`demographic_inputs`.  ``macro``: series by name
    (:data:`MACRO_SERIES`), each an array over ``macro_years`` on its last axis
    (``(years,)`` or ``(draws, years)``); ``macro_years`` defaults to the
    scenario years and must contain them and the base years of indexed levels.
    Returns ``{benefit: {"eligible", "excluded", "beneficiaries", "level",
    "cost", "admin_cost", ...ratio...}}`` plus ``"package"`` (costs summed);
    arrays broadcast to the common shape of the inputs.
    """
    years = np.asarray(scenario.years)
    macro_years = years if macro_years is None else np.asarray(macro_years)
    pos, sel = _macro_positions(years, macro_years)
    horizon = {k: (np.asarray(v)[..., sel] if v is not None and np.ndim(v) else v) for k, v in macro.items()}

    takeup = {b.name: takeup_path(b, years) for b in scenario.benefits}
    prevalence = {b.name: prevalence_path(b, years) for b in scenario.benefits}

    out: dict[str, dict[str, Any]] = {}
    package = 0
    for b in scenario.benefits:
        eligible = demo["base"][b.name] * prevalence[b.name]
        excluded = 0
        for a in b.exclusive_with:
            excluded = excluded + demo["overlap"][(b.name, a)] * prevalence[b.name] * prevalence[a] * takeup[a]
        ben = beneficiaries(eligible, takeup[b.name], excluded)
        level = benefit_level(b, macro, years, macro_years)
        markup = b.markup()
        cost = benefit_cost(ben, level, b.months, markup)
        res = {
            "eligible": eligible,
            "excluded": excluded,
            "beneficiaries": ben,
            "level": level,
            "cost": cost,
            "admin_cost": cost - benefit_cost(ben, level, b.months, 0),
        }
        for series, col in _RATIO_COLUMNS.items():
            if horizon.get(series) is not None:
                res[col] = cost_share(cost, horizon[series])
        out[b.name] = res
        package = package + cost
    pk = {"cost": package}
    for series, col in _RATIO_COLUMNS.items():
        if horizon.get(series) is not None:
            pk[col] = cost_share(package, horizon[series])
    out["package"] = pk
    return out


def _macro_from_frame(macro: pd.DataFrame | Mapping | None) -> tuple[dict, np.ndarray | None]:
    if macro is None:
        return {}, None
    if isinstance(macro, pd.DataFrame):
        unknown = set(macro.columns) - set(MACRO_SERIES)
        if unknown:
            raise ValueError(f"unknown macro columns {sorted(unknown)}; expected some of {MACRO_SERIES}")
        m = macro.sort_index()
        return {c: m[c].to_numpy() for c in m.columns}, m.index.to_numpy(dtype=int)
    return dict(macro), None


def cost_scenario(scenario: Scenario, population: pd.DataFrame, macro: pd.DataFrame | Mapping | None = None, births: pd.Series | None = None) -> pd.DataFrame:
    """Cost a scenario: tidy output per benefit and year (+ ``package`` rows).

    ``population``: tidy ``year, sex, age, population`` with single ages (last
    age open), e.g. :func:`spf_analysis.model.demography.to_single_ages` of
    :func:`~spf_analysis.model.demography.interpolate_annual`.  ``macro``: DataFrame
    indexed by year with any of :data:`MACRO_SERIES` (annual, local currency;
    ``cpi`` an index; ``gdp`` provincial nominal GDP, ``gdp_national``,
    ``budget`` government expenditure).  ``births``: Series by year, needed
    for births-based benefits.

    Columns: ``benefit, year, eligible, excluded, beneficiaries, benefit_level,
    cost, admin_cost`` and, when the series are given, ``cost_pct_gdp,
    cost_pct_national_gdp, cost_pct_budget``.  Package rows sum ``cost`` and
    ``admin_cost`` only (a person may receive several benefits).
    """
    macro_arrays, macro_years = _macro_from_frame(macro)
    demo = demographic_inputs(scenario, population, births)
    arrays = compute_arrays(scenario, demo, macro_arrays, macro_years)
    years = scenario.years
    frames = []
    for b in scenario.benefits:
        r = arrays[b.name]
        df = pd.DataFrame(
            {
                "benefit": b.name,
                "year": years,
                "eligible": np.broadcast_to(r["eligible"], years.shape),
                "excluded": np.broadcast_to(r["excluded"], years.shape),
                "beneficiaries": np.broadcast_to(r["beneficiaries"], years.shape),
                "benefit_level": np.broadcast_to(r["level"], years.shape),
                "cost": r["cost"],
                "admin_cost": r["admin_cost"],
            }
        )
        for col in _RATIO_COLUMNS.values():
            if col in r:
                df[col] = r[col]
        frames.append(df)
    pk = arrays["package"]
    pdf = pd.DataFrame({"benefit": "package", "year": years, "cost": np.broadcast_to(pk["cost"], years.shape)})
    pdf["admin_cost"] = sum(arrays[b.name]["admin_cost"] for b in scenario.benefits)
    for col in _RATIO_COLUMNS.values():
        if col in pk:
            pdf[col] = pk[col]
    frames.append(pdf)
    return pd.concat(frames, ignore_index=True)


# ----------------------------------------------------------------------------
# Scenario files
# ----------------------------------------------------------------------------

_TOP_KEYS = {"name", "label", "description", "baseline", "horizon", "population", "benefits"}
_PROVENANCE = {"source", "rationale"}
#: value-node keys allowed for each benefit field (besides source / rationale)
_BENEFIT_NODES = {
    "kind": {"value"},
    "eligible": {"basis", "age_min", "age_max", "sex"},
    "prevalence": {"value", "factors"},
    "age_profile": {"value"},
    "takeup": {"value"},
    "level": {"type", "value", "base_year"},
    "months": {"value"},
    "admin": {"rate", "convention"},
    "exclusive_with": {"value"},
    "targeting": {"rule"},
    "adds_to_consumption": {"value"},
    "forgone_earnings": {"value"},
    "remove": {"value"},
}
_REQUIRED_BENEFIT_NODES = ("eligible", "takeup", "level", "admin")
_TOP_NODES = {"horizon": {"start", "end"}, "population": {"max_age"}}


def _read_yaml(path: Path) -> dict:
    data = read_yaml(path, ScenarioError)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError("a scenario file must be a mapping", file=path)
    return data


def _check_node(node, allowed: set, key: str, file) -> None:
    if not isinstance(node, dict):
        raise ScenarioError(f"expected a mapping with {sorted(allowed)} and a source or rationale, got {node!r}", file=file, key=key)
    unknown = set(node) - allowed - _PROVENANCE
    if unknown:
        raise ScenarioError(f"unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed | _PROVENANCE)}", file=file, key=key)
    prov = [node.get(k) for k in _PROVENANCE]
    if not any(isinstance(p, str) and p.strip() for p in prov):
        raise ScenarioError("every value needs a non-empty 'source' or 'rationale'", file=file, key=key)


def _check_structure(spec: dict, file) -> None:
    """Keys and provenance (no cross-field checks): used on baseline, override and merged specs."""
    unknown = set(spec) - _TOP_KEYS
    if unknown:
        raise ScenarioError(f"unknown top-level key(s) {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}", file=file, key=sorted(unknown)[0])
    for top, allowed in _TOP_NODES.items():
        if top in spec:
            _check_node(spec[top], allowed, top, file)
    benefits = spec.get("benefits", {}) or {}
    if not isinstance(benefits, dict):
        raise ScenarioError("'benefits' must be a mapping name -> benefit", file=file, key="benefits")
    for name, ben in benefits.items():
        bkey = f"benefits.{name}"
        if not isinstance(ben, dict):
            raise ScenarioError("a benefit must be a mapping of fields", file=file, key=bkey)
        unknown = set(ben) - set(_BENEFIT_NODES)
        if unknown:
            raise ScenarioError(f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_BENEFIT_NODES)}", file=file, key=f"{bkey}.{sorted(unknown)[0]}")
        for fld, node in ben.items():
            _check_node(node, _BENEFIT_NODES[fld], f"{bkey}.{fld}", file)


def _merge(baseline: dict, override: dict) -> dict:
    """Override replaces whole value nodes (a value travels with its source)."""
    out = copy.deepcopy(baseline)
    for k, v in override.items():
        if k != "benefits":
            out[k] = copy.deepcopy(v)
    benefits = out.setdefault("benefits", {}) or {}
    out["benefits"] = benefits
    for name, ben in (override.get("benefits") or {}).items():
        if "remove" in ben:
            if ben["remove"].get("value") is True:
                benefits.pop(name, None)
                continue
        merged = benefits.setdefault(name, {})
        for fld, node in ben.items():
            if fld != "remove":
                merged[fld] = copy.deepcopy(node)
    return out


def _number(x, key, file, *, integer=False):
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ScenarioError(f"expected a number, got {x!r}", file=file, key=key)
    if integer and int(x) != x:
        raise ScenarioError(f"expected an integer, got {x!r}", file=file, key=key)
    return int(x) if integer else x


def _year_key(y, key, file, start, end) -> int:
    """A year key of a path: an integer within the horizon ``start``-``end``."""
    try:
        yi = int(y)
    except (TypeError, ValueError):
        raise ScenarioError(f"year keys must be integers, got {y!r}", file=file, key=key) from None
    if yi < start or yi > end:
        raise ScenarioError(f"year {yi} outside the horizon {start}-{end}", file=file, key=key)
    return yi


def _year_path(value, key, file, start, end, *, lo=0.0, hi=1.0, what="value"):
    """Validate a scalar or {year: value} path with bounds and horizon years."""
    items = value.items() if isinstance(value, dict) else [(None, value)]
    out = {}
    for y, v in items:
        k = key if y is None else f"{key}[{y}]"
        if y is not None:
            _year_key(y, k, file, start, end)
        v = _number(v, k, file)
        if v < lo:
            raise ScenarioError(f"{what} {v} is below {lo}", file=file, key=k)
        if hi is not None and v > hi:
            raise ScenarioError(f"{what} {v} is above {hi}", file=file, key=k)
        if y is None:
            return v
        out[int(y)] = v
    if not out:
        raise ScenarioError("empty year path", file=file, key=key)
    return out


def _age_path(value, key, file, start, end):
    """``eligible.age_min``: an integer, or a ``{year: integer age}`` step path with years in the horizon
    (a phased age of entry, e.g. 75 then 70 then 65); ages are checked against the projection by the caller."""
    if not isinstance(value, dict):
        return _number(value, key, file, integer=True)
    if not value:
        raise ScenarioError("empty year path", file=file, key=key)
    out = {}
    for y, v in value.items():
        k = f"{key}[{y}]"
        out[_year_key(y, k, file, start, end)] = _number(v, k, file, integer=True)
    return out


def _targeting(ben: dict, bkey: str, file, kind: str, basis: str) -> str | None:
    """The declared ``targeting.rule`` (None when not declared), checked against kind and basis."""
    if "targeting" not in ben:
        return None
    key = f"{bkey}.targeting.rule"
    if "rule" not in ben["targeting"]:
        raise ScenarioError(f"missing targeting rule; one of {TARGETING_RULES}", file=file, key=key)
    rule = ben["targeting"]["rule"]
    if rule not in TARGETING_RULES:
        raise ScenarioError(f"targeting rule must be one of {TARGETING_RULES}, got {rule!r}", file=file, key=key)
    if (rule == "births") != (basis == "births"):
        raise ScenarioError(f"targeting rule {rule!r} with eligible basis {basis!r}: the 'births' rule goes with "
                            f"basis 'births', and only with it", file=file, key=key)
    if kind == "health" and rule not in ("universal", "births"):
        raise ScenarioError(f"a health (in-kind, per covered person or per birth) benefit is 'universal' in its group "
                            f"(or 'births' when births-based), got {rule!r}", file=file, key=key)
    return rule


def _adds_to_consumption(ben: dict, bkey: str, file, kind: str) -> bool | None:
    """The declared ``adds_to_consumption.value`` (None when not declared): a boolean, never True for health."""
    if "adds_to_consumption" not in ben:
        return None
    key = f"{bkey}.adds_to_consumption.value"
    v = ben["adds_to_consumption"].get("value")
    if not isinstance(v, bool):
        raise ScenarioError(f"expected true or false, got {v!r}", file=file, key=key)
    if kind == "health" and v:
        raise ScenarioError("a health benefit is in kind: it does not add to household consumption", file=file, key=key)
    return v


#: tolerance between a stated prevalence value and the product of its factors (the value rounded to 4 decimals)
PREVALENCE_FACTOR_TOLERANCE = 5e-5


def _prevalence(ben: dict, bkey: str, file, start: int, end: int):
    """``(prevalence, factors)``: the declared value or year path, or the product of ``prevalence.factors``.

    ``factors``: a mapping name -> share in [0, 1]; the prevalence is their product.  When both ``value``
    and ``factors`` are given, the value must equal the product within :data:`PREVALENCE_FACTOR_TOLERANCE`.
    """
    if "prevalence" not in ben:
        return 1.0, None
    node = ben["prevalence"]
    key = f"{bkey}.prevalence"
    if "factors" not in node:
        if "value" not in node:
            raise ScenarioError("prevalence needs a value or factors", file=file, key=key)
        return _year_path(node["value"], f"{key}.value", file, start, end, what="prevalence"), None
    fac = node["factors"]
    if not isinstance(fac, dict) or not fac:
        raise ScenarioError("prevalence.factors must be a mapping name -> share", file=file, key=f"{key}.factors")
    factors = {}
    for name, v in fac.items():
        k = f"{key}.factors.{name}"
        v = _number(v, k, file)
        if not 0 <= v <= 1:
            raise ScenarioError(f"share {v} outside [0, 1]", file=file, key=k)
        factors[str(name)] = v
    product = float(np.prod(list(factors.values())))
    if "value" in node:
        v = _number(node["value"], f"{key}.value", file)
        if abs(v - product) > PREVALENCE_FACTOR_TOLERANCE:
            raise ScenarioError(f"prevalence {v} is not the product of its factors ({product:.6f})", file=file, key=f"{key}.value")
    return product, factors


def _forgone_earnings(ben: dict, bkey: str, file, kind: str, in_consumption: bool | None):
    """The declared ``forgone_earnings.value`` (0 when not declared): a share in [0, 1) of a cash benefit that
    adds to household consumption."""
    if "forgone_earnings" not in ben:
        return 0.0
    key = f"{bkey}.forgone_earnings.value"
    v = _number(ben["forgone_earnings"].get("value"), key, file)
    if not 0 <= v < 1:
        raise ScenarioError(f"forgone-earnings share {v} outside [0, 1)", file=file, key=key)
    if kind != "cash" or in_consumption is False:
        raise ScenarioError("forgone earnings apply to a cash benefit that adds to household consumption", file=file, key=key)
    return v


def _build(spec: dict, file, max_age: int | None) -> Scenario:
    if "horizon" not in spec:
        raise ScenarioError("missing 'horizon' (start, end)", file=file, key="horizon")
    h = spec["horizon"]
    for k in ("start", "end"):
        if k not in h:
            raise ScenarioError(f"missing horizon.{k}", file=file, key=f"horizon.{k}")
    start = _number(h["start"], "horizon.start", file, integer=True)
    end = _number(h["end"], "horizon.end", file, integer=True)
    if end < start:
        raise ScenarioError(f"horizon end {end} before start {start}", file=file, key="horizon.end")
    if max_age is None:
        max_age = _number(spec["population"]["max_age"], "population.max_age", file, integer=True) if "population" in spec else 100
    benefits_spec = spec.get("benefits") or {}
    if not benefits_spec:
        raise ScenarioError("no benefits", file=file, key="benefits")
    benefits = []
    for name, ben in benefits_spec.items():
        bkey = f"benefits.{name}"
        for req in _REQUIRED_BENEFIT_NODES:
            if req not in ben:
                raise ScenarioError(f"missing required field {req!r}", file=file, key=f"{bkey}.{req}")
        sources = {fld: " | ".join(str(node[p]) for p in ("source", "rationale") if node.get(p)) for fld, node in ben.items()}
        kind = ben.get("kind", {}).get("value", "cash")
        if kind not in KINDS:
            raise ScenarioError(f"kind must be one of {KINDS}, got {kind!r}", file=file, key=f"{bkey}.kind.value")
        el = ben["eligible"]
        basis = el.get("basis", "population")
        if basis not in BASES:
            raise ScenarioError(f"basis must be one of {BASES}, got {basis!r}", file=file, key=f"{bkey}.eligible.basis")
        sex = el.get("sex", "all")
        if sex not in SEX_CHOICES:
            raise ScenarioError(f"sex must be one of {SEX_CHOICES}, got {sex!r}", file=file, key=f"{bkey}.eligible.sex")
        age_min = _age_path(el.get("age_min", 0), f"{bkey}.eligible.age_min", file, start, end)
        lo_age, hi_age = (min(age_min.values()), max(age_min.values())) if isinstance(age_min, dict) else (age_min, age_min)
        if isinstance(age_min, dict) and basis != "population":
            raise ScenarioError("a phased age_min (year path) needs eligible.basis population", file=file, key=f"{bkey}.eligible.age_min")
        age_max = el.get("age_max")
        if age_max is not None:
            age_max = _number(age_max, f"{bkey}.eligible.age_max", file, integer=True)
        if basis == "population":
            if lo_age < 0 or hi_age > max_age:
                bad = lo_age if lo_age < 0 else hi_age
                raise ScenarioError(f"age_min {bad} outside the projection ages 0-{max_age}", file=file, key=f"{bkey}.eligible.age_min")
            if age_max is not None and (age_max > max_age or age_max < hi_age):
                raise ScenarioError(f"age_max {age_max} outside the projection ages {hi_age}-{max_age}", file=file, key=f"{bkey}.eligible.age_max")
        prevalence, factors = _prevalence(ben, bkey, file, start, end)
        profile = None
        if "age_profile" in ben:
            prof = ben["age_profile"]["value"]
            if not isinstance(prof, dict) or not prof:
                raise ScenarioError("age_profile.value must be a mapping age -> share", file=file, key=f"{bkey}.age_profile.value")
            profile = {}
            for a, v in prof.items():
                k = f"{bkey}.age_profile.value[{a}]"
                a = _number(a, k, file, integer=True)
                if a < 0 or a > max_age:
                    raise ScenarioError(f"age {a} outside the projection ages 0-{max_age}", file=file, key=k)
                v = _number(v, k, file)
                if not 0 <= v <= 1:
                    raise ScenarioError(f"share {v} outside [0, 1]", file=file, key=k)
                profile[a] = v
        takeup = _year_path(ben["takeup"].get("value"), f"{bkey}.takeup.value", file, start, end, what="take-up")
        lv = ben["level"]
        ltype = lv.get("type")
        if ltype not in LEVEL_TYPES:
            raise ScenarioError(f"level type must be one of {LEVEL_TYPES}, got {ltype!r}", file=file, key=f"{bkey}.level.type")
        lvalue = _number(lv.get("value"), f"{bkey}.level.value", file)
        if lvalue < 0:
            raise ScenarioError(f"negative benefit level {lvalue}", file=file, key=f"{bkey}.level.value")
        base_year = None
        if ltype == "indexed":
            if "base_year" not in lv:
                raise ScenarioError("an indexed level needs base_year", file=file, key=f"{bkey}.level.base_year")
            base_year = _number(lv["base_year"], f"{bkey}.level.base_year", file, integer=True)
            if base_year > end:
                raise ScenarioError(f"base year {base_year} after the horizon end {end}", file=file, key=f"{bkey}.level.base_year")
        elif "base_year" in lv:
            raise ScenarioError("base_year only applies to indexed levels (a nominal level is the same rupees in every "
                                "year)" if ltype == "nominal" else "base_year only applies to indexed levels",
                                file=file, key=f"{bkey}.level.base_year")
        months = _number(ben["months"]["value"], f"{bkey}.months.value", file) if "months" in ben else 12
        if not 0 < months <= 12:
            raise ScenarioError(f"months {months} outside (0, 12]", file=file, key=f"{bkey}.months.value")
        if kind == "health" and months != 12:
            raise ScenarioError("health benefits are annual per covered person: months must be 12", file=file, key=f"{bkey}.months.value")
        ad = ben["admin"]
        conv = ad.get("convention")
        if conv not in ADMIN_CONVENTIONS:
            raise ScenarioError(f"admin convention must be one of {ADMIN_CONVENTIONS}, got {conv!r}", file=file, key=f"{bkey}.admin.convention")
        rate = _number(ad.get("rate"), f"{bkey}.admin.rate", file)
        if rate < 0 or (conv == "share_of_gross" and rate >= 1):
            raise ScenarioError(f"admin rate {rate} out of range", file=file, key=f"{bkey}.admin.rate")
        excl = ben.get("exclusive_with", {}).get("value", []) if "exclusive_with" in ben else []
        if isinstance(excl, str):
            excl = [excl]
        if not isinstance(excl, list):
            raise ScenarioError("exclusive_with.value must be a list of benefit names", file=file, key=f"{bkey}.exclusive_with.value")
        targeting = _targeting(ben, bkey, file, kind, basis)
        in_consumption = _adds_to_consumption(ben, bkey, file, kind)
        forgone = _forgone_earnings(ben, bkey, file, kind, in_consumption)
        benefits.append(
            Benefit(
                name=str(name), kind=kind, basis=basis, age_min=age_min, age_max=age_max, sex=sex, prevalence=prevalence,
                age_profile=profile, takeup=takeup, level_type=ltype, level_value=lvalue, base_year=base_year, months=months,
                admin_rate=rate, admin_convention=conv, exclusive_with=tuple(str(e) for e in excl), sources=sources,
                targeting=targeting, adds_to_consumption=in_consumption, forgone_earnings=forgone,
                prevalence_factors=factors,
            )
        )
    by_name = {b.name: b for b in benefits}
    for b in benefits:
        key = f"benefits.{b.name}.exclusive_with.value"
        for a in b.exclusive_with:
            if a not in by_name:
                raise ScenarioError(f"unknown benefit {a!r}", file=file, key=key)
            if a == b.name:
                raise ScenarioError("a benefit cannot exclude itself", file=file, key=key)
            if by_name[a].exclusive_with:
                raise ScenarioError(f"{a!r} itself yields to {list(by_name[a].exclusive_with)}: chains are not supported", file=file, key=key)
            if "births" in (b.basis, by_name[a].basis):
                raise ScenarioError("overlap rules need population-based benefits", file=file, key=key)
    return Scenario(
        name=str(spec.get("name", Path(file).stem if file else "scenario")),
        description=str(spec.get("description", "")),
        label=str(spec.get("label", "")),
        years=np.arange(start, end + 1),
        benefits=tuple(benefits),
        max_age=max_age,
        file=None if file is None else str(file),
        spec=spec,
    )


def load_scenario(path: str | Path, baseline: str | Path | Mapping | Scenario | None = None, *, max_age: int | None = None) -> Scenario:
    """Load a scenario YAML stating only what differs from ``baseline``.

    ``baseline``: another scenario file (complete), its parsed mapping, a
    loaded :class:`Scenario`, or None (the file is itself complete).  Merge
    rule: the file's ``horizon``/``population`` nodes and each benefit field
    node replace the baseline's whole node (a value travels with its source);
    new benefits must be complete; ``remove: {value: true, rationale: ...}``
    drops a baseline benefit.  ``max_age``: open age of the population
    projection (default: the spec's ``population.max_age``, else 100).

    Raises :class:`ScenarioError` (a ``ValueError``) naming the file and the
    key for: unknown keys, a value without ``source``/``rationale``, take-up
    or prevalence outside [0, 1], an age range outside the projection, a year
    outside the horizon, unknown level type or admin convention, bad overlap
    rules, missing required fields, an unknown targeting rule (or one that
    contradicts the basis or kind), a non-boolean ``adds_to_consumption``.
    """
    path = Path(path)
    return scenario_from_spec(_read_yaml(path), baseline, file=path, max_age=max_age)


def scenario_from_spec(override: Mapping, baseline: str | Path | Mapping | Scenario | None = None, *, file=None,
                       max_age: int | None = None) -> Scenario:
    """:func:`load_scenario` of a scenario file already read (a mapping): the same merge and validation.

    ``file`` names the file in error messages (and is the scenario's ``file``); the scenario explorer
    (:mod:`spf_analysis.explore`) builds its scenarios with it before it saves them.
    """
    if baseline is None:
        base_spec: dict = {}
    elif isinstance(baseline, Scenario):
        base_spec = copy.deepcopy(dict(baseline.spec))
    elif isinstance(baseline, Mapping):
        base_spec = copy.deepcopy(dict(baseline))
        _check_structure(base_spec, "<baseline>")
    else:
        bpath = Path(baseline)
        base_spec = _read_yaml(bpath)
        _check_structure(base_spec, bpath)
        _build(base_spec, bpath, max_age)  # the baseline must be valid on its own
    override = copy.deepcopy(dict(override))
    _check_structure(override, file)
    merged = _merge(base_spec, override)
    merged.pop("label", None)  # a scenario's label is its own, never its baseline's
    if "label" in override:
        merged["label"] = override["label"]
    return _build(merged, file, max_age)


# ----------------------------------------------------------------------------
# The KP scenario set (params/scenarios/) and Excel output
# ----------------------------------------------------------------------------

def reference_scenario() -> str:
    """The complete reference scenario (``params/run.yaml`` reference_scenario); every other file in
    params/scenarios states only what differs from it (or from the scenario named in its ``baseline`` key)."""
    from spf_analysis.config import run

    return run.settings().reference_scenario


def scenario_dir() -> Path:
    from spf_analysis.config.paths import PARAMS

    return PARAMS / "scenarios"


def scenario_names(folder: Path | None = None) -> list[str]:
    """Names (file stems) of the scenario files, the reference scenario first."""
    folder = folder or scenario_dir()
    names = sorted(p.stem for p in folder.glob("*.yaml"))
    ref = reference_scenario()
    if ref in names:
        names.remove(ref)
        names.insert(0, ref)
    return names


def load_named_scenario(name: str, folder: Path | None = None, *, max_age: int | None = None, _seen=()) -> Scenario:
    """Load ``params/scenarios/<name>.yaml`` resolving its baseline chain.

    The reference scenario (:func:`reference_scenario`) is complete; any other
    file is merged onto the scenario named in its top-level ``baseline`` key
    (default: the reference scenario) by :func:`load_scenario`, so every real
    scenario goes through the same validation (unknown keys, take-up above 1,
    ages outside the projection, years outside the horizon -> ScenarioError).
    """
    folder = folder or scenario_dir()
    path = folder / f"{name}.yaml"
    if not path.exists():
        raise ScenarioError(f"unknown scenario {name!r}; available: {scenario_names(folder)}", file=path)
    if name in _seen:
        raise ScenarioError(f"circular baseline chain {list(_seen) + [name]}", file=path, key="baseline")
    spec = _read_yaml(path)
    ref = reference_scenario()
    if name == ref:
        return load_scenario(path, max_age=max_age)
    base_name = spec.get("baseline", ref)
    if not isinstance(base_name, str):
        raise ScenarioError("baseline must be a scenario name", file=path, key="baseline")
    base = load_named_scenario(base_name, folder, max_age=max_age, _seen=tuple(_seen) + (name,))
    return load_scenario(path, base, max_age=max_age)


def package_summary(results: Mapping[str, pd.DataFrame], years=None, population: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per scenario and year: package cost (PKR) and its ratios.

    ``population``: the projection (``year, population`` rows, e.g. by age and sex, summed per
    year); when given, ``cost_per_head`` = cost / KP population of the year (PKR per resident a year).
    """
    frames = []
    for name, df in results.items():
        pk = df[df["benefit"] == "package"].copy()
        pk.insert(0, "scenario", name)
        frames.append(pk.drop(columns=["benefit"]))
    out = pd.concat(frames, ignore_index=True)
    if years is not None:
        out = out[out["year"].isin(list(years))]
    if population is not None:
        total = population.groupby("year")["population"].sum()
        missing = sorted(set(out["year"]) - set(total.index))
        if missing:
            raise ValueError(f"no projected population for years {missing}")
        out["cost_per_head"] = out["cost"] / out["year"].map(total)
    return out.reset_index(drop=True)


def cost_named_scenarios(names, population: pd.DataFrame, births: pd.Series, macro: pd.DataFrame, folder: Path | None = None) -> dict[str, pd.DataFrame]:
    """Cost every named scenario (see :func:`load_named_scenario`) on one population and macro path."""
    return {n: cost_scenario(load_named_scenario(n, folder), population, macro, births) for n in names}
