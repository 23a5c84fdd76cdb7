"""Kernels for the notebook runs, and the build's steps themselves, forked from a process that has
already imported the libraries they import (numpy, pandas, matplotlib, IPython, ipykernel,
BeautifulSoup, scipy, statsmodels, seaborn; papermill, nbconvert, pyarrow, openpyxl), so that each
notebook and step of a build does not import them again (about 1.2 s of a kernel's start, about
1 s of a notebook run's own process).

``ForkKernelManager`` is a jupyter_client kernel manager (given to papermill by
:mod:`spf_analysis.build`) whose kernels come from a fork server: ``python -m
spf_analysis.kernels serve SOCKET``, started by the first notebook run that needs it and ending by
itself after :data:`IDLE` seconds without a kernel. A kernel is the ``spf-kp`` kernel's own
command (``python -m ipykernel_launcher -f CONNECTION ...``) run in a forked child, with the run's
environment, working directory and standard streams: the same code as a kernel started afresh.

What a kernel reads from the server's past is only what those libraries did on import, so:

- the package itself (``spf_analysis``) is not preloaded, and the server's own modules of it are
  dropped in each kernel: a kernel always imports the code on disk;
- one server serves one checkout, one Python and one environment (:func:`identity`: the variables
  of the environment but the per-run ones, the files of the preloaded libraries): a change of any
  of them (a ``pip install``, another ``MPLBACKEND``) starts another server;
- a run whose kernel command is not that of the server's Python falls back to the usual start, as
  does every failure to reach the server, and ``SPF_FORK_KERNELS=0`` turns the server off.

A kernel is killed by the server when the run that asked for it goes away (its connection closes).
The executed notebooks are byte-identical either way (tests/test_kernels.py). Only the steps of a
build use it (:mod:`spf_analysis.build`, when make passes the step's inputs): a run by hand or by a
test starts its kernel afresh.

A build step (:data:`STEPS`) started by make as ``python -m spf_analysis.forked -m MODULE ARGS``
(:mod:`spf_analysis.forked`) is run by a child of the server as ``python -m MODULE ARGS`` would run
it: the step's arguments, environment, directory, umask and standard streams, the package's code
from disk, ``sitecustomize`` run again with the step's command line, the exit status and the
signals passed on (:func:`run_step`). Without a server it runs in its own process as before, and
the first such step starts the server for the steps and kernels after it (without waiting for it).
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import importlib.util
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from spf_analysis.config import paths

#: imported by the server before it forks (third-party only, never the package), in two parts. First,
#: before it listens, :data:`STEP_PRELOAD`: what the steps after the first import (the survey's and the
#: model run's pandas, pyarrow, PyYAML and scipy), so that they are forked rather than run in processes
#: of their own. Then, while it waits for requests (one module at a time), the rest: what the chapters
#: import (statsmodels' WLS, with scipy.stats, for the survey regression of the proxy-means test, as
#: spf_analysis.stats.regression imports it: not statsmodels.api, which loads all of statsmodels'
#: models, about 0.25 s more; seaborn for the figures) and what the steps import (papermill and
#: nbconvert for a notebook run, openpyxl for the workbook), and what each kernel imports as it starts
#: (ipykernel's debugger, with debugpy, IPython's completer and store magic, sqlite3, which its history
#: module imports even with the history off: 0.06 s of CPU a kernel; imported, the debugger starts no
#: thread and patches nothing). About 2 s in all: a cold build's first step (make data) starts the
#: server, which preloads on the core the data step leaves idle; a request for anything but a
#: :data:`LIGHT_STEPS` step waits for the rest.
STEP_PRELOAD = ("numpy", "pandas", "pyarrow.parquet", "pyarrow.dataset", "yaml", "scipy.optimize",
                "scipy.interpolate")
PRELOAD = ("IPython", "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "IPython.core.debugger",
           "IPython.core.completerlib", "IPython.extensions.storemagic", "psutil", "sqlite3",
           "tornado.platform.asyncio", "papermill", "nbconvert", "bs4", "matplotlib", "matplotlib.pyplot",
           "statsmodels.regression.linear_model", "seaborn", "openpyxl")
#: the steps forked as soon as :data:`STEP_PRELOAD` is imported: they import nothing of :data:`PRELOAD`
#: (a test reads the imports of every package module they use)
LIGHT_STEPS = ("spf_analysis.data.io", "spf_analysis.household.source", "spf_analysis.model.pipeline")
#: the build steps a server runs (``python -m MODULE ARGS``, forked; :mod:`spf_analysis.forked`)
STEPS = ("spf_analysis.data.io", "spf_analysis.household.source", "spf_analysis.model.pipeline",
         "spf_analysis.build", "spf_analysis.report.assemble")
#: seconds a step waits for the server's reply to its request (the fork itself takes milliseconds)
REPLY_WAIT = 30.0
#: the variables of the environment that differ between the runs of one build (they reach each
#: kernel, but do not make another server)
PER_RUN = ("SPF_OUTPUT_DIR", "SPF_INPUTS", "SPF_OUTPUTS", "MAKEFLAGS", "MFLAGS", "MAKELEVEL",
           "MAKE_TERMOUT", "MAKE_TERMERR", "MAKEOVERRIDES", "JPY_PARENT_PID", "JPY_SESSION_NAME",
           "SHLVL", "_")  # (a recipe run by a shell or by make itself: SHLVL 2 or 1)
#: seconds a server without a kernel waits for the next request before it ends
IDLE = 120.0
#: seconds between two looks at whether a kernel asked to shut down, or killed, has ended
SHUTDOWN_POLL = 0.01
#: milliseconds between a client's attempts to connect to a forked kernel's ports (ZMQ's
#: ``RECONNECT_IVL``; its default, 100 ms, was the first 0.1 s of every kernel's start: the client
#: connects before the kernel has bound its ports, and its IOPub welcome came 0.12 s after the fork,
#: now 0.015 s)
RECONNECT_MS = 10
#: seconds a run waits for a new server to listen before it starts its kernel the usual way
START_WAIT = 20.0
SWITCH = "SPF_FORK_KERNELS"


def warm() -> None:
    """Do once, before forking, what every run's first conversion of a chapter to HTML does inside
    nbconvert and its libraries, on a two-cell notebook: nbformat compiles its schema validator,
    pygments loads its lexer and style, mistune compiles its Markdown rules, BeautifulSoup builds its
    entity tables; and Pillow registers the image plugins a figure's PNG loads. (Each run's exporter
    still compiles its own templates: they are kept per exporter.) Third-party code only, nothing
    written; a failure leaves the runs to do it themselves."""
    try:
        import nbformat
        from bs4 import BeautifulSoup
        from nbconvert import HTMLExporter

        v4 = nbformat.v4
        out = v4.new_output("display_data", data={"text/html": "<p>a &amp; b</p>", "text/plain": "a"})
        nb = v4.new_notebook(cells=[v4.new_markdown_cell("# A\n\n*a* & [b](#c)"),
                                    v4.new_code_cell("a = 1", outputs=[out])])
        nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
        BeautifulSoup(HTMLExporter(template_name="basic", exclude_input=True).from_notebook_node(nb)[0],
                      "html.parser")
        from PIL import Image

        Image.preinit()  # the image plugins every figure's PNG loads
    except Exception:  # noqa: BLE001 -- only a head start
        pass


def identity(options: list[str], env: dict | None = None) -> str:
    """What a server's preloaded state depends on: the checkout, this Python and its ``-X`` options,
    this module's code, the environment (but :data:`PER_RUN` and ``ARGS_*``) and the preloaded
    libraries' packages (their ``__init__`` files: path, size, time; found without importing them)."""
    env = os.environ if env is None else env
    h = hashlib.sha256()
    h.update(json.dumps([str(paths.ROOT), sys.executable, sys.prefix, sys.version, options]).encode())
    h.update(Path(__file__).read_bytes())  # the server's own code
    h.update(json.dumps(sorted((k, v) for k, v in env.items()
                               if k not in PER_RUN and not k.startswith("ARGS_"))).encode())
    # (a submodule's spec would import its parents)
    for name in dict.fromkeys(n.split(".")[0] for n in STEP_PRELOAD + PRELOAD):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec is not None else None
        st = os.stat(origin) if origin and os.path.exists(origin) else None
        h.update(json.dumps([name, origin, st and st.st_size, st and st.st_mtime_ns]).encode())
    return h.hexdigest()[:24]


