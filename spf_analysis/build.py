"""Execute a notebook with papermill so that outputs change only on success.

``python -m spf_analysis.build NN_name [key=value ...]``

1. The parameters (``params/NN_name.yaml``, then ``key=value`` overrides: from the
   environment variable ``ARGS_NN_name``, which is how ``make report
   ARGS_NN_name='key=value ...'`` passes them without any shell seeing the value,
   then from the command line) are checked against the notebook's
   ``parameters`` cell and their declarations (type, unit, range): an unknown
   key, a wrong type or a value out of range stops the build.
2. The notebook runs in the ``spf-kp`` kernel with ``SPF_OUTPUT_DIR`` pointing
   at a staging folder ``reports/.build/NN_name-PID/``: its figures, tables
   and the executed copy are written there.
3. Only when it finished without error are the notebook's previous figures
   and tables (``reports/{figures,tables}/NN_*``) replaced by the staged ones,
   and the executed copy moved to ``reports/notebooks/`` last (it is the
   ``make`` target), all in one step with signals held back
   (:func:`spf_analysis.config.fsutil.transaction`). A failed or interrupted run
   leaves ``reports/`` as it was.
4. The executed copy keeps no clock, machine path or process id (papermill's
   timings and paths are removed, see :func:`scrub`): two builds give the same bytes.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import shutil
import sys
import threading
import time
from pathlib import Path

from spf_analysis.config import digest
from spf_analysis.config import params as P
from spf_analysis.config import paths
from spf_analysis.config.errors import parse_yaml
from spf_analysis.config.fsutil import transaction
from spf_analysis.config.steps import run_step
from spf_analysis.kernels import ForkKernelManager

KERNEL = "spf-kp"
STAGING = paths.REPORTS / ".build"


def failed_copy(notebook: str) -> Path:
    """Where a failed run keeps its partly executed copy: ``reports/failed/NN_name.ipynb`` (open it
    in JupyterLab to see the failing cell; the build never reads it, a successful run removes it)."""
    return paths.REPORTS / "failed" / f"{notebook}.ipynb"
#: the kernel logs at CRITICAL only: its "running over TCP without encryption" warning
#: (the kernel is local, on 127.0.0.1) and the "KeyboardInterrupt caught in kernel" line
#: that the shutdown of a finished kernel can produce are not build messages. A cell's error
#: is in the cell's outputs and a dead kernel is reported by nbclient, neither via this log.
#: The kernel keeps no IPython history: a build's cells would otherwise be appended to the user's
#: ``~/.ipython/profile_default/history.sqlite`` on every run (a committed write per cell, two kernels
#: at a time on one database, and a file that only grows: 75 MB after a day of builds here).
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL", "--HistoryManager.enabled=False"]
#: how nbclient ends the kernel once the notebook has run: ``immediate``, a SIGKILL (a forked kernel's
#: end is reported by the server at once), not ``graceful``, a shutdown request. The executed notebook
#: is complete by then and the kernel has nothing left to write (no history, above). The graceful way
#: could stall: ipykernel's control thread, answering the request, flushes stdout through the IOPub
#: thread, which the exiting main thread may already have stopped (py-spy showed both waiting); the
#: kernel then hung until jupyter_client's SIGTERM 2.5 s later. Seen here in 2 to 5 notebooks of 11 in
#: each of 8 cold builds with the history off, in none of 2 with it on.
KERNEL_SHUTDOWN = "immediate"
#: the environment variable through which the Makefile passes its ordered notebook list
NOTEBOOK_LIST_ENV = "SPF_NOTEBOOKS"


def counter(notebook: str) -> str:
    """``[3/11] 03_coverage_gaps``: the notebook's place in the Makefile's list (``$(NOTEBOOKS)``,
    exported as ``SPF_NOTEBOOKS``), or the bare name when it is not in the list."""
    names = os.environ.get(NOTEBOOK_LIST_ENV, "").split()
    if notebook in names:
        return f"[{names.index(notebook) + 1}/{len(names)}] {notebook}"
    return notebook


def progress(notebook: str, seconds: float, ok: bool = True) -> str:
    """The line a notebook run ends with: ``[3/11] 03_coverage_gaps ... 12.4 s``."""
    return f"{counter(notebook)} ... {seconds:.1f} s" + ("" if ok else " (failed)")


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def failure_location(error, executed_nb: dict | None = None) -> str:
    """Where a papermill execution error happened, in the terms of the source notebook:
    ``cell 2 (from 0), line 4: assert not fail, 'asked to fail'`` then ``AssertionError: ...``.

    papermill counts cells in the executed copy, which holds the injected-parameters cell;
    that cell is not in ``notebooks/``, so it is taken out of the index (``executed_nb``: the
    saved partial copy). The line number is
    the one IPython gives for the cell's own frame (``Cell In[2], line 4``)."""
    index = getattr(error, "cell_index", None)
    if index is None:
        return ""
    if executed_nb is not None:  # the saved copy also holds papermill's error banners (added after)
        tags = [c.get("metadata", {}).get("tags", []) for c in executed_nb.get("cells", [])]
        tags = [t for t in tags if "papermill-error-cell-tag" not in t]
        index -= sum("injected-parameters" in t for t in tags[:index])
    where = f"cell {index} (from 0)"
    tb = [_ANSI.sub("", t) for t in (getattr(error, "traceback", None) or [])]
    m = next((m for t in tb if (m := re.search(r"Cell In\[\d*\], line (\d+)", t))), None)
    lines = (getattr(error, "source", "") or "").splitlines()
    if m and 0 < int(m[1]) <= len(lines):
        where += f", line {m[1]}: {lines[int(m[1]) - 1].strip()}"
    ename, evalue = getattr(error, "ename", ""), getattr(error, "evalue", "")
    return f"{where}\n{ename}: {evalue}" if ename else where


