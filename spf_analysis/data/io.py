"""Raw-data readers: read a CSV from ``data/raw/``, check it against a schema,
and stop with a clear error that names file, column and line.

Every reader returns a typed, tidy :class:`pandas.DataFrame`. Processed tables
are written to ``data/processed/`` by :func:`build_processed` (``make data``),
atomically: all inputs are read and validated first, then each output is
written to a temporary name and moved into place, so a bad input leaves
``data/processed/`` exactly as it was.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from spf_analysis.config import paths
from spf_analysis.config.fsutil import transaction
from spf_analysis.config.steps import run_step


class InputError(ValueError):
    """A raw input is missing, unreadable or breaks its schema.

    The message names the file (relative to the repository), and where it
    applies the column and the line of the CSV (header = line 1).
    """

    def __init__(self, file: Path | str, message: str, column: str | None = None,
                 line: int | None = None):
        self.file = _rel(file)
        self.column = column
        self.line = line
        where = [self.file]
        if column is not None:
            where.append(f"column '{column}'")
        if line is not None:
            where.append(f"line {line}")
        super().__init__(f"{', '.join(where)}: {message}")


def _rel(file: Path | str) -> str:
    p = Path(file)
    try:
        return str(p.resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(p)


# --------------------------------------------------------------------------- schema
@dataclass(frozen=True)
class Col:
    """One column of a raw table.

    ``kind`` is ``int``, ``float`` or ``str``. ``na`` lists strings that mean
    "not available" in this column (e.g. PBS prints ``-``); any other empty or
    non-parsable cell in a non-nullable column is an error.
    """

    name: str
    kind: str = "str"
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    allowed: tuple | None = None
    na: tuple = ()


@dataclass(frozen=True)
class Schema:
    name: str
    columns: tuple[Col, ...]
    key: tuple[str, ...] = ()
    extra_ok: bool = True  # extra columns (e.g. provenance notes) are allowed
    checks: tuple = field(default=())  # callables(df, file) raising InputError
    min_rows: int = 1  # a header-only (or truncated-to-the-header) file is an error


#: Text that pandas reads as a number but that is not a finite one.
NON_FINITE = frozenset({"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity",
                        "nan", "+nan", "-nan"})
#: Largest whole number stored exactly (float64 mantissa; Int64 holds up to 2**63 - 1, but a
#: value read through a float is exact only up to 2**53).
MAX_WHOLE = 2 ** 53


SOURCE_COLS = (Col("source_title"), Col("source_url"))


def _line(df: pd.DataFrame, idx) -> int:
    """CSV line of a row index (header is line 1, first data row line 2)."""
    return int(df.index.get_loc(idx)) + 2


def _first(mask: np.ndarray, df: pd.DataFrame):
    """Row index of the first ``True`` of ``mask`` (one value per row of ``df``)."""
    return df.index[int(np.flatnonzero(mask)[0])]


def validate(df: pd.DataFrame, schema: Schema, file: Path | str) -> pd.DataFrame:
    """Check and type ``df`` (as read with ``dtype=str``) against ``schema``.

    The cells of the schema's columns are stripped and cleaned as one series (the columns one
    after the other): a pandas string operation costs about as much on 20 cells as on 2,000, and
    a WPP extract has 30 columns of 22 rows. Each column is then parsed and checked on its own,
    in schema order, so the first bad cell is the one named, as column by column."""
    missing = [c.name for c in schema.columns if c.name not in df.columns]
    if missing:
        raise InputError(file, f"missing column(s) {missing}; found {list(df.columns)}",
                         column=missing[0])
    if len(df) < schema.min_rows:
        raise InputError(file, "no data rows (the file holds only its header)" if len(df) == 0 else
                         f"{len(df)} data row(s), expected at least {schema.min_rows}",
                         line=len(df) + 2)
    out = df.copy()
    n = len(df)
    cells = pd.concat([df[c.name] for c in schema.columns], ignore_index=True)
    stripped = cells.astype("string").str.strip()
    na = (cells.isna() | stripped.isin(("",))).to_numpy(copy=True)
    for i, col in enumerate(schema.columns):
        if col.na:
            na[i * n:(i + 1) * n] |= stripped.iloc[i * n:(i + 1) * n].isin(col.na).to_numpy()
    kept = cells.where(~na).astype("string")  # not available: <NA>
    texts = kept.str.strip()
    numeric = [c.kind in ("int", "float") for c in schema.columns]
    if any(numeric):
        numbers = kept.str.replace(",", "", regex=False).str.strip()
        non_finite = numbers.str.lower().isin(NON_FINITE).fillna(False).to_numpy()
    for i, col in enumerate(schema.columns):
        rows = slice(i * n, (i + 1) * n)
        raw = df[col.name]
        is_na = na[rows]
        if not col.nullable and is_na.any():
            raise InputError(file, "empty or missing value in a required column",
                             column=col.name, line=_line(out, _first(is_na, out)))
        if numeric[i]:
            inf = non_finite[rows]
            if inf.any():
                idx = _first(inf, out)
                raise InputError(file, f"not a finite number: {raw[idx]!r}", column=col.name,
                                 line=_line(out, idx))
            num = pd.to_numeric(numbers.iloc[rows], errors="coerce").astype("float64").to_numpy()
            bad = (np.isnan(num) & ~is_na) | np.isinf(num)
            if bad.any():
                idx = _first(bad, out)
                word = "not a number" if np.isnan(num[bad][0]) else "not a finite number"
                raise InputError(file, f"{word}: {raw[idx]!r}", column=col.name,
                                 line=_line(out, idx))
            # range first, on the float values: a cast to Int64 of a too-large value overflows
            if col.min is not None and (num < col.min).any():
                idx = _first(num < col.min, out)
                raise InputError(file, f"value {raw[idx]!r} is below the minimum {col.min}",
                                 column=col.name, line=_line(out, idx))
            if col.max is not None and (num > col.max).any():
                idx = _first(num > col.max, out)
                raise InputError(file, f"value {raw[idx]!r} is above the maximum {col.max}",
                                 column=col.name, line=_line(out, idx))
            if col.kind == "int":
                frac = ~np.isnan(num) & (num != np.round(num))
                if frac.any():
                    idx = _first(frac, out)
                    raise InputError(file, f"not a whole number: {raw[idx]!r}",
                                     column=col.name, line=_line(out, idx))
                big = np.abs(num) > MAX_WHOLE
                if big.any():
                    idx = _first(big, out)
                    raise InputError(file, f"value {raw[idx]!r} is too large for a whole number "
                                     f"(limit {MAX_WHOLE:,})", column=col.name,
                                     line=_line(out, idx))
                out[col.name] = pd.Series(num, index=out.index).astype("Int64")
            else:
                out[col.name] = num
        else:
            out[col.name] = texts.iloc[rows].set_axis(out.index)
        if col.allowed is not None:
            bad = out[col.name].notna() & ~out[col.name].isin(col.allowed)
            if bad.any():
                idx = bad[bad].index[0]
                raise InputError(file, f"unknown value {out[col.name][idx]!r}; "
                                 f"expected one of {sorted(map(str, col.allowed))}",
                                 column=col.name, line=_line(out, idx))
    if schema.key:
        dup = out.duplicated(list(schema.key), keep="first")
        if dup.any():
            idx = dup[dup].index[0]
            keyval = tuple(out.loc[idx, list(schema.key)])
            raise InputError(file, f"duplicate key {dict(zip(schema.key, keyval))}",
                             column=",".join(schema.key), line=_line(out, idx))
    for check in schema.checks:
        check(out, file)
    return out


def read_csv(file: Path | str, schema: Schema, sep: str = ",") -> pd.DataFrame:
    """Read a raw CSV (``sep="\t"``: a tab-separated file) as text, then validate and type it."""
    file = Path(file)
    if not file.exists():
        raise InputError(file, "file not found")
    try:
        # an empty cell is missing (NaN), nothing else is ("NA", "nan", "-" are text here)
        df = pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""], sep=sep,
                         encoding="utf-8", encoding_errors="strict")
    except UnicodeDecodeError as e:
        raise InputError(file, f"not valid UTF-8 (byte offset {e.start}); "
                         "re-save the file as UTF-8") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        kind = "CSV" if sep == "," else "a tab-separated table"
        raise InputError(file, f"cannot be parsed as {kind}: {e}") from None
    return validate(df, schema, file)


# --------------------------------------------------------------------------- census
AGE_GROUPS = ("00-04", "05-09", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39",
              "40-44", "45-49", "50-54", "55-59", "60-64", "65-69", "70-74", "75+")
SEXES = {"both (incl. transgender)": "both", "male": "male", "female": "female",
         "transgender": "transgender"}
AREAS = ("total", "rural", "urban")
#: Upper bound of any census population count: Pakistan's Census 2023 total is 241.5 million
#: (PBS, 7th Population and Housing Census 2023); no KP cell, district or province can exceed it.
MAX_POPULATION = 300_000_000

#: Short codes for the aggregate geographies of the census age tables.
GEOGRAPHIES = {
    "Khyber Pakhtunkhwa (25 districts incl. Malakand PA; excl. ex-FATA)": "kp_settled_2017",
    "Ex-FATA (7 agencies + 6 FRs; now merged districts of KP)": "ex_fata_2017",
    "Khyber Pakhtunkhwa incl. ex-FATA (38 units, 2017 boundaries)": "kp_merged_2017",
    "Khyber Pakhtunkhwa (35 districts, incl. merged ex-FATA districts)": "kp_35_2023",
}

AGE_SEX_SCHEMA = Schema(
    "census population by age, sex and area",
    columns=(
        Col("geography"),
        Col("year", "int", min=1950, max=2030),
        Col("age_group", allowed=("All ages",) + AGE_GROUPS),
        Col("sex", allowed=tuple(SEXES)),
        Col("urban_rural", allowed=AREAS),
        Col("population", "int", min=0, max=MAX_POPULATION),
    ) + SOURCE_COLS,
    key=("geography", "year", "age_group", "sex", "urban_rural"),
)

DISTRICT_TOTALS_SCHEMA = Schema(
    "census district totals (PBS Table 1)",
    columns=(
        Col("unit"), Col("level"), Col("division", nullable=True), Col("region"),
        Col("year", "int", min=1950, max=2030),
        Col("population", "int", min=0, max=MAX_POPULATION),
        Col("male", "int", nullable=True, min=0, max=MAX_POPULATION),
        Col("female", "int", nullable=True, min=0, max=MAX_POPULATION),
        Col("transgender", "int", nullable=True, min=0, max=MAX_POPULATION, na=("-",)),
        Col("area_sq_km", "float", nullable=True, min=0),
        Col("urban_share_pct", "float", nullable=True, min=0, max=100, na=("-",)),
        Col("avg_household_size", "float", nullable=True, min=1, max=30, na=("-",)),
        Col("population_1998", "int", nullable=True, min=0, max=MAX_POPULATION),
        Col("avg_annual_growth_pct", "float", nullable=True, min=-20, max=20),
        Col("growth_period", nullable=True),
    ) + SOURCE_COLS,
    key=("unit", "region", "year"),
)

CROSSWALK_SCHEMA = Schema(
    "district crosswalk 2017 -> 2023",
    columns=(Col("unit_2017"), Col("status_2017"), Col("district_2023"),
             Col("harmonised_unit"), Col("change")) + SOURCE_COLS + (Col("locator"),),
    key=("unit_2017", "district_2023"),
)

RAW_CENSUS = paths.RAW / "census"
#: Census year of each aggregate geography (the codes end in it).
GEOGRAPHY_YEARS = {"kp_settled_2017": 2017, "ex_fata_2017": 2017, "kp_merged_2017": 2017,
                   "kp_35_2023": 2023}
#: The cells every (geography, year) of a census age table must hold: the consumers select
#: age groups, both sexes and each sex, and total/rural/urban (data.census, model.demography,
#: household.synth, notebooks 00 and 01).
AGE_SEX_GRID = {"age_group": ("All ages",) + AGE_GROUPS, "sex": tuple(SEXES), "urban_rural": AREAS}


def _geography_years(labels) -> list[dict]:
    """``{"geography": label, "year": y}`` for each aggregate geography (label -> code)."""
    return [{"geography": lab, "year": GEOGRAPHY_YEARS[code]} for lab, code in labels.items()]


def _check_complete(groups, grid: dict[str, tuple], codes: dict[str, dict] | None = None):
    """Every combination the consumers need is present: for each ``group`` (a mapping of fixed
    key values, e.g. ``{"geography": ..., "year": 2017}``) every combination of the ``grid``
    values (e.g. every age group x sex x area). ``codes``: per column, value -> short code,
    shown beside the value in the message. The first missing combination is named."""
    from itertools import product

    def shown(col, v):
        code = (codes or {}).get(col, {}).get(v)
        return f"{col}={v!r}" + (f" ({code})" if code else "")

    def check(df: pd.DataFrame, file) -> None:
        present: dict[tuple, set] = {}  # the rows' key combinations, read once per set of columns
        for group in groups:
            cols = list(group) + list(grid)
            have = present.get(tuple(cols))
            if have is None:
                have = present[tuple(cols)] = set(df[cols].astype(object).itertuples(index=False, name=None))
            for cell in product(*grid.values()):
                combo = tuple(group.values()) + cell
                if combo not in have:
                    raise InputError(file, "no row for " + ", ".join(
                        shown(c, v) for c, v in zip(cols, combo)), column=",".join(cols))
    return check


def _check_geography(known: set[str]):
    def check(df: pd.DataFrame, file) -> None:
        bad = ~df["geography"].isin(known)
        if bad.any():
            idx = bad[bad].index[0]
            raise InputError(file, f"unknown geography {df['geography'][idx]!r}",
                             column="geography", line=_line(df, idx))
    return check


def _tidy_age_sex(df: pd.DataFrame) -> pd.DataFrame:
    out = df.rename(columns={"urban_rural": "area"}).copy()
    out["sex"] = out["sex"].map(SEXES).astype("string")
    cols = ["geography", "year", "age_group", "sex", "area", "population",
            "source_title", "source_url"]
    return out[cols].reset_index(drop=True)


def read_province_age_sex(file: Path | None = None) -> pd.DataFrame:
    """KP census population by 5-year age group, sex and area, for the four
    aggregate geographies (codes in :data:`GEOGRAPHIES`)."""
    file = file or RAW_CENSUS / "kp_population_age_sex.csv"
    schema = Schema(AGE_SEX_SCHEMA.name, AGE_SEX_SCHEMA.columns, AGE_SEX_SCHEMA.key,
                    checks=(_check_geography(set(GEOGRAPHIES)),
                            _check_complete(_geography_years(GEOGRAPHIES), AGE_SEX_GRID,
                                            {"geography": GEOGRAPHIES})))
    df = read_csv(file, schema)
    df["geography"] = df["geography"].map(GEOGRAPHIES).astype("string")
    return _tidy_age_sex(df)


def read_district_age_sex(file: Path | None = None,
                          crosswalk: pd.DataFrame | None = None) -> pd.DataFrame:
    """KP census population by district, age group, sex and area (2017: 38
    units on 2017 boundaries; 2023: 35 districts). Every 2017 unit and 2023
    district must appear in the crosswalk."""
    file = file or RAW_CENSUS / "kp_district_population_age_sex.csv"
    cw = crosswalk if crosswalk is not None else read_crosswalk()
    known = set(cw["unit_2017"]) | set(cw["district_2023"])
    units = ([{"geography": u, "year": 2017} for u in dict.fromkeys(cw["unit_2017"])]
             + [{"geography": d, "year": 2023} for d in dict.fromkeys(cw["district_2023"])])
    grid = {**AGE_SEX_GRID, "sex": ("both (incl. transgender)", "male", "female")}
    schema = Schema(AGE_SEX_SCHEMA.name, AGE_SEX_SCHEMA.columns, AGE_SEX_SCHEMA.key,
                    checks=(_check_geography(known), _check_complete(units, grid)))
    return _tidy_age_sex(read_csv(file, schema))


def read_district_totals(file: Path | None = None) -> pd.DataFrame:
    """PBS Census 2017 Table 1 (districts, divisions, regions; with 1998
    population and household size) and Census 2023 district totals."""
    file = file or RAW_CENSUS / "district_population.csv"
    df = read_csv(file, DISTRICT_TOTALS_SCHEMA)
    cols = [c.name for c in DISTRICT_TOTALS_SCHEMA.columns]
    return df[cols].reset_index(drop=True)


def read_crosswalk(file: Path | None = None) -> pd.DataFrame:
    """2017 census units -> 2023 districts, with the harmonised unit on which
    both censuses can be compared (the ex-FATA merger and district splits)."""
    file = file or RAW_CENSUS / "district_crosswalk_2017_2023.csv"
    df = read_csv(file, CROSSWALK_SCHEMA)
    return df[[c.name for c in CROSSWALK_SCHEMA.columns]].reset_index(drop=True)


def read_published_rates(file: Path | None = None) -> pd.DataFrame:
    """Census-derived age-structure indicators as compiled in the reference
    set (used to cross-check our own computations)."""
    file = file or RAW_CENSUS / "kp_demographic_rates.csv"
    schema = Schema("published demographic rates",
                    (Col("indicator"), Col("geography"), Col("year"), Col("value"),
                     Col("unit")) + SOURCE_COLS,
                    key=("indicator", "geography", "year"))
    df = read_csv(file, schema)
    df["geography"] = df["geography"].map(lambda g: GEOGRAPHIES.get(g, g)).astype("string")
    df["value_num"] = pd.to_numeric(df["value"], errors="coerce")
    return df[["indicator", "geography", "year", "value", "value_num", "unit",
               "source_title", "source_url"]].reset_index(drop=True)


# --------------------------------------------------------------------------- UN WPP 2019
RAW_WPP = paths.RAW / "un_wpp"
#: WPP 2019 5-year age labels of the population files (100+ open) and of the fertility pattern,
#: and the abridged life-table ages of the mx files.
WPP_POP_AGES = tuple(f"{a}-{a + 4}" for a in range(0, 100, 5)) + ("100+",)
WPP_ASFR_AGES = tuple(f"{a}-{a + 4}" for a in range(15, 50, 5))
WPP_MX_AGES = (0, 1) + tuple(range(5, 105, 5))


def _wpp_periods(first: int, last: int) -> tuple[str, ...]:
    """5-year period columns ``"1950-1955"`` ... starting ``first`` .. ``last``."""
    return tuple(f"{y}-{y + 5}" for y in range(first, last + 1, 5))


def _wpp_years(first: int, last: int) -> tuple[str, ...]:
    return tuple(str(y) for y in range(first, last + 1, 5))


#: Each WPP 2019 extract for Pakistan (``data/raw/un_wpp/wpp2019_pakistan_<name>.tsv``, from the R
#: package ``wpp2019``) that the projection reads: (age column: allowed labels or None for a one-row
#: series, value columns, value kind, min, max). Populations and migrants are in thousands.
WPP2019_FILES = {
    **{f"pop{s}": (WPP_POP_AGES, _wpp_years(1950, 2020), "population (thousands)", 0, 1e6) for s in "MF"},
    **{f"pop{s}projMed": (WPP_POP_AGES, _wpp_years(2025, 2100), "population (thousands)", 0, 1e6) for s in "MF"},
    **{f"mx{s}": (WPP_MX_AGES, _wpp_periods(1950, 2095), "central death rate", 0, 1.5) for s in "MF"},
    "percentASFR": (WPP_ASFR_AGES, _wpp_periods(1950, 2095), "percent of fertility", 0, 100),
    "tfr": (None, _wpp_periods(1950, 2015), "total fertility rate", 0.5, 15),
    "tfrprojMed": (None, _wpp_periods(2020, 2095), "total fertility rate", 0.5, 15),
    "sexRatio": (None, _wpp_periods(1950, 2095), "sex ratio at birth", 0.9, 1.2),
    "migration": (None, _wpp_periods(1950, 2095), "net migrants (thousands)", -1e5, 1e5),
}


def _check_rows(column: str, expected: tuple):
    """Every expected value of ``column`` present (one row each, with the schema's key)."""
    def check(df: pd.DataFrame, file) -> None:
        present = set(df[column])
        absent = [v for v in expected if v not in present]
        if absent:
            raise InputError(file, f"missing row(s) for {absent}", column=column)
    return check


def wpp2019_file(name: str) -> Path:
    if name not in WPP2019_FILES:
        raise KeyError(f"unknown WPP 2019 extract {name!r}; known: {sorted(WPP2019_FILES)}")
    return RAW_WPP / f"wpp2019_pakistan_{name}.tsv"


def read_wpp2019(name: str, file: Path | str | None = None) -> pd.DataFrame:
    """One WPP 2019 extract for Pakistan (wide: one column per year or 5-year period), checked:
    country (586 Pakistan), the age rows (complete, unique), every year/period column present,
    each value a number within its range. Extra columns (``last.observed``) are kept."""
    ages, cols, what, lo, hi = WPP2019_FILES[name]
    file = Path(file) if file is not None else wpp2019_file(name)
    columns = (Col("country_code", "int", allowed=(586,)), Col("name", allowed=("Pakistan",)))
    if ages is None:
        key, checks = ("country_code",), (_check_rows("country_code", (586,)),)
    else:
        kind = "int" if isinstance(ages[0], int) else "str"
        columns += (Col("age", kind, allowed=ages),)
        key, checks = ("age",), (_check_rows("age", ages),)
    columns += tuple(Col(c, "float", min=lo, max=hi) for c in cols)
    return read_csv(file, Schema(f"UN WPP 2019 {what} ({name})", columns, key, checks=checks), sep="\t")


def read_wpp2019_all() -> dict[str, pd.DataFrame]:
    """Every WPP 2019 extract the projection reads (``make data`` checks them with the tables)."""
    return {name: read_wpp2019(name) for name in WPP2019_FILES}


#: The WPP 2024 extracts for Pakistan that the projection's comparison reads
#: (``data/raw/un_wpp/wpp2024_pakistan_<name>.tsv``, R package ``wpp2024``, one row per calendar
#: year): value columns with their range, and the years that must be present. Births and deaths
#: are in thousands, rates per 1,000 population. The extracts obtained hold no population by age.
WPP2024_FILES = {
    "misc1dt": ({"births": (0, 1e5), "cbr": (0, 100), "cdr": (0, 100)}, range(1950, 2024)),
    "miscproj1dt": ({"births": (0, 1e5), "cbr": (0, 100), "cdr": (0, 100)}, range(2024, 2101)),
    "tfr1dt": ({"tfr": (0.5, 15)}, range(1950, 2024)),
    "tfrproj1dt": ({"tfr": (0.5, 15)}, range(2024, 2101)),
}


def read_wpp2024(name: str, file: Path | str | None = None) -> pd.DataFrame:
    """One WPP 2024 annual extract for Pakistan (one row per year), checked: country 586, every
    year of :data:`WPP2024_FILES` present once, each value a number within its range."""
    if name not in WPP2024_FILES:
        raise KeyError(f"unknown WPP 2024 extract {name!r}; known: {sorted(WPP2024_FILES)}")
    cols, years = WPP2024_FILES[name]
    file = Path(file) if file is not None else RAW_WPP / f"wpp2024_pakistan_{name}.tsv"
    columns = (Col("country_code", "int", allowed=(586,)), Col("year", "int"))
    columns += tuple(Col(c, "float", min=lo, max=hi) for c, (lo, hi) in cols.items())
    schema = Schema(f"UN WPP 2024 {name}", columns, ("year",), checks=(_check_rows("year", tuple(years)),))
    return read_csv(file, schema, sep="\t")


def read_wpp2024_all() -> dict[str, pd.DataFrame]:
    """Every WPP 2024 extract the projection's comparison reads (``make data`` checks them)."""
    return {name: read_wpp2024(name) for name in WPP2024_FILES}


# --------------------------------------------------------------------------- indicators
#: Geographies allowed in the long indicator tables (macro, poverty, schemes, disability severity;
#: ``World`` for the global severe-disability rates of the WHO and the ILO).
INDICATOR_GEOGRAPHIES = ("Pakistan", "Khyber Pakhtunkhwa", "Punjab", "Sindh", "Balochistan",
                         "ex-FATA", "Pakistan (urban)", "Pakistan (rural)", "World")
CONFIDENCE = ("high", "medium", "low")
#: Published units that are rescaled to one canonical unit in processed tables.
UNIT_SCALE = {"PKR trillion": ("PKR billion", 1000.0), "PKR million": ("PKR billion", 0.001)}

PROVENANCE_COLS = (Col("source_title"), Col("source_url"), Col("locator"),
                   Col("confidence", allowed=CONFIDENCE))

INDICATOR_SCHEMA = Schema(
    "long indicator table (one sourced value per row)",
    columns=(
        Col("indicator"),
        Col("geography", allowed=INDICATOR_GEOGRAPHIES),
        Col("period", nullable=True),
        Col("value", "float"),
        Col("unit"),
        Col("chosen", nullable=True, allowed=("true", "false")),
        Col("note", nullable=True),
        Col("derived_from", nullable=True),
    ) + PROVENANCE_COLS,
)


def fiscal_year_end(period: str) -> int:
    """Calendar year in which a period ends: ``"2013-14"`` (fiscal year July
    2013 - June 2014) -> 2014; ``"2017"`` -> 2017. Anything else raises
    ``ValueError``."""
    import re
    m = re.fullmatch(r"(\d{4})-(\d{2})", period)
    if m:
        start, end = int(m.group(1)), int(m.group(2))
        if (start + 1) % 100 != end:
            raise ValueError(f"fiscal year {period!r}: the second year must follow the first")
        return start + 1
    if re.fullmatch(r"\d{4}", period):
        return int(period)
    raise ValueError(f"period {period!r} is neither a fiscal year 'YYYY-YY' nor a year 'YYYY'")


def _check_periods(df: pd.DataFrame, file) -> None:
    years = []
    for idx, p in df["period"].items():
        if pd.isna(p):
            years.append(pd.NA)
            continue
        try:
            y = fiscal_year_end(p)
        except ValueError as e:
            raise InputError(file, str(e), column="period", line=_line(df, idx)) from None
        if not 1950 <= y <= 2100:
            raise InputError(file, f"year {y} out of range 1950-2100", column="period",
                             line=_line(df, idx))
        years.append(y)
    df["year"] = pd.array(years, dtype="Int64")


def _check_urls(df: pd.DataFrame, file) -> None:
    bad = ~df["source_url"].str.match(r"https?://\S+$")
    if bad.any():
        idx = bad[bad].index[0]
        raise InputError(file, f"not a web address: {df['source_url'][idx]!r}",
                         column="source_url", line=_line(df, idx))


def _check_choices(df: pd.DataFrame, file) -> None:
    """Where one indicator has several values for the same geography and period
    (conflicting sources), every such row states ``chosen`` (exactly one
    ``true``) and a ``note`` giving the reason."""
    keys = ["indicator", "geography", "period"]
    k = df[keys].astype("string").fillna("")
    grp = k[keys[0]].str.cat([k[c] for c in keys[1:]], sep="|")
    exact = df.assign(_k=grp).duplicated(["_k", "value", "source_url"])
    if exact.any():
        idx = exact[exact].index[0]
        raise InputError(file, "duplicate row (same indicator, geography, period, value and "
                         "source)", column="indicator", line=_line(df, idx))
    multi = grp.duplicated(keep=False)
    for g in grp[multi].unique():
        rows = df[grp == g]
        unset = rows["chosen"].isna() | rows["note"].isna()
        if unset.any():
            idx = unset[unset].index[0]
            raise InputError(file, f"conflicting values for {g.replace('|', ', ')}: each needs "
                             "'chosen' (true/false) and a 'note' with the reason",
                             column="chosen", line=_line(df, idx))
        n = int((rows["chosen"] == "true").sum())
        if n != 1:
            raise InputError(file, f"conflicting values for {g.replace('|', ', ')}: {n} rows "
                             "marked chosen=true, expected exactly 1", column="chosen",
                             line=_line(df, rows.index[0]))


# --------------------------------------------------------------------------- plausible ranges
#: The one registry of plausible ranges of the indicators of the long raw tables (macro,
#: poverty, PDHS fertility) and of the survey calibration targets: one row per indicator and
#: published unit, ``indicator, unit, min, max, rationale`` (bounds inclusive; the rationale
#: or source of each bound is shown in the error). A table row whose indicator and unit have
#: no entry is an error too, so every indicator the raw tables hold is bounded.
BOUNDS_FILE = paths.PARAMS / "input_bounds.csv"


def _check_min_below_max(df: pd.DataFrame, file) -> None:
    bad = df["min"] > df["max"]
    if bad.any():
        idx = bad[bad].index[0]
        raise InputError(file, f"min {df['min'][idx]:g} is above max {df['max'][idx]:g}",
                         column="min", line=_line(df, idx))


BOUNDS_SCHEMA = Schema(
    "plausible ranges of the indicators of the raw tables",
    columns=(Col("indicator"), Col("unit"), Col("min", "float"), Col("max", "float"),
             Col("rationale")),
    key=("indicator", "unit"),
    checks=(_check_min_below_max,),
)


def read_bounds(file: Path | str | None = None) -> dict[tuple[str, str], dict]:
    """``{(indicator, unit): {"min", "max", "rationale", "line"}}`` from :data:`BOUNDS_FILE`."""
    file = Path(file or BOUNDS_FILE)
    df = read_csv(file, BOUNDS_SCHEMA)
    return {(r.indicator, r.unit): {"min": float(r.min), "max": float(r.max),
                                    "rationale": r.rationale, "line": _line(df, i)}
            for i, r in zip(df.index, df.itertuples(index=False))}


def check_bounds(indicator_col: str = "indicator", bounds_file: Path | str | None = None):
    """A schema check: every row's ``value`` within the plausible range of its
    (``indicator_col``, ``unit``) in the bounds registry; a pair without an entry is an error."""
    def check(df: pd.DataFrame, file) -> None:
        bfile = Path(bounds_file or BOUNDS_FILE)
        bounds = read_bounds(bfile)
        for idx, ind, unit, v in zip(df.index, df[indicator_col], df["unit"], df["value"]):
            b = bounds.get((ind, unit))
            if b is None:
                raise InputError(file, f"{indicator_col} {ind!r} in unit {unit!r} has no plausible "
                                 f"range in {_rel(bfile)} (add a row: indicator, unit, min, max, "
                                 "rationale)", column=indicator_col, line=_line(df, idx))
            if pd.notna(v) and not b["min"] <= v <= b["max"]:
                word = "below the plausible minimum" if v < b["min"] else "above the plausible maximum"
                bound = b["min"] if v < b["min"] else b["max"]
                raise InputError(file, f"{ind} = {v:,.10g} {unit} is {word} {bound:,.10g} "
                                 f"({_rel(bfile)} line {b['line']}: {b['rationale']})",
                                 column="value", line=_line(df, idx))
    return check


def _check_required(required: dict[tuple[str, str], str]):
    """Every (indicator, geography) a consumer reads has at least one row."""
    def check(df: pd.DataFrame, file) -> None:
        have = set(zip(df["indicator"], df["geography"]))
        for (ind, geo), reader in required.items():
            if (ind, geo) not in have:
                raise InputError(file, f"no row for indicator={ind!r}, geography={geo!r} "
                                 f"(read by {reader})", column="indicator,geography")
    return check


#: The (indicator, geography) pairs that the model and the notebooks read from each long table
#: (a table without one of them would stop a consumer later, far from the file).
MACRO_REQUIRED = {
    **{(ind, "Pakistan"): "spf_analysis.model.macro" for ind in
       ("gdp_nominal_pkr", "cpi_inflation", "real_gdp_growth", "cpi_inflation_jul_apr")},
    **{(ind, "Khyber Pakhtunkhwa"): "spf_analysis.model.macro" for ind in
       ("kp_expenditure_outturn", "kp_budget_total_expenditure", "kp_budget_total_outlay",
        "kp_own_receipts", "kp_federal_transfers_total", "kp_minimum_wage",
        "kp_share_national_gdp")},
    ("kp_budget_social_protection_function", "Khyber Pakhtunkhwa"):
        "notebooks/02_mapping_schemes.ipynb",
}
POVERTY_REQUIRED = {
    ("poverty_line_cbn", "Pakistan"): "params/policy/baseline.yaml poverty_line, tests/test_run.py",
    ("poverty_headcount_cbn", "Khyber Pakhtunkhwa"): "params/scenarios/kp_medium.yaml rationale",
}
DISABILITY_SEVERITY_REQUIRED = {
    (ind, "World"): "spf_analysis.data.census.severe_disability_rate"
    for ind in ("severe_disability_prevalence_15plus", "severe_disability_prevalence_0_14")
}
HEALTH_REQUIRED = {
    **{(ind, "Pakistan"): "spf_analysis.model.macro (health costing)" for ind in
       ("health_expenditure_per_capita", "health_expenditure_share_private", "health_oop_share_private",
        "facility_delivery_share")},
    **{(ind, "Khyber Pakhtunkhwa"): "spf_analysis.model.macro (health costing)" for ind in
       ("sehat_card_deliveries", "sehat_card_delivery_expenditure")},
    ("ilo_health_worker_benchmark", "World"): "spf_analysis.model.macro.staff_access (health workforce)",
    **{(ind, "Pakistan"): "spf_analysis.model.macro.staff_access (health workforce)" for ind in
       ("registered_doctors", "registered_nurses", "registered_midwives", "population_census")},
    **{(ind, "Khyber Pakhtunkhwa"): "spf_analysis.model.macro.staff_access (health workforce)" for ind in
       ("health_dept_doctors", "health_dept_nurses", "health_dept_community_midwives")},
}
FISCAL_SPACE_REQUIRED = {
    **{(ind, "Khyber Pakhtunkhwa"): "spf_analysis.model.fiscal.option_yields" for ind in
       ("kp_subsidies_total", "kp_subsidy_health_card", "kp_subsidy_mti_hospitals", "kp_own_tax_receipts",
        "kp_tax_revenue_growth_target", "kp_nfc_claim_shortfall_max", "kp_foreign_grants")},
    **{(ind, "Pakistan"): "spf_analysis.model.fiscal.option_yields" for ind in
       ("provincial_tax_revenue_gdp", "provincial_tax_revenue_gdp_expected")},
}
PDHS_REQUIRED = {
    ("total_fertility_rate", g): "spf_analysis.model.demography.survey_tfr_ratio"
    for g in ("Khyber Pakhtunkhwa", "Pakistan")
}


INDICATOR_COLUMNS = ["indicator", "geography", "year", "period", "value", "unit", "chosen",
                     "value_published", "unit_published", "note", "derived_from",
                     "source_title", "source_url", "locator", "confidence"]


def read_indicator_table(file: Path | str, required: dict | None = None) -> pd.DataFrame:
    """Read a long indicator table (``indicator, geography, period, value, unit,
    chosen, note, derived_from`` + provenance) and return it typed, with
    ``year`` = the calendar year in which ``period`` ends (FY 2013-14 -> 2014;
    ``<NA>`` where undated), ``chosen`` as bool (a value without a competitor is
    chosen), and values in PKR trillion/million rescaled to PKR billion (the
    published value and unit kept in ``value_published``/``unit_published``). Each value must
    lie in the plausible range of its indicator and unit (:data:`BOUNDS_FILE`); ``required``:
    ``{(indicator, geography): reader}`` pairs that must have a row."""
    schema = Schema(INDICATOR_SCHEMA.name, INDICATOR_SCHEMA.columns,
                    checks=(_check_periods, _check_urls, _check_choices, check_bounds())
                    + ((_check_required(required),) if required else ()))
    df = read_csv(file, schema)
    df["chosen"] = (df["chosen"] != "false").fillna(True).astype(bool)
    df["value_published"] = df["value"]
    df["unit_published"] = df["unit"]
    for unit, (target, factor) in UNIT_SCALE.items():
        m = df["unit"] == unit
        df.loc[m, "value"] = (df.loc[m, "value"] * factor).round(9)
        df.loc[m, "unit"] = target
    df["unit"] = df["unit"].astype("string")
    return df[INDICATOR_COLUMNS].reset_index(drop=True)


def read_macro_indicators(file: Path | None = None) -> pd.DataFrame:
    """Pakistan national accounts, CPI inflation, KP budget outlays, federal
    transfers, NFC shares, KP's share of national GDP (no official series: a
    documented secondary estimate) and the KP minimum wage, by fiscal year.
    Long table, one sourced value per row (see :func:`read_indicator_table`)."""
    return read_indicator_table(file or paths.RAW / "macro" / "pakistan_kp_macro_fiscal.csv",
                                MACRO_REQUIRED)


def read_poverty_indicators(file: Path | None = None) -> pd.DataFrame:
    """Official poverty lines and poverty headcounts (CBN, old FEI line, MPI, and
    KP headcounts re-aggregated from World Bank district small-area estimates,
    with their inputs). Long table as :func:`read_macro_indicators`."""
    return read_indicator_table(file or paths.RAW / "poverty" / "poverty_indicators.csv",
                                POVERTY_REQUIRED)


def read_health_indicators(file: Path | None = None) -> pd.DataFrame:
    """Inputs of the health guarantee's costing: National Health Accounts 2017-18 (health
    spending per person, private and out-of-pocket shares), Sehat Card Plus delivery claims
    (number and amount), the share of births in a health facility (PDHS 2017-18) and the health workforce
    against the ILO benchmark (registered doctors, nurses and midwives of Pakistan, KP Health Department
    staff, census 2023 population of Pakistan; :func:`spf_analysis.model.macro.staff_access`). Long table
    as :func:`read_macro_indicators`; read by :func:`spf_analysis.model.macro.health_inputs`."""
    return read_indicator_table(file or paths.RAW / "health" / "health_costing.csv", HEALTH_REQUIRED)


SDG131_ANCHORS_FILE = paths.RAW / "coverage" / "sdg131_anchors.csv"
#: the published values chapter 03 sets beside its SDG 1.3.1 estimates (each must have a row)
SDG131_ANCHORS_REQUIRED = {
    ("old_age_pension_coverage", "Pakistan"): "spf_analysis.household.gaps.sdg131_table",
    ("bisp_beneficiary_families", "Khyber Pakhtunkhwa"): "spf_analysis.household.gaps.sdg131_table",
    ("zakat_guzara_recipients", "Khyber Pakhtunkhwa"): "spf_analysis.household.gaps.sdg131_table",
    ("disability_cash_one_off_recipients", "Khyber Pakhtunkhwa"): "spf_analysis.household.gaps.sdg131_table",
}


def read_sdg131_anchors(file: Path | str | None = None) -> pd.DataFrame:
    """Published coverage figures set beside chapter 03's SDG 1.3.1 estimates (pension coverage of older
    persons, BISP families and Zakat guzara recipients in KP, the one-off disability payment of 2025).
    Long table as :func:`read_indicator_table`; ``year`` = the calendar year in which the period ends."""
    return read_indicator_table(file or SDG131_ANCHORS_FILE, SDG131_ANCHORS_REQUIRED)


SEHAT_UTILISATION_FILE = paths.RAW / "health" / "sehat_utilisation.csv"
#: indicators of the Sehat utilisation table and the units each may carry
SEHAT_UTILISATION_UNITS = {
    "sehat_admissions": ("patients",),
    "sehat_admissions_cumulative": ("patients",),
    "sehat_claims_paid": ("PKR billion",),
    "sehat_families_registered": ("families",),
    "inpatient_admissions_benchmark": ("admissions per person a year", "discharges per 1000 population a year"),
}
SEHAT_UTILISATION_SCHEMA = Schema(
    "Sehat Card Plus utilisation and inpatient-care benchmarks (one sourced value per row)",
    columns=(
        Col("indicator", allowed=tuple(SEHAT_UTILISATION_UNITS)),
        Col("geography"),
        Col("period_start", nullable=True),
        Col("period_end", nullable=True),
        Col("value", "float"),
        Col("unit"),
        Col("chosen", nullable=True, allowed=("true", "false")),
        Col("note"),
        Col("derived_from", nullable=True),
        Col("snippet"),
    ) + PROVENANCE_COLS,
)


def _check_sehat_rows(df: pd.DataFrame, file) -> None:
    """Units fit their indicator; dates are ISO dates with start <= end; every yearly count
    (``sehat_admissions``) has both dates; ``sehat_admissions`` and the benchmarks each have
    exactly one ``chosen`` row and every other row of theirs says ``false``."""
    for idx, ind, unit in zip(df.index, df["indicator"], df["unit"]):
        if unit not in SEHAT_UTILISATION_UNITS[ind]:
            raise InputError(file, f"unit {unit!r} not allowed for {ind} (allowed: "
                             f"{list(SEHAT_UTILISATION_UNITS[ind])})", column="unit", line=_line(df, idx))
    for col in ("period_start", "period_end"):
        parsed = pd.to_datetime(df[col], format="%Y-%m-%d", errors="coerce")
        bad = df[col].notna() & parsed.isna()
        if bad.any():
            idx = bad[bad].index[0]
            raise InputError(file, f"not a date YYYY-MM-DD: {df[col][idx]!r}", column=col, line=_line(df, idx))
        df[col] = parsed
    late = df["period_start"] > df["period_end"]
    if late.any():
        idx = late[late].index[0]
        raise InputError(file, "period_start is after period_end", column="period_start", line=_line(df, idx))
    counts = df["indicator"] == "sehat_admissions"
    undated = counts & (df["period_start"].isna() | df["period_end"].isna())
    if undated.any():
        idx = undated[undated].index[0]
        raise InputError(file, "a sehat_admissions count needs period_start and period_end (to annualise it)",
                         column="period_start", line=_line(df, idx))
    for ind in ("sehat_admissions", "inpatient_admissions_benchmark"):
        rows = df[df["indicator"] == ind]
        n = int((rows["chosen"] == "true").sum())
        if len(rows) and (n != 1 or rows["chosen"].isna().any()):
            raise InputError(file, f"{ind}: every row needs chosen true/false with exactly one true "
                             f"(found {n} true)", column="chosen", line=_line(df, rows.index[0]))


def read_sehat_utilisation(file: Path | str | None = None) -> pd.DataFrame:
    """Sehat Card Plus patients admitted and claims paid in KP over stated periods
    (``period_start``..``period_end``, both inclusive; ``days`` = their length), families
    registered, and published benchmarks of inpatient utilisation (labelled as such in ``note``).
    ``chosen`` (bool) marks the count and the benchmark of the headline; read by
    :func:`spf_analysis.household.gaps.sehat_utilisation` (chapter 03)."""
    schema = Schema(SEHAT_UTILISATION_SCHEMA.name, SEHAT_UTILISATION_SCHEMA.columns,
                    checks=(_check_urls, _check_sehat_rows, check_bounds()))
    df = read_csv(file or SEHAT_UTILISATION_FILE, schema)
    df["chosen"] = (df["chosen"] == "true").fillna(False).astype(bool)
    df["days"] = pd.array((df["period_end"] - df["period_start"]).dt.days + 1, dtype="Int64")
    cols = ["indicator", "geography", "period_start", "period_end", "days", "value", "unit", "chosen",
            "note", "derived_from", "source_title", "source_url", "locator", "snippet", "confidence"]
    for c in ("indicator", "geography", "unit", "note", "derived_from", "source_title", "source_url",
              "locator", "snippet", "confidence"):
        df[c] = df[c].astype("string")
    return df[cols].reset_index(drop=True)


def read_fiscal_space_indicators(file: Path | None = None) -> pd.DataFrame:
    """Sourced figures behind the yields of the eight ILO fiscal-space options for KP (subsidy
    lines, own tax receipts and benchmarks, the NFC claim, foreign grants and loans, the debt fund,
    the provincial borrowing limit). Long table as :func:`read_macro_indicators`; read by
    :func:`spf_analysis.model.fiscal.option_yields` (chapter 6)."""
    return read_indicator_table(file or paths.RAW / "fiscal" / "fiscal_space_yields.csv", FISCAL_SPACE_REQUIRED)


PDHS_TFR_FILE = paths.RAW / "demography" / "pdhs_total_fertility.csv"


def read_pdhs_tfr(file: Path | str | None = None) -> pd.DataFrame:
    """PDHS total fertility rates of KP and Pakistan by round (long table as
    :func:`read_macro_indicators`; read by :func:`spf_analysis.model.demography.survey_tfr_ratio`)."""
    return read_indicator_table(file or PDHS_TFR_FILE, PDHS_REQUIRED)


DISABILITY_SEVERITY_FILE = paths.RAW / "disability" / "severe_disability_prevalence.csv"


def read_disability_severity(file: Path | str | None = None) -> pd.DataFrame:
    """Published prevalence of severe disability (WHO World report on disability 2011 by age band,
    ILO range) and the census 2017 national disability rate: long table as
    :func:`read_macro_indicators`. Read by :func:`spf_analysis.data.census.severe_disability_rate`,
    which sets the overall rate of the disability benefit's age profile."""
    return read_indicator_table(file or DISABILITY_SEVERITY_FILE, DISABILITY_SEVERITY_REQUIRED)


# --------------------------------------------------------------------------- schemes
RAW_SCHEMES = paths.RAW / "schemes"
SPF_GROUPS = ("health", "children", "working_age", "old_age", "cross_cutting")
SP_TYPES = ("social_insurance", "social_assistance", "labour_market")
SCHEME_METRICS = ("benefit_amount", "beneficiaries", "expenditure", "budget_allocation",
                  "coverage_share")
BENEFIT_PERIODS = ("month", "quarter", "year")
#: payments per year of each benefit period (to annualise benefit levels)
PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}

