"""Cross-check :mod:`spf_analysis.stats.survey` against R ``survey`` (``make crosscheck``).

Writes the api data (``tests/data``) and seeded synthetic stratified cluster
surveys with domains to a temporary folder, runs ``tools/crosscheck_survey.R``
with Rscript (svymean, svytotal, svyratio, svyby, proportions as svymean of a
factor, svyquantile, FGT as svymean of indicator/gap with a fixed line, lonely
PSU rules), compares estimate, SE and design effect (R ``deff="replace"``)
with this engine, prints a table and exits 1 if any relative difference
exceeds ``TOL`` (1e-8).

Quantiles are held to the same tolerance: the estimate and the Woodruff
interval are order statistics, so they agree exactly unless
``phat -/+ t se_p`` falls within rounding error of a cumulative weight share
(then they may differ by one order statistic; the case is reported, not
hidden).  R is installed with ``apt-get install -y r-cran-survey`` when
``Rscript`` is missing and we are root on Debian; otherwise exit 2.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from spf_analysis.stats.survey import Design

ROOT = Path(__file__).resolve().parent.parent
TOL = 1e-8
Z = 1000.0  # fixed poverty line of the synthetic survey


def ensure_rscript() -> str:
    exe = shutil.which("Rscript")
    if exe:
        return exe
    if shutil.which("apt-get") and os.geteuid() == 0:
        print("Rscript not found: installing r-cran-survey with apt-get ...", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "r-cran-survey"], check=True, env=env)
        exe = shutil.which("Rscript")
    if not exe:
        sys.exit("Rscript not found; install R and the survey package: apt-get install -y r-cran-survey")
    return exe


def synthetic(seed: int = 20240601, n_strata: int = 20) -> pd.DataFrame:
    """Stratified two-stage sample: PSUs numbered within strata (nest), 12 regions, urban/rural."""
    rng = np.random.default_rng(seed)
    rows = []
    for h in range(n_strata):
        n_psu = int(rng.integers(2, 9))
        N_psu = n_psu + int(rng.integers(0, 40))
        for j in range(1, n_psu + 1):
            m = int(rng.integers(5, 25))
            effect = rng.normal(0, 0.3)
            region = rng.integers(1, 13, m) if rng.random() < 0.3 else np.full(m, (h % 12) + 1)
            income = np.exp(7.0 + 0.04 * h + effect + rng.normal(0, 0.7, m))
            income = np.round(income, 0 if rng.random() < 0.5 else 2)  # some ties
            rows.append(
                pd.DataFrame(
                    dict(
                        stratum=h + 1,
                        psu=j,
                        N_psu=N_psu,
                        w=np.round(rng.uniform(50, 400) * rng.uniform(0.8, 1.25, m), 3),
                        region=region,
                        urban=rng.integers(0, 2, m),
                        income=income,
                        x=rng.poisson(5, m) + 1.0,
                        cat=rng.choice(["A", "B", "C"], m, p=[0.5, 0.3, 0.2]),
                    )
                )
            )
    return pd.concat(rows, ignore_index=True)


def keyed(df: pd.DataFrame, by: list[str] | None, label) -> dict:
    """Map R-style keys to (estimate, se, deff) from a tidy engine output."""
    out = {}
    for r in df.itertuples(index=False):
        d = r._asdict()
        dom = ".".join(str(d[b]) for b in by) if by else None
        out[label(d, dom)] = (d["estimate"], d["se"], d.get("deff", np.nan))
    return out


def var_key(d, dom, multi=True):
    return d["variable"] if dom is None else (f"{dom}:{d['variable']}" if multi else dom)


def python_results(data: dict[str, pd.DataFrame]) -> dict[str, dict]:
    res: dict[str, dict] = {}
    st = Design(data["apistrat"], "pw", strata="stype", fpc="fpc")
    res["strat_mean"] = keyed(st.mean(["api00", "enroll"]), None, var_key)
    res["strat_total"] = keyed(st.total("enroll"), None, var_key)
    res["strat_ratio"] = keyed(st.ratio("api00", "api99"), None, lambda d, dom: "ratio")
    res["strat_mean_by_awards"] = keyed(st.mean(["api00", "meals"], by="awards"), ["awards"], var_key)
    res["strat_prop_by_stype"] = keyed(
        st.proportion("sch.wide", by="stype"), ["stype"], lambda d, dom: f"{dom}:factor(sch.wide){d['level']}"
    )
    add_quantiles(res, "strat_quantile", st, "api00", [0.25, 0.5, 0.75], None)
    add_quantiles(res, "strat_quantile_by_awards", st, "api00", [0.25, 0.5, 0.75], "awards")
    c1 = Design(data["apiclus1"], "pw", psu="dnum", fpc="fpc")
    res["clus1_fpc_mean"] = keyed(c1.mean("api00"), None, var_key)
    res["clus1_fpc_total_by_stype"] = keyed(c1.total("enroll", by="stype"), ["stype"], lambda d, dom: dom)
    res["clus1_mean"] = keyed(Design(data["apiclus1"], "pw", psu="dnum").mean("api00"), None, var_key)
    c2 = Design(data["apiclus2"], "pw", psu="dnum")
    res["clus2_mean"] = keyed(c2.mean("api00"), None, var_key)
    res["clus2_total_narm"] = keyed(c2.total("enroll", na_rm=True), None, var_key)

    syn = data["synthetic"].copy()
    syn["poor"] = (syn.income < Z).astype(float)
    syn["gap"] = syn.poor * (Z - syn.income) / Z
    syn["sev"] = syn.gap**2
    ds = Design(syn, "w", "stratum", "psu", nest=True)
    res["syn_mean"] = keyed(ds.mean(["income", "x"]), None, var_key)
    res["syn_mean_by_region"] = keyed(ds.mean(["income", "x"], by="region"), ["region"], var_key)
    res["syn_total_by_region"] = keyed(ds.total("income", by="region"), ["region"], lambda d, dom: dom)
    res["syn_ratio_by_region"] = keyed(ds.ratio("income", "x", by="region"), ["region"], lambda d, dom: dom)
    res["syn_prop_by_region"] = keyed(
        ds.proportion("cat", by="region"), ["region"], lambda d, dom: f"{dom}:cat{d['level']}"
    )
    res["syn_mean_by_region_urban"] = keyed(
        ds.mean("income", by=["region", "urban"]), ["region", "urban"], lambda d, dom: dom
    )
    res["syn_fgt"] = keyed(ds.mean(["poor", "gap", "sev"]), None, var_key)
    res["syn_fgt_by_region"] = keyed(ds.mean(["poor", "gap", "sev"], by="region"), ["region"], var_key)
    add_quantiles(res, "syn_quantile", ds, "income", [0.1, 0.5, 0.9], None)
    add_quantiles(res, "syn_quantile_by_region", ds, "income", [0.25, 0.5, 0.75], "region")
    dsf = Design(syn, "w", "stratum", "psu", fpc="N_psu", nest=True)
    res["synfpc_mean_by_region"] = keyed(dsf.mean("income", by="region"), ["region"], lambda d, dom: dom)
    res["synfpc_total"] = keyed(dsf.total("income"), None, var_key)

    for rule in ("adjust", "certainty", "remove"):
        dl = Design(data["synthetic_lonely"], "w", "stratum", "psu", nest=True, lonely_psu=rule)
        res[f"lonely_{rule}_mean"] = keyed(dl.mean("income"), None, var_key)
        res[f"lonely_{rule}_total_by_region"] = keyed(dl.total("income", by="region"), ["region"], lambda d, dom: dom)
    return res


def add_quantiles(res, case, design, var, qs, by):
    out = design.quantile(var, qs, by=by)
    byl = [by] if by else None

    def key(d, dom):
        k = f"{var}.{d['quantile']:g}"
        return k if dom is None else f"{dom}:{k}"

    res[case] = keyed(out.assign(deff=np.nan), byl, key)
    if by is None:  # R's confint() of svyquantile is the Woodruff interval itself
        ci = out.assign(estimate=out.ci_low, se=out.ci_high, deff=np.nan)
        res[case + "_ci"] = keyed(ci, None, key)


def reldiff(a: float, b: float) -> float:
    if (np.isnan(a) and np.isnan(b)) or a == b:
        return 0.0
    if np.isnan(a) or np.isnan(b):
        return np.inf
    return abs(a - b) / max(abs(a), abs(b))


def main() -> int:
    rscript = ensure_rscript()
    tdata = ROOT / "tests" / "data"
    data = {k: pd.read_csv(tdata / f"{k}.csv") for k in ("apistrat", "apiclus1", "apiclus2")}
    data["synthetic"] = synthetic()
    lon = synthetic(seed=7, n_strata=8)
    lon = lon[(lon.stratum != 3) | (lon.psu == 1)]  # stratum 3 keeps a single PSU
    data["synthetic_lonely"] = lon.reset_index(drop=True)
    with tempfile.TemporaryDirectory(prefix="crosscheck_survey_") as tmp:
        for k, v in data.items():
            v.to_csv(Path(tmp) / f"{k}.csv", index=False)
        subprocess.run([rscript, str(ROOT / "tools" / "crosscheck_survey.R"), tmp], check=True)
        r = pd.read_csv(Path(tmp) / "r_results.csv", keep_default_na=True)
    py = python_results(data)
    rows, failed = [], False
    for case, g in r.groupby("case", sort=False):
        pyc = py.get(case, {})
        worst = {"estimate": 0.0, "se": 0.0, "deff": 0.0}
        missing = 0
        for rr in g.itertuples(index=False):
            if rr.key not in pyc:
                missing += 1
                continue
            e, s, d = pyc[rr.key]
            worst["estimate"] = max(worst["estimate"], reldiff(e, rr.estimate))
            worst["se"] = max(worst["se"], reldiff(s, rr.se))
            if not np.isnan(rr.deff):
                worst["deff"] = max(worst["deff"], reldiff(d, rr.deff))
        ok = missing == 0 and len(pyc) == len(g) and max(worst.values()) <= TOL
        failed |= not ok
        rows.append(dict(case=case, n=len(g), missing=missing, **{f"rel_{k}": v for k, v in worst.items()}, ok=ok))
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 160, "display.max_rows", 200, "display.float_format", "{:.2e}".format):
        print(table.to_string(index=False))
    print(f"\n{len(table)} cases, {int(table.n.sum())} numbers x (estimate, se, deff); tolerance {TOL:g} relative")
    if set(py) - set(r.case):
        print("cases without an R result:", sorted(set(py) - set(r.case)))
        failed = True
    print("CROSSCHECK FAILED" if failed else "CROSSCHECK PASSED")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
