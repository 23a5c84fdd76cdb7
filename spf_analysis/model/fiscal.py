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
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: (key, option as named in ESS 48, KP base (key of MacroInputs.budget_estimates) or None, note)
ILO_OPTIONS = (
    ("reallocation", "Re-allocating public expenditure", "kp_expenditure",
     "share of KP expenditure to re-allocate (e.g. from the wheat/flour subsidy, Rs 29 bn in 2024-25)"),
    ("tax", "Increasing tax revenues", "kp_own_receipts",
     "increase of KP own-source receipts (property, services sales tax, agricultural income tax)"),
    ("contributions", "Expanding social security coverage and contributory revenues", None,
     "ESSI/EOBI contributions; no KP contribution revenue figure in the stored sources"),
    ("transfers", "Lobbying for aid and transfers", "kp_federal_transfers",
     "increase of federal (NFC) transfers or donor grants"),
    ("iff", "Eliminating illicit financial flows", None,
     "a federal competence; no KP estimate in the stored sources"),
    ("reserves", "Using fiscal and foreign exchange reserves", "kp_budget_surplus",
     "share of the KP budget surplus (receipts - expenditure, 2024-25); FX reserves are federal"),
    ("debt", "Borrowing or restructuring debt", None,
     "provincial borrowing is limited and federally approved; shown in % of KP GDP only"),
    ("macro", "Adopting a more accommodative macroeconomic framework", None,
     "a federal / State Bank competence; not available to the province"),
)


def fiscal_paths(macro_frame: pd.DataFrame, package_costs: dict[str, pd.Series]) -> pd.DataFrame:
    """Revenue, expenditure and balance per year, before and after each package.

    ``macro_frame``: from :func:`spf_analysis.model.macro.macro_frame` (``revenue``,
    ``expenditure``, ``gdp``).  ``package_costs``: ``{package: Series of cost by year}``.
    Tidy output: ``year, package, revenue, expenditure, cost, balance,
    balance_pct_gdp`` with a ``none`` package for the pre-reform balance.
    """
    rows = []
    years = macro_frame.index
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
        rows.append(df.dropna(subset=["cost"]))
    return pd.concat(rows, ignore_index=True)


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
