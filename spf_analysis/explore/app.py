"""The scenario explorer's web page (Panel), served by ``make explore`` (``python -m spf_analysis.explore``).

A thin layer over :mod:`spf_analysis.explore.engine`: widgets -> :class:`explore.Controls` ->
:meth:`explore.Explorer.scenario_from_controls` -> :meth:`explore.Explorer.evaluate` -> tables. No rule of the
model is computed here. Every number shown carries its unit; ids are shown by their labels
(:mod:`spf_analysis.config.labels`); the survey results carry the synthetic-data label when the survey is the
synthetic one.
"""

from __future__ import annotations

import html
import time

import pandas as pd
import panel as pn

from spf_analysis.explore import engine as explore
from spf_analysis.explore import serve
from spf_analysis.report.exhibits import SYNTHETIC_LABEL
from spf_analysis.config import labels

#: Monte Carlo draws of the app's band (chapter 4 uses params/04_costing_options.yaml n_draws; the same
#: distributions and seed, fewer draws, so that a change updates in under half a second)
APP_DRAWS = 1000

pn.extension(sizing_mode="stretch_width")


def _engine() -> explore.Explorer:
    if "explorer" not in pn.state.cache:
        pn.state.cache["explorer"] = explore.Explorer(serve.scenarios_dir(), n_draws=APP_DRAWS)
    return pn.state.cache["explorer"]


def _label(ident) -> str:
    try:
        return labels.label(str(ident))
    except Exception:
        return str(ident).replace("_", " ")


