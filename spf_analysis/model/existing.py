"""Costs net of the existing schemes, and their federal / provincial financing.

The RAP costing (:mod:`spf_analysis.model.costing`) gives the gross cost of each provision. The
declared mapping ``params/existing_schemes.yaml`` states, per provision, how it relates to the
schemes KP already has (``replaces``, ``tops_up`` or ``none``), the KP spending of each such scheme
(read from one chosen row of ``scheme_series`` or ``health_indicators``, so the figure has one home
and its source) and who pays (``financing.federal_share``). For provision ``s`` and year ``t``::

    existing[i, t] = amount_i x P[t] / P[y_i]      (carried: cpi; P = price index, y_i = year of the figure)
                   = amount_i                      (carried: nominal)
    offset[s, t]   = min(gross[s, t], sum_i absorbed_share_i x existing[i, t])    (0 unless relation = replaces)
    net[s, t]      = gross[s, t] - offset[s, t]     (never negative)
    federal[s, t]  = federal_share_s x net[s, t];  provincial[s, t] = net[s, t] - federal[s, t]

The package row (``benefit == 'package'``) of a scenario sums its provisions. A top-up deducts
nothing: the existing scheme continues and is paid by whoever pays it today. The price index ``P``
(:func:`price_index`) is the observed fiscal-year CPI inflation before the macro frame's base year
and the frame's CPI from it on, so a figure of 2019-20 or 2021 is carried like every other price of
the costing.

Validation (:func:`load_mapping`): an unknown key, relation, scheme id, table or carrying rule, a
share outside [0, 1], a deduction declared for a top-up, a deduction without a figure, one figure
absorbed more than once, or a figure that matches no (or several) rows raise
:class:`ExistingSchemesError` naming the file and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from spf_analysis.config.errors import FileKeyError, read_yaml

RELATIONS = ("replaces", "tops_up", "none")
CARRIED = ("cpi", "nominal")
#: tables a figure may be read from, with the keys that select its one row (besides ``table``)
TABLES = {"scheme_series": ("fact_id", "metric", "period"),
          "health_indicators": ("indicator", "geography", "period")}
AMOUNTS = ("gross", "offset", "net", "provincial", "federal")
_PROVISION_KEYS = {"label", "relation", "existing", "rationale", "financing"}
_ITEM_KEYS = {"scheme", "label", "amount", "not_found", "carried", "absorbed_share", "rationale"}


class ExistingSchemesError(FileKeyError):
    """Invalid existing-schemes mapping; the message names the file and the key."""


def default_file() -> Path:
    from spf_analysis.config.paths import PARAMS

    return PARAMS / "existing_schemes.yaml"


@dataclass(frozen=True)
class ExistingItem:
    """One existing scheme of a provision and, where known, where its KP spending is read."""

    scheme: str
    label: str
    amount: Mapping[str, str] | None
    carried: str
    absorbed_share: float
    rationale: str
    not_found: str = ""


@dataclass(frozen=True)
class Provision:
    name: str
    label: str
    relation: str
    items: tuple[ExistingItem, ...]
    rationale: str
    federal_share: float
    financing_rationale: str


@dataclass(frozen=True)
class SchemeMapping:
    """The declared mapping of ``params/existing_schemes.yaml``."""

    provisions: Mapping[str, Provision]
    file: str = ""
    spec: Mapping[str, Any] = field(default_factory=dict)

    def provision(self, name: str) -> Provision:
        if name not in self.provisions:
            raise ExistingSchemesError(f"no entry for provision {name!r} (add it under provisions)", file=self.file,
                                       key=f"provisions.{name}")
        return self.provisions[name]


def _text(node: dict, k: str, file, key: str) -> str:
    v = node.get(k)
    if not isinstance(v, str) or not v.strip():
        raise ExistingSchemesError(f"missing {k} (a non-empty text)", file=file, key=f"{key}.{k}")
    return v.strip()


def _share(v, file, key: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ExistingSchemesError(f"expected a number in [0, 1], got {v!r}", file=file, key=key)
    if not 0 <= v <= 1:
        raise ExistingSchemesError(f"share {v} outside [0, 1]", file=file, key=key)
    return float(v)


def _fields(node, allowed: set, expected: str, file, key: str) -> None:
    """``node`` is a mapping whose fields are all in ``allowed`` (``expected`` names them in the error)."""
    if not isinstance(node, dict):
        raise ExistingSchemesError(f"expected a mapping ({expected})", file=file, key=key)
    unknown = sorted(set(node) - allowed)
    if unknown:
        raise ExistingSchemesError(f"unknown field(s) {unknown}; allowed: {sorted(allowed)}", file=file, key=key)


def _item(node, file, key: str, relation: str, scheme_ids) -> ExistingItem:
    _fields(node, _ITEM_KEYS, "scheme, label, amount, carried, absorbed_share, rationale", file, key)
    scheme = node.get("scheme")
    if scheme_ids is not None and scheme not in scheme_ids:
        raise ExistingSchemesError(f"{scheme!r} is not a scheme id of data/raw/schemes/schemes.csv", file=file,
                                   key=f"{key}.scheme")
    if "amount" not in node:
        raise ExistingSchemesError("missing amount (a table row, or null with not_found)", file=file, key=f"{key}.amount")
    amount = node["amount"]
    not_found = ""
    if amount is None:
        not_found = _text(node, "not_found", file, key)
    else:
        if not isinstance(amount, dict) or amount.get("table") not in TABLES:
            raise ExistingSchemesError(f"amount.table must be one of {list(TABLES)}", file=file, key=f"{key}.amount.table")
        need = TABLES[amount["table"]]
        extra = sorted(set(amount) - set(need) - {"table"})
        missing = [k for k in need if not isinstance(amount.get(k), str) or not amount.get(k)]
        if extra or missing:
            raise ExistingSchemesError(f"a {amount['table']} figure is selected by {list(need)} (texts); "
                                       f"missing {missing}, unknown {extra}", file=file, key=f"{key}.amount")
        amount = {k: str(v) for k, v in amount.items()}
    carried = node.get("carried")
    if carried not in CARRIED:
        raise ExistingSchemesError(f"carried must be one of {CARRIED}, got {carried!r}", file=file, key=f"{key}.carried")
    share = _share(node.get("absorbed_share"), file, f"{key}.absorbed_share")
    if share > 0 and relation != "replaces":
        raise ExistingSchemesError(f"a provision that {relation.replace('_', ' ')} an existing scheme deducts nothing: "
                                   "absorbed_share must be 0", file=file, key=f"{key}.absorbed_share")
    if share > 0 and amount is None:
        raise ExistingSchemesError("no figure to deduct (amount is null): absorbed_share must be 0", file=file,
                                   key=f"{key}.absorbed_share")
    return ExistingItem(scheme=str(scheme), label=_text(node, "label", file, key), amount=amount, carried=carried,
                        absorbed_share=share, rationale=_text(node, "rationale", file, key), not_found=not_found)


def parse_mapping(spec, file=None, scheme_ids=None, provisions=None) -> SchemeMapping:
    """Validate a parsed mapping (see the module docstring); ``scheme_ids``: the known scheme ids
    (None: not checked); ``provisions``: benefit names that must each have an entry."""
    file = None if file is None else str(file)
    if not isinstance(spec, dict) or not isinstance(spec.get("provisions"), dict) or not spec["provisions"]:
        raise ExistingSchemesError("expected a mapping 'provisions' of provision: entry", file=file, key="provisions")
    unknown_top = sorted(set(spec) - {"provisions"})
    if unknown_top:
        raise ExistingSchemesError(f"unknown top-level key(s) {unknown_top}", file=file, key=unknown_top[0])
    out = {}
    absorbed: dict[tuple, float] = {}
    for name, node in spec["provisions"].items():
        key = f"provisions.{name}"
        _fields(node, _PROVISION_KEYS, "label, relation, existing, rationale, financing", file, key)
        relation = node.get("relation")
        if relation not in RELATIONS:
            raise ExistingSchemesError(f"relation must be one of {RELATIONS}, got {relation!r}", file=file,
                                       key=f"{key}.relation")
        items_spec = node.get("existing")
        if not isinstance(items_spec, list):
            raise ExistingSchemesError("existing must be a list (empty when relation is none)", file=file,
                                       key=f"{key}.existing")
        items = tuple(_item(it, file, f"{key}.existing[{i}]", relation, scheme_ids) for i, it in enumerate(items_spec))
        if relation == "none" and items:
            raise ExistingSchemesError("relation none: no existing scheme pays this guarantee, so existing must be "
                                       "empty", file=file, key=f"{key}.existing")
        if relation == "replaces" and not any(it.absorbed_share > 0 for it in items):
            raise ExistingSchemesError("relation replaces: at least one existing item needs absorbed_share > 0",
                                       file=file, key=f"{key}.existing")
        for i, it in enumerate(items):
            if it.amount is not None and it.absorbed_share > 0:
                fig = tuple(sorted(it.amount.items()))
                absorbed[fig] = absorbed.get(fig, 0.0) + it.absorbed_share
                if absorbed[fig] > 1 + 1e-12:
                    raise ExistingSchemesError(f"the figure {dict(fig)} is absorbed {absorbed[fig]:g} times over all "
                                               "provisions (at most once)", file=file,
                                               key=f"{key}.existing[{i}].absorbed_share")
        fin = node.get("financing")
        if not isinstance(fin, dict) or set(fin) - {"federal_share", "rationale"}:
            raise ExistingSchemesError("financing must be a mapping of federal_share and rationale", file=file,
                                       key=f"{key}.financing")
        out[str(name)] = Provision(
            name=str(name), label=_text(node, "label", file, key), relation=relation, items=items,
            rationale=_text(node, "rationale", file, key),
            federal_share=_share(fin.get("federal_share"), file, f"{key}.financing.federal_share"),
            financing_rationale=_text(fin, "rationale", file, f"{key}.financing"))
    for p in provisions or ():
        if p not in out:
            raise ExistingSchemesError(f"no entry for provision {p!r} (a benefit of the costed scenarios)", file=file,
                                       key=f"provisions.{p}")
    return SchemeMapping(provisions=out, file=file or "", spec=spec)


def load_mapping(file: str | Path | None = None, scheme_ids=None, provisions=None) -> SchemeMapping:
    """Read and validate ``params/existing_schemes.yaml`` (or ``file``); see :func:`parse_mapping`."""
    from spf_analysis.config.paths import rel

    file = Path(file or default_file())
    shown = rel(file)
    return parse_mapping(read_yaml(file, ExistingSchemesError, name=shown), shown, scheme_ids, provisions)


# ----------------------------------------------------------------------------
# Figures, price index, offsets
# ----------------------------------------------------------------------------

def _figure_row(tables: Mapping[str, pd.DataFrame], sel: Mapping[str, str], file, key) -> pd.Series:
    t = sel["table"]
    df = tables[t]
    m = pd.Series(True, index=df.index)
    for k in TABLES[t]:
        m &= df[k].astype("string") == sel[k]
    if "chosen" in df.columns:
        m &= df["chosen"].fillna(True).astype(bool)
    rows = df[m]
    if len(rows) != 1:
        raise ExistingSchemesError(f"{t}: {len(rows)} chosen rows match {dict((k, sel[k]) for k in TABLES[t])} "
                                   "(expected one)", file=file, key=key)
    r = rows.iloc[0]
    if r["unit"] != "PKR billion":
        raise ExistingSchemesError(f"{t}: the figure is in {r['unit']!r}, expected PKR billion (spending)", file=file,
                                   key=key)
    return r


def figures(mapping: SchemeMapping, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per existing item: provision, scheme, label, relation, the KP spending (PKR) and
    the year of its figure (``year`` of the processed table: the year in which the fiscal year
    ends), carrying rule, absorbed share and source (fact id or indicator, title, URL, locator).
    ``tables``: ``{'scheme_series': io.load('scheme_series'), 'health_indicators': io.load('health_indicators')}``.
    Items without a figure get NaN amount and their ``not_found`` text."""
    rows = []
    for p in mapping.provisions.values():
        for i, it in enumerate(p.items):
            row = {"provision": p.name, "item": i, "scheme": it.scheme, "scheme_label": it.label,
                   "relation": p.relation, "carried": it.carried, "absorbed_share": it.absorbed_share,
                   "amount_pkr": np.nan, "figure_year": pd.NA, "period": "", "source_id": "", "source_title": "",
                   "source_url": "", "locator": "", "not_found": it.not_found}
            if it.amount is not None:
                r = _figure_row(tables, it.amount, mapping.file, f"provisions.{p.name}.existing[{i}].amount")
                row.update(amount_pkr=float(r["value"]) * 1e9, figure_year=int(r["year"]), period=str(r["period"]),
                           source_id=str(r["fact_id"]) if it.amount["table"] == "scheme_series" else
                           f"health_costing.csv {it.amount['indicator']}",
                           source_title=str(r["source_title"]), source_url=str(r["source_url"]),
                           locator=str(r["locator"]))
            rows.append(row)
    out = pd.DataFrame(rows)
    if not out.empty:
        out["figure_year"] = out["figure_year"].astype("Int64")
    return out


