"""Macro-fiscal paths for the costing: GDP (national and KP), CPI, poverty line, wages, KP budget.

Methods README section 2 (ILO RAP): real GDP grows at ``g[t]``; prices at the
inflation rate ``pi[t]`` (the GDP deflator is assumed equal to the CPI);
nominal GDP ``Y[t] = Y[t0] prod_{s=t0+1..t} (1 + g[s]) (1 + pi[s])``; wages
grow with prices and real wage growth; government expenditure and revenue are
constant shares of nominal GDP.

Provincial adaptation (stated in chapters 04 and 06): KP has no official GDP
series, so ``Y_KP = share x Y_Pakistan`` with the share chosen in
``params/policy/macro.yaml`` (``choice.kp_gdp_share``: 9.9% for 2022, one of
three low-confidence secondary estimates in ``macro_indicators``; the other two,
8% and 10.5%, bound the uncertainty range).

KP budget, expenditure and receipts are the observed figures for every year they
are known (``budget``: the KP budget as chapter 2 reports it,
:func:`spf_analysis.data.schemes.kp_budget`: the budget outlay, or the expenditure
outturn in a year without an enacted budget; ``expenditure``: total expenditure,
outturn or budget estimates; ``revenue``: receipts), so "% of the KP budget" is on the
latest budget (FY 2025-26).  After the last known year each grows with nominal GDP
(a constant share of GDP); receipts in a base year without a figure are expenditure x
the budget-year ratio of receipts to expenditure.  None depends on the KP GDP share:
the budget is known in rupees whatever KP's GDP is.

One source for observed values: every observed number (GDP, growth, CPI, KP
budget, minimum wage, KP GDP share estimates) is read from
``data/processed/macro_indicators`` (``io.load``; raw file
``data/raw/macro/pakistan_kp_macro_fiscal.csv``, one source per row, conflicts
resolved by its ``chosen`` column).  ``params/policy/macro.yaml`` holds only
choices among those values and projection assumptions, each with its reason.

Years: a fiscal year (July-June) is labelled by the calendar year in which it
ends (FY 2023-24 -> 2024), the convention of ``data/processed/macro_indicators``.

Poverty line: the official CBN line (Rs 3,030.32 per adult equivalent per
month, 2013-14) indexed by the CPI.  Benefit levels in the scenarios are
``alpha x`` the annual poverty line *per person* (the per-adult-equivalent line
applied per person, the usual RAP simplification; it overstates the cost of
child benefits relative to an adult-equivalent scale).

Health costing references (read from ``data/processed/health_indicators``, raw file
``data/raw/health/health_costing.csv``; :func:`health_inputs`): ``health_oop`` is the
out-of-pocket health spending per person of the National Health Accounts 2017-18 (PBS:
spending per person x private share x out-of-pocket share of private spending) and
``delivery_cost`` the average Sehat Card Plus claim per delivery (2021); both are carried
to the base year with the observed CPI inflation, as the poverty line is, then indexed
by the CPI.  Scenario levels of type ``health_oop`` / ``delivery_cost`` are ``alpha x``
these series.

Vectorised: growth and inflation may be scalars, arrays over years ``(years,)``
or over draws and years ``(draws, years)``; every output broadcasts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from spf_analysis.config.errors import read_yaml
from spf_analysis.model import policy as _policy

MACRO_FILE = _policy.POLICY_DIR / "macro.yaml"


def fy_start(year: int) -> str:
    """Date of the first day of the fiscal year ending in ``year`` (July 1 of ``year - 1``)."""
    return f"{int(year) - 1}-07-01"


def _series(pol, name: str) -> dict[int, float]:
    """A dated parameter as ``{fiscal year (end): value}``."""
    p = pol.parameter(name)
    return {d.year + 1 if d.month >= 7 else d.year: float(v) for d, v in zip(p.dates, p.values)}


# Long-table contract of data/processed/macro_indicators.parquet (issue 3).
_UNIT_SCALE = {"deliveries": 1.0, "persons": 1.0, "health workers": 1.0, "pkr": 1.0, "pkr billion": 1e9, "pkr trillion": 1e12, "pkr million": 1e6, "percent": 0.01, "share": 1.0}
#: name used here -> (indicator, geography) of the chosen rows in macro_indicators
INDICATOR_MAP = {
    "gdp_nominal_national": ("gdp_nominal_pkr", "Pakistan"),
    "cpi_inflation": ("cpi_inflation", "Pakistan"),
    "real_gdp_growth": ("real_gdp_growth", "Pakistan"),
    "kp_expenditure_outturn": ("kp_expenditure_outturn", "Khyber Pakhtunkhwa"),
    "kp_expenditure": ("kp_budget_total_expenditure", "Khyber Pakhtunkhwa"),
    "kp_receipts": ("kp_budget_total_outlay", "Khyber Pakhtunkhwa"),
    "kp_own_receipts": ("kp_own_receipts", "Khyber Pakhtunkhwa"),
    "kp_federal_transfers": ("kp_federal_transfers_total", "Khyber Pakhtunkhwa"),
    "minimum_wage_kp": ("kp_minimum_wage", "Khyber Pakhtunkhwa"),
}


#: name used here -> (indicator, geography) of the chosen rows in health_indicators
HEALTH_MAP = {
    "health_per_capita": ("health_expenditure_per_capita", "Pakistan"),
    "private_share": ("health_expenditure_share_private", "Pakistan"),
    "oop_share_of_private": ("health_oop_share_private", "Pakistan"),
    "deliveries": ("sehat_card_deliveries", "Khyber Pakhtunkhwa"),
    "delivery_claims": ("sehat_card_delivery_expenditure", "Khyber Pakhtunkhwa"),
    "facility_delivery_share": ("facility_delivery_share", "Pakistan"),
}


def _unit_scale(unit) -> float:
    u = str(unit).strip().lower()
    scale = next((s for k, s in sorted(_UNIT_SCALE.items(), key=lambda kv: -len(kv[0])) if u == k or u.startswith(k + " ")), None)
    if scale is None:
        raise ValueError(f"unknown unit {unit!r}")
    return scale


def _chosen(df: pd.DataFrame, indicator: str, geography: str) -> pd.DataFrame:
    need = {"indicator", "geography", "year", "value", "unit", "chosen"}
    missing = need - set(df.columns)
    if missing:
        raise ValueError(f"indicator table lacks columns {sorted(missing)}")
    return df[(df["indicator"] == indicator) & (df["geography"] == geography) & df["chosen"].astype(bool)]


def series_from_long(df: pd.DataFrame, indicator: str, geography: str) -> dict[int, float]:
    """``{year: value}`` of the chosen rows of a long indicator table, in base units.

    Expects the columns of ``macro_indicators`` (``indicator, geography, year,
    value, unit, chosen``); ``unit`` is converted with :data:`_UNIT_SCALE`
    (``PKR billion`` -> x 1e9, ``percent`` -> / 100).  Several chosen rows
    for one year are an error (the table must choose); undated rows are skipped.
    """
    sel = _chosen(df, indicator, geography)
    sel = sel[sel["year"].notna()]
    if sel["year"].duplicated().any():
        raise ValueError(f"{indicator} ({geography}): several chosen rows for years {sorted(sel.loc[sel['year'].duplicated(), 'year'].unique())}")
    out = {}
    for _, r in sel.iterrows():
        try:
            out[int(r["year"])] = float(r["value"]) * _unit_scale(r["unit"])
        except ValueError as e:
            raise ValueError(f"{indicator}: {e}") from None
    return out


def _row_source(df: pd.DataFrame, indicator: str, geography: str, year) -> str:
    """The source line of one row of the long table (title, locator, URL)."""
    sel = _chosen(df, indicator, geography)
    sel = sel[sel["year"].isna()] if year is None else sel[sel["year"] == year]
    if sel.empty:
        return f"macro_indicators: {indicator} ({geography}) {year}"
    r = sel.iloc[0]
    parts = [str(r.get(c)) for c in ("source_title", "locator", "source_url") if c in sel.columns and pd.notna(r.get(c))]
    return f"macro_indicators {indicator} {r.get('period', year)}: " + " | ".join(parts)


def load_choices(file=None) -> dict:
    """The ``choice`` section of ``params/policy/macro.yaml`` (which observed value, and why)."""
    f = file or MACRO_FILE
    tree = read_yaml(f, _policy.PolicyError)
    ch = tree.get("choice") if isinstance(tree, dict) else None
    if not isinstance(ch, dict):
        raise _policy.PolicyError("missing 'choice' section", file=f)
    for k in ("kp_gdp_share", "budget_year", "partial_year_inflation"):
        if k not in ch or not str(ch[k].get("reason", "")).strip():
            raise _policy.PolicyError("every choice needs a non-empty 'reason'", file=f, key=f"choice.{k}")
    return ch


def load_assumptions(file=None) -> "_policy.Policy":
    """The dated projection assumptions (``assumption.*``) of ``params/policy/macro.yaml``."""
    from spf_analysis.config import paths as _paths

    f = Path(file or MACRO_FILE)
    rel = f.relative_to(_paths.ROOT) if f.is_relative_to(_paths.ROOT) else f
    tree = read_yaml(f, _policy.PolicyError, name=rel)
    sub = tree.get("assumption") if isinstance(tree, dict) else None
    if not isinstance(sub, dict):
        raise _policy.PolicyError("missing 'assumption' section", file=rel)
    # the policy loader's checks: dates, numeric values, a reference or rationale on every value
    params = {n: _policy._parameter(n, node, rel) for n, node in _policy._flatten(sub, "assumption.", rel).items()}
    return _policy.Policy(params, [str(rel)])


def kp_gdp_share_estimates(indicators: pd.DataFrame) -> pd.DataFrame:
    """All estimates of KP's share of national GDP in ``macro_indicators`` (share, period, source)."""
    sel = indicators[(indicators["indicator"] == "kp_share_national_gdp") & (indicators["geography"] == "Khyber Pakhtunkhwa")]
    return pd.DataFrame({
        "period": sel["period"].fillna("").astype(str).to_numpy(),
        "share": (sel["value"].astype(float) * [_unit_scale(u) for u in sel["unit"]]).to_numpy(),
        "note": sel["note"].fillna("").astype(str).to_numpy() if "note" in sel else "",
        "confidence": sel["confidence"].astype(str).to_numpy() if "confidence" in sel else "",
    })


