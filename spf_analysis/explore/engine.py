"""The scenario explorer's engine (``make explore``): controls -> scenario -> every output, on the report's functions.

The web app (:mod:`spf_analysis.explore.app`, served by Panel) is a thin layer over this module, and the tests
call it directly. Nothing here implements a rule of its own:

* a scenario is built from the controls as a *scenario file* (the same mapping a hand-written
  ``params/scenarios/<name>.yaml`` holds: only what differs from its baseline, every value with a rationale)
  and loaded by :func:`spf_analysis.model.costing.scenario_from_spec`, the validation of
  :func:`~spf_analysis.model.costing.load_scenario`; "save" writes that mapping, so a saved file is read back by
  :func:`~spf_analysis.model.costing.load_named_scenario` exactly as the app evaluated it; :func:`add_to_study` puts a
  saved name into the study's list (``scenarios`` of ``params/run.yaml``), checked by the build's loader;
* costs: :func:`costing.cost_scenario` on the model run's projection and macro frame (``pipeline.load()``), net of
  the existing schemes with :func:`existing.net_costs`, as the model run (chapter 4);
* the Monte Carlo band: :func:`montecarlo.cost_draws` with chapter 4's draws (``params/04_costing_options.yaml``
  n_draws and seed) on a :class:`montecarlo.DemoGrid` whose projections the model run made (``make model``);
* the poverty impact and coverage: :func:`microsim.build_rules`, :func:`microsim.simulate`, :func:`microsim.impact`
  and :func:`microsim.coverage_by` with chapter 5's parameters (``params/05_distributional_impact.yaml``);
* the fiscal-space options: :func:`fiscal.option_yields` and :func:`fiscal.package_financing` as chapter 6 calls
  them, against the cost the KP budget carries (net, provincial part).

Controls of a provision (:class:`Controls`): on/off, eligible ages, benefit level (% of the poverty line, % of the
KP minimum wage, rupees a month indexed to the CPI from a base year, or rupees a month not indexed, the same
rupees every year: the indexation), targeting (universal,
BISP-linked, poverty-tested, pension-tested, or the provision's own rule), the eligible share for a targeted
rule, the final take-up and the years of the phase-in. A provision whose controls equal those of the scenario
it starts from is not restated, so a loaded scenario's phased paths (e.g. the roadmap's) are kept as they are.
"""

from __future__ import annotations

import copy
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from spf_analysis.config import run
from spf_analysis.config.params import load_values
from spf_analysis.model import costing

#: what the explorer writes into every value it sets (a saved file states where its values come from)
RATIONALE = "Set in the scenario explorer (make explore): a what-if value chosen by its user, not a sourced figure."
#: scenario names: a file stem in params/scenarios (lower case letters, digits and underscores; no path)
NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,59}")
#: the level units the controls offer: level type -> (words, factor from the control to the scenario value)
LEVEL_UNITS = {"poverty_line": "% of the poverty line", "minimum_wage": "% of the KP minimum wage",
               "indexed": "Rs a month, indexed to the CPI", "nominal": "Rs a month, not indexed"}
#: level types set in rupees a month in the controls (the scenario holds rupees a year)
RUPEE_UNITS = ("indexed", "nominal")
#: level types kept as loaded (in percent of their reference)
FIXED_UNITS = {"health_oop": "% of out-of-pocket health spending per person",
               "delivery_cost": "% of the average Sehat card claim per delivery"}
#: the targeting choices (scenario targeting rules) and their words
TARGETING = {"universal": "Universal", "bisp_household": "BISP-linked (families receiving BISP)",
             "poor_household": "Poverty-tested (PMT, one member per selected household)",
             "no_pension": "Pension-tested (no contributory or civil-service pension)",
             "disability": "Severe disability", "births": "Births", "contributory_capacity": "Contributory capacity"}
#: rules a user may choose for a population-based cash provision (the others belong to one provision)
CHOOSABLE = ("universal", "bisp_household", "poor_household", "no_pension")


