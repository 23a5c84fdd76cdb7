"""A seeded synthetic KP household survey with the PBS HIES structure, calibrated to published targets.

Why: PBS HIES/PSLM microdata cannot be downloaded here; the survey chapters need a household
survey with the real design (strata, PSUs, weights) and the real variables. This module builds
one that reproduces the published KP aggregates listed in
``data/raw/survey_targets/kp_calibration_targets.csv`` (each with its source) and is **synthetic**:
every output built on it is labelled so (``Chapter(..., synthetic=True)``).

Design (as HIES): two-stage stratified cluster sample. Strata = district x urban/rural (2023
districts, areas with population); PSUs of ``households_per_psu`` households; at least
``min_psu_per_stratum`` PSUs per stratum, the rest allocated proportionally to population.
Identifiers as PBS: ``psu`` (8 digits: province 1, district code 2 digits, region 1 digit,
PSU serial 4 digits), ``hhcode`` = ``psu * 100 + household number``, ``idc`` = member serial,
``province`` (1 = KP), ``region`` (1 rural, 2 urban), ``district``. The stratum is derived from
``hhcode`` exactly as for the real files (:func:`stratum_from_hhcode`).

Calibration, in order (each step solves for the parameter that hits its target, so the weighted
estimates reproduce the targets up to sampling discreteness):

1. weights: generalised raking (exponential distance, Deville & Saerndal 1992) of the design
   weights to census 2023 population by district x area and by 5-year age group x sex, and to
   the number of households implied by the average household size;
2. disability: Washington Group short set, 6 domains, levels 1-4. In each 5-year age group x sex
   cell the top of a latent score gets disability (a lot / cannot) and the next functional
   limitation (some difficulty), at the cell rates of :func:`disability_cell_rates`: the census
   2017 Table 17 age pattern scaled to the census 2023 rate -- the RAP costing's age profile, one
   function :func:`spf_analysis.data.census.disability_age_profile` -- with the census 2023 male/female
   split; functional limitation follows the same pattern scaled to its census 2023 rate
   (assumption: its age pattern is not published);
3. labour: a latent activity score per person 10+ is cut per sex at the census activity rate;
4. consumption per adult equivalent (pre-transfer): log-normal with PSU and household effects;
   programme receipt follows each programme's rule (below); the consumption level is scaled so that
   the post-transfer headcount equals the target;
5. BISP: ever-married woman and PMT score below the cut-off. PMT score = log pre-transfer
   consumption + noise; noise SD solved so that the share of beneficiary households in the poorest
   20% of persons equals the published targeting performance, cut-off solved for the KP caseload.
   Exclusion and inclusion errors then follow from the PMT noise (their size is the result of the
   calibration, reported by chapter 03);
6. pensions (60+): latent formal-career score (male, urban, richer); the top share gets a pension
   (civil or EOBI, split by an assumption); Zakat guzara, Bait-ul-Mal, ESSI and the Sehat card
   follow their rules with the assumption parameters of ``params/survey_synthetic.yaml``.

Generation is vectorised except the household roster loop (about 6,000 households: well under a
second) and deterministic: ``numpy.random.default_rng(seed)`` with one child stream per step.

Every coefficient of the model is a named entry of ``params/survey_synthetic.yaml`` with its source
or rationale (shown in the assumptions annex); the code holds only definitions (the ages of the
questionnaire and of the targets: :data:`LABOUR_AGE`, :data:`PENSION_AGE` ...), units and solver
brackets. :func:`generate` runs one function per step: sample design, rosters, weights, persons,
disability, consumption, labour, pensions, earnings and ESSI, household programmes, consumption
level, education.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from spf_analysis.config import paths
from spf_analysis.config.errors import FileKeyError, read_yaml
from spf_analysis.data.io import AGE_GROUPS, Col, InputError, Schema, check_bounds, read_csv
from spf_analysis.stats.poverty import quantile_groups, weighted_quantile

__all__ = [
    "HOUSEHOLD_SCHEMA", "PERSON_SCHEMA", "PROGRAMMES", "generate", "load_params", "read_targets",
    "calibration_table", "check_schema", "stratum_from_hhcode", "rake", "load_survey", "write_survey",
]

TARGETS_FILE = paths.RAW / "survey_targets" / "kp_calibration_targets.csv"
PARAMS_FILE = paths.PARAMS / "survey_synthetic.yaml"
PROVINCE_KP = 1

#: programme -> (receipt column, annual amount column, level)
PROGRAMMES = {
    "bisp": ("rec_bisp", "amt_bisp", "household"),
    "zakat": ("rec_zakat", "amt_zakat", "household"),
    "baitulmal": ("rec_baitulmal", "amt_baitulmal", "household"),
    "pension_civil": ("rec_pension_civil", "amt_pension_civil", "person"),
    "pension_eobi": ("rec_pension_eobi", "amt_pension_eobi", "person"),
    "essi": ("rec_essi", "amt_essi", "person"),
}
WG_DOMAINS = ("seeing", "hearing", "walking", "cognition", "selfcare", "communication")

# processed schema: column -> pandas dtype. Nullable columns may be NA when a source lacks them.
HOUSEHOLD_SCHEMA = {
    "hhcode": "int64", "psu": "int64", "stratum": "int64", "weights": "float64",
    "province": "int64", "region": "int64", "district": "string", "hhsize": "int64",
    "adult_eq": "float64", "cons_pae": "float64", "cons_pae_pre": "float64",
    "pmt_score": "Float64", "sehat_card": "Int64",
    **{c: "int64" for c, _, _ in PROGRAMMES.values()},
    **{a: "float64" for _, a, _ in PROGRAMMES.values()},
    "transfers_total": "float64",
}
PERSON_SCHEMA = {
    "hhcode": "int64", "idc": "int64", "psu": "int64", "stratum": "int64", "weights": "float64",
    "province": "int64", "region": "int64", "district": "string",
    "age": "int64", "sex": "string", "relation": "string", "marital": "string",
    **{f"wg_{d}": "Int64" for d in WG_DOMAINS},
    "disability": "Int64", "functional_limitation": "Int64",
    "literate": "Int64", "attending_school": "Int64", "education": "string",
    "labour_status": "string", "employment_type": "string", "sector": "string",
    "formal": "Int64", "earnings_month": "Float64",
    "rec_pension_civil": "int64", "amt_pension_civil": "float64",
    "rec_pension_eobi": "int64", "amt_pension_eobi": "float64",
    "rec_essi": "int64", "amt_essi": "float64",
}
SEX = ("male", "female")
RELATIONS = ("head", "spouse", "child", "grandchild", "parent", "sibling", "other relative")
MARITAL = ("never married", "married", "widowed", "divorced")
LABOUR = ("employed", "unemployed", "inactive")
EMPLOYMENT = ("employee", "self-employed", "employer", "unpaid family worker")
SECTORS = ("agriculture", "industry", "services")
EDUCATION = ("none", "primary", "middle", "matric", "intermediate", "graduate")


# ---------------------------------------------------------------------------- inputs
TARGETS_SCHEMA = Schema(
    "survey calibration targets",
    columns=(Col("target_id"), Col("indicator"), Col("statistic", allowed=("total", "share", "mean", "parameter")),
             Col("domain"), Col("value", "float"), Col("unit"), Col("tolerance", "float", min=0),
             Col("tolerance_type", allowed=("absolute", "relative")),
             Col("source_title"), Col("source_url"), Col("locator"),
             Col("confidence", allowed=("high", "medium", "low")), Col("note", nullable=True)),
    key=("target_id",),
)
REQUIRED_TARGETS = ("population_total", "household_size", "poverty_line", "poverty_headcount",
                    "bisp_families", "bisp_bottom_quintile_share", "pension_60plus",
                    "activity_rate_male", "activity_rate_female", "disability_prevalence",
                    "functional_limitation_prevalence", "zakat_guzara_recipients", "sehat_card_coverage",
                    "disability_prevalence_male", "disability_prevalence_female", "disability_prevalence_0_14",
                    "disability_prevalence_15_64", "disability_prevalence_65plus")


def read_targets(file: Path | None = None) -> pd.DataFrame:
    """The calibration targets (one row per target, with source), checked."""
    file = Path(file or TARGETS_FILE)
    df = read_csv(file, Schema(TARGETS_SCHEMA.name, TARGETS_SCHEMA.columns, TARGETS_SCHEMA.key,
                               checks=(check_bounds("target_id"),)))
    missing = [t for t in REQUIRED_TARGETS if t not in set(df["target_id"])]
    if missing:
        raise InputError(file, f"missing calibration target(s) {missing}", column="target_id")
    return df.reset_index(drop=True)


#: Sizes of the generated survey: parameter -> (min, max, rationale). The roster loop, the
#: persons table and the raking matrix grow with the number of households; the caps keep a
#: typo (an extra zero or three) from exhausting memory. HIES 2018-19 interviewed about 24,800
#: households in all of Pakistan; the KP sample is a few thousand.
SIZE_LIMITS = {
    "n_psu": (1, 5_000, "PSUs in KP; 5,000 PSUs is over ten times the KP HIES sample"),
    "households_per_psu": (1, 100, "households per PSU; PBS takes 12-16"),
    "min_psu_per_stratum": (1, 50, "PSUs per stratum; at least 2 for a variance estimate"),
}
#: n_psu x households_per_psu: about 8 persons per household. Measured: 23,040 households
#: (n_psu 1,440) give 185,000 persons in 7 s with a peak of 0.4 GB, so 100,000 households take
#: about half a minute and under 2 GB.
MAX_HOUSEHOLDS = 100_000


def check_sizes(p: dict, file: Path | str | None = None) -> None:
    """The size parameters of the generator are whole numbers within :data:`SIZE_LIMITS`
    (and the sample within :data:`MAX_HOUSEHOLDS` households)."""
    shown = paths.rel(Path(file or PARAMS_FILE))
    for k, (lo, hi, why) in SIZE_LIMITS.items():
        v = p.get(k)
        if isinstance(v, bool) or not isinstance(v, int):
            raise FileKeyError(f"should be a whole number ({why}), got {v!r}", file=shown, key=k)
        if not lo <= v <= hi:
            word = f"below the minimum {lo}" if v < lo else f"above the maximum {hi:,}"
            raise FileKeyError(f"{v:,} is {word} ({why})", file=shown, key=k)
    n = p["n_psu"] * p["households_per_psu"]
    if n > MAX_HOUSEHOLDS:
        raise FileKeyError(f"n_psu x households_per_psu = {n:,} households is above the maximum "
                           f"{MAX_HOUSEHOLDS:,} (memory and time grow with the sample; about 8 "
                           "persons per household)", file=shown, key="n_psu")


def load_params(file: Path | None = None, **overrides) -> dict:
    """Generator parameters from ``params/survey_synthetic.yaml`` (unknown override = error;
    sizes checked by :func:`check_sizes`)."""
    file = Path(file or PARAMS_FILE)
    shown = paths.rel(file)
    p = read_yaml(file, name=shown)
    if not isinstance(p, dict):
        raise FileKeyError("expected a mapping of parameter: value", file=shown)
    for k, v in overrides.items():
        if k not in p:
            raise KeyError(f"unknown synthetic-survey parameter {k!r} (known: {sorted(p)})")
        try:
            p[k] = type(p[k])(v) if not isinstance(p[k], bool) else bool(v)
        except (TypeError, ValueError):
            raise FileKeyError(f"override {v!r} is not of type {type(p[k]).__name__}", file=shown,
                               key=k) from None
    check_sizes(p, file)
    return p


def census_cells(year: int = 2023, census: pd.DataFrame | None = None) -> pd.DataFrame:
    """Census population by district, area (rural/urban), 5-year age group and sex (male, female)."""
    if census is None:
        from spf_analysis.data import io
        census = io.load("census_district_age_sex")
    c = census[(census["year"] == year) & census["sex"].isin(SEX) & census["area"].isin(("rural", "urban"))
               & census["age_group"].isin(AGE_GROUPS)]
    c = c.rename(columns={"geography": "district"})[["district", "area", "age_group", "sex", "population"]]
    c = c.assign(population=c["population"].astype("int64"))
    if c.empty:
        raise ValueError(f"no census district x area x age x sex rows for {year}")
    return c.sort_values(["district", "area", "age_group", "sex"]).reset_index(drop=True)


# ---------------------------------------------------------------------------- helpers
def stratum_from_hhcode(hhcode) -> np.ndarray:
    """Stratum = province, district code and region digits of the PSU code: ``hhcode // 10**6``.

    ``hhcode`` = 8-digit PSU code * 100 + household number; the PSU code is province (1 digit),
    district (2), region (1), serial (4). The same rule is used for the real HIES files (see the
    codebooks), where PBS releases no stratum variable.
    """
    return np.asarray(hhcode, dtype=np.int64) // 1_000_000


def rake(d: np.ndarray, X: np.ndarray, T: np.ndarray, tol: float = 1e-8, max_iter: int = 100) -> np.ndarray:
    """Generalised raking: weights ``w = d exp(X lambda)`` with ``X' w = T`` (Deville & Saerndal 1992).

    Newton's method on the calibration equations with a pseudo-inverse step (redundant
    constraints, e.g. two margins with the same grand total, are allowed when consistent).
    Raises ``ValueError`` when the targets cannot be reached.
    """
    lam = np.zeros(X.shape[1])
    scale = np.where(T > 0, T, 1.0)
    for _ in range(max_iter):
        w = d * np.exp(np.clip(X @ lam, -30, 30))
        r = T - X.T @ w
        if np.max(np.abs(r) / scale) < tol:
            return w
        H = X.T @ (X * w[:, None])
        lam = lam + np.linalg.pinv(H, rcond=1e-12) @ r
    raise ValueError(f"raking did not converge (max relative residual {np.max(np.abs(r) / scale):.2e})")


def _solve_increasing(f, lo: float, hi: float, target: float, iters: int = 60) -> float:
    """Bisection for an increasing function ``f`` on [lo, hi]."""
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _top_share(score: np.ndarray, w: np.ndarray, share: float) -> np.ndarray:
    """The persons with the highest ``score`` whose weight share is closest to ``share``."""
    o = np.argsort(-score, kind="stable")
    cw = np.concatenate([[0.0], np.cumsum(w[o]) / w.sum()])
    out = np.zeros(len(score), bool)
    out[o[:int(np.argmin(np.abs(cw - share)))]] = True
    return out


@dataclass
class _Roster:
    hh: np.ndarray
    age: np.ndarray
    sex: np.ndarray       # 0 male, 1 female
    rel: np.ndarray       # index into RELATIONS
    marital: np.ndarray   # index into MARITAL


def _rosters(rng, n: int, p: dict) -> _Roster:
    """Household rosters: head, spouse, children, and extended members (parents, married son's family).

    Shapes only: the raking then fits the weighted age-sex structure to the census exactly. Every
    number is a ``roster_*`` parameter of ``params/survey_synthetic.yaml`` (with its rationale).
    """
    girl = float(p["female_share_at_birth"])
    gap = int(p["roster_generation_gap"])
    H, A, S, R, M = [], [], [], [], []
    u = rng.random((n, 12))
    nk = rng.poisson(float(p["roster_children_mean"]), n)
    for h in range(n):
        r = u[h]
        head_female = r[0] < float(p["roster_head_female_share"])
        if not head_female:
            head_age = int(p["roster_head_age_min_male"] + rng.gamma(float(p["roster_head_age_gamma_shape"]),
                                                                    float(p["roster_head_age_gamma_scale_male"])))
        else:
            head_age = int(p["roster_head_age_min_female"] + rng.gamma(float(p["roster_head_age_gamma_shape"]),
                                                                      float(p["roster_head_age_gamma_scale_female"])))
        head_age = min(head_age, int(p["roster_head_age_max"]))
        married = (r[1] < float(p["roster_head_married_share"])) and not head_female
        H.append(h); A.append(head_age); S.append(1 if head_female else 0); R.append(0)
        M.append(2 if head_female else (1 if married else (0 if head_age < int(p["roster_head_never_married_below_age"]) else 2)))
        mother_age = None
        if married:  # the wife
            sp_age = max(int(p["roster_spouse_age_min"]),
                         head_age - int(p["roster_spouse_age_gap_min"] + p["roster_spouse_age_gap_range"] * r[2]))
            H.append(h); A.append(sp_age); S.append(1); R.append(1); M.append(1)
            mother_age = sp_age
        elif head_female:
            mother_age = head_age
        if mother_age is not None:  # the children of the couple (or of the female head)
            span = max(min(mother_age - int(p["roster_mother_age_first_birth"]), int(p["roster_childbearing_span_max"])), 1)
            k = int(min(nk[h], span // int(p["roster_birth_spacing"]) + int(p["roster_children_extra"])))
            ages = np.sort(rng.integers(0, span, k))
            for a in ages:
                sx = int(rng.random() < girl)
                H.append(h); A.append(int(a)); S.append(sx); R.append(2)
                M.append(1 if (a >= int(p["roster_child_married_min_age"]) and rng.random() < float(p["roster_child_married_share"])) else 0)
        if r[3] < float(p["roster_parent_share"]) and head_age < int(p["roster_parent_head_age_max"]):  # a widowed parent
            H.append(h); A.append(min(head_age + gap + int(p["roster_parent_gap_range"] * r[4]), int(p["roster_age_max"])))
            S.append(int(r[5] < float(p["roster_parent_female_share"]))); R.append(4); M.append(2)
        if r[6] < float(p["roster_married_son_share"]) and head_age >= int(p["roster_married_son_head_age_min"]):
            # married son, his wife and their children
            sa = max(int(p["roster_son_age_min"]), head_age - gap - int(p["roster_son_gap_range"] * r[7]))
            H += [h, h]; A += [sa, max(int(p["roster_daughter_in_law_age_min"]), sa - int(p["roster_daughter_in_law_age_gap"]))]
            S += [0, 1]; R += [2, 6]; M += [1, 1]
            for a in rng.integers(0, max(sa - int(p["roster_son_age_first_child"]), 1), rng.poisson(float(p["roster_grandchildren_mean"]))):
                H.append(h); A.append(int(a)); S.append(int(rng.random() < girl)); R.append(3); M.append(0)
        if r[8] < float(p["roster_sibling_share"]):  # unmarried sibling of the head
            H.append(h); A.append(int(p["roster_sibling_age_min"] + p["roster_sibling_age_range"] * r[9]))
            S.append(int(r[10] < float(p["roster_sibling_female_share"]))); R.append(5); M.append(0)
    return _Roster(*(np.asarray(v, dtype=np.int64) for v in (H, A, S, R, M)))


def _age_group_index(age: np.ndarray) -> np.ndarray:
    return np.minimum(age // 5, 15)


def disability_cell_rates(age_group_index: np.ndarray, sex: np.ndarray, w: np.ndarray, targets: pd.Series,
                          pattern: str = "kp_merged_2017", disabled: pd.DataFrame | None = None,
                          population: pd.DataFrame | None = None) -> np.ndarray:
    """Disability prevalence of each person's 5-year age group x sex cell (the generator's targets).

    Age: the census 2017 Table 17 age pattern scaled to the census 2023 rate, the same function the
    RAP costing's scenarios use (:func:`spf_analysis.data.census.disability_age_profile`,
    ``pattern`` = its census geography). Sex: within every age group the male rate is ``rho``
    times the female rate and the group's (weighted) rate is kept, ``r_f(a) = R(a) N(a) /
    (rho N_m(a) + N_f(a))``; ``rho`` is solved so that the male prevalence equals the census 2023
    male rate (target ``disability_prevalence_male``). The female rate then follows (checked
    against its own target). Census 2017 Table 17 also has sex, but its male/female ratio (0.77% /
    0.50%) comes from the narrower 2017 question; the 2023 ratio (3.38% / 2.93%) is the one of the
    rate being used.
    """
    from spf_analysis.data import census
    from spf_analysis.data import io
    prof = census.disability_age_profile(disabled if disabled is not None else io.load("disability_census"),
                                         population if population is not None else io.load("census_province_age_sex"),
                                         targets["disability_prevalence"] / 100, geography=pattern)
    R = prof.to_numpy()[np.arange(16)]
    Nm = np.bincount(age_group_index[sex == 0], w[sex == 0], minlength=16)
    Nf = np.bincount(age_group_index[sex == 1], w[sex == 1], minlength=16)

    def male_rate(rho):
        return float((rho * R * (Nm + Nf) / (rho * Nm + Nf) * Nm).sum() / Nm.sum())
    rho = _solve_increasing(male_rate, 0.05, 20.0, targets["disability_prevalence_male"] / 100)
    r_f = R * (Nm + Nf) / (rho * Nm + Nf)
    return np.where(sex == 0, rho * r_f[age_group_index], r_f[age_group_index])


# ---------------------------------------------------------------------------- generator
#: Age definitions of the calibration targets and of the survey questionnaire (not model choices):
#: labour and literacy are asked of persons 10+ (census activity rates 10+, PSLM literacy 10+),
#: marital status of persons 10+, and the pension target is the share of persons 60+.
LABOUR_AGE = 10
LITERACY_AGE = 10
MARITAL_AGE = 10
PENSION_AGE = 60
#: Bisection brackets of the two solved parameters (wide enough to hold the solution; numerical only).
_BISP_NOISE_SD_BRACKET = (0.0, 5.0)
_BISP_NOISE_SD_ITERATIONS = 40
_LEVEL_BRACKET = (100.0, 100_000.0)


@dataclass
class _Design:
    psu: pd.DataFrame        # one row per PSU: psu, district, area, region
    hh: pd.DataFrame         # one row per household: psu, district, area, region, hhcode, stratum
    pop: pd.Series           # census population by (district, area): the stratum totals
    d: np.ndarray            # household design weights


@dataclass
class _People:
    """Person-level arrays shared by the generation steps."""
    hh: np.ndarray           # household row of each person
    age: np.ndarray
    female: np.ndarray
    urban: np.ndarray
    w: np.ndarray            # person weight (= household weight)
    disabled: np.ndarray     # 0/1


def _sample_design(cells: pd.DataFrame, p: dict, tg: pd.Series) -> _Design:
    """Strata (district x area with population), PSU allocation, households and design weights."""
    strat = cells.groupby(["district", "area"], sort=True)["population"].sum().reset_index()
    strat = strat[strat["population"] > 0].reset_index(drop=True)
    districts = sorted(strat["district"].unique())
    dcode = {d: i + 1 for i, d in enumerate(districts)}
    n_psu = int(p["n_psu"])
    m = int(p["min_psu_per_stratum"])
    if n_psu < m * len(strat):
        raise ValueError(f"n_psu={n_psu} is below {m} PSUs x {len(strat)} strata")
    extra = (n_psu - m * len(strat)) * strat["population"] / strat["population"].sum()
    alloc = m + np.floor(extra).astype(int)
    rest = n_psu - alloc.sum()
    alloc[np.argsort(-(extra - np.floor(extra)).to_numpy(), kind="stable")[:rest]] += 1
    strat["n_psu"] = alloc
    region = strat["area"].map({"rural": 1, "urban": 2}).to_numpy()
    psu_rows = []
    for i, row in strat.iterrows():
        for j in range(int(row["n_psu"])):
            code = ((PROVINCE_KP * 100 + dcode[row["district"]]) * 10 + region[i]) * 10_000 + j + 1
            psu_rows.append((code, row["district"], row["area"], region[i]))
    psu = pd.DataFrame(psu_rows, columns=["psu", "district", "area", "region"])
    k = int(p["households_per_psu"])
    hh = psu.loc[psu.index.repeat(k)].reset_index(drop=True)
    hh["hhcode"] = hh["psu"] * 100 + np.tile(np.arange(1, k + 1), len(psu))
    hh["stratum"] = stratum_from_hhcode(hh["hhcode"])
    # design weight: stratum population / sampled households / assumed household size
    pop_s = strat.set_index(["district", "area"])["population"]
    n_s = hh.groupby(["district", "area"])["hhcode"].transform("size").to_numpy()
    d = pop_s.reindex(pd.MultiIndex.from_frame(hh[["district", "area"]])).to_numpy() / n_s / float(tg["household_size"])
    return _Design(psu, hh, pop_s, d)


def _calibrate_weights(des: _Design, ros: _Roster, cells: pd.DataFrame, tg: pd.Series) -> np.ndarray:
    """Rake the design weights to census population by district x area and by age group x sex,
    and to the number of households implied by the average household size."""
    hh, pop_s = des.hh, des.pop
    nh = len(hh)
    da_code = pd.MultiIndex.from_frame(hh[["district", "area"]]).map(
        {k2: i for i, k2 in enumerate(pop_s.index)}).to_numpy()
    n_da = len(pop_s)
    as_code = _age_group_index(ros.age) * 2 + ros.sex
    X_da = np.zeros((nh, n_da)); np.add.at(X_da, (ros.hh, da_code[ros.hh]), 1.0)
    X_as = np.zeros((nh, 32)); np.add.at(X_as, (ros.hh, as_code), 1.0)
    ag_idx = {a: i for i, a in enumerate(AGE_GROUPS)}
    T_as = np.zeros(32)
    for (a, s), v in cells.groupby(["age_group", "sex"])["population"].sum().items():
        T_as[ag_idx[a] * 2 + SEX.index(s)] = v
    T_da = pop_s.to_numpy(float)
    T_hh = T_da.sum() / float(tg["household_size"])
    X = np.column_stack([X_da, X_as, np.ones(nh)])
    T = np.concatenate([T_da, T_as, [T_hh]])
    return rake(des.d, X, T)


def _persons_frame(hh: pd.DataFrame, ros: _Roster, pw: np.ndarray) -> pd.DataFrame:
    """One row per member with the household's identifiers and weight, sex, relation, marital status."""
    per = pd.DataFrame({"hh_row": ros.hh, "age": ros.age, "sex_i": ros.sex})
    per["idc"] = per.groupby("hh_row").cumcount() + 1
    for c in ("hhcode", "psu", "stratum", "district", "region", "area"):
        per[c] = hh[c].to_numpy()[ros.hh]
    per["weights"] = pw
    per["sex"] = np.array(SEX)[ros.sex]
    per["relation"] = np.array(RELATIONS)[ros.rel]
    per["marital"] = np.where(per["age"] < MARITAL_AGE, pd.NA, np.array(MARITAL)[ros.marital])
    return per