@dataclass(frozen=True)
class HealthInputs:
    """Published health-spending references of the health guarantee (one value each, see ``sources``).

    ``oop_share`` = private share x out-of-pocket share of private spending (of total health
    expenditure); ``oop_per_capita`` = ``health_per_capita x oop_share`` (PKR a person a year,
    NHA year ``nha_year``; the shares are of total health expenditure, applied to the per-person
    current expenditure); ``delivery_cost`` = Sehat Card Plus claims / deliveries (PKR a delivery,
    ``claims_year``).
    """

    nha_year: int
    health_per_capita: float
    private_share: float
    oop_share_of_private: float
    claims_year: int
    deliveries: float
    delivery_claims: float
    facility_delivery_share: float
    sources: dict = field(default_factory=dict)
    #: earlier NHA rounds of ``health_per_capita``, ``{year: PKR a person}`` (the uncertainty of carrying the
    #: NHA year forward with the CPI alone: :meth:`real_growth_per_capita`)
    per_capita_history: dict = field(default_factory=dict)

    def real_growth_per_capita(self, inflation: dict) -> float:
        """Annual real growth of health spending per person between the earliest NHA round of
        ``per_capita_history`` and ``nha_year``: ``(h_nha / h_prev / prod_{y=prev+1..nha}(1 + pi_y))^(1/(nha-prev)) - 1``.
        0 without an earlier round."""
        if not self.per_capita_history:
            return 0.0
        prev = min(self.per_capita_history)
        ratio = self.health_per_capita / self.per_capita_history[prev] / price_factor(inflation, prev, self.nha_year)
        return float(ratio ** (1.0 / (self.nha_year - prev)) - 1.0)

    @property
    def oop_share(self) -> float:
        return self.private_share * self.oop_share_of_private

    @property
    def oop_per_capita(self) -> float:
        return self.health_per_capita * self.oop_share

    @property
    def delivery_cost(self) -> float:
        return self.delivery_claims / self.deliveries


