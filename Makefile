# Social Protection Floor rapid assessment for Khyber Pakhtunkhwa: the build.
# `make help` lists the targets. Every output is a file target of its inputs:
# a notebook re-runs only when its source, its parameters, the package code it
# uses or its data change. Outputs are written to temporary names and moved
# into place on success, so an interrupted build leaves nothing half-written.

SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.SUFFIXES:

PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
READY  := $(VENV)/.ready
LAB_READY := $(VENV)/.lab
EXPLORE_READY := $(VENV)/.explore

# Reproducibility: fixed hash seed; fixed timestamp for fonts embedded in the PDF.
export PYTHONHASHSEED := 0
export SOURCE_DATE_EPOCH := 1451606400
# Bytecode is cached (__pycache__/, ignored by git), also when the caller's environment says not
# to: every step and every kernel imports the package, and without the cache each compiled it again
# from source (about 0.2 s a process, 25 processes in a cold build)
unexport PYTHONDONTWRITEBYTECODE
export MPLBACKEND := Agg
# One BLAS thread per process. make runs as many steps side by side as the machine has cores, and
# the OpenBLAS thread pools of those processes (numpy's and scipy's, two in each) then wait on each
# other: chapter 5's survey regression (5,760 households x 50 terms) took 2.7 s with two threads
# and 0.12 s with one, on 2 cores with another step running. On a full build only the last bits of
# chapter 5's reconciliation residuals (about 1e-14 %, zero by construction) differ between the two.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1

# Parallel by default: notebooks that do not depend on each other run at the same time, as many
# as the machine has cores, unless -j was given (`make -j1 report` runs one at a time). Each
# step's output is printed as one block when it ends (--output-sync), so a failing notebook's
# error is not interleaved with the progress lines of the others; not for the test, lab,
# crosscheck and bench targets, whose output should show as it comes. (A make started by another
# make shares its jobs: nothing is added then.)
ifeq ($(MAKELEVEL)$(filter -j% --jobserver%,$(MAKEFLAGS)),0)
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 1)
endif
ifeq ($(filter test lab crosscheck bench,$(MAKECMDGOALS)),)
MAKEFLAGS += --output-sync=target
endif
# `make clean report`: the goals one after the other (in parallel the clean would race the build)
ifneq ($(filter clean distclean,$(MAKECMDGOALS)),)
.NOTPARALLEL:
endif

