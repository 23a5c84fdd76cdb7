"""Chapter 08: the policy, legal and institutional framework of the SPF in KP.

Tables built from the sourced framework facts (``spf_analysis.data.framework``), the scheme
inventory (processed ``schemes``), the census activity table (``labour_census``), the macro
table (KP minimum wage) and the reference scenario (the informal share behind the contribution
subsidy). Nothing here is typed twice: every fact comes from its one home.
"""

from __future__ import annotations

import re

import pandas as pd

from spf_analysis.config import paths
from spf_analysis.config.errors import read_yaml
from spf_analysis.data.framework import GUARANTEES

__all__ = ["FrameworkError", "GUARANTEE_LABELS", "competence_table", "policy_table", "institutions_table",
           "unmatched_schemes", "labour_indicators", "option_links", "dialogue_table", "informal_share",
           "check_facts"]

GUARANTEE_LABELS = {"health": "Health (essential health care, maternity)", "children": "Children",
                    "working_age": "Working age (sickness, maternity, unemployment, disability)",
                    "old_age": "Old age"}
#: kinds of fact that make law or policy for a guarantee (competence table)
LAW_KINDS = ("constitution", "act")
#: the age from which the activity rate is read (census Table 16 publishes 10+ and 15+)
ACTIVITY_AGE = 15
_REQUIRED = ("fact_id", "kind", "instrument", "level", "what", "source_title", "source_url", "locator", "snippet")


class FrameworkError(ValueError):
    """The framework facts or the parameters of chapter 08 do not fit together."""


def check_facts(facts: pd.DataFrame) -> None:
    """Every fact complete and sourced; every guarantee has at least one law."""
    for c in _REQUIRED:
        empty = facts[c].astype(str).str.strip() == ""
        if empty.any():
            raise FrameworkError(f"fact {facts.loc[empty, 'fact_id'].iloc[0]}: {c} is empty")
    laws = facts[facts["kind"].isin(LAW_KINDS)]
    for g in GUARANTEES:
        if not laws["guarantees"].str.split(";").map(lambda gs: g in gs).any():
            raise FrameworkError(f"no law or constitutional provision concerns the guarantee {g!r}")


def _level_word(level: str) -> str:
    return str(level).split(" ")[0]


def _financed_by(level: str) -> str:
    """Who pays: the federal level for schemes paid from federal collections or a federal fund."""
    s = str(level)
    return "federal" if s.startswith("federal") or "federal collection" in s or "federal fund" in s else _level_word(s)


def _count_text(counts: pd.Series) -> str:
    parts = [f"{lvl} {int(n)}" for lvl, n in counts.items() if n]
    return "; ".join(parts) if parts else "none"


def competence_table(facts: pd.DataFrame, schemes: pd.DataFrame, guarantees=GUARANTEES) -> pd.DataFrame:
    """One row per SPF guarantee: the laws (who legislates, with level and year) and the schemes of
    the inventory by the level that finances and the level that delivers them."""
    missing = [g for g in guarantees if g not in GUARANTEES]
    if missing:
        raise FrameworkError(f"unknown guarantee(s) {missing}; use {list(GUARANTEES)}")
    laws = facts[facts["kind"].isin(LAW_KINDS)]
    rows = []
    for g in guarantees:
        mine = laws[laws["guarantees"].str.split(";").map(lambda gs: g in gs)]
        legislates = "; ".join(f"{r.instrument} ({r.level}{', ' + r.year if r.year else ''})"
                               for r in mine.itertuples())
        levels = sorted({_level_word(lv) for lv in mine["level"] if lv != "constitutional"})
        sel = schemes[schemes["spf_guarantee_main"].astype(str) == g]
        fin = sel["level"].map(_financed_by).value_counts().reindex(["federal", "provincial"], fill_value=0)
        dlv = sel["level"].map(_level_word).value_counts().reindex(["federal", "provincial"], fill_value=0)
        rows.append({"guarantee": GUARANTEE_LABELS[g], "legislates": " and ".join(levels) or "none",
                     "instruments": legislates, "schemes": len(sel),
                     "financed_by": _count_text(fin), "delivered_by": _count_text(dlv),
                     "fact_ids": ", ".join(mine["fact_id"])})
    return pd.DataFrame(rows)


def policy_table(facts: pd.DataFrame) -> pd.DataFrame:
    """KP's social protection policy and strategy: what they say, with their source."""
    p = facts[facts["kind"].isin(["policy", "strategy"])]
    return p[["instrument", "year", "what", "source_title", "locator"]].reset_index(drop=True)


def _matches(pattern: str, agencies: pd.Series) -> pd.Series:
    rx = re.compile(pattern)
    return agencies.astype(str).map(lambda a: bool(rx.search(a)))


def institutions_table(facts: pd.DataFrame, schemes: pd.DataFrame) -> pd.DataFrame:
    """The institutions, their level and mandate, and the schemes of the inventory they run
    (matched on the administering agency; a scheme run jointly counts for each institution)."""
    inst = facts[facts["kind"] == "institution"]
    rows = []
    for r in inst.itertuples():
        m = schemes[_matches(r.agency_pattern, schemes["administering_agency"])]
        rows.append({"institution": r.instrument, "level": r.level, "mandate": r.what,
                     "schemes": len(m), "scheme_ids": ", ".join(m["scheme_id"].astype(str)), "fact_id": r.fact_id})
    return pd.DataFrame(rows)


