"""Fault injection: the build's failure modes, each in a throwaway copy of the built tree.

Every case runs the real ``make`` targets (or entry points) in a copy of the repository
(the virtual environment linked, never rebuilt: ``make -o .venv/.ready``), injects a fault
- a bad input, Ctrl-C, SIGTERM, a full disk (``tests/faults/sitecustomize.py``), a hostile
setting - and asserts that the step stops with a message naming the step and the cause,
and that ``reports/``, ``data/processed/`` and ``data/interim/`` are byte-identical
afterwards, with no temporary file left behind. Cases that must build (an override) assert
what changed instead. The input-reader cases (truncated, header-only, non-finite and
implausible values) are in ``tests/test_corruptions.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from spf_analysis.config import paths

FAULTS = Path(__file__).parent / "faults"
OUTPUT_DIRS = ("reports", "data/processed", "data/interim")
#: variables of an enclosing make (make test) or of the user that must not leak into the copy
_DROP = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "SPF_OUTPUT_DIR", "SURVEY", "SURVEY_DIR",
         "SURVEY_FILE", "SPF_FAULT", "SPF_FAULT_IN")

pytestmark = pytest.mark.skipif(not (paths.REPORT_PDF.exists() and (paths.ROOT / ".venv/.ready").exists()),
                                reason="needs the built study (make report) and its .venv")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A copy of the built tree (sources, data, outputs; not .git), its .venv linked."""
    root = tmp_path_factory.mktemp("built") / "spf"
    shutil.copytree(paths.ROOT, root, symlinks=True,
                    ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", ".pytest_cache", "*.egg-info"))
    (root / ".venv").symlink_to(paths.ROOT / ".venv")
    return root


@pytest.fixture
def tree(built, tmp_path):
    t = tmp_path / "spf"
    shutil.copytree(built, t, symlinks=True)  # copy2: times kept, so make sees the copy as up to date
    r = make(t, "-q", "report")
    assert r.returncode == 0, f"the copy is not up to date:\n{make(t, '-n', 'report').stdout[:2000]}"
    return t


def env_for(root: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in _DROP and not k.startswith("ARGS_")}
    env["PYTHONPATH"] = f"{root}{os.pathsep}{FAULTS}"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def make(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "-o", ".venv/.ready", *args], cwd=root,
                          env=env or env_for(root), capture_output=True, text=True, timeout=900,
                          preexec_fn=_default_signals)


def _default_signals():
    """Ctrl-C as in a terminal: a test run in the background inherits SIGINT ignored, and Python
    then installs no KeyboardInterrupt handler."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def snapshot(root: Path) -> dict:
    out = {}
    for d in OUTPUT_DIRS:
        for p in sorted((root / d).rglob("*")):
            rel = p.relative_to(root)
            # reports/.build: scratch (staging, stamps); reports/failed: a failed run's partial copy (a
            # diagnostic, not an output); .survey_config: make's stamp of the values given
            if p.is_file() and not str(rel).startswith(("reports/.build", "reports/failed")) and p.name != ".survey_config":
                out[str(rel)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def leftovers(root: Path) -> list[str]:
    """Temporary files or backups a step left beside the outputs."""
    return sorted(str(p.relative_to(root)) for d in OUTPUT_DIRS for p in (root / d).rglob(".*")
                  if p.is_file() and (p.name.endswith((".tmp", ".bak"))))


def fails_cleanly(root: Path, before: dict, r: subprocess.CompletedProcess, *messages: str,
                  traceback: bool = False) -> str:
    """A non-zero exit, every message in stderr, no Python traceback of the build's own (``traceback``:
    the failing notebook cell's is expected), outputs byte-identical, no temporary file left."""
    assert r.returncode != 0, f"expected a failure\nstdout:\n{r.stdout[-3000:]}\nstderr:\n{r.stderr[-3000:]}"
    for m in messages:
        assert m in r.stderr, f"{m!r} not in stderr:\n{r.stderr[-3000:]}"
    assert traceback or "Traceback" not in r.stderr, r.stderr[-3000:]
    assert snapshot(root) == before, "outputs changed"
    assert leftovers(root) == []
    return r.stderr


def touch(root: Path, rel: str) -> None:
    os.utime(root / rel)