SCHEMES_SCHEMA = Schema(
    "inventory of social protection schemes in KP",
    columns=(Col("scheme_id"), Col("scheme_name"), Col("level"), Col("scheme_type"),
             Col("spf_guarantee"), Col("administering_agency"), Col("start_year"),
             Col("beneficiaries_kp_facts", nullable=True), Col("expenditure_kp_facts", nullable=True),
             Col("benefit_facts", nullable=True), Col("eligibility_facts", nullable=True),
             Col("confidence"),
             Col("first_source_title", nullable=True), Col("first_source_url", nullable=True)),
    key=("scheme_id",),
)
FACTS_SCHEMA = Schema(
    "sourced facts behind the scheme inventory",
    columns=(Col("fact_id"), Col("scheme_id"), Col("scheme"), Col("component", nullable=True),
             Col("geography"), Col("year"), Col("metric"), Col("value"), Col("unit"),
             Col("snippet", nullable=True)) + PROVENANCE_COLS,
    key=("fact_id",),
)
CLASSIFICATION_SCHEMA = Schema(
    "scheme classification by SPF guarantee and type",
    columns=(Col("scheme_id"), Col("spf_guarantee_main", allowed=SPF_GROUPS),
             Col("sp_type", allowed=SP_TYPES), Col("basis")),
    key=("scheme_id",),
)
SERIES_SCHEMA = Schema(
    "scheme beneficiaries, spending and benefit levels over time",
    columns=(Col("scheme_id"), Col("fact_id", nullable=True), Col("component"),
             Col("geography", allowed=INDICATOR_GEOGRAPHIES), Col("period"),
             Col("metric", allowed=SCHEME_METRICS), Col("value", "float", min=0),
             Col("unit"), Col("benefit_period", nullable=True, allowed=BENEFIT_PERIODS),
             Col("chosen", nullable=True, allowed=("true", "false")),
             Col("note", nullable=True), Col("derived_from", nullable=True)) + PROVENANCE_COLS,
)


