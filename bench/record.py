"""One way for every benchmark to report a figure: printed, and appended to ``reports/bench.csv``.

Every figure of ``make bench`` is a measured value beside its baseline measured in the same run
(a ratio, never a number of seconds compared with a constant from another day), with the goal the
ratio is held to (issue 15) and whether it was met.  ``reports/bench.csv`` is the machine-readable
history of the runs (not part of the report): one row per figure, the run named by ``run`` (the
time ``make bench`` started, passed down as ``SPF_BENCH_RUN``) so that ``bench/summary.py`` can
print the table of the last run.

    from record import Figure, write
    write([Figure("survey", "design + svyby, 30 domains x 10 indicators", py_s, "s",
                  baseline="R survey svyby", baseline_value=r_s, ratio=r_s / py_s, goal=">= 10")])

``goal`` is a comparison with the ratio (``"<= 2.0"``, ``">= 10"``) or empty for a figure shown
for information; ``met`` is computed from it, and ``check`` carries a numerical check that must
also hold (``"ok"`` or what failed, e.g. totals that differ).
"""

from __future__ import annotations

import csv
import datetime as dt
import operator
import os
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CSV = ROOT / "reports" / "bench.csv"
FIELDS = ["run", "commit", "benchmark", "figure", "value", "unit", "baseline", "baseline_value", "ratio",
          "ratio_meaning", "goal", "met", "check"]
_OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}


def run_id() -> str:
    """The run this process belongs to: SPF_BENCH_RUN (set by `make bench`) or now."""
    return os.environ.get("SPF_BENCH_RUN") or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def goal_met(ratio: float | None, goal: str) -> str:
    """'yes'/'no' for a goal such as '<= 2.0' applied to the ratio; '' without a goal."""
    if not goal:
        return ""
    op, _, bound = goal.partition(" ")
    if op not in _OPS or ratio is None:
        raise ValueError(f"goal {goal!r}: expected '<op> <number>' with op in {sorted(_OPS)} and a ratio")
    return "yes" if _OPS[op](ratio, float(bound)) else "no"


@dataclass
class Figure:
    benchmark: str
    figure: str
    value: float
    unit: str
    baseline: str = ""
    baseline_value: float | None = None
    ratio: float | None = None
    ratio_meaning: str = ""
    goal: str = ""
    check: str = "ok"
    met: str = field(init=False, default="")

    def __post_init__(self):
        self.met = goal_met(self.ratio, self.goal)

    @property
    def ok(self) -> bool:
        return self.met != "no" and self.check == "ok"

    def line(self) -> str:
        s = f"{self.benchmark}: {self.figure}: {_fmt(self.value)} {self.unit}"
        if self.baseline:
            s += f"; {self.baseline}: {_fmt(self.baseline_value)} {self.unit}"
        if self.ratio is not None:
            s += f"; ratio {self.ratio:.3g}"
            if self.ratio_meaning:
                s += f" ({self.ratio_meaning})"
        if self.goal:
            s += f"; goal {self.goal}: {'met' if self.met == 'yes' else 'MISSED'}"
        if self.check != "ok":
            s += f"; CHECK FAILED: {self.check}"
        return s


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def write(figures: list[Figure], csv_path: Path = CSV) -> bool:
    """Print each figure and append it to reports/bench.csv; True when every goal and check held."""
    run, head = run_id(), commit()
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    new_file = not csv_path.exists()
    with csv_path.open("a", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=FIELDS)
        if new_file:
            wr.writeheader()
        for fig in figures:
            print(fig.line())
            row = {"run": run, "commit": head, **asdict(fig)}
            wr.writerow({k: (f"{v:.6g}" if isinstance(v, float) else ("" if v is None else v)) for k, v in row.items()})
    return all(fig.ok for fig in figures)