def _disability(r, per: pd.DataFrame, ros: _Roster, pw: np.ndarray, p: dict, tg: pd.Series) -> None:
    """Washington Group domains (``wg_*``), ``disability`` and ``functional_limitation`` (added to ``per``).

    Per 5-year age group x sex cell the top ``dis_rate`` of a latent score are disabled, the next
    ``fl_rate`` have a functional limitation (some difficulty, no disability; mutually exclusive as
    the census reports them, nested on the same score as the WG levels).
    """
    age = per["age"].to_numpy()
    female = ros.sex == 1
    agi = _age_group_index(ros.age)
    score = (float(p["disability_score_age"]) * age + float(p["disability_score_male"]) * (~female)
             + r.normal(0, float(p["disability_score_noise_sd"]), len(per)))
    dis_rate = disability_cell_rates(agi, ros.sex, pw, tg, str(p["disability_age_pattern"]))
    # functional limitation: no published age pattern (census 2023 gives only the total): assumed
    # proportional to the disability pattern, scaled to its census 2023 rate
    fl_rate = dis_rate * tg["functional_limitation_prevalence"] / (100 * np.sum(pw * dis_rate) / pw.sum())
    dis = np.zeros(len(per), bool)
    anyd = np.zeros(len(per), bool)
    cell = agi * 2 + ros.sex
    for c in np.unique(cell):
        ix = np.flatnonzero(cell == c)
        dis[ix] = _top_share(score[ix], pw[ix], dis_rate[ix[0]])
        anyd[ix] = _top_share(score[ix], pw[ix], dis_rate[ix[0]] + fl_rate[ix[0]])
    fl = anyd & ~dis
    wg = np.ones((len(per), len(WG_DOMAINS)), dtype=np.int64)
    shares = p["wg_main_domain_shares"]
    if not isinstance(shares, dict) or set(shares) != set(WG_DOMAINS):
        raise ValueError(f"wg_main_domain_shares must give a share for each of {list(WG_DOMAINS)}")
    dom_p = np.array([float(shares[d]) for d in WG_DOMAINS])
    main = r.choice(len(WG_DOMAINS), len(per), p=dom_p)
    second = r.choice(len(WG_DOMAINS), len(per), p=dom_p)
    lvl_dis = np.where(r.random(len(per)) < float(p["wg_cannot_share"]), 4, 3)
    rows = np.arange(len(per))
    wg[rows[fl], main[fl]] = 2
    wg[rows[dis], main[dis]] = lvl_dis[dis]
    extra2 = dis & (r.random(len(per)) < float(p["wg_second_domain_share"]))
    wg[rows[extra2], second[extra2]] = np.maximum(wg[rows[extra2], second[extra2]], 2)
    for j, dname in enumerate(WG_DOMAINS):
        per[f"wg_{dname}"] = pd.array(wg[:, j], dtype="Int64")
    per["disability"] = pd.array((wg >= 3).any(axis=1).astype(int), dtype="Int64")
    per["functional_limitation"] = pd.array(((wg == 2).any(axis=1) & ~(wg >= 3).any(axis=1)).astype(int), dtype="Int64")


