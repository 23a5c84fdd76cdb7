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

import pandas as pd

from . import paths
from .fsutil import atomic_path


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


SOURCE_COLS = (Col("source_title"), Col("source_url"))


def _line(df: pd.DataFrame, idx) -> int:
    """CSV line of a row index (header is line 1, first data row line 2)."""
    return int(df.index.get_loc(idx)) + 2


def validate(df: pd.DataFrame, schema: Schema, file: Path | str) -> pd.DataFrame:
    """Check and type ``df`` (as read with ``dtype=str``) against ``schema``."""
    missing = [c.name for c in schema.columns if c.name not in df.columns]
    if missing:
        raise InputError(file, f"missing column(s) {missing}; found {list(df.columns)}",
                         column=missing[0])
    out = df.copy()
    for col in schema.columns:
        raw = out[col.name]
        is_na = raw.isna() | raw.astype("string").str.strip().isin(("",) + tuple(col.na))
        if not col.nullable and is_na.any():
            idx = is_na[is_na].index[0]
            raise InputError(file, "empty or missing value in a required column",
                             column=col.name, line=_line(out, idx))
        if col.kind in ("int", "float"):
            text = raw.where(~is_na).astype("string").str.replace(",", "", regex=False).str.strip()
            num = pd.to_numeric(text, errors="coerce")
            bad = num.isna() & ~is_na
            if bad.any():
                idx = bad[bad].index[0]
                raise InputError(file, f"not a number: {raw[idx]!r}", column=col.name,
                                 line=_line(out, idx))
            if col.kind == "int":
                frac = num.notna() & (num != num.round())
                if frac.any():
                    idx = frac[frac].index[0]
                    raise InputError(file, f"not a whole number: {raw[idx]!r}",
                                     column=col.name, line=_line(out, idx))
                num = num.astype("Int64")
            else:
                num = num.astype("float64")
            if col.min is not None and (num < col.min).any():
                idx = (num < col.min)[lambda s: s.fillna(False)].index[0]
                raise InputError(file, f"value {raw[idx]!r} is below the minimum {col.min}",
                                 column=col.name, line=_line(out, idx))
            if col.max is not None and (num > col.max).any():
                idx = (num > col.max)[lambda s: s.fillna(False)].index[0]
                raise InputError(file, f"value {raw[idx]!r} is above the maximum {col.max}",
                                 column=col.name, line=_line(out, idx))
            out[col.name] = num
        else:
            out[col.name] = raw.where(~is_na).astype("string").str.strip()
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


def read_csv(file: Path | str, schema: Schema) -> pd.DataFrame:
    """Read a raw CSV as text, then validate and type it."""
    file = Path(file)
    if not file.exists():
        raise InputError(file, "file not found")
    try:
        df = pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[],
                         encoding="utf-8", encoding_errors="strict")
    except UnicodeDecodeError as e:
        raise InputError(file, f"not valid UTF-8 (byte offset {e.start}); "
                         "re-save the file as UTF-8") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise InputError(file, f"cannot be parsed as CSV: {e}") from None
    df = df.replace({"": pd.NA})
    return validate(df, schema, file)


# --------------------------------------------------------------------------- census
AGE_GROUPS = ("00-04", "05-09", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39",
              "40-44", "45-49", "50-54", "55-59", "60-64", "65-69", "70-74", "75+")
SEXES = {"both (incl. transgender)": "both", "male": "male", "female": "female",
         "transgender": "transgender"}
AREAS = ("total", "rural", "urban")

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
        Col("population", "int", min=0),
    ) + SOURCE_COLS,
    key=("geography", "year", "age_group", "sex", "urban_rural"),
)

DISTRICT_TOTALS_SCHEMA = Schema(
    "census district totals (PBS Table 1)",
    columns=(
        Col("unit"), Col("level"), Col("division", nullable=True), Col("region"),
        Col("year", "int", min=1950, max=2030),
        Col("population", "int", min=0),
        Col("male", "int", nullable=True, min=0),
        Col("female", "int", nullable=True, min=0),
        Col("transgender", "int", nullable=True, min=0, na=("-",)),
        Col("area_sq_km", "float", nullable=True, min=0),
        Col("urban_share_pct", "float", nullable=True, min=0, max=100, na=("-",)),
        Col("avg_household_size", "float", nullable=True, min=1, max=30, na=("-",)),
        Col("population_1998", "int", nullable=True, min=0),
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
                    checks=(_check_geography(set(GEOGRAPHIES)),))
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
    schema = Schema(AGE_SEX_SCHEMA.name, AGE_SEX_SCHEMA.columns, AGE_SEX_SCHEMA.key,
                    checks=(_check_geography(known),))
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


# --------------------------------------------------------------------------- processed
#: Every processed table: name -> function that builds it from data/raw.
PROCESSED_TABLES = {
    "census_province_age_sex": read_province_age_sex,
    "census_district_age_sex": read_district_age_sex,
    "census_district_totals": read_district_totals,
    "census_district_crosswalk": read_crosswalk,
    "census_published_rates": read_published_rates,
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


def write_atomic(df: pd.DataFrame, target: Path) -> None:
    """Write parquet to a temporary file beside ``target`` and move it into place."""
    with atomic_path(target) as tmp:
        df.to_parquet(tmp, index=False)


def build_processed(names=None) -> list[Path]:
    """Read and validate every raw input first, then write all processed tables."""
    names = list(names or PROCESSED_TABLES)
    frames = {n: PROCESSED_TABLES[n]() for n in names}
    written = []
    for n, df in frames.items():
        write_atomic(df, processed_path(n))
        written.append(processed_path(n))
    return written


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        for p in build_processed(argv or None):
            print(f"wrote {_rel(p)}")
    except (InputError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())


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