def _single(df: pd.DataFrame, name: str, table: str = "health_indicators") -> tuple[int, float]:
    ind, geo = HEALTH_MAP[name]
    ser = series_from_long(df, ind, geo)
    if len(ser) != 1:
        raise ValueError(f"{table}: expected one chosen row of {ind} ({geo}), found years {sorted(ser)}")
    return next(iter(ser.items()))


def health_inputs(health: pd.DataFrame | None = None) -> HealthInputs:
    """The health references from ``health`` (default ``io.load('health_indicators')``): NHA 2017-18
    spending per person and shares, Sehat Card Plus delivery claims, facility-birth share."""
    if health is None:
        from spf_analysis.data import io as _io

        health = _io.load("health_indicators")
    pc = series_from_long(health, *HEALTH_MAP["health_per_capita"])  # NHA rounds: the latest is used, earlier ones bound it
    if len(pc) == 0:
        raise ValueError("health_indicators: no chosen row of health_expenditure_per_capita (Pakistan)")
    latest = max(pc)
    vals = {name: _single(health, name) for name in HEALTH_MAP if name != "health_per_capita"}
    vals["health_per_capita"] = (latest, float(pc[latest]))
    nha = {vals[n][0] for n in ("health_per_capita", "private_share", "oop_share_of_private")}
    if len(nha) != 1:
        raise ValueError(f"health_indicators: the NHA spending and shares must be of one year, got {sorted(nha)}")
    claims = {vals[n][0] for n in ("deliveries", "delivery_claims")}
    if len(claims) != 1:
        raise ValueError(f"health_indicators: Sehat deliveries and their claims must be of one year, got {sorted(claims)}")
    srcs = {name: _row_source(health, *HEALTH_MAP[name], vals[name][0]).replace("macro_indicators", "health_indicators", 1)
            for name in HEALTH_MAP}
    return HealthInputs(nha_year=nha.pop(), claims_year=claims.pop(), sources=srcs,
                        per_capita_history={int(y): float(v) for y, v in pc.items() if y != latest},
                        **{n: v for n, (_, v) in vals.items()})


