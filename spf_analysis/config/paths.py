"""Every path the project uses, derived from the package location.

Never build a path from the working directory: papermill, nbval and JupyterLab
start kernels in different folders. Import the constants from here instead.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Root of the repository (the folder holding ``Makefile``).
ROOT = Path(__file__).resolve().parents[2]

DATA = ROOT / "data"
RAW = DATA / "raw"
PROCESSED = DATA / "processed"
#: intermediate results of the build (the model run: spf_analysis.model.pipeline)
INTERIM = DATA / "interim"
MANIFEST = RAW / "manifest.csv"

PARAMS = ROOT / "params"
#: the settings shared by the chapters, among them the study's list of scenarios (spf_analysis.config.run)
RUN_FILE = PARAMS / "run.yaml"
NOTEBOOKS = ROOT / "notebooks"

REPORTS = ROOT / "reports"
REPORT_NOTEBOOKS = REPORTS / "notebooks"
REPORT_HTML = REPORTS / "rapid_assessment.html"
REPORT_PDF = REPORTS / "rapid_assessment.pdf"
REPORT_XLSX = REPORTS / "rapid_assessment_tables.xlsx"

#: Shared reference material (read-only) beside the checkout.
SHARED = ROOT.parent / "shared"


#: Where a notebook run outside the build (JupyterLab, a script) writes its figures and tables.
SCRATCH = REPORTS / "scratch"


def _output_root() -> Path:
    """Where notebooks write figures and tables.

    The build runner (:mod:`spf_analysis.build`) points ``SPF_OUTPUT_DIR`` at a
    staging folder and moves its content into ``reports/`` only when the
    notebook succeeded; interactively (JupyterLab) outputs go to :data:`SCRATCH`,
    which the build never reads, so an interactive run cannot change the report
    behind make's back.
    """
    staged = os.environ.get("SPF_OUTPUT_DIR")
    return Path(staged) if staged else SCRATCH


def figures_dir() -> Path:
    return _output_root() / "figures"


def tables_dir() -> Path:
    return _output_root() / "tables"


def rel(path) -> str:
    """A path as the user sees it: relative to the repository root when inside it."""
    path = Path(path)
    return str(path.relative_to(ROOT)) if path.is_absolute() and path.is_relative_to(ROOT) else str(path)