def price_index(inflation_observed: Mapping[int, float], cpi: pd.Series) -> pd.Series:
    """Price index by year, 1 in the first year of ``cpi`` (the macro frame's CPI, indexed by year):
    ``cpi`` from its first year on, and before it ``P[y-1] = P[y] / (1 + pi_y)`` with the observed
    fiscal-year inflation ``pi`` (``{year: rate}``), back to the first year it covers."""
    cpi = pd.Series(cpi, dtype=float).sort_index()
    base = int(cpi.index[0])
    if not np.isclose(cpi.iloc[0], 1.0):
        raise ValueError(f"the CPI must be 1 in its first year {base}, got {cpi.iloc[0]}")
    out = {int(y): float(v) for y, v in cpi.items()}
    y = base
    while y in inflation_observed and y - 1 not in out:
        out[y - 1] = out[y] / (1 + float(inflation_observed[y]))
        y -= 1
    return pd.Series(out, name="price_index").sort_index()


def existing_paths(figs: pd.DataFrame, years, prices: pd.Series) -> pd.DataFrame:
    """The KP spending of every existing item in each of ``years`` (PKR): ``existing`` (carried as
    declared) and ``absorbed`` (x absorbed share). Items without a figure are left out."""
    years = [int(y) for y in years]
    rows = []
    for _, f in figs[figs["amount_pkr"].notna()].iterrows():
        fy = int(f["figure_year"])
        if f["carried"] == "cpi":
            missing = sorted({fy, *years} - set(prices.index))
            if missing:
                raise ValueError(f"no price index for years {missing} (figure of {f['provision']}, {f['source_id']})")
            factor = [prices[y] / prices[fy] for y in years]
        else:
            factor = [1.0] * len(years)
        for y, k in zip(years, factor):
            rows.append({"provision": f["provision"], "item": int(f["item"]), "year": y,
                         "existing": f["amount_pkr"] * k, "absorbed": f["amount_pkr"] * k * f["absorbed_share"]})
    return pd.DataFrame(rows, columns=["provision", "item", "year", "existing", "absorbed"])