def _consumption_base(r, des: _Design, ros: _Roster, people: _People, hsize: np.ndarray, p: dict):
    """Adult equivalents and level-free pre-transfer consumption per adult equivalent ``base``
    (log-normal with PSU and household effects; its level is fixed by :func:`_consumption_level`)."""
    hh, nh = des.hh, len(des.hh)
    ae_person = np.where(people.age < int(p["adult_equivalent_child_age"]), float(p["adult_equivalent_child"]), 1.0)
    adult_eq = np.bincount(ros.hh, ae_person, minlength=nh)
    psu_eff = pd.Series(r.normal(0, p["log_sd_psu"], len(des.psu)), index=des.psu["psu"])
    head_dis = np.zeros(nh); np.maximum.at(head_dis, ros.hh, (ros.rel == 0) * people.disabled)
    logc = (float(p["urban_log_premium"]) * (hh["region"].to_numpy() == 2)
            + psu_eff.reindex(hh["psu"]).to_numpy()
            + float(p["hhsize_log_elasticity"]) * (hsize - float(p["hhsize_log_centre"]))
            + float(p["head_disability_log_effect"]) * head_dis
            + r.normal(0, p["log_sd_household"], nh))
    return adult_eq, np.exp(logc)


def _labour(r, per: pd.DataFrame, people: _People, base_p: np.ndarray, p: dict, tg: pd.Series) -> dict:
    """Activity (cut per sex at the census rate), unemployment, sector, employment type, formality
    (columns added to ``per``); returns the person flags the transfer steps need."""
    age, female, urban, pw = people.age, people.female, people.urban, people.w
    n = len(per)
    age10 = age >= LABOUR_AGE
    act = np.full(n, "", dtype=object)
    prof = (np.where(female, float(p["labour_profile_female"]), float(p["labour_profile_male"]))
            * (1 - np.abs(age - p["labour_profile_peak_age"]) / p["labour_profile_width"])
            + float(p["labour_disability_effect"]) * people.disabled)
    lat = prof + r.normal(0, float(p["labour_noise_sd"]), n)
    active = np.zeros(n, bool)
    for sx, key in ((0, "activity_rate_male"), (1, "activity_rate_female")):
        msk = age10 & (female == bool(sx))
        cut = weighted_quantile(lat[msk], pw[msk], 1 - tg[key] / 100)
        active[msk] = lat[msk] >= cut
    unemp_share = np.where(female, p["unemployed_share_of_active_female"], p["unemployed_share_of_active_male"])
    unemployed = active & (r.random(n) < unemp_share)
    employed = active & ~unemployed
    act[age10] = "inactive"
    act[active] = "employed"
    act[unemployed] = "unemployed"
    per["labour_status"] = pd.array(np.where(age10, act, None), dtype="string")
    agri = employed & (r.random(n) < np.where(urban, float(p["agriculture_share_urban"]),
                                               float(p["agriculture_share"]) * float(p["agriculture_rural_factor"])))
    sector = np.where(agri, "agriculture", np.where(r.random(n) < float(p["industry_share_nonagri"]), "industry", "services"))
    nonag = employed & ~agri
    employee = nonag & (r.random(n) < float(p["employee_share_nonagri"]))
    fam = (employed & ~employee & (female | (age < int(p["unpaid_family_age_max"])))
           & (r.random(n) < float(p["unpaid_family_share"])))
    employer = employed & ~employee & ~fam & (r.random(n) < float(p["employer_share"]))
    etype = np.where(employee, EMPLOYMENT[0], np.where(fam, EMPLOYMENT[3], np.where(employer, EMPLOYMENT[2], EMPLOYMENT[1])))
    per["employment_type"] = pd.array(np.where(employed, etype, None), dtype="string")
    per["sector"] = pd.array(np.where(employed, sector, None), dtype="string")
    # formality: non-agricultural workers, richer households more formal; agriculture informal
    fscore = np.log(base_p) + float(p["formality_employee_effect"]) * employee + r.normal(0, float(p["formality_noise_sd"]), n)
    cut_f = weighted_quantile(fscore[nonag], pw[nonag], float(p["informal_share_nonagri"]))
    formal = nonag & (fscore > cut_f)
    per["formal"] = pd.array(np.where(employed, formal.astype(int), pd.NA), dtype="Int64")
    return {"employed": employed, "employee": employee, "unpaid_family": fam, "formal": formal}


