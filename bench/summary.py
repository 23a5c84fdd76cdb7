"""The table of the last `make bench` run (reports/bench.csv rows of SPF_BENCH_RUN): every figure with
its baseline, ratio and goal; exits 1 when a goal or a numerical check failed."""

from __future__ import annotations

import sys

import pandas as pd

from record import CSV, _fmt, run_id


def main() -> int:
    if not CSV.exists():
        print(f"{CSV}: no benchmark recorded yet", file=sys.stderr)
        return 1
    df = pd.read_csv(CSV, dtype=str, keep_default_na=False)
    run = run_id()
    df = df[df["run"] == run]
    if df.empty:
        print(f"no figures recorded for run {run} in {CSV}", file=sys.stderr)
        return 1
    cols = ["benchmark", "figure", "value", "unit", "baseline_value", "ratio", "goal", "met", "check"]
    df = df.copy()
    for c in ("value", "baseline_value"):
        df[c] = [_fmt(float(v)) if v else "" for v in df[c]]
    df["ratio"] = [f"{float(v):.3g}" if v else "" for v in df["ratio"]]
    with pd.option_context("display.max_colwidth", 60, "display.width", 200):
        print(f"\nmake bench, run {run} (commit {df['commit'].iloc[0]}): {len(df)} figures; rows in {CSV.name}")
        print(df[cols].to_string(index=False))
    failed = df[(df["met"] == "no") | (df["check"] != "ok")]
    if len(failed):
        print(f"\n{len(failed)} figure(s) missed a goal or failed a check: " + "; ".join(failed["figure"]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