def parse_overrides(items: list[str], origin: str = "override") -> dict:
    """``["key=value", ...]`` -> ``{key: value}``, each value read as YAML (``5``, ``[a, b]``)."""
    out = {}
    for item in items:
        if "=" not in item:
            raise P.ParameterError(f"{origin} {item!r}: expected key=value")
        key, text = item.split("=", 1)
        key = key.strip()
        if key in out:
            raise P.ParameterError(f"{origin}: {key!r} given twice")
        out[key] = parse_yaml(text, P.ParameterError, name=f"{origin} {key}={text!r}")
    return out


def env_overrides(notebook: str) -> list[str]:
    """The ``key=value`` words of the environment variable ``ARGS_<notebook>`` (as ``make``
    exports its command-line variables), split like a shell would but never run by one."""
    text = os.environ.get(f"ARGS_{notebook}", "")
    try:
        return shlex.split(text)
    except ValueError as e:
        raise P.ParameterError(f"ARGS_{notebook}={text!r}: {e}") from None


#: papermill's run records that hold a clock, a machine path or a process id
_NB_VOLATILE = ("start_time", "end_time", "duration", "input_path", "output_path")
_CELL_VOLATILE = ("start_time", "end_time", "duration")


def scrub(nb: dict, notebook: str) -> dict:
    """Remove clocks, absolute paths and process ids from an executed notebook (in place).

    papermill records start/end times and durations for the run and each cell, and the
    input/output paths (the staging folder holds the PID); Jupyter records message
    timestamps (``metadata.execution``); the parameters cell papermill inserts gets a random id.
    Outputs that print a path inside the
    repository show it relative to the root."""
    pm = nb.get("metadata", {}).get("papermill", {})
    for k in _NB_VOLATILE:
        pm.pop(k, None)
    pm["input_path"] = f"notebooks/{notebook}.ipynb"
    pm["output_path"] = f"reports/notebooks/{notebook}.ipynb"
    root = str(paths.ROOT) + os.sep
    for cell in nb.get("cells", []):
        md = cell.get("metadata", {})
        if "injected-parameters" in md.get("tags", []):  # papermill gives the cell it adds a random id
            cell["id"] = "injected-parameters"
        md.pop("execution", None)
        for k in _CELL_VOLATILE:
            md.get("papermill", {}).pop(k, None)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                text = out.get("text", "")
                joined = "".join(text) if isinstance(text, list) else text
                if root in joined:
                    out["text"] = joined.replace(root, "")
    return nb


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