def _pensions(r, people: _People, base_p: np.ndarray, p: dict, tg: pd.Series):
    """Pensioners 60+ (top share of a latent formal-career score = target), civil or EOBI, annual amounts."""
    age, female, urban, pw = people.age, people.female, people.urban, people.w
    n = len(age)
    old = age >= PENSION_AGE
    pscore = (float(p["pension_score_male"]) * (~female) + float(p["pension_score_urban"]) * urban
              + float(p["pension_score_log_consumption"]) * np.log(base_p)
              + r.normal(0, float(p["pension_score_noise_sd"]), n))
    cut_p = weighted_quantile(pscore[old], pw[old], 1 - tg["pension_60plus"] / 100)
    pensioner = old & (pscore >= cut_p)
    civil = pensioner & (r.random(n) < float(p["pension_civil_share"]))
    eobi = pensioner & ~civil
    amt_civil = np.where(civil, 12 * np.maximum(float(p["pension_civil_min_month"]),
                                                float(p["pension_civil_median_month"])
                                                * np.exp(r.normal(0, float(p["pension_civil_log_sd"]), n))), 0.0)
    amt_eobi = np.where(eobi, 12 * float(p["pension_eobi_month"]), 0.0)
    return civil, eobi, amt_civil, amt_eobi


def _earnings_and_essi(r, people: _People, base_p: np.ndarray, lab: dict, p: dict, tg: pd.Series):
    """Monthly earnings of workers (unpaid family workers: 0) and ESSI cash benefits of insured formal employees."""
    female, n = people.female, len(people.age)
    employed, fam, formal = lab["employed"], lab["unpaid_family"], lab["formal"]
    insured = formal & lab["employee"] & (r.random(n) < float(p["essi_insured_share_formal"]))
    earn = np.where(employed & ~fam, np.exp(np.log(float(tg["poverty_line"]) * float(p["earnings_poverty_line_multiple"]))
                                            + float(p["earnings_log_consumption"]) * np.log(base_p)
                                            + float(p["earnings_formal_effect"]) * formal
                                            + float(p["earnings_female_effect"]) * female
                                            + r.normal(0, float(p["earnings_noise_sd"]), n)), np.nan)
    earn = np.where(fam, 0.0, earn)
    essi_claim = insured & (r.random(n) < float(p["essi_claim_rate"]))
    amt_essi = np.where(essi_claim, float(p["essi_benefit_wage_share"]) * np.nan_to_num(earn) * p["essi_benefit_months"], 0.0)
    return earn, essi_claim, amt_essi


