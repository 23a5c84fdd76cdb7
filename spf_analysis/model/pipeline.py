"""The model run: projection -> macro frame -> costs of every scenario, once per build.

``python -m spf_analysis.model.pipeline`` (``make model``) computes, with the shared settings
of ``params/run.yaml``:

1. the KP fertility and migration calibration on the 2017 and 2023 censuses, with the TFR scale
   fitted to the 2023 census children aged 0-4 (``census_fitted``), the KP/Pakistan TFR ratio of
   the PDHS round ``tfr_survey`` (``survey``) and of ``tfr_survey_previous`` (``previous``) --
   :func:`demography.calibrate_kp`; ``fertility_central`` (``params/run.yaml``, with its reason)
   says which is central; each row carries its births in the base year against the census
   (:func:`demography.census_check`);
2. the KP population projection by single age and sex, and births, over the reference
   scenario's horizon (central calibration) -- :func:`demography.project_kp`;
3. the macro frame (GDP, CPI, poverty line, minimum wage, budget) -- :func:`macro.macro_frame`;
4. the RAP cost of every scenario of ``scenarios`` -- :func:`costing.cost_named_scenarios`;
5. the costs net of the existing schemes each provision replaces, split into the federal and the
   provincial part (``params/existing_schemes.yaml``) -- :func:`existing.net_costs`, with the KP
   spending of those schemes carried over the years -- :func:`existing.existing_by_year`;
6. the Monte Carlo's demographic grid: the KP projection at every point of the fertility range
   (:func:`montecarlo.fertility_range` of the calibration) x the mortality multipliers
   (:func:`montecarlo.mortality_grid`), migration recalibrated per point, to the last year of every
   scenario's horizon -- :meth:`montecarlo.DemoGrid.project`; chapter 4's Monte Carlo and tornado,
   chapter 5's impact fan and the scenario explorer read it (:meth:`ModelRun.demo_grid`) instead of
   projecting it each;

and writes them to ``data/interim/`` (``FILES``), all or nothing (staged, then moved into
place). Chapters 04-07, the summary and the microsimulation read the run with :func:`load`;
none of them computes the chain again (``tests/test_pipeline.py`` checks it).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from spf_analysis.config import paths, run
from spf_analysis.config.fsutil import transaction
from spf_analysis.config.parameters import ParameterError
from spf_analysis.config.steps import run_step
from spf_analysis.data import io
from spf_analysis.model import costing, demography, existing, macro, montecarlo

#: what the model run writes, in data/interim/
FILES = {
    "calibration": "model_calibration.parquet",
    "population": "model_population.parquet",
    "births": "model_births.parquet",
    "macro_frame": "model_macro_frame.parquet",
    "costs": "model_costs.parquet",
    "net_costs": "model_net_costs.parquet",
    "existing": "model_existing_spending.parquet",
    "grid_population": "model_grid_population.parquet",
    "grid_births": "model_grid_births.parquet",
    "settings": "model_settings.json",
}
#: calibration variants, in the order of the calibration table; the central one is
#: params/run.yaml ``fertility_central`` (column ``central``)
VARIANTS = ("census_fitted", "survey", "previous")


class ModelRunMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class ModelRun:
    """One model run: its settings and results (see the module docstring)."""

    settings: run.Settings
    calibration: pd.DataFrame      # one row per variant (VARIANTS): tfr survey, ratio, tfr_scale, migration ...
    population: pd.DataFrame       # year, sex, age, population (central calibration)
    births: pd.Series              # by year
    macro_frame: pd.DataFrame      # indexed by year
    costs: pd.DataFrame            # scenario, year, benefit, ... (costing.cost_scenario columns)
    net_costs: pd.DataFrame        # scenario, year, benefit, gross, offset, net, provincial, federal (PKR)
    existing: pd.DataFrame         # existing schemes per provision and year (existing.existing_by_year)
    grid_population: pd.DataFrame  # the Monte Carlo's grid: end, tfr_scale, mx_scale, year, sex, age, population
    grid_births: pd.DataFrame      # end, tfr_scale, mx_scale, migration_rate, year, births (montecarlo.grid_frames)

    def calibration_of(self, variant: str = "central") -> pd.Series:
        """One calibration row: a variant of :data:`VARIANTS`, or ``"central"`` for the one the costing uses."""
        if variant == "central":
            return self.calibration[self.calibration["central"]].iloc[0]
        return self.calibration.set_index("variant").loc[variant]

    def results(self, names=None) -> dict[str, pd.DataFrame]:
        """``{scenario: cost table}`` as :func:`costing.cost_named_scenarios` returns it."""
        names = list(self.settings.scenarios if names is None else names)
        unknown = [n for n in names if n not in set(self.costs["scenario"])]
        if unknown:
            raise KeyError(f"scenarios {unknown} are not in the model run; add them to params/run.yaml scenarios")
        return {n: self.costs[self.costs["scenario"] == n].drop(columns="scenario").reset_index(drop=True)
                for n in names}

    def costing_macro(self) -> pd.DataFrame:
        return macro.costing_macro(self.macro_frame)

    def grid_projections(self, end: int) -> dict:
        """The demographic grid's projections to ``end`` (:meth:`montecarlo.DemoGrid.project`'s dict)."""
        try:
            return montecarlo.grid_projections(self.grid_population, self.grid_births, int(end))
        except KeyError:
            ends = sorted(int(e) for e in self.grid_births["end"].unique())
            raise KeyError(f"the model run has the demographic grid to {ends}, not to {int(end)}: a scenario whose horizon "
                           "ends then must be in params/run.yaml scenarios (make model)") from None

    def demo_grid(self, scenario: costing.Scenario, projections: dict | None = None) -> montecarlo.DemoGrid:
        """``scenario``'s eligible counts on the demographic grid of the run (the same numbers as
        ``DemoGrid.build(scenario, *montecarlo.study_grid(calibration))``); ``projections``: those of
        :meth:`grid_projections` for the scenario's last year, when the caller already has them."""
        proj = projections if projections is not None else self.grid_projections(int(scenario.years[-1]))
        return montecarlo.DemoGrid.from_projections(scenario, proj)