def rerun(root: Path, rel: str) -> None:
    """Make a step run for real: touch its input and forget the content records of the last runs
    (``reports/.build/digests``), without which a step whose inputs kept their bytes only touches
    its outputs (spf_analysis.config.digest)."""
    touch(root, rel)
    shutil.rmtree(root / "reports/.build/digests", ignore_errors=True)


def plan(root: Path, *args: str) -> list[str]:
    """The steps ``make -n`` lists: notebook names, ``report``, ``data``, ``survey``, ``model``."""
    out = make(root, "-n", *args).stdout
    steps = []
    for line in out.splitlines():
        if "-m spf_analysis.build" in line:
            steps.append(line.split()[-1])
        for mod, step in (("report.assemble", "report"), ("digest check data", "data"),
                          ("household.source build", "survey"), ("digest check model", "model")):
            if mod in line:
                steps.append(step)
    return steps


# ------------------------------------------------------------------------ report step
def test_bad_key_in_report_meta_keeps_the_published_report(tree):
    before = snapshot(tree)
    f = tree / "params/report.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("subtitle:", "subtitel:", 1), encoding="utf-8")
    r = make(tree, "report")
    fails_cleanly(tree, before, r, "error: report: params/report.yaml: missing key(s) ['subtitle'], "
                                   "unknown key(s) ['subtitel']")


@pytest.mark.parametrize("fault, message", [
    ("spf_analysis.report.fonts:isolate:sigint-after", "error: report: interrupted (Ctrl-C)"),
    ("spf_analysis.report.fonts:isolate:sigterm-after", "error: report: stopped by SIGTERM"),
    ("spf_analysis.config.fsutil:_temp_beside:enospc@2",
     "error: report: cannot read or write reports/rapid_assessment_tables.xlsx: No space left on device"),
    ("spf_analysis.config.fsutil:replace_all:interrupt", "error: report: interrupted (Ctrl-C)"),
])
def test_report_step_stopped_midway_keeps_every_output(tree, fault, message):
    before = snapshot(tree)
    touch(tree, "spf_analysis/report/assets/report.css")  # the report step only
    r = make(tree, "report", env=env_for(tree, SPF_FAULT=fault, SPF_FAULT_IN="spf_analysis.report.assemble"))
    fails_cleanly(tree, before, r, message, "left as they were")


# ----------------------------------------------------------------------- notebook step
@pytest.mark.parametrize("fault, message", [
    ("spf_analysis.config.fsutil:replace_all:interrupt", "error: notebook 02_mapping_schemes: interrupted"),
    ("papermill.iorw:LocalHandler.write:enospc@3",
     "error: notebook 02_mapping_schemes: cannot read or write reports/.build/02_mapping_schemes-"),
])
def test_notebook_stopped_while_publishing_keeps_its_outputs(tree, fault, message):
    before = snapshot(tree)
    rerun(tree, "params/02_mapping_schemes.yaml")
    r = make(tree, "notebooks", env=env_for(tree, SPF_FAULT=fault, SPF_FAULT_IN="spf_analysis.build"))
    fails_cleanly(tree, before, r, message)


def test_a_failing_cell_keeps_the_outputs_and_shows_the_partial_notebook(tree):
    before = snapshot(tree)
    nb = tree / "notebooks/02_mapping_schemes.ipynb"
    doc = json.loads(nb.read_text(encoding="utf-8"))
    last = [c for c in doc["cells"] if c["cell_type"] == "code"][-1]
    last["source"] = ['raise RuntimeError("injected")\n'] + list(last["source"])
    nb.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    r = make(tree, "notebooks")
    fails_cleanly(tree, before, r, "error: notebook 02_mapping_schemes: notebooks/02_mapping_schemes.ipynb failed",
                  "reports/failed/02_mapping_schemes.ipynb", "injected", traceback=True)
    assert (tree / "reports/failed/02_mapping_schemes.ipynb").exists()