def _lowest_until(score: np.ndarray, cum_weight, target: float, nh: int) -> np.ndarray:
    """Households with the lowest ``score``, up to and including the one at which the cumulative
    weight ``cum_weight(order)`` (order = households by ascending score) first reaches ``target``."""
    o = np.argsort(score, kind="stable")
    kk = np.searchsorted(cum_weight(o), target) + 1
    sel = np.zeros(nh, bool); sel[o[:kk]] = True
    return sel


def _household_programmes(r, ros: _Roster, people: _People, w: np.ndarray, hsize: np.ndarray,
                          base: np.ndarray, p: dict, tg: pd.Series):
    """BISP (PMT noise SD solved for the targeting target, caseload), Sehat card, Zakat guzara and
    Bait-ul-Mal receipt: ``(receipt flags, PMT score, Sehat enrolment)``."""
    nh = len(w)
    female, age = people.female, people.age
    z_bisp = r.normal(0, 1, nh)
    z_sehat = r.normal(0, 1, nh)
    z_zakat = r.normal(0, 1, nh)
    z_bm = r.normal(0, 1, nh)
    ever_married_woman = np.zeros(nh, bool)
    np.logical_or.at(ever_married_woman, ros.hh, female & (ros.marital >= 1))
    has_widow = np.zeros(nh, bool); np.logical_or.at(has_widow, ros.hh, female & (ros.marital == 2) & (ros.rel == 0))
    has_dis = np.zeros(nh, bool); np.logical_or.at(has_dis, ros.hh, people.disabled == 1)
    has_old = np.zeros(nh, bool); np.logical_or.at(has_old, ros.hh, age >= int(p["zakat_older_age"]))
    hw = w
    hsize_w = hw * hsize
    logb = np.log(base)
    # person quintile of pre-transfer consumption (level-free: the ranking of ``base``)
    q_person = quantile_groups(base[ros.hh], people.w, 5)
    bottom = np.zeros(nh); np.add.at(bottom, ros.hh, (q_person == 1) * 1.0)
    bottom_hh = bottom / hsize  # share of household members in the poorest quintile (0 or 1)

    def bisp_select(sd):
        s = logb + sd * z_bisp
        s_el = np.where(ever_married_woman, s, np.inf)
        o = np.argsort(s_el, kind="stable")
        cw = np.cumsum(hw[o])
        kk = min(np.searchsorted(cw, tg["bisp_families"]) + 1, nh)
        sel = np.zeros(nh, bool); sel[o[:kk]] = True
        sel &= ever_married_woman
        return sel, s

    def bottom_share(sd):
        sel, _ = bisp_select(sd)
        return -(hw * sel * bottom_hh).sum() / (hw * sel).sum()  # increasing in sd
    sd_bisp = _solve_increasing(bottom_share, *_BISP_NOISE_SD_BRACKET, -tg["bisp_bottom_quintile_share"] / 100,
                                iters=_BISP_NOISE_SD_ITERATIONS)
    rec_bisp, pmt_score = bisp_select(sd_bisp)  # PMT score: lower = poorer (log-consumption scale)
    # Sehat card (targeted phase): PMT with noise; enrol lowest scores until the population share
    ss = logb + float(p["sehat_pmt_noise_sd"]) * z_sehat
    sehat = _lowest_until(ss, lambda o: np.cumsum(hsize_w[o]) / hsize_w.sum(), tg["sehat_card_coverage"] / 100, nh).astype(int)
    # Zakat guzara: households headed by a widow, with a disabled or older member; committee choice
    el_z = has_widow | has_dis | has_old
    sz = np.where(el_z, logb + float(p["zakat_noise_sd"]) * z_zakat, np.inf)
    rec_zakat = _lowest_until(sz, lambda o: np.cumsum(hw[o]), tg["zakat_guzara_recipients"], nh) & el_z
    # Bait-ul-Mal: uncalibrated assumption
    sb = logb + float(p["baitulmal_noise_sd"]) * z_bm
    rec_bm = _lowest_until(sb, lambda o: np.cumsum(hw[o]) / hw.sum(), float(p["baitulmal_household_share"]), nh)
    return {"bisp": rec_bisp, "zakat": rec_zakat, "baitulmal": rec_bm}, pmt_score, sehat


