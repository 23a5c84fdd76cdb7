"""Fault injection for tests/test_faults.py (on PYTHONPATH only in those tests).

``SPF_FAULT="module:attr[.attr]:action[@n]"`` replaces a function, in the process whose
command line names ``SPF_FAULT_IN`` (e.g. ``spf_analysis.build``; not the kernels it
starts), by one that on its n-th call (default 1st) does ``action``:

- ``enospc``: raise OSError "No space left on device" naming the first path argument;

(The module run with ``python -m`` is ``__main__``, a different object from the module of that
name imported here: patch a function it calls in another module.)
- ``interrupt``: raise KeyboardInterrupt (Ctrl-C arriving just then);
- ``sigint-after`` / ``sigterm-after``: run the function, then send the signal to the process.
"""

import os
import sys

_spec = os.environ.get("SPF_FAULT")
_where = os.environ.get("SPF_FAULT_IN", "")
if _spec and _where and _where in getattr(sys, "orig_argv", []):
    import errno
    import functools
    import importlib
    import signal
    import time

    _target, _action = _spec.rsplit(":", 1)
    _module, _attr = _target.split(":", 1)
    _action, _, _nth = _action.partition("@")
    _nth = int(_nth or 1)
    _owner = importlib.import_module(_module)
    *_path, _name = _attr.split(".")
    for _p in _path:
        _owner = getattr(_owner, _p)
    _orig = getattr(_owner, _name)
    _calls = [0]

    def _first_path(args, kwargs):
        """The first argument that looks like a path (not, e.g., the text being written)."""
        for a in list(args) + list(kwargs.values()):
            if isinstance(a, os.PathLike) or (isinstance(a, str) and "\n" not in a and len(a) < 4096
                                               and os.sep in a):
                return os.fspath(a)
        return None

    @functools.wraps(_orig)
    def _faulty(*args, **kwargs):
        _calls[0] += 1
        if _calls[0] != _nth:
            return _orig(*args, **kwargs)
        if _action == "enospc":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), _first_path(args, kwargs))
        if _action == "interrupt":
            raise KeyboardInterrupt
        result = _orig(*args, **kwargs)
        sig = {"sigint-after": signal.SIGINT, "sigterm-after": signal.SIGTERM}[_action]
        os.kill(os.getpid(), sig)
        time.sleep(5)  # the signal arrives here
        return result

    setattr(_owner, _name, _faulty)