def existing_by_year(figs: pd.DataFrame, years, prices: pd.Series) -> pd.DataFrame:
    """:func:`figures` crossed with ``years``: every item's KP spending carried to each year
    (``existing``) and the part its provision absorbs (``absorbed``), PKR; NaN for items without a
    figure. The model run writes it (``model_existing_spending.parquet``) for the chapters."""
    years = [int(y) for y in years]
    grid = figs.merge(pd.DataFrame({"year": years}), how="cross")
    paths_ = existing_paths(figs, years, prices)
    out = grid.merge(paths_, on=["provision", "item", "year"], how="left")
    return out.sort_values(["provision", "item", "year"], kind="stable").reset_index(drop=True)


def split_net(net, federal_share):
    """``(provincial, federal)`` parts of ``net``: federal = share x net, provincial = net - federal."""
    federal = np.asarray(net, dtype=float) * federal_share
    return np.asarray(net, dtype=float) - federal, federal


def net_costs(costs: pd.DataFrame, mapping: SchemeMapping, existing: pd.DataFrame) -> pd.DataFrame:
    """Per scenario x year x benefit (and the package): ``gross``, ``offset`` (existing spending
    the provision replaces, capped at the gross cost), ``net``, ``provincial`` and ``federal`` (PKR).

    ``costs``: the model run's cost table (``scenario, benefit, year, cost``, with ``benefit ==
    'package'`` rows, which are recomputed here as the sum of the provisions); ``existing``:
    :func:`existing_by_year` over the years of ``costs``.
    """
    need = {"scenario", "benefit", "year", "cost"}
    if need - set(costs.columns):
        raise ValueError(f"the cost table lacks {sorted(need - set(costs.columns))}")
    prov = costs[costs["benefit"] != "package"][["scenario", "year", "benefit", "cost"]].rename(columns={"cost": "gross"})
    for b in prov["benefit"].unique():
        mapping.provision(b)  # every costed provision is declared
    missing = sorted(set(prov["year"]) - set(existing["year"])) if len(existing) else []
    if missing:
        raise ValueError(f"no existing spending for years {missing}")
    absorbed = existing.groupby(["provision", "year"])["absorbed"].sum()  # NaN (no figure) counts 0
    key = list(zip(prov["benefit"], prov["year"]))
    avail = np.array([absorbed.get(k, 0.0) for k in key], dtype=float)
    gross = prov["gross"].to_numpy(dtype=float)
    out = prov.copy()
    out["offset"] = np.minimum(gross, avail)
    out["net"] = gross - out["offset"].to_numpy()
    share = out["benefit"].map(lambda b: mapping.provision(b).federal_share).to_numpy(dtype=float)
    out["provincial"], out["federal"] = split_net(out["net"].to_numpy(), share)
    pk = out.groupby(["scenario", "year"], sort=False)[list(AMOUNTS)].sum().reset_index().assign(benefit="package")
    order = {n: i for i, n in enumerate(costs["scenario"].unique())}
    res = pd.concat([out, pk], ignore_index=True)
    res["_s"] = res["scenario"].map(order)
    res["_p"] = (res["benefit"] == "package").astype(int)
    res = res.sort_values(["_s", "year", "_p"], kind="stable").drop(columns=["_s", "_p"])
    return res[["scenario", "year", "benefit", *AMOUNTS]].reset_index(drop=True)


