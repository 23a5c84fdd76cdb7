"""Survey inputs of the microsimulation: the person frame, the price deflator, counter-based draws,
household aggregation helpers and person-level group membership (via the costing's group definition).

Prices (the deflation).  The survey's consumption is in FY 2013-14 rupees; the RAP levels of year
``t`` are in year-``t`` rupees.  The macro frame carries the 2013-14 line forward with the CPI
(:mod:`spf_analysis.model.macro`), so the price index from FY 2013-14 to ``t`` is::

    D[t] = poverty_line[t] / (12 x 3,030.32)        (annual line / annual 2013-14 line)

and a year-``t`` amount ``b[t]`` is ``b[t] / D[t]`` in survey prices.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spf_analysis.config import run
from spf_analysis.model import costing, policy


def survey_price_year() -> int:
    """Fiscal year (labelled by its end) of the survey's prices (params/run.yaml survey_price_year)."""
    return run.settings().survey_price_year


def survey_line() -> float:
    """Official CBN poverty line in the survey's price year, PKR per adult equivalent per month, from its
    one home params/policy/baseline.yaml (poverty_line.official_cbn; Planning Commission, 18 Apr 2016)."""
    return policy.survey_poverty_line()

PERSON_COLUMNS = ["hhcode", "idc", "psu", "stratum", "weights", "district", "region", "age", "sex", "disability",
                  "labour_status", "employment_type", "sector", "formal", "earnings_month", "rec_pension_civil",
                  "rec_pension_eobi"]
HOUSEHOLD_COLUMNS = ["hhcode", "hhsize", "adult_eq", "cons_pae", "cons_pae_pre", "pmt_score", "rec_bisp"]


def person_frame(households: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
    """Persons with their household's welfare columns (a many-to-one join on ``hhcode``), plain dtypes.

    Nullable survey columns become floats with NaN (``disability``, ``formal``, ``earnings_month``,
    ``pmt_score``, the receipt flags ``rec_bisp`` of the household and ``rec_pension_civil``,
    ``rec_pension_eobi`` of the person) and strings become plain objects, so every rule is a numpy expression.
    """
    missing = [c for c in PERSON_COLUMNS if c not in persons.columns]
    missing += [c for c in HOUSEHOLD_COLUMNS if c not in households.columns]
    if missing:
        raise ValueError(f"survey tables lack column(s) {missing}")
    df = persons[PERSON_COLUMNS].merge(households[HOUSEHOLD_COLUMNS], on="hhcode", how="left", validate="many_to_one")
    if df["cons_pae"].isna().any():
        bad = df.loc[df["cons_pae"].isna(), "hhcode"].iloc[0]
        raise ValueError(f"person(s) without a household record, e.g. hhcode {bad}")
    for c in ("disability", "formal", "earnings_month", "pmt_score", "rec_bisp", "rec_pension_civil", "rec_pension_eobi"):
        df[c] = df[c].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    for c in ("district", "sex", "labour_status", "employment_type", "sector"):
        df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df.sort_values(["hhcode", "idc"], kind="stable").reset_index(drop=True)


def price_deflator(macro_frame: pd.DataFrame, year: int, line: float | None = None) -> float:
    """``D[t] = poverty_line[t] / (12 x line)``: price index from the survey year (FY 2013-14) to ``year``.

    ``macro_frame``: :func:`spf_analysis.model.macro.macro_frame` (annual poverty line per person, the
    2013-14 line indexed by the CPI).
    """
    if year not in macro_frame.index:
        raise ValueError(f"macro frame has no year {year} (years {macro_frame.index.min()}-{macro_frame.index.max()})")
    line = survey_line() if line is None else line
    return float(macro_frame.loc[year, "poverty_line"]) / (12 * line)


def uniform_hash(hhcode, idc, salt: int) -> np.ndarray:
    """Counter-based uniform in [0, 1) from a person's identifiers (splitmix64 finaliser).

    ``u = splitmix64(hhcode x 2^6 + idc, mixed with salt) / 2^64``: a pure function of the row, so the
    draw is identical in any order or partition (Steele, Lea and Flood 2014, SplitMix).
    """
    h = np.asarray(hhcode).astype(np.uint64)
    i = np.asarray(idc).astype(np.uint64)
    with np.errstate(over="ignore"):
        x = h * np.uint64(0x9E3779B97F4A7C15) + i * np.uint64(0xD1B54A32D192ED03) + np.uint64(salt & 0xFFFFFFFFFFFFFFFF)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)


def eq(col: pd.Series, value: str) -> np.ndarray:
    """``col == value`` as a plain boolean array (missing -> False; object, string or Arrow dtypes)."""
    return col.astype("string").eq(value).fillna(False).to_numpy(dtype=bool)


def sex_values(frame: pd.DataFrame) -> np.ndarray:
    """The ``sex`` column as an object array with None for missing (any string dtype)."""
    return frame["sex"].astype("string").to_numpy(dtype=object, na_value=None)


def in_group(frame: pd.DataFrame, age_min: int, age_max: int | None = None, sex: str = "all") -> np.ndarray:
    """Rows with ``age_min <= age <= age_max`` (no upper bound when ``None``) and, unless ``"all"``, the sex.

    The costing's group definition (:func:`spf_analysis.model.costing.in_age_sex_group`) applied to persons.
    """
    return costing.in_age_sex_group(frame["age"].to_numpy(), sex_values(frame) if sex != "all" else None,
                                    age_min, age_max, sex)


def pensioner(frame: pd.DataFrame) -> np.ndarray:
    """Persons who receive a civil-service or EOBI (contributory) pension (``rec_pension_civil`` or
    ``rec_pension_eobi`` = 1; missing = no pension)."""
    civil = np.nan_to_num(frame["rec_pension_civil"].to_numpy(float), nan=0.0) == 1
    eobi = np.nan_to_num(frame["rec_pension_eobi"].to_numpy(float), nan=0.0) == 1
    return civil | eobi


def hh_sum(hh: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Household total of ``v`` broadcast back to the members (rows of one household may be anywhere)."""
    codes, inv = np.unique(hh, return_inverse=True)
    return np.bincount(inv, weights=v, minlength=len(codes))[inv]


def hh_min(hh: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Household minimum of ``v`` broadcast back to the members."""
    codes, inv = np.unique(hh, return_inverse=True)
    out = np.full(len(codes), np.inf)
    np.minimum.at(out, inv, v)
    return out[inv]


def replicate(frame: pd.DataFrame, copies: int, start: int = 0) -> pd.DataFrame:
    """``copies`` replicas of a person frame with new household ids (for benchmarks).

    Replica ``k`` adds ``(start + k + 1) x 10^11`` to ``hhcode`` (survey codes have 10 digits), so
    households stay whole and ids unique; weights are divided by the total number of replicas by
    the caller if population totals matter.
    """
    k = np.repeat(np.arange(start, start + copies, dtype=np.int64), len(frame))
    out = pd.concat([frame] * copies, ignore_index=True)
    out["hhcode"] = out["hhcode"].to_numpy(np.int64) + (k + 1) * 10**11
    return out
