"""The settings shared by the chapters, from their one home ``params/run.yaml``.

:func:`settings` reads and validates the file (types and ranges of
:mod:`spf_analysis.config.parameters`; a bound may name another setting) and returns a
frozen :class:`Settings`. The costing horizon is not a setting of its own: it is the
reference scenario's ``horizon`` (``params/scenarios/<reference_scenario>.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from spf_analysis.config import paths
from spf_analysis.config.errors import read_yaml
from spf_analysis.config.parameters import ParameterError, check_value, read_declared, rel

RUN_FILE = paths.RUN_FILE
SETTINGS = ("reference_scenario", "scenarios", "reference_year", "report_years", "fertility_central", "tfr_survey",
            "tfr_survey_previous", "survey_price_year")
#: read from the reference scenario file, not set in run.yaml
DERIVED = ("horizon_start", "horizon_end")


@dataclass(frozen=True)
class Settings:
    reference_scenario: str
    scenarios: tuple[str, ...]
    reference_year: int
    report_years: tuple[int, ...]
    fertility_central: str
    tfr_survey: str
    tfr_survey_previous: str
    survey_price_year: int
    horizon_start: int
    horizon_end: int

    @property
    def years(self) -> range:
        return range(self.horizon_start, self.horizon_end + 1)

    def as_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def _horizon(reference: str, scenarios_dir: Path) -> tuple[int, int]:
    f = scenarios_dir / f"{reference}.yaml"
    spec = read_yaml(f, ParameterError, name=rel(f)) or {}
    h = spec.get("horizon") if isinstance(spec, dict) else None
    if not isinstance(h, dict) or not all(isinstance(h.get(k), int) for k in ("start", "end")):
        raise ParameterError("the reference scenario must state horizon: {start, end} (integer years)",
                             file=rel(f), key="horizon")
    return h["start"], h["end"]


def load(file: Path | str = RUN_FILE, overrides: dict | None = None, scenarios_dir: Path | None = None) -> Settings:
    """Read and validate ``params/run.yaml`` (``overrides``: values that replace the file's)."""
    file = Path(file)
    where = rel(file)
    specs = read_declared(file)
    missing = [k for k in SETTINGS if k not in specs]
    unknown = [k for k in specs if k not in SETTINGS]
    if missing or unknown:
        raise ParameterError(f"missing settings {missing}, unknown settings {unknown}; expected {list(SETTINGS)}",
                             file=where)
    vals = {k: s.value for k, s in specs.items()}
    vals.update(overrides or {})
    scen_dir = scenarios_dir or paths.PARAMS / "scenarios"
    if not isinstance(vals["reference_scenario"], str) or not (scen_dir / f"{vals['reference_scenario']}.yaml").exists():
        raise ParameterError(f"no scenario file params/scenarios/{vals['reference_scenario']}.yaml",
                             file=where, key="reference_scenario")
    start, end = _horizon(vals["reference_scenario"], scen_dir)
    shared = {**vals, "horizon_start": start, "horizon_end": end}
    for k, s in specs.items():
        check_value(s, vals[k], where, shared)
    for name in vals["scenarios"]:
        if not (scen_dir / f"{name}.yaml").exists():
            raise ParameterError(f"no scenario file params/scenarios/{name}.yaml", file=where, key="scenarios")
    return Settings(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in shared.items()})


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The study's shared settings (read once per process)."""
    return load()