def _check_pattern(column: str, pattern: str):
    def check(df: pd.DataFrame, file) -> None:
        bad = ~df[column].str.fullmatch(pattern)
        if bad.any():
            idx = bad[bad].index[0]
            raise InputError(file, f"{df[column][idx]!r} does not match {pattern}",
                             column=column, line=_line(df, idx))
    return check


def _check_refs(column: str, known: set, what: str, multi: bool = False):
    """Every id in ``column`` (``;``-separated when ``multi``) exists in ``known``."""
    def check(df: pd.DataFrame, file) -> None:
        for idx, cell in df[column].items():
            if pd.isna(cell):
                continue
            ids = [s.strip() for s in cell.split(";")] if multi else [cell]
            for i in ids:
                if multi and i.lower().startswith("see "):
                    continue  # a pointer to another table, e.g. 'see indicators.csv (...)'
                if i not in known:
                    raise InputError(file, f"{i!r} is not a known {what}", column=column,
                                     line=_line(df, idx))
    return check


def read_scheme_facts(file: Path | None = None, schemes_file: Path | None = None) -> pd.DataFrame:
    """One sourced fact per row (value kept as published text; ``value_num`` is
    the number where the cell is a single number). Every ``scheme_id`` must be
    in the inventory."""
    file = file or RAW_SCHEMES / "scheme_facts.csv"
    ids = set(_read_ids(schemes_file or RAW_SCHEMES / "schemes.csv", "scheme_id"))
    schema = Schema(FACTS_SCHEMA.name, FACTS_SCHEMA.columns, FACTS_SCHEMA.key,
                    checks=(_check_pattern("fact_id", r"F\d{3}"), _check_urls,
                            _check_refs("scheme_id", ids, "scheme id (schemes.csv)")))
    df = read_csv(file, schema)
    df["value_num"] = pd.to_numeric(df["value"].str.replace(",", "", regex=False),
                                    errors="coerce").astype("float64")
    return df[[c.name for c in FACTS_SCHEMA.columns] + ["value_num"]].reset_index(drop=True)


