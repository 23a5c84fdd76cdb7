"""Fiscal space: KP revenue and expenditure paths, the balance after each package, financing options.

Revenue and expenditure are the published KP budget figures up to the latest budget, then
grow with nominal GDP (:mod:`spf_analysis.model.macro`); the balance after a package is
``revenue - expenditure - cost`` (methods README section 2).

Financing options: the eight options of Ortiz, Cummins & Karunanethy (2017),
*Fiscal Space for Social Protection and the SDGs: Options to Expand Social
Investments in 187 Countries*, ILO ESS Working Paper 48 (:data:`ILO_OPTIONS`).
For each, :func:`financing_requirements` states what it would need to raise to
pay for a package: the cost as a share of the relevant KP base (budget
estimates 2024-25 from ``data/processed/macro_indicators``, scaled with KP GDP), and
in percent of KP GDP.  Options without a provincial base are marked so: a
province cannot run its own monetary policy or hold foreign-exchange reserves.

Yields: :func:`option_yields` gives each option a low and a high yield for KP in a target year,
from the sourced figures of ``data/raw/fiscal/fiscal_space_yields.csv`` (processed table
``fiscal_space_indicators``), the wheat subsidy of the scheme series, the surplus of the budget
frame and chapter 5's contributory capacity; a figure published for fiscal year *y* is carried to
the target year at a constant share of KP GDP (``value x GDP[target] / GDP[y]``).  The rule of
each bound is in :data:`YIELD_RULES`.  :func:`yield_shares` sets the yields against each
package's cost and :func:`financing_combination` / :func:`package_financing` find the options
that together could finance a package (largest yield first).  Contribution revenue:
:func:`contribution_path` carries chapter 5's contributions over the years and
:func:`fiscal_paths` shows it and the balance net of the provincial (ESSI) part.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: (key, option as named in ESS 48, KP base (key of MacroInputs.budget_estimates) or None, note)
ILO_OPTIONS = (
    ("reallocation", "Re-allocating public expenditure", "kp_expenditure",
     "share of KP expenditure to re-allocate (e.g. from the wheat/flour subsidy, Rs 29 bn in 2024-25)"),
    ("tax", "Increasing tax revenues", "kp_own_receipts",
     "KP own-source receipts (property, services sales tax, agricultural income tax): the cost as % of them is the increase needed"),
    ("contributions", "Expanding social security coverage and contributory revenues", None,
     "ESSI (provincial) contributions of uncovered workers with contributory capacity (chapter 5); their EOBI contributions are federal"),
    ("transfers", "Lobbying for aid and transfers", "kp_federal_transfers",
     "federal (NFC) transfers to KP: the cost as % of them is the increase of transfers (or donor grants) needed"),
    ("iff", "Eliminating illicit financial flows", None,
     "a federal competence (customs, income tax on non-agricultural income, State Bank); no KP lever"),
    ("reserves", "Using fiscal and foreign exchange reserves", "kp_budget_surplus",
     "the KP budget surplus before any package (receipts - expenditure of the fiscal frame in the target year); FX reserves are federal"),
    ("debt", "Borrowing or restructuring debt", None,
     "provincial borrowing within limits set by the National Economic Council (Constitution Art. 167(4)); "
     "not a source for recurrent transfers"),
    ("macro", "Adopting a more accommodative macroeconomic framework", None,
     "a federal / State Bank competence; not available to the province"),
)


def fiscal_paths(macro_frame: pd.DataFrame, package_costs: dict[str, pd.Series],
                 contributions: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Revenue, expenditure and balance per year, before and after each package.

    ``macro_frame``: from :func:`spf_analysis.model.macro.macro_frame` (``revenue``,
    ``expenditure``, ``gdp``).  ``package_costs``: ``{package: Series of cost by year}``.
    ``contributions``: ``{package: DataFrame by year with contrib_essi, contrib_eobi}``
    (:func:`contribution_path`) for the packages that enrol workers in ESSI/EOBI; others get 0.
    Tidy output: ``year, package, revenue, expenditure, cost, balance,
    balance_pct_gdp, contrib_essi, contrib_eobi, balance_net, balance_net_pct_gdp`` with a
    ``none`` package for the pre-reform balance.  ``balance_net = balance + contrib_essi``: ESSI
    is a provincial institution, so its contribution receipts enter a consolidated provincial
    balance (the part of them paid by a contribution subsidy is a transfer from the KP budget
    to ESSI and nets out); EOBI is federal, shown but not added.
    """
    rows = []
    years = macro_frame.index
    contributions = contributions or {}
    for name, cost in {"none": pd.Series(0.0, index=years), **package_costs}.items():
        c = pd.Series(cost).reindex(years)
        df = pd.DataFrame({
            "year": years,
            "package": name,
            "revenue": macro_frame["revenue"].to_numpy(),
            "expenditure": macro_frame["expenditure"].to_numpy(),
            "cost": c.to_numpy(),
        })
        df["balance"] = df["revenue"] - df["expenditure"] - df["cost"]
        df["balance_pct_gdp"] = df["balance"] / macro_frame["gdp"].to_numpy() * 100
        contrib = contributions.get(name)
        for col in ("contrib_essi", "contrib_eobi"):
            df[col] = (0.0 if contrib is None
                       else contrib[col].reindex(years).fillna(0.0).to_numpy(dtype=float))
        df["balance_net"] = df["balance"] + df["contrib_essi"]
        df["balance_net_pct_gdp"] = df["balance_net"] / macro_frame["gdp"].to_numpy() * 100
        rows.append(df.dropna(subset=["cost"]))
    return pd.concat(rows, ignore_index=True)


