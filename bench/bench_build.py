"""Benchmark: a cold `make report` (environment ready) against the papermill floor.

The floor is the same number of notebooks, each with an empty parameters
cell and one empty cell, executed the same way (one papermill process per
notebook, the spf-kp kernel). The ratio says how much of the build is our
work rather than kernel start-up. This rebuilds data/processed and reports/
(deterministic, so the outputs come back identical).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def notebooks() -> list[str]:
    text = (ROOT / "Makefile").read_text()
    return re.search(r"^NOTEBOOKS\s*:=(.*)$", text, re.M).group(1).split()


def timed(cmd: list[str], **kw) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    return time.perf_counter() - t0


def floor(n: int) -> float:
    with tempfile.TemporaryDirectory() as d:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "spf-kp", "display_name": "spf-kp", "language": "python"}
        p = nbformat.v4.new_code_cell("x = 1")
        p.metadata["tags"] = ["parameters"]
        nb.cells = [p, nbformat.v4.new_code_cell("pass")]
        src = Path(d) / "empty.ipynb"
        nbformat.write(nb, src)
        t = 0.0
        for i in range(n):
            t += timed([PY, "-m", "papermill", "-k", "spf-kp", "--no-progress-bar", str(src),
                        str(Path(d) / f"out{i}.ipynb")])
        return t


def main() -> None:
    n = len(notebooks())
    subprocess.run(["make", "-s", "clean"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    cold = timed(["make", "-s", "report"], cwd=ROOT)
    noop = timed(["make", "-s", "report"], cwd=ROOT)
    fl = floor(n)
    print(f"notebooks                     : {n}")
    print(f"cold make report              : {cold:7.2f} s  (data + notebooks + HTML + PDF)")
    print(f"papermill floor ({n} empty)     : {fl:7.2f} s")
    print(f"ratio cold / floor            : {cold / fl:7.2f}")
    print(f"make report, nothing changed  : {noop:7.3f} s")


if __name__ == "__main__":
    main()
