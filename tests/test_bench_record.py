"""bench/record.py: the goal of a figure is applied to its ratio; rows land in the CSV with their run."""

import csv
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import record  # noqa: E402


@pytest.mark.parametrize("ratio, goal, met", [(1.9, "<= 2.0", "yes"), (2.0, "<= 2.0", "yes"), (2.01, "<= 2.0", "no"),
                                              (121.0, ">= 10", "yes"), (9.9, ">= 10", "no"), (None, "", "")])
def test_goal_applied_to_ratio(ratio, goal, met):
    assert record.goal_met(ratio, goal) == met


def test_bad_goal_is_an_error():
    with pytest.raises(ValueError, match="goal"):
        record.goal_met(1.0, "about 2")
    with pytest.raises(ValueError, match="ratio"):
        record.goal_met(None, "<= 2")


def test_write_appends_rows_of_the_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPF_BENCH_RUN", "run-a")
    out = tmp_path / "bench.csv"
    ok = record.write([record.Figure("b", "fast", 1.0, "s", baseline="slow", baseline_value=3.0, ratio=3.0, goal=">= 2")],
                      out)
    assert ok
    monkeypatch.setenv("SPF_BENCH_RUN", "run-b")
    ok = record.write([record.Figure("b", "fast", 1.0, "s", ratio=1.5, goal=">= 2"),
                       record.Figure("b", "sums", 2.0, "s", check="totals differ")], out)
    assert not ok
    rows = list(csv.DictReader(out.open()))
    assert [(r["run"], r["figure"], r["met"], r["check"]) for r in rows] == [
        ("run-a", "fast", "yes", "ok"), ("run-b", "fast", "no", "ok"), ("run-b", "sums", "", "totals differ")]
    assert "MISSED" in capsys.readouterr().out
