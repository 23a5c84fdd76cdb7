"""The array engine gives the numbers of the engine it replaced, to 1e-12: every scenario of params/scenarios in
the reference year, caseload alignment "rap" and "none", sums (overall and by quintile x sex) and every
per-person column, against the golden outputs written with the old engine before it changed
(tests/make_microsim_golden.py -> tests/data/microsim_golden/), and against the frozen old engine
(spf_analysis.microsim.reference) on a shuffled frame; Dask partitions add up to the single-process totals."""

import numpy as np
import pandas as pd
import pytest

from spf_analysis import microsim as ms
from spf_analysis.household import synth
from spf_analysis.microsim import reference

import make_microsim_golden as golden

RTOL = 1e-12


@pytest.fixture(scope="module")
def setup():
    from spf_analysis.model import pipeline

    h, p = synth.generate()
    frame = ms.person_frame(h, p)
    mframe = pipeline.compute().macro_frame
    return frame, dict(golden.cases(frame, mframe))


@pytest.fixture(scope="module")
def stored():
    sums = pd.read_csv(golden.OUT / "sums.csv", keep_default_na=False, na_values=[""])
    with np.load(golden.OUT / "persons.npz", allow_pickle=False) as z:
        persons = {k: z[k] for k in z.files}
    return sums, persons


def test_every_scenario_is_covered(setup, stored):
    _, cases = setup
    sums, persons = stored
    assert sorted(cases) == sorted(sums["case"].unique())
    assert len(cases) == 2 * len(golden.scenarios()) >= 18


def test_sums_and_persons_equal_the_golden_outputs(setup, stored):
    frame, cases = setup
    sums, persons = stored
    for key, rs in cases.items():
        sim = ms.simulate(frame, rs)
        added = sorted(c for c in sim.columns if c not in frame.columns)
        assert added == sorted(k.split("|")[2] for k in persons if k.startswith(key + "|")), key
        for c in added:
            np.testing.assert_allclose(sim[c].to_numpy(), persons[f"{key}|{c}"], rtol=RTOL, atol=0, err_msg=f"{key} {c}")
        for by in ((), ("quintile", "sex")):
            want = sums[(sums["case"] == key) & (sums["by"] == ("+".join(by) or "all"))].dropna(axis=1, how="all")
            for got in (ms.partition_sums(sim, rs, by),
                        ms.simulate_sums(ms.Persons.from_frame(frame, extra=[b for b in by if b != "quintile"]), rs, by)):
                got = got.reset_index()
                assert set(got.columns) == set(want.columns) - {"case", "by"}, key
                assert list(got.columns)[:len(by) or 1] == (list(by) or ["group"]), key
                for c in got.columns:
                    if c == "quintile":
                        assert got[c].tolist() == want[c].astype(int).tolist(), key
                    elif c in by or c == "group":
                        assert got[c].astype(str).tolist() == want[c].astype(str).tolist(), (key, c)
                    else:
                        np.testing.assert_allclose(got[c].to_numpy(float), want[c].to_numpy(float), rtol=RTOL, atol=0,
                                                   err_msg=f"{key} {by} {c}")


def test_shuffled_frame_equals_the_reference_engine(setup):
    """Rows in any order (households not contiguous): the same per-person results as the old engine."""
    frame, cases = setup
    shuffled = frame.sample(frac=1.0, random_state=3)
    for key in ("kp_medium|rap", "kp_medium|none", "kp_high|rap"):
        rs = cases[key]
        got, want = ms.simulate(shuffled, rs), reference.simulate_reference(shuffled, rs)
        assert list(got.columns) == list(want.columns)
        for c in want.columns:
            if want[c].dtype.kind == "f":
                np.testing.assert_allclose(got[c].to_numpy(), want[c].to_numpy(), rtol=RTOL, atol=0, err_msg=f"{key} {c}")
            else:
                assert got[c].equals(want[c]), (key, c)


def test_dask_equals_single_process_on_replicated_frame(setup):
    """Dask partitions generated in the workers from a copy index add up to the single-process totals of the same
    replicated frame (10 replicas of the survey, 4 partitions of 3, 3, 3 and 1 replicas)."""
    from distributed import Client, LocalCluster

    frame, cases = setup
    rs = cases["kp_medium|rap"]
    P = ms.Persons.from_frame(frame)
    single = ms.simulate_sums(P.replicate(10), rs)
    with LocalCluster(processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None) as cl, Client(cl):
        got = ms.replicated_sums_dask(frame, rs, copies=10, per_partition=3)
    pd.testing.assert_frame_equal(got, single, rtol=1e-12, atol=0)
    # the sums that need no draw are exactly 10 x the survey's
    one = ms.simulate_sums(P, rs)
    np.testing.assert_allclose(got["pop"], 10 * one["pop"], rtol=1e-12)


@pytest.mark.parametrize("key", ["kp_medium|rap", "kp_medium_pension_tested|none", "kp_medium_child_bisp|rap"])
def test_replicas_equal_the_reference_engine_on_the_replicated_frame(setup, key):
    """The hot path on array replicas (Persons.replicate, compact arrays, draws from the replicas' ids) gives the
    sums of the old engine on the frame replicated with microsim.replicate (new household ids, new draws)."""
    frame, cases = setup
    rs = cases[key]
    got = ms.simulate_sums(ms.Persons.from_frame(frame).replicate(3, start=5), rs)
    rep = ms.replicate(frame, 3, start=5)
    want = reference.partition_sums_reference(reference.simulate_reference(rep, rs), rs)
    pd.testing.assert_frame_equal(got, want, rtol=1e-12, atol=0)
    # the draws differ between replicas: a benefit with take-up below 1 is not 3 x the survey's
    below = [r.name for r in rs.rules if r.takeup < 1]
    one = ms.simulate_sums(ms.Persons.from_frame(frame), rs)
    assert below and any(got[f"n_{b}"].iloc[0] != 3 * one[f"n_{b}"].iloc[0] for b in below)