def contribution_path(essi_ref: float, eobi_ref: float, ref_year: int, minimum_wage: pd.Series,
                      workers: pd.Series, takeup: pd.Series) -> pd.DataFrame:
    """Contribution revenue by year from chapter 5's contributory capacity.

    ``essi_ref``, ``eobi_ref``: the contributions (PKR) uncovered workers with contributory
    capacity would pay in ``ref_year`` if all enrolled (chapter 5: persons x rate x minimum wage
    x 12).  Assumption: per worker they grow with the minimum wage, the number of such workers
    with the working-age population (``workers``, e.g. persons 15-64 of the projection), and
    the share enrolled is the take-up of the package's contribution subsidy (``takeup``, share
    by year)::

        contrib[t] = contrib_ref x MW[t] / MW[ref] x workers[t] / workers[ref] x takeup[t]

    Returns a frame indexed by year with ``contrib_essi`` and ``contrib_eobi`` (PKR) over the
    years of ``takeup``.
    """
    years = pd.Index(takeup.index, name="year")
    f = ((minimum_wage.reindex(years) / float(minimum_wage.loc[ref_year]))
         * (workers.reindex(years) / float(workers.loc[ref_year])) * takeup.astype(float))
    return pd.DataFrame({"contrib_essi": float(essi_ref) * f, "contrib_eobi": float(eobi_ref) * f}, index=years)


def subsidy_takeup(result: pd.DataFrame, benefit: str = "contribution_subsidy") -> pd.Series | None:
    """Take-up of a benefit by year in a model result (beneficiaries / eligible; 0 where none
    are eligible), or None when the package does not include it."""
    r = result[result["benefit"] == benefit]
    if r.empty:
        return None
    el = r["eligible"].to_numpy(dtype=float)
    share = np.divide(r["beneficiaries"].to_numpy(dtype=float), el, out=np.zeros_like(el), where=el > 0)
    return pd.Series(share, index=pd.Index(r["year"].astype(int), name="year"))


def option_bases(budget: dict, gdp_ratio: float) -> dict[str, float]:
    """KP bases (PKR) of the financing options in a target year.

    ``budget``: budget estimates of the budget year, as
    :attr:`spf_analysis.model.macro.MacroInputs.budget_estimates` (``kp_expenditure,
    kp_receipts, kp_own_receipts, kp_federal_transfers``, from
    ``macro_indicators``), scaled by ``gdp_ratio`` = KP GDP(target) / KP
    GDP(budget year): each base is held at its budget-year share of GDP.
    """
    missing = {"kp_expenditure", "kp_receipts", "kp_own_receipts", "kp_federal_transfers"} - set(budget)
    if missing:
        raise ValueError(f"budget estimates lack {sorted(missing)}")
    out = {k: float(budget[k]) * gdp_ratio for k in ("kp_expenditure", "kp_own_receipts", "kp_federal_transfers")}
    out["kp_budget_surplus"] = (float(budget["kp_receipts"]) - float(budget["kp_expenditure"])) * gdp_ratio
    return out


def financing_requirements(cost: float, gdp: float, bases: dict[str, float]) -> pd.DataFrame:
    """What each ILO option would need to raise to finance ``cost`` (one year).

    ``required_pct_of_base = cost / base x 100`` (e.g. the increase of own
    receipts needed); ``required_pct_gdp = cost / KP GDP x 100`` for every option.
    """
    rows = []
    for key, label, base_key, note in ILO_OPTIONS:
        base = bases.get(base_key) if base_key else None
        rows.append({
            "option": label,
            "kp_base": base_key or "",
            "base_pkr_bn": np.nan if base is None else base / 1e9,
            "required_pkr_bn": cost / 1e9,
            "required_pct_of_base": np.nan if not base else cost / base * 100,
            "required_pct_gdp": cost / gdp * 100,
            "note": note,
        })
    return pd.DataFrame(rows)