class ExplorerError(ValueError):
    """A control value or a scenario name the explorer cannot use (the message says why)."""


# --------------------------------------------------------------------------------------------- controls


@dataclass(frozen=True)
class Controls:
    """The controls of one provision (see the module docstring). ``level`` is in the unit of ``level_type``:
    a percentage for poverty_line/minimum_wage, rupees a month for indexed and nominal; health levels are kept as
    loaded."""

    on: bool
    age_min: int | None
    age_max: int | None
    level_type: str
    level: float
    base_year: int | None
    targeting: str
    prevalence: float
    takeup: float
    start_year: int
    phase_years: int


def _takeup_controls(path, years) -> tuple[float, int, int]:
    """(final take-up, first year, years to reach it) of a take-up path."""
    if isinstance(path, dict):
        ks = sorted(int(k) for k in path)
        vals = [float(path[k]) for k in ks]
        final = vals[-1]
        return final, ks[0], ks[-1] - ks[0] + 1
    return float(path), int(years[0]), 1


def controls_of(scenario: costing.Scenario, reference: costing.Scenario) -> dict[str, Controls]:
    """The controls showing ``scenario``: one per provision of ``reference`` (off when the scenario lacks it)."""
    out = {}
    have = {b.name: b for b in scenario.benefits}
    for rb in reference.benefits:
        b = have.get(rb.name, rb)
        amin = b.age_min if not isinstance(b.age_min, dict) else min(b.age_min.values())
        level = b.level_value / 12 if b.level_type in RUPEE_UNITS else b.level_value * 100
        prev = b.prevalence if not isinstance(b.prevalence, dict) else max(b.prevalence.values())
        tu, start, n = _takeup_controls(b.takeup, scenario.years)
        out[rb.name] = Controls(on=rb.name in have, age_min=None if b.basis == "births" else int(amin),
                                age_max=b.age_max, level_type=b.level_type, level=float(level), base_year=b.base_year,
                                targeting=b.targeting_rule(), prevalence=float(np.min(prev)), takeup=tu,
                                start_year=start, phase_years=n)
    return out


def phase_in(takeup: float, start_year: int, phase_years: int) -> dict[int, float]:
    """Take-up path rising in equal steps to ``takeup`` over ``phase_years`` years from ``start_year``."""
    if not 0 <= takeup <= 1:
        raise ExplorerError(f"take-up {takeup} outside 0-100%")
    if phase_years < 1:
        raise ExplorerError(f"phase-in of {phase_years} years: at least 1")
    return {int(start_year) + i: round(takeup * (i + 1) / phase_years, 10) for i in range(int(phase_years))}


def _node(value) -> dict:
    return {"value": value, "rationale": RATIONALE}


