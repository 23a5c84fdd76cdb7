"""The survey choice (params/survey.yaml, SURVEY, SURVEY_DIR) reaches Python through the
environment, is validated there, and no value of it ever reaches a shell."""

from __future__ import annotations

import subprocess

import pytest

from spf_analysis.config import paths
from spf_analysis.household.source import SurveyChoiceError, selected


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A copy of what `make survey-info` reads (Makefile, package, params, notebooks), the .venv
    linked: make writes its stamp of the values given, which must not touch the real tree."""
    import shutil

    root = tmp_path_factory.mktemp("survey_choice") / "spf"
    root.mkdir()
    shutil.copy2(paths.ROOT / "Makefile", root / "Makefile")
    for d in ("spf_analysis", "params", "notebooks"):
        shutil.copytree(paths.ROOT / d, root / d, ignore=shutil.ignore_patterns("__pycache__"))
    (root / ".venv").symlink_to(paths.ROOT / ".venv")
    return root


@pytest.fixture
def make_info(tree):
    def run(tmp_path, **env_vars) -> subprocess.CompletedProcess:
        """`make survey-info VAR=value ...` as a user types it (command-line variables)."""
        import os

        args = [f"{k}={v}" for k, v in env_vars.items()]
        env = {k: v for k, v in os.environ.items()
               if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "SURVEY", "SURVEY_DIR", "SURVEY_FILE")}
        env["PYTHONPATH"] = str(tree)
        return subprocess.run(["make", "-s", "--no-print-directory", "-o", ".venv/.ready", "-C", str(tree),
                               "survey-info", *args], capture_output=True, text=True, cwd=tmp_path, env=env)
    return run


def test_default_is_the_params_file():
    import yaml

    want = yaml.safe_load((paths.PARAMS / "survey.yaml").read_text())["survey"]
    assert selected({}).survey == want


def test_yaml_comments_quotes_and_odd_folder_names(tmp_path, make_info):
    folder = tmp_path / "it's a \"dir\" $(x)"
    folder.mkdir()
    f = tmp_path / "survey.yaml"
    f.write_text(f'# c\nsurvey: pbs-hies-2018-19   # inline\nsurvey_dir: \'{str(folder).replace(chr(39), chr(39) * 2)}\'  # c\n')
    c = selected({"SURVEY_FILE": str(f)})
    assert (c.survey, c.survey_dir) == ("pbs-hies-2018-19", folder.resolve())
    out = make_info(tmp_path, SURVEY_FILE=f)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["SURVEY=pbs-hies-2018-19", f"SURVEY_DIR={folder.resolve()}"]
    # the command line wins over the file, and a folder with an apostrophe is fine ("$(...)" on
    # make's command line is make's own syntax, so that case is for the file only)
    plain = tmp_path / "it's here"
    plain.mkdir()
    out = make_info(tmp_path, SURVEY="pbs-hies-2015-16", SURVEY_DIR=plain)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "SURVEY=pbs-hies-2015-16"


@pytest.mark.parametrize("survey", ["../../x", "synthetic/../../etc", "x'; touch {m}; echo '", 'x"; touch {m}; "',
                                    "`touch {m}`", "x\ntouch {m}"])
def test_unknown_or_hostile_survey_names_are_refused_and_never_run(tmp_path, survey, make_info):
    marker = tmp_path / "pwned"
    value = survey.format(m=marker)
    out = make_info(tmp_path, SURVEY=value)
    assert out.returncode != 0
    assert "error: survey: SURVEY=" in out.stderr and "is not a known survey" in out.stderr
    assert not marker.exists()
    with pytest.raises(SurveyChoiceError, match="not a known survey"):
        selected({"SURVEY": value})


def test_hostile_values_in_the_params_file_never_reach_a_shell(tmp_path, make_info):
    marker = tmp_path / "pwned"
    f = tmp_path / "survey.yaml"
    f.write_text(f"survey: \"x'; touch {marker}; echo '\"\nsurvey_dir: \"$(touch {marker})\"\n")
    out = make_info(tmp_path, SURVEY_FILE=f)
    assert out.returncode != 0 and "is not a known survey" in out.stderr
    assert not marker.exists()


def test_a_pbs_round_needs_an_existing_folder(tmp_path):
    with pytest.raises(SurveyChoiceError, match="set SURVEY_DIR|survey_dir to their folder"):
        selected({"SURVEY": "pbs-hies-2018-19", "SURVEY_FILE": str(paths.PARAMS / "survey.yaml")})
    with pytest.raises(SurveyChoiceError, match=r"SURVEY_DIR='/nonexistent/x' is not an existing folder"):
        selected({"SURVEY": "pbs-hies-2018-19", "SURVEY_DIR": "/nonexistent/x"})


def test_unknown_keys_in_the_settings_file(tmp_path):
    f = tmp_path / "survey.yaml"
    f.write_text("survey: synthetic\nsurvey_folder: /x\n")
    with pytest.raises(SurveyChoiceError, match=r"survey.yaml: unknown key\(s\) \['survey_folder'\]"):
        selected({"SURVEY_FILE": str(f)})
