"""Demographic profile from the population censuses: age structure, dependency
ratios, pyramids, growth on harmonised boundaries, urban share.

Pure functions on the tidy tables of :mod:`spf_analysis.data.io` (columns
``geography, year, age_group, sex, area, population``).

Definitions (UN DESA / World Bank WDI):

* child dependency ratio = P(0-14) / P(15-64) x 100
* old-age dependency ratio = P(65+) / P(15-64) x 100
* total dependency ratio = child + old-age
* average annual growth rate r = (P1 / P0) ** (1 / t) - 1 (geometric, as PBS
  prints for 1998-2017: KP 17,743,645 -> 30,508,920 in 19 years gives 2.89%).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spf_analysis.data.io import AGE_GROUPS

BROAD_GROUPS = ("0-14", "15-64", "65+")


def age_lower(age_group: str) -> int:
    """Lower bound of a census age group label (``'05-09'`` -> 5, ``'75+'`` -> 75)."""
    return int(age_group.rstrip("+").split("-")[0])


def broad_age_group(age_group: pd.Series) -> pd.Series:
    """Map 5-year census groups to 0-14 / 15-64 / 65+."""
    lower = age_group.map(age_lower)
    out = np.select([lower < 15, lower < 65], ["0-14", "15-64"], "65+")
    return pd.Series(out, index=age_group.index, dtype="string")


def _by_age(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of single 5-year groups only (drops the 'All ages' total row)."""
    return df[df["age_group"].isin(AGE_GROUPS)]


def check_age_totals(df: pd.DataFrame, keys=("geography", "year", "sex", "area")) -> pd.DataFrame:
    """Sum of the 5-year groups against the 'All ages' row, per key.

    Returns a table with both and their difference; the census tables are
    expected to add up exactly.
    """
    keys = list(keys)
    parts = _by_age(df).groupby(keys, observed=True)["population"].sum().rename("sum_of_groups")
    total = (df[df["age_group"] == "All ages"].set_index(keys)["population"]
             .rename("all_ages"))
    out = pd.concat([parts, total], axis=1).reset_index()
    out["difference"] = out["all_ages"] - out["sum_of_groups"]
    return out


def broad_groups(df: pd.DataFrame, by=("geography", "year")) -> pd.DataFrame:
    """Population of 0-14, 15-64 and 65+ (wide), per ``by``."""
    d = _by_age(df).assign(broad=lambda x: broad_age_group(x["age_group"]))
    wide = (d.groupby(list(by) + ["broad"], observed=True)["population"].sum()
            .unstack("broad").reindex(columns=list(BROAD_GROUPS)))
    wide.columns.name = None
    return wide.reset_index()


def dependency_ratios(df: pd.DataFrame, by=("geography", "year")) -> pd.DataFrame:
    """Child, old-age and total dependency ratios (per 100 aged 15-64) and the
    shares of each broad group in the population (percent), per ``by``.

    ``df`` should hold one sex (usually ``both``) and one area (usually
    ``total``) per ``by`` group; the function refuses mixed input rather than
    adding males to both-sexes rows.
    """
    extra = [c for c in ("sex", "area") if c in df.columns and c not in by
             and df.groupby(list(by), observed=True)[c].nunique().max() > 1]
    if extra:
        raise ValueError(f"dependency_ratios: more than one value of {extra} within a "
                         f"group of {list(by)}; filter first or add them to `by`")
    w = broad_groups(df, by)
    total = w[list(BROAD_GROUPS)].sum(axis=1)
    w["population"] = total
    w["child_dependency"] = 100 * w["0-14"] / w["15-64"]
    w["old_age_dependency"] = 100 * w["65+"] / w["15-64"]
    w["total_dependency"] = w["child_dependency"] + w["old_age_dependency"]
    for g in BROAD_GROUPS:
        w[f"share_{g}"] = 100 * w[g] / total
    return w


def pyramid(df: pd.DataFrame) -> pd.DataFrame:
    """Population pyramid: males and females by 5-year group as a percent of
    the male + female population (transgender persons, 0.01% of KP in 2017,
    are not in a pyramid of two sexes)."""
    d = _by_age(df[df["sex"].isin(["male", "female"])])
    if d.empty:
        raise ValueError("pyramid: no male/female rows by age group")
    wide = (d.pivot_table(index="age_group", columns="sex", values="population",
                          aggfunc="sum", observed=True)
            .reindex(list(AGE_GROUPS)))
    total = wide[["male", "female"]].to_numpy().sum()
    out = pd.DataFrame({
        "age_group": wide.index,
        "male": wide["male"].to_numpy(),
        "female": wide["female"].to_numpy(),
        "male_pct": 100 * wide["male"].to_numpy() / total,
        "female_pct": 100 * wide["female"].to_numpy() / total,
    })
    return out


