"""Coverage and protection gaps of the four SPF guarantees from the household survey (chapter 03).

Every estimate is a survey ratio with its design-based SE and CI (:mod:`spf_analysis.stats.survey`;
strata derived from ``hhcode``, PSU ``psu``, household weights carried by persons).

Protection gap of a life-cycle group = ``1 - coverage``: the weighted share of the group's members
who receive none of the benefits that answer the group's SPF guarantee (SDG 1.3.1 concept, ILO
World Social Protection Database; methods README section 1). Coverage of a person is household
based for household transfers (direct and indirect beneficiaries, ASPIRE convention) and person
based for pensions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spf_analysis.stats import indicators
from spf_analysis.stats.survey import Design
from spf_analysis.household.synth import analysis_frame, read_targets

__all__ = ["CALIBRATION_INPUT", "calibration_inputs", "check_reference_year", "survey_design", "group_flags", "protection_gaps", "sdg131_table", "household_receipt",
           "inventory_has_unemployment_benefit", "NO_REGULAR_BENEFIT", "HOUSEHOLD_RECEIPT", "aspire_by", "bisp_targeting", "GROUPS",
           "sehat_enrolment", "sehat_utilisation", "sehat_table", "utilisation_gap_rows", "SEHAT_USE_GROUP"]

#: life-cycle group -> (SPF guarantee, member flag, covered flag, what counts as covered).
#: Coverage follows the SDG 1.3.1 metadata (ILO, custodian; UN SDG metadata 01-03-01 and the ILO World Social
#: Protection Database notes, https://www.social-protection.org/gimi/WSPDB.action?id=1472): persons of a
#: contingency who are *direct recipients* of its cash benefit (older persons receiving a pension, persons with
#: disabilities receiving a disability cash benefit, the unemployed receiving an unemployment benefit), children
#: by their household's receipt of a child/family cash benefit, vulnerable persons by social assistance, and the
#: total = receiving at least one benefit or actively contributing. KP has no unemployment benefit and no regular
#: disability cash benefit (the inventory, data/raw/schemes/schemes.csv: :data:`NO_REGULAR_BENEFIT`), so their
#: direct coverage is 0 by the inventory, not the share living in a household that receives something
#: (that measure is kept apart: :func:`household_receipt`).
GROUPS = {
    "children 0-14": ("children", "g_child", "ben_bisp",
                      "household receives a family cash benefit (BISP; its child top-ups require it)"),
    "persons with disabilities": ("working age", "g_disabled", "c_disability_benefit",
                                  "receives a regular disability cash benefit (none regular in the inventory: 0; the KP disability allowance is small and irregular)"),
    "working-age employed 15-64 (social insurance)": ("working age", "g_worker", "c_formal",
                                                       "formal job (social-insurance coverage)"),
    "unemployed 15-64": ("working age", "g_unemployed", "c_unemployment_benefit",
                         "receives an unemployment benefit (none in the inventory: 0)"),
    "older persons 60+ (pension)": ("elderly", "g_old60", "ben_pension", "receives a civil or EOBI pension"),
    "older persons 65+ (pension)": ("elderly", "g_old65", "ben_pension", "receives a civil or EOBI pension"),
    "vulnerable persons (social assistance)": ("working age", "g_vulnerable", "ben_social_assistance",
                                               "household receives BISP, Zakat or Bait-ul-Mal"),
    "poor population (social assistance)": ("working age", "poor_pre", "ben_social_assistance",
                                            "household receives BISP, Zakat or Bait-ul-Mal"),
    "whole population (SDG 1.3.1 total)": ("all", "one", "c_sdg_total",
                                           "receives at least one benefit (as in the rows above) or contributes "
                                           "to social insurance (formal job)"),
}

#: contingencies without a regular cash benefit in KP: group -> the inventory's evidence (data/raw/schemes/
#: schemes.csv; matrix.yaml's implementation issues). Their SDG 1.3.1 direct coverage is 0.
NO_REGULAR_BENEFIT = {
    "unemployed 15-64": "no scheme of the inventory pays income to the unemployed",
    "persons with disabilities": ("the KP disability allowance (S23) has no regular, sourced payment roll; "
                                  "a one-off payment in January 2025 (F113) is not a regular benefit"),
}
#: the inventory's schemes that would pay an unemployment benefit (scheme name or type)
UNEMPLOYMENT_BENEFIT = r"unemployment (?:benefit|insurance|allowance|assistance)"
#: groups whose survey coverage reproduces a calibration target of the synthetic survey (target ids of
#: data/raw/survey_targets/kp_calibration_targets.csv): an input, not a finding
CALIBRATION_INPUT = {
    "older persons 60+ (pension)": "pension_60plus",
    "older persons 65+ (pension)": "pension_60plus",
    "children 0-14": "bisp_families",
    "vulnerable persons (social assistance)": "bisp_families, zakat_guzara_recipients",
    "poor population (social assistance)": "bisp_families, bisp_bottom_quintile_share, poverty_headcount",
}

def calibration_inputs(group: str, targets: pd.DataFrame | None = None) -> str:
    """The calibration targets a group's row reproduces on the synthetic survey (:data:`CALIBRATION_INPUT`),
    in words: each target's indicator as the targets file names it (``targets``: :func:`synth.read_targets`,
    read when not given), joined by "; "; empty for a group without one."""
    ids = [t.strip() for t in CALIBRATION_INPUT.get(group, "").split(",") if t.strip()]
    if not ids:
        return ""
    names = (read_targets() if targets is None else targets).set_index("target_id")["indicator"]
    return "; ".join(str(names[t]) for t in ids)


#: the household-receipt measure (not SDG 1.3.1): living in a household receiving any cash benefit
HOUSEHOLD_RECEIPT = "living in a household receiving any cash benefit"


#: The survey's Sehat card variable (household enrolled). Not a protection gap: enrolment is universal by
#: policy since Nov 2020 (``sehat_card.population_coverage`` in params/policy/baseline.yaml); the synthetic
#: survey reproduces the 2016 enrolment of its calibration targets. See :func:`sehat_enrolment`.
SEHAT_ENROLMENT = ("one", "c_sehat", "household enrolled in the Sehat card (survey)")
#: The health guarantee's row of the protection-gap table: use of the card, not enrolment
SEHAT_USE_GROUP = "whole population (Sehat card use)"


def group_flags(df: pd.DataFrame) -> pd.DataFrame:
    """Add the 0/1 member and coverage flags used by :data:`GROUPS`."""
    out = df.copy()
    age = out["age"].to_numpy()
    out["g_child"] = (age <= 14).astype(int)
    out["g_disabled"] = out["disability"].fillna(0).astype(int)
    ls = out["labour_status"].astype("string")
    out["g_worker"] = ((ls == "employed").fillna(False) & (age >= 15) & (age <= 64)).astype(int)
    out["g_unemployed"] = ((ls == "unemployed").fillna(False) & (age >= 15) & (age <= 64)).astype(int)
    out["g_old60"] = (age >= 60).astype(int)
    out["g_old65"] = (age >= 65).astype(int)
    out["c_formal"] = out["formal"].fillna(0).astype(int)
    out["c_sehat"] = out["sehat_card"].fillna(0).astype(int)
    # no regular disability or unemployment cash benefit in KP (NO_REGULAR_BENEFIT): no one receives one
    out["c_disability_benefit"] = 0
    out["c_unemployment_benefit"] = 0
    pension = out["ben_pension"].astype(int) if "ben_pension" in out else 0
    essi = out["rec_essi"].astype(int) if "rec_essi" in out else 0
    contributory = ((pension + essi + out["c_formal"]) > 0)
    # ILO: vulnerable = all children, adults not covered by contributory benefits, older persons without a pension
    out["g_vulnerable"] = ((age <= 14) | ~contributory).astype(int)
    sa = out["ben_social_assistance"].astype(int) if "ben_social_assistance" in out else 0
    bisp = out["ben_bisp"].astype(int) if "ben_bisp" in out else 0
    out["c_sdg_total"] = (contributory | ((age <= 14) & (bisp > 0)) | ((out["g_vulnerable"] == 1) & (sa > 0))).astype(int)
    return out


def survey_design(households: pd.DataFrame, persons: pd.DataFrame, line: float) -> Design:
    """Person-level design with welfare, transfers and group flags (see :func:`synth.analysis_frame`)."""
    df = group_flags(analysis_frame(households, persons, line))
    return Design(df, "weights", "stratum", "psu", lonely_psu="adjust")


def _available(design: Design, member: str, covered: str) -> bool:
    d = design.data
    src = {"g_disabled": "disability", "c_formal": "formal", "c_sehat": "sehat_card",
           "g_worker": "labour_status", "g_unemployed": "labour_status"}
    for c in (member, covered):
        if c in src and d[src[c]].isna().all():
            return False
    return d[member].sum() > 0


def check_reference_year(reference_year: int, survey_year: int) -> None:
    """The gap chapter's reference year (``gap_reference_year`` of params/03_coverage_gaps.yaml) must be the year of
    the population the survey reproduces."""
    if int(reference_year) != int(survey_year):
        raise ValueError(f"gap_reference_year {reference_year} differs from the survey's population year {survey_year}: "
                         "set params/03_coverage_gaps.yaml gap_reference_year (or the survey) so that they agree")


def household_receipt(design: Design, level: float = 0.95) -> pd.DataFrame:
    """The share of each life-cycle group :data:`GROUPS` living in a household receiving any cash benefit
    (``ben_any``): a description of household contact with the system, not SDG 1.3.1 coverage."""
    groups = {g: (m, "ben_any") for g, (_, m, c, _) in GROUPS.items() if _available(design, m, c)}
    out = indicators.share_interval(indicators.sdg131_coverage(design, groups, level=level), level)
    out["indicator"] = "household_receipt"
    return out


def inventory_has_unemployment_benefit(schemes: pd.DataFrame) -> bool:
    """Whether the scheme inventory (processed ``schemes``) lists an unemployment benefit (:data:`UNEMPLOYMENT_BENEFIT`
    in the scheme name or type)."""
    text = (schemes["scheme_name"].astype(str) + " " + schemes["sp_type"].astype(str)
            + " " + schemes["scheme_type"].astype(str))
    return bool(text.str.contains(UNEMPLOYMENT_BENEFIT, case=False, regex=True).any())


#: SDG 1.3.1 group -> the anchor indicators of data/raw/coverage/sdg131_anchors.csv set beside it
ANCHORS = {
    "older persons 60+ (pension)": ("old_age_pension_coverage",),
    "older persons 65+ (pension)": ("old_age_pension_coverage",),
    "persons with disabilities": ("disability_cash_one_off_recipients",),
    "vulnerable persons (social assistance)": ("bisp_beneficiary_families", "zakat_guzara_recipients"),
    "children 0-14": ("bisp_beneficiary_families",),
}


def _anchor_text(rows: pd.DataFrame) -> str:
    def one(r):
        v = f"{r.value:,.0f}" if r.value >= 100 else f"{r.value:g}"
        unit = "%" if str(r.unit).startswith("percent") else f" {r.unit}"
        return f"{v}{unit} ({r.geography}, {r.period}; {str(r.source_title).split(':')[0]})"
    return "; ".join(one(r) for r in rows.sort_values("year").itertuples())


def sdg131_table(design: Design, anchors: pd.DataFrame, level: float = 0.95, synthetic: bool = True) -> pd.DataFrame:
    """Table 'SDG 1.3.1 by contingency': per group of :data:`GROUPS` the direct-recipient coverage (SDG 1.3.1)
    and, beside it, the share living in a household receiving any cash benefit (:func:`household_receipt`), each
    with its design-based SE/CI, the inventory's verdict (:data:`NO_REGULAR_BENEFIT`) and the published anchors
    (``anchors``: the processed ``sdg131_anchors`` table) with their years (``anchor_years``). On the synthetic
    survey (``synthetic``) ``calibration_input`` names the calibration targets a row reproduces, in words
    (:func:`calibration_inputs`)."""
    cov = protection_gaps(design, level=level)
    cov = cov[cov["indicator"] == "coverage"].set_index("group")
    hh = household_receipt(design, level=level).set_index("group")
    rows = []
    targets = read_targets() if synthetic else None  # read once for every row
    for g in cov.index:
        a = anchors[anchors["indicator"].isin(ANCHORS.get(g, ()))]
        r = cov.loc[g]
        rows.append({"group": g, "covered_by": r["covered_by"], "estimate": r["estimate"], "se": r["se"],
                     "ci_low": r["ci_low"], "ci_high": r["ci_high"], "n": r["n"],
                     "household_receipt": hh.loc[g, "estimate"] if g in hh.index else np.nan,
                     "household_receipt_se": hh.loc[g, "se"] if g in hh.index else np.nan,
                     "inventory": NO_REGULAR_BENEFIT.get(g, ""),
                     "calibration_input": calibration_inputs(g, targets) if synthetic else "",
                     "anchor": _anchor_text(a) if len(a) else "",
                     "anchor_years": ", ".join(str(int(y)) for y in sorted(set(a["year"].dropna()))) if len(a) else ""})
    return pd.DataFrame(rows)


def protection_gaps(design: Design, by=None, level: float = 0.95) -> pd.DataFrame:
    """Tidy table: guarantee, group, covered_by, coverage and protection gap (= 1 - coverage) with SE/CI
    (the interval of a share on the logit scale, :func:`spf_analysis.stats.indicators.share_interval`;
    the gap's is the coverage's mirrored).

    Groups whose variables the survey lacks (e.g. Sehat card in HIES) are left out, never zero.
    """
    groups = {g: (m, c) for g, (_, m, c, _) in GROUPS.items() if _available(design, m, c)}
    cov = indicators.share_interval(indicators.sdg131_coverage(design, groups, by=by, level=level), level)
    meta = pd.DataFrame([(g, v[0], v[3]) for g, v in GROUPS.items()], columns=["group", "guarantee", "covered_by"])
    cov = cov.merge(meta, on="group", how="left")
    gap = cov.copy()
    gap["indicator"] = "protection_gap"
    gap["estimate"] = 1 - cov["estimate"]
    gap["ci_low"], gap["ci_high"] = 1 - cov["ci_high"], 1 - cov["ci_low"]
    cov["indicator"] = "coverage"
    out = pd.concat([cov, gap], ignore_index=True)
    keys = ["guarantee", "group", "covered_by", *([by] if isinstance(by, str) else list(by or [])), "indicator"]
    return out[keys + ["estimate", "se", "ci_low", "ci_high", "n"]]


def sehat_enrolment(design: Design, level: float = 0.95) -> pd.DataFrame:
    """Share of persons in households enrolled in the Sehat card, as the survey records it (empty
    when the survey has no such variable, e.g. HIES). A description of the survey, not a gap: see
    :data:`SEHAT_ENROLMENT`."""
    member, covered, _ = SEHAT_ENROLMENT
    if not _available(design, member, covered):
        return pd.DataFrame(columns=["estimate", "se", "ci_low", "ci_high", "n"])
    out = indicators.sdg131_coverage(design, {"Sehat card enrolment": (member, covered)}, level=level)
    out = indicators.share_interval(out, level)
    return out[["estimate", "se", "ci_low", "ci_high", "n"]].reset_index(drop=True)


#: benchmark units -> factor to "per 1,000 population a year"
PER_1000 = {"admissions per person a year": 1000.0, "discharges per 1000 population a year": 1.0}


def sehat_utilisation(records: pd.DataFrame, population: float, days_per_year: int = 365) -> pd.DataFrame:
    """Sehat card admissions per 1,000 residents a year against benchmarks of inpatient utilisation.

    ``records`` is the processed ``sehat_utilisation`` table (or rows like it): every
    ``sehat_admissions`` row (a count over ``days`` days) is annualised (``count x days_per_year /
    days``) and divided by ``population`` (the denominator: residents of KP, the same for every
    period); every ``inpatient_admissions_benchmark`` row is put per 1,000 population a year
    (:data:`PER_1000`). One row per (count, benchmark): ``per_1000`` the card's admissions per
    1,000 residents a year, ``benchmark_per_1000``, ``share_of_benchmark`` = per_1000 /
    benchmark_per_1000 (the share of the benchmark admissions the card pays for) and
    ``gap`` = 1 - share (0 when the card pays for more than the benchmark). ``chosen`` is true
    for the headline pair (the chosen count with the chosen benchmark).
    """
    if not population or population <= 0:
        raise ValueError(f"population must be positive, got {population!r}")
    adm = records[records["indicator"] == "sehat_admissions"]
    bm = records[records["indicator"] == "inpatient_admissions_benchmark"]
    if adm.empty or bm.empty:
        raise ValueError("sehat_utilisation: need at least one sehat_admissions row and one benchmark row")
    unknown = sorted(set(bm["unit"]) - set(PER_1000))
    if unknown:
        raise ValueError(f"benchmark unit(s) {unknown} not in {sorted(PER_1000)}")
    days = pd.to_numeric(adm["days"], errors="coerce")
    if days.isna().any() or (days <= 0).any():
        raise ValueError("every sehat_admissions row needs a positive number of days")
    a = pd.DataFrame({
        "period_start": adm["period_start"].to_numpy(), "period_end": adm["period_end"].to_numpy(),
        "days": days.to_numpy(dtype=float), "admissions": adm["value"].to_numpy(dtype=float),
        "count_chosen": adm["chosen"].to_numpy(dtype=bool), "count_source": adm["source_title"].to_numpy(),
        "count_confidence": adm["confidence"].to_numpy()})
    a["admissions_per_year"] = a["admissions"] * days_per_year / a["days"]
    a["population"] = float(population)
    a["per_1000"] = 1000.0 * a["admissions_per_year"] / a["population"]
    b = pd.DataFrame({
        "benchmark": bm["geography"].to_numpy(), "benchmark_unit": bm["unit"].to_numpy(),
        "benchmark_value": bm["value"].to_numpy(dtype=float),
        "benchmark_chosen": bm["chosen"].to_numpy(dtype=bool), "benchmark_source": bm["source_title"].to_numpy()})
    b["benchmark_per_1000"] = b["benchmark_value"] * b["benchmark_unit"].map(PER_1000)
    # "World, Moses MW et al. (IHME)": where the benchmark is, and who published it (title up to its first comma)
    b["benchmark_label"] = [f"{g}, {str(t).split(',')[0]}" for g, t in zip(b["benchmark"], b["benchmark_source"])]
    out = a.merge(b, how="cross")
    out["share_of_benchmark"] = out["per_1000"] / out["benchmark_per_1000"]
    out["gap"] = (1.0 - out["share_of_benchmark"]).clip(lower=0.0)
    out["chosen"] = out["count_chosen"] & out["benchmark_chosen"]
    return out.reset_index(drop=True)


def sehat_table(util: pd.DataFrame) -> pd.DataFrame:
    """The published table of :func:`sehat_utilisation`: one row per (count, benchmark), the period as
    text, the benchmark with its publisher and rate (``"World, Moses MW et al. (IHME): 100 per 1,000"``) and the share in percent
    (``share_of_benchmark_pct``); the headline pair first."""
    out = util.copy()
    fmt = lambda d: pd.Timestamp(d).strftime("%d %b %Y").lstrip("0")  # noqa: E731
    out["period"] = [f"{fmt(a)} - {fmt(b)}" for a, b in zip(out["period_start"], out["period_end"])]
    out["benchmark"] = [f"{b}: {v:g} per 1,000" for b, v in zip(out["benchmark_label"], out["benchmark_per_1000"])]
    out["share_of_benchmark_pct"] = 100.0 * out["share_of_benchmark"]
    out["gap_pct"] = 100.0 * out["gap"]
    out = out.sort_values(["chosen", "count_chosen", "period_start", "benchmark_per_1000"],
                          ascending=[False, False, True, True], kind="stable")
    cols = ["period", "days", "admissions", "admissions_per_year", "population", "per_1000", "benchmark",
            "benchmark_per_1000", "share_of_benchmark_pct", "gap_pct", "chosen", "count_chosen",
            "count_confidence", "count_source", "benchmark_source"]
    return out[cols].reset_index(drop=True)


def utilisation_gap_rows(util: pd.DataFrame, covered_by: str) -> pd.DataFrame:
    """The health guarantee's rows of the protection-gap table (:func:`protection_gaps` layout) from the
    headline pair of :func:`sehat_utilisation`: coverage = share of the benchmark admissions the card
    pays for, protection gap = 1 - coverage. Administrative data against a published benchmark: no
    sampling error, so ``se``, the CI and ``n`` are empty."""
    h = util[util["chosen"]]
    if len(h) != 1:
        raise ValueError(f"sehat_utilisation: expected one chosen (count, benchmark) pair, found {len(h)}")
    share = float(min(h["share_of_benchmark"].iloc[0], 1.0))
    rows = [{"guarantee": "health", "group": SEHAT_USE_GROUP, "covered_by": covered_by, "indicator": ind,
             "estimate": est, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": np.nan}
            for ind, est in (("coverage", share), ("protection_gap", 1.0 - share))]
    return pd.DataFrame(rows)


def aspire_by(design: Design, programme: str, by, level: float = 0.95) -> pd.DataFrame:
    """ASPIRE coverage, adequacy and benefit incidence of one programme by a domain column.

    ``programme`` is a key of :data:`synth.PROGRAMMES` or ``"all"``; transfers are per adult
    equivalent per month, welfare is post-transfer consumption per adult equivalent.
    """
    t, b = f"t_{programme}", f"ben_{programme}"
    parts = [indicators.coverage(design, b, by, level=level),
             indicators.adequacy(design, t, "cons_pae", b, by, level=level)]
    if by == "quintile":
        parts.append(indicators.benefit_incidence(design, t, "quintile", level=level))
    out = indicators.share_interval(pd.concat(parts, ignore_index=True), level)  # every one a share
    out.insert(0, "programme", programme)
    return out[["programme", "indicator", by, "estimate", "se", "ci_low", "ci_high", "n"]]


def bisp_targeting(design: Design, level: float = 0.95, synthetic: bool = False) -> pd.DataFrame:
    """BISP exclusion and inclusion errors against the poverty line and the poorest 20% (pre-transfer); on the
    synthetic survey ``calibration_input`` names the targets that fix their size (an input, not a finding)."""
    d = design.with_columns(q1=(design.data["quintile"].astype(int) == 1).astype(int).to_numpy())
    a = indicators.targeting_errors(d, "ben_bisp", "poor_pre", level=level)
    a["target"] = "poor (pre-transfer consumption below the poverty line)"
    b = indicators.targeting_errors(d, "ben_bisp", "q1", level=level)
    b["target"] = "poorest 20% of persons (pre-transfer)"
    out = indicators.share_interval(pd.concat([a, b], ignore_index=True), level)
    # on the synthetic survey the errors follow from the PMT noise calibrated to these targets: inputs, not findings
    out["calibration_input"] = calibration_inputs("poor population (social assistance)") if synthetic else ""
    return out[["target", "indicator", "estimate", "se", "ci_low", "ci_high", "n", "calibration_input"]]


def pct(df: pd.DataFrame, cols=("estimate", "se", "ci_low", "ci_high")) -> pd.DataFrame:
    """Shares to percent for display tables, with a ``unit`` column saying so (``percent``)
    so that the CSV/Excel copies are unambiguous to downstream users."""
    out = df.copy()
    for c in cols:
        out[c] = 100 * out[c]
    out["unit"] = "percent"
    return out


__all__.append("pct")
