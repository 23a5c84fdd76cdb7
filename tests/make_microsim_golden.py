"""Writes the golden outputs of the microsimulation (tests/data/microsim_golden/) with the engine of today.

    PYTHONPATH=$PWD .venv/bin/python tests/make_microsim_golden.py

Run once, before the engine changed (commit of the golden files): for every scenario of params/scenarios, in
the reference year, with caseload alignment "rap" and "none", the survey of the tests (``synth.generate()``)
is simulated; the weighted sums (``partition_sums``, overall and by quintile x sex) go to ``sums.csv`` and
the per-person columns that ``simulate`` adds to ``persons.npz``.  tests/test_microsim_golden.py compares the
engine of the day with them (1e-12).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from spf_analysis.config import paths, run
from spf_analysis.household import synth
from spf_analysis import microsim as ms

OUT = paths.ROOT / "tests" / "data" / "microsim_golden"
ALIGNMENTS = ("rap", "none")


def scenarios() -> list[str]:
    return sorted(p.stem for p in (paths.ROOT / "params" / "scenarios").glob("*.yaml"))


def cases(frame, mframe):
    year = run.settings().reference_year
    for name in scenarios():
        for al in ALIGNMENTS:
            yield f"{name}|{al}", ms.build_rules(name, year, mframe, frame, alignment=al)


def main() -> int:
    from spf_analysis.model import pipeline

    h, p = synth.generate()
    frame = ms.person_frame(h, p)
    mframe = pipeline.compute().macro_frame
    rows, arrays = [], {}
    for key, rs in cases(frame, mframe):
        sim = ms.simulate(frame, rs)
        for by in ((), ("quintile", "sex")):
            s = ms.partition_sums(sim, rs, by).reset_index()
            s["case"], s["by"] = key, "+".join(by) or "all"
            rows.append(s)
        for c in sim.columns.difference(frame.columns):
            arrays[f"{key}|{c}"] = sim[c].to_numpy()
    OUT.mkdir(parents=True, exist_ok=True)
    sums = pd.concat(rows, ignore_index=True)
    sums.to_csv(OUT / "sums.csv", index=False, float_format="%.17g")
    np.savez_compressed(OUT / "persons.npz", **arrays)
    print(f"{len(sums)} sum rows, {len(arrays)} person arrays -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
