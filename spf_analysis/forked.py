"""``python -m spf_analysis.forked -m MODULE [ARGS...]``: a build step, run as ``python -m MODULE
ARGS`` runs it, in a process forked from the build's server (:mod:`spf_analysis.kernels`), which has
already imported the libraries the step imports (about 0.5-1 s of every step's own start).

The Makefile runs its steps so (make data, the survey, the model run, each notebook, the report).
Without a server (the first step of a build, ``SPF_FORK_KERNELS=0``) the step runs in this process,
exactly as ``python -m MODULE ARGS`` would, and the first one starts the server for the steps and
kernels after it. Either way the step's output, messages and exit status are the same
(tests/test_kernels.py); this module imports nothing but the standard library and the server's
client side before it knows which.
"""

from __future__ import annotations

import runpy
import sys

from spf_analysis import kernels

USAGE = "usage: python -m spf_analysis.forked -m MODULE [ARGS...]"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 2 or argv[0] != "-m":
        print(USAGE, file=sys.stderr)
        return 2
    module, args = argv[1], argv[2:]
    code = kernels.run_step(module, args)
    if code is not None:
        return code
    sys.argv = ["-m", *args]  # in this process, as `python -m MODULE ARGS` (runpy sets argv[0])
    runpy.run_module(module, run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