# ----------------------------------------------------------------- environment
# pip shows its progress on the first setup (no environment yet: minutes of downloads) and is quiet
# when it only updates one (make expands the recipe before it runs, so this sees the state before)
PIP_PROGRESS = $(if $(wildcard $(PY)),--quiet,--progress-bar on)
$(READY): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
	  { echo "error: Python 3.11 is required (PYTHON=$(PYTHON)); set PYTHON=/path/to/python3.11" >&2; exit 1; }
	test -x $(PY) || { echo "first setup: creating $(VENV) and installing the pinned packages (a few minutes)"; $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install $(PIP_PROGRESS) --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name spf-kp --display-name "Python (spf-kp)" >/dev/null
	touch $@

.PHONY: venv
venv: $(READY) ## Create the Python 3.11 virtual environment with pinned packages and the spf-kp kernel

# ---------------------------------------------------------------------- stamps
# $(call stamp,FILE,VAR) rewrites FILE only when the value of the variable VAR changed, so that
# a rule depending on FILE re-runs when a value given on the command line (or in the
# environment) changes, and only then. Make functions only: no shell ever sees the value.
define stamp
ifneq ($$(wildcard $(1))$$(file <$(1)),$(1)$$($(2)))
$$(file >$(1),$$($(2)))
endif
endef
$(shell mkdir -p reports/.build/args data/processed)

# $(call content_stamp,FILE,FILES) rewrites FILE only when the sha256 of one of FILES changed, so that
# a rule depending on FILE (instead of the files) re-runs when their content changes, not when they
# are merely touched or rewritten with the same bytes. Without sha256sum it changes on every run
# (the step then always runs, as if the files had changed: never a stale output).
content_stamp = $(eval _digest := $(shell sha256sum $(2) 2>/dev/null || date +%s%N))$(eval $(call stamp,$(1),_digest))

# Content checks (spf_analysis.config.digest): a step that make starts skips its work when every
# input has the bytes of its last successful run, and only touches its outputs; the rule's
# prerequisites reach it in SPF_INPUTS, its outputs in SPF_OUTPUTS (make functions, no shell).
DIGEST := $(PY) -m spf_analysis.config.digest
# A step run as `$(STEP) MODULE ARGS` is `python -m MODULE ARGS` run in a process forked from the
# build's server (spf_analysis.forked, spf_analysis.kernels), which has the libraries the steps and the
# kernels import already loaded; the first step starts the server and runs in its own process.
STEP := $(PY) -m spf_analysis.forked -m

# ------------------------------------------------------------ code dependencies
# Which package files each notebook and build step uses is derived from the imports
# (spf_analysis.config.deps, standard library only) into a fragment that make includes and
# regenerates whenever a notebook or a module changes: DATA_MODULES, SURVEY_MODULES,
# MODEL_MODULES, RUNNER_MODULES, REPORT_MODULES and one rule per executed notebook.
DEPS_MK := reports/.build/deps.mk
# (run by the environment's Python once it exists: the same 3.11, started directly; PYTHON may be a
# version manager's shim, which spent 0.3 s finding it before every cold build's first step)
$(DEPS_MK): $(shell find spf_analysis -name '*.py' 2>/dev/null | sort) $(wildcard notebooks/*.ipynb)
	@$(or $(wildcard $(PY)),$(PYTHON)) -m spf_analysis.config.deps $@
include $(DEPS_MK)

# ------------------------------------------------------------------------ data
RAW := $(shell find data/raw -type f ! -name '.*' 2>/dev/null | sort)
# every processed table (spf_analysis.data.io.PROCESSED_TABLES; a test keeps the two equal)
TABLES := census_province_age_sex census_district_age_sex census_district_totals \
          census_district_crosswalk census_published_rates \
          macro_indicators poverty_indicators health_indicators sehat_utilisation sdg131_anchors fiscal_space_indicators schemes scheme_facts scheme_series \
          scheme_benefit_levels labour_census disability_census disability_severity \
          district_indicators
PROCESSED := $(TABLES:%=data/processed/%.parquet)
# the raw files and the input bounds count by their content: touching one re-runs nothing
RAW_STAMP := data/processed/.raw.sha256
$(call content_stamp,$(RAW_STAMP),$(RAW) params/input_bounds.csv)
# spf_analysis.data.io writes every table atomically; without .PRECIOUS, .DELETE_ON_ERROR would
# delete the untouched sibling tables of the grouped rule when an input is bad.
.PRECIOUS: $(PROCESSED)

# data.io --verify: data/raw checked against its manifest first, in the same Python as the build
$(PROCESSED): export SPF_INPUTS = $^
$(PROCESSED): export SPF_OUTPUTS = $(PROCESSED)
$(PROCESSED) &: $(RAW_STAMP) $(DATA_MODULES) | $(READY)
	@$(DIGEST) check data || { $(STEP) spf_analysis.data.io --verify && $(DIGEST) record data; }

.PHONY: data verify
data: $(PROCESSED) ## Verify data/raw against its manifest and build data/processed/
verify: | $(READY) ## Check every raw file against data/raw/manifest.csv (source, sha256)
	$(PY) -m spf_analysis.data.manifest verify

# ---------------------------------------------------------------------- survey
# The household survey: SURVEY=synthetic (default; params/survey.yaml) or a PBS round read from
# SURVEY_DIR, e.g. `make report SURVEY=pbs-hies-2018-19 SURVEY_DIR=/path/to/dta`. Same processed
# schema either way. The values reach Python through the environment (make exports its
# command-line variables), never a shell; spf_analysis.household.source validates them (a known
# round, an existing folder). The survey tables are rebuilt when the values given change (stamp).
SURVEY_CFG := data/processed/.survey_config
SURVEY_GIVEN = $(SURVEY)|$(SURVEY_DIR)|$(SURVEY_FILE)
$(eval $(call stamp,$(SURVEY_CFG),SURVEY_GIVEN))
SURVEY_TABLES := data/processed/survey_persons.parquet data/processed/survey_households.parquet
.PRECIOUS: $(SURVEY_TABLES)  # written atomically; a failed run keeps the previous survey

$(SURVEY_TABLES): export SPF_INPUTS = $^
$(SURVEY_TABLES): export SPF_OUTPUTS = $(SURVEY_TABLES)
$(SURVEY_TABLES) &: $(SURVEY_CFG) $(or $(SURVEY_FILE),params/survey.yaml) $(SURVEY_MODULES) params/survey_synthetic.yaml \
	$(wildcard params/codebooks/*.yaml) data/raw/survey_targets/kp_calibration_targets.csv params/input_bounds.csv $(PROCESSED) | $(READY)
	$(STEP) spf_analysis.household.source build

.PHONY: survey survey-info
survey: $(SURVEY_TABLES) ## Build the survey tables (SURVEY=synthetic or a PBS round with SURVEY_DIR)
survey-info: | $(READY) # the survey the build will use (params/survey.yaml, SURVEY, SURVEY_DIR), validated
	@$(PY) -m spf_analysis.household.source info

# ------------------------------------------------------------------- model run
# Projection -> macro frame -> RAP costs of every scenario of params/run.yaml, and the Monte Carlo's
# demographic grid (fertility range of the calibration x the mortality multipliers of
# spf_analysis.model.montecarlo), once per build (spf_analysis.model.pipeline); chapters 04-07, the
# summary, the microsimulation and the explorer read it (spf_analysis.model.pipeline.FILES).
MODEL_RUN := $(addprefix data/interim/,model_calibration.parquet model_population.parquet model_births.parquet \
	model_macro_frame.parquet model_costs.parquet model_net_costs.parquet model_existing_spending.parquet \
	model_grid_population.parquet model_grid_births.parquet model_settings.json)
.PRECIOUS: $(MODEL_RUN)  # written all or nothing; a failed run keeps the previous one
$(MODEL_RUN): export SPF_INPUTS = $^
$(MODEL_RUN): export SPF_OUTPUTS = $(MODEL_RUN)
$(MODEL_RUN) &: $(MODEL_MODULES) params/run.yaml $(wildcard params/scenarios/*.yaml) $(wildcard params/policy/*.yaml) \
	data/raw/census/kp_population_age_sex.csv $(wildcard data/raw/un_wpp/wpp2019_*.tsv) \
	data/raw/demography/pdhs_total_fertility.csv params/input_bounds.csv data/processed/macro_indicators.parquet \
	data/processed/health_indicators.parquet params/existing_schemes.yaml data/processed/scheme_series.parquet \
	data/processed/schemes.parquet | $(READY)
	@$(DIGEST) check model || { $(STEP) spf_analysis.model.pipeline && $(DIGEST) record model; }

.PHONY: model
model: $(MODEL_RUN) ## The model run: projection, macro frame and costs of every scenario (data/interim/)

# ------------------------------------------------------------------- notebooks
NOTEBOOKS := S_executive_summary 00_data_sources 01_demographic_profile 02_mapping_schemes 03_coverage_gaps 04_costing_options 05_distributional_impact 06_fiscal_space 07_assessment_matrix 08_policy_framework A_assumptions
EXECUTED  := $(NOTEBOOKS:%=reports/notebooks/%.ipynb)
# The order of a full build. In parallel, make walks the prerequisite lists in order and starts each
# step it finds ready; when no job slot is free it waits on that step, then walks on from there, and
# only when it reaches the end does it walk again from the start. The longest chain is data -> model
# run -> 05 -> 06 -> summary -> report, so in a full build the report lists 05 and 04 first, then
# 03, then 06 (the first step found ready when 05 ends), then 07 and the summary, then 01 (07 and 01
# fill the time 05 takes after 04: 01 waits for 04, 07 reads it; the summary reads 01, 06 and 07).
# The other short notebooks wait for 06: when 05 ends, none of them is ready, and 06 takes the job.
# Order only: a change to 04 or 06 re-runs none of them. (Cold builds: with 06 after 01 and 07, 07
# took the job 05 left; with the short ones waiting for 05 only, make sometimes walked them first and
# 06 ran 2.5 s late, the summary after it, alone at the end.)
FIRST_NOTEBOOKS := 05_distributional_impact 04_costing_options 03_coverage_gaps 06_fiscal_space \
	07_assessment_matrix S_executive_summary 01_demographic_profile
START_ORDER := $(patsubst %,reports/notebooks/%.ipynb,$(FIRST_NOTEBOOKS) $(filter-out $(FIRST_NOTEBOOKS),$(NOTEBOOKS)))
AFTER_04 := 01_demographic_profile
AFTER_06 := 00_data_sources 02_mapping_schemes 08_policy_framework A_assumptions
ifneq ($(filter report notebooks test,$(or $(MAKECMDGOALS),report)),)
$(AFTER_04:%=reports/notebooks/%.ipynb): | reports/notebooks/04_costing_options.ipynb
$(AFTER_06:%=reports/notebooks/%.ipynb): | reports/notebooks/06_fiscal_space.ipynb
endif
# the ordered list reaches the runner through the environment (no shell sees it): each run
# prints its place in it and its time, `[3/11] 03_coverage_gaps ... 12.4 s` (spf_analysis.build)
export SPF_NOTEBOOKS := $(NOTEBOOKS)
# the labels of every id an exhibit shows (spf_analysis.config.labels), read by every chapter and the workbook
LABELS := $(wildcard params/labels/*.yaml)
# every notebook run: the runner, the notebook's parameters and the settings shared by chapters;
# the package files a notebook imports come from $(DEPS_MK); its data inputs are listed below
# Command-line overrides, `make report ARGS_04_costing_options='tornado_year=2033'`: make exports
# ARGS_<notebook> to the runner's environment (no shell sees the value) and keeps it in a stamp,
# so that adding, changing or removing an override re-runs that notebook (and Annex A, which lists it).
$(foreach nb,$(NOTEBOOKS),$(eval $(call stamp,reports/.build/args/$(nb).args,ARGS_$(nb))))
.PRECIOUS: $(EXECUTED)  # replaced only by a successful run (spf_analysis.build)
# the runner skips a notebook whose inputs have the bytes of its last run (spf_analysis.config.digest)
reports/notebooks/%.ipynb: export SPF_INPUTS = $^
reports/notebooks/%.ipynb: notebooks/%.ipynb params/%.yaml params/run.yaml reports/.build/args/%.args \
	$(RUNNER_MODULES) data/raw/manifest.csv docs/references.csv $(LABELS) | $(READY)
	@$(STEP) spf_analysis.build $*

# what each notebook reads (processed data, parameter files, other chapters' tables)
reports/notebooks/03_coverage_gaps.ipynb: data/raw/survey_targets/kp_calibration_targets.csv params/policy/baseline.yaml $(SURVEY_TABLES) \
	data/processed/sehat_utilisation.parquet data/processed/census_district_totals.parquet \
	data/processed/sdg131_anchors.parquet data/processed/schemes.parquet
# chapters 04-06: the model run (with the Monte Carlo's demographic grid), the scenario and policy files
COSTING_DEPS := $(MODEL_RUN) $(wildcard params/scenarios/*.yaml) $(wildcard params/policy/*.yaml) params/existing_schemes.yaml \
	data/processed/macro_indicators.parquet data/processed/health_indicators.parquet
# chapter 04 also compares the projection with the WPP rates (section 4.1)
reports/notebooks/04_costing_options.ipynb: $(COSTING_DEPS) $(wildcard data/raw/un_wpp/wpp2019_*.tsv)
# chapter 05: microsimulation of the scenarios on the survey, reconciled with the RAP costs
reports/notebooks/05_distributional_impact.ipynb: $(COSTING_DEPS) \
	data/raw/survey_targets/kp_calibration_targets.csv $(SURVEY_TABLES)
reports/notebooks/06_fiscal_space.ipynb: $(COSTING_DEPS) data/processed/fiscal_space_indicators.parquet \
	data/processed/scheme_series.parquet data/processed/schemes.parquet reports/notebooks/05_distributional_impact.ipynb
reports/notebooks/01_demographic_profile.ipynb: $(PROCESSED)
# chapter 00: provenance tables from the manifest, every raw file (row and confidence counts,
# conflicts, derivations), the census tables, the survey config and its calibration targets
reports/notebooks/00_data_sources.ipynb: $(RAW_STAMP) $(PROCESSED) params/survey_synthetic.yaml \
	$(wildcard params/codebooks/*.yaml) $(SURVEY_TABLES)
# chapter 02: the scheme inventory, series, benefit levels, CPI and KP budget
reports/notebooks/02_mapping_schemes.ipynb: data/processed/schemes.parquet data/processed/scheme_series.parquet \
	data/processed/scheme_benefit_levels.parquet data/processed/macro_indicators.parquet
# chapter 07: the assessment matrix reads the inventory, params/matrix.yaml and the published
# tables of chapters 03 (protection gaps) and 04 (costs), i.e. their executed notebooks, the model run
# (cost of each recommendation) and the phased roadmap scenario (its dates make the phases)
reports/notebooks/07_assessment_matrix.ipynb: params/matrix.yaml params/scenarios/kp_medium_roadmap.yaml data/processed/schemes.parquet $(MODEL_RUN) \
	reports/notebooks/03_coverage_gaps.ipynb reports/notebooks/04_costing_options.ipynb
# chapter 08: the framework facts, the 2013 mapping-study facts (strategy launch), the inventory, the census
# activity table, the KP minimum wage, the option labels and the reference scenario (informal share)
reports/notebooks/08_policy_framework.ipynb: data/raw/framework/legal_framework.csv data/raw/schemes/mapping_study_2013.csv \
	data/processed/schemes.parquet data/processed/labour_census.parquet data/processed/macro_indicators.parquet \
	params/matrix.yaml $(wildcard params/scenarios/*.yaml)
# the executive summary (first in the report) reads the published tables of the chapters
# (READS_S_executive_summary, from spf_analysis.report.summary.TABLES via $(DEPS_MK)): it runs after
# the chapters that publish them, and the runner skips it when those tables (and the rows of their
# chapter indexes) came out with the same bytes, e.g. after a change in chapter 01 that touches
# none of the figures it quotes
reports/notebooks/S_executive_summary.ipynb: data/processed/schemes.parquet \
	$(sort $(foreach t,$(READS_S_executive_summary),$(filter reports/notebooks/$(firstword $(subst _, ,$(notdir $(t))))_%,$(EXECUTED))))
# the assumptions annex (last) reads every parameter file and the values the other notebooks ran
# with: a notebook given a command-line override (ARGS_<notebook>) is read from its executed copy,
# so that one is a prerequisite; the others ran with their parameter files (their override stamps
# reports/.build/args/*.args are empty, spf_analysis.report.annex.build_overrides), so the annex
# runs beside them. It lists only values the build accepted: after the survey step and the model
# run, which check the survey, run, scenario, policy and existing-scheme files (order only: their
# outputs are not read), and it checks each notebook's parameter file as the runner does.
reports/notebooks/A_assumptions.ipynb: $(filter-out params/A_assumptions.yaml,$(wildcard params/*.yaml)) \
	$(wildcard params/policy/*.yaml) $(wildcard params/scenarios/*.yaml) \
	$(filter-out reports/.build/args/A_assumptions.args,$(NOTEBOOKS:%=reports/.build/args/%.args)) \
	$(foreach nb,$(filter-out A_assumptions,$(NOTEBOOKS)),$(if $(ARGS_$(nb)),reports/notebooks/$(nb).ipynb)) \
	| $(SURVEY_TABLES) $(MODEL_RUN)

# ---------------------------------------------------------------------- report
REPORT := reports/rapid_assessment.html reports/rapid_assessment.pdf reports/rapid_assessment_tables.xlsx
# all three replaced together, only when the whole step succeeded (spf_analysis.report.assemble);
# without .PRECIOUS, .DELETE_ON_ERROR would delete the published report when a later step fails
.PRECIOUS: $(REPORT)

# the title page names the commit (its hash and date): a new commit re-assembles the report
GIT_HEAD := $(wildcard .git/HEAD .git/refs/heads/* .git/packed-refs)
# headless Chromium prints the PDF: ensured in the recipe (as a prerequisite, phony, it would keep
# `make -q report` from ever seeing the report up to date)
$(REPORT) &: $(START_ORDER) $(REPORT_MODULES) \
	spf_analysis/report/assets/report.css params/report.yaml docs/references.csv docs/abbreviations.csv \
	data/raw/manifest.csv $(LABELS) $(GIT_HEAD) | $(READY)
	@$(MAKE) -s --no-print-directory chromium
	$(STEP) spf_analysis.report.assemble $(EXECUTED)

.PHONY: report notebooks
report: $(REPORT) ## Build the study: data, notebooks, the report (.html, .pdf) and its tables (.xlsx)
notebooks: $(START_ORDER) ## Execute the notebooks only (reports/notebooks/)

# ----------------------------------------------------------------------- tests
.PHONY: test chromium
test: $(PROCESSED) $(REPORT) | $(READY) chromium $(LAB_READY) $(EXPLORE_READY) ## Unit tests, nbval over the notebooks, browser check of the report, JupyterLab serving /lab, the scenario explorer
	SPF_OUTPUT_DIR=$$(mktemp -d) SPF_REQUIRE_BROWSER=1 SPF_REQUIRE_LAB=1 SPF_REQUIRE_EXPLORE=1 \
	  $(PY) -m pytest -q -p no:cacheprovider --nbval-lax tests $(NOTEBOOKS:%=notebooks/%.ipynb)

chromium: # headless Chromium: prints the PDF, runs the browser check (Debian package; installed when root)
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Chromium (Debian package): PDF printer and browser check"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "error: the PDF and the browser check need Chromium: sudo apt-get install chromium" >&2; exit 1; fi; }

.PHONY: crosscheck
crosscheck: | $(READY) ## Survey engine vs live R `survey`, poverty/inequality vs R `laeken` (installs them)
	$(PY) tools/crosscheck_survey.py
	$(PY) tools/crosscheck_laeken.py

.PHONY: bench
# every figure is a ratio against a baseline measured in the same run, printed and appended to
# reports/bench.csv (bench/record.py); the run is named by its start time, and the summary prints
# its table and fails when a goal or a numerical check was missed (the scripts all run first)
bench: export SPF_BENCH_RUN := $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
bench: $(MODEL_RUN) | $(READY) ## Benchmarks: build vs papermill floor (rebuilds outputs), survey vs R, Monte Carlo, microsim
	-$(PY) bench/bench_build.py
	-$(PY) bench/bench_survey.py
	-$(PY) bench/bench_costing.py
	-$(PY) bench/bench_microsim.py
	-$(PY) bench/bench_impact.py
	-$(PY) bench/bench_explore.py
	$(PY) bench/summary.py

# ------------------------------------------------------------------ utilities
.PHONY: lab
# PORT=8890 (checked: 1024-65535) reaches spf_analysis.lab through the environment, no shell;
# it adds --allow-root when run as root, --no-browser, and makes spf-kp the default kernel
lab: | $(LAB_READY) ## Open the notebooks in JupyterLab, kernel spf-kp (installs it on first use); PORT=8890
	$(PY) -m spf_analysis.lab

.PHONY: explore
# The scenario explorer (spf_analysis.explore, a Panel app) on 127.0.0.1: controls per provision, outputs from the
# model run, the survey and chapter 5's published contributory capacity (chapter 6's fiscal-space yields).
# PORT=5006 (checked as for make lab: 1024-65535) reaches spf_analysis.explore through the environment, no shell.
explore: $(MODEL_RUN) $(SURVEY_TABLES) reports/notebooks/05_distributional_impact.ipynb | $(EXPLORE_READY) ## The scenario explorer, a local web app on the report's engine (installs Panel on first use); PORT=5006
	$(PY) -m spf_analysis.explore

# Panel and Playwright on top of the pinned environment (requirements-explore.txt; make test drives the app in Chromium)
$(EXPLORE_READY): requirements-explore.txt | $(READY)
	@echo "installing the scenario explorer (requirements-explore.txt)"
	$(PY) -m pip install --disable-pip-version-check -r requirements-explore.txt
	touch $@

# JupyterLab on top of the pinned environment (requirements-lab.txt; make test checks that it serves /lab)
$(LAB_READY): requirements-lab.txt | $(READY)
	@echo "installing JupyterLab (requirements-lab.txt)"
	$(PY) -m pip install --disable-pip-version-check -r requirements-lab.txt
	touch $@

.PHONY: clean distclean
clean: ## Remove generated outputs (data/processed, reports); never touches data/raw
	rm -rf data/processed/*.parquet data/processed/.*.tmp data/interim reports/notebooks reports/figures \
	  reports/tables reports/scratch reports/failed reports/.build reports/rapid_assessment.* reports/rapid_assessment_tables.* reports/bench.csv reports/.*.tmp
distclean: clean ## Also remove the virtual environment
	rm -rf $(VENV)

.PHONY: help
help: ## List the targets
	@echo "KP Social Protection Floor rapid assessment. Fresh machine: make report; make test"
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'
	@echo "Re-run one notebook with a changed parameter: edit params/NN_name.yaml, then make report"
	@echo "or override from the command line: make report ARGS_01_demographic_profile='top_districts=5'"