def override_spec(controls: dict[str, Controls], base: costing.Scenario, reference: costing.Scenario) -> dict:
    """The ``benefits`` mapping of a scenario file stating how ``controls`` differ from ``base``."""
    shown = controls_of(base, reference)
    have = {b.name: b for b in base.benefits}
    ref = {b.name: b for b in reference.benefits}
    benefits: dict = {}
    for name, c in controls.items():
        if name not in shown:
            raise ExplorerError(f"unknown provision {name!r}")
        old = shown[name]
        if c == old:
            continue
        if not c.on:
            if name in have:
                benefits[name] = {"remove": {"value": True, "rationale": RATIONALE}}
            continue
        src = have.get(name) or ref[name]
        spec_b = copy.deepcopy((base.spec.get("benefits") or {}).get(name) or (reference.spec["benefits"][name]))
        node: dict = {} if name in have else spec_b  # a provision switched on again: complete, from the reference
        if (c.age_min, c.age_max) != (old.age_min, old.age_max) and src.basis == "population":
            el = {"basis": "population", "age_min": int(c.age_min), "sex": src.sex, "rationale": RATIONALE}
            if c.age_max is not None:
                el["age_max"] = int(c.age_max)
            node["eligible"] = el
        if (c.level_type, c.level, c.base_year) != (old.level_type, old.level, old.base_year):
            if c.level < 0:
                raise ExplorerError(f"{name}: negative benefit level {c.level}")
            if c.level_type == "indexed":
                if c.base_year is None:
                    raise ExplorerError(f"{name}: a level in rupees needs the year of its prices (base year)")
                lv = {"type": "indexed", "value": round(c.level * 12, 6), "base_year": int(c.base_year)}
            elif c.level_type == "nominal":  # rupees a year, the same every year (no base year)
                lv = {"type": "nominal", "value": round(c.level * 12, 6)}
            else:
                lv = {"type": c.level_type, "value": round(c.level / 100, 10)}
            node["level"] = {**lv, "rationale": RATIONALE}
        if c.targeting != old.targeting:
            if c.targeting not in TARGETING:
                raise ExplorerError(f"{name}: unknown targeting {c.targeting!r}")
            node["targeting"] = {"rule": c.targeting, "rationale": RATIONALE}
        if c.prevalence != old.prevalence or c.targeting != old.targeting:
            if not 0 <= c.prevalence <= 1:
                raise ExplorerError(f"{name}: eligible share {c.prevalence} outside 0-1")
            if c.targeting == "universal" and c.prevalence < 1 and not src.age_profile:
                raise ExplorerError(f"{name}: a universal benefit covers its whole age group (eligible share 100%)")
            node["prevalence"] = _node(float(c.prevalence))
        if (c.takeup, c.start_year, c.phase_years) != (old.takeup, old.start_year, old.phase_years):
            node["takeup"] = _node(phase_in(c.takeup, c.start_year, c.phase_years))
        benefits[name] = node
    return benefits


def scenario_file(name: str, label: str, base_name: str, benefits: dict, description: str = "",
                  base_label: str = "") -> dict:
    """The scenario file (a mapping) of a scenario built in the explorer: ``baseline`` and what differs.
    The default description names the base by its label (``base_label``), in words: the report shows
    the description, and a code name there stops the build."""
    check_name(name)
    if not label.strip():
        raise ExplorerError("a scenario needs a label (what a reader sees in tables and legends)")
    base_words = f"the option \u201c{base_label.strip()}\u201d" if base_label.strip() else "another option"
    spec = {"name": name, "label": label.strip(),
            "description": description.strip() or f"Built in the scenario explorer from {base_words}.",
            "baseline": base_name}
    if benefits:
        spec["benefits"] = benefits
    return spec