def _read_ids(file: Path, column: str) -> list[str]:
    """The id column of a raw file (read and checked as text)."""
    df = read_csv(file, Schema("ids", (Col(column),), key=(column,)))
    return df[column].tolist()


def read_schemes(file: Path | None = None, facts_file: Path | None = None,
                 classification_file: Path | None = None) -> pd.DataFrame:
    """The scheme inventory with its classification by SPF guarantee
    (``spf_guarantee_main``) and type (``sp_type``). Every fact id named in the
    ``*_facts`` columns exists in scheme_facts.csv; every scheme is classified."""
    file = file or RAW_SCHEMES / "schemes.csv"
    facts = set(_read_ids(facts_file or RAW_SCHEMES / "scheme_facts.csv", "fact_id"))
    checks = (_check_pattern("scheme_id", r"S\d{2}"), _check_urls_col("first_source_url")) + tuple(
        _check_refs(c, facts, "fact id (scheme_facts.csv)", multi=True)
        for c in ("beneficiaries_kp_facts", "expenditure_kp_facts", "benefit_facts",
                  "eligibility_facts"))
    df = read_csv(file, Schema(SCHEMES_SCHEMA.name, SCHEMES_SCHEMA.columns, SCHEMES_SCHEMA.key,
                               checks=checks))
    cfile = classification_file or RAW_SCHEMES / "scheme_classification.csv"
    cls = read_csv(cfile, Schema(CLASSIFICATION_SCHEMA.name, CLASSIFICATION_SCHEMA.columns,
                                 CLASSIFICATION_SCHEMA.key,
                                 checks=(_check_refs("scheme_id", set(df["scheme_id"]),
                                                     "scheme id (schemes.csv)"),)))
    missing = sorted(set(df["scheme_id"]) - set(cls["scheme_id"]))
    if missing:
        raise InputError(cfile, f"scheme(s) {missing} of schemes.csv are not classified",
                         column="scheme_id")
    out = df.merge(cls[["scheme_id", "spf_guarantee_main", "sp_type"]], on="scheme_id",
                   how="left", validate="one_to_one")
    keep = ["scheme_id", "scheme_name", "level", "scheme_type", "spf_guarantee",
            "spf_guarantee_main", "sp_type", "administering_agency", "start_year",
            "beneficiaries_kp", "beneficiaries_kp_year", "expenditure_kp_pkr",
            "expenditure_kp_year", "benefit_amount", "eligibility_rule",
            "beneficiaries_kp_facts", "expenditure_kp_facts", "benefit_facts",
            "eligibility_facts", "confidence", "notes", "first_source_title", "first_source_url"]
    for c in keep:
        if c in out and out[c].dtype == object:
            out[c] = out[c].astype("string")
    return out[[c for c in keep if c in out.columns]].reset_index(drop=True)


