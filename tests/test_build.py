"""The notebook runner replaces outputs only on success."""

import json
import re

import nbformat
import pytest

from spf_analysis import build
from spf_analysis.config import paths
from spf_analysis.config import params as P


def _notebook(path, body):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "spf-kp", "display_name": "spf-kp", "language": "python"}
    p = nbformat.v4.new_code_cell("fail = False")
    p.metadata["tags"] = ["parameters"]
    nb.cells = [p, nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, path)


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    nbs, prm, reports = tmp_path / "notebooks", tmp_path / "params", tmp_path / "reports"
    for d in (nbs, prm, reports / "figures", reports / "notebooks"):
        d.mkdir(parents=True)
    monkeypatch.setattr(P, "notebook_file", lambda n: nbs / f"{n}.ipynb")
    monkeypatch.setattr(P, "params_file", lambda n: prm / f"{n}.yaml")
    monkeypatch.setattr(paths, "REPORTS", reports)
    monkeypatch.setattr(paths, "REPORT_NOTEBOOKS", reports / "notebooks")
    monkeypatch.setattr(build, "STAGING", reports / ".build")
    monkeypatch.delenv("SPF_OUTPUT_DIR", raising=False)
    body = ("from spf_analysis.config import paths\n"
            "paths.figures_dir().mkdir(parents=True, exist_ok=True)\n"
            "(paths.figures_dir() / '09_new.png').write_bytes(b'new')\n"
            "assert not fail, 'asked to fail'\n")
    _notebook(nbs / "09_test.ipynb", body)
    (prm / "09_test.yaml").write_text("fail:\n  value: false\n  type: bool\n  unit: flag\n  rationale: test\n")
    (reports / "figures" / "09_old.png").write_bytes(b"old")
    return reports


