"""The executive summary: key numbers read from the published tables of chapters 01-07.

Every number of the summary is taken from a table that a chapter wrote to ``reports/tables``
(:data:`TABLES`; the Makefile's ``READS_S_executive_summary``, derived from it, makes the summary run after
the chapters that publish them and lets the runner skip it when they kept their bytes), with
the label that chapter gave it (``Table 3.2``), so a reader can trace each one. Nothing is
recomputed or typed here. :func:`key_numbers` builds a tidy table (one row per number);
:func:`summary_markdown` writes the one-page text from it.

Chapter 05 (microsimulation) contributes the poverty impact of the full floor and the
contributory capacity of uncovered workers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from spf_analysis.config import labels as _labels
from spf_analysis.config import paths

__all__ = ["TABLES", "SummaryError", "read_tables", "key_numbers", "summary_markdown"]

#: the chapter tables the summary reads (file stems in reports/tables)
TABLES = ("01_population_summary", "01_dependency_ratios", "03_protection_gaps", "03_sehat_utilisation",
          "03_sdg131", "04_package_costs", "04_package_costs_net", "04_fan_package_cost", "05_poverty_impact",
          "05_contributory_capacity", "06_fiscal_paths", "06_financing_packages", "07_recommendation_costs",
          "07_matrix_sources")
#: marks a key number that reproduces a calibration target of the survey (an input, not a finding)
CALIBRATED = "[calibration input"
#: how the summary names the packages it quotes (the reference scenario is "the full floor")
PACKAGE_WORDS = {"package_lifecycle": "the life-cycle package", "package_minimum": "the minimum package"}
COLUMNS = ["chapter", "key", "what", "value", "unit", "table", "synthetic"]


class SummaryError(ValueError):
    """A key number is missing from its chapter table; the message names the table and the row."""


def read_tables(tables_dir: Path | None = None, names=TABLES) -> dict[str, pd.DataFrame]:
    """The chapter tables and the chapter indexes (``index_03`` ...) as published in reports/tables."""
    d = Path(tables_dir) if tables_dir else paths.REPORTS / "tables"
    out = {}
    for name in names:
        for stem in (name, f"{name.split('_', 1)[0]}_index"):
            key = stem if not stem.endswith("_index") else f"index_{stem.split('_', 1)[0]}"
            if key in out:
                continue
            f = d / f"{stem}.csv"
            if not f.exists():
                raise SummaryError(f"reports/tables/{stem}.csv missing: build the chapters first (make report)")
            index = stem.endswith("_index")  # indexes: empty notes stay empty strings
            out[key] = pd.read_csv(f, keep_default_na=not index)
    return out


def _one(df: pd.DataFrame, table: str, **where) -> pd.Series:
    sel = df
    for col, val in where.items():
        sel = sel[sel[col] == val]
    if len(sel) != 1:
        raise SummaryError(f"{table}: expected one row where {where}, found {len(sel)}")
    return sel.iloc[0]


def _meta(t: dict, stem: str) -> tuple[str, bool]:
    """(label, synthetic) of a published table, from its chapter index."""
    ch, name = stem.split("_", 1)
    idx = t[f"index_{ch}"]
    hit = idx[(idx["name"] == name) & (idx["kind"] == "table")]
    if len(hit) != 1:
        raise SummaryError(f"reports/tables/{ch}_index.csv: no table {name!r}")
    return str(hit["label"].iloc[0]), str(hit["synthetic"].iloc[0]) == "True"


def key_numbers(t: dict[str, pd.DataFrame], year: int, package: str,
                packages: tuple[str, ...] = ("package_lifecycle", "package_minimum"),
                geography: str = "kp_35_2023", n_schemes: int | None = None) -> pd.DataFrame:
    """One row per key number: chapter, key, what, value, unit, table (label), synthetic.

    ``t`` is :func:`read_tables`'s result; ``year`` the costing year quoted (one of chapter 04's
    report years); ``package`` the full floor and ``packages`` the smaller packages; ``n_schemes``
    the size of the inventory (chapter 02: the processed ``schemes`` table).
    """
    rows = []

    def add(chapter, key, what, value, unit, stem):
        label, synth = _meta(t, stem)
        rows.append({"chapter": chapter, "key": key, "what": what, "value": float(value), "unit": unit,
                     "table": label, "synthetic": synth})

    pop = _one(t["01_population_summary"], "01_population_summary", geography=geography)
    add(1, "population", f"Population of KP, census {int(pop['year'])}", pop["population"], "persons",
        "01_population_summary")
    dep = t["01_dependency_ratios"]
    d = _one(dep, "01_dependency_ratios", geography=pop["boundary"], year=int(pop["year"]))
    add(1, "share_children", "Share of children aged 0-14", d["share_0-14"], "%", "01_dependency_ratios")
    add(1, "share_old", "Share of persons aged 65+", d["share_65+"], "%", "01_dependency_ratios")
    add(1, "dependency", "Total dependency ratio (per 100 aged 15-64)", d["total_dependency"], "per 100",
        "01_dependency_ratios")

    if n_schemes is not None:
        rows.append({"chapter": 2, "key": "schemes", "what": "Schemes in the inventory", "value": float(n_schemes),
                     "unit": "schemes", "table": "the inventory of chapter 2", "synthetic": False})

    # imported here: the survey engine (scipy) is not needed to import this module
    from spf_analysis.household.gaps import SEHAT_USE_GROUP

    g = t["03_protection_gaps"]
    for key, group, ind, what in (
            ("gap_workers", "working-age employed 15-64 (social insurance)", "protection_gap",
             "Employed persons 15-64 without social insurance"),
            ("gap_health", SEHAT_USE_GROUP, "protection_gap",
             "Benchmark inpatient admissions not paid for by the Sehat card")):
        add(3, key, what, _one(g, "03_protection_gaps", group=group, indicator=ind)["estimate"], "%", "03_protection_gaps")
    # SDG 1.3.1 as its metadata defines it (direct recipients), each with the published anchors beside it; the BISP
    # exclusion error is not quoted: on the synthetic survey it reproduces a calibration input (chapter 03)
    sdg = t["03_sdg131"]
    for key, group, what in (
            ("sdg_total", "whole population (SDG 1.3.1 total)", "Population receiving at least one benefit or contributing (SDG 1.3.1)"),
            ("cov_old", "older persons 65+ (pension)", "Persons 65+ receiving a pension"),
            ("cov_children", "children 0-14", "Children 0-14 in a household receiving a family cash benefit"),
            ("cov_disabled", "persons with disabilities", "Persons with disabilities receiving a disability cash benefit"),
            ("cov_unemployed", "unemployed 15-64", "Unemployed receiving an unemployment benefit")):
        r = _one(sdg, "03_sdg131", group=group)
        anchor = r.get("anchor") if isinstance(r.get("anchor"), str) and r.get("anchor") else ""
        cal = r.get("calibration_input") if isinstance(r.get("calibration_input"), str) and r.get("calibration_input") else ""
        add(3, key, what + (f" (published: {anchor})" if anchor else "") + (f" {CALIBRATED}: {cal}]" if cal else ""),
            r["estimate"], "%", "03_sdg131")
    su = _one(t["03_sehat_utilisation"], "03_sehat_utilisation", chosen=True)  # the headline count and benchmark
    add(3, "sehat_per_1000", "Admissions paid by the Sehat card per 1,000 residents a year", su["per_1000"],
        "per 1,000 a year", "03_sehat_utilisation")
    add(3, "sehat_share", f"Sehat card admissions as a share of the benchmark: {su['benchmark']}",
        su["share_of_benchmark_pct"], "%", "03_sehat_utilisation")

    floor = _labels.label(package)  # the words a reader sees for a scenario (its file's 'label')
    pc = t["04_package_costs"]
    p = _one(pc, "04_package_costs", scenario=package, year=year)
    add(4, "cost_floor_gdp", f"Cost of the full floor ({floor}) in {year}", p["cost_pct_gdp"], "% of KP GDP", "04_package_costs")
    add(4, "cost_floor_pkr", f"Cost of the full floor ({floor}) in {year}", p["cost_pkr_bn"], "PKR billion", "04_package_costs")
    add(4, "cost_floor_budget", f"Cost of the full floor ({floor}) in {year}", p["cost_pct_budget"], "% of KP budget",
        "04_package_costs")
    add(4, "cost_floor_per_head", f"Cost of the full floor ({floor}) in {year}", p["cost_per_head_pkr"],
        "PKR per KP resident a year", "04_package_costs")
    add(4, "cost_floor_national_gdp", f"Cost of the full floor ({floor}) in {year}", p["cost_pct_national_gdp"],
        "% of national GDP", "04_package_costs")
    for name in packages:
        add(4, f"cost_{name}_gdp", f"Cost of {_labels.label(name)} in {year}", _one(pc, "04_package_costs", scenario=name, year=year)["cost_pct_gdp"],
            "% of KP GDP", "04_package_costs")
    net = t["04_package_costs_net"]
    for name in (package, *packages):
        for measure in ("net", "provincial"):
            r = _one(net, "04_package_costs_net", scenario=name, year=year, measure=measure)
            for col, unit in (("pct_gdp", "% of KP GDP"), ("pct_national_gdp", "% of national GDP"),
                              ("pct_budget", "% of KP budget"), ("pkr_bn", "PKR billion")):
                add(4, f"{measure}_{name}_{col}", f"{r['measure_label']} of {_labels.label(name)} in {year}", r[col], unit, "04_package_costs_net")
    off = _one(net, "04_package_costs_net", scenario=package, year=year, measure="offset")
    add(4, "offset_floor_pkr", f"Existing spending the full floor ({floor}) replaces in {year}", off["pkr_bn"], "PKR billion",
        "04_package_costs_net")
    fan = _one(t["04_fan_package_cost"], "04_fan_package_cost", year=year)
    add(4, "cost_floor_q05", f"Full floor in {year}: 5th percentile of the Monte Carlo draws", fan["q05"], "% of KP GDP",
        "04_fan_package_cost")
    add(4, "cost_floor_q95", f"Full floor in {year}: 95th percentile of the Monte Carlo draws", fan["q95"], "% of KP GDP",
        "04_fan_package_cost")

    pi = t["05_poverty_impact"]
    for ind, what in (("headcount_pre", "Poverty headcount before the floor"),
                      ("headcount_post", f"Poverty headcount with the full floor ({floor})"),
                      ("gap_reduction", f"Reduction of the poverty gap with the full floor ({floor})")):
        add(5, f"impact_{ind}", what, _one(pi, "05_poverty_impact", scenario=package, indicator=ind)["estimate"], "%",
            "05_poverty_impact")
    cc = _one(t["05_contributory_capacity"], "05_contributory_capacity", sector="all", employment_type="all")
    add(5, "capacity_workers", "Workers outside the contributory schemes with contributory capacity",
        cc["capacity"], "persons", "05_contributory_capacity")
    add(5, "capacity_contributions", "Contributions they would pay (ESSI + EOBI)",
        cc["contrib_essi"] + cc["contrib_eobi"], "PKR billion", "05_contributory_capacity")

    fp = t["06_fiscal_paths"]
    add(6, "balance_before", f"KP budget balance in {year} before any new benefit",
        _one(fp, "06_fiscal_paths", package="none", year=year)["balance_pct_gdp"], "% of KP GDP", "06_fiscal_paths")
    add(6, "balance_after", f"KP budget balance in {year} after the full floor ({floor})",
        _one(fp, "06_fiscal_paths", package=package, year=year)["balance_pct_gdp"], "% of KP GDP", "06_fiscal_paths")

    fin = t["06_financing_packages"]
    fin_label = _meta(t, "06_financing_packages")[0]
    for name in (package, *packages):
        for case in ("low", "high"):
            r = _one(fin, "06_financing_packages", package=name, yield_case=case)
            opts = str(r["options_needed_largest_first"]) if str(r["options_needed_largest_first"]) != "nan" else ""
            rows.append({"chapter": 6, "key": f"fin_{name}_{case}",
                         "what": f"Share of the cost of {_labels.label(name)} in {year} the {case} yields of the ILO fiscal-space options cover"
                                 + (f"; options needed: {opts}" if r["financed"] == "yes" else ""),
                         "value": float(r["covered_pct"]), "unit": "% of the package cost", "table": fin_label,
                         "synthetic": _meta(t, "06_financing_packages")[1]})

    rc = t["07_recommendation_costs"]
    add(7, "recommendations_costed", "Costed recommendations", len(rc), "recommendations", "07_recommendation_costs")
    ms = t["07_matrix_sources"]
    add(7, "recommendations_other", "Recommendations needing further study",
        int((ms["column"] == "recommendations").sum()), "recommendations", "07_matrix_sources")
    top = rc.sort_values("cost_pct_gdp_medium", ascending=False).iloc[0]
    rows.append({"chapter": 7, "key": "top_recommendation", "what": f"Most expensive recommendation: {top['label']}",
                 "value": float(top["cost_pct_gdp_medium"]), "unit": "% of KP GDP", "table": _meta(t, "07_recommendation_costs")[0],
                 "synthetic": False})
    return pd.DataFrame(rows, columns=COLUMNS)


#: decimals shown for a key number by its unit (the chapter tables keep full precision); others: 2
DECIMALS = {"persons": 0, "PKR per KP resident a year": 0, "schemes": 0, "recommendations": 0, "PKR billion": 1,
            "%": 1, "% of the package cost": 0, "per 100": 0}


def rounded(kn: pd.DataFrame) -> pd.Series:
    """The values of :func:`key_numbers` rounded for display by their unit (:data:`DECIMALS`)."""
    return pd.Series([round(v, DECIMALS.get(u, 2)) for v, u in zip(kn["value"], kn["unit"])], index=kn.index)


def _and(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def summary_markdown(kn: pd.DataFrame, year: int) -> str:
    """The one-page executive summary (Markdown) from :func:`key_numbers`; each number cites its table."""
    v = kn.set_index("key")

    def n(key, fmt="{:.0f}"):
        return fmt.format(v.loc[key, "value"])

    def ref(*keys):
        labels = list(dict.fromkeys(v.loc[k, "table"] for k in keys))
        return f"({', '.join(labels)})"

    def published(key):
        what = str(v.loc[key, "what"]).split(f" {CALIBRATED}", 1)[0]
        return f" (published: {what.split('(published: ', 1)[1]}" if "(published: " in what else ""

    def calibrated(*keys):
        return [k for k in keys if f" {CALIBRATED}" in str(v.loc[k, "what"])]

    synth = bool(kn.loc[kn["chapter"] == 3, "synthetic"].any())
    survey = "the synthetic household survey (a stand-in for PBS microdata)" if synth else "the household survey"
    parts = [
        "## Key findings",
        f"**Population.** Khyber Pakhtunkhwa counted {v.loc['population', 'value'] / 1e6:.1f} million people at the "
        f"last census; {n('share_children')}% are children under 15 and {n('share_old', '{:.1f}')}% are 65 or older, "
        f"a dependency ratio of {n('dependency')} per 100 persons of working age {ref('population', 'dependency')}.",
    ]
    if "schemes" in v.index:
        parts.append(f"**Schemes.** The inventory lists {n('schemes')} federal and provincial schemes operating in KP "
                     f"({v.loc['schemes', 'table']}).")
    parts.append(
        f"**Gaps.** On {survey}, {n('sdg_total')}% of the population receive at least one social protection benefit "
        f"or contribute to social insurance, the SDG 1.3.1 total. {n('cov_old')}% of persons aged 65+ receive a "
        f"pension{published('cov_old')} and {n('cov_children')}% of children live in a household receiving a family "
        f"cash benefit{published('cov_children')}; persons with disabilities ({n('cov_disabled')}%) and the unemployed "
        f"({n('cov_unemployed')}%) receive no regular benefit for their contingency (KP has no unemployment benefit and only "
        f"a small, irregular disability allowance), and "
        f"{n('gap_workers')}% of employed persons have no social insurance {ref('sdg_total', 'gap_workers')}. Enrolment in the "
        f"Sehat card is universal by policy, but the card pays for {n('sehat_per_1000')} admissions per 1,000 residents "
        f"a year, {n('sehat_share')}% of the benchmark of comparable countries "
        f"({v.loc['sehat_share', 'what'].split(': ', 1)[1]}) {ref('sehat_per_1000')}."
        + (" The pension and family-benefit coverage of the survey reproduce its calibration targets: inputs, not "
           "findings." if synth and calibrated("cov_old", "cov_children") else ""))
    parts.append(
        f"**Impact.** Simulated on the same survey, the full floor would lower the poverty headcount from "
        f"{n('impact_headcount_pre', '{:.1f}')}% to {n('impact_headcount_post', '{:.1f}')}% and close "
        f"{n('impact_gap_reduction')}% of the poverty gap. About {v.loc['capacity_workers', 'value'] / 1e6:.2f} million "
        f"workers outside the contributory schemes earn at least the minimum wage and could contribute "
        f"Rs {n('capacity_contributions', '{:,.0f}')} billion a year to ESSI and EOBI "
        f"{ref('impact_headcount_post', 'capacity_workers')}.")
    parts.append(
        f"**Cost.** The full floor, every provision at the medium level, would cost {n('cost_floor_gdp', '{:.1f}')}% of "
        f"KP GDP in {year} (Rs {n('cost_floor_pkr', '{:,.0f}')} billion or Rs {n('cost_floor_per_head', '{:,.0f}')} per "
        f"resident a year, {n('cost_floor_national_gdp', '{:.2f}')}% of "
        f"national GDP, a ratio that does not depend on the unofficial estimate of KP's GDP, and "
        f"{n('cost_floor_budget')}% of the KP budget); "
        f"90% of the Monte Carlo draws lie between {n('cost_floor_q05', '{:.1f}')}% and {n('cost_floor_q95', '{:.1f}')}%. "
        f"The life-cycle package of four cash benefits would cost {n('cost_package_lifecycle_gdp', '{:.1f}')}% and the "
        f"minimum package {n('cost_package_minimum_gdp', '{:.1f}')}% of KP GDP "
        f"{ref('cost_floor_gdp', 'cost_floor_q05')}.")
    # the packages with net costs, the full floor first (key_numbers adds it first)
    net_names = [k[len("net_"):-len("_pct_gdp")] for k in v.index if k.startswith("net_") and k.endswith("_pct_gdp")]

    def pk(name):
        return "the full floor" if net_names and name == net_names[0] else PACKAGE_WORDS.get(name, name.replace("_", " "))

    if net_names:
        def net(name):
            return (f"{pk(name)} {n(f'net_{name}_pct_gdp', '{:.1f}')}% of KP GDP, {n(f'net_{name}_pct_national_gdp', '{:.2f}')}% "
                    f"of national GDP and {n(f'net_{name}_pct_budget')}% of the KP budget")
        parts.append(
            f"**Net cost.** Net of the existing schemes each provision replaces (Rs {n('offset_floor_pkr', '{:,.1f}')} billion "
            f"for the full floor in {year}; top-ups such as BISP and the Sehat card continue), the packages cost: "
            + "; ".join(net(x) for x in net_names) + ". The province's own share would take "
            + _and([f"{n(f'provincial_{x}_pct_budget')}% of its budget for {pk(x)}" for x in net_names])
            + f"; the federal government would pay the rest {ref(f'net_{net_names[0]}_pct_gdp')}.")

    def balance(key):
        x = v.loc[key, "value"]
        return f"{'a surplus' if x >= 0 else 'a deficit'} of {abs(x):.1f}% of KP GDP"

    parts.append(
        f"**Fiscal space.** The KP budget, with {balance('balance_before')} in {year} before any new benefit, "
        f"would show {balance('balance_after')} with the full floor, counting the net cost the province pays "
        f"{ref('balance_after')}"
        + (": the floor must be phased in or financed by new revenue." if v.loc["balance_after", "value"] < 0 else "."))
    fin_names = [k[len("fin_"):-len("_high")] for k in v.index if k.startswith("fin_") and k.endswith("_high")]
    if fin_names:
        def opts(name):  # the options that together finance the package on high yields (None: none do)
            hi = v.loc[f"fin_{name}_high"]
            if "; options needed: " in hi["what"]:
                return _and(hi["what"].split("; options needed: ", 1)[1].lower().split("; "))
            return None

        def fin(names):  # packages financed by the same options are named together, once
            o = opts(names[0])
            if o is None:
                return f"{pk(names[0])} could not be financed (all of them together cover " \
                       f"{v.loc[f'fin_{names[0]}_high', 'value']:.0f}% of it)"
            if len(names) == 1:
                return f"{pk(names[0])} could be financed by {o}"
            return f"{_and([pk(x) for x in names])} could each be financed by {o}"
        groups: dict = {}
        for x in fin_names:
            groups.setdefault(opts(x) or f"none:{x}", []).append(x)
        parts.append(
            "**Financing.** On the high yields of the eight ILO fiscal-space options (sourced ranges for KP), "
            + "; ".join(fin(g) for g in groups.values()) + ". On their low yields, all options together cover only "
            + _and([f"{v.loc[f'fin_{x}_low', 'value']:.0f}% of {pk(x)}" for x in fin_names])
            + f" {ref(f'fin_{fin_names[0]}_high')}: the larger packages depend on federal transfers and new provincial taxes.")
    parts.append(
        f"**Recommendations.** The assessment matrix makes {n('recommendations_costed')} costed recommendations, the "
        f"most expensive being the {v.loc['top_recommendation', 'what'].split(': ', 1)[1].lower()} "
        f"({n('top_recommendation', '{:.2f}')}% of KP GDP), and {n('recommendations_other')} recommendations on "
        f"legislation, registration and administration that need further study {ref('recommendations_costed', 'recommendations_other')}.")
    return "\n\n".join(parts)