def check_name(name: str) -> str:
    """A scenario name is a plain file stem: lower-case letters, digits, underscores (no path, no dots)."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise ExplorerError(f"scenario name {name!r}: use lower-case letters, digits and underscores, starting with a "
                            "letter (at most 60 characters; no path, no dots)")
    return name


# --------------------------------------------------------------------------------------------- the study's list


def _flow_list_end(text: str, start: int) -> tuple[int, int]:
    """(index of the ``]`` closing the flow list whose ``[`` is at ``start``, index just past the last significant
    character before it): comments (``#`` after a blank, to the end of the line) and quoted items are skipped."""
    i, last, quote = start + 1, start + 1, None
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None
                last = i + 1
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and text[i - 1] in " \t\n":
            i = text.find("\n", i)
            if i < 0:
                break
            continue
        elif ch == "]":
            return i, last
        elif ch == "[":
            break  # a nested list: not a list of names
        elif not ch.isspace():
            last = i + 1
        i += 1
    raise ExplorerError("no closing ']' of the flow list")


def add_to_study(name: str, *, run_file: Path | None = None, scenarios_dir: Path | None = None) -> Path:
    """Add scenario ``name`` at the end of the study's scenarios (``scenarios: value: [...]`` of ``params/run.yaml``,
    :func:`spf_analysis.config.run.load`), so that ``make model`` and ``make report`` cost and simulate it.

    A text edit of the one line that ends the list (``, name`` after its last item): every comment and every other
    byte of the file stay as they were. Refused, with nothing written: a name already in the list, a name without
    its file ``<scenarios_dir>/<name>.yaml``, a file whose list is not a one-level flow list ``[...]``. The edited
    text is checked as the build reads it (:func:`run.load` with ``scenarios_dir``, which must list the same
    scenarios plus ``name``) in a temporary file beside ``run_file``, which replaces it only then
    (:func:`spf_analysis.config.fsutil.atomic_path`). Defaults: ``params/run.yaml``
    (:data:`spf_analysis.config.paths.RUN_FILE`) and ``params/scenarios``, the pair the build reads. A process that
    read the settings before (:func:`run.settings` is read once) keeps its old list."""
    from spf_analysis.config import fsutil, paths
    from spf_analysis.config.parameters import ParameterError

    check_name(name)
    run_file = Path(run_file or paths.RUN_FILE)
    scenarios_dir = Path(scenarios_dir or costing.scenario_dir())
    shown = paths.rel(run_file)
    if not (scenarios_dir / f"{name}.yaml").is_file():
        raise ExplorerError(f"{shown}: no scenario file {paths.rel(scenarios_dir / f'{name}.yaml')} (save it first)")
    try:
        raw = run_file.read_bytes()
        text = raw.decode("utf-8")
        before = run.load(run_file, scenarios_dir=scenarios_dir).scenarios
    except (OSError, UnicodeDecodeError, ParameterError) as e:
        raise ExplorerError(f"{shown}: cannot be read as the build reads it: {e}") from None
    if name in before:
        raise ExplorerError(f"{shown}: {name!r} is already one of the study's scenarios")
    key = re.search(r"^scenarios:[ \t]*(?:#.*)?\n", text, re.M)
    value = key and re.compile(r"^([ \t]+)value:[ \t]*\[", re.M).search(text, key.end())
    # the value line must belong to the scenarios block: nothing but indented or blank lines between them
    if not value or re.search(r"^\S", text[key.end():value.start()], re.M):
        raise ExplorerError(f"{shown}: no flow list 'value: [...]' under 'scenarios:' to add {name!r} to")
    try:
        _, last = _flow_list_end(text, value.end() - 1)
    except ExplorerError as e:
        raise ExplorerError(f"{shown}: scenarios: {e}") from None
    sep = {"[": "", ",": " "}.get(text[last - 1], ", ")  # an empty list, a trailing comma, an item
    new = text[:last] + sep + name + text[last:]
    with fsutil.atomic_path(run_file) as tmp:
        tmp.write_bytes(new.encode("utf-8"))
        try:
            after = run.load(tmp, scenarios_dir=scenarios_dir).scenarios
        except ParameterError as e:
            raise ExplorerError(f"{shown}: not changed, adding {name!r} would make it invalid: {e}") from None
        if after != (*before, name):
            raise ExplorerError(f"{shown}: not changed, the edit would give the scenarios {list(after)}, "
                                f"not {[*before, name]}")
    return run_file


# --------------------------------------------------------------------------------------------- the engine


class Explorer:
    """Everything the outputs need, loaded once (model run, survey, Monte Carlo grid, fiscal yields)."""

    def __init__(self, scenarios_dir: Path | None = None, *, n_draws: int | None = None):
        from spf_analysis import microsim as ms
        from spf_analysis.data import io
        from spf_analysis.household import synth
        from spf_analysis.model import existing, macro, montecarlo, pipeline

        self.dir = Path(scenarios_dir or costing.scenario_dir())
        self.settings = run.settings()
        self.model = pipeline.load()
        self.costing_macro = self.model.costing_macro()
        self.mframe = self.model.macro_frame
        self.reference = costing.load_named_scenario(self.settings.reference_scenario, self.dir)
        # the survey and chapter 5's parameters
        households, persons, source = synth.load_survey()
        self.synthetic = source == "synthetic"
        self.frame = ms.person_frame(households, persons)
        p5 = load_values("05_distributional_impact")
        self.ms_kw = dict(targeting=p5["targeting"], capacity_share_of_minimum_wage=p5["capacity_share_of_minimum_wage"],
                          seed=p5["seed"], alignment=p5["alignment"])
        self.level = p5["confidence_level"]
        self.line = ms.survey_line()  # read once (build_rules would read the policy file at every change)
        # existing schemes (chapter 4's net costs)
        provisions = [b.name for b in self.reference.benefits]
        self.mapping = existing.load_mapping(scheme_ids=set(io.load("schemes")["scheme_id"]), provisions=provisions)
        # Monte Carlo: chapter 4's draws; the grid's projections are the model run's, its counts per scenario
        p4 = load_values("04_costing_options")
        self.inputs = macro.macro_inputs(indicators=io.load("macro_indicators"))
        self.fert_range = montecarlo.fertility_range(self.model.calibration)
        self.n_draws = int(n_draws or p4["n_draws"])
        self.draws = montecarlo.draw_inputs(self.n_draws, p4["seed"], self.fert_range, self.inputs,
                                            ranges=montecarlo.data_ranges(self.inputs))
        # the grid's projections, made by the model run; their populations pivoted to year x (sex, age) once
        # (costing.population_matrix takes them as they are): the same matrices every scenario's counts would pivot again
        proj = dict(self.model.grid_projections(int(self.reference.years[-1])))
        proj["kp"] = [[{**kp, "population": costing.wide_population(kp["population"])} for kp in row] for row in proj["kp"]]
        self.grid_projections = proj
        self.population = costing.wide_population(self.model.population)
        # the survey's life-cycle groups (chapter 5's, from the age, which no rule changes)
        self.groups = ms.life_cycle_group(self.frame["age"].to_numpy())
        from spf_analysis.microsim.frame import Persons

        self.persons = Persons.from_frame(self.frame)  # the survey's arrays, made once for every simulation
        # the eligible share a targeting rule starts from when chosen: the derivations of the targeted variants
        # of chapter 4 (spf_analysis.model.options, from sourced figures); poverty-tested: the user's value
        from spf_analysis.model import options

        self.default_shares = {"bisp_household": options.bisp_child_share().share,
                               "no_pension": options.pension_test_share(), "universal": 1.0}
        self._yields: dict[int, pd.DataFrame] = {}
        for y in self.reference.years[1:]:  # every year's yields now, not at the first change of year
            self.yields(int(y))
        self._loaded: dict = {}  # scenarios read, by name and the state of the folder
        # outputs of the scenarios evaluated lately, by scenario key (and year): a control set back, or a year
        # seen before, shows them again without computing (the same numbers; at most CACHE entries each)
        self._paths: dict = {}
        self._bands: dict = {}
        self._surveys: dict = {}

    # ---------------------------------------------------------------- scenarios
    def names(self) -> list[str]:
        return costing.scenario_names(self.dir)

    def load(self, name: str) -> costing.Scenario:
        """``params/scenarios/<name>.yaml`` with its baseline chain, read again only when a file changed."""
        stamp = tuple((f.name, f.stat().st_mtime_ns) for f in sorted(self.dir.glob("*.yaml")))
        key = (check_name(name), stamp)
        if key not in self._loaded:
            self._loaded[key] = costing.load_named_scenario(name, self.dir)
        return self._loaded[key]

    def controls(self, scenario: costing.Scenario) -> dict[str, Controls]:
        return controls_of(scenario, self.reference)

    def scenario_from_controls(self, controls: dict[str, Controls], base: str, *, name: str = "explorer",
                               label: str = "Explorer scenario") -> tuple[costing.Scenario, dict]:
        """The scenario the controls describe, starting from the scenario ``base``, and its file (a mapping)."""
        b = self.load(base)
        spec = scenario_file(name, label, base, override_spec(controls, b, self.reference), base_label=b.label)
        sc = costing.scenario_from_spec(spec, b, file=self.dir / f"{name}.yaml")
        return sc, spec

    def save(self, spec: dict, *, overwrite: bool = False) -> Path:
        """Write ``params/scenarios/<name>.yaml`` after loading it with the validation of a hand-written file."""
        name = check_name(spec.get("name", ""))
        f = self.dir / f"{name}.yaml"
        if f.resolve().parent != self.dir.resolve():
            raise ExplorerError(f"scenario name {name!r} leaves params/scenarios")
        if f.exists() and not overwrite:
            raise ExplorerError(f"params/scenarios/{name}.yaml exists: choose another name")
        text = ("# Saved by the scenario explorer (make explore). Only what differs from the baseline scenario is\n"
                "# stated; every value set in the explorer says so in its rationale.\n"
                + yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=110))
        tmp = self.dir / f".{name}.yaml.tmp"
        tmp.write_text(text, encoding="utf-8")
        try:
            costing.load_scenario(tmp, self.load(spec["baseline"]))  # the same validation as make model
        except Exception:
            tmp.unlink()
            raise
        tmp.replace(f)
        return f

    # ---------------------------------------------------------------- outputs
    def costs(self, sc: costing.Scenario) -> pd.DataFrame:
        """The RAP cost table (chapter 4's ``cost_scenario`` columns) of ``sc``."""
        return costing.cost_scenario(sc, self.population, self.costing_macro, self.model.births)

    def net(self, costs: pd.DataFrame, name: str) -> pd.DataFrame:
        from spf_analysis.model import existing

        return existing.net_costs(costs.assign(scenario=name), self.mapping, self.model.existing)

    def cost_path(self, costs: pd.DataFrame, net: pd.DataFrame) -> pd.DataFrame:
        """Package per year: Rs billion, % of KP GDP, % of national GDP, % of the KP budget, gross and net."""
        pk = costs[costs["benefit"] == "package"].set_index("year")
        nt = net[net["benefit"] == "package"].set_index("year")
        m = self.mframe.loc[pk.index]
        return pd.DataFrame({"year": pk.index, "cost": pk["cost"], "cost_pct_gdp": pk["cost_pct_gdp"],
                             "cost_pct_national_gdp": pk["cost_pct_national_gdp"], "cost_pct_budget": pk["cost_pct_budget"],
                             "net": nt["net"], "net_pct_gdp": nt["net"] / m["gdp"] * 100,
                             "provincial": nt["provincial"],
                             "provincial_pct_budget": nt["provincial"] / m["budget"] * 100}).reset_index(drop=True)

    def band(self, sc: costing.Scenario) -> pd.DataFrame:
        """Quantiles of the package cost (% of KP GDP) over chapter 4's Monte Carlo draws."""
        from spf_analysis.model import montecarlo

        grid = self.model.demo_grid(sc, self.grid_projections)
        mc = montecarlo.cost_draws(sc, grid, self.inputs, self.draws)
        return montecarlo.fan(np.asarray(mc["package"]["cost_pct_gdp"]), sc.years)

    def survey(self, sc: costing.Scenario, year: int) -> dict[str, pd.DataFrame]:
        """Poverty impact (with CIs), coverage by quintile and by life-cycle group, chapter 5's way."""
        from spf_analysis import microsim as ms

        from spf_analysis.stats import indicators

        rs = ms.build_rules(sc, int(year), self.mframe, self.frame, line=self.line, **self.ms_kw)
        sim = ms.simulate(self.frame, rs, self.persons)  # the frame's rows in its order: the groups made once apply
        sim["group"] = self.groups  # chapter 5's groups (ms.life_cycle_group of the age)
        # the estimators read only these columns: on a narrow frame (the same rows) the design's copies are small
        sim = sim[list(SURVEY_COLUMNS)]
        # ms.coverage_by's estimator on one survey design for both groupings (the design is the costly part)
        d = ms.design(sim)
        cov = {by: indicators.share_interval(indicators.coverage(d, "ben_new", by=by, level=self.level), self.level)
               for by in ("quintile", "group")}
        return {"impact": ms.impact(sim, rs, level=self.level),
                "coverage_quintile": cov["quintile"], "coverage_group": cov["group"]}

    def yields(self, year: int) -> pd.DataFrame:
        """Chapter 6's fiscal-space option yields for KP in ``year`` (computed once per year)."""
        if year not in self._yields:
            from spf_analysis.data import io
            from spf_analysis.model import fiscal
            from spf_analysis.report import summary

            ch5 = summary.read_tables(names=("05_contributory_capacity",))
            cap = ch5["05_contributory_capacity"].query("sector == 'all' and employment_type == 'all'").iloc[0]
            ss = io.load("scheme_series")
            wheat = ss.query("scheme_id == 'S28' and metric == 'budget_allocation' and chosen").sort_values("year").iloc[-1]
            none = fiscal.fiscal_paths(self.mframe.loc[self.settings.horizon_start:], {}).query("package == 'none'")
            tu = fiscal.subsidy_takeup(self.costs(self.reference))
            self._yields[year] = fiscal.option_yields(
                io.load("fiscal_space_indicators"), self.mframe["gdp"], int(year),
                wheat_subsidy=(float(wheat["value"]), int(wheat["year"])),
                surplus=float(none.set_index("year").loc[year, "balance"]), contrib_essi=cap["contrib_essi"] * 1e9,
                contrib_eobi=cap["contrib_eobi"] * 1e9, contrib_takeup=float(tu.loc[year]) if tu is not None else 0.0)
        return self._yields[year]

    def financing(self, cost_provincial: float, year: int) -> pd.DataFrame:
        from spf_analysis.model import fiscal

        return fiscal.package_financing(self.yields(year), {"scenario": cost_provincial})

    def evaluate(self, sc: costing.Scenario, year: int, *, band: bool = True, survey: bool = True) -> dict:
        """Every output of the explorer for ``sc`` in ``year`` (DataFrames) and the seconds each part took.

        A scenario evaluated lately (the same provisions, e.g. only the year changed, or a control set back) is
        not computed again: its cost path and band (which do not depend on the year) and its survey results of
        that year are kept, by scenario key, for the last :data:`CACHE` scenarios."""
        t = {}
        t0 = time.perf_counter()
        key = (sc.name, repr(sc.benefits), tuple(sc.years))
        if key not in self._paths:
            costs = self.costs(sc)
            net = self.net(costs, sc.name)
            _remember(self._paths, key, (costs, net, self.cost_path(costs, net)))
        costs, net, path = self._paths[key]
        t["costs"] = time.perf_counter() - t0
        out = {"costs": costs, "net": net, "path": path}
        t0 = time.perf_counter()
        prov = float(path.set_index("year").loc[int(year), "provincial"])
        out["financing"] = self.financing(prov, int(year)) if prov > 0 else None
        t["financing"] = time.perf_counter() - t0
        if band:
            t0 = time.perf_counter()
            if key not in self._bands:
                _remember(self._bands, key, self.band(sc))
            out["band"] = self._bands[key]
            t["band"] = time.perf_counter() - t0
        if survey:
            t0 = time.perf_counter()
            skey = (key, int(year))
            if skey not in self._surveys:
                _remember(self._surveys, skey, self.survey(sc, year))
            out.update(self._surveys[skey])
            t["survey"] = time.perf_counter() - t0
        out["seconds"] = t
        return out


#: the columns of a simulated survey frame the explorer's estimators read: the design (ms.design: weights, strata,
#: PSUs), welfare before and after, the gross transfers, the coverage flag and the two groupings
SURVEY_COLUMNS = ("weights", "stratum", "psu", "cons_pae", "y_post", "gross_pae", "ben_new", "quintile", "group")
#: scenarios (and scenario-years) whose outputs the explorer keeps
CACHE = 64


def _remember(cache: dict, key, value) -> None:
    """``cache[key] = value``, dropping the oldest entry beyond :data:`CACHE`."""
    cache[key] = value
    while len(cache) > CACHE:
        cache.pop(next(iter(cache)))
