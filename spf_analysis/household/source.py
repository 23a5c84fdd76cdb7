"""Which household survey the build uses, validated; and the ``make survey`` step.

The choice is ``params/survey.yaml`` (``survey``, ``survey_dir``), overridden by the
environment variables ``SURVEY`` and ``SURVEY_DIR`` (``make report SURVEY=pbs-hies-2018-19
SURVEY_DIR=/data/hies``: make exports its command-line variables; ``SURVEY_FILE`` names
another settings file). The values reach Python through the environment only, never a
shell, and are checked here: the survey is ``synthetic`` or a round with a codebook in
``params/codebooks/``; a PBS round needs ``survey_dir``, an existing folder.

``python -m spf_analysis.household.source info``   print the survey the build will use
``python -m spf_analysis.household.source build``  build the survey tables (``make survey``)
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from spf_analysis.config import paths
from spf_analysis.config.errors import FileKeyError, read_yaml
from spf_analysis.config.steps import run_step

SYNTHETIC = "synthetic"
SETTINGS = paths.PARAMS / "survey.yaml"


class SurveyChoiceError(FileKeyError):
    """The survey named in params/survey.yaml or SURVEY/SURVEY_DIR cannot be used."""


@dataclass(frozen=True)
class SurveyChoice:
    survey: str
    survey_dir: Path | None
    origin: str  # where the choice came from, for messages

    @property
    def synthetic(self) -> bool:
        return self.survey == SYNTHETIC


def rounds() -> tuple[str, ...]:
    """The PBS rounds the reader knows: one codebook each in ``params/codebooks/``."""
    from spf_analysis.household.pbs import ROUNDS

    return ROUNDS


def selected(environ=None) -> SurveyChoice:
    """The validated survey choice (see the module docstring)."""
    env = os.environ if environ is None else environ
    file = Path(env.get("SURVEY_FILE") or SETTINGS)
    shown = paths.rel(file)
    settings = read_yaml(file, SurveyChoiceError, name=shown)
    if not isinstance(settings, dict):
        raise SurveyChoiceError("expected a mapping with the keys survey and survey_dir", file=shown)
    unknown = sorted(set(settings) - {"survey", "survey_dir"})
    if unknown:
        raise SurveyChoiceError(f"unknown key(s) {unknown}; expected survey, survey_dir", file=shown)
    survey, origin = (env["SURVEY"], "SURVEY") if env.get("SURVEY") else (settings.get("survey"), f"{shown}: survey")
    if env.get("SURVEY_DIR"):
        folder, dir_origin = env["SURVEY_DIR"], "SURVEY_DIR"
    else:
        folder, dir_origin = settings.get("survey_dir") or "", f"{shown}: survey_dir"
    if not isinstance(survey, str) or not survey:
        raise SurveyChoiceError(f"{origin}: no survey named; expected {SYNTHETIC!r} or one of {list(rounds())}")
    known = (SYNTHETIC,) + rounds()
    if survey not in known:  # also refuses paths (../../x): only the names below are accepted
        raise SurveyChoiceError(f"{origin}={survey!r} is not a known survey; expected one of {list(known)}")
    if survey == SYNTHETIC:
        return SurveyChoice(survey, None, origin)
    if not isinstance(folder, str) or not folder.strip():
        raise SurveyChoiceError(f"{origin}={survey!r} reads the PBS .dta files: set {dir_origin} to their folder "
                                f"(e.g. make report SURVEY={survey} SURVEY_DIR=/path/to/dta)")
    d = Path(folder).expanduser()
    if not d.is_dir():
        raise SurveyChoiceError(f"{dir_origin}={folder!r} is not an existing folder")
    return SurveyChoice(survey, d.resolve(), origin)


def build(choice: SurveyChoice) -> None:
    if choice.synthetic:
        from spf_analysis.household import synth

        status = synth.main([])
    else:
        from spf_analysis.household import pbs

        status = pbs.main([choice.survey, str(choice.survey_dir)])
    if status:
        raise SystemExit(status)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv not in (["info"], ["build"]):
        print("usage: python -m spf_analysis.household.source info|build", file=sys.stderr)
        return 2
    out = []
    status = run_step("survey", lambda: out.append(selected()), errors=(SurveyChoiceError,),
                      unchanged="data/processed/survey_*.parquet")
    if status:
        return status
    choice = out[0]
    if argv == ["info"]:
        print(f"SURVEY={choice.survey}")
        print(f"SURVEY_DIR={choice.survey_dir or ''}")
        return 0
    # the synthetic survey is made from the rule's prerequisites only (make passes them in
    # SPF_INPUTS): when all have the bytes of the last build, its tables are kept and touched;
    # a PBS round reads .dta files outside the repository, so it always runs
    from spf_analysis.config import digest

    ins = digest.inputs_digest(digest.env_list("SPF_INPUTS")) if choice.synthetic and "SPF_INPUTS" in os.environ else None
    outs = digest.env_list("SPF_OUTPUTS")
    if ins and digest.unchanged("survey", ins, outs):
        digest.touch(outs)
        print("survey: inputs unchanged since its last run (sha256), outputs kept")
        return 0
    digest.forget("survey")
    try:
        build(choice)
    except SystemExit as e:
        return int(e.code or 0)
    if ins:
        digest.record("survey", ins, outs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
