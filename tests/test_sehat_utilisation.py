"""The health guarantee's gap as use of the Sehat card, not enrolment (chapter 03).

Known answers are hand-computed: a count over ``days`` days is annualised to ``count x 365 / days``
and put per 1,000 residents; the share of a benchmark is the ratio of the two rates per 1,000.
"""

import csv
import io as _stdio

import numpy as np
import pandas as pd
import pytest

from spf_analysis.data import io
from spf_analysis.household import gaps


def toy(chosen_count=1, chosen_bench=1):
    rows = [
        # 3,000 patients in 30 days -> 36,500 a year; 36,500 in 365 days -> 36,500 a year
        ("sehat_admissions", "KP", 30, 3_000.0, "patients", chosen_count == 0),
        ("sehat_admissions", "KP", 365, 36_500.0, "patients", chosen_count == 1),
        ("sehat_families_registered", "KP", None, 7_000_000.0, "families", False),
        ("inpatient_admissions_benchmark", "World", None, 0.10, "admissions per person a year", chosen_bench == 0),
        ("inpatient_admissions_benchmark", "Region", None, 73.0, "discharges per 1000 population a year",
         chosen_bench == 1),
    ]
    df = pd.DataFrame(rows, columns=["indicator", "geography", "days", "value", "unit", "chosen"])
    df["days"] = pd.array(df["days"], dtype="Int64")
    df["period_start"] = pd.NaT
    df["period_end"] = pd.NaT
    df["source_title"] = "s"
    df["confidence"] = "high"
    return df


def test_rates_and_shares_are_the_hand_computed_values():
    u = gaps.sehat_utilisation(toy(), population=1_000_000)
    assert len(u) == 4  # 2 counts x 2 benchmarks; registered families are not a count
    # 36,500 admissions a year / 1,000,000 residents = 36.5 per 1,000, whichever period
    assert np.allclose(u["per_1000"], 36.5)
    assert np.allclose(u["admissions_per_year"], 36_500)
    by_bench = u.groupby("benchmark")[["benchmark_per_1000", "share_of_benchmark", "gap"]].first()
    assert by_bench.loc["World", "benchmark_per_1000"] == pytest.approx(100.0)  # 0.10 per person
    assert by_bench.loc["World", "share_of_benchmark"] == pytest.approx(0.365)
    assert by_bench.loc["World", "gap"] == pytest.approx(0.635)
    assert by_bench.loc["Region", "share_of_benchmark"] == pytest.approx(0.5)  # 36.5 / 73
    assert u["chosen"].sum() == 1
    h = u[u["chosen"]].iloc[0]
    assert h["days"] == 365 and h["benchmark"] == "Region"


def test_gap_rows_carry_the_headline_share_and_no_sampling_error():
    rows = gaps.utilisation_gap_rows(gaps.sehat_utilisation(toy(), 1_000_000), "admissions paid")
    r = rows.set_index("indicator")
    assert r.loc["coverage", "estimate"] == pytest.approx(0.5)
    assert r.loc["protection_gap", "estimate"] == pytest.approx(0.5)
    assert set(rows["group"]) == {gaps.SEHAT_USE_GROUP} and set(rows["guarantee"]) == {"health"}
    assert rows[["se", "ci_low", "ci_high", "n"]].isna().all().all()


def test_use_above_the_benchmark_has_no_gap():
    u = gaps.sehat_utilisation(toy(), population=100_000)  # 365 per 1,000: 5x the 73 benchmark
    assert (u["gap"] == 0).all()
    r = gaps.utilisation_gap_rows(u, "x").set_index("indicator")["estimate"]
    assert r["coverage"] == 1.0 and r["protection_gap"] == 0.0


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="population"):
        gaps.sehat_utilisation(toy(), 0)
    t = toy()
    t.loc[0, "days"] = pd.NA
    with pytest.raises(ValueError, match="days"):
        gaps.sehat_utilisation(t, 1_000_000)
    with pytest.raises(ValueError, match="one chosen"):
        gaps.utilisation_gap_rows(gaps.sehat_utilisation(toy(chosen_count=None), 1_000_000), "x")


def test_published_file_gives_the_hand_computed_2024_rate():
    """12 Mar-10 Jun 2024 is 91 days (20 + 30 + 31 + 10); 222,484 x 365 / 91 = 892,381 a year;
    over the Census 2023 KP total of 40,856,097 that is 21.84 per 1,000, 25.6% of the 85.3
    discharges per 1,000 of the lower-middle and low income Asia-Pacific countries and 21.8%
    of the global 0.10 admissions per person."""
    rec = io.read_sehat_utilisation()
    u = gaps.sehat_utilisation(rec, 40_856_097)
    h = u[u["chosen"]].iloc[0]
    assert h["days"] == 91 and h["admissions"] == 222_484
    assert h["per_1000"] == pytest.approx(21.842, abs=0.001)
    assert h["share_of_benchmark"] == pytest.approx(0.2561, abs=0.0001)
    world = u[(u["admissions"] == 222_484) & (u["benchmark"] == "World")].iloc[0]
    assert world["share_of_benchmark"] == pytest.approx(0.2184, abs=0.0001)
    # the first year of universal cover, Nov 2020-Oct 2021 (365 days): 426,939 -> 10.45 per 1,000
    first = u[(u["admissions"] == 426_939)].iloc[0]
    assert first["days"] == 365 and first["per_1000"] == pytest.approx(10.450, abs=0.001)


def _rows():
    return list(csv.reader(_stdio.StringIO(io.SEHAT_UTILISATION_FILE.read_text(encoding="utf-8"))))


def _write(path, table):
    buf = _stdio.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(table)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


@pytest.mark.parametrize("column,value,message", [
    ("chosen", "true", "exactly one true"),          # a second chosen count
    ("unit", "families", "not allowed for sehat_admissions"),
    ("period_start", "12/03/2024", "not a date"),
    ("period_start", "2024-07-01", "after period_end"),
])
def test_reader_refuses_bad_rows(tmp_path, column, value, message):
    t = _rows()
    head = t[0]
    line = next(i for i, r in enumerate(t) if r[0] == "sehat_admissions" and r[head.index("chosen")] == "false")
    t[line][head.index(column)] = value
    with pytest.raises(io.InputError, match=message):
        io.read_sehat_utilisation(_write(tmp_path / "s.csv", t))


def test_reader_refuses_an_implausible_count(tmp_path):
    t = _rows()
    t[1][t[0].index("value")] = "90000000"
    with pytest.raises(io.InputError, match="above the plausible maximum"):
        io.read_sehat_utilisation(_write(tmp_path / "s.csv", t))
