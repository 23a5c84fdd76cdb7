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
from spf_analysis.household.synth import analysis_frame

__all__ = ["survey_design", "group_flags", "protection_gaps", "aspire_by", "bisp_targeting", "GROUPS"]

#: life-cycle group -> (SPF guarantee, member flag, covered flag, what counts as covered)
GROUPS = {
    "children 0-14": ("children", "g_child", "ben_social_assistance",
                      "household receives BISP, Zakat or Bait-ul-Mal"),
    "persons with disabilities": ("working age", "g_disabled", "ben_any",
                                  "household receives any cash benefit"),
    "working-age employed 15-64 (social insurance)": ("working age", "g_worker", "c_formal",
                                                       "formal job (social-insurance coverage)"),
    "unemployed 15-64": ("working age", "g_unemployed", "ben_any", "household receives any cash benefit"),
    "older persons 60+ (pension)": ("elderly", "g_old60", "ben_pension", "receives a civil or EOBI pension"),
    "older persons 65+ (pension)": ("elderly", "g_old65", "ben_pension", "receives a civil or EOBI pension"),
    "poor population (social assistance)": ("working age", "poor_pre", "ben_social_assistance",
                                            "household receives BISP, Zakat or Bait-ul-Mal"),
    "whole population (Sehat card)": ("health", "one", "c_sehat", "household enrolled in the Sehat card"),
    "whole population (any benefit)": ("all", "one", "ben_any", "household receives any cash benefit"),
}


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


def protection_gaps(design: Design, by=None, level: float = 0.95) -> pd.DataFrame:
    """Tidy table: guarantee, group, covered_by, coverage and protection gap (= 1 - coverage) with SE/CI.

    Groups whose variables the survey lacks (e.g. Sehat card in HIES) are left out, never zero.
    """
    groups = {g: (m, c) for g, (_, m, c, _) in GROUPS.items() if _available(design, m, c)}
    cov = indicators.sdg131_coverage(design, groups, by=by, level=level)
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
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "programme", programme)
    return out[["programme", "indicator", by, "estimate", "se", "ci_low", "ci_high", "n"]]


def bisp_targeting(design: Design, level: float = 0.95) -> pd.DataFrame:
    """BISP exclusion and inclusion errors against the poverty line and the poorest 20% (pre-transfer)."""
    d = design.with_columns(q1=(design.data["quintile"].astype(int) == 1).astype(int).to_numpy())
    a = indicators.targeting_errors(d, "ben_bisp", "poor_pre", level=level)
    a["target"] = "poor (pre-transfer consumption below the poverty line)"
    b = indicators.targeting_errors(d, "ben_bisp", "q1", level=level)
    b["target"] = "poorest 20% of persons (pre-transfer)"
    return pd.concat([a, b], ignore_index=True)[["target", "indicator", "estimate", "se", "ci_low", "ci_high", "n"]]


def pct(df: pd.DataFrame, cols=("estimate", "se", "ci_low", "ci_high")) -> pd.DataFrame:
    """Shares to percent for display tables, with a ``unit`` column saying so (``percent``)
    so that the CSV/Excel copies are unambiguous to downstream users."""
    out = df.copy()
    for c in cols:
        out[c] = 100 * out[c]
    out["unit"] = "percent"
    return out


__all__.append("pct")
_ = np  # numpy kept for vectorised callers
