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


#: replica ``k`` of :func:`replicate` / :meth:`Persons.replicate` adds ``(k + 1) x REPLICA_STRIDE`` to ``hhcode``
REPLICA_STRIDE = 10**11


class Persons:
    """A person frame as columnar numpy arrays for the array engine, households contiguous.

    Rows are sorted by (``hhcode``, ``idc``) (``order`` maps them back to the frame's rows; ``None``
    when the frame was sorted already); a household is the slice ``starts[j]:starts[j+1]``, so
    household totals are ``np.add.reduceat`` over ``starts`` and need no grouping.  Strings become
    codes once: ``sex_codes`` (index into ``sex_levels``, -1 missing), ``uncovered`` (employed, not
    formal: :func:`spf_analysis.microsim.capacity.capacity_flags`), and the survey's flags become
    booleans (missing = no).  ``extra``: further columns kept for grouping (``partition_sums`` by).

    The compact form the hot path reads (:func:`spf_analysis.microsim.simulate.simulate_sums`):
    ``cell`` = age x (number of sexes + 1) + sex code + 1 per person (so an age/sex group is a lookup
    table over cells); the household arrays ``W_h`` (sum of the members' weights), ``cons_h``, ``ae_h``,
    ``pmt_h`` when consumption, adult equivalents and the PMT score are household variables
    (``hh_level``); and the rows of the sparse flags (``rows_dis``, ``rows_bisp``, ``rows_pension``,
    ``rows_uncovered`` with ``earn_uncovered``).  :meth:`replicate` tiles the compact arrays; the full
    per-person arrays of a replica are built only when read.
    """

    ARRAYS = ("hh", "idc", "weights", "age", "sex_codes", "dis", "pmt", "cons", "adult_eq", "bisp", "pension",
              "uncovered", "earn")
    #: compact arrays tiled by :meth:`replicate`: per person, per household, row indices (offset per replica)
    COMPACT_PERSON = ("weights", "cell")
    COMPACT_HOUSEHOLD = ("W_h", "cons_h", "ae_h", "pmt_h", "sizes_h", "hc_cell", "hc_cnt", "hc_w")
    COMPACT_ROWS = ("rows_dis", "rows_bisp", "rows_pension", "rows_uncovered")

    def __init__(self, *, sex_levels, starts, order=None, extra=None, **arrays):
        for k in self.ARRAYS:
            setattr(self, k, arrays[k])
        self.sex_levels = tuple(sex_levels)
        self.starts = starts
        self.order = order
        self.extra = dict(extra or {})
        self.n = len(self.hh)
        self._base = None
        self._compact()

    def __getattr__(self, name):  # a replica's full per-person arrays, built when first read
        base = self.__dict__.get("_base")
        if base is None or name not in self.ARRAYS:
            raise AttributeError(name)
        P, copies, start = base
        v = getattr(P, name)
        if v is not None:
            v = np.tile(v, copies)
            if name == "hh":
                v += np.repeat((np.arange(start, start + copies, dtype=np.int64) + 1) * REPLICA_STRIDE, P.n)
        setattr(self, name, v)
        return v

    def _compact(self) -> None:
        n, st = self.n, self.starts
        self.sizes_h = np.diff(np.r_[st, n]) if n else np.zeros(0, np.int64)
        age = np.asarray(self.age)
        nsex = len(self.sex_levels) + 1
        self.cell = None
        if n and self.sex_codes is not None and age.dtype.kind in "iu" and age.min() >= 0 and (age.max() + 1) * nsex < 2**15:
            self.cell = (age.astype(np.int16) * nsex + (self.sex_codes.astype(np.int16) + 1)).astype(np.int16)
        self.n_cells = 0 if self.cell is None else int((age.max() + 1) * nsex)

        self.hh_level = bool(n) and self.cell is not None and all(
            a is not None and np.array_equal(np.repeat(a[st], self.sizes_h), a, equal_nan=True)
            for a in (self.cons, self.adult_eq, self.pmt))
        if self.hh_level:
            self.W_h = np.add.reduceat(self.weights, st)
            self.cons_h, self.ae_h, self.pmt_h = self.cons[st], self.adult_eq[st], self.pmt[st]
            # households x cells (CSR, household-major): members and their weights per (household, cell)
            key = np.repeat(np.arange(len(st), dtype=np.int64), self.sizes_h) * self.n_cells + self.cell
            keys, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
            self.hc_cell = (keys % self.n_cells).astype(np.int32)
            self.hc_cnt = cnt.astype(float)
            self.hc_w = np.bincount(inv, weights=self.weights, minlength=len(keys))
            self.hc_indptr = np.searchsorted(keys // self.n_cells, np.arange(len(st) + 1)).astype(np.int64)
        else:
            self.W_h = self.cons_h = self.ae_h = self.pmt_h = None
            self.hc_cell = self.hc_cnt = self.hc_w = self.hc_indptr = None
        rows = lambda m: None if m is None else np.flatnonzero(m)  # noqa: E731
        self.rows_dis, self.rows_bisp, self.rows_pension = rows(self.dis), rows(self.bisp), rows(self.pension)
        self.rows_uncovered = rows(self.uncovered)
        self.earn_uncovered = None if self.rows_uncovered is None or self.earn is None else self.earn[self.rows_uncovered]

    def hh_at(self, rows: np.ndarray) -> np.ndarray:
        """``hhcode`` of the rows ``rows`` (a replica computes them from its survey's, without the full array)."""
        if "hh" in self.__dict__ or self._base is None:
            return self.hh[rows]
        P, _, start = self._base
        return P.hh[rows % P.n] + (start + rows // P.n + 1) * REPLICA_STRIDE

    def idc_at(self, rows: np.ndarray) -> np.ndarray:
        """``idc`` of the rows ``rows``."""
        if "idc" in self.__dict__ or self._base is None:
            return self.idc[rows]
        P = self._base[0]
        return P.idc[rows % P.n]

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, extra=()) -> "Persons":
        """The arrays of a person frame (:func:`person_frame` columns; any row order)."""
        hh = frame["hhcode"].to_numpy(np.int64)
        idc = frame["idc"].to_numpy(np.int64)
        order = None
        if len(hh) > 1 and not (np.all(hh[1:] >= hh[:-1]) and np.all((hh[1:] > hh[:-1]) | (idc[1:] >= idc[:-1]))):
            order = np.lexsort((idc, hh))
        take = (lambda a: a) if order is None else (lambda a: a[order])
        has = frame.columns.__contains__
        num = lambda c: frame[c].to_numpy(float) if has(c) else None  # noqa: E731
        flag = lambda c: np.nan_to_num(frame[c].to_numpy(float), nan=0.0) == 1 if has(c) else None  # noqa: E731
        codes, levels = pd.factorize(frame["sex"].astype("string"), sort=True) if has("sex") else (None, [])
        age = frame["age"].to_numpy()
        arrays = {
            "hh": hh, "idc": idc, "weights": frame["weights"].to_numpy(float), "age": age,
            "sex_codes": None if codes is None else codes.astype(np.int8), "dis": flag("disability"),
            "pmt": num("pmt_score"), "cons": frame["cons_pae"].to_numpy(float), "adult_eq": frame["adult_eq"].to_numpy(float),
            "bisp": flag("rec_bisp"),
            "pension": pensioner(frame) if has("rec_pension_civil") and has("rec_pension_eobi") else None,
            "uncovered": (eq(frame["labour_status"], "employed") & (np.asarray(age) >= 0) & ~flag("formal"))
            if has("labour_status") and has("formal") else None,
            "earn": np.nan_to_num(num("earnings_month"), nan=0.0) if has("earnings_month") else None,
        }
        arrays = {k: None if v is None else np.ascontiguousarray(take(v)) for k, v in arrays.items()}
        h = arrays["hh"]
        starts = np.flatnonzero(np.r_[True, h[1:] != h[:-1]]) if len(h) else np.zeros(0, np.int64)
        ex = {c: np.asarray(take(frame[c].to_numpy())) for c in extra}
        return cls(sex_levels=[str(x) for x in levels], starts=starts.astype(np.int64), order=order, extra=ex, **arrays)

    #: the frame column(s) behind each optional array
    SOURCES = {"sex_codes": "sex", "dis": "disability", "pmt": "pmt_score", "bisp": "rec_bisp",
               "pension": "rec_pension_civil/rec_pension_eobi", "uncovered": "labour_status/formal",
               "earn": "earnings_month"}

    def req(self, name: str) -> np.ndarray:
        """The array ``name``; KeyError naming the frame column when the frame had none (a rule that reads it)."""
        v = getattr(self, name)
        if v is None:
            raise KeyError(self.SOURCES.get(name, name))
        return v

    def sizes(self) -> np.ndarray:
        """Members per household."""
        return self.sizes_h

    def household_index(self) -> np.ndarray:
        """Household number (0, 1, ...) of every row."""
        return np.repeat(np.arange(len(self.starts)), self.sizes())

    def in_group(self, age_min: int, age_max: int | None = None, sex: str = "all") -> np.ndarray:
        """:func:`in_group` on the arrays (the costing's group definition; missing sex is in no sex group)."""
        m = self.age >= age_min
        if age_max is not None:
            m &= self.age <= age_max
        if sex != "all":
            m &= self.req("sex_codes") == (self.sex_levels.index(sex) if sex in self.sex_levels else -2)
        return m

    def group_table(self, age_min: int, age_max: int | None = None, sex: str = "all") -> np.ndarray:
        """:meth:`in_group` as a lookup table over ``cell`` (``table[cell]`` = membership)."""
        nsex = len(self.sex_levels) + 1
        c = np.arange(self.n_cells)
        age, code = c // nsex, c % nsex - 1
        m = age >= age_min
        if age_max is not None:
            m &= age <= age_max
        if sex != "all":
            m &= code == (self.sex_levels.index(sex) if sex in self.sex_levels else -2)
        return m

    def replicate(self, copies: int, start: int = 0) -> "Persons":
        """``copies`` replicas with new household ids, as :func:`replicate` (replica ``k`` adds ``(k + 1) x 10^11``
        to ``hhcode``), built from the arrays: no frame, no sorting (the replicas of a sorted frame stay sorted).
        The compact arrays are tiled at once, the full per-person arrays when first read."""
        if self.n and (self.hh.min() < 0 or self.hh.max() >= REPLICA_STRIDE):
            raise ValueError(f"household codes must lie in [0, {REPLICA_STRIDE}) to be replicated")
        if self._base is not None:
            raise ValueError("a replica is not replicated again: replicate the survey")
        R = object.__new__(Persons)
        R._base = (self, copies, start)
        R.sex_levels, R.order, R.n, R.n_cells, R.hh_level = self.sex_levels, None, self.n * copies, self.n_cells, self.hh_level
        R.extra = {k: np.tile(v, copies) for k, v in self.extra.items()}
        tile = lambda a: None if a is None else np.tile(a, copies)  # noqa: E731
        for k in self.COMPACT_PERSON + self.COMPACT_HOUSEHOLD:
            setattr(R, k, tile(getattr(self, k)))
        R.starts = np.tile(self.starts, copies) + np.repeat(np.arange(copies, dtype=np.int64) * self.n, len(self.starts))
        for k in self.COMPACT_ROWS:
            a = getattr(self, k)
            setattr(R, k, None if a is None else
                    np.tile(a, copies) + np.repeat(np.arange(copies, dtype=np.int64) * self.n, len(a)))
        R.earn_uncovered = tile(self.earn_uncovered)
        R.hc_indptr = None if self.hc_indptr is None else np.r_[0, (
            np.tile(self.hc_indptr[1:], copies) + np.repeat(np.arange(copies, dtype=np.int64) * self.hc_indptr[-1], len(self.starts)))]
        return R