# -------------------------------------------------------------- data and model steps
@pytest.mark.parametrize("target, changed, fault, process, message", [
    # (a raw file counts by its content, data/processed/.raw.sha256: touching one starts nothing)
    ("data", "spf_analysis/data/io.py", "pandas.core.frame:DataFrame.to_parquet:enospc@3",
     "spf_analysis.data.io", "error: data (make data): cannot read or write data/processed/"),
    ("data", "spf_analysis/data/io.py", "pandas:read_csv:sigterm-after@2",
     "spf_analysis.data.io", "error: data (make data): stopped by SIGTERM"),
    ("model", "params/run.yaml", "pandas.core.frame:DataFrame.to_parquet:enospc@4",
     "spf_analysis.model.pipeline", "error: model run (make model): cannot read or write data/interim/"),
    ("survey", "params/survey_synthetic.yaml", "pandas.core.frame:DataFrame.to_parquet:enospc@2",
     "spf_analysis.household.source", "error: survey (synthetic): cannot read or write "
                                      "data/processed/survey_persons.parquet: No space left on device; free some space"),
], ids=["data-full-disk", "data-sigterm", "model-full-disk", "survey-full-disk"])
def test_data_model_and_survey_steps_stopped_midway(tree, target, changed, fault, process, message):
    before = snapshot(tree)
    rerun(tree, changed)
    r = make(tree, target, env=env_for(tree, SPF_FAULT=fault, SPF_FAULT_IN=process))
    fails_cleanly(tree, before, r, message, "left as they were")


# ------------------------------------------------------------- settings and the shell
def test_hostile_survey_setting_never_reaches_a_shell(tree, tmp_path):
    before = snapshot(tree)
    marker = tmp_path / "pwned"
    (tree / "params/survey.yaml").write_text(
        f"survey: \"synthetic'; touch {marker}; echo '\"\nsurvey_dir: \"$(touch {marker})\"\n", encoding="utf-8")
    r = make(tree, "report")
    fails_cleanly(tree, before, r, "error: survey: params/survey.yaml: survey=", "is not a known survey")
    assert not marker.exists()


def test_path_traversal_and_missing_folder_refused(tree):
    before = snapshot(tree)
    r = make(tree, "report", "SURVEY=../../etc/passwd")
    fails_cleanly(tree, before, r, "error: survey: SURVEY='../../etc/passwd' is not a known survey")
    r = make(tree, "report", "SURVEY=pbs-hies-2018-19", "SURVEY_DIR=/nonexistent/it's here")
    fails_cleanly(tree, before, r, "SURVEY_DIR=\"/nonexistent/it's here\" is not an existing folder")


def test_a_folder_with_an_apostrophe_reaches_the_reader(tree, tmp_path):
    """A legitimate SURVEY_DIR with an apostrophe is passed intact; the PBS reader then stops at
    the first thing it needs (here the codebook's unconfirmed names or the missing files)."""
    before = snapshot(tree)
    folder = tmp_path / "o'brien's data"
    folder.mkdir()
    r = make(tree, "survey", "SURVEY=pbs-hies-2018-19", f"SURVEY_DIR={folder}")
    fails_cleanly(tree, before, r, "error: survey (pbs-hies-2018-19): ")


def test_hostile_override_never_reaches_a_shell(tree, tmp_path):
    before = snapshot(tree)
    marker = tmp_path / "pwned"
    r = make(tree, "notebooks", f"ARGS_06_fiscal_space=x=1'; touch {marker}; echo '")
    fails_cleanly(tree, before, r, "error: notebook 06_fiscal_space:")
    assert not marker.exists()


def test_overrides_are_tracked_and_do_not_stick(tree):
    def nb_plan(*args):
        return plan(tree, "notebooks", *args)

    assert nb_plan() == []
    # the annex reads the values a notebook given an override ran with from its executed copy: after it
    assert nb_plan("ARGS_06_fiscal_space=packages=[kp_medium]") == ["06_fiscal_space", "S_executive_summary",
                                                                     "A_assumptions"]
    assert nb_plan("ARGS_06_fiscal_space=packages=[kp_medium]") == ["06_fiscal_space", "S_executive_summary",
                                                                     "A_assumptions"]  # not built yet (-n)
    assert plan(tree, "reports/notebooks/A_assumptions.ipynb", "ARGS_06_fiscal_space=packages=[kp_medium]") == [
        "06_fiscal_space", "A_assumptions"]
    # dropping the override re-runs the chapter (it must not keep the override's values)
    assert "06_fiscal_space" in nb_plan()


# ------------------------------------------------------------------ incremental builds
def set_value(root: Path, rel: str, key: str, old, new) -> None:
    f = root / rel
    text = f.read_text(encoding="utf-8")
    assert f"{key}:\n  value: {old}\n" in text
    f.write_text(text.replace(f"{key}:\n  value: {old}\n", f"{key}:\n  value: {new}\n", 1), encoding="utf-8")