def growth_rate(p0, p1, years) -> np.ndarray | float:
    """Average annual (geometric) growth rate in percent: 100 x ((p1/p0)^(1/t) - 1)."""
    p0 = np.asarray(p0, dtype=float)
    p1 = np.asarray(p1, dtype=float)
    years = np.asarray(years, dtype=float)
    if np.any(years <= 0):
        raise ValueError("growth_rate: the interval in years must be positive")
    r = 100 * ((p1 / p0) ** (1 / years) - 1)
    return r.item() if r.ndim == 0 else r


def sex_ratio(df: pd.DataFrame, by=("geography", "year")) -> pd.DataFrame:
    """Males per 100 females, all ages."""
    d = df[(df["age_group"] == "All ages") & df["sex"].isin(["male", "female"])]
    w = d.pivot_table(index=list(by), columns="sex", values="population",
                      aggfunc="sum", observed=True)
    return (100 * w["male"] / w["female"]).rename("sex_ratio").reset_index()


def urban_share(df: pd.DataFrame, by=("geography", "year")) -> pd.DataFrame:
    """Urban population as a percent of the total, from the age table's
    'All ages', both-sexes rows."""
    d = df[(df["age_group"] == "All ages") & (df["sex"] == "both")]
    w = d.pivot_table(index=list(by), columns="area", values="population",
                      aggfunc="sum", observed=True)
    out = pd.DataFrame({"population": w["total"], "urban": w["urban"]})
    out["urban_share_pct"] = 100 * out["urban"] / out["population"]
    return out.reset_index()


def harmonised_growth(p0: pd.Series, p1: pd.Series, crosswalk: pd.DataFrame,
                      years: float, labels=("2017", "2023")) -> pd.DataFrame:
    """District populations of two censuses on common (harmonised) boundaries.

    ``p0`` is indexed by the 2017 census unit (settled districts, Malakand PA,
    7 agencies, 6 frontier regions), ``p1`` by the 2023 district. Both are
    aggregated to the crosswalk's ``harmonised_unit``: a frontier region joins
    the district it became part of; Chitral and Kohistan, split after 2017,
    are compared as wholes. Returns both populations, the average annual
    growth rate over ``years`` and the share of the 2017 population that lived
    in ex-FATA units.
    """
    units0 = crosswalk.drop_duplicates("unit_2017").set_index("unit_2017")
    units1 = crosswalk.drop_duplicates("district_2023").set_index("district_2023")
    missing = sorted(set(p0.index) - set(units0.index)) + sorted(set(p1.index) - set(units1.index))
    if missing:
        raise ValueError(f"harmonised_growth: units not in the crosswalk: {missing}")
    unmatched = sorted(set(units1.index) - set(p1.index)) + sorted(set(units0.index) - set(p0.index))
    if unmatched:
        raise ValueError(f"harmonised_growth: crosswalk units without population: {unmatched}")
    y0, y1 = labels
    v0 = p0.to_numpy(dtype=float)
    fata = units0.loc[p0.index, "status_2017"].str.startswith("ex-FATA").to_numpy(dtype=bool)
    a0 = pd.DataFrame({"harmonised_unit": units0.loc[p0.index, "harmonised_unit"].to_numpy(),
                       f"population_{y0}": v0, "fata": np.where(fata, v0, 0.0)})
    a1 = pd.DataFrame({"harmonised_unit": units1.loc[p1.index, "harmonised_unit"].to_numpy(),
                       f"population_{y1}": p1.to_numpy(dtype=float)})
    out = (a0.groupby("harmonised_unit").sum()
           .join(a1.groupby("harmonised_unit").sum(), how="outer"))
    out["growth_pct"] = growth_rate(out[f"population_{y0}"], out[f"population_{y1}"], years)
    out["ex_fata_share_2017_pct"] = 100 * out.pop("fata") / out[f"population_{y0}"]
    for y in (y0, y1):
        out[f"population_{y}"] = out[f"population_{y}"].round().astype("Int64")
    return out.reset_index()


