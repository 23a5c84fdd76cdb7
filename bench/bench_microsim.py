"""Benchmark of the microsimulation (spf_analysis.microsim) at census scale: persons per second, peak memory.

    .venv/bin/python bench/bench_microsim.py [--sizes 1000000 10000000] [--chunk 1000000] [--dask]

The survey persons are replicated with new household ids (``microsim.replicate``) to 1M and 10M
persons. Each size is processed in chunks of whole households (simulate + weighted sums; the sums
add up), so memory stays bounded by the chunk, not the total. ``--dask`` runs the same chunks as
partitions on a ``distributed.LocalCluster`` (threads, no processes). Peak memory: tracemalloc
peak (Python and numpy allocations) per size and the process high-water mark
(``resource.getrusage``). A benchmark, not a test: it prints, it checks only that the draw-free chunked
sums (population, pre-reform poverty, eligible persons) equal replicas x the survey sums.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc

import numpy as np

from spf_analysis import microsim as ms
from spf_analysis.household import synth


def _setup(scenario: str, year: int):
    h, p, _ = synth.load_survey()
    frame = ms.person_frame(h, p)
    from spf_analysis.model import pipeline

    mframe = pipeline.load().macro_frame  # the model run (make model)
    return frame, ms.build_rules(scenario, year, mframe, frame)


def run_pandas(frame, rs, n: int, chunk: int):
    per_chunk = max(1, chunk // len(frame))
    copies = int(np.ceil(n / len(frame)))
    total = None
    done = 0
    k = 0
    while k < copies:
        c = min(per_chunk, copies - k)
        part = ms.replicate(frame, c, start=k)
        s = ms.partition_sums(ms.simulate(part, rs), rs)
        total = s if total is None else total + s
        done += len(part)
        k += c
        del part
    return total, done


def run_dask(frame, rs, n: int, chunk: int, workers: int = 2):
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    per_chunk = max(1, chunk // len(frame))
    copies = int(np.ceil(n / len(frame)))
    starts = list(range(0, copies, per_chunk))

    def make(k):
        return ms.replicate(frame, min(per_chunk, copies - k), start=k)

    with LocalCluster(processes=False, n_workers=1, threads_per_worker=workers, dashboard_address=None) as cl, Client(cl):
        ddf = dd.from_map(make, starts, meta=frame.iloc[:0], divisions=[None] * (len(starts) + 1))
        total = ms.sums_dask(ddf, rs)
    return total, copies * len(frame)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--chunk", type=int, default=1_000_000, help="persons per chunk / partition")
    ap.add_argument("--scenario", default="kp_medium")
    ap.add_argument("--year", type=int, default=2030)
    ap.add_argument("--dask", action="store_true", help="also run on a distributed.LocalCluster")
    a = ap.parse_args(argv)
    frame, rs = _setup(a.scenario, a.year)
    base = ms.partition_sums(ms.simulate(frame, rs), rs)
    print(f"survey: {len(frame):,} persons; scenario {a.scenario} {a.year}; chunk {a.chunk:,} persons")
    engines = [("pandas", run_pandas)] + ([("dask", run_dask)] if a.dask else [])
    for n in a.sizes:
        for name, fn in engines:
            tracemalloc.start()
            t0 = time.perf_counter()
            total, done = fn(frame, rs, n, a.chunk)
            dt = time.perf_counter() - t0
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            copies = done // len(frame)
            # draw-free sums scale exactly with the replicas (new ids -> new take-up draws elsewhere)
            fixed = [c for c in base.columns if c in ("pop", "poor_pre", "gap_pre", "shortfall_pre") or (
                c.startswith("e_") and rs.rule(c[2:]).thinning == 1)]
            ok = np.allclose(total[fixed].to_numpy(), copies * base[fixed].to_numpy(), rtol=1e-9)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
            print(f"{name:6s} {done:>12,} persons  {dt:7.1f} s  {done / dt:>12,.0f} persons/s  "
                  f"tracemalloc peak {peak / 2**20:8.1f} MiB  process max RSS {rss:8.1f} MiB  draw-free sums = replicas x survey: {ok}")
            if not ok:
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