def unmatched_schemes(facts: pd.DataFrame, schemes: pd.DataFrame) -> pd.DataFrame:
    """Schemes of the inventory run by none of the institutions of the table."""
    pats = facts.loc[facts["kind"] == "institution", "agency_pattern"]
    hit = pd.Series(False, index=schemes.index)
    for p in pats:
        hit |= _matches(p, schemes["administering_agency"])
    return schemes.loc[~hit, ["scheme_id", "scheme_name", "administering_agency"]].reset_index(drop=True)


def informal_share(scenario: str) -> tuple[float, str]:
    """The informal share of non-agricultural employment behind the contribution subsidy, and its
    source, from the scenario file (its one home)."""
    file = paths.PARAMS / "scenarios" / f"{scenario}.yaml"
    prev = read_yaml(file, name=paths.rel(file))["benefits"]["contribution_subsidy"]["prevalence"]
    return float(prev["factors"]["informal_share"]), paths.rel(file)


def _census(labour: pd.DataFrame, geography: str, stem: str, who: str) -> pd.Series:
    ind = labour[(labour["geography"].astype(str) == geography)
                 & labour["indicator"].astype(str).str.startswith(stem)
                 & labour["indicator"].astype(str).str.endswith(f"[{who}; total]")]
    if len(ind) != 1:
        raise FrameworkError(f"labour_census: expected one row {stem} [{who}; total] for {geography}, found {len(ind)}")
    return ind.iloc[0]


def labour_indicators(labour: pd.DataFrame, macro: pd.DataFrame, geography: str, informal: float,
                      informal_source: str) -> pd.DataFrame:
    """The labour-market figures the SPF options rest on: census 2017 activity (persons 15+ and
    10+), the share seeking work, the KP minimum wage (first and latest year of the series) and
    the informal share of non-agricultural employment."""
    both = "both sexes (incl. transgender)"
    rows = []
    for who, label in ((both, "all"), ("male", "men"), ("female", "women")):
        r = _census(labour, geography, f"census_activity_rate_{ACTIVITY_AGE}plus", who)
        rows.append({"indicator": f"Activity rate, persons {ACTIVITY_AGE}+ ({label})", "value": float(r["value"]),
                     "unit": f"% of population {ACTIVITY_AGE}+", "period": str(int(r["year"])), "source": r["source_title"]})
    w = _census(labour, geography, "census_usual_activity_working_10plus", both)
    s = _census(labour, geography, "census_usual_activity_seeking_work_10plus", both)
    rows.append({"indicator": "Persons working, 10+", "value": float(w["value"]) / 1e6, "unit": "million",
                 "period": str(int(w["year"])), "source": w["source_title"]})
    rows.append({"indicator": "Seeking work, share of the active 10+", "value":
                 100 * float(s["value"]) / (float(s["value"]) + float(w["value"])),
                 "unit": "% of working + seeking work", "period": str(int(s["year"])), "source": s["source_title"]})
    mw = macro[macro["indicator"].astype(str) == "kp_minimum_wage"].sort_values("year")
    if mw.empty:
        raise FrameworkError("macro_indicators: no kp_minimum_wage row")
    for r in (mw.iloc[0], mw.iloc[-1]):
        rows.append({"indicator": "KP minimum wage, unskilled worker", "value": float(r["value"]),
                     "unit": "PKR per month", "period": str(r["period"]), "source": str(r["source_title"])})
    rows.append({"indicator": "Informal share of non-agricultural employment (Pakistan)", "value": 100 * informal,
                 "unit": "% of non-agricultural employment", "period": "see source",
                 "source": f"PBS Labour Force Survey 2020-21 as cited in {informal_source} (contribution subsidy)"})
    return pd.DataFrame(rows)


def option_links(facts: pd.DataFrame, labels: dict) -> pd.DataFrame:
    """The chapter 04 provisions and the laws they rest on (facts' ``options`` column)."""
    rows = []
    for key, label in labels.items():
        mine = facts[facts["options"].str.split(";").map(lambda o: key in o)]
        rows.append({"option": label,
                     "instruments": "; ".join(f"{r.instrument} ({r.level})" for r in mine.itertuples()) or
                     "no existing law: a new provincial act (social welfare is provincial since the 18th Amendment)",
                     "fact_ids": ", ".join(mine["fact_id"])})
    return pd.DataFrame(rows)


def dialogue_table(facts: pd.DataFrame, steps: list, validators: list, status: list) -> pd.DataFrame:
    """The ABND steps (sourced) with who validates each in KP and where this study stands
    (parameters of chapter 08)."""
    if not (len(steps) == len(validators) == len(status)):
        raise FrameworkError(f"params/08_policy_framework.yaml: dialogue_steps ({len(steps)}), validators "
                             f"({len(validators)}) and status ({len(status)}) must have one entry per step")
    idx = facts.set_index("fact_id")
    unknown = [s for s in steps if s not in idx.index or idx.loc[s, "kind"] != "abnd_step"]
    if unknown:
        raise FrameworkError(f"params/08_policy_framework.yaml: dialogue_steps {unknown} are not ABND steps "
                             "of data/raw/framework/legal_framework.csv")
    return pd.DataFrame([{"step": idx.loc[s, "instrument"], "what": idx.loc[s, "what"], "validated_by": v,
                          "status": st, "fact_id": s} for s, v, st in zip(steps, validators, status)])