#: Column headings of :func:`dependency_ratios` tables in the report.
DEPENDENCY_LABELS = {"geography": "Territory", "year": "Census year", "area": "Area",
                     "population": "Population (persons)", "share_0-14": "Aged 0-14 (%)",
                     "share_15-64": "Aged 15-64 (%)", "share_65+": "Aged 65+ (%)",
                     "child_dependency": "Child dependency (per 100 aged 15-64)",
                     "old_age_dependency": "Old-age dependency (per 100 aged 15-64)",
                     "total_dependency": "Total dependency (per 100 aged 15-64)"}

#: Readable names of the aggregate geographies of :data:`spf_analysis.data.io.GEOGRAPHIES`.
GEOGRAPHY_LABELS = {
    "kp_settled_2017": "KP settled districts (2017 boundaries)",
    "ex_fata_2017": "Ex-FATA (7 agencies + 6 FRs)",
    "kp_merged_2017": "KP incl. ex-FATA (2017 boundaries)",
    "kp_35_2023": "KP, 35 districts (2023)",
}

STATUS_COLORS = {"settled district": "#0072B2", "merged ex-FATA district": "#E69F00",
                 "settled district with a former FR": "#56B4E9"}


def merger_status(ex_fata_share_pct: pd.Series) -> pd.Series:
    """Label a harmonised district by the share of its 2017 population that
    lived in ex-FATA: 100% -> merged district; 0% -> settled; in between ->
    a settled district that absorbed a frontier region."""
    s = ex_fata_share_pct.to_numpy(dtype=float)
    out = np.select([s >= 99.999, s > 0], ["merged ex-FATA district",
                                           "settled district with a former FR"],
                    "settled district")
    return pd.Series(out, index=ex_fata_share_pct.index, dtype="string")


def population_summary(pop: pd.DataFrame, official_totals: dict | None = None) -> pd.DataFrame:
    """Population, urban share and sex ratio per census geography.

    ``official_totals`` replaces the age-table total of a geography by the
    official count where the two differ (Census 2023: the age tables add up to
    40,641,120, the official KP total is 40,856,097); the age-table total is
    kept in ``age_table_population``.
    """
    u = urban_share(pop).set_index(["geography", "year"])
    sr = sex_ratio(pop).set_index(["geography", "year"])
    out = u.join(sr)[["population", "urban_share_pct", "sex_ratio"]].reset_index()
    out = out.rename(columns={"population": "age_table_population"})
    official = official_totals or {}
    out["population"] = [official.get(g, p) for g, p in
                         zip(out["geography"], out["age_table_population"])]
    out["population"] = out["population"].astype("Int64")
    order = list(GEOGRAPHY_LABELS)
    out["_o"] = out["geography"].map(order.index)
    out = out.sort_values("_o").drop(columns="_o")
    out.insert(1, "boundary", out["geography"].map(GEOGRAPHY_LABELS))
    return out[["geography", "boundary", "year", "population", "age_table_population",
                "urban_share_pct", "sex_ratio"]].reset_index(drop=True)


def district_profile_2017(totals: pd.DataFrame) -> pd.DataFrame:
    """Census 2017 Table 1 by district or agency: population, urban share,
    household size and 1998-2017 growth, largest households first."""
    d = totals[(totals["year"] == 2017) & totals["level"].isin(["district", "district/agency"])]
    d = d.assign(region=d["region"].str.replace(r" \(.*\)", "", regex=True))
    cols = ["unit", "region", "population", "urban_share_pct", "avg_household_size",
            "avg_annual_growth_pct"]
    return (d[cols].sort_values(["avg_household_size", "unit"], ascending=[False, True])
            .reset_index(drop=True))


def disability_age_profile(disabled: pd.DataFrame, population: pd.DataFrame, overall_rate: float | None = None,
                           *, geography: str = "kp_merged_2017", year: int = 2017, sex: str = "both",
                           area: str = "total") -> pd.Series:
    """Disability prevalence by 5-year age group, rescaled to an overall rate.

    ``rate(a) = D(a) / P(a) x overall_rate / (D / P)`` with ``D(a)`` the disabled persons of census
    2017 Table 17 (processed ``disability_census``, column ``disabled``), ``P(a)`` the census
    population of the same geography and year (``census_province_age_sex``) and ``D / P`` their
    all-ages ratio (KP incl. ex-FATA 2017: 227,331 / 35,501,964 = 0.640%). With
    ``overall_rate=None`` the census 2017 rates themselves are returned.

    This is the one definition of the disability age pattern: the RAP costing
    (``params/scenarios/*.yaml`` ``disability_benefit.age_profile``, one profile per level of
    :func:`severe_disability_profiles`) and the synthetic survey (:mod:`spf_analysis.household.synth`,
    scaled to the census 2023 Washington Group rate 3.16%) both use it (tests/test_census.py checks
    the scenario files against it).

    Returns a Series indexed by the lower bound of the age group (0, 5, ..., 75; 75 = 75+), the
    step function :func:`spf_analysis.model.costing.group_weights` reads.
    """
    def pick(df, col):
        s = df[(df["geography"] == geography) & (df["year"] == year) & (df["sex"] == sex) & (df["area"] == area)]
        s = s.set_index("age_group")[col]
        missing = [g for g in ("All ages", *AGE_GROUPS) if g not in s.index]
        if missing:
            raise ValueError(f"{col}: no {geography} {year} {sex}/{area} rows for age group(s) {missing}")
        return s.astype(float)
    d, p = pick(disabled, "disabled"), pick(population, "population")
    scale = 1.0 if overall_rate is None else overall_rate / (d["All ages"] / p["All ages"])
    rate = d[list(AGE_GROUPS)] / p[list(AGE_GROUPS)] * scale
    rate.index = [age_lower(g) for g in AGE_GROUPS]
    return rate.rename("rate")