def _check_urls_col(column: str):
    def check(df, file):
        bad = df[column].notna() & ~df[column].str.match(r"https?://\S+$").fillna(False)
        if bad.any():
            idx = bad[bad].index[0]
            raise InputError(file, f"not a web address: {df[column][idx]!r}", column=column,
                             line=_line(df, idx))
    return check


def read_scheme_series(file: Path | None = None, facts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Beneficiaries, spending, budgets and benefit levels of the schemes over
    time (one sourced value per row, from scheme_facts.csv where ``fact_id`` is
    given). Checks: scheme and fact ids exist and agree; periods are fiscal or
    calendar years; conflicting values carry an explicit choice. Adds ``year``
    (FY 2013-14 -> 2014), ``chosen`` (bool) and rescales PKR million/trillion
    to PKR billion. ``facts``: the table of :func:`read_scheme_facts`, when it has just been read."""
    file = file or RAW_SCHEMES / "scheme_series.csv"
    facts = read_scheme_facts() if facts is None else facts
    fact_scheme = dict(zip(facts["fact_id"], facts["scheme_id"]))

    def check_fact_scheme(df, f):
        for idx, (fid, sid) in df[["fact_id", "scheme_id"]].iterrows():
            if pd.notna(fid) and fact_scheme.get(fid) != sid:
                raise InputError(f, f"fact {fid} belongs to scheme {fact_scheme.get(fid)}, "
                                 f"not {sid}", column="fact_id", line=_line(df, idx))

    def check_benefit_period(df, f):
        bad = (df["metric"] == "benefit_amount") & df["benefit_period"].isna()
        if bad.any():
            idx = bad[bad].index[0]
            raise InputError(f, "a benefit amount needs its benefit_period (month, quarter, "
                             "year)", column="benefit_period", line=_line(df, idx))

    checks = (_check_refs("scheme_id", set(facts["scheme_id"]) | set(_read_ids(
                  RAW_SCHEMES / "schemes.csv", "scheme_id")), "scheme id (schemes.csv)"),
              _check_refs("fact_id", set(facts["fact_id"]), "fact id (scheme_facts.csv)"),
              check_fact_scheme, check_benefit_period, _check_periods, _check_urls,
              _check_choices_by(["scheme_id", "component", "geography", "period", "metric"]))
    df = read_csv(file, Schema(SERIES_SCHEMA.name, SERIES_SCHEMA.columns, checks=checks))
    df["chosen"] = (df["chosen"] != "false").fillna(True).astype(bool)
    for unit, (target, factor) in UNIT_SCALE.items():
        m = df["unit"] == unit
        df.loc[m, "value"] = (df.loc[m, "value"] * factor).round(9)
        df.loc[m, "unit"] = target
    cols = ["scheme_id", "fact_id", "component", "geography", "year", "period", "metric",
            "value", "unit", "benefit_period", "chosen", "note", "derived_from",
            "source_title", "source_url", "locator", "confidence"]
    return df[cols].reset_index(drop=True)


def _check_choices_by(keys: list[str]):
    def check(df, file):
        renamed = df.rename(columns={}).copy()
        parts = renamed[keys].astype("string").fillna("")
        k = parts[keys[0]].str.cat([parts[c] for c in keys[1:]], sep="|")
        tmp = pd.DataFrame({"indicator": k, "geography": "", "period": "",
                            "value": df["value"], "source_url": df["source_url"],
                            "chosen": df["chosen"], "note": df["note"]}, index=df.index)
        _check_choices(tmp, file)
    return check


def read_scheme_benefit_levels(series: pd.DataFrame | None = None) -> pd.DataFrame:
    """Benefit levels of the schemes over time (nominal), with the amount per
    year (``annual_amount`` = amount x payments per year). ``series``: the table of
    :func:`read_scheme_series`, when it has just been read."""
    s = read_scheme_series() if series is None else series
    b = s[s["metric"] == "benefit_amount"].drop(columns=["metric"]).rename(
        columns={"value": "amount"}).copy()
    b["annual_amount"] = b["amount"] * b["benefit_period"].map(PERIODS_PER_YEAR).astype("float64")
    return b.reset_index(drop=True)


# --------------------------------------------------------------------------- labour, disability, districts
def read_labour_census(file: Path | None = None) -> pd.DataFrame:
    """Census 2017 Table 16: usual activity of persons 10+ by sex and area, with
    derived activity rates (long; one sourced value per row)."""
    file = file or paths.RAW / "labour" / "kp_labour.csv"
    schema = Schema("census usual activity (Table 16)",
                    (Col("indicator"), Col("geography", allowed=tuple(GEOGRAPHIES)),
                     Col("year"), Col("value", "float", min=0), Col("unit")) + PROVENANCE_COLS,
                    key=("indicator", "geography"), checks=(_check_urls,))
    df = read_csv(file, schema)
    df["geography"] = df["geography"].map(GEOGRAPHIES).astype("string")
    df["year"] = pd.array([2017] * len(df), dtype="Int64")
    return df[["indicator", "geography", "year", "value", "unit", "source_title", "source_url",
               "locator", "confidence"]].reset_index(drop=True)


def read_disability_census(file: Path | None = None) -> pd.DataFrame:
    """Census 2017 Table 17: disabled population by age, sex and area."""
    file = file or paths.RAW / "disability" / "kp_disabled_population_age_sex_2017.csv"
    need = {lab: code for lab, code in GEOGRAPHIES.items() if GEOGRAPHY_YEARS[code] == 2017}
    schema = Schema(AGE_SEX_SCHEMA.name, AGE_SEX_SCHEMA.columns + (Col("locator"),
                    Col("confidence", allowed=CONFIDENCE)), AGE_SEX_SCHEMA.key,
                    checks=(_check_geography(set(GEOGRAPHIES)),
                            _check_complete(_geography_years(need), AGE_SEX_GRID,
                                            {"geography": GEOGRAPHIES})))
    df = read_csv(file, schema)
    df["geography"] = df["geography"].map(GEOGRAPHIES).astype("string")
    out = _tidy_age_sex(df)
    return out.rename(columns={"population": "disabled"})


def read_district_indicators(file: Path | None = None,
                             aliases_file: Path | None = None) -> pd.DataFrame:
    """World Bank district indicators for KP (poverty, household size, labour,
    child labour) by survey round; ``unit`` is the harmonised district of the
    census crosswalk (names of the source mapped through
    district/district_name_aliases.csv). An unknown district is an error."""
    file = file or paths.RAW / "district" / "district_indicators.csv"
    afile = aliases_file or paths.RAW / "district" / "district_name_aliases.csv"
    cw = read_crosswalk()
    known = set(cw["unit_2017"]) | set(cw["district_2023"]) | set(cw["harmonised_unit"])
    aliases = read_csv(afile, Schema("district name aliases",
                                     (Col("source_name"), Col("unit"), Col("basis")),
                                     key=("source_name",),
                                     checks=(_check_refs("unit", known, "census unit "
                                                         "(district crosswalk)"),)))
    amap = dict(zip(aliases["source_name"], aliases["unit"]))
    schema = Schema("district indicators",
                    (Col("district"), Col("province"), Col("year_label", "int", min=1990, max=2030),
                     Col("indicator"), Col("value", "float", min=0), Col("source_survey"),
                     Col("source_title"), Col("source_url"),
                     Col("confidence", allowed=CONFIDENCE)),
                    key=("district", "province", "year_label", "indicator"),
                    checks=(_check_refs("district", known | set(amap),
                                        "district (census crosswalk or aliases)"), _check_urls))
    df = read_csv(file, schema)
    df["unit"] = df["district"].map(lambda d: amap.get(d, d)).astype("string")
    return df[["district", "unit", "province", "year_label", "indicator", "value",
               "source_survey", "source_title", "source_url", "confidence"]].reset_index(drop=True)


# --------------------------------------------------------------------------- processed
#: Every processed table: name -> function that builds it from data/raw.
PROCESSED_TABLES = {
    "census_province_age_sex": read_province_age_sex,
    "census_district_age_sex": read_district_age_sex,
    "census_district_totals": read_district_totals,
    "census_district_crosswalk": read_crosswalk,
    "census_published_rates": read_published_rates,
    "macro_indicators": read_macro_indicators,
    "poverty_indicators": read_poverty_indicators,
    "health_indicators": read_health_indicators,
    "sehat_utilisation": read_sehat_utilisation,
    "sdg131_anchors": read_sdg131_anchors,
    "fiscal_space_indicators": read_fiscal_space_indicators,
    "schemes": read_schemes,
    "scheme_facts": read_scheme_facts,
    "scheme_series": read_scheme_series,
    "scheme_benefit_levels": read_scheme_benefit_levels,
    "labour_census": read_labour_census,
    "disability_census": read_disability_census,
    "disability_severity": read_disability_severity,
    "district_indicators": read_district_indicators,
}


#: The processed tables that a builder of :data:`PROCESSED_TABLES` reads itself: name -> {argument:
#: table}. :func:`build_processed` passes such a table when it has already built it.
TABLE_INPUTS = {
    "scheme_series": {"facts": "scheme_facts"},
    "scheme_benefit_levels": {"series": "scheme_series"},
}


def processed_path(name: str) -> Path:
    if name not in PROCESSED_TABLES:
        raise KeyError(f"unknown processed table {name!r}; known: {sorted(PROCESSED_TABLES)}")
    return paths.PROCESSED / f"{name}.parquet"


def load(name: str) -> pd.DataFrame:
    """Read a processed table (run ``make data`` first)."""
    p = processed_path(name)
    if not p.exists():
        raise FileNotFoundError(f"{_rel(p)} is missing: run `make data`")
    return pd.read_parquet(p)


#: Raw inputs read directly by the model (not turned into processed tables), checked by
#: ``make data`` with the tables so that a bad cell stops the build before anything is written.
CHECKED_INPUTS = {"un_wpp (WPP 2019 extracts)": read_wpp2019_all,
                  "un_wpp (WPP 2024 extracts)": read_wpp2024_all,
                  "demography (PDHS fertility)": read_pdhs_tfr}


def build_processed(names=None) -> list[Path]:
    """Read and validate every raw input first, then write all processed tables.

    Without ``names`` (all tables) the inputs of :data:`CHECKED_INPUTS` are validated too."""
    if not names:
        for check in CHECKED_INPUTS.values():
            check()
    names = list(names or PROCESSED_TABLES)
    frames = {}
    for n in names:
        # a table built from another one read in this run takes it, rather than read its files again
        uses = {arg: frames[t] for arg, t in TABLE_INPUTS.get(n, {}).items() if t in frames}
        frames[n] = PROCESSED_TABLES[n](**uses)
    with transaction() as tx:  # every table written, then all replaced together (or none)
        for n, df in frames.items():
            df.to_parquet(tx.path(processed_path(n)), index=False)
    return [processed_path(n) for n in names]


#: Names in the Census 2023 district totals that differ from the age tables.
DISTRICT_2023_ALIASES = {"Kolai Palas": "Kolai Palas Kohistan"}


def district_totals_2023(totals: pd.DataFrame, crosswalk: pd.DataFrame) -> pd.Series:
    """Official Census 2023 district populations (which add up to the KP total
    of 40,856,097), indexed by the district names of the crosswalk."""
    d = totals[(totals["year"] == 2023) & (totals["level"] == "district")]
    names = (d["unit"].str.removesuffix(" District")
             .map(lambda n: DISTRICT_2023_ALIASES.get(n, n)))
    s = pd.Series(d["population"].to_numpy(), index=names.to_numpy(), name="population")
    unknown = sorted(set(s.index) - set(crosswalk["district_2023"]))
    absent = sorted(set(crosswalk["district_2023"]) - set(s.index))
    if unknown or absent:
        raise ValueError(f"Census 2023 district totals do not match the crosswalk: "
                         f"unknown {unknown}, absent {absent}")
    return s


def main(argv=None) -> int:
    """``python -m spf_analysis.data.io [--verify] [TABLE ...]``: build the processed tables (all of
    them without a name). ``--verify`` (``make data``) first checks data/raw against its manifest
    in this process, as ``python -m spf_analysis.data.manifest verify`` does (same output, same
    exit status; nothing is built when it fails): a second Python importing pandas took 0.5 s."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--verify"]:
        from spf_analysis.data import manifest

        status = manifest.main(["verify"])
        if status:
            return status
        argv = argv[1:]
    written = []
    status = run_step("data (make data)", lambda: written.extend(build_processed(argv or None)),
                      errors=(InputError, KeyError), unchanged="data/processed/ tables")
    for p in written:
        print(f"wrote {_rel(p)}")
    return status


if __name__ == "__main__":
    sys.exit(main())