# ----------------------------------------------------------------------------
# Report helpers
# ----------------------------------------------------------------------------

MEASURE_LABELS = {"gross": "Gross cost", "offset": "Existing spending it replaces", "net": "Net cost",
                  "provincial": "Net cost paid by KP (provincial budget)", "federal": "Net cost paid by the federal government"}


def package_net_summary(net: pd.DataFrame, macro_frame: pd.DataFrame, population: pd.DataFrame, year: int,
                        scenarios=None) -> pd.DataFrame:
    """Long table of the packages in ``year``: one row per scenario and measure (:data:`AMOUNTS`),
    in PKR billion, % of KP GDP, % of national GDP, % of the KP budget and PKR per KP resident."""
    pk = net[(net["benefit"] == "package") & (net["year"] == year)]
    if scenarios is not None:
        pk = pk.set_index("scenario").loc[list(scenarios)].reset_index()
    if pk.empty:
        raise ValueError(f"no package rows for {year}")
    m = macro_frame.loc[year]
    pop = float(population.loc[population["year"] == year, "population"].sum())
    if pop <= 0:
        raise ValueError(f"no projected population for {year}")
    rows = []
    for _, r in pk.iterrows():
        for a in AMOUNTS:
            v = float(r[a])
            rows.append({"scenario": r["scenario"], "year": int(year), "measure": a, "measure_label": MEASURE_LABELS[a],
                         "pkr_bn": v / 1e9, "pct_gdp": v / m["gdp"] * 100, "pct_national_gdp": v / m["gdp_national"] * 100,
                         "pct_budget": v / m["budget"] * 100, "per_head_pkr": v / pop})
    return pd.DataFrame(rows)