def _calibration_row(variant: str, central: str, survey: str | None, tfr: dict | None, cal: demography.KPCalibration,
                     rates: dict) -> dict:
    births = demography.base_year_births(cal.tfr_scale, cal.migration_rate, rates=rates)
    check = demography.census_check(births, cal.projected_0_4, rates=rates).set_index("quantity")
    return {"variant": variant, "central": variant == central, "tfr_survey": survey or "",
            "tfr_kp": tfr["kp"] if tfr else float("nan"), "tfr_pakistan": tfr["pakistan"] if tfr else float("nan"),
            "tfr_ratio": tfr["ratio"] if tfr else float("nan"),
            "tfr_scale": cal.tfr_scale, "kp_tfr_2015_20": cal.tfr_scale * float(rates["tfr"].loc[2015]),
            "migration_rate": cal.migration_rate, "closed_growth": cal.closed_growth,
            "target_total": cal.target_total, "projected_total": cal.projected_total,
            "children_0_4_2023_projected": cal.projected_0_4, "children_0_4_2023_census": cal.target_0_4,
            "births_2023_projected": births, "births_2023_census_implied": check.loc["births", "census"],
            "births_gap": check.loc["births", "gap"], "children_0_4_gap": check.loc["children_0_4", "gap"],
            "within_census_tolerance": bool(check["within"].all())}


def compute(settings: run.Settings | None = None) -> ModelRun:
    """Run the chain once (see the module docstring)."""
    s = settings or run.settings()
    rates = demography.wpp_rates()
    tfr = demography.survey_tfr_ratio(s.tfr_survey)
    tfr_prev = demography.survey_tfr_ratio(s.tfr_survey_previous)
    cals = {"census_fitted": demography.calibrate_kp(rates),
            "survey": demography.calibrate_kp(rates, tfr_scale=tfr["ratio"]),
            "previous": demography.calibrate_kp(rates, tfr_scale=tfr_prev["ratio"])}
    surveys = {"census_fitted": (None, None), "survey": (s.tfr_survey, tfr), "previous": (s.tfr_survey_previous, tfr_prev)}
    calibration = pd.DataFrame([_calibration_row(v, s.fertility_central, *surveys[v], cals[v], rates) for v in VARIANTS])
    cal = cals[s.fertility_central]
    kp = demography.project_kp(s.horizon_end, tfr_scale=cal.tfr_scale, migration_rate=cal.migration_rate, rates=rates)
    inputs = macro.macro_inputs(indicators=io.load("macro_indicators"))
    mframe = macro.macro_frame(inputs, s.horizon_end)
    results = costing.cost_named_scenarios(list(s.scenarios), kp["population"], kp["births"], macro.costing_macro(mframe))
    costs = pd.concat([df.assign(scenario=n) for n, df in results.items()], ignore_index=True)
    costs = costs[["scenario"] + [c for c in costs.columns if c != "scenario"]]
    mapping = existing.load_mapping(scheme_ids=set(io.load("schemes")["scheme_id"]), provisions=costs["benefit"].unique()[
        costs["benefit"].unique() != "package"])
    figs = existing.figures(mapping, {"scheme_series": io.load("scheme_series"), "health_indicators": io.load("health_indicators")})
    spending = existing.existing_by_year(figs, sorted(costs["year"].unique()),
                                         existing.price_index(inputs.inflation_observed, mframe["cpi"]))
    net = existing.net_costs(costs, mapping, spending)
    births = kp["births"].rename("births")
    births.index.name = "year"
    # the Monte Carlo's grid, once per horizon end: a point whose migration rate the calibrations above already
    # solved (their fertility scale, mortality x 1) takes it from them (calibrate_kp would solve the same equation)
    fert, mort = montecarlo.study_grid(calibration)
    known = {(c.tfr_scale, 1.0): c.migration_rate for c in cals.values()}
    mig = [[known.get((f, m)) for m in mort] for f in fert]
    ends = sorted({int(costing.load_named_scenario(n).years[-1]) for n in s.scenarios})
    grid_pop, grid_births = montecarlo.grid_frames(
        {end: montecarlo.DemoGrid.project(end, fert, mort, rates, migration_rates=mig) for end in ends})
    return ModelRun(settings=s, calibration=calibration, population=kp["population"].reset_index(drop=True),
                    births=births, macro_frame=mframe, costs=costs, net_costs=net, existing=spending,
                    grid_population=grid_pop, grid_births=grid_births)


