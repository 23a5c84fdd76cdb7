"""``make explore``: ``python -m spf_analysis.explore`` serves the app with ``panel serve`` on 127.0.0.1.

``PORT`` comes from the environment (``make explore PORT=5010`` exports it) and is checked as ``make lab``
checks it (:func:`spf_analysis.lab.parse_port`); no shell ever sees it. Unset: Panel's default, 5006.
The page is at ``http://127.0.0.1:<PORT>/app``.

``--scenarios-dir DIR`` serves the scenarios of another folder (loaded, and written by "Save as scenario"); the
default is ``params/scenarios``. It reaches the app through the environment variable :data:`SCENARIOS_ENV`,
read in one place (:func:`scenarios_dir`); the browser test saves into a temporary copy this way.
"""

from __future__ import annotations

from pathlib import Path


#: the environment variable that carries ``--scenarios-dir`` to the served app
SCENARIOS_ENV = "SPF_EXPLORE_SCENARIOS_DIR"


def scenarios_dir(environ=None) -> Path | None:
    """The scenarios folder the app serves: ``--scenarios-dir`` (through :data:`SCENARIOS_ENV`), else None, the
    default (``params/scenarios``, :func:`spf_analysis.model.costing.scenario_dir`)."""
    import os

    v = (os.environ if environ is None else environ).get(SCENARIOS_ENV)
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
    ``args`` (default ``sys.argv[1:]``): ``--scenarios-dir DIR``, an existing folder of scenario files."""
    import argparse
    import os
    import sys

    from spf_analysis.lab import LabError, parse_port

    environ = dict(os.environ if environ is None else environ)
    parser = argparse.ArgumentParser(prog="python -m spf_analysis.explore", description="Serve the scenario explorer.")
    parser.add_argument("--scenarios-dir", type=Path, default=None,
                        help="folder of the scenario files to load and to save into (default params/scenarios)")
    opts, rest = parser.parse_known_args(sys.argv[1:] if args is None else args)
    if rest:
        print(f"error: explore: unknown argument(s) {' '.join(rest)}", file=sys.stderr)
        return 2
    if opts.scenarios_dir is not None:
        d = opts.scenarios_dir.resolve()
        if not d.is_dir():
            print(f"error: explore: --scenarios-dir {opts.scenarios_dir}: not a folder", file=sys.stderr)
            return 2
        environ[SCENARIOS_ENV] = str(d)
    try:
        argv = serve_argv(port=parse_port(environ.get("PORT")))
    except LabError as e:
        print(f"error: explore: {e}", file=sys.stderr)
        return 2
    where = f" (scenarios in {environ[SCENARIOS_ENV]})" if environ.get(SCENARIOS_ENV) else ""
    print(f"scenario explorer: http://127.0.0.1:{argv[argv.index('--port') + 1]}/app{where} (Ctrl-C stops it)", flush=True)
    os.execve(argv[0], argv, environ)  # does not return
    return 0  # pragma: no cover