#: Levels of the severe-disability benefit's prevalence: which rows of the processed
#: ``disability_severity`` table (:func:`spf_analysis.data.io.read_disability_severity`) set the
#: adult (15+) and child (0-14) rates. ``low`` has none: the census 2017 rates themselves.
SEVERE_DISABILITY_LEVELS = {
    "low": None,
    "medium": {"adult_chosen": True},    # World Health Survey: very significant difficulties, 2.2% of 15+
    "high": {"adult_chosen": False},     # Global Burden of Disease: severe disability, 3.8% of 15+
}


def severe_disability_rate(severity: pd.DataFrame, population: pd.DataFrame, level: str = "medium", *,
                           geography: str = "kp_merged_2017", year: int = 2017) -> float:
    """Overall prevalence of severe disability for KP from the WHO age-band rates.

    ``rate = s x c + (1 - s) x a`` with ``c`` the severe-disability rate of children 0-14 (GBD 2004,
    0.7%), ``a`` the adult 15+ rate of the ``level`` (:data:`SEVERE_DISABILITY_LEVELS`: medium = the
    chosen World Health Survey 2.2%, high = the Global Burden of Disease 3.8%) and ``s`` the share of
    0-14 in the census population of ``geography`` and ``year`` -- the base of
    :func:`disability_age_profile`, so the profile holds as many persons with a severe disability
    as the WHO band rates give on that population. ``low``: the census 2017 all-ages rate
    (Table 17 disabled / population). Returns a share (0.0154 = 1.54%)."""
    if level not in SEVERE_DISABILITY_LEVELS:
        raise ValueError(f"level must be one of {list(SEVERE_DISABILITY_LEVELS)}, got {level!r}")
    pop = population[(population["geography"] == geography) & (population["year"] == year)
                     & (population["sex"] == "both") & (population["area"] == "total")]
    pop = pop.set_index("age_group")["population"].astype(float)
    spec = SEVERE_DISABILITY_LEVELS[level]
    if spec is None:
        raise ValueError("level 'low' is the census 2017 rate itself: call disability_age_profile "
                         "with overall_rate=None")

    def one(indicator, chosen=True):
        r = severity[(severity["indicator"] == indicator) & (severity["geography"] == "World")
                     & (severity["chosen"] == chosen)]
        if len(r) != 1:
            raise ValueError(f"disability_severity: expected one {indicator} row with chosen={chosen}, "
                             f"found {len(r)}")
        return float(r["value"].iloc[0]) / 100
    child = one("severe_disability_prevalence_0_14")
    adult = one("severe_disability_prevalence_15plus", spec["adult_chosen"])
    share_child = pop[["00-04", "05-09", "10-14"]].sum() / pop["All ages"]
    return share_child * child + (1 - share_child) * adult


def severe_disability_profiles(disabled: pd.DataFrame, population: pd.DataFrame,
                               severity: pd.DataFrame) -> dict[str, pd.Series]:
    """The disability benefit's age profile of each level (``low``, ``medium``, ``high``): the census
    2017 age pattern (:func:`disability_age_profile`) at the census 2017 rate (low) or scaled to
    :func:`severe_disability_rate` (medium, high). The scenario files state these, rounded to 5
    decimals (tests/test_census.py recomputes them)."""
    return {lvl: disability_age_profile(disabled, population,
                                        None if spec is None else
                                        severe_disability_rate(severity, population, lvl))
            for lvl, spec in SEVERE_DISABILITY_LEVELS.items()}
