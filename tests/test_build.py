"""The notebook runner replaces outputs only on success."""

import json

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
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


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
