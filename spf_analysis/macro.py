"""Macro-fiscal paths for the costing: GDP (national and KP), CPI, poverty line, wages, KP budget.

Methods README section 2 (ILO RAP): real GDP grows at ``g[t]``; prices at the
inflation rate ``pi[t]`` (the GDP deflator is assumed equal to the CPI);
nominal GDP ``Y[t] = Y[t0] prod_{s=t0+1..t} (1 + g[s]) (1 + pi[s])``; wages
grow with prices and real wage growth; government expenditure and revenue are
constant shares of nominal GDP.

Provincial adaptation (stated in chapters 04 and 06): KP has no official GDP
series, so ``Y_KP = share x Y_Pakistan`` with the documented share
(``params/policy/macro.yaml``: 10%, secondary source, range 8-10.5%).  The
"budget" is the KP government's total expenditure, held at its base-year share
of KP GDP (FY 2023-24 outturn Rs 1.3 trillion); receipts are expenditure x the
2024-25 budget ratio of receipts to expenditure.

Years: a fiscal year (July-June) is labelled by the calendar year in which it
ends (FY 2023-24 -> 2024), the convention of ``data/processed/macro_indicators``.

Poverty line: the official CBN line (Rs 3,030.32 per adult equivalent per
month, 2013-14) indexed by the CPI.  Benefit levels in the scenarios are
``alpha x`` the annual poverty line *per person* (the per-adult-equivalent line
applied per person, the usual RAP simplification; it overstates the cost of
child benefits relative to an adult-equivalent scale).

Vectorised: growth and inflation may be scalars, arrays over years ``(years,)``
or over draws and years ``(draws, years)``; every output broadcasts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from . import policy as _policy

MACRO_FILE = _policy.POLICY_DIR / "macro.yaml"


def fy_start(year: int) -> str:
    """Date of the first day of the fiscal year ending in ``year`` (July 1 of ``year - 1``)."""
    return f"{int(year) - 1}-07-01"


def _series(pol, name: str) -> dict[int, float]:
    """A dated parameter as ``{fiscal year (end): value}``."""
    p = pol.parameter(name)
    return {d.year + 1 if d.month >= 7 else d.year: float(v) for d, v in zip(p.dates, p.values)}


# Long-table contract of data/processed/macro_indicators.parquet (issue 3).
_UNIT_SCALE = {"pkr": 1.0, "pkr billion": 1e9, "pkr trillion": 1e12, "pkr million": 1e6, "percent": 0.01, "share": 1.0}
#: indicator (geography) in the long table -> name used here
INDICATOR_MAP = {
    ("gdp_nominal_pkr", "Pakistan"): "gdp_nominal_national",
    ("cpi_inflation_headline", "Pakistan"): "cpi_inflation",
    ("real_gdp_growth", "Pakistan"): "real_gdp_growth",
}


def series_from_long(df: pd.DataFrame, indicator: str, geography: str) -> dict[int, float]:
    """``{year: value}`` of the chosen rows of a long indicator table, in base units.

    Expects the columns of ``macro_indicators`` (``indicator, geography, year,
    value, unit, chosen``); ``unit`` is converted with :data:`_UNIT_SCALE`
    (``PKR trillion`` -> x 1e12, ``percent`` -> / 100).  Several chosen rows
    for one year are an error (the table must choose).
    """
    need = {"indicator", "geography", "year", "value", "unit", "chosen"}
    missing = need - set(df.columns)
    if missing:
        raise ValueError(f"indicator table lacks columns {sorted(missing)}")
    sel = df[(df["indicator"] == indicator) & (df["geography"] == geography) & df["chosen"].astype(bool)]
    if sel["year"].duplicated().any():
        raise ValueError(f"{indicator} ({geography}): several chosen rows for years {sorted(sel.loc[sel['year'].duplicated(), 'year'].unique())}")
    out = {}
    for _, r in sel.iterrows():
        unit = str(r["unit"]).strip().lower()
        scale = next((s for u, s in sorted(_UNIT_SCALE.items(), key=lambda kv: -len(kv[0])) if unit == u or unit.startswith(u + " ")), None)
        if scale is None:
            raise ValueError(f"{indicator}: unknown unit {r['unit']!r}")
        out[int(r["year"])] = float(r["value"]) * scale
    return out


@dataclass(frozen=True)
class MacroInputs:
    """Observed base values and central assumptions (all sourced, see ``sources``)."""

    base_year: int
    gdp_national_base: float
    kp_gdp_share: float
    expenditure_share_kp_gdp: float
    revenue_to_expenditure: float
    poverty_line_monthly_base: float
    inflation_observed: dict
    growth_observed: dict
    minimum_wage_monthly: dict
    real_growth: float
    inflation: float
    real_wage_growth: float
    sources: dict = field(default_factory=dict)

    def with_(self, **changes) -> "MacroInputs":
        return replace(self, **changes)


def macro_inputs(base_year: int = 2024, indicators: pd.DataFrame | None = None, files=None) -> MacroInputs:
    """Collect the base-year values and central assumptions.

    ``files``: policy files (default ``params/policy/baseline.yaml`` and
    ``params/policy/macro.yaml``).  ``indicators``: the data helper's long table
    (``io.load('macro_indicators')``); its chosen rows replace the YAML's
    observed GDP, inflation and growth where present (see :data:`INDICATOR_MAP`).

    Poverty line in the base year: ``3,030.32 x prod_{y=2015..base} (1 + pi_y)``
    (2013-14 line carried forward with fiscal-year CPI inflation).
    """
    files = files or (_policy.BASELINE, MACRO_FILE)
    pol = _policy.load(*files)
    gdp = _series(pol, "gdp_nominal_national")
    infl = _series(pol, "cpi_inflation")
    growth = _series(pol, "real_gdp_growth")
    if indicators is not None:
        for (ind, geo), name in INDICATOR_MAP.items():
            s = series_from_long(indicators, ind, geo)
            if s:
                {"gdp_nominal_national": gdp, "cpi_inflation": infl, "real_gdp_growth": growth}[name].update(s)
    if base_year not in gdp:
        raise ValueError(f"no national GDP for base year {base_year}; have {sorted(gdp)}")
    pl_param = pol.parameter("poverty_line.official_cbn")
    pl_year = pl_param.dates[0].year + 1  # FY 2013-14 -> 2014
    missing = [y for y in range(pl_year + 1, base_year + 1) if y not in infl]
    if missing:
        raise ValueError(f"CPI inflation missing for fiscal years {missing} (needed to index the poverty line)")
    pl = float(pl_param.values[0]) * float(np.prod([1 + infl[y] for y in range(pl_year + 1, base_year + 1)]))
    share = pol.value_at("kp_gdp_share", fy_start(base_year))
    exp = _series(pol, "kp_expenditure")
    if base_year not in exp:
        raise ValueError(f"no KP expenditure for base year {base_year}")
    a = "assumption."
    srcs = {
        "gdp_national_base": pol.parameter("gdp_nominal_national").source_at(fy_start(base_year)),
        "kp_gdp_share": pol.parameter("kp_gdp_share").source_at(fy_start(base_year)),
        "kp_expenditure": pol.parameter("kp_expenditure").source_at(fy_start(base_year)),
        "poverty_line": pl_param.sources[0] + " | indexed with cpi_inflation (params/policy/macro.yaml)",
        "real_growth": pol.parameter(a + "real_growth").sources[-1],
        "inflation": pol.parameter(a + "inflation").sources[-1],
    }
    return MacroInputs(
        base_year=base_year,
        gdp_national_base=gdp[base_year],
        kp_gdp_share=float(share),
        expenditure_share_kp_gdp=exp[base_year] / (share * gdp[base_year]),
        revenue_to_expenditure=float(pol.parameter(a + "revenue_to_expenditure").values[-1]),
        poverty_line_monthly_base=pl,
        inflation_observed=infl,
        growth_observed=growth,
        minimum_wage_monthly=_series(pol, "minimum_wage_kp"),
        real_growth=float(pol.parameter(a + "real_growth").values[-1]),
        inflation=float(pol.parameter(a + "inflation").values[-1]),
        real_wage_growth=float(pol.parameter(a + "real_wage_growth").values[-1]),
        sources=srcs,
    )


def _rate_path(assumed, observed: dict, years: np.ndarray):
    """Rates for ``years``: observed values where known, else the assumption (broadcast)."""
    assumed = np.asarray(assumed, dtype=float)
    obs_mask = np.array([int(y) in observed for y in years])
    obs_vals = np.array([observed.get(int(y), 0.0) for y in years])
    base = np.broadcast_to(assumed, np.broadcast_shapes(assumed.shape, years.shape)) if assumed.ndim else np.full(years.shape, float(assumed))
    return np.where(obs_mask, obs_vals, base)


def cumulative_index(rates) -> np.ndarray:
    """``I[0] = 1``, ``I[t] = prod_{s=1..t} (1 + r[s])`` along the last axis (``r[..., 0]`` ignored)."""
    r = np.asarray(rates, dtype=float)
    growth = np.concatenate([np.ones(r.shape[:-1] + (1,)), 1 + r[..., 1:]], axis=-1)
    return np.cumprod(growth, axis=-1)


def project_arrays(inputs: MacroInputs, years, *, real_growth=None, inflation=None, real_wage_growth=None,
                   kp_gdp_share=None, use_observed: bool = True) -> dict[str, np.ndarray]:
    """Macro paths over ``years`` (must start at ``inputs.base_year``), vectorised.

    ``real_growth``/``inflation``/``real_wage_growth``: scalars or arrays over
    years or ``(draws, years)`` replacing the central assumptions (observed
    rates still apply to the years they cover when ``use_observed``).
    Returns annual arrays: ``cpi`` (base year = 1), ``gdp_national``, ``gdp``
    (KP), ``budget`` (KP expenditure), ``revenue``, ``poverty_line`` and
    ``minimum_wage`` (annual amounts per person = monthly x 12).
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
    budget = inputs.expenditure_share_kp_gdp * gdp_kp
    revenue = budget * inputs.revenue_to_expenditure
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
    return {"cpi": cpi, "gdp_national": gdp_nat, "gdp": gdp_kp, "budget": budget, "revenue": revenue,
            "poverty_line": pl, "minimum_wage": mw, "real_growth": g_path, "inflation": pi_path}


def macro_frame(inputs: MacroInputs, end_year: int, **kwargs) -> pd.DataFrame:
    """Central macro paths as a DataFrame indexed by year (base year .. ``end_year``).

    Columns usable by :func:`spf_analysis.costing.cost_scenario` (``cpi,
    poverty_line, minimum_wage, gdp, gdp_national, budget``) plus ``revenue``,
    ``real_growth`` and ``inflation``.
    """
    years = np.arange(inputs.base_year, end_year + 1)
    arr = project_arrays(inputs, years, **kwargs)
    df = pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in arr.items()}, index=pd.Index(years, name="year"))
    return df


def costing_macro(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns of a :func:`macro_frame` that the costing engine accepts."""
    from .costing import MACRO_SERIES

    return frame[[c for c in frame.columns if c in MACRO_SERIES]]