# ------------------------------------------------------------------ health workforce (ILO staff-related access deficit)
#: the counts of physicians, nurses and midwives of each geography: (indicator of health_indicators) and what they count
STAFF_MAP = {
    "Pakistan": ({"doctors": "registered_doctors", "nurses": "registered_nurses", "midwives": "registered_midwives"},
                 "registered (an upper bound of the workforce)"),
    "Khyber Pakhtunkhwa": ({"doctors": "health_dept_doctors", "nurses": "health_dept_nurses",
                            "midwives": "health_dept_community_midwives"},
                           "KP Health Department staff (public sector only, a lower bound of the workforce)"),
}
STAFF_BENCHMARK = ("ilo_health_worker_benchmark", "World")
#: health-worker densities are per this many people (the ILO benchmark is 41.1 per 10,000)
DENSITY_PER = 10_000


def health_worker_density(doctors, nurses, midwives, population):
    """Skilled health workers per 10,000 population: ``(physicians + nurses + midwives) / population x 10,000``
    (the workforce the ILO's staff-related access deficit counts; World Social Protection Report 2014/15)."""
    population = np.asarray(population, dtype=float)
    if np.any(population <= 0):
        raise ValueError("health_worker_density: the population must be positive")
    out = (np.asarray(doctors, dtype=float) + np.asarray(nurses, dtype=float) + np.asarray(midwives, dtype=float)) \
        / population * DENSITY_PER
    return float(out) if out.ndim == 0 else out


def staff_access_deficit(density, benchmark):
    """The ILO staff-related access deficit: ``max(0, benchmark - density) / benchmark``, the share of the population
    without access to care for want of health workers, with ``benchmark`` the ILO's 41.1 skilled health workers per
    10,000 population (X. Scheil-Adlung, Bulletin of the WHO 2013;91:888-889; ILO World Social Protection Report
    2014/15). 0 at or above the benchmark."""
    if not benchmark > 0:
        raise ValueError("staff_access_deficit: the benchmark must be positive")
    out = np.maximum(0.0, benchmark - np.asarray(density, dtype=float)) / benchmark
    return float(out) if out.ndim == 0 else out


def staff_access(health: pd.DataFrame | None = None, kp_population: tuple[int, float] | None = None) -> pd.DataFrame:
    """Health-worker density and the ILO staff-related access deficit of Pakistan and KP.

    ``health`` (default ``io.load('health_indicators')``) holds the ILO benchmark, the counts of :data:`STAFF_MAP`
    and Pakistan's census population; ``kp_population`` = ``(census year, persons)``, default KP's census 2023 total
    of ``io.load('census_district_totals')``. For each geography the latest year with all three counts is used.
    One row per geography: counts, population, ``density`` (per 10,000), ``benchmark``, ``gap`` (workers per 10,000
    short of it), ``workers_short`` (persons) and ``deficit`` (share); ``attrs['sources']`` the source lines.
    """
    from spf_analysis.data import io as _io

    if health is None:
        health = _io.load("health_indicators")
    if kp_population is None:
        tot = _io.load("census_district_totals")
        sel = tot[(tot["unit"] == "Khyber Pakhtunkhwa") & (tot["level"] == "province/region total")]
        if sel.empty:
            raise ValueError("census_district_totals: no KP province total")
        r = sel.loc[sel["year"].astype(int).idxmax()]
        kp_population = (int(r["year"]), float(r["population"]))
    bench_ser = series_from_long(health, *STAFF_BENCHMARK)
    if len(bench_ser) != 1:
        raise ValueError(f"health_indicators: expected one chosen row of {STAFF_BENCHMARK[0]}, found {sorted(bench_ser)}")
    bench_year, benchmark = next(iter(bench_ser.items()))
    pk_pop = series_from_long(health, "population_census", "Pakistan")
    if not pk_pop:
        raise ValueError("health_indicators: no chosen row of population_census (Pakistan)")
    pops = {"Pakistan": (max(pk_pop), pk_pop[max(pk_pop)]), "Khyber Pakhtunkhwa": kp_population}
    sources = [_row_source(health, *STAFF_BENCHMARK, bench_year).replace("macro_indicators", "health_indicators", 1)]
    rows = []
    for geo, (inds, basis) in STAFF_MAP.items():
        ser = {k: series_from_long(health, ind, geo) for k, ind in inds.items()}
        years = set.intersection(*(set(s) for s in ser.values()))
        if not years:
            raise ValueError(f"health_indicators: no year with {', '.join(inds.values())} all present ({geo})")
        y = max(years)
        counts = {k: s[y] for k, s in ser.items()}
        pop_year, pop = pops[geo]
        density = health_worker_density(counts["doctors"], counts["nurses"], counts["midwives"], pop)
        gap = max(0.0, benchmark - density)
        rows.append({"geography": geo, "basis": basis, "year": int(y), **counts,
                     "workers": sum(counts.values()), "population_year": int(pop_year), "population": pop,
                     "density": density, "benchmark": benchmark, "gap": gap, "workers_short": gap * pop / DENSITY_PER,
                     "deficit": staff_access_deficit(density, benchmark)})
        sources += [_row_source(health, ind, geo, y).replace("macro_indicators", "health_indicators", 1)
                    for ind in inds.values()]
    sources.append(_row_source(health, "population_census", "Pakistan", pops["Pakistan"][0])
                   .replace("macro_indicators", "health_indicators", 1))
    out = pd.DataFrame(rows)
    out.attrs["sources"] = list(dict.fromkeys(sources))
    return out