class NotebookFailed(RuntimeError):
    """A cell raised; the message names the notebook and where its partly executed copy is."""


#: the papermill engine the build runs a notebook with (:func:`_engine`)
ENGINE = "spf-nbclient"


def _engine():
    """papermill's nbclient engine, registered as :data:`ENGINE`, writing the executed copy when the
    run ends, not also before and after every cell: papermill re-serialises the whole notebook at each
    of those saves (0.2-0.4 s of a chapter's run, 40-60 saves) and nothing reads the copy in between.
    The copy written is the same (papermill's last save, then execute_notebook's own write); a run
    that stops (a cell's error, a kernel that dies) still leaves its partly executed copy, written by
    papermill's final save as before."""
    from papermill.engines import NBClientEngine, papermill_engines

    class SaveAtEnd(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
            path, nb_man.output_path = nb_man.output_path, None  # no save per cell
            try:
                return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
            finally:
                nb_man.output_path = path  # the final save (papermill's notebook_complete) writes it

    papermill_engines.register(ENGINE, SaveAtEnd)
    return ENGINE


def run(notebook: str, overrides: dict | None = None) -> Path:
    import papermill as pm

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_]*", notebook):
        raise P.ParameterError(f"{notebook!r} is not a notebook name (letters, digits and _ only)")
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
    # the chapter's HTML is made after the run (prepare_chapter): its modules are loaded meanwhile,
    # while this process only waits for the kernel
    warm = threading.Thread(target=_load_assembly, daemon=True)
    warm.start()
    old_env = os.environ.get("SPF_OUTPUT_DIR")
    os.environ["SPF_OUTPUT_DIR"] = str(stage)
    try:
        try:
            # a step of the build (make passes its inputs) takes its kernel from the fork server
            # (spf_analysis.kernels); a run by hand or by a test starts one afresh
            forked = {"kernel_manager_class": ForkKernelManager} if INPUTS_ENV in os.environ else {}
            pm.execute_notebook(str(src), str(executed), parameters=values, kernel_name=KERNEL,
                                engine_name=_engine(), progress_bar=False, log_output=False,
                                cwd=str(paths.NOTEBOOKS), extra_arguments=KERNEL_ARGS,
                                shutdown_kernel=KERNEL_SHUTDOWN, **forked)
        except OSError:  # a full disk, an unreadable file: reported as such by run_step
            raise
        except Exception as e:  # papermill's execution error carries the failing cell's traceback
            kept, nb = "", None
            if executed.exists():  # kept to see which cell failed (reports/failed/, read by nothing)
                failed = failed_copy(notebook)
                failed.parent.mkdir(parents=True, exist_ok=True)
                nb = scrub(json.loads(executed.read_text(encoding="utf-8")), notebook)
                failed.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
                kept = f"; the partly executed copy is {paths.rel(failed)}"
            at = failure_location(e, nb)
            at = f"\nat {at}" if at else ""
            raise NotebookFailed(f"notebooks/{notebook}.ipynb failed ({type(e).__name__}){kept}{at}\n{e}") from None
        nb = scrub(json.loads(executed.read_text(encoding="utf-8")), notebook)
        executed.write_text(json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
        _publish(notebook, stage, executed)
        failed_copy(notebook).unlink(missing_ok=True)  # an earlier failure's copy no longer applies
    finally:
        if old_env is None:
            os.environ.pop("SPF_OUTPUT_DIR", None)
        else:
            os.environ["SPF_OUTPUT_DIR"] = old_env
        shutil.rmtree(stage, ignore_errors=True)
    published = paths.REPORT_NOTEBOOKS / f"{notebook}.ipynb"
    warm.join()
    prepare_chapter(published)
    return published


def _load_assembly():
    """The report's assembly and its HTML exporter, loaded and its templates compiled (see
    :func:`prepare_chapter`, which converts the chapter with that exporter)."""
    try:
        assemble = importlib.import_module("spf_analysis.report.assemble")
        import nbformat

        assemble.html_exporter().from_notebook_node(nbformat.v4.new_notebook())
    except Exception:  # only a head start: prepare_chapter does the same and reports what fails
        pass


def prepare_chapter(executed: Path) -> None:
    """Make the chapter's HTML fragment for the report now, beside the other notebooks still
    running, rather than in the report step (:func:`spf_analysis.report.assemble.chapter_fragment`
    keeps it under the executed notebook's digest; the report step takes it from there). A chapter
    the report would refuse (an empty one) is left for the report step to name.

    Imported by name, not by an import statement: the notebook's outputs do not depend on the
    assembly code (its fragment is cached under that code's digest too), so a change to the report's
    code must not re-run the notebooks (spf_analysis.config.deps follows import statements)."""
    assemble = importlib.import_module("spf_analysis.report.assemble")

    try:
        assemble.chapter_fragment(executed)
    except assemble.ReportError:
        pass


def _publish(notebook: str, stage: Path, executed: Path) -> None:
    """Replace the notebook's figures and tables and its executed copy, all or none."""
    prefix = _prefix(notebook)
    with transaction() as tx:
        for kind in ("figures", "tables"):
            final = paths.REPORTS / kind
            for old in final.glob(f"{prefix}_*"):
                tx.remove(old)
            staged = stage / kind
            if staged.exists():
                for f in sorted(staged.iterdir()):
                    tx.stage(f, final / f.name)
        tx.stage(executed, paths.REPORT_NOTEBOOKS / f"{notebook}.ipynb")  # last: the make target


def outputs(notebook: str) -> list[Path]:
    """What a run of the notebook leaves: its executed copy, figures and tables."""
    prefix = _prefix(notebook)
    return ([paths.REPORT_NOTEBOOKS / f"{notebook}.ipynb"]
            + sorted(f for kind in ("figures", "tables") for f in (paths.REPORTS / kind).glob(f"{prefix}_*")))


#: the environment variable through which make passes a run's inputs (the rule's prerequisites)
INPUTS_ENV = "SPF_INPUTS"


def inputs(notebook: str) -> dict[str, str] | None:
    """The digests of what this run reads, when make passed its inputs; None otherwise (a run
    started by hand is never skipped). A notebook that reads named published tables of other
    chapters (spf_analysis.config.deps.READS) counts by those instead of their executed copies."""
    if INPUTS_ENV not in os.environ:
        return None
    from spf_analysis.config import deps

    return digest.inputs_digest(digest.env_list(INPUTS_ENV), reads=deps.reads(notebook))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("usage: python -m spf_analysis.build NN_name [key=value ...]", file=sys.stderr)
        return 2
    notebook, rest = argv[0], argv[1:]
    live = sys.stdout.isatty()  # on a terminal the line shows while the notebook runs, then is completed
    start = time.monotonic()
    step, records = f"notebook-{notebook}", STAGING / "digests"
    ins = inputs(notebook) if not rest and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_]*", notebook) else None
    if ins is not None and digest.unchanged(step, ins, outputs(notebook), records):
        # every input has the bytes of the last run: the outputs stay, make sees them up to date
        digest.touch([paths.REPORT_NOTEBOOKS / f"{notebook}.ipynb"])
        print(f"{progress(notebook, time.monotonic() - start)} (inputs unchanged, outputs kept)", flush=True)
        return 0
    digest.forget(step, records)

    def body():
        try:
            overrides = {**parse_overrides(env_overrides(notebook), f"ARGS_{notebook}"),
                         **parse_overrides(rest, "command-line override")}
            run(notebook, overrides)
            if ins is not None:
                digest.record(step, ins, outputs(notebook), records)
        except BaseException:
            if live:  # end the progress line before the error message
                print(flush=True)
            raise

    if live:
        print(f"{counter(notebook)} ...", end="", flush=True)
    status = run_step(f"notebook {notebook}", body, errors=(P.ParameterError, FileNotFoundError, NotebookFailed),
                      unchanged=f"reports/notebooks/{notebook}.ipynb and its figures and tables")
    print(("\r" if live else "") + progress(notebook, time.monotonic() - start, ok=status == 0), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