def _consumption_level(base: np.ndarray, t_pae: np.ndarray, hsize_w: np.ndarray, tg: pd.Series):
    """Scale ``base`` so that the post-transfer headcount equals the target: ``(pre, post)``."""
    z = float(tg["poverty_line"])

    def headcount(level):
        post = level * base + t_pae
        return -(hsize_w * (post < z)).sum() / hsize_w.sum()  # increasing in level
    level = _solve_increasing(headcount, *_LEVEL_BRACKET, -tg["poverty_headcount"] / 100)
    cons_pre = level * base
    return cons_pre, cons_pre + t_pae


def _education(r, per: pd.DataFrame, people: _People, cons_pre_p: np.ndarray, p: dict, tg: pd.Series) -> None:
    """Literacy (logistic in area, sex, age, consumption), school attendance and education level (added to ``per``)."""
    age, female, urban = people.age, people.female, people.urban
    n = len(per)
    z = float(tg["poverty_line"])
    lit_p = 1 / (1 + np.exp(-(float(p["literacy_intercept"]) + float(p["literacy_urban"]) * urban
                               + float(p["literacy_female"]) * female
                               + float(p["literacy_age_slope"]) * np.maximum(age - int(p["literacy_age_from"]), 0)
                               + float(p["literacy_log_consumption"]) * np.log(cons_pre_p / z))))
    literate = (age >= LITERACY_AGE) & (r.random(n) < lit_p)
    school_age = (age >= int(p["school_age_min"])) & (age <= int(p["school_age_max"]))
    att = school_age & (r.random(n) < np.where(female, float(p["attendance_female"]), float(p["attendance_male"]))
                        * np.where(urban, float(p["attendance_urban_factor"]), float(p["attendance_rural_factor"])))
    edu_draw = r.random(n)
    cum = p["education_cumulative_shares"]
    levels = list(EDUCATION[1:5])
    if not isinstance(cum, dict) or list(cum) != levels:
        raise ValueError(f"education_cumulative_shares must give, in order, {levels}")
    edu = np.select([~literate] + [edu_draw < float(cum[lv]) for lv in levels], list(EDUCATION[:5]), EDUCATION[5])
    edu = np.where(age < LITERACY_AGE, np.where(att, "primary", "none"), edu)
    per["literate"] = pd.array(np.where(age >= LITERACY_AGE, literate.astype(int), pd.NA), dtype="Int64")
    per["attending_school"] = pd.array(np.where(age >= int(p["school_age_min"]), att.astype(int), pd.NA), dtype="Int64")
    per["education"] = pd.array(np.where(age >= int(p["school_age_min"]), edu, None), dtype="string")