def price_factor(inflation: dict, from_year: int, to_year: int) -> float:
    """``prod_{y=from+1..to} (1 + pi_y)``: prices of ``to_year`` relative to ``from_year`` (observed inflation)."""
    missing = [y for y in range(from_year + 1, to_year + 1) if y not in inflation]
    if missing:
        raise ValueError(f"CPI inflation missing for fiscal years {missing}")
    return float(np.prod([1 + inflation[y] for y in range(from_year + 1, to_year + 1)]))


@dataclass(frozen=True)
class MacroInputs:
    """Observed base values (from ``macro_indicators``) and central assumptions (``macro.yaml``); see ``sources``."""

    base_year: int
    gdp_national_base: float
    kp_gdp_share: float
    #: observed KP budget (chapter 2's definition), total expenditure and receipts, {year: PKR}
    budget_observed: dict
    expenditure_observed: dict
    receipts_observed: dict
    revenue_to_expenditure: float
    poverty_line_monthly_base: float
    inflation_observed: dict
    growth_observed: dict
    minimum_wage_monthly: dict
    real_growth: float
    inflation: float
    real_wage_growth: float
    sources: dict = field(default_factory=dict)
    budget_estimates: dict = field(default_factory=dict)
    kp_gdp_share_range: tuple = (np.nan, np.nan)
    kp_gdp_share_reason: str = ""
    #: health references in base-year prices (PKR): out-of-pocket spending per person, cost per delivery
    health_oop_base: float = np.nan
    delivery_cost_base: float = np.nan
    #: fiscal year of the health_oop reference (the NHA round) and the observed annual real growth of health
    #: spending per person between NHA rounds (the upper bound of the health cost's uncertainty, montecarlo)
    health_reference_year: int = 0
    health_real_growth_observed: float = 0.0

    def with_(self, **changes) -> "MacroInputs":
        return replace(self, **changes)


