"""The Dask path: partitions of whole households, the array engine and its weighted sums per partition
(counter-based draws and row rules, so the numbers equal the single-process engine's to rounding).

Two ways in: :func:`to_dask` splits a frame on household boundaries (:func:`simulate_dask`,
:func:`sums_dask`); :func:`replicated_sums_dask` builds the partitions inside the workers from the survey
arrays and a copy index (replica ``k`` of :meth:`Persons.replicate`), so a census-size population (e.g.
KP's 40M persons) never exists in the client: each worker holds one partition at a time and returns a
row of sums.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .frame import Persons
from .rules import RuleSet
from .simulate import simulate, simulate_sums


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


def _add(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Partition sums added up (groups absent from a partition count 0; index sorted)."""
    parts = [p for p in parts if len(p)]
    out = parts[0]
    for p in parts[1:]:
        out = out.add(p, fill_value=0.0)
    return out.sort_index()


def sums_dask(ddf, rs: RuleSet, by: Sequence[str] = ()) -> pd.DataFrame:
    """:func:`partition_sums` on every partition (the array engine, :func:`simulate_sums`), added up (same
    numbers as the single process)."""
    import dask

    by = list(by)
    extra = [c for c in by if c != "quintile"]

    def part(p):
        return simulate_sums(Persons.from_frame(p, extra=extra), rs, by)

    tasks = [dask.delayed(part)(d) for d in ddf.to_delayed()]
    return _add(list(dask.compute(*tasks)))


def replicated_sums_dask(frame: pd.DataFrame | Persons, rs: RuleSet, copies: int, per_partition: int,
                         by: Sequence[str] = ()) -> pd.DataFrame:
    """Sums of ``copies`` replicas of ``frame`` (:meth:`Persons.replicate`), ``per_partition`` replicas per Dask
    partition, each partition generated inside its worker from its first copy index (the client only holds
    the survey's arrays and the rows of sums).  Runs on the current Dask scheduler (a ``distributed.Client``
    when one is active)."""
    import dask

    by = list(by)
    P = frame if isinstance(frame, Persons) else Persons.from_frame(frame, extra=[c for c in by if c != "quintile"])
    base = dask.delayed(P, pure=True)

    def part(p: Persons, start: int, c: int) -> pd.DataFrame:
        return simulate_sums(p.replicate(c, start=start), rs, by)

    tasks = [dask.delayed(part, pure=True)(base, k, min(per_partition, copies - k))
             for k in range(0, copies, per_partition)]
    return _add(list(dask.compute(*tasks)))
