"""Cross-check :mod:`spf_analysis.stats.poverty` against R ``laeken`` (``make crosscheck``).

laeken is the reference implementation of the Eurostat (EU-SILC) inequality
and poverty indicators. On laeken's own ``eusilc`` data (equivalised income
``eqIncome``, weights ``rb050``, regions ``db040``) we compare the Gini (all
and by region), the weighted median and the 20th/80th percentiles (Eurostat
weighted-quantile rule), the at-risk-of-poverty threshold (60% of the median)
and rate (FGT0 at that threshold). Relative tolerance 1e-10. Installs Debian's
``r-cran-laeken`` when it is missing and we are root; otherwise exits 2.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from spf_analysis.stats import poverty

HERE = Path(__file__).resolve().parent
TOL = 1e-10


def ensure_laeken() -> None:
    ok = shutil.which("Rscript") and subprocess.run(
        ["Rscript", "-e", "library(laeken)"], capture_output=True).returncode == 0
    if ok:
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run("apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
                       "apt-get install -y -qq r-cran-laeken >/dev/null", shell=True, check=True)
        return
    print("error: R laeken is needed: sudo apt-get install r-cran-laeken", file=sys.stderr)
    sys.exit(2)


def main() -> int:
    ensure_laeken()
    with tempfile.TemporaryDirectory() as d:
        version = subprocess.run(["Rscript", str(HERE / "crosscheck_laeken.R"), d],
                                 check=True, capture_output=True, text=True).stdout.strip()
        data = pd.read_csv(Path(d) / "eusilc.csv")
        ref = pd.read_csv(Path(d) / "laeken.csv")
    y, w = data["eqIncome"].to_numpy(), data["rb050"].to_numpy()
    med = poverty.weighted_quantile(y, w, 0.5)
    ours = {("gini", "all"): poverty.gini(y, w), ("median", "all"): med,
            ("p20", "all"): poverty.weighted_quantile(y, w, 0.2),
            ("p80", "all"): poverty.weighted_quantile(y, w, 0.8),
            ("arpr_threshold", "all"): 0.6 * med,
            ("arpr", "all"): 100 * poverty.fgt(y, 0.6 * med, 0, w)}
    for region, g in data.groupby("db040"):
        ours[("gini", region)] = poverty.gini(g["eqIncome"].to_numpy(), g["rb050"].to_numpy())
    worst, failed = 0.0, []
    print(f"{version} vs spf_analysis.stats.poverty on eusilc ({len(data)} persons)")
    for r in ref.itertuples():
        got = float(ours[(r.stat, r.domain)])
        rel = abs(got - r.value) / abs(r.value)
        worst = max(worst, rel)
        print(f"  {r.stat:15s} {r.domain:14s} laeken {r.value:18.10f}  ours {got:18.10f}  rel {rel:.1e}")
        if rel > TOL:
            failed.append((r.stat, r.domain))
    print(f"{len(ref)} values; largest relative difference {worst:.1e}; tolerance {TOL:g}")
    if failed:
        print(f"LAEKEN CROSSCHECK FAILED: {failed}")
        return 1
    print("LAEKEN CROSSCHECK PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
