"""The toy households and scenario the microsimulation tests compute by hand (tests/test_microsim.py,
tests/test_microsim_uncertainty.py): one home for them."""

import numpy as np

#: the 2013-14 poverty line, Rs per adult equivalent a month (the toy macro frames double it by 2030)
Z = 3030.32

#: a child benefit (ages 0-5, 25% of the line, 10% admin) and a social pension (65+, 50% of the line)
TOY_CHILD_PENSION = """
name: toy
horizon: {start: 2029, end: 2031, rationale: test}
benefits:
  child_benefit:
    eligible: {basis: population, age_min: 0, age_max: 5, sex: all, rationale: test}
    takeup: {value: 1.0, rationale: test}
    level: {type: poverty_line, value: 0.25, rationale: test}
    admin: {rate: 0.10, convention: share_of_benefits, rationale: test}
  social_pension:
    eligible: {basis: population, age_min: 65, sex: all, rationale: test}
    takeup: {value: 1.0, rationale: test}
    level: {type: poverty_line, value: 0.5, rationale: test}
    admin: {rate: 0.0, convention: share_of_benefits, rationale: test}
"""


def person(hh, idc, age, *, w, ae, cons, disability=0, sex="male", stratum=1, psu=None):
    """One row of the survey's persons frame (psu: the household's own by default)."""
    return {"hhcode": hh, "idc": idc, "psu": hh if psu is None else psu, "stratum": stratum, "weights": float(w),
            "district": "X", "region": 1, "age": age, "sex": sex, "disability": float(disability),
            "labour_status": None, "employment_type": None, "sector": None, "formal": np.nan,
            "earnings_month": np.nan, "hhsize": 0, "adult_eq": ae, "cons_pae": float(cons),
            "cons_pae_pre": float(cons), "pmt_score": np.nan}