def mapping_table(mapping: SchemeMapping, existing: pd.DataFrame, net: pd.DataFrame, scenario: str,
                  year: int) -> pd.DataFrame:
    """One row per provision and existing scheme in ``year``: relation, scheme, its KP spending
    (the figure and its period; carried to ``year``), the offset of ``scenario`` (PKR billion,
    attributed to the items absorbed in proportion to their spending), the federal share of the
    net cost (%), the fact id of the figure (``fact``) and its source. ``existing``: :func:`existing_by_year`."""
    sel = net[(net["scenario"] == scenario) & (net["year"] == year)].set_index("benefit")
    ex = existing[existing["year"] == year]
    rows = []
    for p in mapping.provisions.values():
        if p.name not in sel.index:
            continue
        base = {"provision": p.label, "relation": p.relation.replace("_", " "), "offset_pkr_bn": 0.0,
                "federal_share_pct": p.federal_share * 100}
        pf = ex[ex["provision"] == p.name]
        if pf.empty:
            rows.append({**base, "scheme": "none in KP", "figure_pkr_bn": np.nan, "figure_period": "",
                         "existing_in_year_pkr_bn": np.nan, "carried": "", "fact": "", "source": p.rationale})
            continue
        total = pf["absorbed"].fillna(0).sum()
        for _, f in pf.iterrows():
            has = pd.notna(f["amount_pkr"])
            part = sel.loc[p.name, "offset"] * (f["absorbed"] if has else 0.0) / total if total > 0 else 0.0
            # an item a replacing provision does not absorb (absorbed share 0) continues beside it, topped up
            kept = p.relation == "replaces" and float(f.get("absorbed_share", 1.0)) == 0.0
            rows.append({**base, "relation": "continues (topped up)" if kept else base["relation"],
                         "offset_pkr_bn": part / 1e9, "scheme": f"{f['scheme_label']} ({f['scheme']})",
                         "figure_pkr_bn": f["amount_pkr"] / 1e9 if has else np.nan,
                         "figure_period": f["period"] if has else "not found",
                         "existing_in_year_pkr_bn": f["existing"] / 1e9 if has else np.nan,
                         "carried": ("held at real value (CPI)" if f["carried"] == "cpi" else "held in rupees") if has else "",
                         "fact": f["source_id"] if has else "",
                         "source": f["source_title"] if has else f["not_found"]})
    cols = ["provision", "relation", "scheme", "figure_pkr_bn", "figure_period", "carried", "existing_in_year_pkr_bn",
            "offset_pkr_bn", "federal_share_pct", "fact", "source"]
    return pd.DataFrame(rows, columns=cols)
