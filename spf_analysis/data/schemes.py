"""Mapping of existing schemes (chapter 02): the inventory by SPF guarantee and
type, the latest sourced figures of each scheme, prices (CPI chained from
inflation rates), real benefit levels and spending as a share of the KP budget.

All functions are pure: they take processed tables (``spf_analysis.data.io.load``)
and return new frames. Units follow the processed tables: money in PKR
billion for spending, PKR for benefit levels; ``year`` is the calendar year in
which a period ends (FY 2013-14 -> 2014).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Display order and labels of the SPF guarantees (ILO Recommendation No. 202, para 5)
#: and of the scheme types used in the ABND assessment matrix.
GUARANTEES = {"health": "Health", "children": "Children", "working_age": "Working age",
              "old_age": "Elderly", "cross_cutting": "Cross-cutting (shocks)"}
TYPES = {"social_insurance": "Social insurance", "social_assistance": "Social assistance",
         "labour_market": "Labour market"}
SPENDING_METRICS = ("expenditure", "budget_allocation")
BENEFICIARY_METRICS = ("beneficiaries",)


def short_name(name: str) -> str:
    """Scheme or agency name up to its first parenthesis or semicolon:
    ``"Benazir Income Support Programme (BISP), Ministry ..."`` ->
    ``"Benazir Income Support Programme"``."""
    s = str(name)
    for sep in (" (", ";"):
        s = s.split(sep, 1)[0]
    return s.strip()


# --------------------------------------------------------------------------- inventory
def inventory_matrix(schemes: pd.DataFrame) -> pd.DataFrame:
    """Number of schemes by SPF guarantee (rows, in :data:`GUARANTEES` order)
    and type (columns, :data:`TYPES` order), with row and column totals: the
    "existing schemes" column of the ABND assessment matrix, counted."""
    unknown_g = set(schemes["spf_guarantee_main"]) - set(GUARANTEES)
    unknown_t = set(schemes["sp_type"]) - set(TYPES)
    if unknown_g or unknown_t:
        raise ValueError(f"unclassified schemes: guarantee {sorted(unknown_g)}, "
                         f"type {sorted(unknown_t)}")
    tab = pd.crosstab(pd.Categorical(schemes["spf_guarantee_main"], categories=list(GUARANTEES)),
                      pd.Categorical(schemes["sp_type"], categories=list(TYPES)), dropna=False)
    tab.index = [GUARANTEES[g] for g in tab.index]
    tab.columns = [TYPES[t] for t in tab.columns]
    tab["Total"] = tab.sum(axis=1)
    tab.loc["Total"] = tab.sum(axis=0)
    out = tab.astype("int64").reset_index().rename(columns={"index": "guarantee"})
    return out


def combine_components(rows: pd.DataFrame) -> float:
    """One scheme's value for one year and metric from its component rows: the
    "all ..." component alone when there is one (e.g. "Zakat (all heads)"
    already includes the guzara allowance), else the sum of the components."""
    total = rows[rows["component"].str.contains(r"\(all ", regex=True, na=False)]
    return float((total if len(total) else rows)["value"].sum())


def latest_values(series: pd.DataFrame, metrics, geography: str = "Khyber Pakhtunkhwa") -> pd.DataFrame:
    """The latest chosen value of each scheme for ``metrics`` in ``geography``:
    one row per scheme (``scheme_id, metric, value, unit, year, period``). Where
    several components report in the same latest year, their values are summed
        At equal year, an expenditure outturn wins over a budget allocation
    (the order of ``metrics``); components combine by :func:`combine_components`."""
    s = series[series["chosen"] & series["metric"].isin(list(metrics))
               & (series["geography"] == geography) & series["year"].notna()].copy()
    if s.empty:
        return pd.DataFrame(columns=["scheme_id", "metric", "value", "unit", "year", "period",
                                     "n_values"])
    rank = {m: i for i, m in enumerate(metrics)}
    s["_rank"] = s["metric"].map(rank)
    s = s.sort_values(["scheme_id", "year", "_rank"], ascending=[True, False, True], kind="stable")
    rows = []
    for sid, g in s.groupby("scheme_id", sort=True):
        top = g[(g["year"] == g["year"].iloc[0]) & (g["metric"] == g["metric"].iloc[0])]
        top = top[top["unit"] == top["unit"].iloc[0]]
        rows.append({"scheme_id": sid, "metric": top["metric"].iloc[0],
                     "value": combine_components(top), "unit": top["unit"].iloc[0],
                     "year": int(top["year"].iloc[0]), "period": top["period"].iloc[0],
                     "n_values": len(top)})
    return pd.DataFrame(rows)


def scheme_list(schemes: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """One row per scheme: short name, guarantee, type, level, agency, start,
    eligibility and the latest sourced KP beneficiaries and spending (from
    ``scheme_series``, chosen values) with their fiscal or calendar year."""
    ben = latest_values(series, BENEFICIARY_METRICS)
    spend = latest_values(series, SPENDING_METRICS)
    out = pd.DataFrame({
        "scheme_id": schemes["scheme_id"].astype(str),
        "scheme": schemes["scheme_name"].map(short_name),
        "guarantee": schemes["spf_guarantee_main"].map(GUARANTEES),
        "type": schemes["sp_type"].map(TYPES),
        "level": schemes["level"].astype(str).map(lambda s: s.split(" (")[0]),
        "agency": schemes["administering_agency"].map(short_name),
        "start_year": schemes["start_year"].astype(str),
        "eligibility": schemes["eligibility_rule"].astype("string").fillna(""),
    })
    b = ben.set_index("scheme_id")
    e = spend.set_index("scheme_id")
    out["beneficiaries_kp"] = out["scheme_id"].map(b["value"]) if len(b) else np.nan
    out["beneficiaries_unit"] = out["scheme_id"].map(b["unit"]) if len(b) else None
    out["beneficiaries_period"] = out["scheme_id"].map(b["period"]) if len(b) else None
    out["spending_kp_pkr_bn"] = out["scheme_id"].map(e["value"]) if len(e) else np.nan
    out["spending_kind"] = out["scheme_id"].map(e["metric"]).map(
        {"expenditure": "spent", "budget_allocation": "budget"}) if len(e) else None
    out["spending_period"] = out["scheme_id"].map(e["period"]) if len(e) else None
    g_order = {g: i for i, g in enumerate(GUARANTEES.values())}
    t_order = {t: i for i, t in enumerate(TYPES.values())}
    out = out.assign(_g=out["guarantee"].map(g_order), _t=out["type"].map(t_order))
    return out.sort_values(["_g", "_t", "scheme_id"], kind="stable").drop(
        columns=["_g", "_t"]).reset_index(drop=True)


def series_over_time(series: pd.DataFrame, metrics, min_points: int = 3) -> pd.DataFrame:
    """Chosen values of every (scheme, component, geography, metric, unit)
    with at least ``min_points`` dated values: the schemes whose beneficiaries
    or spending can be followed over time. Long table with a ``label``."""
    s = series[series["chosen"] & series["metric"].isin(list(metrics)) & series["year"].notna()]
    keys = ["scheme_id", "component", "geography", "metric", "unit"]
    n = s.groupby(keys)["year"].transform("nunique")
    s = s[n >= min_points].copy()
    geo = s["geography"].map({"Khyber Pakhtunkhwa": "KP"}).fillna(s["geography"])
    what = s["metric"].str.replace("_", " ")
    s["label"] = s["component"] + " (" + geo + "): " + what + ", " + s["unit"]
    return s.sort_values(keys + ["year"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- prices
def cpi_index(inflation: pd.Series, base_year: int) -> pd.Series:
    """Price index chained from annual inflation rates, = 1 in ``base_year``.

    ``inflation`` is indexed by year (the year in which the fiscal year ends)
    and holds percent changes of the average price level over the previous
    year: I[t] = I[t-1] x (1 + pi[t]/100). The index covers the year before
    the first rate to the last rate's year; years must be consecutive (a gap
    would silently break the chain, so it is an error). Example: rates 10 and
    5 for 2021 and 2022, base 2020 -> 1.0, 1.1, 1.155.
    """
    r = inflation.dropna().sort_index()
    if r.empty:
        raise ValueError("cpi_index: no inflation rates")
    if r.index.duplicated().any():
        raise ValueError(f"cpi_index: duplicate years {sorted(set(r.index[r.index.duplicated()]))}")
    years = [int(y) for y in r.index]
    gaps = [y for y in range(years[0], years[-1] + 1) if y not in set(years)]
    if gaps:
        raise ValueError(f"cpi_index: no inflation rate for {gaps}; the chain needs consecutive years")
    if (r <= -100).any():
        raise ValueError("cpi_index: an inflation rate of -100% or below is impossible")
    first = years[0] - 1
    if not first <= base_year <= years[-1]:
        raise ValueError(f"cpi_index: base year {base_year} outside the chain {first}-{years[-1]}")
    level = np.concatenate([[1.0], np.cumprod(1 + r.to_numpy(dtype=float) / 100)])
    idx = pd.Series(level, index=pd.Index(range(first, years[-1] + 1), name="year"), name="cpi_index")
    return idx / idx.loc[base_year]


def deflate(nominal, years, index: pd.Series, outside: str = "raise") -> np.ndarray:
    """Real values in prices of the index's base year: nominal / I[year].

    Years outside the index raise ``ValueError`` naming them; with
    ``outside="nan"`` they give NaN instead (for tables that show the gap).
    """
    nominal = np.asarray(nominal, dtype=float)
    yrs = pd.Series(np.asarray(years)).astype("Int64")
    factor = yrs.map(index)
    missing = sorted({int(y) for y, f in zip(yrs, factor) if pd.notna(y) and pd.isna(f)}
                     | ({"<NA>"} if yrs.isna().any() else set()), key=str)
    if missing and outside == "raise":
        raise ValueError(f"deflate: no price index for year(s) {missing} "
                         f"(index covers {int(index.index.min())}-{int(index.index.max())})")
    if outside not in ("raise", "nan"):
        raise ValueError("deflate: outside must be 'raise' or 'nan'")
    return nominal / factor.astype("float64").to_numpy()


def cpi_from_macro(macro: pd.DataFrame, base_year: int, indicator: str = "cpi_inflation",
                   geography: str = "Pakistan") -> pd.Series:
    """National CPI index (= 1 in ``base_year``) from the chosen annual
    fiscal-year inflation rates of ``macro_indicators``."""
    m = macro[(macro["indicator"] == indicator) & (macro["geography"] == geography)
              & macro["chosen"] & macro["year"].notna()]
    rates = pd.Series(m["value"].to_numpy(), index=m["year"].astype(int).to_numpy())
    return cpi_index(rates, base_year)


def benefit_levels_real(levels: pd.DataFrame, index: pd.Series) -> pd.DataFrame:
    """Cash benefit levels (``scheme_benefit_levels``, chosen rows; rows whose
    note says "not cash", e.g. the Sehat card's insurance cover, are left out)
    as a monthly equivalent (annual amount / 12), nominal and in prices of the
    index's base year (NaN where the year has no CPI)."""
    cash = ~levels["note"].astype("string").str.contains("not cash", na=False)
    b = levels[levels["chosen"] & cash].copy()
    b["monthly_nominal"] = b["annual_amount"] / 12
    b["monthly_real"] = deflate(b["monthly_nominal"], b["year"], index, outside="nan")
    return b.reset_index(drop=True)


# --------------------------------------------------------------------------- budget
def kp_budget(macro: pd.DataFrame, indicator: str = "kp_budget_total_outlay",
              fallback: str = "kp_expenditure_outturn") -> pd.DataFrame:
    """KP budget by year: the budget outlay, or the expenditure outturn in a
    year without an enacted budget (FY 2023-24). Columns ``year, period,
    budget_pkr_bn, basis``."""
    m = macro[macro["chosen"] & (macro["geography"] == "Khyber Pakhtunkhwa") & macro["year"].notna()]
    main = m[m["indicator"] == indicator]
    fb = m[(m["indicator"] == fallback) & ~m["year"].isin(main["year"])]
    out = pd.concat([main.assign(basis="budget outlay"), fb.assign(basis="expenditure outturn")])
    out = out[["year", "period", "value", "basis"]].rename(columns={"value": "budget_pkr_bn"})
    out["year"] = out["year"].astype(int)
    return out.sort_values("year").reset_index(drop=True)


def budget_shares(amounts: pd.DataFrame, budget: pd.DataFrame) -> pd.DataFrame:
    """``amounts`` (``year``, ``value`` in PKR bn, any other columns kept) as a
    percent of the KP budget of the same year (``kp_budget`` frame). Rows whose
    year has no budget get NaN and ``budget_pkr_bn`` NaN, never a guess."""
    b = budget.set_index("year")
    out = amounts.copy()
    out["budget_pkr_bn"] = out["year"].astype(int).map(b["budget_pkr_bn"])
    out["share_pct"] = 100 * out["value"] / out["budget_pkr_bn"]
    return out


def provincial_spending(series: pd.DataFrame, schemes: pd.DataFrame,
                        levels: tuple = ("provincial",), exclude: tuple = ("S19",)) -> pd.DataFrame:
    """Chosen KP spending or budget lines (PKR bn) of the schemes whose
    ``level`` is one of ``levels`` (default: financed from the KP budget;
    Zakat, a federally collected levy disbursed by the province, and the
    Workers Welfare Board, a federal fund, have other levels), one row per
    scheme and year: an outturn wins over a budget allocation in the same
    year; components combine by :func:`combine_components`. ``exclude`` lists
    schemes kept out of the social-protection total (default: civil-servant
    pensions, S19, an employer liability reported separately)."""
    prov = set(schemes.loc[schemes["level"].isin(list(levels)), "scheme_id"])
    s = series[series["chosen"] & series["metric"].isin(list(SPENDING_METRICS))
               & (series["geography"] == "Khyber Pakhtunkhwa") & series["scheme_id"].isin(prov)
               & series["year"].notna()].copy()
    s["year"] = s["year"].astype(int)
    s["_rank"] = s["metric"].map({"expenditure": 0, "budget_allocation": 1})
    s = s[s["_rank"] == s.groupby(["scheme_id", "year"])["_rank"].transform("min")]
    rows = []
    for (sid, year, metric), g in s.groupby(["scheme_id", "year", "metric"], sort=True):
        rows.append({"scheme_id": sid, "year": year, "metric": metric,
                     "value": combine_components(g), "period": g["period"].iloc[0],
                     "components": "; ".join(dict.fromkeys(g["component"]))})
    out = pd.DataFrame(rows, columns=["scheme_id", "year", "metric", "value", "period", "components"])
    out["in_total"] = ~out["scheme_id"].isin(exclude)
    return out.sort_values(["year", "scheme_id"]).reset_index(drop=True)


def spending_share_by_year(spending: pd.DataFrame, budget: pd.DataFrame) -> pd.DataFrame:
    """Per year of the KP budget: the sum of the listed schemes' spending
    (``in_total`` rows), the number of schemes behind it, and its percent of
    the budget; plus the excluded schemes' share (civil pensions). Years with
    no scheme figure keep a row with 0 schemes and NaN shares."""
    inc = spending[spending["in_total"]].groupby("year").agg(
        schemes_with_data=("scheme_id", "nunique"), sp_schemes_pkr_bn=("value", "sum"))
    exc = spending[~spending["in_total"]].groupby("year")["value"].sum().rename("excluded_pkr_bn")
    out = budget.set_index("year").join(inc, how="outer").join(exc, how="left")
    out["schemes_with_data"] = out["schemes_with_data"].fillna(0).astype(int)
    out["sp_schemes_share_pct"] = 100 * out["sp_schemes_pkr_bn"] / out["budget_pkr_bn"]
    out["excluded_share_pct"] = 100 * out["excluded_pkr_bn"] / out["budget_pkr_bn"]
    return out.reset_index()