def socket_path(ident: str) -> Path:
    """The server's socket, in a folder of this user's only (a Unix socket's path is short)."""
    folder = Path(tempfile.gettempdir()) / f"spf-kernels-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    if (folder.stat().st_mode & 0o077) or folder.stat().st_uid != os.getuid():
        raise OSError(f"{folder} is not this user's own folder")
    return folder / f"{ident}.sock"


def kernel_options(cmd: list[str]) -> list[str] | None:
    """The interpreter options (``-X...`` only) of a kernel command of this Python,
    ``[python, *options, "-m", "ipykernel_launcher", ...]``; None for any other command."""
    if not cmd or cmd[0] != sys.executable or "ipykernel_launcher" not in cmd:
        return None
    i = cmd.index("ipykernel_launcher") - 1
    options = cmd[1:i]
    if i < 1 or cmd[i] != "-m" or not all(o.startswith("-X") and len(o) > 2 for o in options):
        return None
    return options


# --------------------------------------------------------------------------- the server

def serve(path: Path, lock_fd: int | None = None) -> None:
    """Preload, listen on ``path``, fork a kernel or a step per request; end after :data:`IDLE` s
    without children. ``lock_fd``: the start lock its starter holds (:func:`_start_server`), released
    when the server listens: after :data:`STEP_PRELOAD`; :data:`PRELOAD` is imported while no request
    waits, and all of it (then :func:`warm`) before any child but a :data:`LIGHT_STEPS` step is forked."""
    pending = list(PRELOAD)

    def preload(everything: bool) -> None:
        """Import the next module of PRELOAD, or all that are left; after the last, warm up and freeze."""
        while pending:
            _import(pending.pop(0))
            if not everything:
                break
        if not pending and not done:
            warm()
            _freeze()
            done.append(True)

    done: list = []
    for name in STEP_PRELOAD:
        _import(name)
    _freeze()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    listener.bind(str(tmp))
    listener.listen(16)
    os.replace(tmp, path)  # appears when it listens
    if lock_fd is not None:
        os.close(lock_fd)  # the runs waiting for the server connect now
    mine = os.stat(path).st_ino
    kids: dict[int, tuple[socket.socket, bool]] = {}  # child pid -> the connection of its run, is a step
    wake_r, wake_w = os.pipe()  # a child's exit wakes the loop at once (its run waits for it)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    last = time.monotonic()
    try:
        while kids or time.monotonic() - last < IDLE:
            ready, _, _ = select.select([listener, wake_r, *(c for c, _ in kids.values() if c)], [], [],
                                        0.0 if pending or not done else 1.0)
            if not ready and (pending or not done):
                preload(everything=False)
                continue
            for s in ready:
                if s == wake_r:
                    os.read(wake_r, 4096)
                elif s is listener:
                    conn, _ = listener.accept()
                    forked = _fork(conn, listener, kids, (wake_r, wake_w), preload)
                    if forked:
                        kids[forked[0]] = (conn, forked[1])
                else:  # the run went away (or sent something it should not): its child goes too, once
                    for pid, (c, step) in list(kids.items()):
                        if c is s:  # a step is stopped as make stops one (its outputs stay as they were)
                            _kill(pid, signal.SIGTERM if step else signal.SIGKILL)
                            c.close()
                            kids[pid] = (None, step)
            while kids:  # reap, and tell each run its child's exit status
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                conn, _ = kids.pop(pid, (None, False))
                if conn is not None:
                    try:
                        conn.sendall(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
                    except OSError:
                        pass
                    conn.close()
                last = time.monotonic()
    finally:
        try:
            if os.stat(path).st_ino == mine:  # not a later server's
                path.unlink()
        except OSError:
            pass
        listener.close()


def _kill(pid: int, sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(pid, sig)
    except OSError:
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def _request(req) -> tuple[list[str] | None, list[str] | None]:
    """The kernel command or the step (``[module, *args]``) of a request; ValueError for any other."""
    if not isinstance(req.get("env"), dict) or not isinstance(req.get("cwd"), str):
        raise ValueError("no environment or directory")
    if "step" in req:
        step, argv = req["step"], req.get("orig_argv")
        if not (isinstance(step, list) and step and step[0] in STEPS and isinstance(argv, list)
                and all(isinstance(a, str) for a in step + argv) and isinstance(req.get("umask"), int)):
            raise ValueError("not a build step")
        return None, step
    cmd = req["cmd"]
    if kernel_options(cmd) is None:
        raise ValueError("not a kernel command")
    return cmd, None


def _import(name: str) -> None:
    try:
        __import__(name)
    except ImportError:
        pass


def _freeze() -> None:
    """The preloaded objects out of the children's collections: never walked (nor copied) there."""
    import gc

    gc.collect()
    gc.freeze()


def _fork(conn: socket.socket, listener: socket.socket, kids: dict, wake: tuple,
          preload=None) -> tuple[int, bool] | None:
    """Read one request (a kernel command or a build step, the environment and directory, and the
    run's standard streams) and fork its child; the child's pid and whether it is a step, or None for
    a bad request. ``preload(everything=True)`` is called before a child other than a
    :data:`LIGHT_STEPS` step is forked."""
    try:
        conn.settimeout(10)
        msg, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
        while not msg.endswith(b"\n"):
            more = conn.recv(1 << 20)
            if not more:
                raise OSError("request cut short")
            msg += more
        req = json.loads(msg)
        if len(fds) != 3:
            raise ValueError("not the run's three standard streams")
        cmd, step = _request(req)
    except (OSError, ValueError, KeyError, TypeError):
        conn.close()
        return None
    if preload is not None and (step is None or step[0] not in LIGHT_STEPS):
        preload(everything=True)
    pid = os.fork()
    if pid:
        for fd in fds:
            os.close(fd)
        conn.settimeout(None)
        conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
        return pid, step is not None
    # the child
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        listener.close()
        for c, _ in kids.values():
            if c is not None:
                c.close()
        conn.close()
        for fd in wake:
            os.close(fd)
        os.setsid()  # its own session, as jupyter_client starts a kernel (a step's run signals the group)
        for i, fd in enumerate(fds):
            os.dup2(fd, i)
            os.close(fd)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        sys.path[0] = os.getcwd()  # as `python -m` started there would have it
        for name in [m for m in sys.modules if m == "spf_analysis" or m.startswith("spf_analysis.")]:
            del sys.modules[name]  # the server's own modules: the child imports the code on disk
        if "rfc3987_syntax" in sys.modules and sys.modules["rfc3987_syntax"] is None:
            del sys.modules["rfc3987_syntax"]  # set by the package's __init__, which the child runs itself
        import runpy

        if step is None:
            sys.argv = ["ipykernel_launcher", *cmd[len(kernel_options(cmd)) + 3:]]
            runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)  # as `-m` runs it
        else:
            _as_started(req)
            sys.argv = ["-m", *step[1:]]
            runpy.run_module(step[0], run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:  # what a process's exit runs (never the server's loop again)
            if step is not None:
                import threading

                threading._shutdown()  # a step's threads joined, as at the end of a Python
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _as_started(req: dict) -> None:
    """A step's child made as its own Python would start: the run's umask and command line
    (``sys.orig_argv``), standard streams opened as at start-up (buffered by line on a terminal) and
    ``sitecustomize``/``usercustomize`` run again with them (the server ran them with its own)."""
    import io
    import site

    os.umask(req["umask"])
    sys.orig_argv = list(req["orig_argv"])
    enc, err = sys.stdout.encoding, sys.stdout.errors
    sys.stdin = sys.__stdin__ = io.open(0, "r", encoding=enc, errors=err, closefd=False)
    sys.stdout = sys.__stdout__ = io.open(1, "w", buffering=1 if os.isatty(1) else -1, encoding=enc,
                                          errors=err, closefd=False)
    sys.stderr = sys.__stderr__ = io.open(2, "w", buffering=1, encoding=enc, errors="backslashreplace",
                                          closefd=False)
    for name in ("sitecustomize", "usercustomize"):
        sys.modules.pop(name, None)
    site.execsitecustomize()
    if site.ENABLE_USER_SITE:
        site.execusercustomize()


# --------------------------------------------------------------------------- the run's side

class ForkedKernel:
    """The run's handle on a forked kernel (or step), with what jupyter_client asks of a ``Popen``;
    ``lost``: the server ended before the child did (it was killed with it)."""

    def __init__(self, conn: socket.socket, pid: int):
        self.conn, self.pid, self.returncode, self.lost = conn, pid, None, False
        self.stdin = self.stdout = self.stderr = None

    def _read(self, block: bool) -> None:
        if self.returncode is not None:
            return
        self.conn.setblocking(block)
        try:
            data = b""
            while not data.endswith(b"\n"):
                more = self.conn.recv(4096)
                if not more:  # the server ended: the kernel was killed with it
                    self.returncode, self.lost = -signal.SIGKILL, True
                    return
                data += more
            self.returncode = int(json.loads(data)["exit"])
        except BlockingIOError:
            return
        finally:
            if self.returncode is not None:
                self.conn.close()

    def poll(self):
        self._read(block=False)
        return self.returncode

    def wait(self, timeout=None):
        self._read(block=True)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _connect(path: Path) -> socket.socket | None:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(str(path))
        return s
    except OSError:
        s.close()
        return None


def _start_server(path: Path, options: list[str], wait: bool) -> socket.socket | None:
    """A connection to the server at ``path``, starting it when none listens. One run starts it
    (the lock), and the lock passes to the server, which holds it until it listens: ``wait``, the run
    waits for that (a kernel: a forked one is worth the wait); otherwise it goes on without one (a
    step: it runs in its own process, the next steps find the server)."""
    conn = _connect(path)
    if conn is not None:
        return conn
    end = time.monotonic() + START_WAIT
    with open(path.with_suffix(".lock"), "w") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:  # another run is starting the server
                if not wait or time.monotonic() > end:
                    return None
                time.sleep(0.02)
        conn = _connect(path)
        if conn is None:
            path.unlink(missing_ok=True)
            subprocess.Popen([sys.executable, *options, "-m", "spf_analysis.kernels", "serve", str(path),
                              str(lock.fileno())], pass_fds=(lock.fileno(),),
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True, cwd=str(paths.ROOT))
    # (the lock is the server's now, until it listens)
    if not wait:
        return conn
    while conn is None and time.monotonic() < end:
        time.sleep(0.02)
        conn = _connect(path)
    return conn


def _send(conn: socket.socket, req: dict) -> int:
    """Send a request with this process's standard streams; the pid of the child forked for it."""
    conn.settimeout(REPLY_WAIT)
    socket.send_fds(conn, [json.dumps(req).encode() + b"\n"], [0, 1, 2])
    data = b""
    while not data.endswith(b"\n"):
        more = conn.recv(4096)
        if not more:
            raise OSError("the server closed the connection")
        data += more
    conn.settimeout(None)
    return int(json.loads(data)["pid"])


def request(cmd: list[str], env: dict, cwd: str) -> ForkedKernel | None:
    """A kernel forked by this checkout's server (started when there is none), or None: then the
    run starts its kernel the usual way."""
    options = kernel_options(cmd)
    if os.environ.get(SWITCH, "1") == "0" or options is None:
        return None
    try:
        conn = _start_server(socket_path(identity(options)), options, wait=True)
        if conn is None:
            return None
        return ForkedKernel(conn, _send(conn, {"cmd": cmd, "env": env, "cwd": cwd}))
    except (OSError, ValueError, KeyError):
        return None


#: the kernel of the notebook runs, whose command's options the server of the steps takes too, so
#: that one server serves both (its kernel.json, as ``make venv`` installs it in the environment)
KERNEL_SPEC = Path(sys.prefix) / "share" / "jupyter" / "kernels" / "spf-kp" / "kernel.json"


def step_options() -> list[str] | None:
    """The interpreter options of the server the steps share with the kernels: those of the spf-kp
    kernel's command (:data:`KERNEL_SPEC`; none when it is not installed); None when the kernel's
    command is not one the server forks (another Python)."""
    try:
        cmd = [a for a in json.loads(KERNEL_SPEC.read_text(encoding="utf-8"))["argv"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return kernel_options(cmd)


def run_step(module: str, args: list[str]) -> int | None:
    """Run the build step ``python -m module args`` in a child of this checkout's server and return
    its exit status; None when it is not run there (no server yet: one is started for the next steps;
    ``SPF_FORK_KERNELS=0``; a module not in :data:`STEPS`; this process not started as
    ``python -m spf_analysis.forked``, whose command line the child takes). A signal this process
    receives (Ctrl-C, SIGTERM, SIGHUP) is passed to the step; a step ended by a signal ends this
    process by the same signal."""
    options = step_options()
    if (os.environ.get(SWITCH, "1") == "0" or module not in STEPS or options is None
            or sys.orig_argv[1:3] != ["-m", "spf_analysis.forked"]):
        return None
    try:
        conn = _start_server(socket_path(identity(options)), options, wait=False)
    except OSError:
        return None
    if conn is None:
        return None
    umask = os.umask(0)
    os.umask(umask)
    return relay(module, conn, {"step": [module, *args], "env": dict(os.environ), "cwd": os.getcwd(),
                                "umask": umask, "orig_argv": list(sys.orig_argv)})


def relay(module: str, conn: socket.socket, req: dict) -> int | None:
    """Send the step's request on ``conn`` (to its server), wait for the step and return its exit
    status (None when the server did not take it: the step was not started). The signals this
    process receives from the request on (Ctrl-C, SIGTERM, SIGHUP) are passed to the step's process
    group, as they would reach a step started by make; a step ended by a signal ends this process
    by the same signal."""
    pid, pending = None, []

    def forward(signum, frame):
        if pid is None:
            pending.append(signum)
        else:
            _kill(pid, signum)

    old = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        pid = _send(conn, req)
    except (OSError, ValueError, KeyError):  # not started: this process runs it, with its own handlers
        for sig, handler in old.items():
            signal.signal(sig, handler)
        for sig in pending:
            signal.raise_signal(sig)
        return None
    for sig in pending:
        _kill(pid, sig)
    kid = ForkedKernel(conn, pid)
    code = kid.wait()
    if kid.lost:
        print(f"error: {module}: the build's server of processes ended during the step", file=sys.stderr)
        return 1
    if code < 0:  # ended by a signal: so does this process (make reports it as for a step of its own)
        if -code != signal.SIGKILL:
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        return 128 - code
    return code


def __getattr__(name: str):
    """:class:`ForkKernelManager` and :class:`ForkProvisioner`, defined on first use: they need
    jupyter_client, which a step's own process (:mod:`spf_analysis.forked`) does not import."""
    if name not in ("ForkKernelManager", "ForkProvisioner", "ReadyClient"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from queue import Empty

    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning import LocalProvisioner

    class ReadyClient(AsyncKernelClient):
        """jupyter_client's client, told that its kernel is ready without waiting on a clock.

        jupyter_client's ``wait_for_ready`` proves IOPub connected by waiting up to 0.2 s for a message
        after each ``kernel_info`` reply, then drains IOPub until it has been silent for 0.2 s: at
        least 0.2 s of every notebook run, usually 0.4 s, spent waiting. The kernel (ipykernel >= 7,
        an XPUB socket) greets each IOPub subscription with an ``iopub_welcome`` message (Jupyter
        enhancement proposal 65), so the subscription is known to be live when it arrives; then one
        ``kernel_info`` is sent, its reply read, and IOPub read up to the ``idle`` status of that
        request, which the kernel publishes after the reply. A kernel that sends no welcome within
        :attr:`WELCOME` seconds is waited for as jupyter_client does."""

        WELCOME = 5.0

        def start_channels(self, *args, **kwargs):
            import zmq

            self.context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)  # the sockets made from here on
            return super().start_channels(*args, **kwargs)

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            welcome_by = time.monotonic() + self.WELCOME

            async def receive(channel, until: float = float("inf")):
                """The channel's next message; None once ``until`` has passed without one."""
                while True:
                    try:
                        return await channel.get_msg(timeout=0.05)
                    except Empty:
                        if not await self._async_is_alive():
                            raise RuntimeError("Kernel died before replying to kernel_info") from None
                        if time.monotonic() > deadline:
                            raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds") from None
                        if time.monotonic() > until:
                            return None

            while (msg := await receive(self.iopub_channel, welcome_by)) is not None:
                if msg["msg_type"] == "iopub_welcome":
                    break
            else:  # no welcome: an older kernel, waited for as jupyter_client does
                return await super().wait_for_ready(max(deadline - time.monotonic(), 0.0))
            msg_id = self.kernel_info()
            while (reply := await receive(self.shell_channel))["parent_header"].get("msg_id") != msg_id:
                pass
            while not ((msg := await receive(self.iopub_channel))["msg_type"] == "status"
                       and msg["parent_header"].get("msg_id") == msg_id
                       and msg["content"].get("execution_state") == "idle"):
                pass
            self._handle_kernel_info_reply(reply)

    class ForkProvisioner(LocalProvisioner):
        """jupyter_client's local provisioner, the kernel forked by the server (:func:`request`)."""

        async def launch_kernel(self, cmd: list[str], **kwargs):
            env = kwargs.get("env") or dict(os.environ)
            cwd = str(kwargs.get("cwd") or os.getcwd())
            kernel = request(list(cmd), dict(env), cwd)
            if kernel is None:
                return await super().launch_kernel(cmd, **kwargs)
            self.process, self.pid, self.pgid, self.cwd = kernel, kernel.pid, kernel.pid, cwd
            return self.connection_info

    class ForkKernelManager(AsyncKernelManager):
        """The kernel manager of the notebook runs: its kernels forked by :class:`ForkProvisioner`."""

        def _client_factory_default(self):
            return ReadyClient

        async def _async_finish_shutdown(self, waittime=None, pollinterval: float = 0.1, restart: bool = False):
            """Wait for the kernel's end as jupyter_client does, looking every 10 ms rather than 100 ms
            (its exit status is a line from the server: reading it costs nothing); a kernel ends
            about 30 ms after its shutdown request, which was then seen 0.1 s later."""
            return await super()._async_finish_shutdown(waittime, min(pollinterval, SHUTDOWN_POLL), restart)

        async def _async_wait(self, pollinterval: float = 0.1) -> None:
            """Wait for a killed kernel's end, looking every 10 ms rather than 100 ms (as above)."""
            return await super()._async_wait(min(pollinterval, SHUTDOWN_POLL))

        async def _async_pre_start_kernel(self, **kw):
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            if self.provisioner is None:
                self.provisioner = ForkProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
            return await super()._async_pre_start_kernel(**kw)

    for cls in (ForkProvisioner, ForkKernelManager, ReadyClient):
        cls.__module__ = __name__
        globals()[cls.__name__] = cls
    return globals()[name]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) not in (2, 3) or argv[0] != "serve":
        print("usage: python -m spf_analysis.kernels serve SOCKET [LOCK_FD]", file=sys.stderr)
        return 2
    serve(Path(argv[1]), int(argv[2]) if len(argv) == 3 else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
