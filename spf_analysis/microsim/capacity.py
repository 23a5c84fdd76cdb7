"""Contributory capacity: workers outside the contributory schemes (ESSI, EOBI) who earn enough to
contribute, the contributions they would pay, and the contribution rates with their sources."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from spf_analysis.model import costing
from spf_analysis.stats.survey import Design

from .frame import eq

#: the ages of the workers whose contributory capacity is counted (inclusive): the working age of the
#: ILO's labour statistics, 15-64; chapter 05's tables and chapter 06's projection of contributors use it
WORKING_AGE = (15, 64)


def capacity_flags(df: pd.DataFrame, threshold: float, age_min: int = 0, age_max: int | None = None) -> pd.DataFrame:
    """Per-row contributory-capacity flags (pure): ``worker``, ``uncovered``, ``capacity``.

    worker = employed (labour status) in the ages; uncovered = worker not in formal (social-insurance)
    employment (``formal != 1``); capacity = uncovered with monthly earnings >= ``threshold``
    (unpaid family workers earn 0 and never qualify).
    """
    inage = costing.in_age_sex_group(df["age"].to_numpy(), None, age_min, age_max)
    worker = eq(df["labour_status"], "employed") & inage
    formal = np.nan_to_num(df["formal"].to_numpy(dtype=float), nan=0.0) == 1
    earn = np.nan_to_num(df["earnings_month"].to_numpy(dtype=float), nan=0.0)
    uncovered = worker & ~formal
    return pd.DataFrame({"worker": worker.astype(int), "uncovered": uncovered.astype(int),
                         "capacity": (uncovered & (earn >= threshold)).astype(int)}, index=df.index)


#: the factors of the contributory-capacity prevalence, in the order of the product (scenario ``prevalence.factors``)
CAPACITY_FACTORS = ("employed_share", "informal_share", "capacity_share")


def capacity_prevalence_factors(frame: pd.DataFrame, threshold: float, age_min: int = 18, age_max: int | None = 59) -> dict:
    """The survey's contributory-capacity prevalence as the product of three weighted shares, in the ages:

    ``employed_share`` = employed / persons; ``informal_share`` = uncovered (not in formal employment) / employed;
    ``capacity_share`` = uncovered earning >= ``threshold`` / uncovered; ``prevalence`` = their product = capacity
    workers / persons (the rule of :func:`capacity_flags`).  The same decomposition as a scenario's
    ``prevalence.factors`` (:data:`CAPACITY_FACTORS`), so the two can be compared factor by factor.
    """
    f = capacity_flags(frame, threshold, age_min, age_max)
    w = frame["weights"].to_numpy(float)
    persons = float(np.sum(w * costing.in_age_sex_group(frame["age"].to_numpy(), None, age_min, age_max)))
    worker, unc, cap = (float(np.sum(w * f[c].to_numpy(float))) for c in ("worker", "uncovered", "capacity"))
    div = lambda a, b: a / b if b > 0 else np.nan  # noqa: E731
    return {"employed_share": div(worker, persons), "informal_share": div(unc, worker), "capacity_share": div(cap, unc),
            "prevalence": div(cap, persons)}


def contribution_rates(policy_files=None, *, eobi_wage_base: float = 13000.0, date: str = "2024-07-01") -> pd.DataFrame:
    """Contribution rates of ESSI and EOBI with their sources (params/policy/baseline.yaml).

    ESSI: employer 6% of the worker's minimum wage (``contributions.essi_employer_rate``, F053).
    EOBI: Rs 780 a month per insured worker in 2019 (employer 650 + employee 130,
    ``contributions.eobi_monthly_2019``, F039) over an assumed wage base (default Rs 13,000, as in the
    kp_medium contribution_subsidy rationale) = 6%.
    """
    from spf_analysis.model import policy

    pol = policy.load(*(policy_files or (policy.BASELINE,)))
    essi = pol.parameter("contributions.essi_employer_rate")
    eobi = pol.parameter("contributions.eobi_monthly_2019")
    return pd.DataFrame([
        {"scheme": "ESSI", "rate": float(pol.value_at("contributions.essi_employer_rate", date)),
         "source": essi.source_at(date) + " (params/policy/baseline.yaml contributions.essi_employer_rate)"},
        {"scheme": "EOBI", "rate": float(eobi.values[-1]) / eobi_wage_base,
         "source": eobi.sources[-1] + f" (contributions.eobi_monthly_2019) / assumed wage base Rs {eobi_wage_base:,.0f}"},
    ])


def contributory_capacity(frame: pd.DataFrame, threshold: float, rates: Mapping[str, float], base_monthly: float, *,
                          by=("sector", "employment_type"), age_min: int = WORKING_AGE[0],
                          age_max: int | None = WORKING_AGE[1],
                          level: float = 0.95) -> pd.DataFrame:
    """Workers not covered by a contributory scheme with earnings >= ``threshold``, and their contributions.

    Per domain of ``by``: weighted totals (with design SEs, :meth:`Design.total`) of workers,
    uncovered workers and uncovered workers with capacity; the share with capacity among the
    uncovered (ratio, SE); and the annual contributions they would pay, ``sum w capacity x rate x
    base_monthly x 12`` per scheme (``base_monthly``: the contribution base, e.g. the minimum wage,
    in the currency wanted).  A total row (domain ``all``) is appended.
    """
    flags = capacity_flags(frame, threshold, age_min, age_max)
    cols = {c: flags[c].to_numpy(float) for c in flags}
    for scheme, rate in rates.items():
        cols[f"contrib_{scheme}"] = flags["capacity"].to_numpy(float) * float(rate) * base_monthly * 12
    df = frame.copy()
    by = list(by)
    for c in by:
        df[c] = df[c].astype(object).where(df[c].notna(), "not employed")
    d = Design(df, "weights", "stratum", "psu", lonely_psu="adjust").with_columns(**cols)
    names = list(cols)
    parts = []
    for b in (by, None):
        t = d.total(names, by=b, level=level)
        wide = t.pivot_table(index=b or [], columns="variable", values=["estimate", "se"], aggfunc="first") if b else None
        if b:
            wide.columns = [f"{v}{'' if s == 'estimate' else '_se'}" for s, v in wide.columns]
            wide = wide.reset_index()
        else:
            wide = pd.DataFrame({**{v: [e] for v, e in zip(t["variable"], t["estimate"])},
                                 **{f"{v}_se": [e] for v, e in zip(t["variable"], t["se"])}})
            for c in by:
                wide.insert(0, c, "all")
        ratio = d.ratio("capacity", "uncovered", by=b, level=level)
        wide["capacity_share_of_uncovered"] = ratio["estimate"].to_numpy()
        wide["capacity_share_se"] = ratio["se"].to_numpy()
        parts.append(wide)
    out = pd.concat(parts, ignore_index=True)
    out = out[out["worker"] > 0].reset_index(drop=True)
    keep = by + ["worker", "uncovered", "capacity", "capacity_se", "capacity_share_of_uncovered", "capacity_share_se"]
    keep += [f"contrib_{s}" for s in rates] + [f"contrib_{s}_se" for s in rates]
    return out[keep]
