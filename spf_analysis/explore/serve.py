"""``make explore``: ``python -m spf_analysis.explore`` serves the app with ``panel serve`` on 127.0.0.1.

``PORT`` comes from the environment (``make explore PORT=5010`` exports it) and is checked as ``make lab``
checks it (:func:`spf_analysis.lab.parse_port`); no shell ever sees it. Unset: Panel's default, 5006.
The page is at ``http://127.0.0.1:<PORT>/app``.
"""

from __future__ import annotations

from pathlib import Path


def serve_argv(*, port: int | None = None, python: str | None = None) -> list[str]:
    """The ``panel serve`` command line of the app, on 127.0.0.1 only (``port`` None: 5006, Panel's default)."""
    import sys

    port = 5006 if port is None else port
    app = Path(__file__).with_name("app.py")
    return [python or sys.executable, "-m", "panel", "serve", str(app), "--address", "127.0.0.1", "--port", str(port),
            "--allow-websocket-origin", f"127.0.0.1:{port}", "--allow-websocket-origin", f"localhost:{port}",
            "--num-procs", "1"]


def main(environ=None) -> int:
    """``make explore``: serve the app; PORT from the environment, checked as ``make lab`` checks it."""
    import os
    import sys

    from spf_analysis.lab import LabError, parse_port

    environ = os.environ if environ is None else environ
    try:
        argv = serve_argv(port=parse_port(environ.get("PORT")))
    except LabError as e:
        print(f"error: explore: {e}", file=sys.stderr)
        return 2
    print(f"scenario explorer: http://127.0.0.1:{argv[argv.index('--port') + 1]}/app (Ctrl-C stops it)", flush=True)
    os.execv(argv[0], argv)  # does not return
    return 0  # pragma: no cover