#: How each option's low and high yield for KP is built (:func:`option_yields`), in words; the
#: formulas over the indicators are in :data:`YIELD_FORMULAS`.
YIELD_RULES = {
    "reallocation": ("the wheat/flour subsidy (scheme series, S28) re-allocated",
                     "all subsidies of the KP budget 2025-26 less the health card and the grants to "
                     "Medical Teaching Institutions"),
    "tax": ("one further year of the budget's target growth of tax revenue on the 2025-26 tax "
            "receipts, above the nominal GDP growth the frame already gives them",
            "KP's tax receipts raised in proportion to the federal benchmark for the provinces"),
    "contributions": ("ESSI contributions (provincial) of workers with contributory capacity, at the "
                      "contribution subsidy's take-up (chapter 5)",
                      "ESSI contributions (provincial) of all workers with contributory capacity (chapter 5); "
                      "their EOBI contributions are federal receipts and finance EOBI pensions, not the KP budget"),
    "transfers": ("no new NFC award (the 7th award has been rolled over since 2010) and no new aid",
                  "KP's claimed NFC shortfall after the FATA merger plus all foreign grants of the 2024-25 budget"),
    "iff": ("none: a federal competence", "none: a federal competence"),
    "reserves": ("none: the provincial surplus is committed to the IMF programme",
                 "the KP budget surplus of the fiscal frame (receipts - expenditure) in the target year"),
    "debt": ("none: borrowing is limited by the NEC and finances projects, not recurrent transfers",
             "none: borrowing is limited by the NEC and finances projects, not recurrent transfers"),
    "macro": ("none: monetary and exchange-rate policy are federal / State Bank competences",
              "none: monetary and exchange-rate policy are federal / State Bank competences"),
}

#: The formula of each yield over the indicators of ``fiscal_space_indicators``
#: (data/raw/fiscal/fiscal_space_yields.csv, column ``indicator``), "" when the yield uses none of them:
#: what a reader types to find the figures (shown as code).
YIELD_FORMULAS = {
    "reallocation": ("", "kp_subsidies_total - kp_subsidy_health_card - kp_subsidy_mti_hospitals"),
    "tax": ("kp_own_tax_receipts x (kp_tax_revenue_growth_target - KP GDP growth of the next year)",
            "kp_own_tax_receipts x (provincial_tax_revenue_gdp_expected / provincial_tax_revenue_gdp - 1)"),
    "contributions": ("", ""),
    "transfers": ("", "kp_nfc_claim_shortfall_max + kp_foreign_grants"),
    "iff": ("", ""),
    "reserves": ("", ""),
    "debt": ("", ""),
    "macro": ("", ""),
}


def _fact(ind: pd.DataFrame, indicator: str) -> tuple[float, int]:
    """(value, year) of the chosen row of ``indicator`` (values in PKR billion, percent)."""
    r = ind[(ind["indicator"] == indicator) & ind["chosen"].astype(bool)]
    if len(r) != 1:
        raise ValueError(f"fiscal_space_indicators: expected one chosen row of {indicator!r}, found {len(r)}")
    return float(r["value"].iloc[0]), int(r["year"].iloc[0])