def write(model: ModelRun, folder: Path | None = None) -> Path:
    """Write a run to ``folder`` (default ``data/interim``): every file, or none."""
    folder = Path(folder or paths.INTERIM)
    folder.mkdir(parents=True, exist_ok=True)
    with transaction() as tx:  # every file written to a temporary name, then all moved together
        model.calibration.to_parquet(tx.path(folder / FILES["calibration"]), index=False)
        model.population.to_parquet(tx.path(folder / FILES["population"]), index=False)
        model.births.reset_index().to_parquet(tx.path(folder / FILES["births"]), index=False)
        model.macro_frame.reset_index().to_parquet(tx.path(folder / FILES["macro_frame"]), index=False)
        model.costs.to_parquet(tx.path(folder / FILES["costs"]), index=False)
        model.net_costs.to_parquet(tx.path(folder / FILES["net_costs"]), index=False)
        model.existing.to_parquet(tx.path(folder / FILES["existing"]), index=False)
        model.grid_population.to_parquet(tx.path(folder / FILES["grid_population"]), index=False)
        model.grid_births.to_parquet(tx.path(folder / FILES["grid_births"]), index=False)
        # the settings last: a run is complete when its settings are in place
        tx.path(folder / FILES["settings"]).write_text(
            json.dumps(model.settings.as_dict(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return folder


def load(folder: Path | None = None, *, check_settings: bool = True) -> ModelRun:
    """The model run of this build, from ``data/interim`` (written by ``make model``).

    With ``check_settings`` the run must have been made with the current ``params/run.yaml``:
    a stale run is an error (rebuild it with ``make model``), never silently used.
    """
    folder = Path(folder or paths.INTERIM)
    missing = [f for f in FILES.values() if not (folder / f).exists()]
    if missing:
        raise ModelRunMissing(f"{paths.rel(folder)}: no model run ({', '.join(missing)} missing); run `make model`")
    saved = json.loads((folder / FILES["settings"]).read_text(encoding="utf-8"))
    try:
        s = run.Settings(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in saved.items()})
    except TypeError:  # a run made before a setting was added or removed
        raise ModelRunMissing(f"{paths.rel(folder)}: the model run was made with other settings than params/run.yaml; "
                              "run `make model`") from None
    if check_settings and s != run.settings():
        raise ModelRunMissing(f"{paths.rel(folder)}: the model run was made with other settings than params/run.yaml; "
                              "run `make model`")
    births = pd.read_parquet(folder / FILES["births"]).set_index("year")["births"]
    mframe = pd.read_parquet(folder / FILES["macro_frame"]).set_index("year")
    return ModelRun(settings=s, calibration=pd.read_parquet(folder / FILES["calibration"]),
                    population=pd.read_parquet(folder / FILES["population"]), births=births,
                    macro_frame=mframe, costs=pd.read_parquet(folder / FILES["costs"]),
                    net_costs=pd.read_parquet(folder / FILES["net_costs"]),
                    existing=pd.read_parquet(folder / FILES["existing"]),
                    grid_population=pd.read_parquet(folder / FILES["grid_population"]),
                    grid_births=pd.read_parquet(folder / FILES["grid_births"]))


def main(argv=None) -> int:
    out = []
    status = run_step("model run (make model)", lambda: out.append(write(compute())),
                      errors=(ParameterError, costing.ScenarioError, existing.ExistingSchemesError, io.InputError),
                      unchanged="data/interim/ (the previous model run)")
    if status == 0:
        print(f"model run written to {paths.rel(out[0])}/ ({', '.join(FILES.values())})")
    return status


if __name__ == "__main__":
    sys.exit(main())
