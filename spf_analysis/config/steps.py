"""How every build step ends: success, or one ``error: <step>: <cause>`` line and a non-zero exit.

Each step's ``main`` (``make data``, ``make survey``, ``make model``, a notebook run,
the report) calls :func:`run_step`. The step writes its outputs through
:func:`spf_analysis.config.fsutil.transaction`, so whatever stops it (a bad input, a
full disk, Ctrl-C, ``kill``) its outputs stay as they were; this module turns the cause
into one line that names the step and what was left unchanged.
"""

from __future__ import annotations

import errno
import re
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from spf_analysis.config import paths


class Terminated(BaseException):
    """SIGTERM or SIGHUP received (raised like KeyboardInterrupt, so that cleanup runs)."""


def _raise_terminated(signum, frame):
    raise Terminated(signal.Signals(signum).name)


def _target_of(filename) -> Path:
    """The output a temporary file stands for (``.name.x1y2.tmp`` -> ``name``,
    :func:`spf_analysis.config.fsutil.transaction`)."""
    p = Path(filename)
    m = re.fullmatch(r"\.(.+)\.[^.]+\.tmp", p.name)
    return p.with_name(m[1]) if m else p


def run_step(step: str, body: Callable[[], object], *, errors: tuple = (), unchanged: str = "its outputs") -> int:
    """Run ``body``; return the exit status. ``errors``: the step's own input/parameter error
    types, shown by their message; ``unchanged``: what the user can rely on after a failure."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_terminated)
    left = f"{unchanged} left as they were"
    try:
        body()
    except KeyboardInterrupt:
        print(f"error: {step}: interrupted (Ctrl-C); {left}", file=sys.stderr)
        return 130
    except Terminated as e:
        print(f"error: {step}: stopped by {e}; {left}", file=sys.stderr)
        return 143
    except errors as e:
        print(f"error: {step}: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        where = f" {paths.rel(_target_of(e.filename))}" if getattr(e, "filename", None) else ""
        cause = e.strerror or str(e)
        hint = "; free some space and run make again" if e.errno in (errno.ENOSPC, errno.EDQUOT) else ""
        print(f"error: {step}: cannot read or write{where}: {cause}{hint}; {left}", file=sys.stderr)
        return 1
    return 0
