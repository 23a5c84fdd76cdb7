"""Content checks that let a build step skip work whose inputs did not change (standard library only).

``make`` decides from modification times; a step it starts may still find that nothing it
reads changed since its last successful run (a file touched or rewritten with the same bytes,
a chapter re-run whose published tables came out identical). Then the step keeps its outputs
and only touches them, so that ``make`` sees them up to date; ``make -q`` stays consistent.

A step's record, ``reports/.build/digests/<step>.json``, holds the sha256 of every input
(the rule's prerequisites, passed by ``make`` in ``SPF_INPUTS``) and of every output, written
after the step succeeded, from input digests taken *before* it ran. A step is skipped only when
the record exists, every input has the recorded digest and every output exists with its
recorded digest: a missing record, a changed or missing input or an output changed by anyone
else means the step runs. :func:`forget` removes the record before a step starts writing.

One refinement of "every byte of the input file":

* ``reads`` (a notebook that reads chosen published tables of other chapters, e.g. the
  executive summary, :data:`spf_analysis.config.deps.READS`): an executed notebook among the
  prerequisites stands for the tables that chapter published, so it is replaced by the tables
  read (it only orders the build), and a chapter index ``reports/tables/NN_index.csv`` in that list counts only by its
  header and the rows of the listed tables (a change in the title of a table not read does not
  re-run the reader).

The raw data go one step further: the Makefile's ``content_stamp`` (``sha256sum`` when make reads
the Makefile) rewrites ``data/processed/.raw.sha256`` only when a raw file's content changed, and
the data step depends on that stamp, so touching a raw file starts nothing at all.

``python -m spf_analysis.config.digest check STEP`` / ``record STEP`` are the data and model
steps' skip test and record (``SPF_INPUTS``, ``SPF_OUTPUTS`` from ``make``); the notebook runner
(:mod:`spf_analysis.build`) and the survey step (:mod:`spf_analysis.household.source`) call the
functions directly.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECORDS = ROOT / "reports" / ".build" / "digests"
#: what a missing file hashes to (an input that disappears is a change)
MISSING = "missing"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except FileNotFoundError:
        return MISSING
    return h.hexdigest()


def index_rows_digest(path: Path, tables: set[str]) -> str:
    """sha256 of a chapter index's header and of its rows whose ``file`` is one of ``tables``
    (``tables/01_population_summary.csv``), in file order."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return MISSING
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or "file" not in rows[0]:
        return hashlib.sha256(text.encode()).hexdigest()
    col = rows[0].index("file")
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(rows[0])
    w.writerows(r for r in rows[1:] if len(r) > col and r[col] in tables)
    return hashlib.sha256(out.getvalue().encode()).hexdigest()


def _rel(p) -> str:
    p = Path(p)
    try:
        return str(p.resolve().relative_to(ROOT)) if p.is_absolute() else str(p)
    except ValueError:
        return str(p)


def inputs_digest(inputs, reads=(), executed_dir: str = "reports/notebooks/") -> dict[str, str]:
    """``{path: sha256}`` of a step's inputs. With ``reads`` (published tables), executed
    notebooks among the inputs are replaced by those tables and chapter indexes among them
    count only by the rows of the tables read (module docstring)."""
    inputs = [_rel(p) for p in inputs]
    reads = [_rel(p) for p in reads]
    if reads:
        inputs = [p for p in inputs if not p.startswith(executed_dir)]
    read_tables = {"tables/" + Path(p).name for p in reads if not p.endswith("_index.csv")}
    out = {}
    for p in sorted(set(inputs)):
        out[p] = sha256_file(ROOT / p)
    for p in sorted(set(reads)):
        out[p] = index_rows_digest(ROOT / p, read_tables) if p.endswith("_index.csv") else sha256_file(ROOT / p)
    return out


def outputs_digest(outputs) -> dict[str, str]:
    return {_rel(p): sha256_file(ROOT / _rel(p)) for p in sorted(set(outputs), key=str)}


def _record_file(step: str, records: Path | None = None) -> Path:
    return (records or RECORDS) / f"{step}.json"


def unchanged(step: str, inputs: dict[str, str], outputs, records: Path | None = None) -> bool:
    """True when the step's last successful run read exactly these inputs and its outputs are
    all there, as it left them."""
    f = _record_file(step, records)
    try:
        rec = json.loads(f.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return False
    if not inputs or rec.get("inputs") != inputs:
        return False
    outs = outputs_digest(outputs)
    return bool(outs) and MISSING not in outs.values() and rec.get("outputs") == outs


def record(step: str, inputs: dict[str, str], outputs, records: Path | None = None) -> None:
    """Write the step's record (after it succeeded): the input digests taken before it ran."""
    f = _record_file(step, records)
    f.parent.mkdir(parents=True, exist_ok=True)
    tmp = f.with_name(f".{f.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"inputs": inputs, "outputs": outputs_digest(outputs)}, indent=1, sort_keys=True) + "\n",
                   encoding="utf-8")
    tmp.replace(f)


def forget(step: str, records: Path | None = None) -> None:
    """Remove the step's record (it is about to write its outputs)."""
    _record_file(step, records).unlink(missing_ok=True)


def touch(outputs) -> None:
    """Mark outputs up to date for ``make`` (modification time now), bytes kept."""
    for p in outputs:
        os.utime(ROOT / _rel(p))


def env_list(name: str) -> list[str]:
    return os.environ.get(name, "").split()


def _pending(step: str) -> Path:
    return RECORDS / f"{step}.pending.json"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 2 and argv[0] == "check":  # exit 0: skipped (outputs touched); 1: run the step
        step = argv[1]
        ins, outs = inputs_digest(env_list("SPF_INPUTS")), env_list("SPF_OUTPUTS")
        if unchanged(step, ins, outs):
            touch(outs)
            print(f"{step}: inputs unchanged since its last run (sha256), outputs kept")
            return 0
        forget(step)
        p = _pending(step)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(ins, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return 1
    if len(argv) == 2 and argv[0] == "record":  # after the step succeeded: the inputs it read
        step = argv[1]
        p = _pending(step)
        try:
            ins = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return 0
        record(step, ins, env_list("SPF_OUTPUTS"))
        p.unlink(missing_ok=True)
        return 0
    print("usage: python -m spf_analysis.config.digest {check STEP | record STEP}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
