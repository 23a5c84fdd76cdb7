"""The model run: the projection -> macro frame -> costs chain runs once per build, in one place."""

from __future__ import annotations

import ast
import json
import re

import pytest

from spf_analysis.config import deps, paths, run
from spf_analysis.model import pipeline

#: the functions of the chain; only spf_analysis.model.pipeline calls them (the Monte Carlo's demographic
#: grid re-projects on purpose, with varied fertility and mortality: montecarlo.DemoGrid; the scenario explorer
#: nets out the existing schemes from the costs of a scenario the model run does not hold, on the run's projection,
#: macro frame and existing spending: spf_analysis.explore.engine, which projects nothing)
CHAIN = {"project_kp", "calibrate_kp", "cost_named_scenarios", "macro_frame", "rap_costs", "net_costs", "existing_by_year"}
ALLOWED = {"spf_analysis/model/pipeline.py", "spf_analysis/model/montecarlo.py", "spf_analysis/explore/engine.py"}


def _calls(tree) -> set[str]:
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Call):
            f = n.func
            out.add(f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", ""))
    return out


def test_only_the_model_run_computes_the_chain():
    found = []
    for f in sorted((paths.ROOT / "spf_analysis").rglob("*.py")):
        rel = str(f.relative_to(paths.ROOT))
        if rel not in ALLOWED and _calls(ast.parse(f.read_text())) & CHAIN:
            found.append((rel, sorted(_calls(ast.parse(f.read_text())) & CHAIN)))
    for nb in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        code = "\n".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code")
        hit = _calls(ast.parse(code)) & CHAIN
        if hit:
            found.append((nb.name, sorted(hit)))
    assert not found, f"the chain is computed outside spf_analysis.model.pipeline: {found}"


def test_chapters_read_the_model_run_and_make_runs_it_once():
    mk = (paths.ROOT / "Makefile").read_text()
    assert len(re.findall(r"(?:-m|\$\(STEP\)) spf_analysis\.model\.pipeline\b", mk)) == 1  # (a step: python -m, forked)
    for nb in ("04_costing_options", "05_distributional_impact", "06_fiscal_space"):
        assert "spf_analysis.model.pipeline" in deps.notebook_imports(paths.NOTEBOOKS / f"{nb}.ipynb")


def test_missing_or_stale_run_is_an_error(tmp_path):
    with pytest.raises(pipeline.ModelRunMissing, match="run `make model`"):
        pipeline.load(tmp_path)


@pytest.fixture(scope="module")
def model():
    return pipeline.compute()


def test_write_then_load_gives_the_same_run(model, tmp_path):
    pipeline.write(model, tmp_path)
    back = pipeline.load(tmp_path)
    assert back.settings == run.settings()
    assert back.costs.equals(model.costs)
    assert back.net_costs.equals(model.net_costs) and back.existing.equals(model.existing)
    assert back.macro_frame.equals(model.macro_frame)
    assert (back.births == model.births).all()
    assert list(back.results()) == list(run.settings().scenarios)
    # a run made with other settings is refused, not silently used
    saved = json.loads((tmp_path / pipeline.FILES["settings"]).read_text())
    saved["reference_year"] = saved["reference_year"] + 1
    (tmp_path / pipeline.FILES["settings"]).write_text(json.dumps(saved))
    with pytest.raises(pipeline.ModelRunMissing, match="other settings"):
        pipeline.load(tmp_path)


def test_the_run_covers_the_horizon_and_every_scenario(model):
    s = run.settings()
    assert sorted(model.costs["scenario"].unique()) == sorted(s.scenarios)
    assert model.costs["year"].min() == s.horizon_start and model.costs["year"].max() == s.horizon_end
    # the central calibration reproduces the 2023 census total (the calibration target)
    c = model.calibration_of("central")
    assert c["projected_total"] == pytest.approx(c["target_total"], rel=1e-9)


def test_the_central_projection_agrees_with_the_2023_census(model):
    """Issue 12: the calibration the costing uses is params/run.yaml fertility_central, and its births of 2023
    and children 0-4 agree with the census within 5%. Known values: census-implied births 1,357,396 a year
    (6,381,533 children 0-4 / 5 / survival to 0-4); the PDHS 2017-18 ratio gives 1,093,987 births (-19.4%) and,
    from the 2017 census, 5,432,174 children 0-4 in 2023 against 6,381,533 (-14.9%: the ILO reviewer's 5.43 M)."""
    s = run.settings()
    c = model.calibration_of("central")
    assert c["variant"] == s.fertility_central == "census_fitted"
    assert c["births_2023_census_implied"] == pytest.approx(1_357_396, rel=1e-6)
    assert abs(c["births_2023_projected"] / 1_357_396 - 1) <= 0.05 and c["within_census_tolerance"]
    assert c["children_0_4_2023_projected"] == pytest.approx(6_381_533, rel=1e-6)
    assert model.births.loc[2023] == pytest.approx(c["births_2023_projected"], rel=1e-12)
    srv = model.calibration_of("survey")
    assert srv["births_2023_projected"] == pytest.approx(1_093_987, rel=1e-5)
    assert srv["children_0_4_2023_projected"] == pytest.approx(5_432_174, rel=1e-5)
    assert not srv["within_census_tolerance"]
    assert model.calibration["central"].sum() == 1


def test_makefile_lists_every_file_of_the_run():
    """make's MODEL_RUN targets are the files the model run writes (pipeline.FILES): a file it writes but make
    does not list would not re-run the chapters that read it."""
    mk = (paths.ROOT / "Makefile").read_text()
    block = re.search(r"^MODEL_RUN := \$\(addprefix data/interim/,(.*?)\)\n", mk, re.S | re.M).group(1)
    assert sorted(block.replace("\\", " ").split()) == sorted(pipeline.FILES.values())


def _demogrid_calls(tree) -> set[str]:
    return {n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and isinstance(n.func.value, ast.Attribute | ast.Name)
            and getattr(n.func.value, "attr", getattr(n.func.value, "id", None)) == "DemoGrid"
            and n.func.attr in ("build", "project")}


def test_only_the_model_run_projects_the_demographic_grid():
    """Issue 15: the Monte Carlo's grid (6 KP projections with their migration calibrations) is projected once, by
    the model run; chapters 4 and 5 and the explorer read it (ModelRun.demo_grid), none projects it again."""
    found = []
    for f in sorted((paths.ROOT / "spf_analysis").rglob("*.py")):
        rel = str(f.relative_to(paths.ROOT))
        if rel not in {"spf_analysis/model/pipeline.py", "spf_analysis/model/montecarlo.py"} and _demogrid_calls(ast.parse(f.read_text())):
            found.append(rel)
    for nb in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        code = "\n".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code")
        if _demogrid_calls(ast.parse(code)):
            found.append(nb.name)
    assert not found, f"the demographic grid is projected outside the model run: {found}"


def test_the_grid_of_the_run_is_the_grid_projected_directly(model, tmp_path):
    """The grid written and read back gives exactly (bit for bit) the counts of DemoGrid.build on the same
    points: the PDHS 2017-18 ratio and the census fit (TFR scales 1.111 and 1.368) x mortality 0.85, 1, 1.15;
    at mortality 1 a point's migration rate is its calibration's (the run reuses it instead of solving again)."""
    import numpy as np

    from spf_analysis.model import costing, montecarlo

    pipeline.write(model, tmp_path)
    back = pipeline.load(tmp_path)
    fert, mort = montecarlo.study_grid(model.calibration)
    assert fert == pytest.approx([1.1111, 1.3683], abs=1e-4) and mort == [0.85, 1.0, 1.15]
    assert sorted(back.grid_births["end"].unique()) == [run.settings().horizon_end]
    sc = costing.load_named_scenario("package_minimum")
    old, new = montecarlo.DemoGrid.build(sc, fert=fert, mort=mort), back.demo_grid(sc)
    for a, b in [(old.fert, new.fert), (old.mort, new.mort), (old.migration, new.migration), (old.total, new.total)]:
        np.testing.assert_array_equal(a, b)
    assert old.base.keys() == new.base.keys() and old.overlap.keys() == new.overlap.keys()
    for k in old.base:
        np.testing.assert_array_equal(old.base[k], new.base[k])
    for k in old.overlap:
        np.testing.assert_array_equal(old.overlap[k], new.overlap[k])
    cal = model.calibration.set_index("variant")["migration_rate"]
    assert new.migration[1, 1] == cal["census_fitted"] and new.migration[0, 1] == cal["survey"]
    with pytest.raises(KeyError, match="not to 2040"):
        back.grid_projections(2040)
