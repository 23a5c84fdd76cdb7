"""``make explore``: ``python -m spf_analysis.explore`` serves the app with ``panel serve`` on 127.0.0.1.

``PORT`` comes from the environment (``make explore PORT=5010`` exports it) and is checked as ``make lab``
checks it (:func:`spf_analysis.lab.parse_port`); no shell ever sees it. Unset: Panel's default, 5006.
The page is at ``http://127.0.0.1:<PORT>/app``.

``--scenarios-dir DIR`` serves the scenarios of another folder (loaded, and written by "Save as scenario"); the
default is ``params/scenarios``. It reaches the app through the environment variable :data:`SCENARIOS_ENV`,
read in one place (:func:`scenarios_dir`); the browser test saves into a temporary copy this way.
``--run-file FILE`` likewise names the ``run.yaml`` whose ``scenarios`` list "Add it to the study" extends
(:data:`RUN_FILE_ENV`, :func:`run_file`; default ``params/run.yaml``); the app adds a name to the default file only
when it serves the default folder, the pair the build reads.
"""

from __future__ import annotations

from pathlib import Path


#: the environment variable that carries ``--scenarios-dir`` to the served app
SCENARIOS_ENV = "SPF_EXPLORE_SCENARIOS_DIR"
#: the environment variable that carries ``--run-file`` to the served app
RUN_FILE_ENV = "SPF_EXPLORE_RUN_FILE"


def scenarios_dir(environ=None) -> Path | None:
    """The scenarios folder the app serves: ``--scenarios-dir`` (through :data:`SCENARIOS_ENV`), else None, the
    default (``params/scenarios``, :func:`spf_analysis.model.costing.scenario_dir`)."""
    import os

    v = (os.environ if environ is None else environ).get(SCENARIOS_ENV)
    return Path(v) if v else None


def run_file(environ=None) -> Path | None:
    """The ``run.yaml`` to which the app adds a saved scenario: ``--run-file`` (through :data:`RUN_FILE_ENV`), else
    None, the default (``params/run.yaml``, :data:`spf_analysis.config.paths.RUN_FILE`)."""
    import os

    v = (os.environ if environ is None else environ).get(RUN_FILE_ENV)
    return Path(v) if v else None


def serve_argv(*, port: int | None = None, python: str | None = None) -> list[str]:
    """The ``panel serve`` command line of the app, on 127.0.0.1 only (``port`` None: 5006, Panel's default)."""
    import sys

    port = 5006 if port is None else port
    app = Path(__file__).with_name("app.py")
    return [python or sys.executable, "-m", "panel", "serve", str(app), "--address", "127.0.0.1", "--port", str(port),
            "--allow-websocket-origin", f"127.0.0.1:{port}", "--allow-websocket-origin", f"localhost:{port}",
            "--num-procs", "1"]


def main(environ=None, args=None) -> int:
    """``make explore``: serve the app; PORT from the environment, checked as ``make lab`` checks it;
    ``args`` (default ``sys.argv[1:]``): ``--scenarios-dir DIR``, an existing folder of scenario files;
    ``--run-file FILE``, an existing ``run.yaml`` (the study's list that "Add it to the study" extends)."""
    import argparse
    import os
    import sys

    from spf_analysis.lab import LabError, parse_port

    environ = dict(os.environ if environ is None else environ)
    parser = argparse.ArgumentParser(prog="python -m spf_analysis.explore", description="Serve the scenario explorer.")
    parser.add_argument("--scenarios-dir", type=Path, default=None,
                        help="folder of the scenario files to load and to save into (default params/scenarios)")
    parser.add_argument("--run-file", type=Path, default=None,
                        help="the run.yaml whose scenarios list 'Add it to the study' extends (default params/run.yaml)")
    opts, rest = parser.parse_known_args(sys.argv[1:] if args is None else args)
    if rest:
        print(f"error: explore: unknown argument(s) {' '.join(rest)}", file=sys.stderr)
        return 2
    for value, flag, env, exists, kind in ((opts.scenarios_dir, "--scenarios-dir", SCENARIOS_ENV, Path.is_dir, "folder"),
                                           (opts.run_file, "--run-file", RUN_FILE_ENV, Path.is_file, "file")):
        if value is not None:
            if not exists(value.resolve()):
                print(f"error: explore: {flag} {value}: not a {kind}", file=sys.stderr)
                return 2
            environ[env] = str(value.resolve())
    try:
        argv = serve_argv(port=parse_port(environ.get("PORT")))
    except LabError as e:
        print(f"error: explore: {e}", file=sys.stderr)
        return 2
    where = f" (scenarios in {environ[SCENARIOS_ENV]})" if environ.get(SCENARIOS_ENV) else ""
    where += f" (study's list in {environ[RUN_FILE_ENV]})" if environ.get(RUN_FILE_ENV) else ""
    print(f"scenario explorer: http://127.0.0.1:{argv[argv.index('--port') + 1]}/app{where} (Ctrl-C stops it)", flush=True)
    os.execve(argv[0], argv, environ)  # does not return
    return 0  # pragma: no cover

