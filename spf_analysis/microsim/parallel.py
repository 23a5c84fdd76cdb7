"""The Dask path: partitions on household boundaries, the same rules and sums per partition
(counter-based draws and row rules, so the numbers equal the pandas path to rounding)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .rules import RuleSet
from .simulate import partition_sums, simulate


def to_dask(frame: pd.DataFrame, npartitions: int):
    """A Dask dataframe of ``frame`` split on household boundaries (no household spans two partitions)."""
    import dask.dataframe as dd

    f = frame.sort_values(["hhcode", "idc"], kind="stable").reset_index(drop=True)
    hh = f["hhcode"].to_numpy()
    starts = np.flatnonzero(np.r_[True, hh[1:] != hh[:-1]])
    cut_hh = np.array_split(starts, max(1, min(npartitions, len(starts))))
    bounds = [int(c[0]) for c in cut_hh if len(c)] + [len(f)]
    parts = [f.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    return dd.from_map(lambda p: p, parts, meta=f.iloc[:0], divisions=[None] * (len(parts) + 1))


def simulate_dask(ddf, rs: RuleSet):
    """:func:`simulate` on every partition (partitions must hold whole households, see :func:`to_dask`)."""
    meta = simulate(ddf._meta, rs)
    return ddf.map_partitions(simulate, rs, meta=meta)


def sums_dask(ddf, rs: RuleSet, by: Sequence[str] = ()) -> pd.DataFrame:
    """:func:`partition_sums` on every partition, added up (same numbers as pandas)."""
    by = list(by)

    def part(p):
        return partition_sums(simulate(p, rs), rs, by).reset_index()

    meta = part(ddf._meta)
    parts = ddf.map_partitions(part, meta=meta).compute()
    keys = by or ["group"]
    return parts.groupby(keys, sort=True).sum()
