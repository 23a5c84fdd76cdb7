"""Execute a notebook with papermill so that outputs change only on success.

``python -m spf_analysis.build NN_name [key=value ...]``

1. The parameters (``params/NN_name.yaml``, then ``key=value`` overrides from
   the command line, e.g. from ``make``) are checked against the notebook's
   ``parameters`` cell and their declarations (type, unit, range): an unknown
   key, a wrong type or a value out of range stops the build.
2. The notebook runs in the ``spf-kp`` kernel with ``SPF_OUTPUT_DIR`` pointing
   at a staging folder ``reports/.build/NN_name-PID/``: its figures, tables
   and the executed copy are written there.
3. Only when it finished without error are the notebook's previous figures
   and tables (``reports/{figures,tables}/NN_*``) replaced by the staged ones,
   and the executed copy moved to ``reports/notebooks/`` last (it is the
   ``make`` target). A failed or interrupted run leaves ``reports/`` as it was.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import yaml

from spf_analysis.config import params as P
from spf_analysis.config import paths

KERNEL = "spf-kp"
STAGING = paths.REPORTS / ".build"


def parse_overrides(items: list[str]) -> dict:
    out = {}
    for item in items:
        if "=" not in item:
            raise P.ParameterError(f"override {item!r}: expected key=value")
        key, text = item.split("=", 1)
        out[key.strip()] = yaml.safe_load(text)
    return out


def _alive(pid: str) -> bool:
    """Is the build process that owns a staging folder still running?"""
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _prefix(notebook: str) -> str:
    return notebook.split("_", 1)[0]


def run(notebook: str, overrides: dict | None = None) -> Path:
    import papermill as pm

    src = P.notebook_file(notebook)
    if not src.exists():
        raise FileNotFoundError(f"notebooks/{notebook}.ipynb not found")
    values = P.check(notebook, overrides=overrides)  # the params file's values, then the overrides: all checked

    STAGING.mkdir(parents=True, exist_ok=True)
    for stale in STAGING.glob(f"{notebook}-*"):  # left by an interrupted run
        if not _alive(stale.name.rsplit("-", 1)[-1]):
            shutil.rmtree(stale, ignore_errors=True)
    stage = STAGING / f"{notebook}-{os.getpid()}"
    stage.mkdir()
    executed = stage / f"{notebook}.ipynb"
    old_env = os.environ.get("SPF_OUTPUT_DIR")
    os.environ["SPF_OUTPUT_DIR"] = str(stage)
    try:
        pm.execute_notebook(str(src), str(executed), parameters=values, kernel_name=KERNEL,
                            progress_bar=False, log_output=False, cwd=str(paths.NOTEBOOKS))
        _publish(notebook, stage, executed)
    finally:
        if old_env is None:
            os.environ.pop("SPF_OUTPUT_DIR", None)
        else:
            os.environ["SPF_OUTPUT_DIR"] = old_env
        shutil.rmtree(stage, ignore_errors=True)
    return paths.REPORT_NOTEBOOKS / f"{notebook}.ipynb"


def _publish(notebook: str, stage: Path, executed: Path) -> None:
    prefix = _prefix(notebook)
    for kind in ("figures", "tables"):
        final = paths.REPORTS / kind
        final.mkdir(parents=True, exist_ok=True)
        for old in final.glob(f"{prefix}_*"):
            old.unlink()
        staged = stage / kind
        if staged.exists():
            for f in sorted(staged.iterdir()):
                os.replace(f, final / f.name)
    paths.REPORT_NOTEBOOKS.mkdir(parents=True, exist_ok=True)
    os.replace(executed, paths.REPORT_NOTEBOOKS / f"{notebook}.ipynb")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("usage: python -m spf_analysis.build NN_name [key=value ...]", file=sys.stderr)
        return 2
    notebook, rest = argv[0], argv[1:]
    try:
        out = run(notebook, parse_overrides(rest))
    except (P.ParameterError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # papermill execution errors carry the cell traceback
        name = type(e).__name__
        print(f"error: notebooks/{notebook}.ipynb failed ({name}); reports/ left unchanged\n{e}",
              file=sys.stderr)
        return 1
    print(f"executed {out.relative_to(paths.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
