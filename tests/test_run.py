"""Settings shared by the chapters: one home (params/run.yaml), validated, and no second copy."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from spf_analysis.config import paths, run
from spf_analysis.config.parameters import ParameterError
from spf_analysis.model import policy

#: names the chapters used for the shared settings before they had one home
FORMER_NAMES = {"end_year", "target_year", "cost_year", "simulation_year", "fan_scenario", "reference_scenario",
                "scenarios", "report_years", "tfr_survey", "tfr_survey_previous", "poverty_line", "year", "package"}


def _code_and_params():
    """(where, text) of every notebook code cell, package module and parameter file but run.yaml."""
    for nb in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        for i, c in enumerate(json.loads(nb.read_text())["cells"]):
            if c["cell_type"] == "code":
                yield f"{nb.name} cell {i}", "".join(c["source"])
    for f in sorted((paths.ROOT / "spf_analysis").rglob("*.py")):
        yield str(f.relative_to(paths.ROOT)), f.read_text()
    for f in sorted(paths.PARAMS.rglob("*.yaml")):
        if f.name != "run.yaml":
            yield str(f.relative_to(paths.ROOT)), f.read_text()


def test_settings_are_read_and_the_horizon_is_the_reference_scenarios():
    s = run.settings()
    assert s.reference_scenario in s.scenarios
    assert s.horizon_start <= s.reference_year <= s.horizon_end
    assert all(s.horizon_start <= y <= s.horizon_end for y in s.report_years)


@pytest.mark.parametrize("file", sorted(paths.PARAMS.glob("[0-9A-Z]*_*.yaml")), ids=lambda p: p.name)
def test_no_notebook_parameter_repeats_a_shared_setting(file):
    from spf_analysis.config.params import load_values

    again = (set(load_values(file.stem)) & (FORMER_NAMES | set(run.SETTINGS)))
    assert not again, f"{file.name} sets {again}: shared settings live in params/run.yaml"


def test_the_poverty_line_has_one_home():
    """3030.32 is typed once, in params/policy/baseline.yaml (with its source); code reads it from there.
    Raw data files that report it (sourced tables) must agree with it."""
    line = policy.survey_poverty_line()
    assert line == 3030.32  # Planning Commission press release, 18 Apr 2016 (params/policy/baseline.yaml)
    typed = [w for w, text in _code_and_params() if re.search(r"3,?030\.32", text) and w != "params/policy/baseline.yaml"
             and not w.endswith(".py") or (w.endswith(".py") and re.search(r"^[^#\n]*\b3030\.32\b", text, re.M))]
    assert not typed, f"the poverty line typed again in {typed}"
    raw = pd.read_csv(paths.RAW / "poverty" / "poverty_indicators.csv")
    base = f"{run.settings().survey_price_year - 1}-{run.settings().survey_price_year % 100:02d}"  # 2013-14
    assert raw.loc[(raw["indicator"] == "poverty_line_cbn") & (raw["period"] == base), "value"].astype(float).tolist() == [line]
    targets = pd.read_csv(paths.RAW / "survey_targets" / "kp_calibration_targets.csv")  # what the synthetic survey reads
    assert targets.loc[targets.iloc[:, 0] == "poverty_line", "value"].astype(float).tolist() == [line]


def test_no_second_copy_of_the_horizon_or_reference_scenario_in_code():
    s = run.settings()
    pattern = re.compile(rf"\b(end_year|target_year|cost_year|simulation_year)\s*=\s*{s.horizon_end}\b|"
                         rf"REFERENCE_SCENARIO\s*=|=\s*[\"']{s.reference_scenario}[\"']")
    found = [w for w, text in _code_and_params() if pattern.search(text)]
    assert not found, f"a shared setting typed again in {found}"


def test_out_of_range_setting_is_an_error_naming_file_and_key(tmp_path):
    text = (paths.PARAMS / "run.yaml").read_text()
    bad = tmp_path / "run.yaml"
    bad.write_text(text.replace("  value: 2030\n", "  value: 2050\n", 1))
    with pytest.raises(ParameterError, match=r"run.yaml: reference_year: 2050 is above the maximum horizon_end = 2035"):
        run.load(bad)
    bad.write_text(text.replace("  value: kp_medium\n", "  value: kp_hihg\n", 1))
    with pytest.raises(ParameterError, match=r"reference_scenario: no scenario file params/scenarios/kp_hihg.yaml"):
        run.load(bad)
    bad.write_text(text + "\nextra:\n  value: 1\n  type: int\n  unit: x\n  rationale: y\n")
    with pytest.raises(ParameterError, match=r"unknown settings \['extra'\]"):
        run.load(bad)