def macro_inputs(base_year: int = 2024, indicators: pd.DataFrame | None = None, files=None,
                 health: pd.DataFrame | None = None) -> MacroInputs:
    """Collect the base-year values and central assumptions.

    Observed values come from ``indicators`` (default
    ``io.load('macro_indicators')``, its chosen rows, see :data:`INDICATOR_MAP`):
    national GDP, real growth, CPI inflation, KP expenditure (2023-24 outturn,
    2024-25 budget), receipts, own receipts, federal transfers, the KP minimum
    wage and the KP share of national GDP selected in ``macro.yaml``
    (``choice.kp_gdp_share``).  ``files``: ``(baseline policy file, macro.yaml)``;
    only the official poverty line comes from the baseline policy file, only
    choices and assumptions from ``macro.yaml``.

    Poverty line in the base year: ``3,030.32 x prod_{y=2015..base} (1 + pi_y)``
    (2013-14 line carried forward with fiscal-year CPI inflation).  Likewise the health
    references of :func:`health_inputs` (``health``, default ``io.load('health_indicators')``):
    out-of-pocket spending per person ``x prod_{y=NHA+1..base} (1 + pi_y)`` and the cost per
    delivery ``x prod_{y=claims+1..base} (1 + pi_y)``.
    """
    baseline_file, macro_file = files or (_policy.BASELINE, MACRO_FILE)
    if indicators is None:
        from spf_analysis.data import io as _io

        indicators = _io.load("macro_indicators")
    choices = load_choices(macro_file)
    assum = load_assumptions(macro_file)
    base_pol = _policy.load(baseline_file)
    obs = {name: series_from_long(indicators, ind, geo) for name, (ind, geo) in INDICATOR_MAP.items()}
    gdp, growth, infl = obs["gdp_nominal_national"], obs["real_gdp_growth"], dict(obs["cpi_inflation"])
    for y, v in series_from_long(indicators, choices["partial_year_inflation"]["indicator"], "Pakistan").items():
        infl.setdefault(y, v)  # a partial-year average stands in only where no full-year value exists
    if base_year not in gdp:
        raise ValueError(f"macro_indicators: no national GDP (gdp_nominal_pkr, chosen) for base year {base_year}; have {sorted(gdp)}")
    pl_param = base_pol.parameter("poverty_line.official_cbn")
    pl_year = pl_param.dates[0].year + 1  # FY 2013-14 -> 2014
    missing = [y for y in range(pl_year + 1, base_year + 1) if y not in infl]
    if missing:
        raise ValueError(f"macro_indicators: CPI inflation missing for fiscal years {missing} (needed to index the poverty line)")
    pl = float(pl_param.values[0]) * float(np.prod([1 + infl[y] for y in range(pl_year + 1, base_year + 1)]))
    hl = health_inputs(health)
    health_oop = hl.oop_per_capita * price_factor(infl, hl.nha_year, base_year)
    delivery_cost = hl.delivery_cost * price_factor(infl, hl.claims_year, base_year)
    # KP share of national GDP: the estimate chosen in macro.yaml
    est = kp_gdp_share_estimates(indicators)
    ch = choices["kp_gdp_share"]
    pick = est[est["period"] == str(ch["period"])]
    if len(pick) != 1:
        raise ValueError(f"{macro_file}: choice.kp_gdp_share period {ch['period']!r} matches {len(pick)} rows of "
                         f"macro_indicators kp_share_national_gdp (periods {sorted(est['period'])})")
    share = float(pick["share"].iloc[0])
    bounds = est[est["period"].isin([str(p) for p in ch.get("range_periods", [])])]["share"]
    share_range = (float(bounds.min()), float(bounds.max())) if len(bounds) else (share, share)
    # KP expenditure: budget estimates, replaced by the outturn where one exists
    exp = {**obs["kp_expenditure"], **obs["kp_expenditure_outturn"]}
    if base_year not in exp:
        raise ValueError(f"macro_indicators: no KP expenditure (outturn or budget) for base year {base_year}")
    # the KP budget as chapter 2 reports it (one definition: data.schemes.kp_budget), in PKR
    from spf_analysis.data.schemes import kp_budget

    kpb = kp_budget(indicators)
    budget_obs = {int(y): float(v) * 1e9 for y, v in zip(kpb["year"], kpb["budget_pkr_bn"]) if int(y) >= base_year}
    if base_year not in budget_obs:
        raise ValueError(f"macro_indicators: no KP budget (outlay or expenditure outturn) for base year {base_year}")
    by = int(choices["budget_year"]["year"])
    budget = {}
    for k in ("kp_expenditure", "kp_receipts", "kp_own_receipts", "kp_federal_transfers"):
        if by not in obs[k]:
            raise ValueError(f"macro_indicators: no {INDICATOR_MAP[k][0]} for the budget year {by}")
        budget[k] = obs[k][by]
    a = "assumption."
    src = {name: lambda y, n=name: _row_source(indicators, *INDICATOR_MAP[n], y) for name in INDICATOR_MAP}
    srcs = {
        "gdp_national_base": src["gdp_nominal_national"](base_year),
        "kp_gdp_share": _row_source(indicators, "kp_share_national_gdp", "Khyber Pakhtunkhwa", int(ch["period"]) if str(ch["period"]) else None)
        + " | chosen in params/policy/macro.yaml: " + " ".join(str(ch["reason"]).split()),
        "kp_expenditure": src["kp_expenditure_outturn" if base_year in obs["kp_expenditure_outturn"] else "kp_expenditure"](base_year),
        "poverty_line": pl_param.sources[0] + " | indexed with cpi_inflation (macro_indicators)",
        "real_growth": assum.parameter(a + "real_growth").sources[-1],
        "inflation": assum.parameter(a + "inflation").sources[-1],
        "budget_year": " ".join(str(choices["budget_year"]["reason"]).split()),
        "health_oop": " ; ".join(hl.sources[n] for n in ("health_per_capita", "private_share", "oop_share_of_private"))
        + " | indexed with cpi_inflation (macro_indicators)",
        "delivery_cost": " ; ".join(hl.sources[n] for n in ("deliveries", "delivery_claims"))
        + " | indexed with cpi_inflation (macro_indicators)",
    }
    return MacroInputs(
        base_year=base_year,
        gdp_national_base=gdp[base_year],
        kp_gdp_share=share,
        budget_observed=budget_obs,
        expenditure_observed={y: v for y, v in exp.items() if y >= base_year},
        receipts_observed={y: v for y, v in obs["kp_receipts"].items() if y >= base_year},
        revenue_to_expenditure=budget["kp_receipts"] / budget["kp_expenditure"],
        poverty_line_monthly_base=pl,
        inflation_observed=infl,
        growth_observed=growth,
        minimum_wage_monthly=obs["minimum_wage_kp"],
        real_growth=float(assum.parameter(a + "real_growth").values[-1]),
        inflation=float(assum.parameter(a + "inflation").values[-1]),
        real_wage_growth=float(assum.parameter(a + "real_wage_growth").values[-1]),
        sources=srcs,
        budget_estimates={"year": by, **budget},
        kp_gdp_share_range=share_range,
        kp_gdp_share_reason=" ".join(str(ch["reason"]).split()),
        health_oop_base=health_oop,
        delivery_cost_base=delivery_cost,
        health_reference_year=hl.nha_year,
        health_real_growth_observed=hl.real_growth_per_capita(infl),
    )