def generate(params: dict | None = None, targets: pd.DataFrame | None = None,
             census: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The synthetic survey: ``(households, persons)`` in the processed schema.

    Deterministic: the same parameters, targets and census give identical frames. The steps, each
    with its own random stream: sample design, rosters, weights, disability, consumption, labour,
    pensions, earnings and ESSI, household programmes, consumption level, education.
    """
    p = params if params else load_params()  # read only (not copied)
    tg = (targets if targets is not None else read_targets()).set_index("target_id")["value"]
    cells = census_cells(int(p["census_year"]), census)
    rng = [np.random.default_rng(s) for s in np.random.SeedSequence(int(p["seed"])).spawn(12)]

    des = _sample_design(cells, p, tg)
    hh, nh = des.hh, len(des.hh)
    ros = _rosters(rng[0], nh, p)
    hsize = np.bincount(ros.hh, minlength=nh)
    w = _calibrate_weights(des, ros, cells, tg)
    hh["weights"] = w
    pw = w[ros.hh]  # person weight = household weight
    per = _persons_frame(hh, ros, pw)
    _disability(rng[1], per, ros, pw, p, tg)
    people = _People(hh=ros.hh, age=per["age"].to_numpy(), female=ros.sex == 1, urban=per["region"].to_numpy() == 2,
                     w=pw, disabled=per["disability"].to_numpy(int))
    adult_eq, base = _consumption_base(rng[2], des, ros, people, hsize, p)
    lab = _labour(rng[3], per, people, base[ros.hh], p, tg)
    civil, eobi, amt_civil, amt_eobi = _pensions(rng[4], people, base[ros.hh], p, tg)
    earn, essi_claim, amt_essi = _earnings_and_essi(rng[5], people, base[ros.hh], lab, p, tg)
    rec_h, pmt_score, sehat = _household_programmes(rng[6], ros, people, w, hsize, base, p, tg)

    amt = {
        "bisp": rec_h["bisp"] * 12.0 * float(p["bisp_benefit_month"]),
        "zakat": rec_h["zakat"] * float(p["zakat_guzara_year"]),
        "baitulmal": rec_h["baitulmal"] * float(p["baitulmal_year"]),
        "pension_civil": np.bincount(ros.hh, amt_civil, minlength=nh),
        "pension_eobi": np.bincount(ros.hh, amt_eobi, minlength=nh),
        "essi": np.bincount(ros.hh, amt_essi, minlength=nh),
    }
    rec = {
        **{k: v.astype(int) for k, v in rec_h.items()},
        "pension_civil": (np.bincount(ros.hh, civil, minlength=nh) > 0).astype(int),
        "pension_eobi": (np.bincount(ros.hh, eobi, minlength=nh) > 0).astype(int),
        "essi": (np.bincount(ros.hh, essi_claim, minlength=nh) > 0).astype(int),
    }
    transfers = sum(amt.values())
    cons_pre, cons_post = _consumption_level(base, transfers / 12.0 / adult_eq, w * hsize, tg)
    _education(rng[7], per, people, cons_pre[ros.hh], p, tg)

    per["earnings_month"] = pd.array(np.where(lab["employed"], earn, np.nan), dtype="Float64")
    per["rec_pension_civil"], per["amt_pension_civil"] = civil.astype(int), amt_civil
    per["rec_pension_eobi"], per["amt_pension_eobi"] = eobi.astype(int), amt_eobi
    per["rec_essi"], per["amt_essi"] = essi_claim.astype(int), amt_essi
    per["province"] = PROVINCE_KP
    hh["province"] = PROVINCE_KP
    hh["hhsize"] = hsize
    hh["adult_eq"] = adult_eq
    hh["cons_pae"] = cons_post
    hh["cons_pae_pre"] = cons_pre
    hh["pmt_score"] = pd.array(pmt_score, dtype="Float64")
    hh["sehat_card"] = pd.array(sehat, dtype="Int64")
    for prog, (rc, ac, _) in PROGRAMMES.items():
        hh[rc] = rec[prog]
        hh[ac] = amt[prog]
    hh["transfers_total"] = transfers
    return check_schema(hh, "households"), check_schema(per, "persons")


def check_schema(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Select and type the processed survey columns; a missing column is an error."""
    schema = {"households": HOUSEHOLD_SCHEMA, "persons": PERSON_SCHEMA}[kind]
    missing = [c for c in schema if c not in df.columns]
    if missing:
        raise ValueError(f"survey {kind} table lacks column(s) {missing}")
    out = pd.DataFrame({c: df[c].astype(t) for c, t in schema.items()})
    key = ["hhcode"] if kind == "households" else ["hhcode", "idc"]
    if out.duplicated(key).any():
        raise ValueError(f"survey {kind} table has duplicate {key}")
    return out.sort_values(key).reset_index(drop=True)


# ---------------------------------------------------------------------------- analysis frame
def analysis_frame(households: pd.DataFrame, persons: pd.DataFrame, line: float) -> pd.DataFrame:
    """One row per person with household welfare, transfers and derived flags for the indicators.

    Per adult-equivalent monthly transfers per programme (``t_<prog>``), household beneficiary
    flags (``ben_<prog>``: the person lives in a household that receives it), post/pre-transfer
    consumption, person quintiles (pre-transfer), age groups and the SDG 1.3.1 group flags.
    """
    hcols = ["hhcode", "hhsize", "adult_eq", "cons_pae", "cons_pae_pre", "pmt_score", "sehat_card",
             *[c for c, _, _ in PROGRAMMES.values()], *[a for _, a, _ in PROGRAMMES.values()], "transfers_total"]
    df = persons.merge(households[hcols], on="hhcode", how="left", validate="many_to_one",
                       suffixes=("", "_hh"))
    if df["cons_pae"].isna().any():
        raise ValueError("persons without a household record (hhcode)")
    for prog, (rc, ac, level) in PROGRAMMES.items():
        hh_amt = df[ac + "_hh"] if level == "person" else df[ac]
        hh_rec = df[rc + "_hh"] if level == "person" else df[rc]
        df[f"t_{prog}"] = hh_amt.to_numpy(float) / 12.0 / df["adult_eq"].to_numpy(float)
        df[f"ben_{prog}"] = hh_rec.to_numpy(int)
    df["t_all"] = df["transfers_total"] / 12.0 / df["adult_eq"]
    df["ben_any"] = (df["transfers_total"] > 0).astype(int)
    df["ben_all"] = df["ben_any"]
    df["ben_pension"] = ((df["rec_pension_civil"] + df["rec_pension_eobi"]) > 0).astype(int)
    df["ben_social_assistance"] = ((df["ben_bisp"] + df["ben_zakat"] + df["ben_baitulmal"]) > 0).astype(int)
    df["poor_pre"] = (df["cons_pae_pre"] < line).astype(int)
    df["poor_post"] = (df["cons_pae"] < line).astype(int)
    w = df["weights"].to_numpy(float)
    df["quintile"] = pd.Categorical(quantile_groups(df["cons_pae_pre"].to_numpy(float), w, 5), categories=[1, 2, 3, 4, 5])
    bins = [-1, 4, 14, 24, 59, 64, 200]
    labels = ["0-4", "5-14", "15-24", "25-59", "60-64", "65+"]
    df["age_band"] = pd.Categorical(pd.cut(df["age"], bins, labels=labels).astype(str), categories=labels)
    df["area"] = pd.Categorical(np.where(df["region"] == 2, "urban", "rural"), categories=["rural", "urban"])
    df["one"] = 1
    return df


# ---------------------------------------------------------------------------- calibration
def calibration_table(households: pd.DataFrame, persons: pd.DataFrame,
                      targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """Target, source, weighted survey estimate with its design-based SE, tolerance, within tolerance.

    Estimates use :class:`spf_analysis.stats.survey.Design` (strata from ``hhcode``, PSU ``psu``,
    household weights); persons carry their household's weight.
    """
    from spf_analysis.stats.survey import Design
    t = (targets if targets is not None else read_targets()).set_index("target_id")
    line = float(t.loc["poverty_line", "value"])
    df = analysis_frame(households, persons, line)
    df["u5"] = (df["age"] < 5).astype(int)
    df["o65"] = (df["age"] >= 65).astype(int)
    df["o60"] = (df["age"] >= 60).astype(int)
    df["urb"] = (df["region"] == 2).astype(int)
    df["m10"] = ((df["age"] >= 10) & (df["sex"] == "male")).astype(int)
    df["f10"] = ((df["age"] >= 10) & (df["sex"] == "female")).astype(int)
    df["active"] = df["labour_status"].isin(["employed", "unemployed"]).fillna(False).astype(int)
    df["pens"] = df["ben_pension"] * df["o60"]
    df["dis"] = df["disability"].fillna(0).astype(int)
    df["fl"] = df["functional_limitation"].fillna(0).astype(int)
    dp = Design(df, "weights", "stratum", "psu", lonely_psu="adjust")
    h = households.copy()
    h["one"] = 1
    hh_q1 = df.assign(q1=(df["quintile"].astype(int) == 1).astype(float)).groupby("hhcode")["q1"].mean()
    h["q1"] = h["hhcode"].map(hh_q1).to_numpy()
    h["bisp_q1"] = h["rec_bisp"] * h["q1"]
    dh = Design(h, "weights", "stratum", "psu", lonely_psu="adjust")

    def one(frame):
        return float(frame["estimate"].iloc[0]), float(frame["se"].iloc[0])
    est = {
        "population_total": one(dp.total("one")),
        "share_under5": one(dp.mean("u5")),
        "share_65plus": one(dp.mean("o65")),
        "share_60plus": one(dp.mean("o60")),
        "urban_share": one(dp.mean("urb")),
        "household_size": one(dh.mean("hhsize")),
        "poverty_headcount": one(dp.mean("poor_post")),
        "bisp_families": one(dh.total("rec_bisp")),
        "bisp_bottom_quintile_share": one(dh.ratio("bisp_q1", "rec_bisp")),
        "pension_60plus": one(dp.ratio("pens", "o60")),
        "disability_prevalence": one(dp.mean("dis")),
        "functional_limitation_prevalence": one(dp.mean("fl")),
        "zakat_guzara_recipients": one(dh.total("rec_zakat")),
        "sehat_card_coverage": one(dp.mean("sehat_card")),
    }
    dp2 = dp.with_columns(am=df["active"] * df["m10"], af=df["active"] * df["f10"])
    est["activity_rate_male"] = one(dp2.ratio("am", "m10"))
    est["activity_rate_female"] = one(dp2.ratio("af", "f10"))
    # disability by sex and age band: ratio estimators (domain size random), as the other domain rates
    dis, a, sx = df["dis"].to_numpy(int), df["age"].to_numpy(int), df["sex"].to_numpy(str)
    dom = {"male": sx == "male", "female": sx == "female", "0_14": a < 15, "15_64": (a >= 15) & (a < 65), "65plus": a >= 65}
    dp3 = dp.with_columns(**{f"in_{k}": m.astype(int) for k, m in dom.items()},
                          **{f"dis_{k}": dis * m for k, m in dom.items()})
    for k in dom:
        est[f"disability_prevalence_{k}"] = one(dp3.ratio(f"dis_{k}", f"in_{k}"))
    rows = []
    for tid, r in t.iterrows():
        if tid not in est:
            e, se = float(r["value"]), 0.0  # parameters (poverty line): used as given
            kind = "parameter (used as given)"
        else:
            e, se = est[tid]
            kind = "estimate"
        if r["unit"].startswith("percent") and tid in est:
            e, se = 100 * e, 100 * se
        dev = e - float(r["value"])
        tol = float(r["tolerance"]) * (abs(float(r["value"])) if r["tolerance_type"] == "relative" else 1.0)
        rows.append({
            "target_id": tid, "indicator": r["indicator"], "domain": r["domain"], "unit": r["unit"],
            "target": float(r["value"]), "estimate": e, "se": se, "deviation": dev,
            "tolerance": tol, "within_tolerance": bool(abs(dev) <= tol + 1e-9), "kind": kind,
            "confidence": r["confidence"], "source": f"{r['source_title']}, {r['locator']} ({r['source_url']})",
        })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------- files
SURVEY_TABLES = ("survey_households", "survey_persons")


def survey_path(name: str) -> Path:
    if name not in SURVEY_TABLES:
        raise KeyError(f"unknown survey table {name!r}; known: {SURVEY_TABLES}")
    return paths.PROCESSED / f"{name}.parquet"


def write_survey(households: pd.DataFrame, persons: pd.DataFrame, source: str) -> list[Path]:
    """Write both survey tables atomically, with the survey source in the parquet metadata."""
    from spf_analysis.config.fsutil import transaction

    households = check_schema(households, "households")
    persons = check_schema(persons, "persons")
    households.attrs["survey_source"] = source
    persons.attrs["survey_source"] = source
    with transaction() as tx:  # both tables and their source record, replaced together or not at all
        for name, df in zip(SURVEY_TABLES, (households, persons)):
            df.to_parquet(tx.path(survey_path(name)), index=False)
        tx.path(paths.PROCESSED / "survey_source.txt").write_text(source + "\n", encoding="utf-8")
    return [survey_path(name) for name in SURVEY_TABLES]


def load_survey() -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """``(households, persons, source)`` from data/processed (``make data-survey`` builds them)."""
    frames = []
    for name in SURVEY_TABLES:
        p = survey_path(name)
        if not p.exists():
            raise FileNotFoundError(f"{p.relative_to(paths.ROOT)} is missing: run `make survey`")
        frames.append(pd.read_parquet(p))
    src_file = paths.PROCESSED / "survey_source.txt"
    if not src_file.exists():  # never guess: the chapter labels its outputs synthetic or PBS from this record
        raise FileNotFoundError(f"{src_file.name} is missing in {src_file.parent}: the survey tables have no record "
                                "of their source (synthetic or a PBS round); rebuild them with `make survey`")
    source = src_file.read_text(encoding="utf-8").strip()
    return frames[0], frames[1], source


def main(argv=None) -> int:
    """``python -m spf_analysis.household.synth [key=value ...]``: generate and write the synthetic survey."""
    from spf_analysis.config.steps import run_step

    argv = sys.argv[1:] if argv is None else argv

    def body():
        over = dict(a.split("=", 1) for a in argv)
        h, pr = generate(load_params(**over))
        for f in write_survey(h, pr, "synthetic"):
            print(f"wrote {f.relative_to(paths.ROOT)}")

    return run_step("survey (synthetic)", body, errors=(InputError, KeyError, ValueError),
                    unchanged="data/processed/survey_*.parquet")


if __name__ == "__main__":
    sys.exit(main())