def _table(df: pd.DataFrame, cls: str) -> str:
    """A plain HTML table of ``df``'s (already formatted) cells, escaped (a few rows: written directly, not with
    ``DataFrame.to_html``, which takes most of the rendering time of an update)."""
    esc = html.escape
    head = "".join(f"<th>{esc(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False, name=None))
    return f'<div class="{cls}"><table class="dataframe"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _shown(f) -> str:
    """A saved file's path, relative to the project when it is inside it (``params/scenarios/<name>.yaml``)."""
    from spf_analysis.config import paths

    try:
        return str(f.resolve().relative_to(paths.ROOT.resolve()))
    except ValueError:
        return str(f)


def _bn(x) -> str:
    return f"{x / 1e9:,.1f}"


class App:
    def __init__(self):
        self.ex = _engine()
        ref = self.ex.reference
        self.max_age = ref.max_age
        years = [int(y) for y in ref.years]
        self.busy = False
        names = self.ex.names()
        self.start = pn.widgets.Select(label="Start from scenario", options={self._scenario_label(n): n for n in names},
                                       value=self.ex.settings.reference_scenario, css_classes=["ctl-start"])
        self.year = pn.widgets.Select(label="Year (fiscal year, named by its end)", options=years[1:],
                                      value=self.ex.settings.reference_year, css_classes=["ctl-year"])
        self.widgets: dict[str, dict] = {}
        cards = []
        for b in ref.benefits:
            w = self._provision_widgets(b, years)
            self.widgets[b.name] = w
            cards.append(pn.Card(*[v for k, v in w.items() if k != "_fixed"], title=_label(b.name), collapsed=True,
                                 css_classes=[f"card-{b.name}"]))
        self.name = pn.widgets.TextInput(label="Scenario name (file params/scenarios/<name>.yaml)", placeholder="e.g. kp_child_under5",
                                         css_classes=["ctl-save-name"])
        self.title = pn.widgets.TextInput(label="Label (what a reader sees)", placeholder="e.g. Child benefit under 5, BISP families",
                                          css_classes=["ctl-save-label"])
        self.save_btn = pn.widgets.Button(label="Save as scenario", color="primary", css_classes=["ctl-save"])
        self.add_study = pn.widgets.Checkbox(
            label="Add it to the study (params/run.yaml scenarios): make report then rebuilds the study with it",
            value=False, css_classes=["ctl-save-study"])
        self.save_msg = pn.pane.Markdown("", css_classes=["save-msg"])
        self.save_btn.on_click(self._save)
        self.headline = pn.pane.HTML("", css_classes=["headline"])
        self.out_cost = pn.pane.HTML("")
        self.out_band = pn.pane.HTML("")
        self.out_pov = pn.pane.HTML("")
        self.out_cov = pn.pane.HTML("")
        self.out_fin = pn.pane.HTML("")
        self.start.param.watch(self._load, "value")
        self.year.param.watch(lambda e: self.update(), "value")
        for w in self.widgets.values():
            for k, v in w.items():
                if k != "_fixed":
                    v.param.watch(lambda e: self.update(), "value")
        self._set_controls(self.ex.load(self.start.value))
        side = pn.Column("### Scenario", self.start, self.year, "### Provisions (the package)", *cards,
                         "### Save", self.name, self.title, self.save_btn, self.add_study, self.save_msg, width=420, sizing_mode="stretch_height")
        main = pn.Column(self.headline, "### Cost path of the package", self.out_cost,
                         "### Monte Carlo band", self.out_band, "### Poverty with and without the package", self.out_pov,
                         "### Coverage of the new cash benefits", self.out_cov,
                         "### Which fiscal-space options could finance it", self.out_fin)
        self.layout = pn.Row(side, main)
        self.update()

    def _scenario_label(self, name: str) -> str:
        """A scenario's own label (its file's ``label``; a file saved while the app runs has one too)."""
        try:
            return self.ex.load(name).label or _label(name)
        except Exception:
            return _label(name)

    # ------------------------------------------------------------------ widgets
    def _provision_widgets(self, b, years) -> dict:
        n = b.name
        fixed_target = b.kind != "cash" or b.basis != "population" or b.targeting_rule() not in explore.CHOOSABLE
        level_fixed = b.level_type not in explore.LEVEL_UNITS
        w = {"on": pn.widgets.Checkbox(label="Included in the package", css_classes=[f"ctl-{n}-on"])}
        if b.basis == "population":
            w["ages"] = pn.widgets.IntRangeSlider(label=f"Eligible ages (years; {self.max_age} = no upper age)", start=0,
                                                  end=self.max_age, step=1, css_classes=[f"ctl-{n}-ages"])
        unit_opts = ({f"{explore.FIXED_UNITS[b.level_type]} (as loaded)": b.level_type} if level_fixed
                     else {v: k for k, v in explore.LEVEL_UNITS.items()})
        w["unit"] = pn.widgets.Select(label="Benefit level in", options=unit_opts, disabled=level_fixed,
                                      css_classes=[f"ctl-{n}-unit"])
        w["level"] = pn.widgets.FloatInput(label="Benefit level (% of the reference, or Rs a month)", start=0, step=1,
                                           disabled=level_fixed, css_classes=[f"ctl-{n}-level"])
        w["base_year"] = pn.widgets.Select(label="Prices of the rupee amount (CPI indexation from)", options=years,
                                           css_classes=[f"ctl-{n}-base"])
        opts = {explore.TARGETING[r]: r for r in ((b.targeting_rule(),) if fixed_target else explore.CHOOSABLE)}
        w["targeting"] = pn.widgets.Select(label="Targeting", options=opts, disabled=fixed_target, css_classes=[f"ctl-{n}-target"])
        w["prevalence"] = pn.widgets.FloatSlider(label="Eligible share of the age group (%)", start=0, end=100, step=0.5,
                                                 css_classes=[f"ctl-{n}-prev"])
        w["takeup"] = pn.widgets.FloatSlider(label="Take-up when phased in (%)", start=0, end=100, step=1,
                                             css_classes=[f"ctl-{n}-takeup"])
        w["start_year"] = pn.widgets.Select(label="First year paid", options=years[1:], css_classes=[f"ctl-{n}-startyear"])
        w["phase"] = pn.widgets.IntInput(label="Phase-in (years to full take-up)", start=1, end=10, css_classes=[f"ctl-{n}-phase"])
        w["_fixed"] = (fixed_target, level_fixed)

        def enable(*_):  # a control that does not apply is greyed out
            w["base_year"].disabled = w["unit"].value != "indexed"
            w["prevalence"].disabled = w["targeting"].value == "universal"

        def default_share(event):  # a rule chosen starts from its derived eligible share (not while loading)
            share = self.ex.default_shares.get(event.new)
            if not self.busy and share is not None:
                self.busy = True  # one update follows, from the targeting itself
                try:
                    w["prevalence"].value = round(share * 100, 2)
                finally:
                    self.busy = False

        w["targeting"].param.watch(default_share, "value")  # registered before the update: runs first
        w["unit"].param.watch(enable, "value")
        w["targeting"].param.watch(enable, "value")
        enable()
        return w

    def _set_controls(self, sc) -> None:
        self.busy = True
        try:
            self.loaded = self.ex.controls(sc)
            for n, c in self.loaded.items():
                w = self.widgets[n]
                w["on"].value = c.on
                if "ages" in w:
                    w["ages"].value = (int(c.age_min), int(c.age_max) if c.age_max is not None else self.max_age)
                w["unit"].value = c.level_type
                w["level"].value = round(c.level, 4)
                w["base_year"].value = c.base_year or self.ex.settings.horizon_start
                w["targeting"].value = c.targeting
                w["prevalence"].value = round(c.prevalence * 100, 2)
                w["takeup"].value = round(c.takeup * 100, 2)
                w["start_year"].value = c.start_year
                w["phase"].value = c.phase_years
        finally:
            self.busy = False

    def controls(self) -> dict:
        """The widgets as :class:`explore.Controls` (a value shown as loaded keeps the loaded value exactly)."""
        out = {}
        for n, w in self.widgets.items():
            old = self.loaded[n]
            def same(shown, exact, v, scale=1.0):  # the widget still shows the loaded value: keep it exactly
                return exact if v == shown else v / scale
            if "ages" in w:
                lo, hi = w["ages"].value
                amin, amax = int(lo), (None if hi >= self.max_age else int(hi))
            else:
                amin, amax = old.age_min, old.age_max
            out[n] = explore.Controls(
                on=bool(w["on"].value), age_min=amin, age_max=amax, level_type=w["unit"].value,
                level=same(round(old.level, 4), old.level, float(w["level"].value)),
                base_year=int(w["base_year"].value) if w["unit"].value == "indexed" else old.base_year,
                targeting=w["targeting"].value,
                prevalence=same(round(old.prevalence * 100, 2), old.prevalence, float(w["prevalence"].value), 100),
                takeup=same(round(old.takeup * 100, 2), old.takeup, float(w["takeup"].value), 100),
                start_year=int(w["start_year"].value), phase_years=int(w["phase"].value))
            if out[n].targeting == "universal" and old.targeting != "universal":
                out[n] = explore.Controls(**{**out[n].__dict__, "prevalence": 1.0})
        return out

    def _load(self, event) -> None:
        self._set_controls(self.ex.load(self.start.value))
        self.update()

    # ------------------------------------------------------------------ outputs
    def update(self) -> None:
        if self.busy:
            return
        t0 = time.perf_counter()
        try:
            sc, self.spec = self.ex.scenario_from_controls(self.controls(), self.start.value)
            t_build = time.perf_counter() - t0
            r = self.ex.evaluate(sc, int(self.year.value))
            r["seconds"] = {"scenario": t_build, **r["seconds"]}
        except Exception as e:  # a control the engine refuses: say why, keep the last outputs
            self.headline.object = f'<div class="error" style="color:#b00">Not computed: {html.escape(str(e))}</div>'
            return
        t_eval = time.perf_counter() - t0
        self.render(r, int(self.year.value), t_eval)
        r["seconds"]["render"] = time.perf_counter() - t0 - t_eval
        print("explore: update in", round(time.perf_counter() - t0, 3), "s:", {k: round(v, 3) for k, v in r["seconds"].items()},
              flush=True)

    def render(self, r: dict, year: int, secs: float) -> None:
        syn = self.ex.synthetic
        path = r["path"].set_index("year")
        y = path.loc[year]
        self.headline.object = (
            f'<h2>Cost in FY {year - 1}-{year % 100:02d}: <span class="cost">Rs {_bn(y["cost"])} billion</span></h2>'
            f'<p>{y["cost_pct_gdp"]:.2f}% of KP GDP · {y["cost_pct_national_gdp"]:.3f}% of national GDP · '
            f'{y["cost_pct_budget"]:.1f}% of the KP budget · net of existing schemes Rs {_bn(y["net"])} billion '
            f'({y["net_pct_gdp"]:.2f}% of KP GDP), of which the KP budget pays Rs {_bn(y["provincial"])} billion</p>'
            f'<p class="timing">Updated in <span class="secs">{secs:.2f}</span> s (server)</p>')
        t = path.reset_index()
        t = t[t["year"] > t["year"].min()]
        show = pd.DataFrame({"Fiscal year (ending)": t["year"], "Gross cost (Rs bn)": t["cost"].map(_bn),
                             "Gross cost (% of KP GDP)": t["cost_pct_gdp"].map("{:.2f}".format),
                             "Gross cost (% of national GDP)": t["cost_pct_national_gdp"].map("{:.3f}".format),
                             "Gross cost (% of the KP budget)": t["cost_pct_budget"].map("{:.1f}".format),
                             "Net of existing schemes (Rs bn)": t["net"].map(_bn),
                             "Net, paid by KP (% of the KP budget)": t["provincial_pct_budget"].map("{:.1f}".format)})
        self.out_cost.object = _table(show, "t-cost")
        b = r["band"]
        b = b[b["year"] > b["year"].min()]
        self.out_band.object = (f"<p>Gross cost, % of KP GDP: quantiles of {self.ex.n_draws:,} Monte Carlo draws "
                                "(chapter 4's distributions and seed; the report uses more draws).</p>" + _table(pd.DataFrame({
                                    "Fiscal year (ending)": b["year"], **{f"{int(c[1:])}th percentile (% of KP GDP)": b[c].map("{:.2f}".format)
                                                                          for c in ("q05", "q25", "q50", "q75", "q95")}}), "t-band"))
        tag = f'<p class="synthetic"><b>{SYNTHETIC_LABEL}</b></p>' if syn else ""
        im = r["impact"].set_index("indicator")
        rows = []
        for k in ("headcount_pre", "headcount_post", "gap_pre", "gap_post"):
            e = im.loc[k]
            rows.append({"Indicator": _label(k), "Estimate (%)": f"{100 * e['estimate']:.1f}",
                         f"{self.ex.level:.0%} confidence interval (%)": f"{100 * e['ci_low']:.1f} to {100 * e['ci_high']:.1f}"})
        self.out_pov.object = (tag + f"<p>Survey simulation in {year} (chapter 5's rules); headcount in % of persons, "
                               "gap in % of the poverty line.</p>" + _table(pd.DataFrame(rows), "t-pov"))
        q = r["coverage_quintile"]
        qn = {1: "Q1 (poorest)", 5: "Q5 (richest)"}
        cq = pd.DataFrame({"Quintile of consumption": q["quintile"].map(lambda v: qn.get(int(v), f"Q{int(v)}")),
                           "Persons covered (%)": (100 * q["estimate"]).map("{:.1f}".format),
                           "Confidence interval (%)": [f"{100 * a:.1f} to {100 * b_:.1f}" for a, b_ in zip(q["ci_low"], q["ci_high"])]})
        g = r["coverage_group"]
        cg = pd.DataFrame({"Life-cycle group (ages)": g["group"].astype(str),
                           "Persons covered (%)": (100 * g["estimate"]).map("{:.1f}".format),
                           "Confidence interval (%)": [f"{100 * a:.1f} to {100 * b_:.1f}" for a, b_ in zip(g["ci_low"], g["ci_high"])]})
        self.out_cov.object = (tag + "<p>Persons in a household that receives at least one new cash benefit.</p>"
                               + _table(cq, "t-covq") + _table(cg, "t-covg"))
        f = r["financing"]
        if f is None:
            self.out_fin.object = "<p>Nothing to finance: the KP budget pays nothing in this year.</p>"
        else:
            fs = pd.DataFrame({"Yields": f["bound"].map({"low": "low", "high": "high"}),
                               "Cost paid by KP (Rs bn)": f["cost"].map(_bn),
                               "All options together (Rs bn)": f["total_yield"].map(_bn),
                               "Share of the cost covered (%)": f["covered_pct"].map("{:.0f}".format),
                               "Financed": f["financed"].map({True: "yes", False: "no"}),
                               "Options needed, largest first": f["options"]})
            self.out_fin.object = ("<p>Chapter 6's ILO fiscal-space options for KP, low and high yields, against the net cost "
                                   f"the KP budget carries in {year}.</p>" + _table(fs, "t-fin"))

    def _save(self, event) -> None:
        try:
            controls = self.controls()
            _, spec = self.ex.scenario_from_controls(controls, self.start.value, name=self.name.value.strip(),
                                                     label=self.title.value)
            f = self.ex.save(spec)
        except Exception as e:
            self.save_msg.object = f"**Not saved:** {e}"
            return
        self.start.options = {self._scenario_label(n): n for n in self.ex.names()}  # "load" offers it (before the message)
        if not self.add_study.value:
            self.save_msg.object = (f"Saved `{_shown(f)}`. `make report` costs it when its name is added to "
                                    "`scenarios` in `params/run.yaml` (tick \"Add it to the study\").")
            return
        try:
            rf = explore.add_to_study(spec["name"], run_file=self._run_file(), scenarios_dir=self.ex.dir)
        except Exception as e:
            self.save_msg.object = f"Saved `{_shown(f)}`; **not added to the study:** {e}"
            return
        self.save_msg.object = (f"Saved `{_shown(f)}` and added `{spec['name']}` to `scenarios` in `{_shown(rf)}`: "
                                "`make report` rebuilds the whole study with it.")

    def _run_file(self):
        """The run.yaml to add a saved scenario to: ``--run-file``, else ``params/run.yaml`` -- the latter only when the
        app serves ``params/scenarios`` (the build reads the two together; a name whose file is elsewhere would
        break it)."""
        from spf_analysis.model import costing

        rf = serve.run_file()
        if rf is None and self.ex.dir.resolve() != costing.scenario_dir().resolve():
            raise explore.ExplorerError(f"the app serves the scenarios of {self.ex.dir}, not params/scenarios, which "
                                        "params/run.yaml lists (start it with --run-file FILE to add to another run.yaml)")
        return rf


def page():
    return pn.Column("# KP Social Protection Floor: scenario explorer", App().layout)


if __name__.startswith("bokeh_app"):  # served by `panel serve` (python -m spf_analysis.explore)
    page().servable(title="KP SPF scenario explorer")
