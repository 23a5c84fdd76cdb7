"""Cohort-component population projection by sex and 5-year age group.

The Rapid Assessment Protocol (methods README, section 2) needs the population
by age and sex for every year of the costing horizon.  This module builds it
with the classical cohort-component method (Preston, Heuveline & Guillot 2001,
*Demography: Measuring and Modeling Population Processes*, ch. 3 and 6;
UN Manual III, 1956):

1. **Mortality** -> abridged period life table per sex and 5-year period
   (:func:`life_table`), then survivorship ratios between 5-year age groups
   from the person-years lived ``nLx`` (:func:`survivorship_ratios`):

   ``S_x = 5L_{x+5} / 5L_x``; open group ``w+``: ``S_{w-5+} = T_w / T_{w-5}``;
   births: ``S_b = 5L_0 / (5 l_0)``.

2. **Fertility** -> age-specific fertility rates ``F_x = TFR x pASFR_x / 100 / 5``
   (:func:`asfr_from_tfr`); births over the 5-year period
   ``B = 5 x sum_x F_x x (W_x(t) + W_x(t+5)) / 2`` (:func:`births`),
   split by sex with the sex ratio at birth ``SRB`` (males per female).

3. **Migration** -> the total net migrants of the period are spread over the
   end-of-period age groups and sexes with a documented pattern
   (:func:`migration_by_age_sex`; default: proportional to the population,
   i.e. one net migration rate for all ages and sexes, since WPP 2019 does not
   publish its age pattern).  Migrants are assumed to move at mid-period:
   half of a cohort's net migrants are exposed to the cohort's survival
   over the period, i.e. a cohort receives ``M x (1 + S) / 2``.

4. **Projection** (:func:`project`) steps 5 years at a time; :func:`interpolate_annual`
   gives single calendar years (exponential interpolation within each age/sex
   cell) and :func:`to_single_ages` splits 5-year groups into single years of
   age with a monotone spline of the cumulative population (the method of
   DemoTools ``graduate_mono``; group totals are preserved exactly).

KP adjustment (documented assumptions; see :func:`project_wpp2019`):
the base population is the KP census (:func:`read_kp_census_population`,
younger than Pakistan's); mortality and the age pattern of fertility are
Pakistan's (WPP 2019: no KP life table or ASFR pattern is available here);
the TFR path is Pakistan's times a KP scale: fitted so that the 2017 census
projected to 2023 gives the 2023 census children aged 0-4 (:func:`calibrate_kp`,
central since issue 12, ``params/run.yaml`` ``fertility_central``), or the
KP/Pakistan ratio measured in one survey (:func:`scale_tfr`,
:func:`survey_tfr_ratio`); :func:`census_check` compares a calibration's births
and children 0-4 with the census.  Net migration is zero unless a KP series or
rate is supplied.

Data: UN DESA Population Division, *World Population Prospects 2019* (R data
package ``wpp2019``), extracts for Pakistan in ``data/raw/un_wpp``; licence
CC BY 3.0 IGO.  Population counts there are in thousands; the readers below
return persons.  Every raw file is read through the schema-checked readers of
:mod:`spf_analysis.data.io` (:func:`~spf_analysis.data.io.read_wpp2019`,
:func:`~spf_analysis.data.io.read_province_age_sex`): a bad cell stops with the
file, column and line (``make data`` checks the WPP extracts too).

Tidy conventions: ``sex`` is ``"male"``/``"female"``; ``age`` is the lower
bound of the group (int); the last group is open.  Periods are named by their
start year (``period=2015`` is 2015-2020).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spf_analysis.config.paths import RAW

WPP_DIR = RAW / "un_wpp"
CENSUS_DIR = RAW / "census"

SEXES = ("male", "female")
_WPP_SEX = {"M": "male", "F": "female"}

#: Abridged life-table ages of the WPP mx files: 0, 1, 5, 10, ..., 100 (100+ open).
ABRIDGED_AGES = (0, 1) + tuple(range(5, 105, 5))


# ----------------------------------------------------------------------------
# Readers: WPP 2019 tsv extracts -> tidy frames
# ----------------------------------------------------------------------------


def _read_wpp_tsv(name: str) -> pd.DataFrame:
    """One WPP 2019 extract, checked by :func:`spf_analysis.data.io.read_wpp2019` (columns, types,
    ranges, complete age rows; a bad cell stops with the file, column and line)."""
    from spf_analysis.data import io as _io

    return _io.read_wpp2019(name, WPP_DIR / f"wpp2019_pakistan_{name}.tsv")


def _age_lower(label) -> int:
    s = str(label).strip()
    return int(s.rstrip("+").split("-")[0])


def _period_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if "-" in c and c.split("-")[0].isdigit()]


def read_wpp_population(projection: bool = True) -> pd.DataFrame:
    """WPP 2019 population of Pakistan by sex and 5-year age group (persons).

    Estimates 1950-2020 (``popM``/``popF``) and, with ``projection=True``, the
    medium variant 2025-2100 (``popMprojMed``/``popFprojMed``).  Returns the
    columns ``year, sex, age, population`` with ``age`` 0, 5, ..., 100 (100+).
    """
    frames = []
    for code, sex in _WPP_SEX.items():
        names = [f"pop{code}"] + ([f"pop{code}projMed"] if projection else [])
        for name in names:
            wide = _read_wpp_tsv(name)
            years = [c for c in wide.columns if c.isdigit()]
            long = wide.melt(id_vars=["age"], value_vars=years, var_name="year", value_name="population")
            long["sex"] = sex
            frames.append(long)
    out = pd.concat(frames, ignore_index=True)
    out["year"] = out["year"].astype(int)
    out["age"] = out["age"].map(_age_lower).astype(int)
    out["population"] = out["population"].astype(float) * 1000.0  # thousands -> persons
    out = out.drop_duplicates(["year", "sex", "age"], keep="first")
    return out[["year", "sex", "age", "population"]].sort_values(["year", "sex", "age"]).reset_index(drop=True)


def read_wpp_mx() -> pd.DataFrame:
    """WPP 2019 central death rates ``mx`` (estimates and medium projections).

    Columns ``period, sex, age, mx`` with abridged ages 0, 1, 5, ..., 100 (100+).
    """
    frames = []
    for code, sex in _WPP_SEX.items():
        wide = _read_wpp_tsv(f"mx{code}")
        cols = _period_columns(wide)
        long = wide.melt(id_vars=["age"], value_vars=cols, var_name="period", value_name="mx")
        long["sex"] = sex
        frames.append(long)
    out = pd.concat(frames, ignore_index=True)
    out["period"] = out["period"].str.split("-").str[0].astype(int)
    out["age"] = out["age"].astype(int)
    return out[["period", "sex", "age", "mx"]].sort_values(["period", "sex", "age"]).reset_index(drop=True)


def read_wpp_asfr_pattern() -> pd.DataFrame:
    """WPP 2019 percent distribution of age-specific fertility (sums to 100).

    Columns ``period, age, pasfr`` with ``age`` 15, 20, ..., 45.
    """
    wide = _read_wpp_tsv("percentASFR")
    cols = _period_columns(wide)
    long = wide.melt(id_vars=["age"], value_vars=cols, var_name="period", value_name="pasfr")
    long["period"] = long["period"].str.split("-").str[0].astype(int)
    long["age"] = long["age"].map(_age_lower).astype(int)
    return long[["period", "age", "pasfr"]].sort_values(["period", "age"]).reset_index(drop=True)


def _read_wpp_period_series(names: list[str], value: str) -> pd.Series:
    parts = []
    for name in names:
        wide = _read_wpp_tsv(name)
        cols = _period_columns(wide)
        s = wide[cols].iloc[0].astype(float)
        s.index = [int(c.split("-")[0]) for c in cols]
        parts.append(s)
    out = pd.concat(parts)
    out = out[~out.index.duplicated(keep="first")].sort_index()
    out.index.name = "period"
    out.name = value
    return out


def read_wpp_tfr() -> pd.Series:
    """WPP 2019 total fertility rate per 5-year period (estimates, then medium variant)."""
    return _read_wpp_period_series(["tfr", "tfrprojMed"], "tfr")


def read_wpp_srb() -> pd.Series:
    """WPP 2019 sex ratio at birth (males per female) per 5-year period."""
    return _read_wpp_period_series(["sexRatio"], "srb")


def read_wpp_migration() -> pd.Series:
    """WPP 2019 total net number of migrants over each 5-year period (persons).

    The file is in thousands for the whole period (wpp2019 ``migration`` data
    set); e.g. 2015-2020: -1,166,895 persons.
    """
    return _read_wpp_period_series(["migration"], "net_migrants") * 1000.0


#: the census table last read, by (path, modification time, size): a calibration reads it dozens of times
_CENSUS_READ: dict = {}


def _census_table(path) -> pd.DataFrame:
    """``spf_analysis.data.io.read_province_age_sex(path)``, read and checked again only when the file changed
    (callers select from it with copies and never modify it)."""
    from spf_analysis.data import io as _io

    try:
        st = path.stat()
    except OSError:  # the reader reports a missing or unreadable file
        return _io.read_province_age_sex(path)
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _CENSUS_READ:
        table = _io.read_province_age_sex(path)
        _CENSUS_READ.clear()
        _CENSUS_READ[key] = table
    return _CENSUS_READ[key]


def read_kp_census_population(year: int = 2023) -> pd.DataFrame:
    """KP census population by sex and 5-year age group (75+ open), persons.

    Source file ``data/raw/census/kp_population_age_sex.csv`` (PBS census;
    2023: 35 districts incl. merged ex-FATA).  Males and females only: the 1,117
    transgender persons of 2023 (0.003%) are left out, and the age table sums
    to 40,641,120, 0.53% below the official 40,856,097 total (rows not
    rescaled; see the reference README).  Columns ``year, sex, age, population``.
    """
    geo = {2023: "kp_35_2023", 2017: "kp_merged_2017"}  # codes of spf_analysis.data.io.GEOGRAPHIES
    if year not in geo:
        raise ValueError(f"no KP census age table for {year}; available: {sorted(geo)}")
    df = _census_table(CENSUS_DIR / "kp_population_age_sex.csv")  # schema-checked
    sel = df[
        (df["geography"] == geo[year])
        & (df["year"] == year)
        & (df["area"] == "total")
        & (df["sex"].isin(SEXES))
        & (df["age_group"] != "All ages")
    ].copy()
    sel["age"] = sel["age_group"].map(_age_lower).astype(int)
    sel["population"] = sel["population"].astype(float)
    sel["year"] = sel["year"].astype(int)
    sel["sex"] = sel["sex"].astype(str)
    return sel[["year", "sex", "age", "population"]].sort_values(["sex", "age"]).reset_index(drop=True)


# ----------------------------------------------------------------------------
# Mortality: life table and survivorship ratios
# ----------------------------------------------------------------------------


def _coale_demeny_a0_a1(m0: float, sex: str) -> tuple[float, float]:
    """Separation factors 1a0 and 4a1 from 1m0 (Coale-Demeny West).

    Preston, Heuveline & Guillot (2001), Table 3.3 p. 48:
    males   1a0 = 0.045 + 2.684 m0, 4a1 = 1.651 - 2.816 m0 (m0 < 0.107), else 0.330, 1.352;
    females 1a0 = 0.053 + 2.800 m0, 4a1 = 1.522 - 1.518 m0 (m0 < 0.107), else 0.350, 1.361.
    """
    if sex == "male":
        return (0.330, 1.352) if m0 >= 0.107 else (0.045 + 2.684 * m0, 1.651 - 2.816 * m0)
    if sex == "female":
        return (0.350, 1.361) if m0 >= 0.107 else (0.053 + 2.800 * m0, 1.522 - 1.518 * m0)
    raise ValueError(f"sex must be 'male' or 'female', got {sex!r}")


def life_table(mx, sex: str | None = None, ax_method: str = "coale_demeny", radix: float = 1.0) -> pd.DataFrame:
    """Period life table from central death rates ``mx`` (last age group open).

    ``mx``: a Series indexed by the lower bound of each age group (e.g. the
    abridged 0, 1, 5, ..., 100).  Interval widths ``n`` are the differences of
    the index; the last group is open.  Standard relations (Preston et al. 2001,
    ch. 3):

    ``nqx = n mx / (1 + (n - ax) mx)``, ``l_{x+n} = lx (1 - nqx)``, ``ndx = lx nqx``,
    ``nLx = n l_{x+n} + ax ndx``; open group ``q = 1``, ``L = l / m``, ``a = 1/m``;
    ``Tx = sum_{y>=x} nLy``; ``ex = Tx / lx``.

    ``ax_method``:
      * ``"coale_demeny"`` (default): 1a0 and 4a1 from Preston et al. Table 3.3
        (needs ``sex``; applied when the table starts 0, 1, 5), constant
        hazard (below) at the other closed ages;
      * ``"constant_hazard"``: exact when mx is constant within each interval,
        ``nqx = 1 - e^{-n m}``, ``ax = 1/m - n e^{-nm} / (1 - e^{-nm})``.
        With one constant rate ``m`` at all ages this gives ``e0 = 1/m``
        exactly, and ``nqx`` never exceeds 1 however high ``m`` is (the
        midpoint rule gives ``nqx > 1`` once ``m > 2/n``, e.g. WPP's 95-99
        rates of about 0.5, which would empty the 100+ group);
      * ``"midpoint"``: ``ax = n/2`` everywhere (``nqx`` capped at 1).
    """
    mx = pd.Series(mx, dtype=float).sort_index()
    ages = mx.index.to_numpy(dtype=float)
    m = mx.to_numpy(dtype=float)
    k = len(m)
    if k < 2:
        raise ValueError("life_table needs at least two age groups (the last one open)")
    if np.any(m < 0) or not np.all(np.isfinite(m)):
        raise ValueError("mx must be finite and non-negative")
    if m[-1] <= 0:
        raise ValueError("the open age group needs mx > 0")
    n = np.append(np.diff(ages), np.inf)

    if ax_method not in ("coale_demeny", "constant_hazard", "midpoint"):
        raise ValueError(f"unknown ax_method {ax_method!r}")
    nc, mc = n[:-1], m[:-1]
    if ax_method == "midpoint":
        ax_closed = nc / 2.0
        qx_closed = np.minimum(nc * mc / (1.0 + (nc - ax_closed) * mc), 1.0)
    else:
        # piecewise-constant hazard: nqx = 1 - exp(-n m), ax = 1/m - n e^{-nm} / (1 - e^{-nm})
        nm = nc * mc
        qx_closed = -np.expm1(-nm)
        with np.errstate(divide="ignore", invalid="ignore"):
            ax_closed = np.where(nm > 1e-12, 1.0 / mc - nc * np.exp(-nm) / qx_closed, nc / 2.0)
        if ax_method == "coale_demeny":
            if sex is None:
                raise ValueError("ax_method='coale_demeny' needs sex='male' or 'female'")
            cd = []
            if ages[0] == 0 and n[0] == 1:
                a0, a1 = _coale_demeny_a0_a1(m[0], sex)
                cd.append((0, a0))
                if k > 2 and ages[1] == 1 and n[1] == 4:
                    cd.append((1, a1))
            for i, a in cd:
                ax_closed[i] = a
                qx_closed[i] = nc[i] * mc[i] / (1.0 + (nc[i] - a) * mc[i])
    ax = np.append(ax_closed, 1.0 / m[-1])
    qx = np.append(qx_closed, 1.0)
    lx = radix * np.concatenate([[1.0], np.cumprod(1.0 - qx_closed)])
    dx = lx * qx
    Lx = np.empty(k)
    Lx[:-1] = n[:-1] * lx[1:] + ax_closed * dx[:-1]
    Lx[-1] = lx[-1] / m[-1]
    Tx = np.cumsum(Lx[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        ex = np.where(lx > 0, Tx / lx, 0.0)
    return pd.DataFrame(
        {"age": mx.index.astype(int), "n": n, "mx": m, "ax": ax, "qx": qx, "lx": lx, "dx": dx, "Lx": Lx, "Tx": Tx, "ex": ex}
    )


def survivorship_ratios(lt: pd.DataFrame, open_age: int, width: int = 5) -> pd.DataFrame:
    """Survivorship ratios between ``width``-year age groups from a life table.

    The life table's ``Lx`` are first summed into groups ``0, 5, ..., open_age+``
    (``5L0 = 1L0 + 4L1`` for an abridged table).  Returns one row per
    *starting* group plus the births row:

    * ``age = x`` (x = 0, ..., open_age - 2*width): ``S = 5L_{x+5} / 5L_x``
      (survival of the cohort aged x..x+4 into x+5..x+9 five years later);
    * ``age = open_age - width``: the last closed group and the open group
      together survive into the open group: ``S = T_{open} / T_{open-5}``
      (apply it to ``N_{open-5} + N_{open+}``);
    * ``age = -1`` (births): ``S_b = 5L_0 / (5 l_0)``.

    The life table must reach ``open_age`` (its own open age may be higher).
    """
    ages = lt["age"].to_numpy()
    if open_age % width or open_age not in ages:
        raise ValueError(f"open_age {open_age} is not a group boundary of the life table")
    edges = np.arange(0, open_age + width, width)
    group = np.searchsorted(edges, ages, side="right") - 1  # index of the width-group each row falls in
    group = np.minimum(group, len(edges) - 1)
    L = np.bincount(group, weights=lt["Lx"].to_numpy(), minlength=len(edges))
    # Tx at group starts
    T = np.cumsum(L[::-1])[::-1]
    rows = [{"age": -1, "S": L[0] / (width * lt["lx"].iloc[0])}]
    for i in range(len(edges) - 2):
        rows.append({"age": int(edges[i]), "S": L[i + 1] / L[i]})
    rows.append({"age": int(edges[-2]), "S": T[-1] / T[-2]})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------
# Fertility
# ----------------------------------------------------------------------------


def asfr_from_tfr(tfr, pasfr, width: int = 5):
    """Age-specific fertility rates (births per woman per year) from TFR and pattern.

    ``F_x = TFR x pASFR_x / 100 / width`` where ``pASFR`` is the WPP percent
    distribution of fertility by 5-year age group (sums to 100), so that
    ``width x sum_x F_x = TFR``.  Works on scalars, arrays or pandas objects
    (broadcasting).
    """
    pattern = np.asarray(pasfr, dtype=float) / 100.0 / width
    if np.ndim(tfr) == 0:
        return float(tfr) * pattern
    return np.asarray(tfr, dtype=float)[..., None] * pattern


def births(asfr, women_start, women_end, width: int = 5) -> float:
    """Births over a ``width``-year period: ``width x sum_x F_x (W_x(t) + W_x(t+width)) / 2``.

    ``asfr``, ``women_start``, ``women_end``: arrays aligned on the fertile age
    groups (Preston et al. 2001, eq. 6.3; women exposed = mean of the start-
    and end-of-period female populations in each age group).
    """
    asfr = np.asarray(asfr, dtype=float)
    return float(width * np.sum(asfr * (np.asarray(women_start, float) + np.asarray(women_end, float)) / 2.0))


def scale_tfr(tfr, target_tfr: float, reference_tfr: float):
    """Scale a TFR path to another population keeping the ratio constant.

    ``TFR_KP[t] = TFR_ref[t] x target_tfr / reference_tfr``.  For KP the
    ratio comes from one survey measuring both (:func:`survey_tfr_ratio`, data
    in ``data/raw/demography/pdhs_total_fertility.csv``): PDHS 2017-18, KP 4.0
    (KP Population Welfare Department, citing the PDHS; a second departmental
    page gives 4.1, kept and not chosen) over Pakistan 3.6 (PID release of the
    Key Indicators Report) = 1.111.  The earlier ratio, PDHS 2006-07 KP (excl.
    FATA) 4.3 / Pakistan 4.08 = 1.054 (low-confidence secondary copy), is kept
    in the same file for comparison.  Nothing is hard-coded here.
    """
    if reference_tfr <= 0 or target_tfr <= 0:
        raise ValueError("TFRs must be positive")
    return tfr * (target_tfr / reference_tfr)


PDHS_TFR_FILE = RAW / "demography" / "pdhs_total_fertility.csv"


def survey_tfr_ratio(period: str = "2017-18", file=None) -> dict:
    """KP and Pakistan TFR of one PDHS round and their ratio (the KP fertility scale).

    Reads the chosen rows of ``data/raw/demography/pdhs_total_fertility.csv``
    (long indicator table, one source per row, validated by
    :func:`spf_analysis.data.io.read_pdhs_tfr`).  Returns ``{"period", "kp",
    "pakistan", "ratio", "source"}`` with ``ratio = kp / pakistan``.
    """
    from spf_analysis.data import io as _io

    df = _io.read_pdhs_tfr(file or PDHS_TFR_FILE)
    sel = df[(df["indicator"] == "total_fertility_rate") & (df["period"] == period) & df["chosen"]]
    out = {}
    for key, geo in (("kp", "Khyber Pakhtunkhwa"), ("pakistan", "Pakistan")):
        r = sel[sel["geography"] == geo]
        if len(r) != 1:
            raise ValueError(f"{file or PDHS_TFR_FILE}: expected one chosen total_fertility_rate for {geo} {period}, found {len(r)}")
        out[key] = float(r["value"].iloc[0])
        out[key + "_source"] = f"{r['source_title'].iloc[0]}, {r['locator'].iloc[0]} ({r['source_url'].iloc[0]})"
    return {"period": period, "kp": out["kp"], "pakistan": out["pakistan"], "ratio": float(scale_tfr(1.0, out["kp"], out["pakistan"])),
            "source": f"PDHS {period}: KP {_tfr_text(out['kp'])} from {out['kp_source']}; Pakistan {_tfr_text(out['pakistan'])} from {out['pakistan_source']}"}


def _tfr_text(v: float) -> str:
    """4.0 -> '4.0', 4.08 -> '4.08' (as published, at least one decimal)."""
    s = f"{v:.2f}"
    return s[:-1] if s.endswith("0") else s


# ----------------------------------------------------------------------------
# Migration
# ----------------------------------------------------------------------------


def migration_by_age_sex(total, population: np.ndarray, pattern: np.ndarray | None = None) -> np.ndarray:
    """Spread ``total`` net migrants over a (sex, age) array.

    ``pattern=None``: proportionally to ``population`` (one net-migration rate
    for every age and sex -- WPP 2019 does not publish its age/sex migration
    pattern, so this is the neutral documented default).  Otherwise ``pattern``
    is an array of the same shape giving the share of migrants in each cell
    (normalised to sum to 1).
    """
    population = np.asarray(population, dtype=float)
    w = population if pattern is None else np.asarray(pattern, dtype=float)
    if w.shape != population.shape:
        raise ValueError("migration pattern must have the shape of the population array")
    s = w.sum()
    if s <= 0:
        raise ValueError("migration pattern sums to zero")
    return total * w / s


# ----------------------------------------------------------------------------
# Projection
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StepResult:
    """One 5-year step: end population (2, A), births by sex (2,), deaths by sex (2,)."""

    population: np.ndarray
    births: np.ndarray
    deaths: np.ndarray


def project_step(pop, S, Sb, asfr, fertile_index, srb, migrants=None) -> StepResult:
    """Advance a (sex, age) population array by one 5-year step.

    ``pop``: shape (2, A), rows (male, female), columns 5-year groups, last open.
    ``S``: shape (2, A-1); ``S[:, i]`` survives group i into group i+1
    (``S[:, A-2]`` is the open-group ratio applied to groups A-2 and A-1).
    ``Sb``: shape (2,), survival of births into 0-4.  ``asfr``: rates for the
    female groups ``fertile_index``.  ``srb``: males per female at birth.
    ``migrants``: (2, A) net migrants of the period by end-of-period age group
    (or None); a cohort receives ``M x (1 + S) / 2`` (mid-period moves).

    Deaths = cohort losses ``N (1 - S)`` plus the losses of the births and of
    the migrants, so that ``pop_end = pop_start + births + migrants - deaths``.
    """
    pop = np.asarray(pop, dtype=float)
    A = pop.shape[1]
    M = np.zeros_like(pop) if migrants is None else np.asarray(migrants, dtype=float)
    new = np.empty_like(pop)
    # cohort survival
    new[:, 1 : A - 1] = pop[:, : A - 2] * S[:, : A - 2]
    new[:, A - 1] = (pop[:, A - 2] + pop[:, A - 1]) * S[:, A - 2]
    # migrants moving at mid-period, exposed on average to half the survival loss
    s_end = np.concatenate([Sb[:, None], S], axis=1)  # survival factor leading into each end group
    new[:, 1:] += M[:, 1:] * (1.0 + s_end[:, 1:]) / 2.0
    # births: women exposed = mean of start and end female populations
    fem_end = new[1, fertile_index]
    total_births = births(asfr, pop[1, fertile_index], fem_end)
    b = np.array([total_births * srb / (1.0 + srb), total_births / (1.0 + srb)])
    new[:, 0] = b * Sb + M[:, 0] * (1.0 + Sb) / 2.0
    deaths = pop.sum(axis=1) + b + M.sum(axis=1) - new.sum(axis=1)
    return StepResult(population=new, births=b, deaths=deaths)


def _to_array(pop: pd.DataFrame, ages: np.ndarray) -> np.ndarray:
    """``population`` as a (sex, age) array, rows ``SEXES``, columns ``ages`` (summed over duplicate cells; NaN
    where a cell has no row)."""
    val = pop["population"].to_numpy(dtype=float)
    si = pd.Index(list(SEXES)).get_indexer(pop["sex"].to_numpy())
    ai = pd.Index(ages).get_indexer(pop["age"].to_numpy())
    keep = (si >= 0) & (ai >= 0)
    cell = si[keep] * len(ages) + ai[keep]
    if not np.isnan(val).any() and len(np.unique(cell)) == len(cell):  # one value a cell: the value (a projection)
        out = np.full(len(SEXES) * len(ages), np.nan)
        out[cell] = val[keep]
        return out.reshape(len(SEXES), len(ages))
    wide = pop.pivot_table(index="sex", columns="age", values="population", aggfunc="sum")
    return wide.reindex(index=list(SEXES), columns=ages).to_numpy(dtype=float)


def collapse_open_age(pop: pd.DataFrame, open_age: int) -> pd.DataFrame:
    """Merge all age groups at or above ``open_age`` into the open group ``open_age+``."""
    out = pop.copy()
    out["age"] = np.minimum(out["age"], open_age)
    keys = [c for c in out.columns if c != "population"]
    return out.groupby(keys, as_index=False)["population"].sum()


def rate_period(year: int, periods) -> int:
    """WPP period (start year) containing the mid-point ``year + 2.5`` of a 5-year step."""
    periods = np.sort(np.asarray(periods))
    i = np.searchsorted(periods, year + 2.5, side="right") - 1
    if i < 0:
        raise ValueError(f"no rates before {year}")
    return int(periods[i])


#: survival ratios already computed, by death rates, sex, open age and ax method: a calibration projects the same
#: periods with the same rates a hundred times (each entry a few hundred bytes)
_SURVIVAL: dict = {}


def _survival(m: pd.Series, sex: str, open_age: int, ax_method: str) -> tuple[np.ndarray, float]:
    """``S`` (cohort survival into each next group, the last the open group's) and ``Sb`` (births into 0-4) of
    the life table of the death rates ``m`` (:func:`life_table`, :func:`survivorship_ratios`)."""
    key = (sex, int(open_age), ax_method, m.index.to_numpy().tobytes(), str(m.index.dtype), m.to_numpy(dtype=float).tobytes())
    hit = _SURVIVAL.get(key)
    if hit is None:
        sr = survivorship_ratios(life_table(m, sex=sex, ax_method=ax_method), open_age)
        hit = (sr.loc[sr["age"] >= 0, "S"].to_numpy(), float(sr.loc[sr["age"] == -1, "S"].iloc[0]))
        if len(_SURVIVAL) >= 512:
            _SURVIVAL.clear()
        _SURVIVAL[key] = hit
    return hit[0].copy(), hit[1]


@dataclass(frozen=True)
class Projection:
    """Result of :func:`project`.

    ``population``: tidy ``year, sex, age, population`` at 5-year intervals
    (the base year included); ``components``: per period start and sex, the
    ``births``, ``deaths`` and ``net_migrants`` of the 5-year period.
    """

    population: pd.DataFrame
    components: pd.DataFrame


class _PeriodRates:
    """The rates of each projection period as arrays, computed once per period: ``S``, ``Sb`` (:func:`_survival`),
    the female groups' pattern of fertility and the sex ratio at birth.  ``mx_scale`` multiplies every death rate
    (the rates of one period and sex are read from ``mx`` and then scaled: the same numbers as scaling the frame)."""

    def __init__(self, mx: pd.DataFrame, tfr: pd.Series, pasfr: pd.DataFrame, srb: pd.Series, *, open_age: int,
                 fert_ages: np.ndarray, ax_method: str, mx_scale: float = 1.0):
        self.mx, self.tfr, self.pasfr, self.srb = mx, tfr, pasfr, srb
        self.open_age, self.fert_ages, self.ax_method, self.mx_scale = open_age, fert_ages, ax_method, mx_scale
        self.periods = np.sort(mx["period"].unique())
        self._done: dict = {}

    def __call__(self, p: int, tfr_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """``S`` (2, A-1), ``Sb`` (2,), the age-specific fertility rates of the fertile groups (the period's TFR x
        ``tfr_scale``) and the sex ratio at birth of period ``p``."""
        hit = self._done.get(p)
        if hit is None:
            mx = self.mx
            S = np.empty((2, self.open_age // 5))
            Sb = np.empty(2)
            for i, sex in enumerate(SEXES):
                m = mx[(mx["period"] == p) & (mx["sex"] == sex)].set_index("age")["mx"]
                if m.empty:
                    raise ValueError(f"no mx for period {p}, sex {sex}")
                if self.mx_scale != 1.0:
                    m = m * self.mx_scale
                S[i], Sb[i] = _survival(m, sex, self.open_age, self.ax_method)
            pat = self.pasfr[self.pasfr["period"] == p].set_index("age")["pasfr"].reindex(self.fert_ages)
            if pat.isna().any() or p not in self.tfr.index or p not in self.srb.index:
                raise ValueError(f"missing fertility or sex ratio at birth for period {p}")
            hit = self._done[p] = (S, Sb, pat.to_numpy(), float(self.tfr.loc[p]), float(self.srb.loc[p]))
        S, Sb, pat, tfr, srb = hit
        return S, Sb, asfr_from_tfr(tfr if tfr_scale == 1.0 else tfr * tfr_scale, pat), srb


def _project_arrays(pop: np.ndarray, t0: int, rates: _PeriodRates, fertile_index: np.ndarray, n_periods: int,
                    migrants, tfr_scale: float = 1.0) -> list[tuple[int, int, StepResult, np.ndarray]]:
    """The cohort-component steps of :func:`project` on (sex, age) arrays: per step ``(y, rate period, result,
    net migrants by sex)``.  ``migrants(y, p, pop)``: the (sex, age) net migrants of the step from ``y`` with the
    rates of period ``p`` (``None``: none)."""
    out = []
    for k in range(n_periods):
        y = t0 + 5 * k
        p = rate_period(y, rates.periods)
        S, Sb, asfr, srb = rates(p, tfr_scale)
        M = migrants(y, p, pop)
        res = project_step(pop, S, Sb, asfr, fertile_index, srb, M)
        out.append((y, p, res, np.zeros(2) if M is None else M.sum(axis=1)))
        pop = res.population
    return out


def _projection_frames(first: pd.DataFrame, steps, ages: np.ndarray) -> Projection:
    """:class:`Projection` of the start population ``first`` (tidy) and the steps of :func:`_project_arrays`."""
    A = len(ages)
    records = [first] + [pd.DataFrame({"year": y + 5, "sex": np.repeat(SEXES, A), "age": np.tile(ages, 2),
                                       "population": res.population.ravel()}) for y, _, res, _ in steps]
    comps = [pd.DataFrame({"period": y, "rate_period": p, "sex": list(SEXES), "births": res.births, "deaths": res.deaths,
                           "net_migrants": mig}) for y, p, res, mig in steps]
    return Projection(
        population=pd.concat(records, ignore_index=True),
        components=pd.concat(comps, ignore_index=True) if comps else pd.DataFrame(columns=["period", "sex", "births", "deaths", "net_migrants"]),
    )


def _base_arrays(base: pd.DataFrame, pasfr: pd.DataFrame) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Start year, ages, (sex, age) array, fertile ages and their columns of a tidy base population (checked)."""
    t0 = int(base["year"].iloc[0]) if "year" in base.columns else None
    if t0 is None:
        raise ValueError("base population needs a 'year' column")
    ages = np.sort(base["age"].unique())
    if not np.array_equal(ages, np.arange(0, ages.max() + 5, 5)):
        raise ValueError("base population must be in 5-year groups 0, 5, ..., open")
    fert_ages = np.sort(pasfr["age"].unique())
    fertile_index = np.searchsorted(ages, fert_ages)
    if not np.array_equal(ages[fertile_index], fert_ages):
        raise ValueError("fertility age groups must be 5-year groups of the base population")
    return t0, ages, _to_array(base, ages), fert_ages, fertile_index


def project(
    base: pd.DataFrame,
    mx: pd.DataFrame,
    tfr: pd.Series,
    pasfr: pd.DataFrame,
    srb: pd.Series,
    migration: pd.Series | None = None,
    *,
    n_periods: int,
    migration_pattern: pd.DataFrame | None = None,
    ax_method: str = "coale_demeny",
) -> Projection:
    """Cohort-component projection in 5-year steps.

    ``base``: tidy ``sex, age, population`` (+ ``year``, the start year t0) in
    5-year groups; its last group is the open age group of the projection.
    ``mx``: tidy ``period, sex, age, mx`` (abridged ages, open age >= base's);
    ``tfr``: Series by period; ``pasfr``: tidy ``period, age, pasfr``;
    ``srb``: Series by period (males per female); ``migration``: Series by
    period of total net migrants over the period (None = closed population);
    ``migration_pattern``: optional tidy ``sex, age, share`` (see
    :func:`migration_by_age_sex`); by default a period's migrants are spread in
    proportion to the start-of-period population of each age group and sex,
    and counted in the same age group at the end of the period.  Period ``p`` rates take the population
    from ``p`` to ``p + 5``.  When the base year is not a WPP period start
    (e.g. the 2023 census), the step ``y -> y + 5`` uses the rates of the
    period containing its mid-point ``y + 2.5`` (:func:`rate_period`); the
    components frame records both ``period`` (= y) and ``rate_period``.
    """
    t0, ages, pop, fert_ages, fertile_index = _base_arrays(base, pasfr)
    A = len(ages)
    pattern = None
    if migration_pattern is not None:
        pattern = _to_array(migration_pattern.rename(columns={"share": "population"}), ages)
    rates = _PeriodRates(mx, tfr, pasfr, srb, open_age=int(ages.max()), fert_ages=fert_ages, ax_method=ax_method)

    def migrants(y, p, pop):
        if migration is None:
            return None
        if p not in migration.index:
            raise ValueError(f"no net migration for period {p}")
        return migration_by_age_sex(float(migration.loc[p]), pop, pattern)

    steps = _project_arrays(pop, t0, rates, fertile_index, n_periods, migrants)
    first = pd.DataFrame({"year": t0, "sex": np.repeat(SEXES, A), "age": np.tile(ages, 2), "population": pop.ravel()})
    return _projection_frames(first, steps, ages)


def project_wpp2019(base_year: int, n_periods: int, *, open_age: int | None = None, tfr_scale: float = 1.0, base: pd.DataFrame | None = None, with_migration: bool = True) -> Projection:
    """Project with WPP 2019 rates for Pakistan (estimates, then the medium variant).

    ``base`` defaults to the WPP 2019 population of ``base_year``; pass another
    base (e.g. :func:`read_kp_census_population`) to project it with Pakistan's
    rates.  ``tfr_scale`` multiplies the TFR path (see :func:`scale_tfr`).
    ``with_migration``: WPP's national net migration (set False for a province,
    whose inter-provincial and international migration WPP does not give).
    """
    if base is None:
        pop = read_wpp_population()
        base = pop[pop["year"] == base_year].copy()
    base = base.copy()
    base["year"] = base_year
    if open_age is not None:
        base = collapse_open_age(base, open_age)
    return project(
        base,
        read_wpp_mx(),
        read_wpp_tfr() * tfr_scale,
        read_wpp_asfr_pattern(),
        read_wpp_srb(),
        read_wpp_migration() if with_migration else None,
        n_periods=n_periods,
    )


# ----------------------------------------------------------------------------
# Annual and single-age interpolation
# ----------------------------------------------------------------------------


def interpolate_annual(population: pd.DataFrame, years=None) -> pd.DataFrame:
    """Single calendar years between 5-yearly projections (per sex and age cell).

    Exponential interpolation: ``N(t+k) = N(t) (N(t+5)/N(t))^(k/5)`` (linear
    if a cell is zero at either end).  Cohorts are not shifted within the
    5 years -- the usual RAP approximation; fine for group totals.  ``years``
    defaults to every year from the first to the last projected year.
    """
    pop = population.sort_values("year")
    knots = np.sort(pop["year"].unique())
    if years is None:
        years = np.arange(knots[0], knots[-1] + 1)
    years = np.asarray(years, dtype=int)
    if years.min() < knots[0] or years.max() > knots[-1]:
        raise ValueError(f"years must lie within {knots[0]}-{knots[-1]}")
    wide = pop.pivot_table(index="year", columns=["sex", "age"], values="population").reindex(knots)
    vals = wide.to_numpy()
    j = np.clip(np.searchsorted(knots, years, side="right") - 1, 0, len(knots) - 2)
    t_lo, t_hi = knots[j], knots[j + 1]
    frac = ((years - t_lo) / (t_hi - t_lo))[:, None]
    lo, hi = vals[j], vals[j + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        geo = lo * np.power(hi / lo, frac)
    lin = lo + (hi - lo) * frac
    out = np.where((lo > 0) & (hi > 0), geo, lin)
    res = pd.DataFrame(out, index=pd.Index(years, name="year"), columns=wide.columns)
    long = res.stack(["sex", "age"], future_stack=True).rename("population").reset_index()
    return long[["year", "sex", "age", "population"]].sort_values(["year", "sex", "age"]).reset_index(drop=True)


def to_single_ages(population: pd.DataFrame, width: int = 5) -> pd.DataFrame:
    """Split 5-year age groups into single years of age (open group kept open).

    A monotone (PCHIP) spline is passed through the cumulative population at
    the group boundaries 0, 5, ..., open_age and differenced at integer ages
    (DemoTools ``graduate_mono``, Riffe et al.).  Group totals are preserved
    exactly and single-age counts are never negative.  The open group keeps
    its label ``open_age`` (meaning ``open_age+``).
    """
    from scipy.interpolate import PchipInterpolator

    keys = [c for c in population.columns if c not in ("age", "population")]
    ages = np.sort(population["age"].unique())
    open_age = int(ages.max())
    single = np.arange(0, open_age + 1)
    wide = population.pivot_table(index=keys, columns="age", values="population").reindex(columns=ages)
    vals = wide.to_numpy(dtype=float)
    closed = vals[:, :-1]
    cum = np.concatenate([np.zeros((len(vals), 1)), np.cumsum(closed, axis=1)], axis=1)
    x = np.arange(0, open_age + 1, width, dtype=float)
    spline = PchipInterpolator(x, cum, axis=1)
    F = spline(np.arange(0, open_age + 1, dtype=float))
    counts = np.diff(F, axis=1)
    counts = np.concatenate([counts, vals[:, -1:]], axis=1)
    res = pd.DataFrame(counts, index=wide.index, columns=pd.Index(single, name="age"))
    long = res.stack(future_stack=True).rename("population").reset_index()
    return long[keys + ["age", "population"]].sort_values(keys + ["age"]).reset_index(drop=True)


def broad_groups(population: pd.DataFrame, bounds=(0, 15, 65)) -> pd.DataFrame:
    """Sum a tidy population into broad age groups (default 0-14, 15-64, 65+)."""
    labels = [f"{a}-{b - 1}" for a, b in zip(bounds[:-1], bounds[1:])] + [f"{bounds[-1]}+"]
    idx = np.searchsorted(np.asarray(bounds), population["age"].to_numpy(), side="right") - 1
    out = population.assign(age_group=np.asarray(labels, dtype=object)[idx])
    keys = [c for c in out.columns if c not in ("age", "population", "age_group")]
    return out.groupby(keys + ["age_group"], as_index=False)["population"].sum()


def annual_births(components: pd.DataFrame, years, width: int = 5) -> pd.Series:
    """Births per calendar year from the 5-year projection components.

    Each period's births / ``width`` is the mean annual number, placed at the
    period mid-point ``period + width/2``; calendar year ``y`` (taken at its
    mid-point ``y + 0.5``) is linearly interpolated between mid-points and held
    flat beyond the first/last one.  Both sexes summed.  Used for the
    maternity benefit (eligible = births x p).
    """
    per = components.groupby("period")["births"].sum().sort_index()
    mid = per.index.to_numpy(dtype=float) + width / 2.0
    vals = per.to_numpy(dtype=float) / width
    years = np.asarray(years, dtype=int)
    out = np.interp(years + 0.5, mid, vals)
    return pd.Series(out, index=pd.Index(years, name="year"), name="births")


# ----------------------------------------------------------------------------
# KP projection for the costing (census 2023 base, calibrated on 2017 -> 2023)
# ----------------------------------------------------------------------------

#: Official census totals of KP incl. merged ex-FATA districts (persons).
#: 2017: PBS Census 2017 final, KP 30,508,920 + ex-FATA 4,993,044 (reference
#: README / indicators.csv, derived sum); 2023: PBS Census 2023, 35 districts.
KP_CENSUS_TOTALS = {2017: 35_501_964.0, 2023: 40_856_097.0}
#: Census reference dates differ by six years (both counted in spring).
KP_INTERCENSAL_YEARS = 6.0


def kp_base_population(year: int = 2023, rescale: bool = True) -> pd.DataFrame:
    """KP census population by sex and 5-year age (75+), rescaled to the official total.

    The age tables omit transgender persons and (2023) sum to 40,641,120,
    0.53% below the official 40,856,097; with ``rescale`` every cell is
    multiplied by ``official / table sum`` (shares from the age table, total
    from the official figure -- the rule stated in the project README).
    """
    pop = read_kp_census_population(year)
    if rescale:
        pop = pop.assign(population=pop["population"] * KP_CENSUS_TOTALS[year] / pop["population"].sum())
    return pop


def project_rate_migration(base: pd.DataFrame, n_periods: int, *, tfr_scale: float = 1.0, migration_rate: float = 0.0,
                           mx_scale: float = 1.0, rates: dict | None = None) -> Projection:
    """Cohort-component projection with WPP 2019 Pakistan rates and a constant net migration *rate*.

    ``migration_rate``: annual net migrants as a share of the start-of-period
    population (all ages and sexes alike; 5-year total = ``5 x rate x N(t)``).
    ``tfr_scale`` multiplies the WPP TFR path (KP fertility above Pakistan's);
    ``mx_scale`` multiplies every death rate (mortality sensitivity).
    ``rates``: optional pre-read WPP inputs (``mx, tfr, pasfr, srb``) to save
    reading the files in loops.
    """
    r = rates or wpp_rates()
    t0, ages, pop, rates_p, fertile_index = _kp_arrays(base, r, mx_scale)
    steps = _project_arrays(pop, t0, rates_p, fertile_index, n_periods, _rate_migrants(base, migration_rate), tfr_scale)
    return _projection_frames(base[["year", "sex", "age", "population"]], steps, ages)


def _kp_arrays(base: pd.DataFrame, r: dict, mx_scale: float):
    """Start year, ages, (sex, age) array, :class:`_PeriodRates` (WPP rates, death rates x ``mx_scale``) and fertile
    columns of a projection of ``base`` by :func:`project_rate_migration`."""
    t0, ages, pop, fert_ages, fertile_index = _base_arrays(base, r["pasfr"])
    rates = _PeriodRates(r["mx"], r["tfr"], r["pasfr"], r["srb"], open_age=int(ages.max()), fert_ages=fert_ages,
                         ax_method="coale_demeny", mx_scale=mx_scale)
    return t0, ages, pop, rates, fertile_index


def _rate_migrants(base: pd.DataFrame, migration_rate: float):
    """Net migrants of a step at ``migration_rate`` a year: ``5 x rate x N(t)`` spread over the start population
    (the first step's total summed over ``base`` in its own order, as a tidy frame would be)."""
    first = base["population"].sum()

    def migrants(y, p, pop):
        n = first if y == int(base["year"].iloc[0]) else pop.ravel().sum()
        return migration_by_age_sex(5.0 * migration_rate * n, pop, None)
    return migrants


def wpp_rates() -> dict:
    """WPP 2019 Pakistan rate inputs read once: ``mx, tfr, pasfr, srb``."""
    return {"mx": read_wpp_mx(), "tfr": read_wpp_tfr(), "pasfr": read_wpp_asfr_pattern(), "srb": read_wpp_srb()}


def _population_at(proj: Projection, year: float) -> pd.DataFrame:
    """Population at a (possibly fractional) year by exponential interpolation between 5-year knots."""
    pop = proj.population
    knots = np.sort(pop["year"].unique())
    lo = knots[np.searchsorted(knots, year, side="right") - 1]
    hi = lo + 5
    a = pop[pop["year"] == lo].set_index(["sex", "age"])["population"]
    b = pop[pop["year"] == hi].set_index(["sex", "age"])["population"]
    f = (year - lo) / 5.0
    return (a * (b / a) ** f).rename("population").reset_index()


@dataclass(frozen=True)
class KPCalibration:
    """Result of :func:`calibrate_kp`: the KP fertility scale and net migration rate."""

    tfr_scale: float
    migration_rate: float
    target_total: float
    target_0_4: float
    projected_total: float
    projected_0_4: float
    closed_growth: float  # annual growth 2017-2023 with tfr_scale and no migration


def calibrate_kp(rates: dict | None = None, *, tfr_scale: float | None = None, mx_scale: float = 1.0) -> KPCalibration:
    """Calibrate KP fertility and net migration so that 2017 -> 2023 reproduces the 2023 census.

    Project the 2017 census (KP incl. ex-FATA, rescaled to 35,501,964) six
    years with Pakistan's WPP 2019 mortality and age pattern of fertility and
    choose (i) the TFR scale so that the children aged 0-4 in 2023 (all born
    after the 2017 census) match the 2023 census count, and (ii) the constant
    net migration rate so that the total matches the official 40,856,097
    (2.38% a year).  Pass ``tfr_scale`` to fix fertility and calibrate only
    migration.  The migration rate absorbs everything else that differs
    between the two counts (net migration, Afghan residents -- 939,878 were
    counted in KP in 2023 -- and differences in census coverage); it is a
    calibration term, not an estimate of migration.
    """
    from scipy.optimize import brentq

    r = rates or wpp_rates()
    base17 = kp_base_population(2017)
    base23 = kp_base_population(2023)
    target_total = base23["population"].sum()
    target_04 = base23.loc[base23["age"] == 0, "population"].sum()
    t_end = 2017 + KP_INTERCENSAL_YEARS

    # the projection of project_rate_migration on arrays (a hundred runs): two 5-year steps, the population of
    # t_end (2023) between the knots 2022 and 2027, as _population_at takes it
    t0, _, pop17, rates17, fertile_index = _kp_arrays(base17, r, mx_scale)
    if not t0 + 5 < t_end < t0 + 10:
        raise ValueError(f"the intercensal interval must fall in the second 5-year step, not {t_end - t0} years")

    def run(ts, m):
        steps = _project_arrays(pop17, t0, rates17, fertile_index, 2, _rate_migrants(base17, m), ts)
        a, b = steps[0][2].population, steps[1][2].population
        return a * (b / a) ** ((t_end - (t0 + 5)) / 5.0)  # (sex, age), rows SEXES; column 0 = ages 0-4

    def solve_m(ts):
        return brentq(lambda m: run(ts, m).ravel().sum() - target_total, -0.06, 0.06, xtol=1e-9)

    if tfr_scale is None:
        def f(ts):
            p = run(ts, solve_m(ts))
            return p[0, 0] + p[1, 0] - target_04
        tfr_scale = brentq(f, 0.7, 1.8, xtol=1e-6)
    m = solve_m(tfr_scale)
    p = run(tfr_scale, m)
    closed = run(tfr_scale, 0.0).ravel().sum()
    return KPCalibration(
        tfr_scale=float(tfr_scale), migration_rate=float(m), target_total=float(target_total), target_0_4=float(target_04),
        projected_total=float(p.ravel().sum()), projected_0_4=float(p[0, 0] + p[1, 0]),
        closed_growth=float((closed / base17["population"].sum()) ** (1 / KP_INTERCENSAL_YEARS) - 1),
    )


def project_kp(end_year: int, *, tfr_scale: float, migration_rate: float, mx_scale: float = 1.0, rates: dict | None = None,
               base_year: int = 2023) -> dict:
    """KP projection from the 2023 census for the costing: single years of age and calendar years.

    Returns ``{"population": tidy year, sex, age (0..75, 75 = 75+), population
    for base_year..end_year; "births": Series by year; "projection": the
    5-yearly :class:`Projection`}``.
    """
    n = int(np.ceil((end_year - base_year) / 5))
    proj = project_rate_migration(kp_base_population(base_year), n, tfr_scale=tfr_scale, migration_rate=migration_rate,
                                  mx_scale=mx_scale, rates=rates)
    years = np.arange(base_year, end_year + 1)
    annual = interpolate_annual(proj.population, years)
    single = to_single_ages(annual)
    return {"population": single, "births": annual_births(proj.components, years), "projection": proj}


# ----------------------------------------------------------------------------
# Consistency with the 2023 census and comparison with UN WPP 2024
# ----------------------------------------------------------------------------

#: Largest relative gap allowed between the projection's births and children 0-4 in the base
#: year and the census (the acceptance criterion of the projection, issue 12).
CENSUS_TOLERANCE = 0.05

def census_implied_births(year: int = 2023, rates: dict | None = None) -> float:
    """Mean annual births of the five years before a census, from its children aged 0-4.

    Reverse survival (Preston, Heuveline & Guillot 2001, ch. 6; UN Manual X, 1983, ch. VIII):
    ``B = sum_sex N_0-4,sex / (5 x S_b,sex)`` with ``S_b = 5L0 / (5 l0)`` the survival of births
    into ages 0-4 of the WPP 2019 life table of the period containing the five years' mid-point.
    The census count is the age table rescaled to the official total (:func:`kp_base_population`).
    """
    r = rates or wpp_rates()
    mx = r["mx"]
    p = rate_period(year - 5, np.sort(mx["period"].unique()))
    base = kp_base_population(year)
    out = 0.0
    for sex in SEXES:
        m = mx[(mx["period"] == p) & (mx["sex"] == sex)].set_index("age")["mx"]
        sb = survivorship_ratios(life_table(m, sex=sex), 75).query("age == -1")["S"].iloc[0]
        out += base.loc[(base["sex"] == sex) & (base["age"] == 0), "population"].sum() / (5.0 * sb)
    return float(out)


def census_check(births: float, children_0_4: float, year: int = 2023, rates: dict | None = None,
                 tolerance: float = CENSUS_TOLERANCE) -> pd.DataFrame:
    """A calibration's births and children 0-4 against the census of ``year``.

    ``births``: the projection's births in the census year (:func:`base_year_births`), compared with
    the census-implied births (:func:`census_implied_births`); ``children_0_4``: the children aged
    0-4 that the previous census, projected to ``year``, gives (:class:`KPCalibration`
    ``projected_0_4``; the projection from ``year`` starts from the census itself), compared with
    the census count. Columns ``quantity, projected, census, gap`` (projected / census - 1) and
    ``within`` (``|gap| <= tolerance``).
    """
    base = kp_base_population(year)
    rows = [("births", float(births), census_implied_births(year, rates)),
            ("children_0_4", float(children_0_4), float(base.loc[base["age"] == 0, "population"].sum()))]
    out = pd.DataFrame(rows, columns=["quantity", "projected", "census"])
    out["gap"] = out["projected"] / out["census"] - 1.0
    out["within"] = out["gap"].abs() <= tolerance
    return out


def base_year_births(tfr_scale: float, migration_rate: float, *, base_year: int = 2023, rates: dict | None = None) -> float:
    """Annual births of the first 5-year step from the census (the base year's births of
    :func:`project_kp` for this fertility scale and migration rate)."""
    proj = project_rate_migration(kp_base_population(base_year), 1, tfr_scale=tfr_scale, migration_rate=migration_rate,
                                  rates=rates)
    return float(annual_births(proj.components, [base_year]).iloc[0])


def kp_tfr(tfr_scale: float, years, rates: dict | None = None) -> pd.Series:
    """KP's TFR in each calendar year of the projection: the scale times WPP 2019 Pakistan's TFR
    of the 5-year period containing the year."""
    tfr = (rates or wpp_rates())["tfr"]
    years = np.asarray(years, dtype=int)
    periods = np.sort(tfr.index.to_numpy())
    idx = periods[np.searchsorted(periods, years, side="right") - 1]
    return pd.Series(tfr_scale * tfr.reindex(idx).to_numpy(), index=pd.Index(years, name="year"), name="tfr")


def read_wpp2024_indicators() -> pd.DataFrame:
    """UN WPP 2024 Pakistan, medium variant after 2023, by calendar year: ``births`` (persons),
    ``cbr`` (births per 1,000 population), ``tfr``. From the extracts ``misc1dt``,
    ``miscproj1dt``, ``tfr1dt``, ``tfrproj1dt`` in ``data/raw/un_wpp`` (checked by
    :func:`spf_analysis.data.io.read_wpp2024`)."""
    from spf_analysis.data import io as _io

    misc = pd.concat([_io.read_wpp2024(n)[["year", "births", "cbr"]] for n in ("misc1dt", "miscproj1dt")])
    tfr = pd.concat([_io.read_wpp2024(n)[["year", "tfr"]] for n in ("tfr1dt", "tfrproj1dt")])
    out = misc.merge(tfr, on="year").astype({"year": int}).set_index("year").sort_index()
    out["births"] = out["births"] * 1000.0  # thousands -> persons
    return out


def wpp2019_child_shares(years) -> pd.DataFrame:
    """Shares of ages 0-4 and 0-14 in Pakistan's population, UN WPP 2019 (estimates to 2020, medium
    variant after; calendar years between the 5-yearly figures interpolated exponentially)."""
    pop = interpolate_annual(read_wpp_population(), years)
    tot = pop.groupby("year")["population"].sum()
    return pd.DataFrame({"share_0_4": pop[pop["age"] < 5].groupby("year")["population"].sum() / tot,
                         "share_0_14": pop[pop["age"] < 15].groupby("year")["population"].sum() / tot})


def wpp_comparison(population: pd.DataFrame, births: pd.Series, tfr_scale: float, years, rates: dict | None = None) -> pd.DataFrame:
    """The KP projection against UN WPP Pakistan in ``years``: births per 1,000 population and TFR
    (WPP 2024, medium variant), shares of children 0-4 and 0-14 (KP; Pakistan from WPP 2019, the
    only WPP age structure in ``data/raw/un_wpp``: the WPP 2024 extracts obtained hold no population
    by age)."""
    years = list(years)
    pop = population[population["year"].isin(years)]
    tot = pop.groupby("year")["population"].sum()
    wpp = read_wpp2024_indicators().reindex(years)
    w19 = wpp2019_child_shares(years)
    out = pd.DataFrame({
        "kp_cbr": births.reindex(years).to_numpy() / tot.reindex(years).to_numpy() * 1000.0,
        "pakistan_cbr_wpp2024": wpp["cbr"].to_numpy(),
        "kp_tfr": kp_tfr(tfr_scale, years, rates).to_numpy(),
        "pakistan_tfr_wpp2024": wpp["tfr"].to_numpy(),
        "kp_share_0_4": (pop[pop["age"] < 5].groupby("year")["population"].sum() / tot).reindex(years).to_numpy(),
        "pakistan_share_0_4_wpp2019": w19["share_0_4"].reindex(years).to_numpy(),
        "kp_share_0_14": (pop[pop["age"] < 15].groupby("year")["population"].sum() / tot).reindex(years).to_numpy(),
        "pakistan_share_0_14_wpp2019": w19["share_0_14"].reindex(years).to_numpy(),
    }, index=pd.Index(years, name="year"))
    return out