def test_inputs_touched_or_rewritten_with_the_same_bytes_rebuild_nothing(tree):
    before = snapshot(tree)
    # the raw files that only the data step reads count by their content: touching them starts nothing
    data_only = ["data/raw/schemes/schemes.csv", "data/raw/macro/pakistan_kp_macro_fiscal.csv",
                 "data/raw/poverty/poverty_indicators.csv"]
    for rel in data_only:
        touch(tree, rel)
    assert make(tree, "-q", "notebooks").returncode == 0, make(tree, "-n", "notebooks").stdout[-2000:]
    # every raw file, a parameter file and a module touched or saved unchanged: make starts the steps
    # that depend on them by date, and each finds its inputs with the bytes of its last run
    for p in (tree / "data/raw").rglob("*"):
        if p.is_file():
            os.utime(p)
    f = tree / "params/01_demographic_profile.yaml"
    f.write_bytes(f.read_bytes())
    touch(tree, "spf_analysis/data/manifest.py")
    r = make(tree, "notebooks")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "data: inputs unchanged since its last run (sha256), outputs kept" in r.stdout
    assert "model: inputs unchanged since its last run (sha256), outputs kept" in r.stdout
    ran = re.findall(r"\] (\S+) \.\.\. \d+\.\d s(.*)", r.stdout)
    assert {"01_demographic_profile", "A_assumptions", "S_executive_summary"} <= {nb for nb, _ in ran}
    assert all(rest == " (inputs unchanged, outputs kept)" for _, rest in ran), ran
    assert snapshot(tree) == before
    assert make(tree, "-q", "notebooks").returncode == 0


def test_one_value_in_chapter_01_reruns_the_chapter_and_the_annex_beside_it(tree):
    """top_districts 10 -> 9 changes one table of chapter 01 (and its title in the chapter index),
    none that the executive summary quotes: the summary is checked and kept, the annex (which
    lists the value) runs without waiting for chapter 01, nothing upstream runs."""
    before = snapshot(tree)
    set_value(tree, "params/01_demographic_profile.yaml", "top_districts", 10, 9)
    assert sorted(plan(tree, "report")) == sorted(["01_demographic_profile", "S_executive_summary", "A_assumptions",
                                                   "report"])
    assert plan(tree, "reports/notebooks/A_assumptions.ipynb") == ["A_assumptions"]  # not after chapter 01
    r = make(tree, "notebooks")
    assert r.returncode == 0, r.stderr[-3000:]
    assert re.search(r"\] S_executive_summary \.\.\. \d+\.\d s \(inputs unchanged, outputs kept\)", r.stdout), r.stdout
    after = snapshot(tree)
    changed = sorted(k for k in after if after[k] != before.get(k))
    assert "reports/tables/01_household_size_2017.csv" in changed and "reports/tables/A_notebook_parameters.csv" in changed
    assert not [k for k in changed if k.startswith(("reports/tables/S_", "data/", "reports/notebooks/S_"))], changed
    assert make(tree, "-q", "notebooks").returncode == 0
    # a value the summary quotes is not kept: the published table changes, the summary runs
    (tree / "reports/tables/01_population_summary.csv").write_text("changed\n", encoding="utf-8")
    touch(tree, "reports/notebooks/01_demographic_profile.ipynb")
    assert "(inputs unchanged" not in make(tree, "reports/notebooks/S_executive_summary.ipynb").stdout


def test_invalid_override_is_refused_before_running(tree):
    before = snapshot(tree)
    r = make(tree, "notebooks", "ARGS_06_fiscal_space=packages=[no_such_scenario]")
    fails_cleanly(tree, before, r, "error: notebook 06_fiscal_space: command-line override ARGS_06_fiscal_space: "
                                   "packages: 'no_such_scenario' is not among scenarios")


# ----------------------------------------------------------------------------- clean
def test_make_clean_removes_every_output_and_no_input(tree):
    raw = {p: p.read_bytes() for p in (tree / "data/raw").rglob("*") if p.is_file()}
    r = make(tree, "clean")
    assert r.returncode == 0, r.stderr
    left = [str(p.relative_to(tree)) for p in (tree / "reports").rglob("*") if p.is_file() and p.name != ".gitkeep"]
    assert left == []
    assert sorted((tree / "data/processed").glob("*.parquet")) == []
    assert not (tree / "data/interim").exists()
    assert {p: p.read_bytes() for p in (tree / "data/raw").rglob("*") if p.is_file()} == raw