def _rate_path(assumed, observed: dict, years: np.ndarray):
    """Rates for ``years``: observed values where known, else the assumption (broadcast)."""
    assumed = np.asarray(assumed, dtype=float)
    obs_mask = np.array([int(y) in observed for y in years])
    obs_vals = np.array([observed.get(int(y), 0.0) for y in years])
    base = np.broadcast_to(assumed, np.broadcast_shapes(assumed.shape, years.shape)) if assumed.ndim else np.full(years.shape, float(assumed))
    return np.where(obs_mask, obs_vals, base)


def anchored_path(observed: dict, gdp, years) -> np.ndarray:
    """Observed values where known; from the last known value on, growth with ``gdp``
    (a constant share of GDP). ``gdp``: ``(years,)`` or ``(draws, years)``; the first
    year must be observed.

    >>> anchored_path({2024: 10.0, 2025: 12.0}, np.array([100.0, 110.0, 121.0]), [2024, 2025, 2026]).tolist()
    [10.0, 12.0, 13.2]
    """
    years = [int(y) for y in years]
    if years[0] not in observed:
        raise ValueError(f"no observed value for the first year {years[0]}")
    gdp = np.asarray(gdp, dtype=float)
    out = np.empty(gdp.shape)
    out[..., 0] = observed[years[0]]
    for i in range(1, len(years)):
        out[..., i] = observed[years[i]] if years[i] in observed else out[..., i - 1] * gdp[..., i] / gdp[..., i - 1]
    return out


def cumulative_index(rates) -> np.ndarray:
    """``I[0] = 1``, ``I[t] = prod_{s=1..t} (1 + r[s])`` along the last axis (``r[..., 0]`` ignored)."""
    r = np.asarray(rates, dtype=float)
    growth = np.concatenate([np.ones(r.shape[:-1] + (1,)), 1 + r[..., 1:]], axis=-1)
    return np.cumprod(growth, axis=-1)