def snapshot(root):
    """Every output (reports/.build is scratch, reports/failed the partial copy of a failed run)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and not str(p.relative_to(root)).startswith((".build", "failed"))}


def test_failure_leaves_reports_unchanged(sandbox):
    before = snapshot(sandbox)
    with pytest.raises(Exception, match="asked to fail"):
        build.run("09_test", {"fail": True})
    assert snapshot(sandbox) == before


def test_success_replaces_the_notebooks_outputs(sandbox):
    out = build.run("09_test")
    assert out == sandbox / "notebooks" / "09_test.ipynb"
    assert sorted(p.name for p in (sandbox / "figures").iterdir()) == ["09_new.png"]
    nb = json.loads(out.read_text())
    assert any("injected-parameters" in c["metadata"].get("tags", []) for c in nb["cells"])
    assert not list((sandbox / ".build").iterdir())


def test_unknown_override_stops_before_running(sandbox):
    before = snapshot(sandbox)
    with pytest.raises(P.ParameterError, match="unknown parameter 'fial'"):
        build.run("09_test", {"fial": True})
    assert snapshot(sandbox) == before


def test_out_of_range_override_stops_before_running(sandbox):
    (sandbox.parent / "params" / "09_test.yaml").write_text(
        "fail:\n  value: false\n  type: bool\n  unit: flag\n  rationale: test\n"
        "n:\n  value: 5\n  type: int\n  unit: rows\n  range: {min: 1, max: 10}\n  rationale: test\n")
    nbs = sandbox.parent / "notebooks"
    nb = nbformat.read(nbs / "09_test.ipynb", as_version=4)
    nb.cells[0].source = "fail = False\nn = 5"
    nbformat.write(nb, nbs / "09_test.ipynb")
    before = snapshot(sandbox)
    with pytest.raises(P.ParameterError, match=r"command-line override ARGS_09_test: n: 50 is above the maximum 10"):
        build.run("09_test", {"n": 50})
    assert snapshot(sandbox) == before


def test_parse_overrides():
    assert build.parse_overrides(["a=5", "b=x y", "c=[1, 2]"]) == {"a": 5, "b": "x y", "c": [1, 2]}
    with pytest.raises(P.ParameterError):
        build.parse_overrides(["novalue"])


def test_stale_staging_of_a_dead_run_is_removed_but_not_a_live_one(sandbox):
    import os

    staging = sandbox / ".build"
    staging.mkdir()
    dead = staging / "09_test-999999999"
    live = staging / f"09_test-{os.getppid()}"
    dead.mkdir()
    live.mkdir()
    build.run("09_test")
    assert not dead.exists() and live.exists()


def test_two_runs_give_identical_executed_notebooks_without_clock_path_or_pid(sandbox):
    first = build.run("09_test")
    a = first.read_bytes()
    b = build.run("09_test").read_bytes()
    assert a == b
    text = a.decode()
    for volatile in ("start_time", "end_time", "duration", "iopub.", str(paths.ROOT), str(sandbox), "09_test-"):
        assert volatile not in text, volatile
    meta = json.loads(text)["metadata"]["papermill"]
    assert (meta["input_path"], meta["output_path"]) == ("notebooks/09_test.ipynb", "reports/notebooks/09_test.ipynb")


def test_scrub_fixes_the_injected_cell_id_and_relative_paths_in_streams():
    nb = {"metadata": {"papermill": {"start_time": "2026-01-01T00:00:00", "duration": 1.0, "parameters": {"a": 1}}},
          "cells": [{"id": "a1b2c3d4", "metadata": {"tags": ["injected-parameters"], "execution": {"x": 1},
                                                  "papermill": {"duration": 0.1, "status": "completed"}},
                     "outputs": [{"output_type": "stream", "text": [f"{paths.ROOT}/spf_analysis/x.py:1: Warning\n"]}]}]}
    out = build.scrub(nb, "09_test")
    cell = out["cells"][0]
    assert cell["id"] == "injected-parameters" and "execution" not in cell["metadata"]
    assert cell["metadata"]["papermill"] == {"status": "completed"}
    assert cell["outputs"][0]["text"] == "spf_analysis/x.py:1: Warning\n"
    assert out["metadata"]["papermill"]["parameters"] == {"a": 1} and "start_time" not in out["metadata"]["papermill"]


def test_a_run_whose_kernel_dies_keeps_its_partial_copy_aside(sandbox):
    """The executed copy is written once, when the run ends (build._engine), also when it ends with the
    kernel dead: the cells run before are kept."""
    nbs = sandbox.parent / "notebooks"
    nb = nbformat.read(nbs / "09_test.ipynb", as_version=4)
    nb.cells[1:] = [nbformat.v4.new_code_cell("print('ran before')"),
                    nbformat.v4.new_code_cell("import os\nif fail:\n    os._exit(1)")]
    nbformat.write(nb, nbs / "09_test.ipynb")
    with pytest.raises(build.NotebookFailed, match="partly executed copy is .*09_test.ipynb"):
        build.run("09_test", {"fail": True})
    kept = json.loads((sandbox / "failed/09_test.ipynb").read_text())
    assert any("ran before" in "".join(o.get("text", "")) for c in kept["cells"] for o in c.get("outputs", []))


def test_the_executed_copy_is_written_at_the_end_not_at_every_cell(sandbox, monkeypatch):
    import papermill.engines
    import papermill.execute

    writes = []
    for mod in (papermill.engines, papermill.execute):
        monkeypatch.setattr(mod, "write_ipynb", lambda nb, path, _w=mod.write_ipynb: (writes.append(path), _w(nb, path)))
    nbs = sandbox.parent / "notebooks"
    nb = nbformat.read(nbs / "09_test.ipynb", as_version=4)
    nb.cells += [nbformat.v4.new_code_cell(f"x{i} = {i}") for i in range(10)]
    nbformat.write(nb, nbs / "09_test.ipynb")
    build.run("09_test")
    assert len(writes) == 3  # papermill's first and last save, then execute_notebook's own write


def test_a_failed_run_keeps_its_partial_copy_aside(sandbox):
    before = snapshot(sandbox)
    with pytest.raises(build.NotebookFailed, match="partly executed copy is .*09_test.ipynb"):
        build.run("09_test", {"fail": True})
    assert snapshot(sandbox) == before
    kept = json.loads((sandbox / "failed/09_test.ipynb").read_text())
    assert any(o.get("output_type") == "error" for c in kept["cells"] for o in c.get("outputs", []))
    build.run("09_test")  # a later success removes the copy, which no longer applies
    assert not (sandbox / "failed/09_test.ipynb").exists()


def test_overrides_come_from_the_environment_and_are_checked(sandbox, monkeypatch, capsys):
    monkeypatch.setenv("ARGS_09_test", "fail=maybe")
    assert build.main(["09_test"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: notebook 09_test: command-line override ARGS_09_test: fail"), err
    monkeypatch.setenv("ARGS_09_test", "fail=true 'unclosed")
    assert build.main(["09_test"]) == 1
    assert "No closing quotation" in capsys.readouterr().err
    monkeypatch.setenv("ARGS_09_test", "fail=true")
    assert build.main(["09_test"]) == 1
    assert "09_test.ipynb failed" in capsys.readouterr().err


def test_each_run_prints_its_place_in_the_makefile_list_and_its_time(sandbox, monkeypatch, capsys):
    assert build.progress("09_test", 12.44) == "09_test ... 12.4 s"  # not in a list: the bare name
    monkeypatch.setenv("SPF_NOTEBOOKS", "00_a 09_test 10_b")  # as the Makefile exports $(NOTEBOOKS)
    assert build.progress("09_test", 12.44) == "[2/3] 09_test ... 12.4 s"
    assert build.progress("09_test", 3.06, ok=False) == "[2/3] 09_test ... 3.1 s (failed)"
    assert build.main(["09_test"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and re.fullmatch(r"\[2/3\] 09_test \.\.\. \d+\.\d s", out[0]), out


def test_a_failure_names_the_source_cell_and_line(sandbox, monkeypatch, capsys):
    # the sandbox notebook: cell 0 parameters, cell 1 whose 4th line is the assert; papermill counts
    # the injected-parameters cell too (index 2), the message counts cells of notebooks/09_test.ipynb
    with pytest.raises(build.NotebookFailed) as e:
        build.run("09_test", {"fail": True})
    first = str(e.value).splitlines()[:3]
    assert first[0].startswith("notebooks/09_test.ipynb failed (PapermillExecutionError); the partly executed copy is ")
    assert first[1:] == ["at cell 1 (from 0), line 4: assert not fail, 'asked to fail'",
                         "AssertionError: asked to fail"], first
    monkeypatch.setenv("SPF_NOTEBOOKS", "09_test")
    monkeypatch.setenv("ARGS_09_test", "fail=true")
    assert build.main(["09_test"]) == 1
    out, err = capsys.readouterr()
    assert "at cell 1 (from 0), line 4" in err and re.fullmatch(r"\[1/1\] 09_test \.\.\. \d+\.\d s \(failed\)\n", out)


def test_the_kernel_log_stays_quiet_on_a_successful_run(sandbox, capfd):
    build.run("09_test")
    err = capfd.readouterr().err
    assert "without encryption" not in err and "KeyboardInterrupt" not in err, err