def option_yields(ind: pd.DataFrame, gdp: pd.Series, target_year: int, *, wheat_subsidy: tuple[float, int],
                  surplus: float, contrib_essi: float, contrib_eobi: float, contrib_takeup: float) -> pd.DataFrame:
    """Low and high yield (PKR) of each of the eight options for KP in ``target_year``.

    ``ind``: the processed table ``fiscal_space_indicators`` (``indicator, year, value, chosen``;
    PKR amounts in billion).  ``gdp``: KP GDP (PKR) by year; a PKR figure of year *y* is
    carried to ``target_year`` at its share of KP GDP, ``value x gdp[target] / gdp[y]``.
    ``wheat_subsidy``: (PKR billion, year).  ``surplus``: the KP budget balance before any
    package in ``target_year`` (PKR).  ``contrib_essi``/``contrib_eobi``: chapter 5's
    contributions of all uncovered workers with contributory capacity in ``target_year`` (PKR);
    ``contrib_takeup``: the share of them assumed enrolled in the low case.  Rules:
    :data:`YIELD_RULES` (the frame already grows own receipts with nominal GDP, so the tax
    option counts only growth above it).  Returns ``key, option, yield_low, yield_high, yield_low_pct_gdp,
    yield_high_pct_gdp, basis_low, basis_high, formula_low, formula_high`` in the order of :data:`ILO_OPTIONS`.
    """
    g_t = float(gdp.loc[target_year])

    def carry(value_bn: float, year: int) -> float:
        return value_bn * 1e9 * g_t / float(gdp.loc[year])

    subs, y_s = _fact(ind, "kp_subsidies_total")
    card, y_c = _fact(ind, "kp_subsidy_health_card")
    mti, y_m = _fact(ind, "kp_subsidy_mti_hospitals")
    tax, y_t = _fact(ind, "kp_own_tax_receipts")
    growth, _ = _fact(ind, "kp_tax_revenue_growth_target")
    ptax, _ = _fact(ind, "provincial_tax_revenue_gdp")
    ptax_exp, _ = _fact(ind, "provincial_tax_revenue_gdp_expected")
    nfc, y_n = _fact(ind, "kp_nfc_claim_shortfall_max")
    grants, y_g = _fact(ind, "kp_foreign_grants")
    values = {
        "reallocation": (carry(*wheat_subsidy), carry(subs, y_s) - carry(card, y_c) - carry(mti, y_m)),
        "tax": (carry(tax * max(growth / 100 - (float(gdp.loc[y_t + 1]) / float(gdp.loc[y_t]) - 1), 0.0), y_t),
                carry(tax * (ptax_exp / ptax - 1), y_t)),
        # ESSI is provincial, EOBI federal: only ESSI receipts are fiscal space for KP (contrib_eobi is not counted)
        "contributions": (contrib_essi * contrib_takeup, contrib_essi),
        "transfers": (0.0, carry(nfc, y_n) + carry(grants, y_g)),
        "iff": (0.0, 0.0),
        "reserves": (0.0, max(float(surplus), 0.0)),
        "debt": (0.0, 0.0),
        "macro": (0.0, 0.0),
    }
    rows = []
    for key, label, _, _ in ILO_OPTIONS:
        lo, hi = values[key]
        rows.append({"key": key, "option": label, "yield_low": lo, "yield_high": hi,
                     "yield_low_pct_gdp": lo / g_t * 100, "yield_high_pct_gdp": hi / g_t * 100,
                     "basis_low": YIELD_RULES[key][0], "basis_high": YIELD_RULES[key][1],
                     "formula_low": YIELD_FORMULAS[key][0], "formula_high": YIELD_FORMULAS[key][1]})
    return pd.DataFrame(rows)


def yield_shares(yields: pd.DataFrame, costs: dict[str, float]) -> pd.DataFrame:
    """Share (%) of each package's cost that each option could finance, low and high:
    ``yield / cost x 100``.  Columns ``key, option, package, cost, share_low, share_high``."""
    rows = []
    for pkg, cost in costs.items():
        for r in yields.itertuples():
            rows.append({"key": r.key, "option": r.option, "package": pkg, "cost": float(cost),
                         "share_low": r.yield_low / cost * 100, "share_high": r.yield_high / cost * 100})
    return pd.DataFrame(rows)


def financing_combination(yields: pd.DataFrame, cost: float, bound: str = "high") -> pd.DataFrame:
    """Options that together could finance ``cost``, largest yield first.

    The options with a positive ``yield_<bound>`` are sorted by it (descending; ties in the
    order of :data:`ILO_OPTIONS`) and cumulated; ``needed`` marks the options up to the first
    at which the cumulative yield reaches the cost (all of them when it never does).  Columns
    ``key, option, yield, cumulative, cumulative_share`` (% of cost), ``needed``.
    """
    col = f"yield_{bound}"
    y = yields[yields[col] > 0].reset_index(drop=True)
    y = y.iloc[np.argsort(-y[col].to_numpy(), kind="stable")].reset_index(drop=True)
    out = pd.DataFrame({"key": y["key"], "option": y["option"], "yield": y[col].astype(float)})
    out["cumulative"] = out["yield"].cumsum()
    out["cumulative_share"] = out["cumulative"] / cost * 100
    reached = np.flatnonzero(out["cumulative"].to_numpy() >= cost)
    n = reached[0] + 1 if len(reached) else len(out)
    out["needed"] = np.arange(len(out)) < n
    return out


def package_financing(yields: pd.DataFrame, costs: dict[str, float]) -> pd.DataFrame:
    """For each package and bound (low, high): its cost, the total yield of all options, the
    share of the cost they cover, whether they suffice, and the options needed, largest first
    (:func:`financing_combination`).  Columns ``package, bound, cost, total_yield,
    covered_pct, financed, n_options, options``."""
    rows = []
    for pkg, cost in costs.items():
        for bound in ("low", "high"):
            comb = financing_combination(yields, cost, bound)
            need = comb[comb["needed"]]
            total = float(comb["yield"].sum())
            rows.append({"package": pkg, "bound": bound, "cost": float(cost), "total_yield": total,
                         "covered_pct": total / cost * 100, "financed": bool(total >= cost),
                         "n_options": int(len(need)), "options": "; ".join(need["option"])})
    return pd.DataFrame(rows)