def project_arrays(inputs: MacroInputs, years, *, real_growth=None, inflation=None, real_wage_growth=None,
                   kp_gdp_share=None, budget_ratio=None, health_real_growth=None,
                   use_observed: bool = True) -> dict[str, np.ndarray]:
    """Macro paths over ``years`` (must start at ``inputs.base_year``), vectorised.

    ``real_growth``/``inflation``/``real_wage_growth``: scalars or arrays over
    years or ``(draws, years)`` replacing the central assumptions (observed
    rates still apply to the years they cover when ``use_observed``).
    Returns annual arrays: ``cpi`` (base year = 1), ``gdp_national``, ``gdp``
    (KP), ``budget`` (the KP budget, chapter 2's definition), ``expenditure`` and
    ``revenue`` (KP total expenditure and receipts), ``poverty_line`` and
    ``minimum_wage`` (annual amounts per person = monthly x 12), ``health_oop``
    (out-of-pocket health spending per person a year) and ``delivery_cost`` (per
    delivery), both the base-year reference x CPI.

    Uncertainty (``None`` = the central assumption): ``budget_ratio`` multiplies the KP
    budget of every year after the last published budget (its share of GDP relative to the
    latest budget's, :func:`budget_ratio_range`); ``health_real_growth`` is a real annual growth
    of out-of-pocket health spending per person since the NHA year
    (``health_oop x (1 + g)^(year - health_reference_year)``; central 0: the NHA figure carried
    with the CPI alone). Both are scalars or one value per draw.
    """
    years = np.asarray(years, dtype=int)
    if years[0] != inputs.base_year or np.any(np.diff(years) != 1):
        raise ValueError(f"years must be consecutive and start at the base year {inputs.base_year}")
    g = inputs.real_growth if real_growth is None else real_growth
    pi = inputs.inflation if inflation is None else inflation
    rw = inputs.real_wage_growth if real_wage_growth is None else real_wage_growth
    share = inputs.kp_gdp_share if kp_gdp_share is None else np.asarray(kp_gdp_share, dtype=float)
    if np.ndim(share) == 1:
        share = share[:, None]  # per-draw share
    g_path = _rate_path(g, inputs.growth_observed if use_observed else {}, years)
    pi_path = _rate_path(pi, inputs.inflation_observed if use_observed else {}, years)
    g_path, pi_path = np.broadcast_arrays(g_path, pi_path)
    cpi = cumulative_index(pi_path)
    real = cumulative_index(g_path)
    gdp_nat = inputs.gdp_national_base * real * cpi
    gdp_kp = share * gdp_nat
    budget = anchored_path(inputs.budget_observed, gdp_nat, years)
    if budget_ratio is not None:
        after = np.array([int(y) > max(inputs.budget_observed) for y in years])
        br = np.asarray(budget_ratio, dtype=float)
        br = br[:, None] if br.ndim == 1 else br
        budget = np.where(after, budget * br, budget)
    expenditure = anchored_path(inputs.expenditure_observed, gdp_nat, years)
    receipts = dict(inputs.receipts_observed)  # a base year without a receipts figure: the budget-year ratio
    receipts.setdefault(int(years[0]), inputs.expenditure_observed[int(years[0])] * inputs.revenue_to_expenditure)
    revenue = anchored_path(receipts, gdp_nat, years)
    pl = inputs.poverty_line_monthly_base * cpi * 12
    # minimum wage: observed where set (value in force in that fiscal year), then CPI x real wage growth
    mw_years = sorted(inputs.minimum_wage_monthly)
    last = max(y for y in mw_years if y <= years[-1]) if any(y <= years[-1] for y in mw_years) else None
    if last is None or last < years[0]:
        raise ValueError("no observed minimum wage at or after the base year")
    rw_path = np.broadcast_to(np.asarray(rw, dtype=float), cpi.shape) if np.ndim(rw) else np.full(cpi.shape, float(rw))
    wage_idx = cpi * cumulative_index(rw_path)
    li = int(np.where(years == last)[0][0])
    mw = inputs.minimum_wage_monthly[last] * wage_idx / wage_idx[..., li : li + 1] * 12
    for i, y in enumerate(years):
        if int(y) in inputs.minimum_wage_monthly:
            mw[..., i] = inputs.minimum_wage_monthly[int(y)] * 12
    return {"cpi": cpi, "gdp_national": gdp_nat, "gdp": gdp_kp, "budget": budget, "expenditure": expenditure,
            "revenue": revenue,
            "health_oop": inputs.health_oop_base * cpi * _drift(health_real_growth, years, inputs.health_reference_year),
            "delivery_cost": inputs.delivery_cost_base * cpi,
            "poverty_line": pl, "minimum_wage": mw, "real_growth": g_path, "inflation": pi_path}


def _drift(rate, years, since: int):
    """``(1 + rate)^(year - since)`` over ``years`` (1 where ``rate`` is None); ``rate`` scalar or per draw."""
    if rate is None:
        return 1.0
    r = np.asarray(rate, dtype=float)
    r = r[:, None] if r.ndim == 1 else r
    return (1.0 + r) ** (np.asarray(years, dtype=float) - since)


def budget_ratio_range(inputs: MacroInputs) -> tuple[float, float]:
    """Range of the KP budget's share of national GDP over the published budgets from the base year
    on, relative to the latest budget's share: ``(min_y b_y/Y_y, max_y b_y/Y_y) / (b_last/Y_last)``
    with national GDP ``Y`` of the central macro path. The Monte Carlo's range of ``budget_ratio``:
    the budget after the latest one may keep its share of GDP (1) or return to the share of an
    earlier year (the FY 2023-24 outturn, without an enacted budget, is the lowest)."""
    years = np.arange(inputs.base_year, max(inputs.budget_observed) + 1)
    m = project_arrays(inputs, years)
    ratio = {int(y): inputs.budget_observed[int(y)] / m["gdp_national"][i] for i, y in enumerate(years)
             if int(y) in inputs.budget_observed}
    last = ratio[max(ratio)]
    return float(min(ratio.values()) / last), float(max(ratio.values()) / last)


def macro_frame(inputs: MacroInputs, end_year: int, **kwargs) -> pd.DataFrame:
    """Central macro paths as a DataFrame indexed by year (base year .. ``end_year``).

    Columns usable by :func:`spf_analysis.model.costing.cost_scenario` (``cpi,
    poverty_line, minimum_wage, gdp, gdp_national, budget``) plus ``expenditure``, ``revenue``,
    ``real_growth`` and ``inflation``.
    """
    years = np.arange(inputs.base_year, end_year + 1)
    arr = project_arrays(inputs, years, **kwargs)
    df = pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in arr.items()}, index=pd.Index(years, name="year"))
    return df


def costing_macro(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns of a :func:`macro_frame` that the costing engine accepts."""
    from spf_analysis.model.costing import MACRO_SERIES

    return frame[[c for c in frame.columns if c in MACRO_SERIES]]
