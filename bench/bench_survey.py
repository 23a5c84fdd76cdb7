"""Benchmark: 30 domains x 10 indicators with linearised SEs on 50,000 persons, this engine vs R survey.

Builds a seeded synthetic survey (40 strata, 1,000 PSUs, 50,000 persons, 30
districts, 10 indicators), estimates every indicator's mean by district with
SE and deff (``Design.mean(..., by=...)``; R: ``svyby(~..., ~district,
design, svymean, deff="replace")``), times both (R: ``system.time`` around the
estimation only, plus the whole Rscript run), prints the ratio and checks the
numbers agree to 1e-8 relative.  Without Rscript, prints the Python timing only.

Run: ``.venv/bin/python bench/bench_survey.py``
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from spf_analysis.stats.survey import Design

sys.path.insert(0, str(Path(__file__).resolve().parent))
from record import Figure, write  # noqa: E402

N, STRATA, PSU_PER_STRATUM, DOMAINS = 50_000, 40, 25, 30
INDICATORS = [f"i{k}" for k in range(1, 11)]
R_SCRIPT = r"""
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
f <- as.formula(paste("~", paste(sprintf("i%d", 1:10), collapse = "+")))
tm <- system.time({
  des <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = d)
  r <- svyby(f, ~district, des, svymean, deff = "replace")
})
dd <- as.data.frame(r)
out <- data.frame(district = rep(dd$district, 10), variable = rep(sprintf("i%d", 1:10), each = nrow(dd)),
                  estimate = as.vector(as.matrix(dd[sprintf("i%d", 1:10)])),
                  se = as.vector(as.matrix(SE(r))),
                  deff = as.vector(as.matrix(dd[grep("^DEff", names(dd))])))
write.csv(out, args[2], row.names = FALSE)
cat(sprintf("%.6f\n", tm[["elapsed"]]), file = args[3])
"""


def synthetic(seed: int = 42) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_psu = STRATA * PSU_PER_STRATUM
    psu = np.sort(rng.integers(0, n_psu, N))
    stratum = psu // PSU_PER_STRATUM
    psu_effect = rng.normal(0, 0.35, n_psu)[psu]
    district = np.where(rng.random(N) < 0.8, (psu * 7) % DOMAINS, rng.integers(0, DOMAINS, N)) + 1
    income = np.exp(8 + 0.01 * stratum + psu_effect + rng.normal(0, 0.6, N))
    z = np.exp(8)
    transfer = np.where(rng.random(N) < 0.25 + 0.1 * (income < z), rng.uniform(200, 900, N), 0.0)
    post = income + transfer
    age = rng.integers(0, 90, N)
    df = pd.DataFrame(
        dict(
            stratum=stratum + 1,
            psu=psu + 1,
            w=rng.uniform(100, 600, N) * (1 + 0.5 * (stratum % 3)),
            district=district,
            i1=(income < z).astype(float),  # pre-transfer poverty
            i2=(post < z).astype(float),  # post-transfer poverty
            i3=np.maximum(z - income, 0) / z,  # poverty gap
            i4=(transfer > 0).astype(float),  # coverage
            i5=transfer,
            i6=income,
            i7=post,
            i8=((age >= 65) & (rng.random(N) < 0.2)).astype(float),  # pension receipt
            i9=(age < 5).astype(float),
            i10=rng.poisson(2, N).astype(float),
        )
    )
    return df


def main() -> int:
    df = synthetic()
    t0 = time.perf_counter()
    design = Design(df, "w", "stratum", "psu")
    t1 = time.perf_counter()
    py = design.mean(INDICATORS, by="district")
    t2 = time.perf_counter()
    best = min(_timed(lambda: Design(df, "w", "stratum", "psu").mean(INDICATORS, by="district")) for _ in range(5))
    print(f"synthetic survey: {N:,} persons, {STRATA} strata, {df.psu.nunique():,} PSUs, {DOMAINS} domains x {len(INDICATORS)} indicators")
    print(f"python: design {t1 - t0:.3f}s + estimation {t2 - t1:.3f}s (best of 5, design+estimation: {best:.3f}s)")
    rscript = shutil.which("Rscript")
    if not rscript:
        print("Rscript not found: R comparison skipped (apt-get install -y r-cran-survey)")
        write([Figure("survey", "design + mean by domain (R not installed: no baseline)", best, "s",
                      check="R survey not installed: the >= 10x goal was not measured")])
        return 1
    with tempfile.TemporaryDirectory(prefix="bench_survey_") as tmp:
        tmp = Path(tmp)
        df.to_csv(tmp / "survey.csv", index=False)
        (tmp / "bench.R").write_text(R_SCRIPT)
        s0 = time.perf_counter()
        subprocess.run([rscript, str(tmp / "bench.R"), str(tmp / "survey.csv"), str(tmp / "r.csv"), str(tmp / "t.txt")], check=True)
        r_total = time.perf_counter() - s0
        r_est = float((tmp / "t.txt").read_text())
        r = pd.read_csv(tmp / "r.csv")
    m = py.merge(r, on=["district", "variable"], suffixes=("", "_r"))
    assert len(m) == len(py) == len(r) == DOMAINS * len(INDICATORS)
    rel = {c: float(np.max(np.abs(m[c] - m[f"{c}_r"]) / np.abs(m[f"{c}_r"]).clip(1e-300))) for c in ("estimate", "se", "deff")}
    print(f"R survey: design+svyby {r_est:.3f}s (system.time), whole Rscript run incl. startup and CSV {r_total:.3f}s")
    print(f"speed-up (R design+svyby / python design+estimation): {r_est / best:.0f}x")
    print("max relative difference vs R: " + ", ".join(f"{k} {v:.1e}" for k, v in rel.items()))
    agree = max(rel.values()) <= 1e-8
    print("numbers agree" if agree else "NUMBERS DIFFER")
    ok = write([Figure("survey", f"design + mean by domain with SE and deff, {DOMAINS} domains x {len(INDICATORS)} indicators, "
                       f"{N:,} persons", best, "s", baseline="R survey: svydesign + svyby (system.time)", baseline_value=r_est,
                       ratio=r_est / best, ratio_meaning="R time / our time", goal=">= 10",
                       check="ok" if agree else f"numbers differ from R by more than 1e-8 (max {max(rel.values()):.1e})")])
    return 0 if ok else 1


def _timed(f) -> float:
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


if __name__ == "__main__":
    sys.exit(main())
