"""The scenario explorer's engine (spf_analysis.explore.engine): its numbers are the report's, its controls
change what they say, and a saved scenario is a scenario file like a hand-written one.

* every scenario of params/run.yaml: cost path and net costs equal the model run (data/interim) to 1e-9 and the
  published chapter 4 table (reports/tables/04_package_costs.csv, at the CSV's ten significant digits); poverty
  impact and coverage by quintile equal chapter 5's (05_poverty_impact.csv, 05_coverage_quintile.csv); the
  Monte Carlo band of the reference scenario equals chapter 4's fan (04_fan_package_cost.csv);
* controls: known answers computed by hand from the model run's population (ages 0-4 instead of 0-5; a level
  doubled doubles the cost; take-up phased in over two years);
* save: the file passes the scenario validation, reloads to the same costs, and the model run
  (spf_analysis.model.pipeline) costs it when the scenario is added to the run's list; bad names and bad values
  are refused with a message that says why;
* add to the study (engine.add_to_study) on a copy of params/run.yaml: one line changes (the list gains the name at its
  end), the build's loader reads the list with the name last; a name already listed, a name without its file, a
  block-style list and an edit the loader refuses leave the file as it was; the page's checkbox adds to --run-file's
  list and never to params/run.yaml when it serves another scenarios folder.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import yaml

from spf_analysis.config import paths, run
from spf_analysis.model import costing

from spf_analysis.explore import engine

TABLES = paths.REPORTS / "tables"
S = run.settings()


@pytest.fixture(scope="module")
def ex():
    return engine.Explorer()  # chapter 4's number of draws: the band is the report's


@pytest.fixture(scope="module")
def model():
    from spf_analysis.model import pipeline

    return pipeline.load()


@pytest.mark.parametrize("name", list(S.scenarios))
def test_costs_equal_the_model_run(ex, model, name):
    sc = ex.load(name)
    costs = ex.costs(sc)
    mine = model.costs[model.costs["scenario"] == name].drop(columns="scenario").reset_index(drop=True)
    pd.testing.assert_frame_equal(costs.reset_index(drop=True)[mine.columns], mine, rtol=1e-9, atol=0)
    net = ex.net(costs, name)
    theirs = model.net_costs[model.net_costs["scenario"] == name].reset_index(drop=True)
    pd.testing.assert_frame_equal(net.reset_index(drop=True)[theirs.columns], theirs, rtol=1e-9, atol=0)


def test_cost_path_equals_chapter_4(ex):
    pub = pd.read_csv(TABLES / "04_package_costs.csv")
    for name, rows in pub.groupby("scenario"):
        sc = ex.load(name)
        path = ex.cost_path(ex.costs(sc), ex.net(ex.costs(sc), name)).set_index("year").loc[rows["year"]]
        np.testing.assert_allclose(path["cost"] / 1e9, rows["cost_pkr_bn"], rtol=1e-9)
        np.testing.assert_allclose(path["cost_pct_gdp"], rows["cost_pct_gdp"], rtol=1e-9)
        np.testing.assert_allclose(path["cost_pct_national_gdp"], rows["cost_pct_national_gdp"], rtol=1e-8)  # 9 digits in the CSV
        np.testing.assert_allclose(path["cost_pct_budget"], rows["cost_pct_budget"], rtol=1e-9)


def test_poverty_and_coverage_equal_chapter_5(ex):
    imp = pd.read_csv(TABLES / "05_poverty_impact.csv")
    cov = pd.read_csv(TABLES / "05_coverage_quintile.csv")
    assert set(imp["scenario"]) == set(S.scenarios)
    for name in S.scenarios:
        out = ex.survey(ex.load(name), S.reference_year)
        got = out["impact"].set_index("indicator")
        pub = imp[imp["scenario"] == name].set_index("indicator")
        for col in ("estimate", "se", "ci_low", "ci_high"):
            share = ~pub.index.str.startswith("gini")
            want = pub[col].where(~share, pub[col] / 100)
            # the CSV holds ten significant digits
            np.testing.assert_allclose(got.loc[pub.index, col], want, rtol=1e-9, atol=1e-11, err_msg=f"{name} {col}")
        q = out["coverage_quintile"].set_index("quintile")
        pq = cov[cov["scenario"] == name].set_index("quintile")
        np.testing.assert_allclose(100 * q.loc[pq.index, "estimate"], pq["estimate"], rtol=1e-9)
        np.testing.assert_allclose(100 * q.loc[pq.index, "ci_low"], pq["ci_low"], rtol=1e-9)
    if ex.synthetic:
        from spf_analysis.report.exhibits import SYNTHETIC_LABEL

        assert (imp["data"] == SYNTHETIC_LABEL).all()  # the label the app shows beside these numbers


def test_band_equals_chapter_4_fan(ex):
    fan = pd.read_csv(TABLES / "04_fan_package_cost.csv")
    band = ex.band(ex.reference)
    np.testing.assert_allclose(band[fan.columns].to_numpy(), fan.to_numpy(), rtol=1e-9, atol=1e-12)


def test_financing_is_chapter_6s_for_a_package(ex):
    pub = pd.read_csv(TABLES / "06_financing_packages.csv")
    row = pub.iloc[0]
    name = row["package"]
    net = ex.net(ex.costs(ex.load(name)), name)
    prov = float(net.query("benefit == 'package' and year == @S.reference_year")["provincial"].iloc[0])
    fin = ex.financing(prov, S.reference_year).set_index("bound").loc[row["yield_case"]]
    assert fin["cost"] / 1e9 == pytest.approx(row["cost_pkr_bn"], rel=1e-9)
    assert fin["covered_pct"] == pytest.approx(row["covered_pct"], rel=1e-9)


# ------------------------------------------------------------------ controls: known answers


@pytest.mark.parametrize("name", costing.scenario_names())
def test_unchanged_controls_restate_nothing(ex, name):
    sc = ex.load(name)
    sc2, spec = ex.scenario_from_controls(ex.controls(sc), name)
    assert "benefits" not in spec
    pd.testing.assert_frame_equal(ex.costs(sc2), ex.costs(sc))


def test_ages_level_and_phase_in(ex, model):
    ref = ex.reference
    c = ex.controls(ref)
    cb = c["child_benefit"]
    assert (cb.age_min, cb.age_max, cb.level_type, cb.level) == (0, 5, "poverty_line", 25.0)
    base = ex.costs(ref).query("benefit == 'child_benefit'").set_index("year")
    # level 25% -> 50% of the poverty line: the cost doubles (cost is linear in the level)
    sc, spec = ex.scenario_from_controls({**c, "child_benefit": replace(cb, level=50.0)}, ref.name)
    assert spec["benefits"]["child_benefit"]["level"]["value"] == 0.5
    doubled = ex.costs(sc).query("benefit == 'child_benefit'").set_index("year")
    np.testing.assert_allclose(doubled["cost"], 2 * base["cost"], rtol=1e-12)
    # ages 0-4: the eligible are the projected children aged 0 to 4, by hand from the population
    sc, _ = ex.scenario_from_controls({**c, "child_benefit": replace(cb, age_max=4)}, ref.name)
    under5 = ex.costs(sc).query("benefit == 'child_benefit'").set_index("year")
    pop = model.population
    hand = pop[pop["age"] <= 4].groupby("year")["population"].sum().loc[under5.index]
    np.testing.assert_allclose(under5["eligible"], hand, rtol=1e-12)
    # take-up 80%, first paid 2027, phased in over two years: 0 in 2026, 40% in 2027, 80% from 2028
    sc, spec = ex.scenario_from_controls({**c, "child_benefit": replace(cb, takeup=0.8, start_year=2027, phase_years=2)}, ref.name)
    assert spec["benefits"]["child_benefit"]["takeup"]["value"] == {2027: 0.4, 2028: 0.8}
    ph = ex.costs(sc).query("benefit == 'child_benefit'").set_index("year")
    np.testing.assert_allclose(ph.loc[[2026, 2027, 2028, 2030], "beneficiaries"],
                               np.array([0, 0.4, 0.8, 0.8]) * base.loc[[2026, 2027, 2028, 2030], "eligible"], rtol=1e-12)
    # a provision switched off leaves the package
    sc, spec = ex.scenario_from_controls({**c, "sehat_extension": replace(c["sehat_extension"], on=False)}, ref.name)
    assert spec["benefits"]["sehat_extension"]["remove"]["value"] is True
    assert "sehat_extension" not in {b.name for b in sc.benefits}


def test_rupee_level_is_cpi_indexed(ex, model):
    ref = ex.reference
    c = ex.controls(ref)
    sp = replace(c["social_pension"], level_type="indexed", level=3000.0, base_year=2025)
    sc, spec = ex.scenario_from_controls({**c, "social_pension": sp}, ref.name)
    assert spec["benefits"]["social_pension"]["level"] == {"type": "indexed", "value": 36000.0, "base_year": 2025,
                                                          "rationale": engine.RATIONALE}
    lv = ex.costs(sc).query("benefit == 'social_pension'").set_index("year")["benefit_level"]
    cpi = model.macro_frame["cpi"]
    np.testing.assert_allclose(lv, 36000.0 * cpi.loc[lv.index] / cpi.loc[2025], rtol=1e-12)


def test_rupee_level_not_indexed(ex, model):
    """"Rs a month, not indexed": Rs 3,000 a month = Rs 36,000 a year in every year (the indexed variant of the same
    amount rises with the CPI); the file states it as a nominal level, which the scenario validation reads back,
    and the survey simulation (chapter 5's rules) pays Rs 3,000 a month in that year's rupees."""
    from spf_analysis import microsim as ms

    ref = ex.reference
    c = ex.controls(ref)
    sp = replace(c["social_pension"], level_type="nominal", level=3000.0, base_year=None)
    sc, spec = ex.scenario_from_controls({**c, "social_pension": sp}, ref.name)
    assert spec["benefits"]["social_pension"]["level"] == {"type": "nominal", "value": 36000.0,
                                                          "rationale": engine.RATIONALE}
    lv = ex.costs(sc).query("benefit == 'social_pension'").set_index("year")["benefit_level"]
    assert (lv == 36000.0).all() and len(lv) == len(ref.years)
    ix, _ = ex.scenario_from_controls({**c, "social_pension": replace(sp, level_type="indexed", base_year=2025)}, ref.name)
    lx = ex.costs(ix).query("benefit == 'social_pension'").set_index("year")["benefit_level"]
    cpi = model.macro_frame["cpi"]
    np.testing.assert_allclose(lx / lv, cpi.loc[lv.index] / cpi.loc[2025], rtol=1e-12)  # indexed / nominal = CPI ratio
    assert ex.controls(sc)["social_pension"] == replace(sp, base_year=None)  # shown back as it was set
    # the microsimulation: Rs 36,000 a year in year-t rupees is 3,000 a month, deflated to survey prices by D[t]
    year = S.reference_year
    rules = {r.name: r for r in ms.build_rules(sc, year, ex.mframe, ex.frame, line=ex.line, **ex.ms_kw).rules}
    rules_ix = {r.name: r for r in ms.build_rules(ix, year, ex.mframe, ex.frame, line=ex.line, **ex.ms_kw).rules}
    assert rules["social_pension"].level_year == pytest.approx(36000.0, rel=1e-12)
    assert rules["social_pension"].monthly / rules_ix["social_pension"].monthly == pytest.approx(
        cpi.loc[2025] / cpi.loc[year], rel=1e-12)


def test_bad_controls_are_refused(ex):
    ref = ex.reference
    c = ex.controls(ref)
    cb = c["child_benefit"]
    with pytest.raises(engine.ExplorerError, match="take-up 1.5 outside"):
        ex.scenario_from_controls({**c, "child_benefit": replace(cb, takeup=1.5)}, ref.name)
    with pytest.raises(engine.ExplorerError, match="negative benefit level"):
        ex.scenario_from_controls({**c, "child_benefit": replace(cb, level=-1.0)}, ref.name)
    with pytest.raises(engine.ExplorerError, match="universal benefit covers its whole age group"):
        ex.scenario_from_controls({**c, "child_benefit": replace(cb, prevalence=0.5)}, ref.name)
    # the scenario validation of hand-written files: an age beyond the projection
    with pytest.raises(costing.ScenarioError, match="outside the projection ages"):
        ex.scenario_from_controls({**c, "child_benefit": replace(cb, age_min=0, age_max=90)}, ref.name)


# ------------------------------------------------------------------ save


@pytest.fixture
def scen_dir(tmp_path):
    d = tmp_path / "scenarios"
    shutil.copytree(paths.PARAMS / "scenarios", d)
    return d


@pytest.mark.parametrize("bad", ["../evil", "a/b", "Upper", "", "x.yaml", "1st", "a" * 61, "/tmp/x"])
def test_bad_names_are_refused(bad):
    with pytest.raises(engine.ExplorerError, match="scenario name"):
        engine.check_name(bad)


def test_saved_scenario_is_a_scenario_file(ex, scen_dir, monkeypatch):
    c = ex.controls(ex.reference)
    cb = replace(c["child_benefit"], age_max=4, level=15.0, targeting="bisp_household", prevalence=0.3688,
                 takeup=1.0, start_year=2026, phase_years=3)
    controls = {**c, "child_benefit": cb}
    sc, spec = ex.scenario_from_controls(controls, ex.reference.name, name="kp_child_under5_bisp",
                                         label="Child benefit under 5, BISP families")
    ex_tmp = replace_dir(ex, scen_dir)
    f = ex_tmp.save(spec)
    assert f == scen_dir / "kp_child_under5_bisp.yaml"
    with pytest.raises(engine.ExplorerError, match="exists"):
        ex_tmp.save(spec)
    # read back as make model reads a hand-written file: same scenario, same costs
    back = costing.load_named_scenario("kp_child_under5_bisp", scen_dir)
    pd.testing.assert_frame_equal(ex.costs(back), ex.costs(sc))
    text = yaml.safe_load(f.read_text())
    assert text["baseline"] == ex.reference.name and text["label"] == "Child benefit under 5, BISP families"
    # a value the validation refuses is never written
    bad = {**spec, "name": "kp_bad", "benefits": {"child_benefit": {"takeup": {"value": {2026: 1.4}, "rationale": "x"}}}}
    with pytest.raises(costing.ScenarioError, match="take-up"):
        ex_tmp.save(bad)
    assert not (scen_dir / "kp_bad.yaml").exists() and not list(scen_dir.glob(".*.tmp"))
    # the model run costs it once it is in the run's scenarios (a copy of params/scenarios)
    from spf_analysis import microsim as ms
    from spf_analysis.model import pipeline

    monkeypatch.setattr(costing, "scenario_dir", lambda: scen_dir)
    settings = run.load(overrides={"scenarios": [*S.scenarios, "kp_child_under5_bisp"]}, scenarios_dir=scen_dir)
    m = pipeline.compute(settings)
    got = m.costs[m.costs["scenario"] == "kp_child_under5_bisp"].drop(columns="scenario").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, ex.costs(sc).reset_index(drop=True)[got.columns], rtol=1e-12)
    # and chapter 5's rules accept it (by name, as the notebook builds them)
    rs = ms.build_rules("kp_child_under5_bisp", S.reference_year, m.macro_frame, ex.frame, **ex.ms_kw)
    assert rs.rule("child_benefit").target == "bisp_household" and rs.rule("child_benefit").age_max == 4


def replace_dir(ex, d):
    """The same explorer writing to another scenarios folder (shallow copy: the loaded data are shared)."""
    import copy

    other = copy.copy(ex)
    other.dir = d
    return other


# ------------------------------------------------------------------ make explore: the command line


def test_serve_command_line():
    from spf_analysis.explore import serve

    argv = serve.serve_argv(port=5010, python="py")
    assert argv[:4] == ["py", "-m", "panel", "serve"] and argv[4].endswith("spf_analysis/explore/app.py")
    assert argv[argv.index("--address") + 1] == "127.0.0.1" and argv[argv.index("--port") + 1] == "5010"
    assert serve.serve_argv()[serve.serve_argv().index("--port") + 1] == "5006"  # Panel's default when PORT is unset


@pytest.mark.parametrize("port", ["80", "70000", "50; rm -rf /", "abc"])
def test_bad_port_is_refused(port, capsys):
    from spf_analysis.explore import serve

    assert serve.main({"PORT": port}, []) == 2
    assert "error: explore: PORT=" in capsys.readouterr().err


def test_scenarios_dir_option(tmp_path, capsys):
    """--scenarios-dir: an existing folder, carried to the app by one environment variable; default None
    (params/scenarios). A missing folder or an unknown argument is refused before anything is served."""
    from spf_analysis.explore import serve

    assert serve.scenarios_dir({}) is None
    assert serve.scenarios_dir({serve.SCENARIOS_ENV: str(tmp_path)}) == tmp_path
    assert serve.main({"PORT": "5010"}, ["--scenarios-dir", str(tmp_path / "missing")]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert serve.main({"PORT": "5010"}, ["--bogus"]) == 2
    assert "unknown argument" in capsys.readouterr().err


# ------------------------------------------------------------------ the page's state (no browser)


def test_page_shows_the_report_for_every_scenario(ex, model):
    """Loading a scenario in the page restates nothing (the widgets' rounded values keep the file's exact values),
    and the headline cost is the model run's; choosing a targeting rule starts from its derived share."""
    if os.environ.get("SPF_REQUIRE_EXPLORE") != "1":
        pytest.importorskip("panel")
    from spf_analysis.explore import app as page

    monkey = pytest.MonkeyPatch()
    monkey.setitem(page.pn.state.cache, "explorer", ex)
    try:
        app = page.App()
        for name in S.scenarios:
            app.start.value = name
            assert app.spec.get("benefits") is None, (name, app.spec)
            cost = model.costs.query("scenario == @name and benefit == 'package' and year == @S.reference_year")["cost"].iloc[0]
            assert f'<span class="cost">Rs {cost / 1e9:,.1f} billion</span>' in app.headline.object
        app.start.value = S.reference_scenario
        app.widgets["child_benefit"]["targeting"].value = "bisp_household"
        assert app.spec["benefits"]["child_benefit"]["prevalence"]["value"] == pytest.approx(0.3688, abs=1e-4)  # scenario kp_medium_child_bisp's
        assert set(app.spec["benefits"]) == {"child_benefit"}
    finally:
        monkey.undo()


# ------------------------------------------------------------------ add a saved scenario to the study (run.yaml)


@pytest.fixture
def study(tmp_path, scen_dir):
    """A copy of params/run.yaml beside a copy of params/scenarios holding one more scenario file, kp_added."""
    f = tmp_path / "run.yaml"
    shutil.copyfile(run.RUN_FILE, f)
    spec = engine.scenario_file("kp_added", "Added in a test", S.reference_scenario, {})
    (scen_dir / "kp_added.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return f, scen_dir


def _left_over(f):
    return [p.name for p in f.parent.iterdir() if p.name.startswith(f".{f.name}.")]


def test_add_to_study_edits_one_line(study):
    f, scen_dir = study
    real = run.RUN_FILE.read_bytes()
    old = f.read_text(encoding="utf-8").splitlines(keepends=True)
    assert engine.add_to_study("kp_added", run_file=f, scenarios_dir=scen_dir) == f
    new = f.read_text(encoding="utf-8").splitlines(keepends=True)
    changed = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
    assert len(new) == len(old) and len(changed) == 1
    i = changed[0]
    # the line that closes the list (params/run.yaml: "... kp_medium_roadmap]") gains ", kp_added" before the "]"
    assert old[i].rstrip().endswith("]") and new[i] == old[i].replace("]", ", kp_added]")
    assert [ln for ln in new if ln.lstrip().startswith("#")] == [ln for ln in old if ln.lstrip().startswith("#")]
    got = run.load(f, scenarios_dir=scen_dir)  # as the build reads it
    assert got.scenarios == (*S.scenarios, "kp_added") and got.scenarios[-1] == "kp_added"
    assert {k: v for k, v in got.as_dict().items() if k != "scenarios"} == \
        {k: v for k, v in S.as_dict().items() if k != "scenarios"}
    assert _left_over(f) == [] and run.RUN_FILE.read_bytes() == real  # the real params/run.yaml untouched


@pytest.mark.parametrize("value, line", [
    # the last item followed by a comment, "]" on the next line: the item's line changes, the comment stays
    ("  value: [kp_medium, kp_low,  # the levels [low, medium]\n          kp_high  # high\n          ]\n",
     "          kp_high, kp_added  # high\n"),
    # a trailing comma
    ("  value: [kp_medium, kp_low, kp_high,]\n", "  value: [kp_medium, kp_low, kp_high, kp_added]\n")])
def test_add_to_study_other_layouts(study, value, line):
    f, scen_dir = study
    text = f.read_text(encoding="utf-8")
    start = text.index("  value: [kp_medium, kp_low")
    end = text.index("]\n", start) + 2
    f.write_text(text[:start] + value + text[end:], encoding="utf-8")
    old = f.read_text(encoding="utf-8").splitlines(keepends=True)
    engine.add_to_study("kp_added", run_file=f, scenarios_dir=scen_dir)
    new = f.read_text(encoding="utf-8").splitlines(keepends=True)
    assert [b for a, b in zip(old, new) if a != b] == [line] and len(new) == len(old)
    assert run.load(f, scenarios_dir=scen_dir).scenarios == ("kp_medium", "kp_low", "kp_high", "kp_added")


def test_add_to_study_refusals_write_nothing(study, monkeypatch):
    from spf_analysis.config.parameters import ParameterError

    f, scen_dir = study
    before = f.read_bytes()
    with pytest.raises(engine.ExplorerError, match=f"{f}: 'kp_low' is already one of the study's scenarios"):
        engine.add_to_study("kp_low", run_file=f, scenarios_dir=scen_dir)
    with pytest.raises(engine.ExplorerError, match=f"{f}: no scenario file .*kp_nofile.yaml"):
        engine.add_to_study("kp_nofile", run_file=f, scenarios_dir=scen_dir)
    with pytest.raises(engine.ExplorerError, match="scenario name"):
        engine.add_to_study("../evil", run_file=f, scenarios_dir=scen_dir)
    # the edited text refused by the build's loader: the file stays as it was, no temporary file is left
    load = run.load

    def refuse_edited(file, *a, **k):
        if str(file).endswith(".tmp"):
            raise ParameterError("refused by the test", file=str(file))
        return load(file, *a, **k)

    monkeypatch.setattr(run, "load", refuse_edited)
    with pytest.raises(engine.ExplorerError, match=f"{f}: not changed, adding 'kp_added' would make it invalid"):
        engine.add_to_study("kp_added", run_file=f, scenarios_dir=scen_dir)
    monkeypatch.undo()
    # a valid list in block style is not edited
    text = before.decode("utf-8")
    start = text.index("  value: [kp_medium, kp_low")
    end = text.index("]\n", start) + 2
    f.write_text(text[:start] + "  value:\n" + "".join(f"    - {n}\n" for n in S.scenarios) + text[end:], encoding="utf-8")
    blocky = f.read_bytes()
    assert run.load(f, scenarios_dir=scen_dir).scenarios == S.scenarios
    with pytest.raises(engine.ExplorerError, match="no flow list 'value: \\[...\\]' under 'scenarios:'"):
        engine.add_to_study("kp_added", run_file=f, scenarios_dir=scen_dir)
    assert f.read_bytes() == blocky
    f.write_bytes(before)
    assert _left_over(f) == [] and f.read_bytes() == before


def test_run_file_option(tmp_path, capsys):
    from spf_analysis.explore import serve

    assert serve.run_file({}) is None
    assert serve.run_file({serve.RUN_FILE_ENV: str(tmp_path / "run.yaml")}) == tmp_path / "run.yaml"
    assert serve.main({"PORT": "5010"}, ["--run-file", str(tmp_path / "missing.yaml")]) == 2
    assert "not a file" in capsys.readouterr().err


def test_page_adds_a_saved_scenario_to_the_study(ex, study, monkeypatch):
    """The page's checkbox: saved and added to --run-file's list; an app serving another scenarios folder without
    --run-file refuses to touch params/run.yaml (here a decoy: the default path points at a copy)."""
    if os.environ.get("SPF_REQUIRE_EXPLORE") != "1":
        pytest.importorskip("panel")
    from spf_analysis.explore import app as page
    from spf_analysis.explore import serve

    f, scen_dir = study
    decoy = f.with_name("decoy_run.yaml")
    shutil.copyfile(run.RUN_FILE, decoy)
    monkeypatch.setattr(paths, "RUN_FILE", decoy)
    monkeypatch.setitem(page.pn.state.cache, "explorer", replace_dir(ex, scen_dir))
    monkeypatch.delenv(serve.RUN_FILE_ENV, raising=False)
    app = page.App()
    app.add_study.value = True
    app.name.value, app.title.value = "kp_page_one", "Saved from the page"
    app._save(None)
    assert (scen_dir / "kp_page_one.yaml").exists() and "not added to the study" in app.save_msg.object
    assert decoy.read_bytes() == run.RUN_FILE.read_bytes()
    monkeypatch.setenv(serve.RUN_FILE_ENV, str(f))
    app.name.value = "kp_page_two"
    app._save(None)
    assert "added `kp_page_two` to `scenarios`" in app.save_msg.object and "`make report` rebuilds" in app.save_msg.object
    assert run.load(f, scenarios_dir=scen_dir).scenarios == (*S.scenarios, "kp_page_two")


def test_a_saved_scenario_is_described_in_words(ex):
    """The default description names the base by its label: the report shows it (chapter 4's table of the
    options), and a code name there stops the build (seen when a saved scenario was added to the study)."""
    from spf_analysis.config import labels

    _, spec = ex.scenario_from_controls(ex.controls(ex.reference), "kp_medium", name="kp_words", label="Words")
    assert spec["description"] == "Built in the scenario explorer from the option \u201cFull floor, medium level\u201d."
    assert labels.find_ids(spec["description"]) == []
    labels.check_text([spec["description"]], "the description")  # the check chapter 4's table applies
