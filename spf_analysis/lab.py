"""``make lab``: JupyterLab on the notebooks, with the project's kernel.

``python -m spf_analysis.lab`` builds the ``jupyter lab`` command line and replaces
itself with it (:func:`os.execv`). The settings come from the environment, as ``make lab
PORT=8890`` exports them, and are checked here; no shell ever sees them:

* ``PORT``: the port to listen on, a whole number from 1024 to 65535 (unprivileged ports);
  when given, Lab stops instead of moving to another port if it is taken. Unset or empty:
  Jupyter's default (8888, or the next free one).
* ``--allow-root`` is added when the effective user is root (a container), never otherwise.
* ``--no-browser``: Lab prints the address to open (a server or a container has no browser).
* New notebooks start in the ``spf-kp`` kernel, the one the build runs them in.
"""

from __future__ import annotations

import os
import re
import sys

from spf_analysis.config import paths

KERNEL = "spf-kp"  # the kernel `make venv` installs (Makefile) and spf_analysis.build runs
PORT_MIN, PORT_MAX = 1024, 65535


class LabError(ValueError):
    """A setting of ``make lab`` that cannot be used."""


def parse_port(text: str | None) -> int | None:
    """``"8890"`` -> 8890; unset or empty -> None; anything else but a whole number from
    1024 to 65535 -> :class:`LabError`."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    if not re.fullmatch(r"[0-9]+", text):
        raise LabError(f"PORT={text!r}: expected a whole number from {PORT_MIN} to {PORT_MAX}")
    port = int(text)
    if not PORT_MIN <= port <= PORT_MAX:
        raise LabError(f"PORT={port}: outside {PORT_MIN}-{PORT_MAX} "
                       f"(ports below {PORT_MIN} need root, above {PORT_MAX} do not exist)")
    return port


def lab_argv(*, port: int | None = None, euid: int | None = None, python: str | None = None) -> list[str]:
    """The ``jupyter lab`` command line (``python -m jupyterlab ...``) for these settings."""
    euid = os.geteuid() if euid is None else euid
    argv = [python or sys.executable, "-m", "jupyterlab",
            f"--notebook-dir={paths.NOTEBOOKS}",
            "--no-browser",
            f"--MappingKernelManager.default_kernel_name={KERNEL}"]
    if port is not None:
        argv += [f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
    if euid == 0:
        argv.append("--allow-root")
    return argv


def main(environ=None) -> int:
    environ = os.environ if environ is None else environ
    try:
        argv = lab_argv(port=parse_port(environ.get("PORT")))
    except LabError as e:
        print(f"error: lab: {e}", file=sys.stderr)
        return 2
    os.execv(argv[0], argv)  # does not return
    return 0  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
